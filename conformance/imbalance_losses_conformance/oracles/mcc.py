"""The Matthews correlation loss: explicit soft confusion counts per set."""

from __future__ import annotations

import numpy as np

from .dice import sigmoid_overlap


def _mcc(smooth):
    def set_loss(p, t, w):
        tp, tn = np.sum(w * p * t), np.sum(w * (1 - p) * (1 - t))
        fp, fn = np.sum(w * p * (1 - t)), np.sum(w * (1 - p) * t)
        if fp == 0 and fn == 0:  # predicted exactly
            return 0.0
        product = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn) + smooth
        return 1 - ((tp * tn - fp * fn) / np.sqrt(product) if product > 0 else 0.0)

    return set_loss


def mcc_loss(logits, targets, *, smooth=1e-5, per_image=False, class_axis=None, ignore_empty=False, weights=None,
             reduction="mean"):
    """1 - (TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN) + s) per set (Matthews, 1975)."""
    return sigmoid_overlap(logits, targets, _mcc(smooth), per_sample=False, per_image=per_image,
                           class_axis=class_axis, ignore_empty=ignore_empty, weights=weights, reduction=reduction)
