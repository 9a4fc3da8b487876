"""Gradient-accumulator losses: equalization loss v2 (Tan et al., CVPR 2021) and equalized
focal loss (Li et al., CVPR 2022).

Both keep, per class, the accumulated magnitudes of the gradients its positives and
its negatives received, as an explicit ``(2, C)`` state (positive sums, negative
sums) passed in and returned, and read their ratio to re-weight the class: EQLv2
weights a sigmoid cross-entropy, EFL sets a focal loss's focusing factor. With
``replica_sum`` the sums grow by the global batch's gradients, as in the official
code (which all-reduces them every step and needs a process group); without it
they are this process's, and a single process needs nothing else.
"""

from __future__ import annotations

from .common import (
    accumulate,
    combine_weights,
    element_weights,
    last_axis_classes,
    reduce_loss,
    returned_state,
    state_array,
    sum_over_replicas,
)
from .dispatch import loss_function
from .sigmoid import alpha_option, binary_cross_entropy, blend, sigmoid, sigmoid_focal, start_sigmoid_call
from .terms import WeightedTerm
from .validation import check_number

__all__ = ["equalized_focal_loss", "eqlv2_loss"]

# The official code's guard in g = P / (Q + 1e-10).
_RATIO_GUARD = 1e-10


def _class_weights(call, state, *, gamma, mu, alpha):
    """The negative and positive weights ``q_j``, ``r_j`` from the accumulated sums; ones
    while the state has seen nothing (all zeros), as the official code starts."""
    xp = call.xp
    ratio = state[0, ...] / (state[1, ...] + _RATIO_GUARD)
    negative = sigmoid(xp, gamma * (ratio - mu))
    positive = 1 + alpha * (1 - negative)
    seen = xp.any(state != 0)
    return xp.where(seen, negative, 1.0), xp.where(seen, positive, 1.0)


def _over_samples(xp, values):
    """Per-class sums over every axis but the last (the class axis)."""
    return values if values.ndim == 1 else xp.sum(values, axis=tuple(range(values.ndim - 1)))


def _accumulated(call, sums, magnitude, y, replica_sum):
    """The state after this batch: ``sums`` (None: zeros) plus the per-class sums of the
    gradient ``magnitude`` over the positive and the negative parts of the targets."""
    xp = call.xp
    batch_sums = xp.stack([_over_samples(xp, magnitude * y), _over_samples(xp, magnitude * (1 - y))])
    batch_sums = sum_over_replicas(replica_sum, batch_sums)
    return batch_sums if sums is None else accumulate(xp, sums, batch_sums)


@loss_function
def eqlv2_loss(logits, targets, *, gamma=12.0, mu=0.8, alpha=4.0, state=None, weights=None, reduction="mean",
               replica_sum=None):
    r"""Equalization loss v2: gradient-driven re-weighting of sigmoid cross-entropy.

    .. math::

        g_j = \frac{P_j}{Q_j + 10^{-10}},\quad
        q_j = \frac{1}{1 + e^{-\gamma (g_j - \mu)}},\quad
        r_j = 1 + \alpha (1 - q_j),\qquad
        \ell_{ij} = \big(r_j\, y_{ij} + q_j (1 - y_{ij})\big)\,\mathrm{BCE}(x_{ij}, y_{ij})

    :math:`P_j, Q_j` accumulate :math:`|\sigma(x) - y|` times the element's weight
    over the positives and negatives of class :math:`j`; a class whose positives
    received little gradient compared with its negatives gets its negatives
    down-weighted and its positives up-weighted. The weights of a call come from
    the state passed in (before this batch is added), carry no gradient, and are
    1 while the state is all zeros (the official code's start). Defaults are the
    paper's (:math:`\gamma = 12`, :math:`\mu = 0.8`, :math:`\alpha = 4`).
    ``"mean"`` averages over all elements; the official loss sums and divides by
    the number of samples: use ``"sum"`` and divide. The official detector adds
    an objectness column with weight 1 that is not accumulated: pass the class
    logits here and that column to :func:`sigmoid_cross_entropy`.

    Parameters
    ----------
    logits : array of shape ``(..., C)``
        The class axis is last.
    targets : array of the shape of ``logits``, values in [0, 1]
    gamma : float >= 0, default=12.0
    mu : float, default=0.8
    alpha : float >= 0, default=4.0
    state : array of shape ``(2, C)``, default=None
        ``[P, Q]`` returned by the previous call; None starts from zeros.
    weights : array broadcastable to ``logits``, default=None
        Element weights; they also weight the accumulated gradients.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas (e.g.
        ``imbalance_losses.torch.replica_sum()``): the accumulators then grow by the
        global batch's gradients (the official all-reduce), and the mean covers the
        global batch. mmdetection's port keeps per-process sums.

    Returns
    -------
    loss : array
    state : array of shape ``(2, C)``
        The accumulators after this batch.

    References
    ----------
    Tan et al., `Equalization Loss v2: A New Gradient Balance Approach for
    Long-tailed Object Detection <https://arxiv.org/abs/2012.08548>`_, CVPR 2021.
    """
    gamma = check_number("gamma", gamma, low=0)
    mu = check_number("mu", mu)
    alpha = check_number("alpha", alpha, low=0)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, state=state)
    xp = call.xp
    num_classes = last_axis_classes(x)
    w = element_weights(call, weights, x.shape)
    state_dtype = call.dtype
    class_weight = sums = None
    if state is not None:
        sums, state_dtype = state_array(call, state, (2, num_classes), "positive and negative sums per class, shape")
        negative, positive = _class_weights(call, call.cast(sums), gamma=gamma, mu=mu, alpha=alpha)
        class_weight = blend(xp, negative, positive, y)
    loss = binary_cross_entropy(call, x, y, None)
    if class_weight is not None:
        loss = class_weight * loss
    magnitude = xp.abs(sigmoid(xp, call.stop_gradient(x)) - y)
    sums = _accumulated(call, sums, combine_weights(magnitude, class_weight, w), y, replica_sum)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), returned_state(call, sums, state_dtype)


def _balance_ratio(call, state):
    """EFL's ``g_j = clamp(P_j / (Q_j + 1e-10), 0, 1)``; 1 while the state has seen nothing
    (all zeros), as the authors' ``pos_neg`` buffer starts at ones."""
    xp = call.xp
    ratio = xp.clip(state[0, ...] / (state[1, ...] + _RATIO_GUARD), 0.0, 1.0)
    return xp.where(xp.any(state != 0), ratio, 1.0)


@loss_function
def equalized_focal_loss(logits, targets, *, gamma_b=2.0, scale_factor=8.0, alpha=0.25, state=None, weights=None,
                         reduction="mean", replica_sum=None):
    r"""Equalized focal loss (EFL): a sigmoid focal loss whose focusing factor grows for
    classes whose positives receive little gradient compared with their negatives.

    .. math::

        g_j = \min\!\Big(\frac{P_j}{Q_j + 10^{-10}},\, 1\Big),\quad
        \gamma_j = \gamma_b + s\,(1 - g_j),\qquad
        \ell_{ij} = \frac{\gamma_j}{\gamma_b}\,\alpha_t\,(1 - p_t)^{\gamma_j}\,\mathrm{BCE}(x_{ij}, y_{ij})

    with :math:`p_t` and :math:`\alpha_t` as in :func:`sigmoid_focal_loss`.
    :math:`P_j, Q_j` accumulate the magnitude of this loss's own gradient,
    :math:`|\partial (w_{ij}\ell_{ij}) / \partial x_{ij}|`, over the positives and the
    negatives of class :math:`j` (the authors collect the gradient flowing into the
    classification logits). A balanced class keeps :math:`\gamma_b`; a rare one focuses
    harder on its hard examples, and the weighting factor :math:`\gamma_j / \gamma_b`
    restores the loss that the stronger focusing takes away. The factors of a call come
    from the state passed in (before this batch is added), carry no gradient, and start
    from :math:`g_j = 1` (plain focal loss) while the state is all zeros. The gradient is
    focal's closed form with a per-class exponent: finite for every logit.

    The authors' loss sums and divides by their normalizer :math:`n` (the number of
    positive anchors), and their gradient hook sees that scaled gradient: ``"sum"``
    with ``weights=1/n`` gives both their loss and their sums. ``"mean"`` averages
    over all elements (weighted). Their detector drops ignored anchors (weight 0 here)
    and the background column (a row of zero targets here).

    Parameters
    ----------
    logits : array of shape ``(..., C)``
        The class axis is last.
    targets : array of the shape of ``logits``, values in [0, 1]
    gamma_b : float > 0, default=2.0
        The base focusing factor :math:`\gamma_b`.
    scale_factor : float >= 0, default=8.0
        :math:`s`, how much an unbalanced class's focusing factor grows.
    alpha : float in [0, 1] or None, default=0.25
        Focal's weight of the positives; None switches :math:`\alpha_t` off.
    state, weights, reduction, replica_sum
        As in :func:`eqlv2_loss`: the sums ``[P, Q]`` of shape ``(2, C)`` (None starts
        from zeros), element weights (they weight the sums too), and the hook under
        which the sums grow by the global batch's gradients (the authors' all-reduce).

    Returns
    -------
    loss : array
    state : array of shape ``(2, C)``
        The accumulated sums after this batch.

    References
    ----------
    Li et al., `Equalized Focal Loss for Dense Long-Tailed Object Detection
    <https://arxiv.org/abs/2201.02593>`_, CVPR 2022.
    """
    gamma_b = check_number("gamma_b", gamma_b, low=0, low_open=True)
    scale_factor = check_number("scale_factor", scale_factor, low=0)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, alpha=alpha, state=state)
    alpha_array, alpha = alpha_option(call, alpha, x.shape)
    xp = call.xp
    num_classes = last_axis_classes(x)
    w = element_weights(call, weights, x.shape)
    if state is None:  # g = 1: the focal loss with gamma_b, factor 1
        sums, state_dtype, factor = None, call.dtype, None
        arrays, static = (y, alpha_array), {"alpha": alpha, "gamma": gamma_b}
    else:
        sums, state_dtype = state_array(call, state, (2, num_classes), "positive and negative sums per class, shape")
        focusing = gamma_b + scale_factor * (1 - call.cast(_balance_ratio(call, sums)))
        factor = focusing / gamma_b
        arrays, static = (y, alpha_array, focusing), {"alpha": alpha, "gamma": None}
    term = WeightedTerm(call, sigmoid_focal, x, arrays, static, factor=factor, weights=w)
    # The magnitude of each element's gradient, from focal's closed-form derivative.
    magnitude = xp.abs(sigmoid_focal.derivative(xp, call.stop_gradient(x), *arrays, saved=(), **static))
    sums = _accumulated(call, sums, combine_weights(magnitude, factor, w), y, replica_sum)
    return term.reduce(reduction, replica_sum), returned_state(call, sums, state_dtype)
