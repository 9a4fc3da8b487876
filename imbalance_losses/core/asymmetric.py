"""Asymmetric loss (ASL, Ridnik et al., ICCV 2021): separate focusing for positives and negatives.

Multi-label problems have few positives per image and many easy negatives. ASL
focuses the negatives harder (``gamma_neg > gamma_pos``) and shifts their
probability by a margin ``clip``, discarding negatives with
:math:`p \\le` ``clip`` entirely. Written in log space: the reference clamps
probabilities at 1e-8 inside the logs, which gives NaN under float16 autocast;
here every log is a softplus or a ``log1p`` of a bounded argument, and the
closed-form gradients contain no negative power.
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import element_weights, power
from .dispatch import loss_function
from .sigmoid import blend, logistic, start_sigmoid_term_call
from .softmax import (
    complements,
    first_maximum,
    log_ratio,
    row_statistics,
    softmax_term,
    start_softmax_call,
)
from .targets import Distribution
from .terms import WeightedTerm
from .validation import check_number

__all__ = ["asymmetric_loss", "softmax_asymmetric_loss"]


def _shifted_negative(xp, s, softplus_x, clip):
    """``p_m = max(p - clip, 0)`` and ``-log(1 - p_m)``.

    ``1 - p_m = min(1, 1 - p + clip)``, so ``-log(1 - p_m) = -log1p(min(clip - p, 0))``,
    whose argument is above ``clip - 1 > -1``: finite. Without a margin it is
    ``softplus(x)``, exact for saturated logits.
    """
    if clip == 0:
        return s, softplus_x
    return xp.maximum(s - clip, 0.0), -xp.log1p(xp.minimum(clip - s, 0.0))


@closed_form("asymmetric")
def asymmetric_term(xp, x, y, *, gamma_pos, gamma_neg, clip):
    r""":math:`y (1 - p)^{\gamma_+} (-\log p) + (1 - y)\, p_m^{\gamma_-} (-\log(1 - p_m))`."""
    s, s_bar, softplus_x, softplus_minus_x = logistic(xp, x)
    positive = softplus_minus_x if gamma_pos == 0 else power(xp, s_bar, gamma_pos) * softplus_minus_x
    p_m, negative = _shifted_negative(xp, s, softplus_x, clip)
    if gamma_neg:
        negative = power(xp, p_m, gamma_neg) * negative
    return blend(xp, negative, positive, y), ()


@asymmetric_term.defderivative
def _(xp, x, y, *, saved, gamma_pos, gamma_neg, clip):
    r"""With :math:`s = \sigma(x)`, :math:`\bar s = \sigma(-x)`, :math:`L = -\log(1 - p_m)`:

    .. math::

        \frac{d}{dx}\big[\bar s^{\gamma_+} \mathrm{softplus}(-x)\big]
            = -\bar s^{\gamma_+} \big(\gamma_+ s\, \mathrm{softplus}(-x) + \bar s\big),\qquad
        \frac{d}{dx}\big[p_m^{\gamma_-} L\big]
            = p_m^{\gamma_-} \Big(\gamma_- \frac{s \bar s}{p_m} L + \frac{s \bar s}{1 - p_m}\Big)

    for :math:`p > ` clip (0 below: :math:`p_m` and :math:`L` are flat). :math:`L / p_m \to 1`
    as :math:`p_m \to 0`, so no term is unbounded; without a margin
    :math:`p_m = s` and the negative part is the mirror image of the positive one.
    """
    s, s_bar, softplus_x, softplus_minus_x = logistic(xp, x)
    positive = -power(xp, s_bar, gamma_pos) * (gamma_pos * s * softplus_minus_x + s_bar) if gamma_pos else -s_bar
    p_m, negative_value = _shifted_negative(xp, s, softplus_x, clip)
    if clip == 0:
        negative = gamma_neg * s_bar * softplus_x + s
    else:
        active = s > clip
        safe_p_m = xp.where(active, p_m, 1.0)
        negative = s * s_bar * (gamma_neg * negative_value / safe_p_m + 1 / (s_bar + clip))
        negative = xp.where(active, negative, 0.0)
    if gamma_neg:
        negative = power(xp, p_m, gamma_neg) * negative
    return blend(xp, negative, positive, y)


@asymmetric_term.defcurvature
def _(xp, x, y, *, saved, fisher, gamma_pos, gamma_neg, clip):
    r"""With :math:`v = s\bar s` (:math:`= dp_m/dx` above the margin), :math:`d^2 p_m/dx^2 = v(\bar s - s)`,
    :math:`dL/dx = v/(\bar s + m)` and :math:`d^2L/dx^2 = v(\bar s - s)/(\bar s + m) + (v/(\bar s + m))^2`:

    .. math::

        \frac{d^2}{dx^2}\big[p_m^{\gamma} L\big] = p_m^{\gamma}\Big[\gamma(\gamma - 1)\frac{v^2}{p_m}\frac{L}{p_m}
            + \gamma v (\bar s - s)\frac{L}{p_m} + 2\gamma \frac{v^2}{p_m(\bar s + m)}
            + \frac{v(\bar s - s)}{\bar s + m} + \frac{v^2}{(\bar s + m)^2}\Big]

    and the positive part is sigmoid focal's with :math:`y = 1`:
    :math:`\bar s^{\gamma_+}[v + \gamma_+(\gamma_+ - 1)s^2 B - \gamma_+ s(1 - 2s)B + 2\gamma_+ v]`,
    :math:`B = \mathrm{softplus}(-x)`. Negative for badly misclassified samples when
    :math:`\gamma > 0`. The positive form (``fisher``) is :math:`w v` with :math:`w` the
    gradient's ratio to cross-entropy's (:math:`s - y`), as for focal loss.
    """
    s, s_bar, softplus_x, softplus_minus_x = logistic(xp, x)
    v = s * s_bar
    tiny = xp.finfo(x.dtype).smallest_normal
    modulation = power(xp, s_bar, gamma_pos) if gamma_pos else 1.0
    if fisher:
        positive = modulation * (1 + gamma_pos * s * softplus_minus_x / (s_bar + tiny))
    else:
        positive = modulation * (v + gamma_pos * ((gamma_pos - 1) * s * s * softplus_minus_x
                                                  - s * (s_bar - s) * softplus_minus_x + 2 * v))
    p_m, negative_value = _shifted_negative(xp, s, softplus_x, clip)
    active = s > clip
    safe_p_m = xp.where(active, p_m, 1.0)
    ratio = negative_value / safe_p_m  # L / p_m, which tends to 1 at the margin
    # dL/dx = v / (s_bar + m): s itself without a margin (exact where s_bar underflows).
    slope = s if clip == 0 else v / (s_bar + clip)
    if fisher:
        # (s_bar / s) dN/dx: gamma s_bar L / p_m + s_bar / (s_bar + m), the latter 1 without a margin.
        negative = gamma_neg * s_bar * ratio + (s_bar / (s_bar + clip) if clip else 1.0)
    else:
        negative = (gamma_neg * (gamma_neg - 1) * v * v / safe_p_m * ratio + gamma_neg * v * (s_bar - s) * ratio
                    + 2 * gamma_neg * v * slope / safe_p_m + slope * (s_bar - s) + slope * slope)
    negative = xp.where(active, negative, 0.0)
    if gamma_neg:
        negative = power(xp, p_m, gamma_neg) * negative
    return blend(xp, negative, positive, y) * (v if fisher else 1.0)


@loss_function
def asymmetric_loss(logits, targets, *, gamma_pos=0.0, gamma_neg=4.0, clip=0.05, weights=None, reduction="mean",
                    replica_sum=None):
    r"""Asymmetric loss (ASL) for multi-label classification.

    .. math::

        \ell = -y\,(1 - p)^{\gamma_+} \log p - (1 - y)\, p_m^{\gamma_-} \log(1 - p_m),
        \qquad p = \sigma(x),\quad p_m = \max(p - m, 0)

    elementwise, with the probability margin :math:`m` = ``clip``. Defaults are the
    reference training script's (:math:`\gamma_+ = 0, \gamma_- = 4, m = 0.05`;
    timm and mmpretrain use :math:`\gamma_+ = 1`). The focusing weights are
    differentiated (as the reference's ``AsymmetricLoss`` does). ``reduction``
    follows our mean rule (the mean over every element); the reference returns the
    **sum** over batch and classes, which is ``reduction="sum"`` (it grows with the
    batch size: rescale the learning rate when switching). With
    ``gamma_pos = gamma_neg = clip = 0`` this is :func:`sigmoid_cross_entropy`.
    Soft targets enter linearly, as in the formula.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    gamma_pos : float >= 0, default=0.0
    gamma_neg : float >= 0, default=4.0
    clip : float in [0, 1), default=0.05
        The probability margin of the negatives.
    weights, reduction, replica_sum
        As in :func:`sigmoid_cross_entropy`.

    References
    ----------
    Ridnik et al., `Asymmetric Loss For Multi-Label Classification
    <https://arxiv.org/abs/2009.14119>`_, ICCV 2021.
    """
    gamma_pos = check_number("gamma_pos", gamma_pos, low=0)
    gamma_neg = check_number("gamma_neg", gamma_neg, low=0)
    clip = check_number("clip", clip, low=0, high=1, high_open=True)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights)
    return WeightedTerm(call, asymmetric_term, x, (y,), {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg, "clip": clip},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


def _softmax_asymmetric_parts(xp, x, target, m, e, total, index, smoothing, gamma_pos, gamma_neg):
    """``t``, ``t'``, ``u = 1 - p``, ``-log p``, ``p`` and the per-class focusing weights."""
    z = x - m
    u, nlp = complements(xp, z, e, total, first_maximum(xp, z))
    given = Distribution(xp, target, x.shape[-1], index=index, smoothing=0.0).dense(x.dtype)
    smoothed = Distribution(xp, target, x.shape[-1], index=index, smoothing=smoothing).dense(x.dtype)
    positive = power(xp, u, gamma_pos) if gamma_pos else None
    negative = xp.exp(-gamma_neg * nlp) if gamma_neg else None  # p^gamma_neg in log space
    return given, smoothed, u, nlp, e / total, positive, negative


def _or_one(value):
    return 1.0 if value is None else value


@closed_form("softmax_asymmetric", rowwise=True)
def softmax_asymmetric_term(xp, x, target, *, index, smoothing, gamma_pos, gamma_neg):
    r""":math:`\sum_c t'_c \big[t_c (1 - p_c)^{\gamma_+} + (1 - t_c) p_c^{\gamma_-}\big] (-\log p_c)`."""
    m, e, total = row_statistics(xp, x)
    given, smoothed, _, nlp, _, positive, negative = _softmax_asymmetric_parts(
        xp, x, target, m, e, total, index, smoothing, gamma_pos, gamma_neg)
    weight = (1 - given) * _or_one(negative) + given * _or_one(positive)
    return xp.sum(smoothed * weight * nlp, axis=-1), (m, total)


@softmax_asymmetric_term.defderivative
def _(xp, x, target, *, saved, index, smoothing, gamma_pos, gamma_neg):
    r"""Per class, :math:`D_c = p_c\, \partial \ell / \partial p_c`:

    .. math::

        D_c = t'_c \big[(1 - t_c)\, p_c^{\gamma_-} (\gamma_- (-\log p_c) - 1)
              - t_c\, (1 - p_c)^{\gamma_+} (1 + \gamma_+ p_c \rho_c)\big],\qquad
        \frac{\partial \ell}{\partial x_j} = D_j - p_j \sum_c D_c

    with :math:`\rho_c = -\log p_c / (1 - p_c) \to 1`; no negative power appears.
    """
    m, total = saved
    e = xp.exp(x - m)
    given, smoothed, u, nlp, p, positive, negative = _softmax_asymmetric_parts(
        xp, x, target, m, e, total, index, smoothing, gamma_pos, gamma_neg)
    positive_slope = 1.0
    if gamma_pos:
        positive_slope = positive * (1 + gamma_pos * p * log_ratio(xp, nlp, u))
    negative_slope = _or_one(negative) * (gamma_neg * nlp - 1)
    d = smoothed * ((1 - given) * negative_slope - given * positive_slope)
    return d - p * xp.sum(d, axis=-1, keepdims=True)


@loss_function
def softmax_asymmetric_loss(logits, labels, *, gamma_pos=0.0, gamma_neg=4.0, label_smoothing=0.1, ignore_index=None,
                            axis=-1, weights=None, reduction="mean", replica_sum=None):
    r"""Single-label asymmetric loss (the reference's ``ASLSingleLabel``).

    .. math::

        \ell_i = -\sum_c t'_{ic} \big[t_{ic} (1 - p_{ic})^{\gamma_+}
                 + (1 - t_{ic})\, p_{ic}^{\gamma_-}\big] \log p_{ic}

    with :math:`p = \operatorname{softmax}(x)`, :math:`t` the one-hot target as given and
    :math:`t'` the smoothed one. The negatives enter only through label smoothing
    (:math:`t'_c = \varepsilon / C` off the target), which is why the reference's
    default, kept here, is ``label_smoothing=0.1``; with ``label_smoothing=0`` the
    loss is :func:`softmax_focal_loss` with :math:`\gamma = \gamma_+`. Soft targets
    blend the two weights linearly in :math:`t_c` (the reference takes one-hot only).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    gamma_pos : float >= 0, default=0.0
    gamma_neg : float >= 0, default=4.0
    label_smoothing : float in [0, 1], default=0.1
    ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Ridnik et al., `Asymmetric Loss For Multi-Label Classification
    <https://arxiv.org/abs/2009.14119>`_, ICCV 2021.
    """
    gamma_pos = check_number("gamma_pos", gamma_pos, low=0)
    gamma_neg = check_number("gamma_neg", gamma_neg, low=0)
    call, x, targets = start_softmax_call(logits, labels, axis=axis, label_smoothing=label_smoothing,
                                          ignore_index=ignore_index, weights=weights)
    return softmax_term(call, targets, softmax_asymmetric_term, x, (targets.target,),
                        {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg}, weights=weights).reduce(reduction, replica_sum)
