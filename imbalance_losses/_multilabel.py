"""Multi-label categorical cross-entropy (ZLPR), dense, soft and sparse.

Su Jianlin's generalisation of softmax cross-entropy to multi-label problems:
every positive class should score above 0 and every negative below 0, ranked as
in Circle loss. Decode with ``logits > 0``; no sigmoid or softmax on the logits.
"""

from __future__ import annotations

from ._common import LossCall, binary_targets, element_weights, reduce_loss, start_call
from ._validation import check_array_values, invalid_argument

__all__ = ["multilabel_categorical_crossentropy", "sparse_multilabel_categorical_crossentropy"]


def _log_one_plus_sum_exp(call: LossCall, terms):
    """``log(1 + sum_j e^{terms_j})`` over the last axis; ``-inf`` terms are absent.

    The implicit ``0`` logit keeps the maximum finite, so a row of only ``-inf``
    gives exactly 0 with zero gradient.
    """
    xp = call.xp
    shift = call.stop_gradient(xp.maximum(xp.max(terms, axis=-1, keepdims=True), xp.zeros_like(terms[..., :1])))
    total = xp.exp(-shift) + xp.sum(xp.exp(terms - shift), axis=-1, keepdims=True)
    return (xp.log(total) + shift)[..., 0]


def _masked_log(call: LossCall, weight):
    """``log(weight)`` where positive, ``-inf`` elsewhere, without differentiating log(0)."""
    xp = call.xp
    present = weight > 0
    safe = xp.where(present, weight, xp.ones_like(weight))
    return xp.where(present, xp.log(safe), xp.asarray(-xp.inf, dtype=call.dtype, device=call.device))


def zlpr(call: LossCall, s, log_pos, log_neg):
    """``log(1 + sum_i e^{-s_i + log_pos_i}) + log(1 + sum_i e^{s_i + log_neg_i})``."""
    return _log_one_plus_sum_exp(call, log_pos - s) + _log_one_plus_sum_exp(call, s + log_neg)


def multilabel_categorical_crossentropy(logits, targets, *, weights=None, reduction="mean", replica_sum=None):
    r"""Multi-label categorical cross-entropy (ZLPR), hard or soft targets.

    .. math::

        \ell = \log\Big(1 + \sum_i t_i e^{-s_i}\Big) + \log\Big(1 + \sum_i (1 - t_i) e^{s_i}\Big)

    over the classes on the last axis. For 0/1 targets this is
    :math:`\log(1 + \sum_{\text{pos}} e^{-s_i}) + \log(1 + \sum_{\text{neg}} e^{s_j})`;
    with soft targets the optimum is :math:`t_i = \sigma(2 s_i)`. Decode with
    ``logits > 0`` (probabilities :math:`\sigma(2s)`). Targets of 0 (or 1) remove
    a class from a sum exactly (log 0 = -inf, handled without NaN gradients), so a
    logit masked to a huge negative value never flips into a positive term.

    Parameters
    ----------
    logits : array, shape ``(..., C)``
        Unbounded scores.
    targets : array of the shape of ``logits``, values in [0, 1]
    weights : array broadcastable to ``logits.shape[:-1]``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
        Over samples; ``"none"`` returns shape ``logits.shape[:-1]``.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Su Jianlin, `将"Softmax+交叉熵"推广到多标签分类问题 <https://kexue.fm/archives/7359>`_, 2020;
    `多标签"Softmax+交叉熵"的软标签版本 <https://kexue.fm/archives/9064>`_, 2022;
    Su et al., `ZLPR: A Novel Loss for Multi-label Classification <https://arxiv.org/abs/2208.02955>`_, 2022.
    """
    call, s, t = _start(logits, targets, weights)
    loss = zlpr(call, s, _masked_log(call, t), _masked_log(call, 1 - t))
    return reduce_loss(call, loss, element_weights(call, weights, s.shape[:-1]), reduction, replica_sum=replica_sum)


def _start(logits, targets, weights):
    call, s = start_call(logits, targets=targets, weights=weights)
    if s.ndim < 1:
        raise invalid_argument("logits", "an array with a class axis (rank >= 1)", f"shape {tuple(s.shape)}")
    return call, s, binary_targets(call, targets, s.shape)


def sparse_multilabel_categorical_crossentropy(logits, label_indices, *, mask_zero=False, weights=None, reduction="mean", replica_sum=None):
    r"""Multi-label categorical cross-entropy (ZLPR) with positive class indices.

    The same loss as :func:`multilabel_categorical_crossentropy` with the multi-hot
    targets given as the indices of the positive classes, shape ``(..., K)``.
    With ``mask_zero=True`` index 0 is padding (as bert4keras): padded entries add
    no positive, and class 0's logit is left out of both sums. An index listed
    twice counts once (bert4keras would count it twice).

    The negative term is summed over the negatives directly, never as
    :math:`\log(e^a - e^b)` of all-class and positive-class sums, which loses all
    precision once the positives are confidently predicted.

    Parameters
    ----------
    logits : array, shape ``(..., C)``
    label_indices : integer array, shape ``(..., K)``
        Indices of positive classes in ``[0, C)``.
    mask_zero : bool, default=False
    weights : array broadcastable to ``logits.shape[:-1]``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Su Jianlin, `多标签"Softmax+交叉熵"的稀疏版本 <https://kexue.fm/archives/8888>`_, 2022.
    """
    if not isinstance(mask_zero, bool):
        raise invalid_argument("mask_zero", "True or False", mask_zero)
    call, s = start_call(logits, label_indices=label_indices, weights=weights)
    xp = call.xp
    if not xp.isdtype(label_indices.dtype, "integral"):
        msg = (
            "Invalid dtype for argument `label_indices`. Expected integer class indices. "
            f"Received: label_indices.dtype={label_indices.dtype}"
        )
        raise TypeError(msg)
    expected = tuple(s.shape[:-1])
    if s.ndim < 1 or label_indices.ndim != s.ndim or tuple(label_indices.shape[:-1]) != expected:
        msg = (
            f"Invalid shape for argument `label_indices`. Expected {expected + ('K',)} (the shape of "
            f"`logits` with K positive indices in place of the class axis). "
            f"Received: label_indices.shape={tuple(label_indices.shape)}"
        )
        raise ValueError(msg)
    num_classes = s.shape[-1]
    check_array_values(xp, "label_indices", lambda: (label_indices >= 0) & (label_indices < num_classes),
                       f"class indices in [0, {num_classes})")
    ids = xp.arange(num_classes, dtype=label_indices.dtype, device=call.device)
    # K is a static shape: one comparison per listed index builds the multi-hot.
    positive = xp.zeros(s.shape, dtype=xp.bool, device=call.device)
    for k in range(label_indices.shape[-1]):
        positive = positive | (label_indices[..., k : k + 1] == ids)
    excluded = ids == 0 if mask_zero else None
    if excluded is not None:
        positive = positive & ~excluded
    zero = xp.zeros_like(s)
    minus_inf = xp.full_like(s, -xp.inf)
    negative = ~positive if excluded is None else ~(positive | excluded)
    loss = zlpr(call, s, xp.where(positive, zero, minus_inf), xp.where(negative, zero, minus_inf))
    return reduce_loss(call, loss, element_weights(call, weights, s.shape[:-1]), reduction, replica_sum=replica_sum)
