"""Sigmoid (binary and multi-label) cross-entropy and focal loss.

Every element of ``logits`` is an independent binary decision with target
``y`` in [0, 1] of the same shape.
"""

from __future__ import annotations

from ._common import binary_targets, element_weights, log_sigmoid, reduce_loss, softplus, start_call
from ._validation import check_array_values, check_broadcastable, check_number

__all__ = ["sigmoid_cross_entropy", "sigmoid_focal_loss"]


def start_sigmoid_call(logits, targets, **arrays):
    """The call, the logits and the targets of a sigmoid-family loss."""
    call, x = start_call(logits, targets=targets, **arrays)
    return call, x, binary_targets(call, targets, logits.shape)


def binary_cross_entropy(xp, x, y, pos_weight=None):
    """``-[pw * y log sigmoid(x) + (1 - y) log sigmoid(-x)]`` from one softplus.

    Uses ``-log sigmoid(x) = softplus(-x)`` and ``-log sigmoid(-x) = x + softplus(-x)``.
    """
    sp = softplus(xp, -x)
    if pos_weight is None:
        return sp + (1 - y) * x
    return (1 - y) * x + (1 + (pos_weight - 1) * y) * sp


def log_one_minus_pt(xp, x, y):
    """``log(1 - p_t)`` with ``1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x)``, in log space.

    The dominant target weight ``y' = max(y, 1 - y) >= 1/2`` is factored out:
    ``log(1 - p_t) = log sigmoid(x') + log y' + softplus(-x' + log r)`` with
    ``r = (1 - y') / y'`` in [0, 1] and ``x' = -x`` where ``y >= 1/2``, ``x``
    elsewhere. For hard labels ``r = 0`` and this is ``log sigmoid(-x)`` (y = 1) or
    ``log sigmoid(x)`` (y = 0); ``log r`` is taken only where ``r > 0``, so no log
    of 0 is evaluated or differentiated. (``log sigmoid(x')`` is not derived from
    the cross-entropy's ``softplus(-x)``: ``x - softplus(x)`` cancels in float32.)
    """
    high = y >= 0.5
    x_dominant = xp.where(high, -x, x)
    y_dominant = xp.where(high, y, 1 - y)
    ratio = (1 - y_dominant) / y_dominant
    soft = ratio > 0
    log_ratio = xp.where(soft, xp.log(xp.where(soft, ratio, 1)), -xp.inf)
    return log_sigmoid(xp, x_dominant) + xp.log(y_dominant) + softplus(xp, log_ratio - x_dominant)


def _alpha_factor(call, alpha, y):
    """``alpha_t = alpha y + (1 - alpha)(1 - y)`` (None: no factor)."""
    if alpha is None:
        return None
    if isinstance(alpha, (int, float)):
        a = check_number("alpha", alpha, low=0, high=1)
    else:
        a = call.asarray(alpha)
        check_broadcastable("alpha", a.shape, y.shape, "`logits` of shape")
    return a * y + (1 - a) * (1 - y)


def sigmoid_cross_entropy(logits, targets, *, pos_weight=None, label_smoothing=0.0, weights=None, reduction="mean", replica_sum=None):
    r"""Binary cross-entropy on logits, for binary and multi-label problems.

    .. math::

        \ell = -\left[w_+\, y' \log\sigma(x) + (1 - y') \log\sigma(-x)\right],
        \qquad y' = y (1 - \varepsilon) + \varepsilon / 2

    computed as :math:`(1-y')x + (1 + (w_+ - 1) y')\operatorname{softplus}(-x)`,
    finite for every finite logit. Same as PyTorch's
    ``binary_cross_entropy_with_logits`` (``pos_weight``) and Keras'
    ``BinaryCrossentropy`` (``label_smoothing``).

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``
        Values in [0, 1]: 0/1 (bool, int or float) or soft targets.
    pos_weight : float or array broadcastable to ``logits``, default=None
        The weight :math:`w_+` of the positive term, e.g. ``n_neg / n_pos`` per
        class (shape ``(C,)`` for multi-label logits ``(N, C)``). A factor of the
        loss, not of the mean's denominator.
    label_smoothing : float in [0, 1], default=0.0
    weights : array, default=None
        Per-element weights broadcastable to ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Szegedy et al., `Rethinking the Inception Architecture for Computer Vision
    <https://arxiv.org/abs/1512.00567>`_, 2016 (label smoothing); for the positive
    weight, PyTorch's ``BCEWithLogitsLoss(pos_weight=...)``.
    """
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, pos_weight=pos_weight)
    eps = check_number("label_smoothing", label_smoothing, low=0, high=1)
    if eps:
        y = y * (1 - eps) + eps / 2
    pw = None
    if isinstance(pos_weight, (int, float)):
        pw = check_number("pos_weight", pos_weight, low=0)
    elif pos_weight is not None:
        pw = call.asarray(pos_weight)
        check_broadcastable("pos_weight", pw.shape, x.shape, "`logits` of shape")
        check_array_values(call.xp, "pos_weight", lambda: pw >= 0, "non-negative values")
    loss = binary_cross_entropy(call.xp, x, y, pw)
    return reduce_loss(call, loss, element_weights(call, weights, x.shape), reduction, replica_sum=replica_sum)


def sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, weights=None, reduction="mean", replica_sum=None):
    r"""Sigmoid focal loss (RetinaNet), for binary and multi-label problems.

    .. math::

        \ell = \alpha_t (1 - p_t)^\gamma\, \mathrm{BCE}(x, y),\quad
        p_t = y\,\sigma(x) + (1 - y)(1 - \sigma(x)),\quad
        \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    The factor :math:`(1 - p_t)^\gamma` is computed as
    :math:`\exp(\gamma \log(1 - p_t))` with :math:`\log(1 - p_t)` from
    log-sigmoids (see ``log_one_minus_pt``), so values and gradients stay finite
    for any finite logit and for :math:`\gamma < 1`. Soft targets follow the
    formula above (as torchvision and optax do). ``gamma=0`` and ``alpha=None``
    give the binary cross-entropy; the factor is not detached.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    alpha : float in [0, 1], array broadcastable to ``logits``, or None; default=0.25
        Weight of the positive class; None switches :math:`\alpha_t` off.
    gamma : float >= 0, default=2.0
    weights : array, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over all elements (weighted); RetinaNet instead sums and
        divides by the number of positive anchors: use ``"sum"`` and divide.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Lin et al., `Focal Loss for Dense Object Detection
    <https://arxiv.org/abs/1708.02002>`_, 2017.
    """
    gamma = check_number("gamma", gamma, low=0)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, alpha=alpha)
    xp = call.xp
    loss = binary_cross_entropy(xp, x, y)
    if gamma:
        loss = loss * xp.exp(gamma * log_one_minus_pt(xp, x, y))
    alpha_t = _alpha_factor(call, alpha, y)
    if alpha_t is not None:
        loss = loss * alpha_t
    return reduce_loss(call, loss, element_weights(call, weights, x.shape), reduction, replica_sum=replica_sum)
