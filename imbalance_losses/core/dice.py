"""Self-adjusting Dice loss (Li et al. 2020), sigmoid and softmax forms.

Dice compares a soft prediction ``q`` with the targets ``y`` through
``1 - (2 sum q y + s) / (sum q + sum y + s)``. The self-adjusting variant uses
``q = (1 - p)^alpha p``, which down-weights easy examples much like focal loss.
"""

from __future__ import annotations

import math

from .autodiff import closed_form
from .common import compiling, reduce_loss, safe_divide
from .dispatch import loss_function
from .overlap import (
    check_flags,
    check_set_options,
    overlap_ratio,
    sigmoid_overlap_loss,
    softmax_overlap_loss,
    softmax_sets,
)
from .sigmoid import logistic, start_sigmoid_call
from .softmax import first_maximum, start_softmax_call
from .validation import check_choice, check_number

__all__ = ["dice_loss", "generalized_dice_loss", "softmax_dice_loss"]


def _check_options(alpha, smooth, square_denominator, per_sample, per_image, ignore_empty, class_axis, reduction):
    alpha = check_number("alpha", alpha, low=0)
    check_flags(square_denominator=square_denominator)
    smooth = check_set_options(smooth=smooth, per_sample=per_sample, per_image=per_image, ignore_empty=ignore_empty,
                               class_axis=class_axis, reduction=reduction)
    return alpha, smooth


def dice_ratio(xp, total, q, t, smooth, square_denominator):
    """``1 - (2 total(q t) + s) / (total(q) + total(t) + s)`` (squares in the denominator
    with ``square_denominator``), ``total`` summing each set (the identity for the
    per-element form).

    Written as ``total(q + t - 2 q t) / (total(q) + total(t) + s)`` (``total((q - t)^2)``
    over the squares): the disagreement summed element by element, so that the small
    loss of a nearly-right set is not the difference of two nearly equal ratios.
    """
    if square_denominator:
        disagreement, denominator = total((q - t) * (q - t)), total(q * q) + total(t * t)
    else:
        disagreement, denominator = total(q + t - 2 * q * t), total(q) + total(t)
    # A zero denominator (smooth=0, nothing predicted or present) is perfect agreement: 0.
    return safe_divide(xp, disagreement, denominator + smooth)


@closed_form("self_adjusted_sigmoid")
def self_adjusted_sigmoid(xp, x, *, alpha):
    r"""``q = (1 - p)^alpha p = sigmoid(x) sigmoid(-x)^alpha``."""
    sigmoid_x, sigmoid_minus_x = logistic(xp, x, softpluses=False)
    return (sigmoid_x * xp.pow(sigmoid_minus_x, alpha) if alpha else sigmoid_x), ()


@self_adjusted_sigmoid.defderivative
def _(xp, x, *, saved, alpha):
    # d log sigmoid(x)/dx = sigmoid(-x), d log sigmoid(-x)/dx = -sigmoid(x):
    # dq/dx = q (sigmoid(-x) - alpha sigmoid(x)).
    sigmoid_x, sigmoid_minus_x = logistic(xp, x, softpluses=False)
    q = sigmoid_x * xp.pow(sigmoid_minus_x, alpha) if alpha else sigmoid_x
    return q * (sigmoid_minus_x - alpha * sigmoid_x)


def start_softmax_overlap_call(logits, labels, *, alpha=0.0, axis, ignore_index, weights):
    """The call, the targets (unsmoothed) and ``q = (1 - p)^alpha p`` of a softmax overlap loss."""
    call, x, targets = start_softmax_call(logits, labels, axis=axis, label_smoothing=0.0, ignore_index=ignore_index,
                                          weights=weights)
    return call, targets, self_adjusted_softmax(call, x, alpha)


def self_adjusted_softmax(call, x, alpha):
    """``q_c = (1 - p_c)^alpha p_c`` of every class (traced autodiff: the coupling of
    classes through the softmax makes a closed form no cheaper here).

    ``(1 - p_c)^alpha = exp(alpha log(1 - p_c))`` with ``log(1 - p_c)`` exact and with a
    bounded gradient: for each row's first maximum it is the other classes'
    log-sum-exp minus the row's (autodiff of a power of the complement itself would
    divide by a complement that may underflow to 0: NaN), for the others
    ``log1p(-p_c)`` with ``p_c <= 1/2``.
    """
    xp = call.xp
    # Shifted by the detached row maximum: autodiff then sees the total's true gradient.
    z = x - call.stop_gradient(xp.max(x, axis=-1, keepdims=True))
    e = xp.exp(z)
    total = xp.sum(e, axis=-1, keepdims=True)
    log_total = xp.log(total)
    # Under torch.compile e * exp(-log total), not e / total: PyTorch 2.13's Inductor with
    # dynamic shapes miscompiles the backward of the quotient's per-image weighted sums
    # when the class axis was moved last (gradients off by ~300%; reproducer in
    # docs/training-loops.md). Eagerly the quotient, the most accurate form.
    p = e * xp.exp(-log_total) if compiling(xp) else e / total
    if not alpha:
        return p
    first = first_maximum(xp, call.stop_gradient(z))
    others = xp.where(first, -math.inf, z)
    second = call.stop_gradient(xp.max(others, axis=-1, keepdims=True))
    second = xp.where(second > -math.inf, second, 0.0)  # one class: no other class, log(0) = -inf
    log_rest = second + xp.log(xp.sum(xp.exp(others - second), axis=-1, keepdims=True))
    # Each branch finite where the other is taken, so the unused one adds no NaN gradient.
    log_u = xp.where(first, log_rest - log_total, xp.log1p(-xp.where(first, 0.0, p)))
    return xp.exp(alpha * log_u) * p


@loss_function
def dice_loss(
    logits,
    targets,
    *,
    alpha=0.0,
    smooth=1.0,
    square_denominator=False,
    per_sample=False,
    per_image=False,
    class_axis=None,
    ignore_empty=False,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Self-adjusting Dice loss on sigmoid probabilities (binary and multi-label).

    .. math::

        q = (1 - p)^\alpha p,\quad p = \sigma(x),\qquad
        \mathcal{L} = 1 - \frac{2\sum_i w_i q_i y_i + s}{\sum_i w_i q_i + \sum_i w_i y_i + s}

    where the sums run over one set of elements, the ``weights`` :math:`w` enter
    every sum linearly (0/1 weights mask; any non-negative weights keep the loss in
    [0, 1] and invariant to their scale), and squares :math:`\sum w q^2, \sum w y^2`
    in the denominator with ``square_denominator``. By default every element is one
    binary decision and all elements form one set (a scalar for every
    ``reduction``). ``class_axis`` makes each channel along it its own set
    (multi-label segmentation: one Dice per class, averaged over classes, as MONAI's
    multi-channel sigmoid Dice); ``per_image`` makes each sample its own set;
    ``per_sample`` each element (:math:`1 - \frac{2qy + s}{q + y + s}`).

    Parameters
    ----------
    logits : array of any shape, e.g. ``(N, C, H, W)``
    targets : array of the shape of ``logits``, values in [0, 1]
    alpha : float >= 0, default=0.0
        The self-adjusting exponent; the authors tune it in {0.1, 0.01, 0.001}.
    smooth : float >= 0, default=1.0
        :math:`s`, added to numerator and denominator.
    square_denominator : bool, default=False
    per_sample : bool, default=False
        Every element its own set (the per-element NLP form); then ``weights`` and
        ``reduction`` act over elements as in the cross-entropy losses.
    per_image : bool, default=False
        One set per sample (and class): sums over the spatial axes of each sample,
        then ``reduction`` over samples and classes (MONAI's ``batch=False``; kornia's
        ``average="macro"`` when every class is in every image). Default: every sample of the batch in one set per class.
    ignore_empty : bool, default=False
        Sets without a positive target are left out of the average over sets (0 with
        ``"none"``).
    class_axis : int, default=None
        The axis of the classes (channels), each its own set; None pools all elements.
    weights : array broadcastable to ``logits``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
        Over the sets (images and/or classes) or, with ``per_sample``, the elements.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; the pooled sums (and the mean over
        images or elements) then cover the global batch and every replica returns the
        global loss. See the distributed-training guide.

    Returns
    -------
    A scalar, or with ``reduction="none"`` the loss of each set: shape ``()``
    pooled, ``(N,)`` per image, ``(C,)`` per class, ``(N, C)`` per image and class,
    the shape of ``logits`` per element.

    References
    ----------
    Li et al., `Dice Loss for Data-imbalanced NLP Tasks <https://arxiv.org/abs/1911.02855>`_, ACL 2020.
    """
    alpha, smooth = _check_options(alpha, smooth, square_denominator, per_sample, per_image, ignore_empty,
                                   class_axis, reduction)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)

    def loss_of_sets(total, x, y):
        q = self_adjusted_sigmoid(call, x, alpha=alpha)
        return dice_ratio(call.xp, total, q, y, smooth, square_denominator)

    return sigmoid_overlap_loss(call, x, y, weights, loss_of_sets, per_sample=per_sample, per_image=per_image,
                            class_axis=class_axis, ignore_empty=ignore_empty, reduction=reduction,
                            replica_sum=replica_sum)


@loss_function
def softmax_dice_loss(
    logits,
    labels,
    *,
    alpha=0.0,
    smooth=1.0,
    square_denominator=False,
    per_sample=False,
    per_image=False,
    ignore_empty=False,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Self-adjusting Dice loss on softmax probabilities, per class, averaged over classes.

    .. math::

        q_{ic} = (1 - p_{ic})^\alpha p_{ic},\qquad
        \mathcal{L}_c = 1 - \frac{2\sum_i w_i q_{ic} t_{ic} + s}{\sum_i w_i q_{ic} + \sum_i w_i t_{ic} + s}

    with one-hot (or given dense) targets :math:`t` and element weights :math:`w`
    (ignored elements have :math:`w = 0`), the sums running over one set of
    elements. By default each class is one Dice pooled over the batch and
    ``reduction`` acts over the classes (``"none"`` returns shape ``(C,)``);
    ``per_image`` gives one Dice per sample and class (``(N, C)``), the form
    segmentation libraries default to; ``ignore_empty`` drops sets without positive
    targets from the average (shown as 0 with ``"none"``). ``per_sample=True`` gives
    each element the per-class Dice :math:`1 - \frac{2qt + s}{q + t + s}` averaged
    over classes, then ``weights`` and ``reduction`` over elements.
    :math:`\log(1 - p)` is computed accurately (as in :func:`softmax_focal_loss`).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot/soft targets
    alpha, smooth, square_denominator
        As in :func:`dice_loss`.
    per_sample, per_image, ignore_empty
        As in :func:`dice_loss`.
    ignore_index : int, default=None
    axis : int, default=-1
        The class axis of ``logits``.
    weights : array broadcastable to the elements (``logits`` without ``axis``), default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        As in :func:`dice_loss`.

    References
    ----------
    Li et al., `Dice Loss for Data-imbalanced NLP Tasks <https://arxiv.org/abs/1911.02855>`_, ACL 2020.
    """
    alpha, smooth = _check_options(alpha, smooth, square_denominator, per_sample, per_image, ignore_empty, None,
                                   reduction)
    call, targets, q = start_softmax_overlap_call(logits, labels, alpha=alpha, axis=axis, ignore_index=ignore_index,
                                                  weights=weights)
    return softmax_overlap_loss(
        call, q, targets, weights, lambda total, q, t: dice_ratio(call.xp, total, q, t, smooth, square_denominator),
        per_sample=per_sample, per_image=per_image, ignore_empty=ignore_empty, reduction=reduction,
        replica_sum=replica_sum,
    )


GENERALIZED_DICE_WEIGHTS = ("square", "simple", "uniform")


def sudre_weights(xp, volumes, weight_type):
    """Class weights from each set's target volumes (classes last): ``1/V^2``, ``1/V`` or 1.

    An absent class (volume 0) would get an infinite weight; it gets the largest
    weight of the classes present in its set instead (MONAI's rule), so that
    predicting it is still penalised, and a set without any present class gets
    weights 0 (its loss is then 0: nothing to compare).
    """
    if weight_type == "uniform":
        return xp.ones_like(volumes)
    present = volumes > 0
    inverse = 1 / xp.where(present, volumes, 1.0)
    weights = xp.where(present, inverse * inverse if weight_type == "square" else inverse, 0.0)
    return xp.where(present, weights, xp.max(weights, axis=-1, keepdims=True))


@loss_function
def generalized_dice_loss(
    logits,
    labels,
    *,
    weight_type="square",
    smooth=1e-5,
    per_image=False,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Generalized Dice loss (Sudre et al.) on softmax probabilities.

    .. math::

        \mathcal{L} = 1 - \frac{2 \sum_c v_c \sum_i w_i p_{ic} t_{ic} + s}
                               {\sum_c v_c \sum_i w_i (p_{ic} + t_{ic}) + s},\qquad
        v_c = \frac{1}{\left(\sum_i w_i t_{ic}\right)^2}

    one ratio of class-weighted sums per set (the batch, or each image with
    ``per_image``), with :math:`v_c = 1/V_c^2` (``"square"``), :math:`1/V_c`
    (``"simple"``) or 1 (``"uniform"``) for the target volume :math:`V_c` of the
    class in the set, so that a small structure counts as much as a large one.
    Absent classes (:math:`V_c = 0`) get the largest weight of the classes present
    in the set, not infinity (MONAI's rule): predicting an absent class is
    penalised and no value or gradient is infinite or NaN. This is Sudre's ratio of
    weighted sums, not optax's weighted mean of per-class Dice losses. The weights
    depend on the targets only.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot/soft targets
    weight_type : {"square", "simple", "uniform"}, default="square"
    smooth : float >= 0, default=1e-5
        :math:`s` (MONAI's value, so that the loss equals MONAI's). It is added after
        the weighting, where with ``"square"`` weights the sums are of order 1/volume:
        not negligible for large volumes (a random guess on 1x2x96^3 gives 0.24, not
        0.50). Pass 0.0 for 3-D volumes; an empty set still gives 0.
    per_image : bool, default=False
        One loss per sample, then ``reduction`` over samples (MONAI's ``batch=False``);
        default one loss for the batch (a scalar for every ``reduction``).
    ignore_index, axis, weights, replica_sum
        As in :func:`softmax_dice_loss`.
    reduction : {"mean", "sum", "none"}, default="mean"
        Over the images with ``per_image`` (``"none"``: shape ``(N,)``).

    References
    ----------
    Sudre et al., `Generalised Dice overlap as a deep learning loss function for
    highly unbalanced segmentations <https://arxiv.org/abs/1707.03237>`_, DLMIA 2017.
    """
    check_choice("weight_type", weight_type, GENERALIZED_DICE_WEIGHTS)
    smooth = check_set_options(smooth=smooth, per_image=per_image, reduction=reduction)
    call, targets, p = start_softmax_overlap_call(logits, labels, axis=axis, ignore_index=ignore_index, weights=weights)
    xp = call.xp
    t = targets.one_hot(poisoned=False)  # out-of-range labels poison the loss below
    w = targets.element_weights(weights)
    sets = softmax_sets(call, p.ndim, per_image=per_image, weights=w, replica_sum=replica_sum)
    volumes = call.stop_gradient(sets.total(t))
    class_weights = sudre_weights(xp, volumes, weight_type)
    numerator = 2 * xp.sum(class_weights * sets.total(p * t), axis=-1) + smooth
    denominator = xp.sum(class_weights * (sets.total(p) + volumes), axis=-1) + smooth
    loss = overlap_ratio(xp, numerator, denominator)
    poison = targets.poison_of(sets.total)
    loss = loss if poison is None else loss + poison[..., 0]
    if per_image:
        valid = sets.valid_images()
        return reduce_loss(call, loss, None if valid is None else valid[..., 0], reduction, replica_sum=replica_sum)
    return call.finish(loss)
