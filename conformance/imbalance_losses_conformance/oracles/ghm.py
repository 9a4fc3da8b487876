"""GHM-C and GHM-R: mmdetection's algorithm, written out with a loop over bins."""

from __future__ import annotations

import numpy as np

from ._common import as_float, binary_weighted, log_sigmoid, mean_norm, weights_or_one


def _ghm_beta(g, valid, *, bins, momentum, state, bias_correction, last_edge):
    """mmdetection's GHMC/GHMR weights: loop over half-open bins [e_i, e_i+1)."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    edges[-1] = last_edge
    tot = max(int(valid.sum()), 1)
    counts = np.array([np.sum((g >= edges[i]) & (g < edges[i + 1]) & valid) for i in range(bins)], dtype=np.float64)
    acc = np.zeros(bins) if state is None else np.array(state, dtype=np.float64)
    if bias_correction and not np.any(acc):  # a state that has seen nothing starts from this batch
        acc = counts.copy()
    beta = np.zeros_like(g)
    n = 0
    for i in range(bins):
        inds = (g >= edges[i]) & (g < edges[i + 1]) & valid
        if counts[i] > 0:
            if momentum > 0:
                acc[i] = momentum * acc[i] + (1 - momentum) * counts[i]
                beta[inds] = tot / acc[i]
            else:
                beta[inds] = tot / counts[i]
            n += 1
    if n > 0:
        beta = beta / n
    return beta, (acc if momentum > 0 else counts)


def _ghm_valid(weights, shape):
    if weights is None:
        return np.ones(shape, bool), None
    w = np.broadcast_to(as_float(weights), shape)
    return w > 0, w


def ghm_c_loss(logits, targets, *, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None,
               reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    valid, w = _ghm_valid(weights, x.shape)
    p = np.exp(log_sigmoid(x))
    beta, new_state = _ghm_beta(np.abs(p - y), valid, bins=bins, momentum=momentum, state=state,
                                bias_correction=bias_correction, last_edge=1 + 1e-6)
    loss = beta * -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
    return binary_weighted(loss, w, reduction), new_state


def ghm_r_loss(pred, target, *, mu=0.02, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None,
               reduction="mean"):
    d = as_float(pred) - as_float(target)
    valid, w = _ghm_valid(weights, d.shape)
    root = np.sqrt(d * d + mu * mu)
    beta, new_state = _ghm_beta(np.abs(d) / root, valid, bins=bins, momentum=momentum, state=state,
                                bias_correction=bias_correction, last_edge=1e3)
    return binary_weighted(beta * (root - mu), w, reduction), new_state


def ghm_c_loss_gradient(cotangent, logits, targets, *, weights=None, reduction="mean", **options):
    """beta and g carry no gradient: d/dx = beta * w * (sigmoid(x) - y) (times the mean's 1/sum w)."""
    x, y = as_float(logits), as_float(targets)
    valid, _ = _ghm_valid(weights, x.shape)
    p = np.exp(log_sigmoid(x))
    beta, _ = _ghm_beta(np.abs(p - y), valid, last_edge=1 + 1e-6,
                        **{k: options.get(k, d) for k, d in (("bins", 10), ("momentum", 0.0), ("state", None), ("bias_correction", False))})
    scale = mean_norm(weights, x.shape, reduction)
    return cotangent * scale * beta * weights_or_one(weights, x.shape) * (p - y)


def ghm_r_loss_gradient(cotangent, pred, target, *, weights=None, reduction="mean", mu=0.02, **options):
    d = as_float(pred) - as_float(target)
    valid, _ = _ghm_valid(weights, d.shape)
    root = np.sqrt(d * d + mu * mu)
    beta, _ = _ghm_beta(np.abs(d) / root, valid, last_edge=1e3,
                        **{k: options.get(k, v) for k, v in (("bins", 10), ("momentum", 0.0), ("state", None), ("bias_correction", False))})
    scale = mean_norm(weights, d.shape, reduction)
    return cotangent * scale * beta * weights_or_one(weights, d.shape) * d / root


# beta and g carry no gradient and jump at bin edges: analytic gradients, not finite differences.


ANALYTIC_GRADIENTS = {"ghm_c_loss": ghm_c_loss_gradient, "ghm_r_loss": ghm_r_loss_gradient}
