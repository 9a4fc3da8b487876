"""Compound losses: the weighted sum of the two terms' oracles, each reduced on its own."""

from __future__ import annotations

from .dice import dice_loss, softmax_dice_loss
from .sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .softmax import softmax_cross_entropy, softmax_focal_loss


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
