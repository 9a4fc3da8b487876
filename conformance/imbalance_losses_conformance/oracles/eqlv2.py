"""EQLv2: the official ``eqlv2.py`` algorithm (get_weight, then collect_grad), per class."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce


def eqlv2_loss(logits, targets, *, gamma=12.0, mu=0.8, alpha=4.0, state=None, weights=None, reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    num_classes = x.shape[-1]
    x2, y2 = x.reshape(-1, num_classes), y.reshape(-1, num_classes)
    w = np.ones_like(x) if weights is None else np.broadcast_to(as_float(weights), x.shape)
    w2 = w.reshape(-1, num_classes)
    if state is None or not np.any(as_float(state)):  # the official start: weights 1
        pos_sum = neg_sum = np.zeros(num_classes)
        neg_w = pos_w = np.ones(num_classes)
    else:
        pos_sum, neg_sum = as_float(state)
        neg_w = 1 / (1 + np.exp(-gamma * (pos_sum / (neg_sum + 1e-10) - mu)))
        pos_w = 1 + alpha * (1 - neg_w)
    weight = pos_w * y2 + neg_w * (1 - y2)
    bce = -(y2 * log_sigmoid(x2) + (1 - y2) * log_sigmoid(-x2))
    loss = (weight * bce).reshape(x.shape)
    grad = np.abs(np.exp(log_sigmoid(x2)) - y2)
    new_pos = pos_sum + np.array([np.sum(grad[:, c] * y2[:, c] * weight[:, c] * w2[:, c]) for c in range(num_classes)])
    new_neg = neg_sum + np.array([np.sum(grad[:, c] * (1 - y2[:, c]) * weight[:, c] * w2[:, c])
                                  for c in range(num_classes)])
    return reduce(w * loss, w, reduction), np.stack([new_pos, new_neg])
