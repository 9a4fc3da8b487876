"""Asymmetric loss (ASL), from the paper's formulas in probability space."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce
from .softmax import _finish_softmax, _log_softmax, _smooth, _softmax_setup


def asymmetric_loss(logits, targets, *, gamma_pos=0.0, gamma_neg=4.0, clip=0.05, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    p_m = np.maximum(p - clip, 0.0)
    # log(1 - p_m): log(1 - p) = log_sigmoid(-x) when there is no margin (exact at saturation).
    log_negative = log_sigmoid(-x) if clip == 0 else np.log(1 - p_m)
    loss = -(y * (1 - p) ** gamma_pos * log_sigmoid(x) + (1 - y) * p_m ** gamma_neg * log_negative)
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)


def softmax_asymmetric_loss(logits, labels, *, gamma_pos=0.0, gamma_neg=4.0, label_smoothing=0.1, ignore_index=None,
                            axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    log_p = _log_softmax(x)
    p = np.exp(log_p)
    focusing = t * (1 - p) ** gamma_pos + (1 - t) * p ** gamma_neg
    loss = -np.sum(_smooth(t, label_smoothing) * focusing * log_p, axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)
