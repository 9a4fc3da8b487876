"""Compound losses: the weighted sum of the two terms' oracles, each reduced on its own; the
asymmetric unified focal loss written out from its paper's two terms."""

from __future__ import annotations

import numpy as np

from ._common import as_float, reduce
from .dice import dice_loss, kept_set, reduce_sets, set_shape, softmax_dice_loss, softmax_sets
from .sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .softmax import _log_softmax, _softmax_setup, softmax_cross_entropy, softmax_focal_loss


def dice_cross_entropy_loss(logits, targets, *, dice_weight=1.0, cross_entropy_weight=1.0, smooth=1.0,
                            per_image=False, class_axis=None, ignore_empty=False, pos_weight=None, weights=None,
                            reduction="mean"):
    dice = dice_loss(logits, targets, smooth=smooth, per_image=per_image, class_axis=class_axis,
                     ignore_empty=ignore_empty, weights=weights, reduction=reduction)
    ce = sigmoid_cross_entropy(logits, targets, pos_weight=pos_weight, weights=weights, reduction=reduction)
    return dice_weight * dice + cross_entropy_weight * ce


def dice_focal_loss(logits, targets, *, dice_weight=1.0, focal_weight=1.0, gamma=2.0, alpha=0.25, smooth=1.0,
                    per_image=False, class_axis=None, ignore_empty=False, weights=None, reduction="mean"):
    dice = dice_loss(logits, targets, smooth=smooth, per_image=per_image, class_axis=class_axis,
                     ignore_empty=ignore_empty, weights=weights, reduction=reduction)
    focal = sigmoid_focal_loss(logits, targets, gamma=gamma, alpha=alpha, weights=weights, reduction=reduction)
    return dice_weight * dice + focal_weight * focal


def softmax_dice_cross_entropy_loss(logits, labels, *, dice_weight=1.0, cross_entropy_weight=1.0, smooth=1.0,
                                    per_image=False, ignore_empty=False, class_weights=None, label_smoothing=0.0,
                                    ignore_index=None, axis=-1, weights=None, reduction="mean"):
    dice = softmax_dice_loss(logits, labels, smooth=smooth, per_image=per_image, ignore_empty=ignore_empty,
                             ignore_index=ignore_index, axis=axis, weights=weights, reduction=reduction)
    ce = softmax_cross_entropy(logits, labels, class_weights=class_weights, label_smoothing=label_smoothing,
                               ignore_index=ignore_index, axis=axis, weights=weights, reduction=reduction)
    return dice_weight * dice + cross_entropy_weight * ce


def softmax_dice_focal_loss(logits, labels, *, dice_weight=1.0, focal_weight=1.0, gamma=2.0, alpha=None, smooth=1.0,
                            per_image=False, ignore_empty=False, ignore_index=None, axis=-1, weights=None,
                            reduction="mean"):
    dice = softmax_dice_loss(logits, labels, smooth=smooth, per_image=per_image, ignore_empty=ignore_empty,
                             ignore_index=ignore_index, axis=axis, weights=weights, reduction=reduction)
    focal = softmax_focal_loss(logits, labels, gamma=gamma, alpha=alpha, ignore_index=ignore_index, axis=axis,
                               weights=weights, reduction=reduction)
    return dice_weight * dice + focal_weight * focal


def asymmetric_unified_focal_loss(logits, labels, *, weight=0.5, delta=0.6, gamma=0.5, smooth=1e-7, per_image=True,
                                  ignore_index=None, axis=-1, weights=None, reduction="mean"):
    """Yeung et al.'s asymmetric unified focal loss (their binary code; class 0 the background, every
    other class foreground): weight * aFT + (1 - weight) * aF, each reduced on its own."""
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), shape).reshape(-1)
    log_p = _log_softmax(x)
    p = np.exp(log_p)
    # aF, per element: -(1 - delta) t_0 (1 - p_0)^gamma log p_0 - delta sum_{c >= 1} t_c log p_c.
    focal = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        for c in range(x.shape[1]):
            if t[i, c] == 0:
                continue
            factor = (1 - delta) * (1 - p[i, c]) ** gamma if c == 0 else delta
            focal[i] -= factor * t[i, c] * log_p[i, c]
    focal = reduce(w * focal, w, reduction)

    # aFT, per set: TI_c = (TP + s) / (TP + delta FN + (1 - delta) FP + s); 1 - TI_0 and (1 - TI_c)^(1 - gamma).
    def set_loss(c):
        def loss(q, y, v):
            tp = np.sum(v * np.minimum(q, y))
            fp = np.sum(v * (q - np.minimum(q, y)))
            fn = np.sum(v * (y - np.minimum(q, y)))
            den = tp + delta * fn + (1 - delta) * fp + smooth
            error = max(1 - ((tp + smooth) / den if den > 0 else 1.0), 0.0)
            return error if c == 0 else error ** (1 - gamma)
        return loss

    sets = softmax_sets([p, t, w], shape, per_image)
    losses = {k: set_loss(k[1])(*v) for k, v in sets.items()}
    kept = {k: kept_set(k, v, False) for k, v in sets.items()}
    tversky = reduce_sets(losses, kept, reduction, set_shape(sets))
    return weight * tversky + (1 - weight) * focal
