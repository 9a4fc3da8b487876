"""Sigmoid cross-entropy and focal loss, from the formulas."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce


def sigmoid_cross_entropy(logits, targets, *, pos_weight=None, label_smoothing=0.0, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    y = y * (1 - label_smoothing) + label_smoothing / 2
    pw = 1.0 if pos_weight is None else as_float(pos_weight)
    loss = -(pw * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)


def sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    log_p, log_q = log_sigmoid(x), log_sigmoid(-x)  # log p, log (1 - p)
    bce = -(y * log_p + (1 - y) * log_q)
    # 1 - p_t = y (1 - p) + (1 - y) p, summed in log space term by term.
    with np.errstate(divide="ignore"):
        log_one_minus_pt = np.logaddexp(np.log(y) + log_q, np.log(1 - y) + log_p)
    loss = np.exp(gamma * log_one_minus_pt) * bce if gamma else bce
    if alpha is not None:
        a = as_float(alpha)
        loss = (a * y + (1 - a) * (1 - y)) * loss
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)
