"""Softmax (single-label, multi-class) cross-entropy and focal loss.

Every function here moves the class ``axis`` last, computes per-class
integrands and takes their expectation over the (smoothed) targets through
:class:`~imbalance_losses._targets.ClassTargets`.
"""

from __future__ import annotations

from ._common import (
    LossCall,
    class_axis_last,
    combine_weights,
    element_weights,
    logsumexp,
    option_vector,
    reduce_loss,
    start_call,
)
from ._targets import ClassTargets
from ._validation import check_number

__all__ = ["softmax_cross_entropy", "softmax_focal_loss"]


def start_softmax_call(logits, labels, *, axis, label_smoothing, ignore_index, **arrays):
    """The call, the shifted logits (class axis last, compute dtype) and the targets.

    Softmax losses are invariant to adding a constant to a row of logits, so each
    row is shifted by its (gradient-stopped) maximum: then ``log p = z - log sum e^z``
    is a difference of O(log C) numbers, exact to the dtype's precision even for
    logits of 1e4 in float32 (where ``x - logsumexp(x)`` would lose ~1e-3).
    """
    call, x = start_call(logits, labels=labels, **arrays)
    x = class_axis_last(call, x, axis)
    # The max of the detached logits: no autograd node keeps a copy of x for it.
    shift = call.xp.max(call.stop_gradient(x), axis=-1, keepdims=True)
    targets = ClassTargets(
        call, labels, logits_shape=tuple(logits.shape), axis=axis,
        label_smoothing=label_smoothing, ignore_index=ignore_index, unshifted=x, shift=shift,
    )
    return call, x - shift, targets


def log_partition(xp, z):
    """``log sum_c e^{z_c}`` (keepdims) of row-shifted logits ``z`` (row maximum 0)."""
    return xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))


def finish_softmax_loss(call: LossCall, targets: ClassTargets, loss, *, weights, class_weights=None, reduction,
                        replica_sum=None):
    """Reduce per-element losses with user weights and the ignore mask.

    The losses already carry their class weights; the mean's denominator also
    counts the class weight of each target (PyTorch's rule).
    """
    w = combine_weights(element_weights(call, weights, targets.element_shape), targets.valid_weight())
    norm = combine_weights(w, targets.target_weight(class_weights))
    return reduce_loss(call, loss, w, reduction, norm_weights=norm, replica_sum=replica_sum)


def log_one_minus_softmax(call: LossCall, z, log_z, class_ids, z_selected):
    """``log(1 - softmax(z)_c)`` for the classes ``class_ids`` (with logits ``z_selected``).

    Accurate as ``p_c -> 1``: for row-shifted logits ``z`` (maximum 0, partition
    ``log_z``), a class that is
    not the row's first maximum has ``p_c <= 1/2``, where ``log1p(-p_c)`` is exact
    and its gradient has no cancellation. For the first maximum ``p_c`` may round
    to 1, so ``1 - p_c = sum_{j != c} e^{z_j} / sum_j e^{z_j}`` is summed in log
    space over the other classes directly.
    """
    xp = call.xp
    first_max = xp.astype(xp.argmax(z, axis=-1, keepdims=True), class_ids.dtype)
    is_first_max = class_ids == first_max
    all_ids = xp.arange(z.shape[-1], dtype=class_ids.dtype, device=call.device)
    rest = xp.where(all_ids == first_max, xp.asarray(-xp.inf, dtype=z.dtype, device=call.device), z)
    log_rest = logsumexp(call, rest, keepdims=True) - log_z
    # On the first maximum's entries the other branch is replaced by 0 before the
    # log1p, so no log(0) is differentiated there.
    p = xp.where(is_first_max, xp.zeros_like(log_z), xp.exp(z_selected - log_z))
    return xp.where(is_first_max, log_rest, xp.log1p(-p))


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
    the same result as the integer labels they encode.

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
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
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
    # -sum_c t'_c w_c log p_c = log Z * sum_c t'_c w_c - sum_c t'_c w_c z_c: linear in z.
    log_z = log_partition(call.xp, x)[..., 0]
    weight = targets.weight_total(cw)
    loss = (log_z if weight is None else log_z * weight) - targets.weighted_logits(cw)
    return finish_softmax_loss(call, targets, loss, weights=weights, class_weights=cw, reduction=reduction,
                               replica_sum=replica_sum)


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
    The modulating factor is computed in log space,
    :math:`(1-p_c)^\gamma = \exp(\gamma \log(1 - p_c))` with
    :math:`\log(1 - p_c) = \operatorname{LSE}_{j \ne c} x_j - \operatorname{LSE}_j x_j`,
    so it stays exact as :math:`p_c \to 1` and gradients stay finite for
    :math:`\gamma < 1` and logits of any magnitude. ``gamma=0`` is the
    (alpha-weighted) cross-entropy. Unlike Keras' ``CategoricalFocalCrossentropy``,
    ``alpha`` is the per-class :math:`\alpha_t`, not a factor of every class.

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
    log_z = log_partition(call.xp, x)
    x_selected = targets.select(x)
    integrand = log_z - x_selected
    if gamma:
        log_q = log_one_minus_softmax(call, x, log_z, targets.class_ids, x_selected)
        integrand = integrand * call.xp.exp(gamma * log_q)
    if isinstance(alpha, (int, float)):
        integrand = integrand * check_number("alpha", alpha, low=0)
    elif alpha is not None:
        integrand = integrand * targets.select_vector(option_vector(call, "alpha", alpha, targets.num_classes))
    loss = targets.expect(integrand)
    return finish_softmax_loss(call, targets, loss, weights=weights, reduction=reduction, replica_sum=replica_sum)
