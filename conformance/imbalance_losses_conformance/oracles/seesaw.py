"""Seesaw loss: mmdetection's algorithm as written, with the full C x C count-ratio
matrix and ratios of probabilities (the core forms only the batch's rows, in log space)."""

from __future__ import annotations

import numpy as np

from ._common import as_float, lse, mean_norm
from .softmax import _finish_softmax, _log_softmax, _softmax_setup


def _counted(labels, valid, weights, element_shape, num_classes):
    """Cumulative counts: ignored labels and weight-0 elements are not counted."""
    labels = np.asarray(labels).reshape(-1)
    keep = valid.copy()
    if weights is not None:
        keep &= np.broadcast_to(as_float(weights), element_shape).reshape(-1) > 0
    return np.array([np.sum((labels == c) & keep) for c in range(num_classes)], dtype=np.float64)


def _seesaw_logits(x, t, counts, p, q, eps):
    """mmdetection's ``seesaw_ce_loss`` up to the cross-entropy: adjusted logits, shape (N, C)."""
    num_classes = x.shape[1]
    labels = np.argmax(t, axis=1)
    factors = np.ones_like(x)
    if p > 0:
        clamped = np.maximum(counts, 1.0)
        ratio = clamped[None, :] / clamped[:, None]  # [y, j] = N_j / N_y
        mitigation = np.where(ratio < 1.0, ratio ** p, 1.0)
        factors *= mitigation[labels, :]
    if q > 0:
        scores = np.exp(x - lse(x)[:, None])
        self_scores = scores[np.arange(len(scores)), labels]
        ratio = scores / np.maximum(self_scores, eps)[:, None]
        factors *= np.where(ratio > 1.0, ratio ** q, 1.0)
    onehot = np.eye(num_classes)[labels]
    return x + np.log(factors) * (1 - onehot)


def _setup(logits, labels, state, ignore_index, axis, weights):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    counts = _counted(labels, valid, weights, shape, x.shape[1])
    if state is not None:
        counts = counts + as_float(state)
    return x, t, valid, shape, counts


def seesaw_loss(logits, labels, *, p=0.8, q=2.0, eps=1e-2, state=None, ignore_index=None, axis=-1, weights=None,
                reduction="mean"):
    x, t, valid, shape, counts = _setup(logits, labels, state, ignore_index, axis, weights)
    z = _seesaw_logits(x, t, counts, p, q, eps)
    loss = -np.sum(t * _log_softmax(z), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction), counts


def seesaw_loss_gradient(cotangent, logits, labels, *, p=0.8, q=2.0, eps=1e-2, state=None, ignore_index=None,
                         axis=-1, weights=None, reduction="mean"):
    """The factors carry no gradient (the compensation uses detached scores):
    d/dx = w (softmax(z) - t) with the adjusted logits z (times the mean's 1/sum w)."""
    x, t, valid, shape, counts = _setup(logits, labels, state, ignore_index, axis, weights)
    z = _seesaw_logits(x, t, counts, p, q, eps)
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), shape).reshape(-1)
    scale = mean_norm(w, w.shape, reduction) if reduction == "mean" else 1.0
    per_element = np.reshape(cotangent, (-1, 1)) if np.ndim(cotangent) else cotangent
    grad = per_element * scale * w[:, None] * (np.exp(_log_softmax(z)) - t)
    return np.moveaxis(grad.reshape(*shape, x.shape[1]), -1, axis)


# The compensation factor depends on the logits but carries no gradient (as in the
# reference): the gradient is analytic, not a finite difference of the value.
ANALYTIC_GRADIENTS = {"seesaw_loss": seesaw_loss_gradient}
