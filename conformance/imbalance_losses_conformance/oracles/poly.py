"""PolyLoss: cross-entropy or focal loss plus epsilon times the first polynomial term."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce
from .softmax import _finish_softmax, _log_softmax, _smooth, _softmax_setup


def poly1_cross_entropy(logits, labels, *, epsilon=1.0, label_smoothing=0.0, ignore_index=None, axis=-1,
                        weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    t = _smooth(t, label_smoothing)
    log_p = _log_softmax(x)
    p_target = np.sum(t * np.exp(log_p), axis=1)
    loss = -np.sum(t * log_p, axis=1) + epsilon * (1 - p_target)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)


def _poly1_focal(x, y, alpha, gamma, epsilon, weights, reduction):
    p = np.exp(log_sigmoid(x))
    one_minus_pt = y * (1 - p) + (1 - y) * p
    bce = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
    loss = one_minus_pt ** gamma * bce + epsilon * one_minus_pt ** (gamma + 1)
    if alpha is not None:
        a = as_float(alpha)
        loss = (a * y + (1 - a) * (1 - y)) * loss
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)


def poly1_sigmoid_cross_entropy(logits, targets, *, epsilon=1.0, label_smoothing=0.0, weights=None,
                                reduction="mean"):
    y = as_float(targets) * (1 - label_smoothing) + label_smoothing / 2
    return _poly1_focal(as_float(logits), y, None, 0.0, epsilon, weights, reduction)


def poly1_focal_loss(logits, targets, *, epsilon=1.0, alpha=0.25, gamma=2.0, weights=None, reduction="mean"):
    return _poly1_focal(as_float(logits), as_float(targets), alpha, gamma, epsilon, weights, reduction)
