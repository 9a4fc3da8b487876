"""Softmax cross-entropy and focal loss: one-hot targets and per-class loops."""

from __future__ import annotations

import numpy as np

from ._common import as_float, lse, reduce


def _softmax_setup(logits, labels, axis, ignore_index):
    """Logits (N, C) float64, one-hot/soft targets (N, C), valid mask (N,), element shape."""
    x = np.moveaxis(as_float(logits), axis, -1)
    labels = np.asarray(labels)
    element_shape = x.shape[:-1]
    C = x.shape[-1]
    if labels.dtype.kind in "iu":
        valid = np.ones(element_shape, bool) if ignore_index is None else labels != ignore_index
        t = np.zeros(x.shape)
        for c in range(C):
            t[..., c] = (labels == c) & valid
    else:
        valid = np.ones(element_shape, bool)
        t = np.moveaxis(labels.astype(np.float64), axis, -1)
    return x.reshape(-1, C), t.reshape(-1, C), valid.reshape(-1), element_shape


def _log_softmax(x):
    return x - lse(x)[:, None]


def _log_one_minus_softmax(x):
    """log(1 - p_c) = LSE_{j != c} x_j - LSE_j x_j, by deleting column c."""
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        rest = np.delete(x, c, axis=1)
        out[:, c] = (lse(rest) if C > 1 else -np.inf) - lse(x)
    return out


def _finish_softmax(loss, t, valid, element_shape, weights, class_weights, reduction):
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), element_shape).reshape(-1)
    norm = w if class_weights is None else w * (t @ as_float(class_weights))
    return reduce((w * loss).reshape(element_shape), norm, reduction)


def _smooth(t, eps):
    return t * (1 - eps) + eps / t.shape[1]


def softmax_cross_entropy(logits, labels, *, class_weights=None, label_smoothing=0.0, ignore_index=None,
                          axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    cw = np.ones(x.shape[1]) if class_weights is None else as_float(class_weights)
    loss = -np.sum(cw * _smooth(t, label_smoothing) * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, class_weights, reduction)


def softmax_focal_loss(logits, labels, *, alpha=None, gamma=2.0, label_smoothing=0.0, ignore_index=None,
                       axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    a = np.ones(x.shape[1]) if alpha is None else np.broadcast_to(as_float(alpha), (x.shape[1],))
    factor = np.exp(gamma * _log_one_minus_softmax(x)) if gamma else 1.0
    loss = -np.sum(a * _smooth(t, label_smoothing) * factor * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)
