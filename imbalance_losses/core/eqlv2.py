"""Equalization loss v2 (Tan et al., CVPR 2021): sigmoid cross-entropy re-weighted per class by
the ratio of its accumulated positive to negative gradient magnitudes.

The accumulators are an explicit ``(2, C)`` state (positive sums, negative sums),
passed in and returned. With ``replica_sum`` they grow by the global batch's
gradients, as in the official code (which all-reduces them every step and needs a
process group); without it they are this process's, and a single process needs
nothing else.
"""

from __future__ import annotations

from .common import accumulate, element_weights, last_axis_classes, reduce_loss, returned_state, state_array, sum_over_replicas
from .dispatch import loss_function
from .sigmoid import binary_cross_entropy, blend, sigmoid, start_sigmoid_call
from .validation import check_number

__all__ = ["eqlv2_loss"]

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
    collected = magnitude if class_weight is None else magnitude * class_weight
    if w is not None:
        collected = collected * w
    batch_sums = xp.stack([_over_samples(xp, collected * y), _over_samples(xp, collected * (1 - y))])
    batch_sums = sum_over_replicas(replica_sum, batch_sums)
    sums = batch_sums if sums is None else accumulate(xp, sums, batch_sums)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), returned_state(call, sums, state_dtype)
