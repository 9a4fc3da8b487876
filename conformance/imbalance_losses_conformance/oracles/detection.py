"""Varifocal, quality focal and distribution focal losses, from the papers' formulas."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, lse, reduce


def _weighted(loss, weights, reduction):
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)


def _bce(x, q):
    return -(q * log_sigmoid(x) + (1 - q) * log_sigmoid(-x))


def varifocal_loss(logits, targets, *, alpha=0.75, gamma=2.0, iou_weighted=True, weights=None, reduction="mean"):
    """VarifocalNet, eq. 2: -q (q log p + (1 - q) log(1 - p)) for q > 0, -alpha p^gamma log(1 - p) for q = 0
    (without IoU weighting the positive term's factor q is 1)."""
    x, q = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    weight = np.where(q > 0, q if iou_weighted else 1.0, alpha * p**gamma)
    return _weighted(weight * _bce(x, q), weights, reduction)


def quality_focal_loss(logits, targets, *, beta=2.0, weights=None, reduction="mean"):
    """Generalized Focal Loss, eq. 5: -|y - p|^beta ((1 - y) log(1 - p) + y log p)."""
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    return _weighted(np.abs(y - p) ** beta * _bce(x, y), weights, reduction)


def distribution_focal_loss(logits, targets, *, weights=None, reduction="mean"):
    """Generalized Focal Loss, eq. 6: -((y_{i+1} - y) log S_i + (y - y_i) log S_{i+1}) for y_i <= y <= y_{i+1},
    the bins one apart; a target on the last bin is that bin's cross-entropy."""
    x = as_float(logits)
    t = as_float(targets)
    n = x.shape[-1]
    rows, positions = x.reshape(-1, n), t.reshape(-1)
    loss = np.empty(len(positions))
    for k, (row, position) in enumerate(zip(rows, positions)):
        if not 0 <= position <= n - 1:
            loss[k] = np.nan
            continue
        left = min(int(np.floor(position)), n - 2)
        log_p = row - lse(row[None])[0]
        loss[k] = -((left + 1 - position) * log_p[left] + (position - left) * log_p[left + 1])
    return _weighted(loss.reshape(t.shape), weights, reduction)
