"""Tversky and focal Tversky losses, sigmoid and softmax forms.

The Tversky index weighs the two kinds of error separately,
``TI = (TP + s) / (TP + alpha FP + beta FN + s)``, with ``alpha`` on false positives
and ``beta`` on false negatives as every library does (MONAI, kornia, optax,
Keras, SMP, mmseg). Focal Tversky raises each set's ``1 - TI`` to ``1/gamma``
before the mean over classes (Abraham & Khan's form).
"""

from __future__ import annotations

from .common import power, safe_divide
from .dice import self_adjusted_sigmoid, start_softmax_overlap_call
from .dispatch import loss_function
from .overlap import check_set_options, sigmoid_overlap_loss, softmax_overlap_loss
from .sigmoid import start_sigmoid_call
from .validation import check_number

__all__ = ["focal_tversky_loss", "softmax_focal_tversky_loss", "softmax_tversky_loss", "tversky_loss"]


def tversky_ratio(xp, total, q, t, *, alpha, beta, smooth, exponent):
    r"""``(1 - TI)^exponent`` of each set, ``total`` summing a set's elements; ``exponent`` is
    a number (``1/gamma`` of focal Tversky) or an array of one per class on the last axis.

    ``TP = total(min(q, t))``: the product ``q t`` for 0/1 targets, and for soft
    targets the largest overlap they allow (Wang & Blaschko's semimetric
    ``(|q| + |t| - |q - t|) / 2``, MONAI's ``soft_label``), so that the loss is 0
    exactly where ``q = t``. ``FP = total(max(q - t, 0))`` and
    ``FN = total(max(t - q, 0))`` are summed element by element, and the loss is
    written ``(alpha FP + beta FN) / (TP + alpha FP + beta FN + s)``: no difference
    of nearly equal totals (``1 - TI``, or ``total(q) - TP``) loses the small losses
    of nearly-right sets, whose gradient focal Tversky magnifies. The minimum is a
    ``where`` that takes the target at a tie (no gradient there, the same on every
    framework; torch.compile 2.13 with dynamic shapes also miscompiles the backward
    of ``torch.minimum`` in this graph).
    """
    below = q < t
    true_positive = total(xp.where(below, q, t))
    false_positive = total(xp.where(below, 0.0, q - t))
    false_negative = total(xp.where(below, t - q, 0.0))
    errors = alpha * false_positive + beta * false_negative
    # A zero denominator (smooth=0, nothing predicted or present) is perfect agreement: 0.
    loss = safe_divide(xp, errors, true_positive + errors + smooth)
    # A perfect set (loss 0) has gradient 0 for any exponent, a NaN loss stays NaN (power).
    return power(xp, loss, exponent)


def focal_exponent(gamma):
    """Focal Tversky's exponent ``1/gamma`` of a checked ``gamma > 0``."""
    return 1 / check_number("gamma", gamma, low=0, low_open=True)


def _check_options(alpha, beta, smooth, per_sample, per_image, ignore_empty, class_axis, reduction):
    options = {
        "alpha": check_number("alpha", alpha, low=0),
        "beta": check_number("beta", beta, low=0),
        "smooth": check_set_options(smooth=smooth, per_sample=per_sample, per_image=per_image,
                                    ignore_empty=ignore_empty, class_axis=class_axis, reduction=reduction),
    }
    return options


def _sigmoid_tversky(logits, targets, *, exponent, alpha, beta, smooth, per_sample, per_image, class_axis,
                     ignore_empty, weights, reduction, replica_sum):
    options = _check_options(alpha, beta, smooth, per_sample, per_image, ignore_empty, class_axis, reduction)
    options["exponent"] = exponent
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)

    def loss_of_sets(total, x, y):
        return tversky_ratio(call.xp, total, self_adjusted_sigmoid(call, x, alpha=0.0), y, **options)

    return sigmoid_overlap_loss(call, x, y, weights, loss_of_sets, per_sample=per_sample, per_image=per_image,
                                class_axis=class_axis, ignore_empty=ignore_empty, reduction=reduction,
                                replica_sum=replica_sum)


def softmax_tversky(logits, labels, *, exponent, alpha, beta, smooth, per_sample, per_image, ignore_empty,
                    ignore_index, axis, weights, reduction, replica_sum):
    """The softmax Tversky family: ``(1 - TI_c)^exponent`` per class and set, ``exponent`` a
    number or a sequence of one per class (the asymmetric unified focal loss's)."""
    options = _check_options(alpha, beta, smooth, per_sample, per_image, ignore_empty, None, reduction)
    call, targets, p = start_softmax_overlap_call(logits, labels, axis=axis, ignore_index=ignore_index, weights=weights)
    options["exponent"] = exponent if isinstance(exponent, (int, float)) else call.asarray(exponent)
    return softmax_overlap_loss(
        call, p, targets, weights, lambda total, p, t: tversky_ratio(call.xp, total, p, t, **options),
        per_sample=per_sample, per_image=per_image, ignore_empty=ignore_empty, reduction=reduction,
        replica_sum=replica_sum,
    )


@loss_function
def tversky_loss(
    logits,
    targets,
    *,
    alpha=0.5,
    beta=0.5,
    smooth=1.0,
    per_sample=False,
    per_image=False,
    class_axis=None,
    ignore_empty=False,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Tversky loss on sigmoid probabilities (binary and multi-label segmentation).

    .. math::

        p = \sigma(x),\quad TP = \sum_i w_i \min(p_i, y_i),\quad
        FP = \sum_i w_i p_i - TP,\quad FN = \sum_i w_i y_i - TP,

        \mathcal{L} = 1 - \frac{TP + s}{TP + \alpha\,FP + \beta\,FN + s}

    over each set of elements (see :func:`dice_loss` for the sets: pooled by
    default, per channel with ``class_axis``, per image, per element). ``alpha``
    weighs false positives and ``beta`` false negatives, as in MONAI, kornia,
    optax, Keras and SMP (the focal-Tversky authors' code puts its ``alpha`` on the
    false negatives: pass their value as ``beta``). :math:`\min(p, y) = p\,y` for
    0/1 targets; for soft targets it makes the loss 0 exactly where the
    probabilities equal the targets (MONAI's ``soft_label=True``). With
    :math:`\alpha = \beta = 1/2` it is :func:`dice_loss` with smooth :math:`2s`.

    Parameters
    ----------
    logits : array of any shape, e.g. ``(N, C, H, W)``
    targets : array of the shape of ``logits``, values in [0, 1]
    alpha : float >= 0, default=0.5
        Weight of the false positives.
    beta : float >= 0, default=0.5
        Weight of the false negatives; ``beta > alpha`` favours recall (small lesions).
    smooth : float >= 0, default=1.0
        :math:`s`, added to numerator and denominator.
    per_sample, per_image, class_axis, ignore_empty, weights, reduction, replica_sum
        As in :func:`dice_loss`.

    References
    ----------
    Salehi et al., `Tversky loss function for image segmentation using 3D fully
    convolutional deep networks <https://arxiv.org/abs/1706.05721>`_, MLMI 2017.
    Wang & Blaschko, `Dice Semimetric Losses <https://arxiv.org/abs/2303.16296>`_, MICCAI 2023.
    """
    return _sigmoid_tversky(logits, targets, exponent=1.0, alpha=alpha, beta=beta, smooth=smooth, per_sample=per_sample,
                            per_image=per_image, class_axis=class_axis, ignore_empty=ignore_empty, weights=weights,
                            reduction=reduction, replica_sum=replica_sum)


@loss_function
def softmax_tversky_loss(
    logits,
    labels,
    *,
    alpha=0.5,
    beta=0.5,
    smooth=1.0,
    per_sample=False,
    per_image=False,
    ignore_empty=False,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Tversky loss on softmax probabilities, one index per class, averaged over classes.

    .. math::

        \mathcal{L}_c = 1 - \frac{TP_c + s}{TP_c + \alpha\,FP_c + \beta\,FN_c + s},\quad
        TP_c = \sum_i w_i \min(p_{ic}, t_{ic})

    with :math:`FP_c = \sum_i w_i p_{ic} - TP_c`, :math:`FN_c = \sum_i w_i t_{ic} - TP_c`
    over each set (the batch by default, each image with ``per_image``, each
    element with ``per_sample``; see :func:`softmax_dice_loss`), one-hot or given
    dense targets :math:`t` and element weights :math:`w` (0 for ``ignore_index``).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot/soft targets
    alpha, beta, smooth
        As in :func:`tversky_loss`.
    per_sample, per_image, ignore_empty, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_dice_loss`.

    References
    ----------
    Salehi et al., `Tversky loss function for image segmentation using 3D fully
    convolutional deep networks <https://arxiv.org/abs/1706.05721>`_, MLMI 2017.
    """
    return softmax_tversky(logits, labels, exponent=1.0, alpha=alpha, beta=beta, smooth=smooth, per_sample=per_sample,
                            per_image=per_image, ignore_empty=ignore_empty, ignore_index=ignore_index, axis=axis,
                            weights=weights, reduction=reduction, replica_sum=replica_sum)


@loss_function
def focal_tversky_loss(
    logits,
    targets,
    *,
    gamma=4 / 3,
    alpha=0.5,
    beta=0.5,
    smooth=1.0,
    per_sample=False,
    per_image=False,
    class_axis=None,
    ignore_empty=False,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Focal Tversky loss on sigmoid probabilities: each set's Tversky loss to the power 1/γ.

    .. math::

        \mathcal{L} = \operatorname{mean}_{\text{sets}} \left(1 - TI\right)^{1/\gamma}

    with :math:`TI` the Tversky index of :func:`tversky_loss`. The power is taken
    per set (per class with ``class_axis``) before the mean, as in the paper;
    :math:`\gamma > 1` raises the loss of nearly-right sets relative to bad ones
    (the gradient grows as :math:`TI \to 1`), and :math:`\gamma = 1` is
    :func:`tversky_loss`. Other conventions in circulation: the authors' Keras
    code uses exponent 0.75 (:math:`\gamma = 4/3`) with its ``alpha = 0.7`` on the
    false negatives (here ``beta=0.7, alpha=0.3``); SMP raises the *class mean* to
    :math:`\gamma`; MONAI's asymmetric focal Tversky is binary and uses
    :math:`(1 - TI)^{1 - \gamma}`. A perfect set (loss 0) has gradient 0.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    gamma : float > 0, default=4/3
        The paper recommends 4/3 (its range is [1, 3]).
    alpha, beta, smooth, per_sample, per_image, class_axis, ignore_empty, weights, reduction, replica_sum
        As in :func:`tversky_loss`.

    References
    ----------
    Abraham & Khan, `A Novel Focal Tversky loss function with improved Attention
    U-Net for lesion segmentation <https://arxiv.org/abs/1810.07842>`_, ISBI 2019.
    """
    return _sigmoid_tversky(logits, targets, exponent=focal_exponent(gamma), alpha=alpha, beta=beta, smooth=smooth,
                            per_sample=per_sample, per_image=per_image, class_axis=class_axis,
                            ignore_empty=ignore_empty, weights=weights, reduction=reduction, replica_sum=replica_sum)


@loss_function
def softmax_focal_tversky_loss(
    logits,
    labels,
    *,
    gamma=4 / 3,
    alpha=0.5,
    beta=0.5,
    smooth=1.0,
    per_sample=False,
    per_image=False,
    ignore_empty=False,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Focal Tversky loss on softmax probabilities: :math:`(1 - TI_c)^{1/\gamma}` per
    class (and image), then the mean.

    .. math::

        \mathcal{L} = \frac{1}{C} \sum_c \left(1 - TI_c\right)^{1/\gamma}

    with :math:`TI_c` the Tversky index of :func:`softmax_tversky_loss`; the
    exponent applies to each class before the class mean (the paper's form, not
    SMP's power of the mean; see :func:`focal_tversky_loss`).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    gamma : float > 0, default=4/3
    alpha, beta, smooth, per_sample, per_image, ignore_empty, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_tversky_loss`.

    References
    ----------
    Abraham & Khan, `A Novel Focal Tversky loss function with improved Attention
    U-Net for lesion segmentation <https://arxiv.org/abs/1810.07842>`_, ISBI 2019.
    """
    return softmax_tversky(logits, labels, exponent=focal_exponent(gamma), alpha=alpha, beta=beta, smooth=smooth,
                            per_sample=per_sample, per_image=per_image, ignore_empty=ignore_empty,
                            ignore_index=ignore_index, axis=axis, weights=weights, reduction=reduction,
                            replica_sum=replica_sum)
