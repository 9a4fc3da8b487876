"""AUC-margin loss (AUCM; Yuan et al., ICCV 2021): AUC maximisation as a min-max problem.

The squared-hinge AUC surrogate over all positive-negative pairs,
``E[(m - (s_pos - s_neg))_+^2]``, is rewritten over single samples with three
auxiliary scalars: ``a`` and ``b`` track the mean scores of the positives and of the
negatives (minimised, as the model), and the dual variable ``alpha >= 0`` is
maximised. Each sample contributes one term, a polynomial of degree two in its
score and in the three variables, so the loss is the usual weighted mean of
per-element terms; the class prior ``p`` is a batch statistic (or given).
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import binary_targets, element_weights, is_host_value, safe_divide, start_call, sum_over_replicas
from .dispatch import loss_function
from .terms import WeightedTerm
from .validation import check_array_values, check_number, invalid_argument

__all__ = ["auc_margin_loss"]


def _sides(y, p):
    """The positive and negative terms' weights ``(1 - p) y`` and ``p (1 - y)``."""
    return (1 - p) * y, p * (1 - y)


@closed_form("auc_margin")
def auc_margin(xp, s, y, a, b, alpha, p, *, margin):
    r"""The per-sample objective :math:`F(s; a, b, \alpha)` (Yuan et al., eq. 4):

    .. math::

        F = (1 - p)\,y\,(s - a)^2 + p\,(1 - y)(s - b)^2
            + 2\alpha\big(p(1 - p)m + p(1 - y)s - (1 - p)y s\big) - p(1 - p)\alpha^2

    Its mean over samples equals LibAUC's ``AUCMLoss`` (``version="v1"``), whose
    ``torch.mean`` of masked terms is this mean.
    """
    pos, neg = _sides(y, p)
    d_pos, d_neg = s - a, s - b
    prior = p * (1 - p)
    dual = 2 * alpha * (prior * margin + (neg - pos) * s) - prior * alpha * alpha
    return pos * d_pos * d_pos + neg * d_neg * d_neg + dual, ()


@auc_margin.defderivative
def _(xp, s, y, a, b, alpha, p, *, saved, margin):
    # dF/ds = 2(1 - p) y (s - a) + 2p(1 - y)(s - b) + 2 alpha (p(1 - y) - (1 - p) y).
    pos, neg = _sides(y, p)
    return 2 * (pos * (s - a) + neg * (s - b) + alpha * (neg - pos))


@auc_margin.defcurvature
def _(xp, s, y, a, b, alpha, p, *, saved, fisher, margin):
    # d2F/ds2 = 2(1 - p) y + 2p(1 - y) >= 0: the exact curvature is its own positive form.
    pos, neg = _sides(y, p)
    return 2 * (pos + neg)


def _variable_derivatives(s, y, a, b, alpha, p, margin):
    """``dF/da, dF/db, dF/dalpha`` per element: the gradients of the auxiliary variables."""
    pos, neg = _sides(y, p)
    prior = p * (1 - p)
    return -2 * pos * (s - a), -2 * neg * (s - b), 2 * (prior * margin + (neg - pos) * s) - 2 * prior * alpha


def _number_or_per_class(call, name, value, classes):
    """``value`` as a compute-dtype array of shape () or (C,) (one per class on the last axis)."""
    v = call.asarray(value)
    if v.ndim > 1 or (v.ndim == 1 and v.shape[0] != classes):
        raise invalid_argument(name, f"a number or an array of shape () or ({classes},)", f"shape {tuple(v.shape)}")
    return v


def _variable(call, name, value, classes):
    """``a``, ``b`` or ``alpha``: a number, or an array of shape () or (C,); returned as a
    compute-dtype array and whether it is a framework array (trained)."""
    xp = call.xp
    v = _number_or_per_class(call, name, value, classes)
    check_array_values(xp, name, lambda: xp.isfinite(v), "finite values")
    return v, not is_host_value(value)


def _given_positive_rate(call, positive_rate, classes):
    """``positive_rate`` as a compute-dtype array of shape () or (C,), or None (from the batch)."""
    if positive_rate is None:
        return None
    if isinstance(positive_rate, (int, float)):
        return call.asarray(check_number("positive_rate", positive_rate, low=0, high=1))
    p = _number_or_per_class(call, "positive_rate", positive_rate, classes)
    check_array_values(call.xp, "positive_rate", lambda: (p >= 0) & (p <= 1), "values in [0, 1]")
    return call.stop_gradient(p)


def _batch_positive_rate(call, y, w, per_class, replica_sum):
    """The batch's weighted share of positives, over every element or per class on the last
    axis, summed over replicas (0 for a batch of zero weight)."""
    xp = call.xp
    weight = xp.ones_like(y) if w is None else w * xp.ones_like(y)  # broadcast, sizes known or not
    axes = tuple(range(y.ndim - 1)) if per_class else None
    sums = xp.stack([xp.sum(weight * y, axis=axes), xp.sum(weight, axis=axes)])
    sums = sum_over_replicas(replica_sum, call.stop_gradient(sums))
    return safe_divide(xp, sums[0, ...], sums[1, ...])


@loss_function
def auc_margin_loss(scores, targets, a, b, alpha, *, margin=1.0, positive_rate=None, weights=None, reduction="mean",
                    replica_sum=None):
    r"""AUC-margin loss (AUCM): direct AUC maximisation with a squared-hinge margin.

    .. math::

        F_i = (1 - p)\,y_i (s_i - a)^2 + p\,(1 - y_i)(s_i - b)^2
              + 2\alpha\big(p(1 - p)m + p(1 - y_i)s_i - (1 - p)y_i s_i\big) - p(1 - p)\alpha^2

    and the loss is the mean of :math:`F_i`. Training solves
    :math:`\min_{w, a, b}\max_{\alpha \ge 0}`: at the optimum :math:`a` and :math:`b` are
    the mean scores of the positives and the negatives and
    :math:`\alpha = \max(0, m - (a - b))`, and the objective is the variances of the two
    classes' scores plus the squared hinge :math:`p(1-p)\,(m - (\bar s_+ - \bar s_-))_+^2`
    on their separation. So ``alpha`` must be *ascended* (LibAUC's PESG optimiser does,
    and projects it onto :math:`\alpha \ge 0`): the framework classes
    (``imbalance_losses.torch.AUCMarginLoss``, ``imbalance_losses.keras.AUCMarginLoss``)
    hold ``a``, ``b`` and ``alpha`` as trainable weights, reverse ``alpha``'s gradient and
    keep it non-negative, so that any optimiser does the min-max. Called directly, the
    loss returns :math:`\partial/\partial\alpha` with its own sign: ascend it yourself.

    ``scores`` are used as given, with no activation, as LibAUC and MONAI use them
    (LibAUC applies a sigmoid in the model; a margin of 1 suits scores in [0, 1]).
    With the defaults the value equals LibAUC's and MONAI's ``AUCMLoss`` (``version="v1"``)
    for the same ``a``, ``b``, ``alpha``. The gradients are closed forms: in the scores
    through the loss's closed-form term (its second derivative
    :math:`2(1-p)y + 2p(1-y)` is exact), and in ``a``, ``b``, ``alpha`` (first order)
    when they are arrays of the scores' framework.

    Parameters
    ----------
    scores : array of any shape
        One score per element; with per-class variables, classes on the last axis
        (multi-label, as LibAUC's ``AUCM_MultiLabel``).
    targets : array of the shape of ``scores``, values in [0, 1]
        1 for a positive, 0 for a negative; soft targets mix the two terms linearly.
    a, b : float or array of shape ``()`` or ``(C,)``
        The positives' and negatives' mean-score variables (LibAUC starts them at 0).
    alpha : float or array of shape ``()`` or ``(C,)``
        The dual variable, :math:`\ge 0` (LibAUC starts it at 0).
    margin : float >= 0, default=1.0
        :math:`m`, the separation asked of the mean scores.
    positive_rate : float in [0, 1], array of shape ``(C,)`` or None; default=None
        :math:`p`, the share of positives in the training data. None takes it from
        the batch: the weighted share of positives over every element, or per class
        when ``a``, ``b`` or ``alpha`` has one value per class (with
        ``replica_sum``, of the global batch). LibAUC also reads it from each batch by
        default, MONAI when its ``imratio`` is None.
    weights : array broadcastable to ``scores``, default=None
        Element weights (0 leaves an element out of the loss and of the batch's prior).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is LibAUC's; its multi-label loss sums over the classes:
        ``C`` times the mean here.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas: the prior from the
        batch and the mean then cover the global batch.

    References
    ----------
    Yuan et al., `Large-scale Robust Deep AUC Maximization: A New Surrogate Loss and
    Empirical Studies on Medical Image Classification <https://arxiv.org/abs/2012.03173>`_,
    ICCV 2021.
    """
    margin = check_number("margin", margin, low=0)
    call, s = start_call(scores, targets=targets, a=a, b=b, alpha=alpha, weights=weights, positive_rate=positive_rate)
    xp = call.xp
    y = binary_targets(call, targets, scores.shape)
    w = element_weights(call, weights, s.shape)
    classes = s.shape[-1] if s.ndim else 1
    variables = [_variable(call, name, value, classes) for name, value in (("a", a), ("b", b), ("alpha", alpha))]
    p = _given_positive_rate(call, positive_rate, classes)
    if p is None:
        per_class = any(v.ndim == 1 for v, _ in variables)
        p = _batch_positive_rate(call, y, w, per_class, replica_sum)
    arrays = (y, *(call.stop_gradient(v) for v, _ in variables), p)
    addend = None
    if any(trained for _, trained in variables):
        derivatives = _variable_derivatives(call.stop_gradient(s), *arrays, margin)
        for (variable, trained), derivative in zip(variables, derivatives, strict=True):
            if trained:  # value 0, gradient dF/dvariable in closed form
                part = (variable - call.stop_gradient(variable)) * derivative
                addend = part if addend is None else addend + part
    return WeightedTerm(call, auc_margin, s, arrays, {"margin": margin}, weights=w, addend=addend).reduce(
        reduction, replica_sum)
