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


def equalized_focal_loss(logits, targets, *, gamma_b=2.0, scale_factor=8.0, alpha=0.25, state=None, weights=None,
                         reduction="mean"):
    """The authors' EqualizedFocalLoss (United-Perception): forward with the focusing factor
    gamma_j = gamma_b + s (1 - g_j), g_j = clamp(P_j / (Q_j + 1e-10), 0, 1) (the pos_neg buffer,
    ones before the first update), the loss scaled by gamma_j / gamma_b; then collect_grad: the
    sums grow by |d(w loss)/dx| over the positives and the negatives, per class."""
    x, y = as_float(logits), as_float(targets)
    num_classes = x.shape[-1]
    x2, y2 = x.reshape(-1, num_classes), y.reshape(-1, num_classes)
    w = np.ones_like(x) if weights is None else np.broadcast_to(as_float(weights), x.shape)
    w2 = w.reshape(-1, num_classes)
    if state is None or not np.any(as_float(state)):
        pos_sum = neg_sum = np.zeros(num_classes)
        balance = np.ones(num_classes)
    else:
        pos_sum, neg_sum = as_float(state)
        balance = np.clip(pos_sum / (neg_sum + 1e-10), 0, 1)
    gamma = gamma_b + scale_factor * (1 - balance)
    s, s_bar = np.exp(log_sigmoid(x2)), np.exp(log_sigmoid(-x2))
    q = y2 * s_bar + (1 - y2) * s  # 1 - p_t
    bce = -(y2 * log_sigmoid(x2) + (1 - y2) * log_sigmoid(-x2))
    alpha_t = np.ones_like(x2) if alpha is None else alpha * y2 + (1 - alpha) * (1 - y2)
    scale = gamma / gamma_b * alpha_t
    loss = scale * q**gamma * bce
    # d/dx of q^gamma BCE: dq/dx = (1 - 2y) s s_bar, dBCE/dx = s - y.
    dq = (1 - 2 * y2) * s * s_bar
    with np.errstate(divide="ignore", invalid="ignore"):
        focusing_part = np.where(q > 0, gamma * q ** (gamma - 1) * dq * bce, 0.0)
    grad = np.abs(scale * (focusing_part + q**gamma * (s - y2))) * w2
    new_pos = pos_sum + np.array([np.sum(grad[:, c] * y2[:, c]) for c in range(num_classes)])
    new_neg = neg_sum + np.array([np.sum(grad[:, c] * (1 - y2[:, c])) for c in range(num_classes)])
    return reduce(w * loss.reshape(x.shape), w, reduction), np.stack([new_pos, new_neg])
