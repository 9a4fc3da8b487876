"""Multi-label categorical cross-entropy (ZLPR), dense, soft and sparse.

Su Jianlin's generalisation of softmax cross-entropy to multi-label problems:
every positive class should score above 0 and every negative below 0, ranked as
in Circle loss. Decode with ``logits > 0``; no sigmoid or softmax on the logits.
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import OutOfRangeTargets, binary_targets, element_weights, reduce_loss, start_call
from .dispatch import loss_function
from .terms import WeightedTerm
from .validation import check_array_values, invalid_argument

__all__ = ["multilabel_categorical_crossentropy", "sparse_multilabel_categorical_crossentropy"]


def _masked_log(xp, weight, excluded):
    """``log(weight)`` where positive, ``-inf`` elsewhere and at ``excluded`` classes."""
    present = weight > 0
    if excluded is not None:
        present = present & ~excluded
    return xp.where(present, xp.log(xp.where(present, weight, 1.0)), -xp.inf)


def _log1p_sum_exp(xp, terms):
    """``log(1 + sum_j e^{terms_j})`` over the last axis as ``(shift, log_inner)``, keepdims,
    with the value ``shift + log_inner``; ``-inf`` terms are absent.

    The implicit 0 keeps the shift finite, so a row of only ``-inf`` gives exactly 0;
    where every term is below 0 it is ``log1p`` of the sum, exact however small. The
    derivative uses ``terms - shift`` and ``log_inner`` apart, never their large sum
    (at logits of 1e4 in float32 that sum is known only to ~1e-3).
    """
    shift = xp.maximum(xp.max(terms, axis=-1, keepdims=True), 0.0)
    total = xp.sum(xp.exp(terms - shift), axis=-1, keepdims=True)
    return shift, xp.where(shift > 0, xp.log(xp.exp(-shift) + total), xp.log1p(total))


def _zlpr_terms(xp, s, t, excluded):
    log_positive, log_negative = _masked_log(xp, t, excluded), _masked_log(xp, 1 - t, excluded)
    return log_positive - s, s + log_negative


@closed_form("zlpr", rowwise=True)
def zlpr(xp, s, t, excluded):
    r""":math:`\log(1 + \sum_i t_i e^{-s_i}) + \log(1 + \sum_i (1 - t_i) e^{s_i})` per row.

    Targets of 0 (or 1) remove a class from a sum exactly (``log 0 = -inf``);
    ``excluded`` classes are in neither sum.
    """
    positive, negative = _zlpr_terms(xp, s, t, excluded)
    saved = (*_log1p_sum_exp(xp, positive), *_log1p_sum_exp(xp, negative))
    positive_shift, positive_inner, negative_shift, negative_inner = saved
    return (positive_shift + positive_inner + negative_shift + negative_inner)[..., 0], saved


@zlpr.defderivative
def _(xp, s, t, excluded, *, saved):
    # Each sum's derivative is a softmax over its terms with the implicit 0:
    # -t_j e^{-s_j} / (1 + sum t e^{-s}) + (1 - t_j) e^{s_j} / (1 + sum (1 - t) e^{s}).
    positive, negative = _zlpr_terms(xp, s, t, excluded)
    positive_shift, positive_inner, negative_shift, negative_inner = saved
    return xp.exp((negative - negative_shift) - negative_inner) - xp.exp((positive - positive_shift) - positive_inner)


@zlpr.defcurvature
def _(xp, s, t, excluded, *, saved, fisher):
    # Each softmax share pi_j (of the positive and of the negative sum) has derivative
    # pi_j (1 - pi_j) with respect to s_j: never negative (fisher: the same).
    positive, negative = _zlpr_terms(xp, s, t, excluded)
    positive_shift, positive_inner, negative_shift, negative_inner = saved
    negative_share = xp.exp((negative - negative_shift) - negative_inner)
    positive_share = xp.exp((positive - positive_shift) - positive_inner)
    return negative_share * (1 - negative_share) + positive_share * (1 - positive_share)


@loss_function
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
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Su Jianlin, `将"Softmax+交叉熵"推广到多标签分类问题 <https://kexue.fm/archives/7359>`_, 2020;
    `多标签"Softmax+交叉熵"的软标签版本 <https://kexue.fm/archives/9064>`_, 2022;
    Su et al., `ZLPR: A Novel Loss for Multi-label Classification <https://arxiv.org/abs/2208.02955>`_, 2022.
    """
    call, s = start_call(logits, targets=targets, weights=weights)
    if s.ndim < 1:
        raise invalid_argument("logits", "an array with a class axis (rank >= 1)", f"shape {tuple(s.shape)}")
    t = binary_targets(call, targets, s.shape, as_given=True)
    return WeightedTerm(call, zlpr, s, (t, None), {}, weights=element_weights(call, weights, s.shape[:-1]),
                        targets=OutOfRangeTargets(call, t, rowwise=True)).reduce(reduction, replica_sum)


@loss_function
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
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
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
    indices = call.labels(label_indices)
    if not xp.isdtype(indices.dtype, "integral"):
        msg = (
            "Invalid dtype for argument `label_indices`. Expected integer class indices. "
            f"Received: label_indices.dtype={indices.dtype}"
        )
        raise TypeError(msg)
    expected = tuple(s.shape[:-1])
    if s.ndim < 1 or indices.ndim != s.ndim or not all(
        a is None or b is None or a == b for a, b in zip(indices.shape[:-1], expected)
    ):
        msg = (
            f"Invalid shape for argument `label_indices`. Expected {expected + ('K',)} (the shape of "
            f"`logits` with K positive indices in place of the class axis). "
            f"Received: label_indices.shape={tuple(indices.shape)}"
        )
        raise ValueError(msg)
    num_classes = s.shape[-1]
    in_range = (indices >= 0) & (indices < num_classes)
    check_array_values(xp, "label_indices", lambda: in_range, lambda: f"class indices in [0, {num_classes})")
    ids = xp.arange(num_classes, dtype=indices.dtype, device=call.device)
    # K is a static shape: one comparison per listed index builds the multi-hot.
    positive = xp.zeros_like(s, dtype=xp.bool)
    for k in range(indices.shape[-1]):
        positive = positive | (indices[..., k : k + 1] == ids)
    excluded = ids == 0 if mask_zero else None
    # With value checks off, an index out of range makes its sample's loss NaN (never a silently
    # dropped positive).
    poison = xp.where(xp.all(in_range, axis=-1), xp.zeros_like(s[..., 0]), xp.nan)
    loss = zlpr(call, s, xp.astype(positive, call.dtype), excluded) + poison
    return reduce_loss(call, loss, element_weights(call, weights, s.shape[:-1]), reduction, replica_sum=replica_sum)
