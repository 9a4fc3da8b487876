"""Per-class logit transforms before softmax cross-entropy: logit adjustment, Balanced
Softmax, vector scaling (CDT) and LDAM.

Training with ``logits + tau * log(prior)`` (the loss) or predicting with
``logits - tau * log(prior)`` (post hoc) shifts the decision boundary toward the
rare classes, optimising balanced error instead of plain error. Every loss here
is one primitive, :func:`transformed_cross_entropy`: an affine per-class
transform of the logits (cheap, autodiffed) followed by the closed-form
cross-entropy. Class counts enter as ratios, so counts or probabilities give
the same loss, and a zero count never gives NaN or an infinite logit (each
function says what it gives instead).
"""

from __future__ import annotations

from .common import LossCall, class_axis_last, option_vector, start_call
from .dispatch import loss_function
from .softmax import softmax_cross_entropy_term, softmax_term, start_softmax_call
from .validation import check_array_values, check_number, check_shape

__all__ = [
    "adjust_logits",
    "balanced_softmax_cross_entropy",
    "ldam_loss",
    "logit_adjusted_cross_entropy",
    "vector_scaling_loss",
]


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


def relative_counts(call: LossCall, counts, num_classes: int, *, to: str):
    """``n_c / n_max`` (``to="max"``) or ``n_min / n_c`` over the non-zero counts (``to="min"``),
    as a ``(C,)`` array in (0, 1]; zero counts give 0 and 1 respectively, all-zero counts 1."""
    xp = call.xp
    n = normalized_prior(call, counts, num_classes, name="counts")
    present = n > 0
    if to == "max":
        return n / xp.max(n)
    smallest = xp.min(xp.where(present, n, xp.max(n)))
    return xp.where(present, smallest / xp.where(present, n, 1.0), 1.0)


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
    slope = multiplier if scale == 1 else scale * (1.0 if multiplier is None else multiplier)
    return softmax_term(call, targets, softmax_cross_entropy_term, z, (targets.target, cw), weights=weights,
                        class_weights=cw, slope=slope).reduce(reduction, replica_sum)


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


def _cross_entropy_options(logits, labels, counts, *, class_weights, label_smoothing, ignore_index, axis, weights):
    return start_softmax_call(logits, labels, axis=axis, label_smoothing=label_smoothing, ignore_index=ignore_index,
                              counts=counts, weights=weights, class_weights=class_weights)


@loss_function
def balanced_softmax_cross_entropy(
    logits,
    labels,
    counts,
    *,
    class_weights=None,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Balanced Softmax: the cross-entropy of :math:`x + \log n`.

    .. math::

        \ell = -\log \frac{n_y e^{x_y}}{\sum_c n_c e^{x_c}}

    The same loss as :func:`logit_adjusted_cross_entropy` with :math:`\tau = 1`
    (:math:`\log n_c` and :math:`\log \pi_c` differ by a constant, which the softmax
    cancels): an alias under the name users search for. Predict with the plain
    logits. A class with zero count gets the log of the smallest normal number
    (about -87 in float32) instead of :math:`-\infty`: a finite, very unlikely class
    (the reference gives it :math:`-\infty`, "a zero-shot problem").

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    counts : array or sequence of shape ``(C,)``
        Training class counts (or probabilities: only their ratios matter).
    class_weights, label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Ren et al., `Balanced Meta-Softmax for Long-Tailed Visual Recognition
    <https://arxiv.org/abs/2007.10740>`_, NeurIPS 2020.
    """
    call, x, targets = _cross_entropy_options(logits, labels, counts, class_weights=class_weights,
                                              label_smoothing=label_smoothing, ignore_index=ignore_index, axis=axis,
                                              weights=weights)
    return transformed_cross_entropy(call, x, targets, offset=log_prior(call, counts, targets.num_classes),
                                     class_weights=class_weights, weights=weights, reduction=reduction,
                                     replica_sum=replica_sum)


@loss_function
def vector_scaling_loss(
    logits,
    labels,
    counts,
    *,
    gamma=0.3,
    tau=1.0,
    class_weights=None,
    label_smoothing=0.0,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Vector-scaling (VS) loss: the cross-entropy of per-class scaled and shifted logits.

    .. math::

        z_c = \Delta_c x_c + \iota_c,\qquad
        \Delta_c = (n_c / n_{\max})^\gamma,\qquad \iota_c = \tau \log \pi_c

    The multiplicative part enlarges the rare classes' margins at training time
    (Kini et al.; ``tau=0`` is CDT, Ye et al.), the additive part is logit
    adjustment (``gamma=0`` is :func:`logit_adjusted_cross_entropy`). Defaults are
    the reference's (:math:`\gamma = 0.3`, :math:`\tau = 1`). A class with zero
    count gets :math:`\Delta = 0` (its logit is not used) and a finite
    :math:`\iota` (the log of the smallest normal number).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    counts : array or sequence of shape ``(C,)``
        Training class counts (or probabilities).
    gamma : float >= 0, default=0.3
    tau : float >= 0, default=1.0
    class_weights, label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Kini et al., `Label-Imbalanced and Group-Sensitive Classification under
    Overparameterization <https://arxiv.org/abs/2103.01550>`_, NeurIPS 2021;
    Ye et al., `Identifying and Compensating for Feature Deviation in Imbalanced
    Deep Learning <https://arxiv.org/abs/2001.01385>`_, 2020 (CDT).
    """
    gamma = check_number("gamma", gamma, low=0)
    tau = check_number("tau", tau, low=0)
    call, x, targets = _cross_entropy_options(logits, labels, counts, class_weights=class_weights,
                                              label_smoothing=label_smoothing, ignore_index=ignore_index, axis=axis,
                                              weights=weights)
    multiplier = call.xp.pow(relative_counts(call, counts, targets.num_classes, to="max"), gamma) if gamma else None
    offset = tau * log_prior(call, counts, targets.num_classes) if tau else None
    return transformed_cross_entropy(call, x, targets, multiplier=multiplier, offset=offset,
                                     class_weights=class_weights, weights=weights, reduction=reduction,
                                     replica_sum=replica_sum)


@loss_function
def ldam_loss(
    logits,
    labels,
    counts,
    *,
    max_margin=0.5,
    scale=30.0,
    class_weights=None,
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Label-distribution-aware margin (LDAM) loss.

    .. math::

        \ell = \mathrm{CE}\big(s\,(x - m \odot t),\ y\big),\qquad
        m_c = m_{\max} \left(\frac{n_{\min}}{n_c}\right)^{1/4}

    A margin :math:`m_c \propto n_c^{-1/4}` is subtracted from the target's logit
    only (for soft targets, weighted by them), the rarest class getting
    ``max_margin``; the result is scaled by ``scale``. Defaults are the
    reference's (0.5, 30). The reference pairs it with a cosine classifier
    (normalised features and weights, logits in [-1, 1]): with a plain linear
    layer, ``scale=30`` makes the logits huge, and a smaller scale is advised.
    Pair it with :func:`deferred_reweighting` for LDAM-DRW. A class with zero
    count gets ``max_margin`` (the limit of the rarest class), and the others'
    margins are relative to the rarest non-zero count.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    counts : array or sequence of shape ``(C,)``
        Training class counts (or probabilities).
    max_margin : float >= 0, default=0.5
    scale : float > 0, default=30.0
    class_weights, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy` (the DRW weights go in ``class_weights``).

    References
    ----------
    Cao et al., `Learning Imbalanced Datasets with Label-Distribution-Aware Margin
    Loss <https://arxiv.org/abs/1906.07413>`_, NeurIPS 2019.
    """
    max_margin = check_number("max_margin", max_margin, low=0)
    scale = check_number("scale", scale, low=0, low_open=True)
    call, x, targets = _cross_entropy_options(logits, labels, counts, class_weights=class_weights,
                                              label_smoothing=0.0, ignore_index=ignore_index, axis=axis,
                                              weights=weights)
    margins = max_margin * call.xp.pow(relative_counts(call, counts, targets.num_classes, to="min"), 0.25)
    return transformed_cross_entropy(call, x, targets, target_margin=margins, scale=scale,
                                     class_weights=class_weights, weights=weights, reduction=reduction,
                                     replica_sum=replica_sum)
