"""Su Jianlin's truncated losses: hard truncation and its sigmoid(k x) softening.

Cross-entropy stops updating elements that are already classified well enough.
The hard form drops them (zero loss, zero gradient); the soft form replaces the
step function by a sigmoid so that the weight itself carries gradient.
"""

from __future__ import annotations

import math

from ._common import element_weights, log_sigmoid, logsumexp, reduce_loss, softplus
from ._sigmoid import start_sigmoid_call
from ._softmax import finish_softmax_loss, log_partition, start_softmax_call
from ._validation import check_number

__all__ = ["hard_truncated_loss", "soft_truncated_loss", "soft_truncated_softmax_loss"]


def _truncated_binary(call, x, y, weight_pos, weight_neg, weights, reduction, replica_sum):
    """``y λ⁺ CE⁺ + (1 - y) λ⁻ CE⁻`` with ``CE⁺ = softplus(-x)``, ``CE⁻ = softplus(x)``."""
    xp = call.xp
    loss = y * weight_pos * softplus(xp, -x) + (1 - y) * weight_neg * softplus(xp, x)
    return reduce_loss(call, loss, element_weights(call, weights, x.shape), reduction, replica_sum=replica_sum)


def hard_truncated_loss(logits, targets, *, margin=0.5, weights=None, reduction="mean", replica_sum=None):
    r"""Hard-truncated binary cross-entropy: no loss once an element is right by a margin.

    .. math::

        \ell = y\,\lambda^+ \mathrm{CE}^+ + (1 - y)\,\lambda^- \mathrm{CE}^-,\qquad
        \lambda^+ = [p \le m],\quad \lambda^- = [p \ge 1 - m]

    with :math:`p = \sigma(x)`, :math:`\mathrm{CE}^+ = -\log\sigma(x)`,
    :math:`\mathrm{CE}^- = -\log\sigma(-x)`. Positives with :math:`p > m` and negatives
    with :math:`p < 1 - m` contribute zero loss and zero gradient. The comparison
    is made on the logit, :math:`x \le \log\frac{m}{1-m}`, so it is exact however
    saturated :math:`p` is; the mask is constant (no gradient). Soft targets are
    linear in ``y`` as above. ``margin=1`` is plain cross-entropy.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    margin : float in [0.5, 1], default=0.5
        The threshold :math:`m`. Su's softened-loss article uses 0.5; the earlier
        hard-truncation article used 0.6 ("any m > 0.5").
    weights : array broadcastable to ``logits``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017;
    `文本情感分类（四）：更好的损失函数 <https://kexue.fm/archives/4293>`_, 2017.
    """
    margin = check_number("margin", margin, low=0.5, high=1)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)
    xp = call.xp
    threshold = math.inf if margin == 1 else math.log(margin / (1 - margin))
    keep_pos = xp.astype(x <= threshold, call.dtype)
    keep_neg = xp.astype(x >= -threshold, call.dtype)
    return _truncated_binary(call, x, y, keep_pos, keep_neg, weights, reduction, replica_sum)


def soft_truncated_loss(logits, targets, *, k=1.0, weights=None, reduction="mean", replica_sum=None):
    r"""Softened truncated binary cross-entropy (Su's :math:`L^{**}`).

    .. math::

        \ell = -y\,\sigma(-kx)\log\sigma(x) - (1 - y)\,\sigma(kx)\log\sigma(-x)

    The step functions of :func:`hard_truncated_loss` (margin 0.5) become
    :math:`\sigma(\pm kx)`; as :math:`k \to \infty` it approaches the hard form,
    and :math:`k = 1` is the focal loss with :math:`\gamma = 1` (no :math:`\alpha`).
    The weights :math:`\sigma(\pm kx)` are **not** detached: their gradient is the
    point of the softening. They are computed as :math:`\exp(\log\sigma(\pm kx))`.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    k : float > 0, default=1.0
    weights, reduction, replica_sum
        As in :func:`hard_truncated_loss`.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017.
    """
    k = check_number("k", k, low=0, low_open=True)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)
    xp = call.xp
    weight_pos = xp.exp(log_sigmoid(xp, -k * x))
    weight_neg = xp.exp(log_sigmoid(xp, k * x))
    return _truncated_binary(call, x, y, weight_pos, weight_neg, weights, reduction, replica_sum)


def soft_truncated_softmax_loss(
    logits, labels, *, k=1.0, label_smoothing=0.0, ignore_index=None, axis=-1, weights=None, reduction="mean", replica_sum=None
):
    r"""Softened truncated softmax cross-entropy (Su's multi-class :math:`L^{**}`).

    .. math::

        \ell = -\sum_c t'_c\, \operatorname{softmax}(-kx)_c \log \operatorname{softmax}(x)_c

    which for a hard label is :math:`-\operatorname{softmax}(-kx)_t\log\operatorname{softmax}(x)_t`.
    With two classes it is :func:`soft_truncated_loss` on the logit difference
    :math:`x_1 - x_0`. The weight is not detached. For more than two classes and
    :math:`k = 1` it is *not* the focal loss with :math:`\gamma = 1`
    (:math:`\operatorname{softmax}(-x)_t \ne 1 - p_t`).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    k : float > 0, default=1.0
    label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017.
    """
    k = check_number("k", k, low=0, low_open=True)
    call, z, targets = start_softmax_call(
        logits, labels, axis=axis, label_smoothing=label_smoothing, ignore_index=ignore_index, weights=weights
    )
    xp = call.xp
    flipped = -k * z
    log_weight = targets.select(flipped) - logsumexp(call, flipped, keepdims=True)
    nll = log_partition(xp, z) - targets.select(z)
    loss = targets.expect(xp.exp(log_weight) * nll)
    return finish_softmax_loss(call, targets, loss, weights=weights, reduction=reduction, replica_sum=replica_sum)
