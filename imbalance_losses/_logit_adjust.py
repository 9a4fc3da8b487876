"""Logit adjustment for long-tailed classification (Menon et al. 2021).

Training with ``logits + tau * log(prior)`` (the loss) or predicting with
``logits - tau * log(prior)`` (post hoc) shifts the decision boundary toward the
rare classes, optimising balanced error instead of plain error.
"""

from __future__ import annotations

from ._common import LossCall, class_axis_last, start_call
from ._softmax import softmax_cross_entropy
from ._validation import check_array_values, check_number, check_shape

__all__ = ["adjust_logits", "logit_adjusted_cross_entropy"]


def log_prior(call: LossCall, prior, num_classes: int):
    """``log(prior / sum(prior))`` as a ``(C,)`` array; zero entries are guarded.

    ``prior`` may be probabilities or counts. A zero entry is taken as the
    smallest normal number of the compute dtype, so its log is finite (about -87
    in float32, -708 in float64) rather than -inf.
    """
    xp = call.xp
    p = call.asarray(prior)
    check_shape("prior", p.shape, (num_classes,), "one value per class, shape")
    check_array_values(xp, "prior", lambda: p >= 0, "non-negative values")
    p = p / xp.sum(p)
    return xp.log(xp.maximum(p, xp.asarray(xp.finfo(call.dtype).smallest_normal, dtype=call.dtype, device=call.device)))


def _shifted(logits, prior, tau, axis, sign, **arrays):
    tau = check_number("tau", tau, low=0)
    call, x = start_call(logits, prior=prior, **arrays)
    x = class_axis_last(call, x, axis)
    x = x + sign * tau * log_prior(call, prior, x.shape[-1])
    return call, call.xp.moveaxis(x, -1, axis) if axis % x.ndim != x.ndim - 1 else x


def adjust_logits(logits, prior, *, tau=1.0, axis=-1):
    r"""Post-hoc logit adjustment: :math:`x - \tau \log \pi`.

    The arg-max of the adjusted logits is the Bayes-optimal prediction for the
    *balanced* error when :math:`\operatorname{softmax}(x)` estimates the training
    posterior and :math:`\pi` is the training label prior.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    prior : array or sequence of shape ``(C,)``
        Class probabilities or counts (normalised here); zero entries are guarded.
    tau : float >= 0, default=1.0
    axis : int, default=-1
        The class axis.

    Returns
    -------
    array
        Adjusted logits, the shape and dtype of ``logits``.

    References
    ----------
    Menon et al., `Long-tail learning via logit adjustment
    <https://arxiv.org/abs/2007.07314>`_, ICLR 2021.
    """
    call, adjusted = _shifted(logits, prior, tau, axis, -1)
    return call.finish(adjusted)


def logit_adjusted_cross_entropy(
    logits,
    labels,
    prior,
    *,
    tau=1.0,
    class_weights=None,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Logit-adjusted softmax cross-entropy: the CE of :math:`x + \tau \log \pi`.

    .. math::

        \ell = -\log \frac{e^{x_y + \tau \log \pi_y}}{\sum_c e^{x_c + \tau \log \pi_c}}
             = \log\Big[1 + \sum_{c \ne y} (\pi_c / \pi_y)^\tau e^{x_c - x_y}\Big]

    A rare class must win by a larger margin during training, so at test time the
    raw logits already favour it. Every option and the mean rule are those of
    :func:`softmax_cross_entropy`.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    prior : array or sequence of shape ``(C,)``
        Training class probabilities or counts (normalised); zero entries guarded.
    tau : float >= 0, default=1.0
    class_weights, label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Menon et al., `Long-tail learning via logit adjustment
    <https://arxiv.org/abs/2007.07314>`_, ICLR 2021.
    """
    call, adjusted = _shifted(logits, prior, tau, axis, 1, labels=labels)
    # `adjusted` is in the compute dtype (float32 for half inputs); cast back once.
    loss = softmax_cross_entropy(
        adjusted, labels, class_weights=class_weights, label_smoothing=label_smoothing,
        ignore_index=ignore_index, axis=axis, weights=weights, reduction=reduction, replica_sum=replica_sum,
    )
    return call.finish(loss)
