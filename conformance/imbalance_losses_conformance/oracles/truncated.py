"""Su's hard and soft truncated losses."""

from __future__ import annotations

import numpy as np

from ._common import as_float, binary_weighted, log_sigmoid, mean_norm, weights_or_one
from .softmax import _finish_softmax, _log_softmax, _smooth, _softmax_setup


def hard_truncated_loss(logits, targets, *, margin=0.5, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    keep_pos, keep_neg = (p <= margin), (p >= 1 - margin)
    loss = -(y * keep_pos * log_sigmoid(x) + (1 - y) * keep_neg * log_sigmoid(-x))
    return binary_weighted(loss, weights, reduction)


def soft_truncated_loss(logits, targets, *, k=1.0, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    sig = lambda v: np.exp(log_sigmoid(v))  # noqa: E731
    loss = -(y * sig(-k * x) * log_sigmoid(x) + (1 - y) * sig(k * x) * log_sigmoid(-x))
    return binary_weighted(loss, weights, reduction)


def soft_truncated_softmax_loss(logits, labels, *, k=1.0, label_smoothing=0.0, ignore_index=None, axis=-1,
                                weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    weight = np.exp(_log_softmax(-k * x))
    loss = -np.sum(_smooth(t, label_smoothing) * weight * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)


def hard_truncated_loss_gradient(cotangent, logits, targets, *, margin=0.5, weights=None, reduction="mean"):
    """The mask is constant: d/dx = w (y [p<=m] (p - 1) + (1 - y) [p >= 1-m] p)."""
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    grad = y * (p <= margin) * (p - 1) + (1 - y) * (p >= 1 - margin) * p
    return cotangent * mean_norm(weights, x.shape, reduction) * weights_or_one(weights, x.shape) * grad


ANALYTIC_GRADIENTS = {"hard_truncated_loss": hard_truncated_loss_gradient}
