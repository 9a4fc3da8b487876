"""Self-adjusting Dice, sigmoid and softmax, pooled and per element."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce, weights_or_one
from .softmax import _log_softmax, _softmax_setup


def _dice(q, y, smooth, square, w=1.0):
    """SPEC: weights enter the pooled sums linearly."""
    num = 2 * np.sum(w * q * y) + smooth
    den = (np.sum(w * q**2) + np.sum(w * y**2) if square else np.sum(w * q) + np.sum(w * y)) + smooth
    return 1 - (num / den if den > 0 else 1.0)


def dice_loss(logits, targets, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
              ignore_empty=False, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    q = (1 - p) ** alpha * p
    w = weights_or_one(weights, x.shape)
    if per_sample:
        loss = np.vectorize(lambda qi, yi: _dice(qi, yi, smooth, square_denominator))(q, y)
        return reduce(w * loss, w, reduction)
    if ignore_empty and np.sum(w * y) == 0:
        return 0.0
    return _dice(q, y, smooth, square_denominator, w)


def softmax_dice_loss(logits, labels, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
                      ignore_empty=False, ignore_index=None, axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    p = np.exp(_log_softmax(x))
    q = np.exp(alpha * np.log1p(-np.minimum(p, 1.0)) + np.log(p)) if alpha else p
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), shape).reshape(-1)
    C = x.shape[1]
    if per_sample:
        loss = np.array([np.mean([_dice(q[i, c], t[i, c], smooth, square_denominator) for c in range(C)])
                         for i in range(x.shape[0])])
        return reduce((w * loss).reshape(shape), w, reduction)
    per_class = np.array([_dice(q[:, c], t[:, c], smooth, square_denominator, w) for c in range(C)])
    present = np.ones(C)
    if ignore_empty:
        present = np.array([float(np.sum(w * t[:, c]) > 0) for c in range(C)])
    return reduce(present * per_class, present, reduction)
