"""Per-class logit transforms before softmax cross-entropy: logit adjustment (Menon et al. 2021).

Training with ``logits + tau * log(prior)`` (the loss) or predicting with
``logits - tau * log(prior)`` (post hoc) shifts the decision boundary toward the
rare classes, optimising balanced error instead of plain error. The loss is one
primitive, :func:`transformed_cross_entropy`: an affine per-class transform of
the logits (cheap, autodiffed) followed by the closed-form cross-entropy.
"""

from __future__ import annotations

from .common import LossCall, class_axis_last, option_vector, start_call
from .dispatch import loss_function
from .softmax import finish_softmax_loss, softmax_cross_entropy_term, start_softmax_call
from .validation import check_array_values, check_number, check_shape

__all__ = ["adjust_logits", "logit_adjusted_cross_entropy"]


def log_prior(call: LossCall, prior, num_classes: int):
    """``log(prior / sum(prior))`` as a ``(C,)`` array; zero entries are guarded.

    ``prior`` may be probabilities or counts. A zero entry is taken as the
    smallest normal number of the compute dtype, so its log is finite (about -87
    in float32, -708 in float64) rather than -inf.
    """
    return xp_log_guarded(call, normalized_prior(call, prior, num_classes))


def normalized_prior(call: LossCall, prior, num_classes: int, name: str = "prior"):
    """``prior / sum(prior)`` as a ``(C,)`` array: probabilities or counts; all zeros give
    the uniform prior (no adjustment) rather than 0/0."""
    xp = call.xp
    p = call.asarray(prior)
    check_shape(name, p.shape, (num_classes,), "one value per class, shape")
    check_array_values(xp, name, lambda: (p >= 0) & xp.isfinite(p) & (xp.sum(p) > 0),
                       "non-negative finite values with a positive sum")
    total = xp.sum(p)
    return xp.where(total > 0, p / xp.where(total > 0, total, 1.0), 1.0 / num_classes)


def xp_log_guarded(call: LossCall, p):
    """``log p`` with zero entries taken as the dtype's smallest normal number (finite)."""
    xp = call.xp
    return xp.log(xp.maximum(p, xp.finfo(call.dtype).smallest_normal))


def transformed_cross_entropy(call: LossCall, x, targets, *, multiplier=None, offset=None, target_margin=None,
                              scale=1.0, class_weights=None, weights=None, reduction="mean", replica_sum=None):
    r"""Softmax cross-entropy of per-class transformed logits (class axis last):

    .. math::

        z_c = s\,(\Delta_c x_c + \iota_c - m_c t_c)

    with ``multiplier`` :math:`\Delta`, ``offset`` :math:`\iota`, ``target_margin``
    :math:`m` (subtracted from the target's logit only; for dense targets weighted by
    them) and ``scale`` :math:`s`. The one primitive behind logit adjustment,
    Balanced Softmax, vector scaling (CDT) and LDAM.
    """
    z = x
    if multiplier is not None:
        z = z * multiplier
    if offset is not None:
        z = z + offset
    if target_margin is not None:
        z = z - target_margin * targets.one_hot()
    if scale != 1:
        z = z * scale
    cw = option_vector(call, "class_weights", class_weights, targets.num_classes)
    loss = softmax_cross_entropy_term(call, z, targets.target, cw, **targets.static)
    return finish_softmax_loss(call, targets, loss, weights=weights, class_weights=cw, reduction=reduction,
                               replica_sum=replica_sum)


@loss_function
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
    tau = check_number("tau", tau, low=0)
    call, x = start_call(logits, prior=prior)
    x = class_axis_last(call, x, axis)
    x = x - tau * log_prior(call, prior, x.shape[-1])
    return call.finish(call.xp.moveaxis(x, -1, axis) if axis % x.ndim != x.ndim - 1 else x)


@loss_function
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
    tau = check_number("tau", tau, low=0)
    call, x, targets = start_softmax_call(logits, labels, axis=axis, label_smoothing=label_smoothing,
                                          ignore_index=ignore_index, prior=prior, weights=weights,
                                          class_weights=class_weights)
    return transformed_cross_entropy(call, x, targets, offset=tau * log_prior(call, prior, targets.num_classes),
                                     class_weights=class_weights, weights=weights, reduction=reduction,
                                     replica_sum=replica_sum)
