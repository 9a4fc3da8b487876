"""The classification losses of dense detectors: Varifocal, Quality Focal and Distribution Focal.

Varifocal (VarifocalNet) and Quality Focal (Generalized Focal Loss) are sigmoid losses
on IoU-valued soft targets: each element of ``logits`` is a (class, anchor) score whose
target is the localisation quality of the anchor's box on its class and 0 elsewhere.
Distribution Focal is a softmax over the bins of a box side's discretised distance,
with a continuous target between two bins. Each is a closed-form term (value,
derivative and curvature side by side); the modulating factors are part of the loss,
not detached, as in the reference code.
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import element_weights, power, start_call
from .dispatch import loss_function
from .sigmoid import blend, logistic, start_sigmoid_term_call
from .softmax import softmax_cross_entropy_term, softmax_term
from .targets import ClassTargets
from .terms import WeightedTerm
from .validation import check_array_values, check_choice, check_number, check_shape, invalid_argument

__all__ = ["distribution_focal_loss", "quality_focal_loss", "varifocal_loss"]


def _varifocal_parts(xp, x, y, alpha, gamma, iou_weighted):
    """The logistic terms, the BCE and the weight: ``q`` (or 1) on positives, ``alpha s^gamma`` on negatives."""
    s, s_bar, softplus_x, softplus_minus_x = logistic(xp, x)
    bce = blend(xp, softplus_x, softplus_minus_x, y)
    positive = y > 0
    negative_weight = alpha * power(xp, s, gamma) if gamma else alpha
    weight = xp.where(positive, y if iou_weighted else 1.0, negative_weight)
    return s, s_bar, softplus_x, bce, positive, negative_weight, weight


@closed_form("varifocal")
def varifocal_term(xp, x, y, *, alpha, gamma, iou_weighted):
    r""":math:`w\,\mathrm{BCE}(x, q)` with :math:`w = q` (or 1) where :math:`q > 0`, else
    :math:`\alpha\,\sigma(x)^\gamma` (:math:`|\sigma(x) - q|^\gamma` at :math:`q = 0`)."""
    *_, bce, _, _, weight = _varifocal_parts(xp, x, y, alpha, gamma, iou_weighted)
    return weight * bce, ()


@varifocal_term.defderivative
def _(xp, x, y, *, saved, alpha, gamma, iou_weighted):
    r"""Positives: :math:`w (s - q)`, the weight a constant. Negatives, where the BCE is
    :math:`\mathrm{softplus}(x)` and :math:`(s^\gamma)' = \gamma s^\gamma \bar s`:

    .. math::

        \frac{d\ell}{dx} = \alpha s^\gamma \left(\gamma\,\bar s\,\mathrm{softplus}(x) + s\right)

    finite for every finite logit (:math:`\bar s\,\mathrm{softplus}(x) \to 0` as
    :math:`x \to \infty`, :math:`s^\gamma \to 0` as :math:`x \to -\infty`).
    """
    s, s_bar, softplus_x, _, positive, negative_weight, weight = _varifocal_parts(xp, x, y, alpha, gamma, iou_weighted)
    return xp.where(positive, weight * blend(xp, s, -s_bar, y), negative_weight * (gamma * s_bar * softplus_x + s))


@varifocal_term.defcurvature
def _(xp, x, y, *, saved, fisher, alpha, gamma, iou_weighted):
    r"""Positives: :math:`w s \bar s`. Negatives, with :math:`B = \gamma \bar s\,\mathrm{softplus}(x) + s`
    and :math:`B' = s \bar s (\gamma + 1 - \gamma\,\mathrm{softplus}(x))`:

    .. math::

        \frac{d^2\ell}{dx^2} = \alpha s^\gamma \left(\gamma \bar s B + B'\right)

    negative for a confident negative's large logit (:math:`\mathrm{softplus}(x) > 1 + 1/\gamma`
    and then some). The positive form (``fisher``) writes the gradient as :math:`w_e s` and
    takes the logistic Fisher information times that effective weight,
    :math:`w_e s \bar s = \alpha s^\gamma B \bar s`.
    """
    s, s_bar, softplus_x, _, positive, negative_weight, weight = _varifocal_parts(xp, x, y, alpha, gamma, iou_weighted)
    variance = s * s_bar
    b = gamma * s_bar * softplus_x + s
    negative = b * s_bar if fisher else gamma * s_bar * b + variance * (gamma + 1 - gamma * softplus_x)
    return xp.where(positive, weight * variance, negative_weight * negative)


@loss_function
def varifocal_loss(logits, targets, *, alpha=0.75, gamma=2.0, iou_weighted=True, weights=None, reduction="mean",
                   replica_sum=None):
    r"""Varifocal loss (VarifocalNet): focal loss on IoU-aware soft targets, asymmetric.

    .. math::

        \ell = w \cdot \mathrm{BCE}(x, q),\qquad
        w = \begin{cases} q & q > 0 \\ \alpha\,\sigma(x)^\gamma & q = 0 \end{cases}

    where ``q`` is the IoU of the anchor's predicted box with its ground truth on
    the ground-truth class, 0 on every other class and for background anchors.
    Positives are weighted by their quality (``iou_weighted=False``: by 1); only
    negatives are down-weighted, by :math:`\alpha\,\sigma(x)^\gamma`. The weight is
    not detached (as mmdetection's and Ultralytics' code): the gradient includes
    :math:`d\sigma^\gamma/dx`. Written in closed form from ``softplus`` and ``sigmoid``
    terms, finite and exact for every finite logit.

    Parameters
    ----------
    logits : array of any shape, e.g. (anchors, classes)
    targets : array of the shape of ``logits``, values in [0, 1]
        The IoU-valued targets ``q`` (0 for negatives).
    alpha : float >= 0, default=0.75
        The weight of the negatives (not focal loss's alpha).
    gamma : float >= 0, default=2.0
    iou_weighted : bool, default=True
    weights : array, default=None
        Per-element weights broadcastable to ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over all elements (weighted), as mmdetection's
        ``reduction="mean"``; a detector dividing by the number of positives (its
        ``avg_factor``) uses ``"sum"`` and divides; Ultralytics' ``.mean(1).sum()`` is
        ``"sum"`` divided by the number of classes.
    replica_sum : callable, default=None
        Sums an array over data-parallel replicas (``imbalance_losses.torch.replica_sum()``).

    Returns
    -------
    array
        A scalar, or the per-element losses for ``"none"``, in the dtype of ``logits``.

    References
    ----------
    Zhang et al., `VarifocalNet: An IoU-aware Dense Object Detector
    <https://arxiv.org/abs/2008.13367>`_, CVPR 2021.
    """
    alpha = check_number("alpha", alpha, low=0)
    gamma = check_number("gamma", gamma, low=0)
    check_choice("iou_weighted", iou_weighted, (True, False))
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights)
    return WeightedTerm(call, varifocal_term, x, (y,), {"alpha": alpha, "gamma": gamma, "iou_weighted": iou_weighted},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


def _abs_power(xp, a, exponent):
    """``a ** exponent`` for ``a >= 0``, 0 where ``a`` is 0 also for a negative exponent
    (the cusp of ``|d|^beta`` at ``d = 0``: there the derivative is taken as 0)."""
    if exponent >= 0:
        return power(xp, a, exponent) if exponent else xp.ones_like(a)
    positive = a > 0
    return xp.where(positive, xp.pow(xp.where(positive, a, 1.0), exponent), 0.0)


def _quality_parts(xp, x, y):
    """``s, s_bar``, the BCE and ``d = s - q`` (as ``(1 - q) s - q s_bar``: no cancellation
    at saturated logits with 0/1 targets)."""
    s, s_bar, softplus_x, softplus_minus_x = logistic(xp, x)
    return s, s_bar, blend(xp, softplus_x, softplus_minus_x, y), blend(xp, s, -s_bar, y)


@closed_form("quality_focal")
def quality_focal_term(xp, x, y, *, beta):
    r""":math:`|\sigma(x) - q|^\beta\,\mathrm{BCE}(x, q)`."""
    _, _, bce, d = _quality_parts(xp, x, y)
    return _abs_power(xp, xp.abs(d), beta) * bce, ()


@quality_focal_term.defderivative
def _(xp, x, y, *, saved, beta):
    r"""With :math:`d = s - q`, :math:`v = s\bar s = d'` and :math:`\mathrm{BCE}' = d`:

    .. math::

        \frac{d\ell}{dx} = \beta\,\mathrm{sign}(d)\,|d|^{\beta - 1}\, v\,\mathrm{BCE} + |d|^\beta d

    (0 at :math:`d = 0`, where for :math:`\beta < 1` the loss has a cusp).
    """
    s, s_bar, bce, d = _quality_parts(xp, x, y)
    a = xp.abs(d)
    return beta * xp.sign(d) * _abs_power(xp, a, beta - 1) * (s * s_bar) * bce + _abs_power(xp, a, beta) * d


@quality_focal_term.defcurvature
def _(xp, x, y, *, saved, fisher, beta):
    r"""With :math:`v' = v(\bar s - s)`:

    .. math::

        \frac{d^2\ell}{dx^2} = \beta(\beta - 1)|d|^{\beta - 2} v^2\,\mathrm{BCE}
            + \beta\,\mathrm{sign}(d)|d|^{\beta - 1} v (\bar s - s)\,\mathrm{BCE} + (2\beta + 1)|d|^\beta v

    which can be negative. The positive form (``fisher``) writes the gradient as
    :math:`w_e d` with :math:`w_e = |d|^\beta + \beta |d|^{\beta - 2} v\,\mathrm{BCE} \ge 0` and
    takes :math:`w_e v`.
    """
    s, s_bar, bce, d = _quality_parts(xp, x, y)
    a, v = xp.abs(d), s * s_bar
    if fisher:
        return _abs_power(xp, a, beta) * v + beta * _abs_power(xp, a, beta - 2) * (v * v) * bce
    return (beta * (beta - 1) * _abs_power(xp, a, beta - 2) * (v * v) * bce
            + beta * xp.sign(d) * _abs_power(xp, a, beta - 1) * v * (s_bar - s) * bce
            + (2 * beta + 1) * _abs_power(xp, a, beta) * v)


@loss_function
def quality_focal_loss(logits, targets, *, beta=2.0, weights=None, reduction="mean", replica_sum=None):
    r"""Quality focal loss (Generalized Focal Loss): focal loss for continuous quality targets.

    .. math::

        \ell = |\sigma(x) - q|^\beta\, \mathrm{BCE}(x, q)

    where ``q`` is the IoU of the anchor's box on its ground-truth class and 0
    elsewhere (or any soft target in [0, 1]). The modulating factor is the distance
    to the target, for positives and negatives alike; it is not detached (as
    mmdetection's code). mmdetection's ``quality_focal_loss(pred, (label, score))``
    is this loss on the dense targets ``q = score`` at ``label``, 0 elsewhere, summed
    over classes: ``reduction="sum"`` divided by the number of anchors gives its mean.

    Parameters
    ----------
    logits : array of any shape, e.g. (anchors, classes)
    targets : array of the shape of ``logits``, values in [0, 1]
    beta : float >= 0, default=2.0
    weights : array, default=None
        Per-element weights broadcastable to ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        Sums an array over data-parallel replicas (``imbalance_losses.torch.replica_sum()``).

    References
    ----------
    Li et al., `Generalized Focal Loss: Learning Qualified and Distributed Bounding
    Boxes for Dense Object Detection <https://arxiv.org/abs/2006.04388>`_, NeurIPS 2020.
    """
    beta = check_number("beta", beta, low=0)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights)
    return WeightedTerm(call, quality_focal_term, x, (y,), {"beta": beta},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


def two_hot(call, positions, num_bins):
    """Continuous ``positions`` in ``[0, num_bins - 1]`` as (..., num_bins) rows of two
    weights on the neighbouring bins, ``(l + 1 - t)`` at ``l`` and ``(t - l)`` at ``l + 1``
    (``l = floor(t)``, the last bin's position ``num_bins - 1`` as all of the last bin's);
    NaN rows for positions outside the range."""
    xp = call.xp
    t = call.asarray(positions)
    inside = (t >= 0) & (t <= num_bins - 1)
    left = xp.floor(xp.where(inside, t, 0.0))
    # The last bin's position counts as the right end of the last pair (no clip: under
    # torch.compile(dynamic=True) the bin count is symbolic, which clip cannot take).
    left = left - xp.astype(left >= num_bins - 1, call.dtype)
    right_weight = xp.where(inside, t - left, xp.nan)[..., None]
    bins = xp.arange(num_bins, dtype=call.dtype, device=call.device)
    at_left = xp.astype(bins == left[..., None], call.dtype)
    at_right = xp.astype(bins == left[..., None] + 1, call.dtype)
    return (1 - right_weight) * at_left + right_weight * at_right


@loss_function
def distribution_focal_loss(logits, targets, *, weights=None, reduction="mean", replica_sum=None):
    r"""Distribution focal loss (Generalized Focal Loss): a box side's distance as a distribution over bins.

    .. math::

        \ell = -\left[(l + 1 - t)\log p_l + (t - l)\log p_{l + 1}\right],
        \qquad p = \operatorname{softmax}(x),\ l = \lfloor t \rfloor

    for a continuous target ``t`` between bins ``l`` and ``l + 1``: the softmax
    cross-entropy with the two-hot target that puts the mass of ``t`` on its two
    neighbouring bins, so its gradient is the closed form :math:`p - \mathrm{twohot}(t)`
    and its minimiser has expectation :math:`\sum_j j\,p_j = t`. A target on the last
    bin, :math:`t = n - 1`, is that bin's cross-entropy (mmdetection and Ultralytics
    clamp targets below ``n - 1 - 0.01`` instead, so that ``l + 1`` stays a bin).

    Parameters
    ----------
    logits : array, shape ``(..., n)``
        Scores of the ``n`` distance bins ``0, ..., n - 1`` on the last axis (e.g.
        ``(anchors, 4, reg_max + 1)`` in mmdetection's GFL head, ``(..., reg_max)`` in
        Ultralytics).
    targets : array, shape ``(...)``
        The distances in bin units, in ``[0, n - 1]``; outside, the element's loss is NaN.
    weights, reduction, replica_sum
        As in :func:`quality_focal_loss` (``weights`` broadcastable to ``targets``).

    References
    ----------
    The paper of :func:`quality_focal_loss` (Li et al., NeurIPS 2020), eq. 6.
    """
    call, x = start_call(logits, targets=targets, weights=weights)
    num_bins = x.shape[-1] if x.ndim else None
    if num_bins is None or num_bins < 2:
        raise invalid_argument("logits", "an array with at least two bins on its last axis", f"shape {tuple(x.shape)}")
    t = call.asarray(targets)
    check_shape("targets", t.shape, x.shape[:-1], "distances in bin units of the shape of `logits` without its last "
                "(bin) axis,")
    check_array_values(call.xp, "targets", lambda: (t >= 0) & (t <= num_bins - 1),
                       f"distances in [0, {num_bins - 1}] (bin units)")
    targets = ClassTargets(call, two_hot(call, t, num_bins), logits_shape=tuple(x.shape), axis=-1,
                           label_smoothing=0.0, ignore_index=None)
    return softmax_term(call, targets, softmax_cross_entropy_term, x, (targets.target, None),
                        weights=weights).reduce(reduction, replica_sum)
