"""Compound losses: an overlap loss plus a per-element loss, as segmentation users write
by hand (MONAI's ``DiceCELoss``; see :func:`softmax_dice_focal_loss` for ``DiceFocalLoss``),
and Yeung et al.'s asymmetric unified focal loss, which is one such sum.

Both terms see the same targets, ``ignore_index``, ``weights`` and ``replica_sum``, so
one set of target conventions covers the sum. Each term is reduced on its own (the
Dice over its sets, the cross-entropy over elements), then weighted and added.
"""

from __future__ import annotations

from .dice import dice_loss, softmax_dice_loss
from .dispatch import loss_function
from .sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .softmax import softmax_cross_entropy, softmax_focal_loss
from .tversky import softmax_tversky
from .validation import check_number, invalid_argument

__all__ = ["asymmetric_unified_focal_loss", "dice_cross_entropy_loss", "dice_focal_loss",
           "softmax_dice_cross_entropy_loss", "softmax_dice_focal_loss"]


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


@loss_function
def asymmetric_unified_focal_loss(
    logits,
    labels,
    *,
    weight=0.5,
    delta=0.6,
    gamma=0.5,
    smooth=1e-7,
    per_image=True,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Asymmetric unified focal loss (Yeung et al.), multi-class: class 0 is the background,
    suppressed by the focal terms; every other class is foreground, enhanced.

    .. math::

        \mathcal{L} = \lambda\,\mathcal{L}_{\text{aFT}} + (1 - \lambda)\,\mathcal{L}_{\text{aF}}

    The asymmetric focal Tversky term, per image and class (``per_image``), with the
    Tversky index :math:`TI_c = (TP_c + s)/(TP_c + \delta\,FN_c + (1 - \delta)FP_c + s)`:

    .. math::

        \mathcal{L}_{\text{aFT}} = \operatorname{mean}_{\text{images}}\frac{1}{C}\Big[(1 - TI_0)
            + \sum_{c \ge 1} (1 - TI_c)^{1 - \gamma}\Big]

    and the asymmetric focal term, per element, summed over classes:

    .. math::

        \mathcal{L}_{\text{aF}} = \operatorname{mean}_i\Big[-(1 - \delta)\,t_{i0}(1 - p_{i0})^\gamma \log p_{i0}
            - \delta \sum_{c \ge 1} t_{ic} \log p_{ic}\Big],\qquad p_i = \operatorname{softmax}(x_i)

    For two classes it is the authors' binary loss (mlyg/unified-focal-loss, whose
    defaults these are); their classes generalise as background and foreground. Each
    term is written from the package's pieces: :func:`softmax_focal_tversky_loss`'s
    sets with a per-class exponent (1 for the background, :math:`1 - \gamma` for the
    foreground; a perfect set has loss and gradient 0) and two closed-form
    :func:`softmax_focal_loss` terms (per-class :math:`\alpha` of :math:`1 - \delta` for the
    background with focusing :math:`\gamma`, :math:`\delta` for the foreground without).
    The authors clip probabilities to :math:`[10^{-7}, 1 - 10^{-7}]`; here the
    log-probabilities are exact (saturated logits give the limit, not
    :math:`-\log 10^{-7}`).

    MONAI's binary ``AsymmetricUnifiedFocalLoss(weight=w)`` multiplies its focal term by
    ``w`` and averages that term over the two classes: it is
    ``(1 - w/2) * asymmetric_unified_focal_loss(weight=(1 - w)/(1 - w/2))`` on its
    probabilities' logits (its default ``delta`` is 0.7).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot/soft targets
    weight : float in [0, 1], default=0.5
        :math:`\lambda`, the share of the focal Tversky term.
    delta : float in [0, 1], default=0.6
        :math:`\delta`: the weight of the false negatives in the Tversky index and of
        the foreground in the focal term.
    gamma : float in [0, 1), default=0.5
        :math:`\gamma`: the background's focal suppression and the foreground's focal
        Tversky enhancement (an exponent :math:`1 - \gamma`, so below 1).
    smooth : float >= 0, default=1e-7
        :math:`s` of the Tversky index (the authors' epsilon).
    per_image : bool, default=True
        Tversky sets per image and class (the authors'); False pools the batch.
    ignore_index, axis, weights, replica_sum
        As in :func:`softmax_dice_cross_entropy_loss`, for both terms.
    reduction : {"mean", "sum"}, default="mean"
        Each term reduced on its own (sets; elements), then weighted and added.

    References
    ----------
    Yeung et al., `Unified Focal loss: Generalising Dice and cross entropy-based losses
    to handle class imbalanced medical image segmentation
    <https://arxiv.org/abs/2102.04525>`_, Computerized Medical Imaging and Graphics 2022.
    """
    weight = check_number("weight", weight, low=0, high=1)
    delta = check_number("delta", delta, low=0, high=1)
    gamma = check_number("gamma", gamma, low=0, high=1, high_open=True)
    foreground = logits.shape[axis] - 1  # the class axis is static (known when traced)
    return _weighted_sum(logits, labels, [
        ("weight", weight, softmax_tversky,
         {"exponent": [1.0] + [1 - gamma] * foreground, "alpha": 1 - delta, "beta": delta, "smooth": smooth,
          "per_sample": False, "per_image": per_image, "ignore_empty": False}),
        ("1 - weight", 1 - weight, softmax_focal_loss, {"alpha": [1 - delta] + [0.0] * foreground, "gamma": gamma}),
        ("1 - weight", 1 - weight, softmax_focal_loss, {"alpha": [0.0] + [delta] * foreground, "gamma": 0.0}),
    ], reduction=reduction,
        shared={"ignore_index": ignore_index, "axis": axis, "weights": weights, "replica_sum": replica_sum})
