"""Self-adjusting Dice loss (Li et al. 2020), sigmoid and softmax forms.

Dice compares a soft prediction ``q`` with the targets ``y`` through
``1 - (2 sum q y + s) / (sum q + sum y + s)``. The self-adjusting variant uses
``q = (1 - p)^alpha p``, which down-weights easy examples much like focal loss.
"""

from __future__ import annotations

import math

from .autodiff import closed_form
from .common import combine_weights, element_weights, reduce_loss, safe_divide, sum_over_replicas
from .dispatch import loss_function
from .sigmoid import logistic, start_sigmoid_call
from .softmax import first_maximum, start_softmax_call
from .validation import check_number, check_reduction, invalid_argument

__all__ = ["dice_loss", "softmax_dice_loss"]


def _check_options(alpha, smooth, square_denominator, per_sample, ignore_empty, reduction):
    alpha = check_number("alpha", alpha, low=0)
    smooth = check_number("smooth", smooth, low=0)
    for name, value in (("square_denominator", square_denominator), ("per_sample", per_sample), ("ignore_empty", ignore_empty)):
        if not isinstance(value, bool):
            raise invalid_argument(name, "True or False", value)
    check_reduction(reduction)
    if ignore_empty and per_sample:
        # A single element has no "empty set" to drop: the combination means nothing.
        raise invalid_argument("ignore_empty", "False with per_sample=True (it applies to pooled sets)", ignore_empty)
    return alpha, smooth


def dice_coefficient_loss(xp, q, y, smooth, square_denominator, axis=None, replica_sum=None, w=None):
    """``1 - (2 sum w q y + s) / (sum w q + sum w y + s)`` over ``axis`` (elementwise for ``axis=()``).

    The weights ``w`` enter every sum linearly, so 0/1 weights mask and any
    non-negative weights keep the loss in [0, 1], invariant to their scale. A
    zero denominator (``smooth=0`` and nothing predicted or present) means
    perfect agreement: loss 0, not NaN. Pooled sums are taken over all replicas
    with ``replica_sum`` (differentiably: they carry the gradient).
    """
    def total(v):
        weighted = v if w is None else v * w
        return weighted if axis == () else sum_over_replicas(replica_sum, xp.sum(weighted, axis=axis))

    numerator = 2 * total(q * y) + smooth
    denominator = (total(q * q) + total(y * y) if square_denominator else total(q) + total(y)) + smooth
    # A zero denominator (smooth=0, nothing predicted or present) is perfect agreement; a NaN
    # one (a NaN logit) stays NaN.
    return 1 - xp.where(denominator == 0, xp.ones_like(denominator), safe_divide(xp, numerator, denominator))


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
    p = e / total
    if not alpha:
        return p
    first = first_maximum(xp, call.stop_gradient(z))
    others = xp.where(first, -math.inf, z)
    second = call.stop_gradient(xp.max(others, axis=-1, keepdims=True))
    second = xp.where(second > -math.inf, second, 0.0)  # one class: no other class, log(0) = -inf
    log_rest = second + xp.log(xp.sum(xp.exp(others - second), axis=-1, keepdims=True))
    # Each branch finite where the other is taken, so the unused one adds no NaN gradient.
    log_u = xp.where(first, log_rest - xp.log(total), xp.log1p(-xp.where(first, 0.0, p)))
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
    ignore_empty=False,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Self-adjusting Dice loss on sigmoid probabilities (binary and multi-label).

    .. math::

        q = (1 - p)^\alpha p,\quad p = \sigma(x),\qquad
        \mathcal{L} = 1 - \frac{2\sum_i w_i q_i y_i + s}{\sum_i w_i q_i + \sum_i w_i y_i + s}

    where the ``weights`` :math:`w` enter every sum linearly (0/1 weights mask; any
    non-negative weights keep the loss in [0, 1] and invariant to their scale),
    and squares :math:`\sum w q^2, \sum w y^2` in the denominator with
    ``square_denominator``. By default every element is one binary decision and
    all elements are pooled into one set-level Dice (a scalar for every
    ``reduction``). ``per_sample=True`` gives the per-element form
    :math:`1 - \frac{2qy + s}{q + y + s}`, then ``weights`` and ``reduction`` as usual.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    alpha : float >= 0, default=0.0
        The self-adjusting exponent; the authors tune it in {0.1, 0.01, 0.001}.
    smooth : float >= 0, default=1.0
        :math:`s`, added to numerator and denominator.
    square_denominator : bool, default=False
    per_sample : bool, default=False
    ignore_empty : bool, default=False
        Pooled form: a set without any positive target gives loss 0.
    weights : array broadcastable to ``logits``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
        Only for ``per_sample=True``.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator, the pooled sums) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Li et al., `Dice Loss for Data-imbalanced NLP Tasks <https://arxiv.org/abs/1911.02855>`_, ACL 2020.
    """
    alpha, smooth = _check_options(alpha, smooth, square_denominator, per_sample, ignore_empty, reduction)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)
    xp = call.xp
    q = self_adjusted_sigmoid(call, x, alpha=alpha)
    w = element_weights(call, weights, x.shape)
    if per_sample:
        loss = dice_coefficient_loss(xp, q, y, smooth, square_denominator, axis=())
        return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum)
    loss = dice_coefficient_loss(xp, q, y, smooth, square_denominator, replica_sum=replica_sum, w=w)
    if ignore_empty:
        positives = xp.sum(y if w is None else y * w)
        loss = xp.where(sum_over_replicas(replica_sum, positives) > 0, loss, xp.zeros_like(loss))
    return call.finish(loss)


@loss_function
def softmax_dice_loss(
    logits,
    labels,
    *,
    alpha=0.0,
    smooth=1.0,
    square_denominator=False,
    per_sample=False,
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
    (ignored elements have :math:`w = 0`). By default each
    class is one Dice pooled over all elements and ``reduction`` acts over the
    classes (``"none"`` returns shape ``(C,)``); ``ignore_empty`` drops classes
    without positive targets from that average (shown as 0 with ``"none"``).
    ``per_sample=True`` gives each element the per-class Dice
    :math:`1 - \frac{2qt + s}{q + t + s}` averaged over classes, then ``weights``
    and ``reduction`` over elements. :math:`\log(1 - p)` is computed accurately
    (as in :func:`softmax_focal_loss`).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    alpha, smooth, square_denominator, per_sample, ignore_empty
        As in :func:`dice_loss`.
    ignore_index : int, default=None
    axis : int, default=-1
    weights : array broadcastable to the elements (``logits`` without ``axis``), default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator, the pooled sums) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Li et al., `Dice Loss for Data-imbalanced NLP Tasks <https://arxiv.org/abs/1911.02855>`_, ACL 2020.
    """
    alpha, smooth = _check_options(alpha, smooth, square_denominator, per_sample, ignore_empty, reduction)
    call, x, targets = start_softmax_call(
        logits, labels, axis=axis, label_smoothing=0.0, ignore_index=ignore_index, weights=weights
    )
    xp = call.xp
    q = self_adjusted_softmax(call, x, alpha)
    t = targets.one_hot()
    w = combine_weights(element_weights(call, weights, targets.element_shape), targets.valid_weight())
    if per_sample:
        per_class = dice_coefficient_loss(xp, q, t, smooth, square_denominator, axis=())
        return reduce_loss(call, xp.mean(per_class, axis=-1), w, reduction, replica_sum=replica_sum)
    w = None if w is None else w[..., None]
    element_axes = tuple(range(q.ndim - 1))
    per_class = dice_coefficient_loss(xp, q, t, smooth, square_denominator, axis=element_axes,
                                      replica_sum=replica_sum, w=w)
    present = None
    if ignore_empty:
        positives = xp.sum(t if w is None else t * w, axis=element_axes)
        present = xp.astype(sum_over_replicas(replica_sum, positives) > 0, call.dtype)
    # Over classes: absent classes get weight 0 (dropped from the mean).
    return reduce_loss(call, per_class, present, reduction)
