"""Compound losses: an overlap loss plus a per-element loss, as segmentation users write
by hand (MONAI's ``DiceCELoss``; see :func:`softmax_dice_focal_loss` for ``DiceFocalLoss``).

Both terms see the same targets, ``ignore_index``, ``weights`` and ``replica_sum``, so
one set of target conventions covers the sum. Each term is reduced on its own (the
Dice over its sets, the cross-entropy over elements), then weighted and added.
"""

from __future__ import annotations

from .dice import dice_loss, softmax_dice_loss
from .dispatch import loss_function
from .sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .softmax import softmax_cross_entropy, softmax_focal_loss
from .validation import check_number, invalid_argument

__all__ = ["dice_cross_entropy_loss", "dice_focal_loss", "softmax_dice_cross_entropy_loss", "softmax_dice_focal_loss"]


def _weighted_sum(logits, labels, terms, *, reduction, shared):
    """``sum_k weight_k * loss_k(logits, labels, **options_k, **shared)``."""
    if reduction not in ("mean", "sum"):
        raise invalid_argument("reduction", "'mean' or 'sum' (the terms have different shapes unreduced)", reduction)
    total = 0.0
    for name, weight, loss, options in terms:
        weight = check_number(name, weight, low=0)
        total = total + weight * loss(logits, labels, **options, **shared, reduction=reduction)
    return total


@loss_function
def dice_cross_entropy_loss(
    logits,
    targets,
    *,
    dice_weight=1.0,
    cross_entropy_weight=1.0,
    smooth=1.0,
    per_image=False,
    class_axis=None,
    ignore_empty=False,
    pos_weight=None,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Sigmoid Dice plus binary cross-entropy (multi-label segmentation).

    .. math::

        \mathcal{L} = \lambda_{\text{Dice}}\,\mathcal{L}_{\text{Dice}} + \lambda_{\text{CE}}\,\mathcal{L}_{\text{BCE}}

    with :func:`dice_loss` (its sets: pooled, per image, per channel) and
    :func:`sigmoid_cross_entropy` (per element), each reduced on its own.

    Parameters
    ----------
    logits : array of any shape, e.g. ``(N, C, H, W)``
    targets : array of the shape of ``logits``, values in [0, 1]
    dice_weight, cross_entropy_weight : float >= 0, default=1.0
        :math:`\lambda_{\text{Dice}}`, :math:`\lambda_{\text{CE}}` (MONAI's ``lambda_dice``, ``lambda_ce``).
    smooth, per_image, class_axis, ignore_empty
        Of the Dice term, as in :func:`dice_loss`.
    pos_weight
        Of the cross-entropy term, as in :func:`sigmoid_cross_entropy`.
    weights : array broadcastable to ``logits``, default=None
        Both terms: they weight the Dice sums and the cross-entropy mean.
    reduction : {"mean", "sum"}, default="mean"
    replica_sum : callable, default=None
        As in :func:`dice_loss`, for both terms.
    References
    ----------
    Isensee et al., `nnU-Net: a self-configuring method for deep learning-based
    biomedical image segmentation <https://arxiv.org/abs/1809.10486>`_, Nature Methods 2021
    (Dice + cross-entropy); Taghanaki et al., `Combo loss: Handling input and output
    imbalance in multi-organ segmentation <https://arxiv.org/abs/1805.02798>`_, CMIG 2019.
    """
    return _weighted_sum(logits, targets, [
        ("dice_weight", dice_weight, dice_loss,
         {"smooth": smooth, "per_image": per_image, "class_axis": class_axis, "ignore_empty": ignore_empty}),
        ("cross_entropy_weight", cross_entropy_weight, sigmoid_cross_entropy, {"pos_weight": pos_weight}),
    ], reduction=reduction, shared={"weights": weights, "replica_sum": replica_sum})


@loss_function
def dice_focal_loss(
    logits,
    targets,
    *,
    dice_weight=1.0,
    focal_weight=1.0,
    gamma=2.0,
    alpha=0.25,
    smooth=1.0,
    per_image=False,
    class_axis=None,
    ignore_empty=False,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Sigmoid Dice plus sigmoid focal loss (multi-label segmentation).

    .. math::

        \mathcal{L} = \lambda_{\text{Dice}}\,\mathcal{L}_{\text{Dice}} + \lambda_{\text{focal}}\,\mathcal{L}_{\text{focal}}

    with :func:`dice_loss` and :func:`sigmoid_focal_loss`, each reduced on its own.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    dice_weight, focal_weight : float >= 0, default=1.0
    gamma, alpha
        Of the focal term, as in :func:`sigmoid_focal_loss`.
    smooth, per_image, class_axis, ignore_empty
        Of the Dice term, as in :func:`dice_loss`.
    weights, reduction, replica_sum
        As in :func:`dice_cross_entropy_loss`.
    References
    ----------
    Zhu et al., `AnatomyNet: Deep learning for fast and fully automated whole-volume
    segmentation of head and neck anatomy <https://arxiv.org/abs/1808.05238>`_, Medical
    Physics 2019 (Dice + focal).
    """
    return _weighted_sum(logits, targets, [
        ("dice_weight", dice_weight, dice_loss,
         {"smooth": smooth, "per_image": per_image, "class_axis": class_axis, "ignore_empty": ignore_empty}),
        ("focal_weight", focal_weight, sigmoid_focal_loss, {"gamma": gamma, "alpha": alpha}),
    ], reduction=reduction, shared={"weights": weights, "replica_sum": replica_sum})


@loss_function
def softmax_dice_cross_entropy_loss(
    logits,
    labels,
    *,
    dice_weight=1.0,
    cross_entropy_weight=1.0,
    smooth=1.0,
    per_image=False,
    ignore_empty=False,
    class_weights=None,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Softmax Dice plus cross-entropy (multi-class segmentation, MONAI's ``DiceCELoss``).

    .. math::

        \mathcal{L} = \lambda_{\text{Dice}}\,\mathcal{L}_{\text{Dice}} + \lambda_{\text{CE}}\,\mathcal{L}_{\text{CE}}

    with :func:`softmax_dice_loss` (per class, pooled or per image) and
    :func:`softmax_cross_entropy` (per element), each reduced on its own, on the
    same labels, ``ignore_index`` and ``weights``.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot/soft targets
    dice_weight, cross_entropy_weight : float >= 0, default=1.0
    smooth, per_image, ignore_empty
        Of the Dice term, as in :func:`softmax_dice_loss`.
    class_weights, label_smoothing
        Of the cross-entropy term, as in :func:`softmax_cross_entropy`.
    ignore_index, axis, weights, replica_sum
        Both terms, as in :func:`softmax_dice_loss`.
    reduction : {"mean", "sum"}, default="mean"
    References
    ----------
    Isensee et al., `nnU-Net: a self-configuring method for deep learning-based
    biomedical image segmentation <https://arxiv.org/abs/1809.10486>`_, Nature Methods 2021
    (Dice + cross-entropy); Taghanaki et al., `Combo loss: Handling input and output
    imbalance in multi-organ segmentation <https://arxiv.org/abs/1805.02798>`_, CMIG 2019.
    """
    return _weighted_sum(logits, labels, [
        ("dice_weight", dice_weight, softmax_dice_loss,
         {"smooth": smooth, "per_image": per_image, "ignore_empty": ignore_empty}),
        ("cross_entropy_weight", cross_entropy_weight, softmax_cross_entropy,
         {"class_weights": class_weights, "label_smoothing": label_smoothing}),
    ], reduction=reduction,
        shared={"ignore_index": ignore_index, "axis": axis, "weights": weights, "replica_sum": replica_sum})


@loss_function
def softmax_dice_focal_loss(
    logits,
    labels,
    *,
    dice_weight=1.0,
    focal_weight=1.0,
    gamma=2.0,
    alpha=None,
    smooth=1.0,
    per_image=False,
    ignore_empty=False,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Softmax Dice plus softmax focal loss (multi-class segmentation).

    Not MONAI's ``DiceFocalLoss(softmax=True)``, whose focal term is a sigmoid focal
    loss on the one-hot channels (MONAI#8242): that is :func:`softmax_dice_loss` plus
    :func:`sigmoid_focal_loss` with ``alpha=None``. The focal term here is summed over
    classes; ``focal_weight=1/C`` gives MONAI's ``DiceLoss(softmax=True)`` plus
    ``FocalLoss(use_softmax=True)``, which averages over classes.

    .. math::

        \mathcal{L} = \lambda_{\text{Dice}}\,\mathcal{L}_{\text{Dice}} + \lambda_{\text{focal}}\,\mathcal{L}_{\text{focal}}

    with :func:`softmax_dice_loss` and :func:`softmax_focal_loss`, each reduced on
    its own, on the same labels, ``ignore_index`` and ``weights``.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    dice_weight, focal_weight : float >= 0, default=1.0
    gamma, alpha
        Of the focal term, as in :func:`softmax_focal_loss`.
    smooth, per_image, ignore_empty
        Of the Dice term, as in :func:`softmax_dice_loss`.
    ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_dice_cross_entropy_loss`.
    References
    ----------
    Zhu et al., `AnatomyNet: Deep learning for fast and fully automated whole-volume
    segmentation of head and neck anatomy <https://arxiv.org/abs/1808.05238>`_, Medical
    Physics 2019 (Dice + focal).
    """
    return _weighted_sum(logits, labels, [
        ("dice_weight", dice_weight, softmax_dice_loss,
         {"smooth": smooth, "per_image": per_image, "ignore_empty": ignore_empty}),
        ("focal_weight", focal_weight, softmax_focal_loss, {"gamma": gamma, "alpha": alpha}),
    ], reduction=reduction,
        shared={"ignore_index": ignore_index, "axis": axis, "weights": weights, "replica_sum": replica_sum})
