"""Softmax (single-label, multi-class) cross-entropy and focal loss.

Every function here moves the class ``axis`` last and computes its per-element
loss as a closed-form term over each row of logits: the value, an expectation
over the (smoothed) targets (:class:`~imbalance_losses.core.targets.Distribution`),
and its derivative with respect to the row, side by side. A term saves only
per-row statistics for its derivative (the row's maximum and total; for integer
labels also the target's ``-log p_t`` and exact complement ``1 - p_t``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .autodiff import closed_form
from .common import (
    LossCall,
    class_axis_last,
    combine_weights,
    option_vector,
    power,
    start_call,
)
from .dispatch import loss_function
from .targets import ClassTargets, Distribution, label_mask
from .terms import WeightedTerm
from .validation import check_number

__all__ = ["softmax_cross_entropy", "softmax_focal_loss"]


def start_softmax_call(logits, labels, *, axis, label_smoothing, ignore_index, **arrays):
    """The call, the logits (class axis last, compute dtype) and the targets."""
    call, x = start_call(logits, labels=labels, **arrays)
    x = class_axis_last(call, x, axis)
    targets = ClassTargets(call, labels, logits_shape=tuple(logits.shape), axis=axis,
                           label_smoothing=label_smoothing, ignore_index=ignore_index)
    return call, x, targets


def softmax_term(call: LossCall, targets: ClassTargets, term, x, arrays, static=None, *, weights, class_weights=None,
                 slope=None) -> WeightedTerm:
    """A rowwise term over class targets, weighted by the user weights and the ignore mask.

    The term's values already carry their class weights; the mean's denominator
    also counts the class weight of each target (PyTorch's rule). Out-of-range
    labels make their element NaN.
    """
    w = targets.element_weights(weights)
    return WeightedTerm(call, term, x, arrays, {**(static or {}), **targets.static}, weights=w,
                        norm_weights=combine_weights(w, targets.target_weight(class_weights)), targets=targets,
                        slope=slope, axis=targets.axis)


def row_statistics(xp, x):
    """Each row's maximum ``m``, ``e = exp(x - m)`` and ``total = sum_c e_c`` (``m``, ``total`` keepdims).

    Softmax losses are invariant to a constant added to a row, so they work on
    ``z = x - m``: then ``log p = z - log(total)`` is a difference of O(log C)
    numbers, exact to the dtype's precision even for logits of 1e4 in float32
    (where ``x - logsumexp(x)`` would lose ~1e-3). A term saves ``m`` and ``total``;
    its derivative recomputes ``e`` from them (the same expression, which a
    compiler computes once).
    """
    m = xp.max(x, axis=-1, keepdims=True)
    e = xp.exp(x - m)
    return m, e, xp.sum(e, axis=-1, keepdims=True)


def probabilities(xp, x, m, total):
    """``softmax(x)`` from a row's saved maximum and total."""
    return xp.exp(x - m) / total


def fused_softmax(xp, x):
    """The namespace's fused softmax kernels for ``x``, or None where the standard form is used.

    An eager framework runs each standard operation as its own kernel with its own
    (..., C) buffer; its fused softmax kernel computes the same in one. An adapter's
    namespace may provide them as ``fused_softmax``: ``target_statistics(x, target)``
    (the row's maximum, total and the target's complement, keepdims),
    ``scaled_residual(x, target, scale)`` (``scale * (softmax(x) - onehot(t))``) and
    ``pays_off(x)``, whether they are faster for ``x`` (not under a compiler, which
    fuses the standard form itself; not for short rows).
    """
    kernels = getattr(xp, "fused_softmax", None)
    return kernels if kernels is not None and kernels.pays_off(x) else None


def target_parts(xp, x, target):
    """``(-log p_t, u, m, total)`` for integer labels (each keepdims): the target's negative
    log-probability and complement ``u = 1 - p_t``, both exact, and the row statistics.

    ``u`` is the other classes' sum (``rest / total``), never ``1 - p_t``: exact however
    close ``p_t`` is to 1. Where the target is the row's maximum, ``-log p_t =
    log1p(rest)``; elsewhere ``log(total) - z_t``, exact for a ``p_t`` of any magnitude
    (no log of an underflowed ``p_t``). The statistics come from the standard form
    or, where an adapter offers them, from one fused kernel (:func:`fused_softmax`).
    """
    kernels = fused_softmax(xp, x)
    if kernels is None:
        m, e, total = row_statistics(xp, x)
        rest = _rest(xp, e, label_mask(xp, target, x.shape[-1]))
        u = rest / total
        z_t = xp.take_along_axis(x - m, target[..., None], axis=-1)
    else:
        m, total, u = kernels.target_statistics(x, target)
        rest = u * total
        z_t = xp.take_along_axis(x, target[..., None], axis=-1) - m
    # rest * e^(-z_t) is rest where the target is the maximum (z_t = 0) and keeps the
    # dependence on x_t exact there also at tied maxima, between which the maximum's
    # own derivative is split (second derivatives). The inner where keeps e^(-z_t) =
    # inf out of the other branch and its derivative.
    top = z_t == 0
    nlp = xp.where(top, xp.log1p(rest * xp.exp(-xp.where(top, z_t, 0.0))), xp.log(total) - z_t)
    return nlp, u, m, total


def scaled_softmax_residual(xp, x, target, scale, stats):
    """``scale * (softmax(x) - onehot(target))`` for integer labels, from the row's saved
    ``stats = (m, total)``: cross-entropy's gradient scaled per row (``scale`` of shape
    (..., 1) or a number), which is every hard-label softmax term's gradient."""
    kernels = fused_softmax(xp, x)
    if kernels is not None:
        return kernels.scaled_residual(x, target, scale)
    p = probabilities(xp, x, *stats)
    return scale * xp.where(label_mask(xp, target, x.shape[-1]), p - 1, p)


def _distribution(xp, x, target, index, smoothing):
    return Distribution(xp, target, x.shape[-1], index=index, smoothing=smoothing)


@closed_form("softmax_cross_entropy", rowwise=True)
def softmax_cross_entropy_term(xp, x, target, class_weights, *, index, smoothing):
    r"""``-sum_c w_c t'_c log p_c = W log(total) - sum_c w_c t'_c z_c`` with ``W = sum_c w_c t'_c``.

    Linear in ``z``: one gather (or one ``vecdot``) per row, no N x C product.
    """
    m, _, total = row_statistics(xp, x)
    t = _distribution(xp, x, target, index, smoothing)
    z = x - m
    total_weight = t.expect_vector(class_weights)
    weighted = t.expect(z if class_weights is None else z * class_weights)
    return total_weight * xp.log(total[..., 0]) - weighted, (m, total)


@softmax_cross_entropy_term.defderivative
def _(xp, x, target, class_weights, *, saved, index, smoothing):
    # d/dx_j [W log(total) - sum_c w_c t'_c z_c] = W p_j - w_j t'_j (the row shift cancels).
    t = _distribution(xp, x, target, index, smoothing)
    total_weight = t.expect_vector(class_weights)
    total_weight = total_weight if isinstance(total_weight, float) else total_weight[..., None]
    if t.gathers:  # w_j t'_j = W at the label, 0 elsewhere
        return scaled_softmax_residual(xp, x, target, total_weight, saved)
    p = probabilities(xp, x, *saved)
    weighted_targets = t.dense(x.dtype) if class_weights is None else t.dense(x.dtype) * class_weights
    return total_weight * p - weighted_targets


@softmax_cross_entropy_term.defcurvature
def _(xp, x, target, class_weights, *, saved, fisher, index, smoothing):
    # d/dx_j (W p_j - w_j t'_j) = W p_j (1 - p_j): never negative (fisher: the same).
    total_weight = _distribution(xp, x, target, index, smoothing).expect_vector(class_weights)
    total_weight = total_weight if isinstance(total_weight, float) else total_weight[..., None]
    return total_weight * variances(xp, x, *saved)


def first_maximum(xp, z):
    """Each row's first maximum, as a (..., C) mask (its ``z`` is 0)."""
    return label_mask(xp, xp.argmax(z, axis=-1), z.shape[-1])


def _rest(xp, e, mask):
    """``sum e`` over each row's classes outside ``mask`` (keepdims): no cancellation."""
    return xp.sum(xp.where(mask, 0.0, e), axis=-1, keepdims=True)


def complements(xp, z, e, total, first):
    """``u_c = 1 - p_c`` and ``-log p_c`` for every class, exact as ``p_c -> 1``.

    A class that is not its row's first maximum has ``e_c <= total / 2``, so
    ``total - e_c`` is exact. The first maximum (``z = 0``, ``e = 1``) may have
    ``p`` rounding to 1: its complement is the other classes' sum, taken apart
    (``rest``), and ``-log p = log1p(rest)``; neither is a difference of nearly
    equal numbers.
    """
    rest = _rest(xp, e, first)
    u = xp.where(first, rest, total - e) / total
    return u, xp.where(first, xp.log1p(rest), xp.log(total) - z)


def variances(xp, x, m, total):
    """``p_c (1 - p_c)`` for every class, with ``1 - p_c`` exact (see :func:`complements`)."""
    z = x - m
    e = xp.exp(z)
    u, _ = complements(xp, z, e, total, first_maximum(xp, z))
    return e / total * u


def log_ratio(xp, nlp, u):
    """``rho = -log p / (1 - p)``, which tends to 1 as ``u = 1 - p -> 0`` (no 0/0 there)."""
    positive = u > 0
    return xp.where(positive, nlp / xp.where(positive, u, 1.0), 1.0)


def _dense_focal_parts(xp, x, t, alpha_vector, m, e, total, alpha):
    """For dense or smoothed targets, per class: ``a t'``, ``u = 1 - p``, ``-log p``, ``p``."""
    u, nlp = complements(xp, x - m, e, total, first_maximum(xp, x - m))
    a = alpha if alpha_vector is None else alpha_vector
    return (t.dense(x.dtype) if a is None else t.dense(x.dtype) * a), u, nlp, e / total


def _target_alpha(xp, t, alpha_vector, alpha):
    """``alpha_t`` per row (keepdims) for integer labels: the vector's entry, the number, or 1."""
    if alpha_vector is not None:
        return t.at_target_of_vector(alpha_vector)[..., None]
    return 1.0 if alpha is None else alpha


@closed_form("softmax_focal", rowwise=True)
def softmax_focal_term(xp, x, target, alpha_vector, *, index, smoothing, alpha, gamma, epsilon=0.0):
    r""":math:`\sum_c a_c t'_c (1 - p_c)^\gamma (-\log p_c + \epsilon (1 - p_c))`, with :math:`1 - p_c` exact.

    ``epsilon`` is Poly-1's weight of the first polynomial term (0: focal loss);
    since :math:`\sum_c t'_c = 1`, at :math:`\gamma = 0` its term is
    :math:`\epsilon (1 - \sum_c t'_c p_c)`. For integer labels without smoothing only
    the target's class enters (:func:`target_parts`, saved for the derivative);
    otherwise every class, from the row's saved maximum and total.
    """
    t = _distribution(xp, x, target, index, smoothing)
    if t.gathers:
        saved = target_parts(xp, x, target)
        nlp, u = saved[:2]
        weight = _target_alpha(xp, t, alpha_vector, alpha)
    else:
        m, e, total = row_statistics(xp, x)
        saved = (m, total)
        weight, u, nlp, _ = _dense_focal_parts(xp, x, t, alpha_vector, m, e, total, alpha)
    if gamma:
        weight = weight * power(xp, u, gamma)
    if epsilon:
        nlp = nlp + epsilon * u
    return xp.sum(weight * nlp, axis=-1), saved


class FocalWeights(NamedTuple):
    """The derivative's weights ``B`` and what they are made of, for the derivative and the curvature."""

    p_needed: Any  # p of the classes the targets need (the target's alone for integer labels)
    u: Any  # 1 - p of those classes, exact
    rho: Any  # -log p / u (None at gamma 0, where nothing needs it)
    modulated: Any  # a t' u^gamma
    weights: Any  # B = a t' u^gamma (1 + gamma p rho + epsilon (gamma + 1) p)


def _focal_weights(xp, x, t, alpha_vector, saved, alpha, gamma, epsilon) -> FocalWeights:
    if t.gathers:
        nlp, u = saved[:2]
        p_needed = xp.exp(-nlp)
        weight = _target_alpha(xp, t, alpha_vector, alpha)
    else:
        m, total = saved
        weight, u, nlp, p_needed = _dense_focal_parts(xp, x, t, alpha_vector, m, xp.exp(x - m), total, alpha)
    return focal_weights(xp, weight, p_needed, u, nlp, gamma, epsilon)


def focal_weights(xp, weight, p, u, nlp, gamma, epsilon) -> FocalWeights:
    """The focal derivative's weights ``B = a t' u^gamma (1 + gamma p rho + epsilon (gamma + 1) p)``
    of classes of probability ``p``, exact complement ``u``, ``-log p = nlp`` and target weight
    ``weight`` (arrays, or the numbers of one sample)."""
    rho = log_ratio(xp, nlp, u) if gamma else None
    modulated = weight * power(xp, u, gamma) if gamma else weight
    slope = 1 + gamma * p * rho if gamma else 1.0
    if epsilon:
        slope = slope + epsilon * (gamma + 1) * p
    return FocalWeights(p, u, rho, modulated, modulated * slope)


@softmax_focal_term.defderivative
def _(xp, x, target, alpha_vector, *, saved, index, smoothing, alpha, gamma, epsilon=0.0, row_scale=None):
    r"""With :math:`u_c = 1 - p_c` and :math:`\rho_c = -\log p_c / u_c` (:math:`\to 1` as :math:`u_c \to 0`):

    .. math::

        B_c = a_c t'_c u_c^\gamma \big(1 + \gamma p_c \rho_c + \epsilon (\gamma + 1) p_c\big),\qquad
        \frac{\partial \ell}{\partial x_j} = p_j \sum_c B_c - B_j

    since :math:`\partial p_c / \partial x_j = p_c(\delta_{cj} - p_j)`. For a hard label
    only :math:`B_t` is non-zero: :math:`B_t (p_j - \delta_{tj})`, cross-entropy's
    gradient scaled per row. Only :math:`u^\gamma` appears, so the gradient is finite
    for every :math:`\gamma \ge 0`. ``row_scale`` (the upstream gradient, per row)
    multiplies the weights :math:`B` before the (..., C) result is formed.
    """
    t = _distribution(xp, x, target, index, smoothing)
    weights = _focal_weights(xp, x, t, alpha_vector, saved, alpha, gamma, epsilon).weights
    if row_scale is not None:
        weights = weights * row_scale
    if t.gathers:
        return scaled_softmax_residual(xp, x, target, weights, saved[2:])
    return probabilities(xp, x, *saved) * xp.sum(weights, axis=-1, keepdims=True) - weights


@softmax_focal_term.defcurvature
def _(xp, x, target, alpha_vector, *, saved, fisher, index, smoothing, alpha, gamma, epsilon=0.0):
    r"""Write the loss as :math:`\sum_c a_c t'_c F(p_c)` and let :math:`B_c = -a_c t'_c p_c F'(p_c)`
    (the derivative's weights) and :math:`H_c = a_c t'_c p_c\, (p F')'(p_c)`. Then
    :math:`\partial \ell/\partial x_j = p_j \sum_c B_c - B_j` and

    .. math::

        \frac{\partial^2 \ell}{\partial x_j^2} = H_j u_j^2 + p_j^2 \sum_{c \ne j} H_c + p_j u_j \sum_c B_c,
        \qquad H_c = a_c t'_c u_c^\gamma p_c \Big[\frac{\gamma}{u_c}\big(2 + (\gamma - 1) p_c\rho_c
            + \epsilon(\gamma + 1) p_c\big) - \gamma\rho_c - \epsilon(\gamma + 1)\Big]

    in O(C) per row. :math:`H_c \sim u_c^{\gamma - 1}` is large where :math:`p_c \to 1`
    with :math:`\gamma < 1`, but it only ever meets :math:`u_c^2` or :math:`p_j^2 \le u_c^2`;
    :math:`\sum_{c \ne j} H_c` is summed apart for the row's largest class (no
    difference of large numbers). Negative for badly misclassified samples when
    :math:`\gamma > 0`. The positive form (``fisher``) is softmax cross-entropy's
    Hessian with the effective target weights :math:`B_c`: :math:`p_j u_j \sum_c B_c`
    (for a hard label the gradient is :math:`B_t (p - e_t)`, cross-entropy's times
    :math:`B_t`). Both equal cross-entropy's at :math:`\gamma = \epsilon = 0`.
    """
    t = _distribution(xp, x, target, index, smoothing)
    f = _focal_weights(xp, x, t, alpha_vector, saved, alpha, gamma, epsilon)
    m, e, total = row_statistics(xp, x)
    z = x - m
    first = first_maximum(xp, z)
    u_all, _ = complements(xp, z, e, total, first)
    p = e / total
    fisher_part = p * u_all * xp.sum(f.weights, axis=-1, keepdims=True)
    if fisher:
        return fisher_part
    modulated, p_needed, u, rho = f.modulated, f.p_needed, f.u, f.rho
    second = -modulated * (epsilon * (gamma + 1))
    if gamma:
        # u^gamma / (u + tiny): 0 where u underflows to 0, never 0 * inf.
        over_u = modulated / (u + xp.finfo(x.dtype).smallest_normal)
        second = second + gamma * (over_u * (2 + (gamma - 1) * p_needed * rho + epsilon * (gamma + 1) * p_needed)
                                   - modulated * rho)
    second = second * p_needed
    if t.gathers:  # only the target's H_t is non-zero
        return xp.where(t.dense(xp.bool), second * u * u, p * p * second) + fisher_part
    rest = xp.sum(xp.where(first, 0.0, second), axis=-1, keepdims=True)
    others = xp.where(first, rest, xp.sum(second, axis=-1, keepdims=True) - second)
    return second * u_all * u_all + p * p * others + fisher_part


@loss_function
def softmax_cross_entropy(
    logits,
    labels,
    *,
    class_weights=None,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Softmax cross-entropy with class weights, label smoothing and ignored labels.

    .. math::

        \ell_i = -\sum_c w_c\, t'_{ic} \log \operatorname{softmax}(x_i)_c,
        \qquad t' = (1 - \varepsilon)\, t + \varepsilon / C

    where ``t`` is the one-hot of an integer label or the given target row and
    ``w`` the class weights (1 when not given). ``"mean"`` divides the sum of the
    (user-weighted) losses by the sum of the element weights times the class
    weight of each target as given, ``sum_c w_c t_{ic}``, over non-ignored
    elements. With integer labels this is exactly PyTorch's ``F.cross_entropy``
    (``weight``, ``ignore_index``, ``label_smoothing``), and one-hot targets give
    the same result as the integer labels they encode. The gradient is the closed
    form :math:`W_i p_{ic} - w_c t'_{ic}`, :math:`W_i = \sum_c w_c t'_{ic}`.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
        Unnormalised scores; the classes lie along ``axis``.
    labels : array
        Integer class indices with the shape of ``logits`` without ``axis``, or
        floating one-hot/soft targets with the shape of ``logits``.
    class_weights : array or sequence of shape ``(C,)``, default=None
    label_smoothing : float in [0, 1], default=0.0
    ignore_index : int, default=None
        Integer labels equal to it contribute nothing, also to the mean's
        denominator. Dense targets are never ignored.
    axis : int, default=-1
        The class axis of ``logits`` (and of dense ``labels``).
    weights : array, default=None
        Per-element weights broadcastable to the unreduced loss.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    Returns
    -------
    array
        A scalar, or the per-element losses (shape of ``labels`` without the
        class axis) for ``"none"``, in the dtype of ``logits``.

    References
    ----------
    Szegedy et al., `Rethinking the Inception Architecture for Computer Vision
    <https://arxiv.org/abs/1512.00567>`_, 2016 (label smoothing).
    """
    call, x, targets = start_softmax_call(
        logits, labels, axis=axis, label_smoothing=label_smoothing, ignore_index=ignore_index,
        weights=weights, class_weights=class_weights,
    )
    cw = option_vector(call, "class_weights", class_weights, targets.num_classes)
    return softmax_term(call, targets, softmax_cross_entropy_term, x, (targets.target, cw), weights=weights,
                        class_weights=cw).reduce(reduction, replica_sum)


def alpha_vector_option(call: LossCall, alpha, num_classes):
    """Softmax focal's ``alpha``: a static number >= 0, a (C,) vector or None, as ``(vector, number)``."""
    if alpha is None:
        return None, None
    if isinstance(alpha, (int, float)):
        return None, check_number("alpha", alpha, low=0)
    return option_vector(call, "alpha", alpha, num_classes), None


@loss_function
def softmax_focal_loss(
    logits,
    labels,
    *,
    alpha=None,
    gamma=2.0,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Multi-class focal loss on softmax probabilities.

    .. math::

        \ell_i = -\sum_c \alpha_c\, t'_{ic}\, (1 - p_{ic})^\gamma \log p_{ic},
        \qquad p_i = \operatorname{softmax}(x_i)

    which for a hard label ``t`` is :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`.
    :math:`\log(1 - p_c)` is exact as :math:`p_c \to 1`: the other classes'
    log-sum-exp for the row's maximum, :math:`\operatorname{log1p}(-p_c)` for the
    rest. The gradient is written in closed form with only
    :math:`(1 - p_c)^\gamma` in it, so it stays finite for :math:`\gamma < 1` and
    logits of any magnitude. ``gamma=0`` is the (alpha-weighted) cross-entropy.
    Unlike Keras' ``CategoricalFocalCrossentropy``, ``alpha`` is the per-class
    :math:`\alpha_t`, not a factor of every class.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : array
        Integer class indices (shape of ``logits`` without ``axis``) or floating
        one-hot/soft targets (shape of ``logits``).
    alpha : float, sequence or array of shape ``(C,)``, default=None
        A scalar factor or per-class weights :math:`\alpha_c`; None means 1. It is a
        factor of the loss, not of the mean's denominator.
    gamma : float >= 0, default=2.0
    label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    Returns
    -------
    array
        A scalar, or per-element losses for ``"none"``.

    References
    ----------
    Lin et al., `Focal Loss for Dense Object Detection
    <https://arxiv.org/abs/1708.02002>`_, 2017.
    """
    gamma = check_number("gamma", gamma, low=0)
    call, x, targets = start_softmax_call(
        logits, labels, axis=axis, label_smoothing=label_smoothing, ignore_index=ignore_index,
        weights=weights, alpha=alpha,
    )
    alpha_vector, alpha = alpha_vector_option(call, alpha, targets.num_classes)
    return softmax_term(call, targets, softmax_focal_term, x, (targets.target, alpha_vector),
                        {"alpha": alpha, "gamma": gamma}, weights=weights).reduce(reduction, replica_sum)
