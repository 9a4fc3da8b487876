"""Seesaw loss (Wang et al., CVPR 2021): softmax cross-entropy whose negative logits are
shifted by a mitigation and a compensation factor, from cumulative class counts.

For a sample of class ``y``, each other class ``j`` gets
``log S_yj = p min(0, log N_j - log N_y) + q max(0, log sigma_j - log max(sigma_y, eps))``
added to its logit: a frequent class ``y`` pushes a rarer ``j`` down less
(mitigation), unless ``j`` is already scored above ``y`` (compensation). Both terms
vanish at ``j = y``, so no target mask is needed. The counts ``N`` are an explicit
state, passed in and returned (functional, jit-friendly): a histogram of the batch's
labels (O(N), no Python loop over classes, no host synchronisation) summed over
replicas by ``replica_sum``. Only the batch's rows of the ratio matrix are formed
(``N x C``, never ``C x C``).
"""

from __future__ import annotations

import math

from .common import accumulate, element_weights, gather_classes, histogram, logsumexp, returned_state, state_array, sum_over_replicas
from .dispatch import loss_function
from .logit_adjust import transformed_cross_entropy
from .softmax import start_softmax_call
from .validation import check_number

__all__ = ["seesaw_loss"]


def seesaw_log_factors(call, x, targets, log_counts, *, p, q, eps):
    r"""``log S_yj`` for every element and class, class axis last (no gradient).

    Mitigation :math:`p \min(0, \log N_j - \log N_y)` from the (clamped) counts;
    compensation :math:`q \max(0, \log\sigma_j - \max(\log\sigma_y, \log\epsilon))` from the
    detached logits, in log space (mmdetection forms the ratio of probabilities).
    """
    xp = call.xp
    log_factor = None
    if p:
        log_target_count = gather_classes(call, log_counts, targets.target)[..., None]
        log_factor = p * xp.minimum(log_counts - log_target_count, 0.0)
    if q:
        z = call.stop_gradient(x)
        log_probability = z - logsumexp(call, z, axis=-1, keepdims=True)
        log_target = xp.take_along_axis(log_probability, targets.target[..., None], axis=-1)
        compensation = q * xp.maximum(log_probability - xp.maximum(log_target, math.log(eps)), 0.0)
        log_factor = compensation if log_factor is None else log_factor + compensation
    return log_factor


@loss_function
def seesaw_loss(logits, labels, *, p=0.8, q=2.0, eps=1e-2, state=None, ignore_index=None, axis=-1, weights=None,
                reduction="mean", replica_sum=None):
    r"""Seesaw loss: softmax cross-entropy with count- and score-dependent negative logits.

    .. math::

        \ell = -\log \frac{e^{x_y}}{e^{x_y} + \sum_{j \ne y} S_{yj}\, e^{x_j}},\qquad
        S_{yj} = \underbrace{\min\!\Big(1, \frac{N_j}{N_y}\Big)^{p}}_{\text{mitigation}}
                 \underbrace{\max\!\Big(1, \frac{\sigma_j}{\max(\sigma_y, \epsilon)}\Big)^{q}}_{\text{compensation}}

    where :math:`N` are the cumulative class counts including this batch (clamped
    to at least 1) and :math:`\sigma = \mathrm{softmax}(x)` is taken without
    gradient, as in the reference. ``p = q = 0`` is :func:`softmax_cross_entropy`.
    Defaults are the paper's (:math:`p = 0.8`, :math:`q = 2`,
    :math:`\epsilon = 10^{-2}`). mmdetection's detection head adds two objectness
    logits with their own cross-entropy: pass the :math:`C` class logits here and
    the objectness term separately. The counts are a float state, exact up to
    :math:`2^{24}` per class in float32; a float64 ``state`` accumulates in float64
    whatever the logits' dtype.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices, shape ``logits.shape`` without the class axis
        (Seesaw's factors are defined for one target class, so dense targets raise
        ``TypeError``).
    p : float >= 0, default=0.8
        Mitigation exponent.
    q : float >= 0, default=2.0
        Compensation exponent.
    eps : float in (0, 1], default=1e-2
        Floor of the target's probability in the compensation ratio.
    state : array of shape ``(C,)``, default=None
        The cumulative class counts returned by the previous call; None starts from
        zeros. Labels that are ignored, out of range or have weight 0 are not counted.
    ignore_index, axis, weights, reduction
        As in :func:`softmax_cross_entropy`.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas (e.g.
        ``imbalance_losses.torch.replica_sum()``): the counts then grow by the global
        batch's labels, so every replica holds the same state, and the mean covers the
        global batch. mmdetection keeps per-process counts.

    Returns
    -------
    loss : array
        A scalar, or per-element losses for ``"none"``.
    state : array of shape ``(C,)``
        The cumulative counts after this batch.

    References
    ----------
    Wang et al., `Seesaw Loss for Long-Tailed Instance Segmentation
    <https://arxiv.org/abs/2008.10032>`_, CVPR 2021.
    """
    p = check_number("p", p, low=0)
    q = check_number("q", q, low=0)
    eps = check_number("eps", eps, low=0, high=1, low_open=True)
    call, x, targets = start_softmax_call(logits, labels, axis=axis, label_smoothing=0.0, ignore_index=ignore_index,
                                          weights=weights, state=state)
    if not targets.is_index:
        msg = ("Invalid dtype for argument `labels`. Expected integer class indices (Seesaw's factors are defined "
               f"for one target class). Received: labels.dtype={labels.dtype}")
        raise TypeError(msg)
    xp = call.xp
    num_classes = targets.num_classes
    w = element_weights(call, weights, targets.element_shape)
    batch_counts = histogram(call, targets.counted_labels(w), num_classes)
    counts = sum_over_replicas(replica_sum, batch_counts)
    state_dtype = call.dtype
    if state is not None:
        previous, state_dtype = state_array(call, state, (num_classes,), "one count per class, shape")
        counts = accumulate(xp, previous, counts)
    offset = None
    if p or q:
        log_counts = xp.log(xp.maximum(call.cast(counts), 1.0))
        offset = call.stop_gradient(seesaw_log_factors(call, x, targets, log_counts, p=p, q=q, eps=eps))
    loss = transformed_cross_entropy(call, x, targets, offset=offset, weights=weights, reduction=reduction,
                                     replica_sum=replica_sum)
    return loss, returned_state(call, counts, state_dtype)
