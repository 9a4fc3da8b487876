"""Tversky and focal Tversky: the index from TP, FP, FN counted element by element."""

from __future__ import annotations

import numpy as np

from .dice import sigmoid_overlap, softmax_overlap


def _tversky(alpha, beta, smooth, gamma):
    def set_loss(p, t, w):
        # FP and FN written out (not as totals minus TP); min(p, t) is the overlap of soft targets.
        tp = np.sum(w * np.minimum(p, t))
        fp = np.sum(w * (p - np.minimum(p, t)))
        fn = np.sum(w * (t - np.minimum(p, t)))
        den = tp + alpha * fp + beta * fn + smooth
        loss = 1 - ((tp + smooth) / den if den > 0 else 1.0)
        return max(loss, 0.0) ** (1 / gamma)

    return set_loss


def tversky_loss(logits, targets, *, alpha=0.5, beta=0.5, smooth=1.0, per_sample=False, per_image=False,
                 class_axis=None, ignore_empty=False, weights=None, reduction="mean"):
    return sigmoid_overlap(logits, targets, _tversky(alpha, beta, smooth, 1.0), per_sample=per_sample,
                           per_image=per_image, class_axis=class_axis, ignore_empty=ignore_empty, weights=weights,
                           reduction=reduction)


def focal_tversky_loss(logits, targets, *, gamma=4 / 3, alpha=0.5, beta=0.5, smooth=1.0, per_sample=False,
                       per_image=False, class_axis=None, ignore_empty=False, weights=None, reduction="mean"):
    return sigmoid_overlap(logits, targets, _tversky(alpha, beta, smooth, gamma), per_sample=per_sample,
                           per_image=per_image, class_axis=class_axis, ignore_empty=ignore_empty, weights=weights,
                           reduction=reduction)


def softmax_tversky_loss(logits, labels, *, alpha=0.5, beta=0.5, smooth=1.0, per_sample=False, per_image=False,
                         ignore_empty=False, ignore_index=None, axis=-1, weights=None, reduction="mean"):
    return softmax_overlap(logits, labels, _tversky(alpha, beta, smooth, 1.0), per_sample=per_sample,
                           per_image=per_image, ignore_empty=ignore_empty, ignore_index=ignore_index, axis=axis,
                           weights=weights, reduction=reduction)


def softmax_focal_tversky_loss(logits, labels, *, gamma=4 / 3, alpha=0.5, beta=0.5, smooth=1.0, per_sample=False,
                               per_image=False, ignore_empty=False, ignore_index=None, axis=-1, weights=None,
                               reduction="mean"):
    return softmax_overlap(logits, labels, _tversky(alpha, beta, smooth, gamma), per_sample=per_sample,
                           per_image=per_image, ignore_empty=ignore_empty, ignore_index=ignore_index, axis=axis,
                           weights=weights, reduction=reduction)
