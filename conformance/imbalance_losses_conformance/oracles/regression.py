"""Focal-R and Balanced MSE: the papers' formulas with explicit loops over samples,
components and candidates (Gaussian densities with their constants)."""

from __future__ import annotations

import numpy as np

from ._common import as_float, binary_weighted, lse, reduce


def focal_regression_loss(predictions, targets, *, kind="mse", beta=0.2, gamma=1.0, activation="sigmoid",
                          weights=None, reduction="mean"):
    e = as_float(predictions) - as_float(targets)
    base = e * e if kind == "mse" else np.abs(e)
    z = beta * np.abs(e)
    factor = np.tanh(z) if activation == "tanh" else 2 / (1 + np.exp(-z)) - 1
    return binary_weighted(base * factor ** gamma, weights, reduction)


def _log_gaussian(x, mean, variances):
    """log N(x; mean, diag(variances)), every constant included."""
    return float(np.sum(-0.5 * np.log(2 * np.pi * variances) - 0.5 * (x - mean) ** 2 / variances))


def _prior(method, gmm, bin_edges, bin_counts, d):
    """The training prior as (weights, means, variances) per component."""
    if method == "gai":
        weights, means, variances = (np.asarray(a, dtype=np.float64) for a in gmm)
        means = means.reshape(len(weights), d)
        variances = variances.reshape(len(weights), -1) * np.ones((1, d))
        return weights, means, variances
    edges = [np.asarray(e, dtype=np.float64) for e in (bin_edges if d > 1 else [bin_edges])]
    centres = [0.5 * (e[1:] + e[:-1]) for e in edges]
    counts = np.asarray(bin_counts, dtype=np.float64)
    grid = np.stack([g.reshape(-1) for g in np.meshgrid(*centres, indexing="ij")], axis=-1)
    return counts.reshape(-1) / counts.sum(), grid, np.zeros_like(grid)


def balanced_mse_loss(predictions, targets, *, method="bmc", noise_variance=1.0, gmm=None, bin_edges=None,
                      bin_counts=None, weights=None, reduction="mean"):
    p, t = as_float(predictions), as_float(targets)
    d = p.shape[-1]
    lead = p.shape[:-1]
    p, t = p.reshape(-1, d), t.reshape(-1, d)
    n = p.shape[0]
    q = float(noise_variance)
    w = np.ones(n) if weights is None else np.broadcast_to(np.squeeze(as_float(weights), -1) if np.ndim(weights) == len(lead) + 1 else as_float(weights), lead).reshape(-1)
    loss = np.zeros(n)
    for i in range(n):
        if method == "bmc":
            # Cross-entropy over the batch's targets (those of positive weight), the own one the label.
            logits = [-np.sum((p[i] - t[j]) ** 2) / (2 * q) for j in range(n) if weights is None or w[j] > 0]
            own = -np.sum((p[i] - t[i]) ** 2) / (2 * q)
            loss[i] = 0.0 if not logits else (lse(np.array(logits)) - own) * 2 * q
        elif method == "gai":
            pi, means, variances = _prior(method, gmm, bin_edges, bin_counts, d)
            nll = -_log_gaussian(t[i], p[i], np.full(d, q))
            balance = lse(np.array([np.log(pi[k]) + _log_gaussian(p[i], means[k], variances[k] + q)
                                    for k in range(len(pi)) if pi[k] > 0]))
            loss[i] = (nll + balance) * 2 * q
        else:  # bni, as the reference's bni_loss: no log-variance terms
            pi, centres, _ = _prior(method, gmm, bin_edges, bin_counts, d)
            mse = np.sum((p[i] - t[i]) ** 2) / (2 * q)
            balance = lse(np.array([np.log(pi[b]) - np.sum((p[i] - centres[b]) ** 2) / (2 * q)
                                    for b in range(len(pi)) if pi[b] > 0]))
            loss[i] = (mse + balance) * 2 * q
    if reduction == "none":
        return (w * loss).reshape(lead)
    return reduce(w * loss, w, reduction)
