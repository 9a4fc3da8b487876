"""Per-sample derivatives for gradient boosting, and the margin to start from.

A gradient-boosting library fits each tree to the gradient and Hessian diagonal
of the training loss with respect to the current margins (raw scores), one pair
per sample (and class). :func:`loss_derivatives` gives that pair for every loss
that is a sum of per-sample terms, from each term's closed-form derivative and
curvature (:class:`~.autodiff.ClosedForm`), through the loss's own option checks,
with its weights applied once. :func:`prior_margin` gives the margin a booster
should start from instead of 0.
"""

from __future__ import annotations

from .asymmetric import asymmetric_loss
from .common import start_call
from .detection import distribution_focal_loss, quality_focal_loss, varifocal_loss
from .equalization import equalization_loss
from .dispatch import array_function, is_host_value, resolve_backend
from .distribution_balanced import _positive_rates, distribution_balanced_loss
from .logit_adjust import (
    balanced_softmax_cross_entropy,
    ldam_loss,
    log_prior,
    logit_adjusted_cross_entropy,
    vector_scaling_loss,
)
from .multilabel import multilabel_categorical_crossentropy
from .poly import poly1_cross_entropy, poly1_focal_loss, poly1_sigmoid_cross_entropy
from .regression import balanced_mse_loss, focal_regression_loss
from .sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .softmax import softmax_cross_entropy, softmax_focal_loss
from .terms import Derivatives
from .truncated import hard_truncated_loss, soft_truncated_loss, soft_truncated_softmax_loss
from .validation import check_number, invalid_argument

__all__ = ["loss_derivatives", "prior_margin", "targets_layout"]

# Each per-sample loss with the layout of its targets: "binary" (0/1 or soft targets of
# the margins' shape, one decision per element), "classes" (class labels, the class axis
# last: a softmax over each row), "multilabel" (0/1 targets of the margins' shape, one
# term per row), "bins" (a real target in [0, n_bins - 1] per row of bin margins, the
# distribution focal loss: a softmax cross-entropy with its two-hot target) or
# "regression" (real targets of the margins' shape; Balanced MSE with GAI or BNI only,
# as BMC compares samples). A new per-sample loss is one row here and a curvature
# beside its term.
PER_SAMPLE_LOSSES = {
    sigmoid_cross_entropy: "binary",
    sigmoid_focal_loss: "binary",
    poly1_sigmoid_cross_entropy: "binary",
    poly1_focal_loss: "binary",
    hard_truncated_loss: "binary",
    soft_truncated_loss: "binary",
    asymmetric_loss: "binary",
    distribution_balanced_loss: "binary",
    varifocal_loss: "binary",
    equalization_loss: "binary",
    quality_focal_loss: "binary",
    softmax_cross_entropy: "classes",
    softmax_focal_loss: "classes",
    poly1_cross_entropy: "classes",
    logit_adjusted_cross_entropy: "classes",
    balanced_softmax_cross_entropy: "classes",
    vector_scaling_loss: "classes",
    ldam_loss: "classes",
    soft_truncated_softmax_loss: "classes",
    multilabel_categorical_crossentropy: "multilabel",
    distribution_focal_loss: "bins",
    focal_regression_loss: "regression",
    balanced_mse_loss: "regression",
}


def targets_layout(loss) -> str:
    """``"binary"``, ``"classes"``, ``"multilabel"``, ``"bins"`` or ``"regression"``: how a
    per-sample loss reads its targets."""
    layout = PER_SAMPLE_LOSSES.get(loss)
    if layout is None:
        names = ", ".join(sorted(f.__name__ for f in PER_SAMPLE_LOSSES))
        raise invalid_argument("loss", f"a loss that is a sum of per-sample terms ({names})",
                               getattr(loss, "__name__", loss))
    return layout


def loss_derivatives(loss, logits, targets, *, hessian="fisher", **options):
    r"""The gradient and Hessian diagonal of a per-sample loss with respect to the logits.

    .. math::

        g_{ij} = \frac{\partial}{\partial x_{ij}} \sum_k w_k \ell_k,\qquad
        h_{ij} = \frac{\partial^2}{\partial x_{ij}^2} \sum_k w_k \ell_k

    where :math:`\ell_k` is the loss of sample (element) :math:`k` as ``loss(...,
    reduction="none")`` defines it and :math:`w_k` its weight (``weights``, class
    weights, the ignore mask), applied exactly once. Each is computed in closed form
    from the loss's term (no autodiff), in the namespace, device and dtype of
    ``logits``: the Newton step of a gradient-boosting library
    (:mod:`imbalance_losses.xgboost`, :mod:`imbalance_losses.lightgbm`,
    :mod:`imbalance_losses.catboost`).

    Parameters
    ----------
    loss : callable
        A loss that is a sum of per-sample terms: ``sigmoid_cross_entropy``,
        ``sigmoid_focal_loss``, ``poly1_sigmoid_cross_entropy``, ``poly1_focal_loss``,
        ``hard_truncated_loss``, ``soft_truncated_loss``, ``asymmetric_loss``,
        ``distribution_balanced_loss``, ``equalization_loss``, ``varifocal_loss``,
        ``quality_focal_loss`` (targets
        of the logits' shape),
        ``softmax_cross_entropy``, ``softmax_focal_loss``, ``poly1_cross_entropy``,
        ``logit_adjusted_cross_entropy``, ``balanced_softmax_cross_entropy``,
        ``vector_scaling_loss``, ``ldam_loss``, ``soft_truncated_softmax_loss`` (class
        labels), ``multilabel_categorical_crossentropy`` (ZLPR),
        ``distribution_focal_loss`` (a distance in bin units per row of bin margins),
        ``focal_regression_loss`` or
        ``balanced_mse_loss`` with ``method="gai"`` or ``"bni"`` (real targets).
    logits : array
        The margins, as the loss takes them.
    targets : array
        As the loss takes them (with its other positional arrays, such as
        ``counts``, passed as keywords: ``counts=...``).
    hessian : {"fisher", "exact", "clipped"}, default="fisher"
        ``"exact"``: the true second derivative, which for focal-type losses is
        negative on badly misclassified samples (down to -0.047 for sigmoid focal
        with :math:`\gamma = 2`); a booster clips or rejects such values, and a leaf
        whose Hessians sum to about 0 takes a huge step. ``"clipped"``: the exact one
        with negative values set to 0 (what XGBoost does to them). ``"fisher"`` (the
        default): cross-entropy's Hessian (the Fisher information of the logistic or
        softmax model) times the loss's effective sample weight, the ratio of its
        gradient to cross-entropy's — positive everywhere, so each sample's Newton
        step is cross-entropy's and the loss acts as the sample weight it
        effectively is. For losses whose Hessian is never negative (cross-entropy,
        logit adjustment, LDAM, ZLPR, hard truncation, DFL) the three are the same.
    **options
        The loss's options (``alpha``, ``gamma``, ``weights``, ``counts``, ...);
        not ``reduction`` or ``replica_sum``.

    Returns
    -------
    (gradient, hessian) : pair of arrays
        Each of the shape and dtype of ``logits``; NaN where an integer label is out
        of range.

    References
    ----------
    Chen and Guestrin, `XGBoost: A Scalable Tree Boosting System
    <https://arxiv.org/abs/1603.02754>`_, KDD 2016 (the second-order objective).
    """
    targets_layout(loss)
    derivatives = Derivatives(hessian)  # checks `hessian`
    if "reduction" in options or "replica_sum" in options:
        name = "reduction" if "reduction" in options else "replica_sum"
        raise invalid_argument(name, "not given: derivatives are per sample", options[name])
    return loss(logits, targets, reduction=derivatives, **options)


@array_function
def prior_margin(counts, *, tau=1.0, num_samples=None):
    r"""The margin a classifier should start from: the log prior of its classes.

    Multi-class (``num_samples=None``): :math:`\tau \log \pi_c` with
    :math:`\pi = n / \sum n`, the softmax margins whose probabilities are the class
    frequencies at :math:`\tau = 1` (the logit-adjustment prior). Binary and
    multi-label (``num_samples`` given, ``counts`` the positives of each output):
    :math:`\tau \log\big(n / (N - n)\big)`, the log-odds of each output's positive
    rate. A gradient-boosting library's custom objective otherwise starts every
    sample at margin 0, which for a 1:99 problem costs its first rounds just
    walking to the prior (``base_margin`` / ``init_score``); for a bias this is the
    usual initialisation of a classifier's last layer.

    Parameters
    ----------
    counts : array or sequence
        Class counts (or probabilities) of shape ``(C,)``; with ``num_samples``, the
        positive count of each output, shape ``(C,)``.
    tau : float >= 0, default=1.0
    num_samples : int, default=None
        The number of samples, for binary and multi-label counts.

    Returns
    -------
    array of shape ``(C,)``
        In the namespace of ``counts`` (NumPy for sequences), floating. A zero count
        gives a finite margin: the smallest normal number's log for a class
        (about -708 in float64), and counts clamped to ``[1, N - 1]`` for a rate.

    References
    ----------
    Menon et al., `Long-tail learning via logit adjustment
    <https://arxiv.org/abs/2007.07314>`_, ICLR 2021.
    """
    tau = check_number("tau", tau, low=0)
    if is_host_value(counts):
        import numpy as np

        counts = np.asarray(counts, dtype=np.float64)
    call, n = start_call(_floating(counts))
    if n.ndim != 1:
        raise invalid_argument("counts", "one value per class, shape (C,)", f"shape {tuple(n.shape)}")
    xp = call.xp
    if num_samples is None:
        margin = tau * log_prior(call, n, n.shape[0])
    else:
        num_samples = check_number("num_samples", num_samples, low=1, low_open=True)
        rate = _positive_rates(call, n, num_samples, n.shape[0])
        margin = tau * (xp.log(rate) - xp.log1p(-rate))
    return call.finish(margin)


def _floating(counts):
    """Counts as a floating array of their namespace (integer counts are common)."""
    xp = resolve_backend(counts).xp
    if xp.isdtype(counts.dtype, "real floating"):
        return counts
    return xp.astype(counts, xp.__array_namespace_info__().default_dtypes()["real floating"])
