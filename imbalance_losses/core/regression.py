r"""Imbalanced regression: focal-R, Balanced MSE (BMC, GAI, BNI) and LDS weights.

Regression targets can be as imbalanced as class labels: ages, depths or prices
rare in some ranges. Two remedies from the literature, each written once here:

- **re-weighting** by the smoothed label density: :func:`lds_weights` (Yang et al.,
  ICML 2021) gives per-target ``weights=`` for any loss, and
  :func:`focal_regression_loss` (focal-R, same paper) down-weights the small
  errors the frequent targets already fit;
- **Balanced MSE** (Ren et al., CVPR 2022): the likelihood of a target under the
  *balanced* (uniform) label distribution, which subtracts from the Gaussian
  log-likelihood of the target the log-likelihood of the prediction under the
  training label distribution :math:`p_{train}(y)`, estimated from the batch
  (BMC), a Gaussian mixture (GAI) or a histogram (BNI).

Each loss is one closed-form term of the predictions (:class:`~.autodiff.ClosedForm`):
its value and derivative side by side below, and for the per-sample ones (focal-R,
GAI, BNI) the Hessian diagonal a gradient-boosting library asks for. A learnable
noise variance receives its own closed-form derivative (see :func:`balanced_mse_loss`).
"""

from __future__ import annotations

import math

from .autodiff import closed_form
from .class_weights import float_dtype, host_array
from .common import LossCall, element_weights, histogram, power, stable_logsumexp, start_call
from .dispatch import array_function, is_host_value, loss_function, resolve_backend
from .terms import WeightedTerm
from .validation import (
    check_array_values,
    check_choice,
    check_integer,
    check_number,
    check_shape,
    invalid_argument,
)

__all__ = ["balanced_mse_loss", "focal_regression_loss", "lds_weights", "regression_errors"]

# focal-R's factor is tanh(c * beta * |e|): c = 1/2 is 2 sigmoid(beta |e|) - 1 exactly.
_ACTIVATION_SCALE = {"sigmoid": 0.5, "tanh": 1.0}


def _regression_targets(call, targets, shape, name="targets"):
    """Real-valued targets in the compute dtype, of the predictions' ``shape``."""
    xp = call.xp
    y = call.asarray(targets)
    check_shape(name, y.shape, shape, "the shape of `predictions`,")
    check_array_values(xp, name, lambda: xp.isfinite(y), "finite values")
    return y


# ---------------------------------------------------------------------------
# Focal-R


def _focal_factor(xp, x, y, kind, rate):
    """``e``, ``u = |e|``, the base loss exponent ``p`` and ``a = tanh(rate * u)``."""
    e = x - y
    u = xp.abs(e)
    return e, u, (2 if kind == "mse" else 1), xp.tanh(rate * u)


def _at_zero_residual(kind, rate, gamma):
    r"""The limit of the curvature (and of :math:`f'(e)/e`) as :math:`e \to 0`, where the
    closed forms divide 0 by 0: :math:`f \sim (c\beta)^\gamma |e|^{p+\gamma}`."""
    if kind == "mse":
        return 2.0 if gamma == 0 else 0.0
    return 2.0 * rate if gamma == 1 else 0.0  # infinite for gamma < 1: no Newton step at e = 0


@closed_form("focal_regression")
def focal_regression_term(xp, x, y, *, kind, rate, gamma):
    r""":math:`f = |e|^p \tanh(c\beta|e|)^\gamma` with :math:`e = \hat y - y`, :math:`p = 2`
    (MSE) or 1 (L1)."""
    _, u, p, a = _focal_factor(xp, x, y, kind, rate)
    return (u * u if p == 2 else u) * power(xp, a, gamma), ()


@focal_regression_term.defderivative
def _focal_regression_derivative(xp, x, y, *, saved, kind, rate, gamma):
    r"""With :math:`u = |e|`, :math:`a = \tanh(c\beta u)`, :math:`a' = c\beta(1 - a^2)`:

    .. math:: \frac{\partial f}{\partial e} = \mathrm{sign}(e)\, a^{\gamma - 1}
              \left[p\,u^{p-1} a + \gamma\, u^p a'\right]

    which is 0 at :math:`e = 0` (every :math:`\gamma > 0`, and by the sign for
    :math:`\gamma = 0`)."""
    e, u, p, a = _focal_factor(xp, x, y, kind, rate)
    positive = a > 0
    lead = xp.pow(xp.where(positive, a, 1.0), gamma - 1.0)
    bracket = (p * u * a if p == 2 else a) + gamma * (u * u if p == 2 else u) * rate * (1 - a * a)
    return xp.where(positive, xp.sign(e) * lead * bracket, 0.0)


@focal_regression_term.defcurvature
def _focal_regression_curvature(xp, x, y, *, saved, fisher, kind, rate, gamma):
    r"""Exact: with :math:`a'' = -2c\beta\, a\, a'`,

    .. math:: f'' = a^{\gamma-2}\left[p(p-1)u^{p-2}a^2 + 2p\gamma u^{p-1} a a'
              + \gamma(\gamma-1) u^p a'^2 - 2c\beta\gamma u^p a^2 a'\right]

    negative for large L1 errors. Positive (``fisher``): :math:`f'(e)/e`, the weight of
    the least-squares problem whose gradient this is (the Newton step of the squared
    error the loss effectively weights each sample by; 2 for plain MSE)."""
    _, u, p, a = _focal_factor(xp, x, y, kind, rate)
    positive = a > 0
    safe_a, safe_u = xp.where(positive, a, 1.0), xp.where(positive, u, 1.0)
    slope = rate * (1 - a * a)
    up = safe_u * safe_u if p == 2 else safe_u
    if fisher:
        value = xp.pow(safe_a, gamma - 1.0) * ((p * safe_a if p == 2 else safe_a / safe_u) + gamma * up / safe_u * slope)
    else:
        value = xp.pow(safe_a, gamma - 2.0) * (
            (2 * safe_a * safe_a if p == 2 else 0.0)
            + 2 * p * gamma * (safe_u if p == 2 else 1.0) * safe_a * slope
            + gamma * (gamma - 1) * up * slope * slope
            - 2 * rate * gamma * up * safe_a * safe_a * slope
        )
    return xp.where(positive, value, _at_zero_residual(kind, rate, gamma))


@loss_function
def focal_regression_loss(predictions, targets, *, kind="mse", beta=0.2, gamma=1.0, activation="sigmoid",
                          weights=None, reduction="mean", replica_sum=None):
    r"""Focal-R: a regression loss scaled down where the error is already small.

    .. math::

        \ell = |e|^p\, \big(2\sigma(\beta|e|) - 1\big)^\gamma \quad\text{or}\quad
        |e|^p \tanh(\beta|e|)^\gamma,\qquad e = \hat y - y

    elementwise, with :math:`p = 2` (``kind="mse"``) or :math:`p = 1` (``"l1"``),
    as YyzHarry/imbalanced-regression's ``weighted_focal_mse_loss`` and
    ``weighted_focal_l1_loss``. The sigmoid factor is computed as
    :math:`\tanh(\beta|e|/2)`, the same number without the cancellation of
    :math:`2\sigma - 1` near 0. The reference averages ``weights * loss`` over the
    elements; the mean here is the package's weighted mean
    :math:`\sum w\ell / \sum w` (the same for LDS weights averaging 1 over the batch;
    ``reduction="sum"`` divided by the count gives theirs).

    Parameters
    ----------
    predictions : floating array of any shape
    targets : array of the shape of ``predictions``, finite real values
    kind : {"mse", "l1"}, default="mse"
    beta : float > 0, default=0.2
    gamma : float >= 0, default=1.0
        :math:`\gamma = 0` is the plain MSE (or L1) loss.
    activation : {"sigmoid", "tanh"}, default="sigmoid"
    weights : array broadcastable to ``predictions``, default=None
        E.g. :func:`lds_weights` of the targets.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        Sums the mean's numerator and denominator over data-parallel replicas.

    Returns
    -------
    array
        A scalar, or per-element losses of the shape of ``predictions`` for ``"none"``.

    References
    ----------
    Yang et al., `Delving into Deep Imbalanced Regression
    <https://arxiv.org/abs/2102.09554>`_, ICML 2021.
    """
    check_choice("kind", kind, ("mse", "l1"))
    check_choice("activation", activation, tuple(_ACTIVATION_SCALE))
    beta = check_number("beta", beta, low=0, low_open=True)
    gamma = check_number("gamma", gamma, low=0)
    call, x = start_call(predictions, targets=targets, weights=weights)
    y = _regression_targets(call, targets, x.shape)
    static = {"kind": kind, "rate": _ACTIVATION_SCALE[activation] * beta, "gamma": gamma}
    return WeightedTerm(call, focal_regression_term, x, (y,), static,
                        weights=element_weights(call, weights, x.shape)).reduce(reduction, replica_sum)


# ---------------------------------------------------------------------------
# Balanced MSE


def _mixture_logits(xp, x, log_weights, means, variances, noise):
    r"""Per row and component :math:`k`: the log-density of the prediction under component
    :math:`k` of the label prior convolved with the noise, up to :math:`-\frac d2\log 2\pi`,

    .. math:: b_k = \log\pi_k - \tfrac12\sum_j \log(v_{kj} + \sigma^2)
              - \tfrac12\sum_j \frac{(\hat y_j - \mu_{kj})^2}{v_{kj} + \sigma^2}

    and the pieces the derivatives reuse: the total variances and the differences."""
    total = variances + noise  # (K, d)
    diff = x[..., None, :] - means  # (..., K, d)
    logits = log_weights - 0.5 * xp.sum(xp.log(total), axis=-1) - 0.5 * xp.sum(diff * diff / total, axis=-1)
    return logits, total, diff


@closed_form("balanced_mse_prior", rowwise=True)
def balanced_mse_prior_term(xp, x, y, log_weights, means, variances, noise):
    r"""GAI and BNI: the negative Gaussian log-likelihood of the target minus the log of the
    prediction's likelihood under the training label prior (a mixture), per row:

    .. math:: f = \frac{\lVert\hat y - y\rVert^2}{2\sigma^2} + \frac d2\log\sigma^2
              + \operatorname{logsumexp}_k b_k

    (the :math:`2\pi` constants cancel). BNI is the mixture of the histogram's bin
    centres with variance 0: its :math:`\frac d2 \log\sigma^2` terms cancel, leaving the
    reference's ``bni_loss``."""
    d = x.shape[-1]
    logits, _, _ = _mixture_logits(xp, x, log_weights, means, variances, noise)
    balance = stable_logsumexp(xp, logits)
    r = x - y
    value = xp.sum(r * r, axis=-1) / (2 * noise) + 0.5 * d * xp.log(noise) + balance
    return value, (balance,)


def _responsibilities(xp, logits, balance):
    """The softmax of the mixture logits (each component's share of the prediction)."""
    return xp.exp(logits - xp.where(xp.isfinite(balance), balance, 0.0)[..., None])


@balanced_mse_prior_term.defderivative
def _balanced_mse_prior_derivative(xp, x, y, log_weights, means, variances, noise, *, saved):
    r""":math:`\partial f/\partial\hat y = (\hat y - y)/\sigma^2 - \sum_k r_k (\hat y - \mu_k)/(v_k + \sigma^2)`,
    :math:`r = \operatorname{softmax}_k b`: the MSE's pull to the target minus the prior's
    pull to the dense components."""
    logits, total, diff = _mixture_logits(xp, x, log_weights, means, variances, noise)
    r = _responsibilities(xp, logits, saved[0])
    return (x - y) / noise - xp.sum(r[..., None] * diff / total, axis=-2)


@balanced_mse_prior_term.defcurvature
def _balanced_mse_prior_curvature(xp, x, y, log_weights, means, variances, noise, *, saved, fisher):
    r"""Per coordinate, with :math:`a_k = -(\hat y - \mu_k)/(v_k + \sigma^2)`:

    .. math:: \frac{\partial^2 f}{\partial\hat y^2} = \frac1{\sigma^2} - \sum_k \frac{r_k}{v_k + \sigma^2}
              + \operatorname{Var}_r(a)

    never negative (:math:`v_k \ge 0`), so the exact form is also the positive one.
    For BNI (:math:`v = 0`) the first two cancel: only the spread of the bins' pulls is left."""
    logits, total, diff = _mixture_logits(xp, x, log_weights, means, variances, noise)
    r = _responsibilities(xp, logits, saved[0])[..., None]
    pull = diff / total
    mean_pull = xp.sum(r * pull, axis=-2)
    spread = xp.sum(r * (pull - mean_pull[..., None, :]) ** 2, axis=-2)
    return (1 / noise - xp.sum(r / total, axis=-2)) + spread


def _prior_noise_derivative(xp, x, y, log_weights, means, variances, noise):
    r""":math:`\partial f/\partial\sigma^2 = -\frac{\lVert\hat y - y\rVert^2}{2\sigma^4} + \frac d{2\sigma^2}
    + \sum_k r_k \sum_j \tfrac12\Big[\frac{(\hat y_j-\mu_{kj})^2}{(v_{kj}+\sigma^2)^2} - \frac1{v_{kj}+\sigma^2}\Big]`."""
    logits, total, diff = _mixture_logits(xp, x, log_weights, means, variances, noise)
    r = _responsibilities(xp, logits, stable_logsumexp(xp, logits))
    per_component = 0.5 * xp.sum(diff * diff / (total * total) - 1 / total, axis=-1)
    res = x - y
    return (-xp.sum(res * res, axis=-1) / (2 * noise * noise) + 0.5 * x.shape[-1] / noise
            + xp.sum(r * per_component, axis=-1))


def _pairwise_logits(xp, x, candidates, candidate_mask, noise):
    r""":math:`L_{ij} = -\lVert\hat y_i - y_j\rVert^2 / 2\sigma^2` for every prediction and
    candidate target, formed from the differences (no cancellation of
    :math:`\lVert a\rVert^2 - 2a\cdot b + \lVert b\rVert^2`); ``-inf`` for masked candidates."""
    diff = x[:, None, :] - candidates[None, :, :]
    squared = xp.sum(diff * diff, axis=-1)
    logits = -squared / (2 * noise)
    if candidate_mask is not None:
        logits = xp.where(candidate_mask, logits, -math.inf)
    return logits, squared


@closed_form("balanced_mse_batch", rowwise=True)
def balanced_mse_batch_term(xp, x, y, candidates, noise, candidate_mask):
    r"""BMC per row: the cross-entropy of the pairwise logits :math:`L_{ij}` with the row's
    own target as the label,

    .. math:: f_i = \operatorname{logsumexp}_j L_{ij} + \frac{\lVert\hat y_i - y_i\rVert^2}{2\sigma^2}

    (the own target's logit is :math:`-\lVert\hat y_i - y_i\rVert^2/2\sigma^2`; written so,
    the row needs no index into the gathered candidates). A row without candidates (all
    masked: its own weight is 0) is 0."""
    logits, _ = _pairwise_logits(xp, x, candidates, candidate_mask, noise)
    balance = stable_logsumexp(xp, logits)
    r = x - y
    value = balance + xp.sum(r * r, axis=-1) / (2 * noise)
    # Only an empty row (-inf) is 0: a NaN prediction stays NaN.
    return xp.where(balance == -math.inf, 0.0, value), (balance,)


@balanced_mse_batch_term.defderivative
def _balanced_mse_batch_derivative(xp, x, y, candidates, noise, candidate_mask, *, saved):
    r""":math:`\partial f_i/\partial\hat y_i = (\mathbb E_{P_i}[y] - y_i)/\sigma^2` with
    :math:`P_i = \operatorname{softmax}_j L_{ij}`: the target expected under the batch's
    posterior minus the own target (times :math:`2\sigma^2`, twice their difference)."""
    logits, _ = _pairwise_logits(xp, x, candidates, candidate_mask, noise)
    expected = xp.matmul(_responsibilities(xp, logits, saved[0]), candidates)
    return (expected - y) / noise


def _batch_noise_derivative(xp, x, y, candidates, noise, candidate_mask):
    r""":math:`\partial f_i/\partial\sigma^2 = (\mathbb E_{P_i}[D_{ij}] - D_{ii}) / 2\sigma^4`,
    :math:`D_{ij} = \lVert\hat y_i - y_j\rVert^2`."""
    logits, squared = _pairwise_logits(xp, x, candidates, candidate_mask, noise)
    balance = stable_logsumexp(xp, logits)
    p = _responsibilities(xp, logits, balance)
    r = x - y
    own = xp.sum(r * r, axis=-1)
    value = (xp.sum(p * squared, axis=-1) - own) / (2 * noise * noise)
    return xp.where(balance == -math.inf, 0.0, value)


def _noise_option(call, noise_variance):
    """The noise variance as a 0-d array, and whether it is a framework array (learnable)."""
    xp = call.xp
    learnable = not is_host_value(noise_variance)
    if not learnable:
        check_number("noise_variance", noise_variance, low=0, low_open=True)
    noise = call.asarray(noise_variance)
    if len(noise.shape) != 0:
        if math.prod(noise.shape) != 1:
            raise invalid_argument("noise_variance", "a positive number or a one-element array",
                                   f"shape {tuple(noise.shape)}")
        noise = xp.reshape(noise, ())
    check_array_values(xp, "noise_variance", lambda: (noise > 0) & xp.isfinite(noise), "a positive finite value")
    return noise, learnable


def _gmm_arrays(call, gmm, d):
    """``gmm=(weights, means, variances)`` as ``(log weights (K,), means (K, d), variances (K, d))``.

    Means ``(K,)`` (one-dimensional targets) or ``(K, d)``; variances ``(K,)`` (one per
    component, every coordinate), ``(K, d)`` (diagonal, scikit-learn's
    ``covariance_type="diag"``) or ``(K, 1, 1)`` (scikit-learn's ``"full"`` for
    one-dimensional targets, what the reference code loads)."""
    xp = call.xp
    if not isinstance(gmm, (tuple, list)) or len(gmm) != 3:
        raise invalid_argument("gmm", "a (weights, means, variances) triple", gmm)
    weights, means, variances = (call.asarray(a) for a in gmm)
    if weights.ndim != 1:
        raise invalid_argument("gmm", "mixture weights of shape (K,)", f"weights of shape {tuple(weights.shape)}")
    k = weights.shape[0]
    means = xp.reshape(means, (k, 1)) if means.ndim == 1 and d == 1 else means
    check_shape("gmm", means.shape, (k, d), "means of shape")
    if variances.ndim == 3 and d == 1:
        variances = xp.reshape(variances, (k, 1))
    elif variances.ndim == 1:
        variances = variances[:, None] + xp.zeros((1, d), dtype=call.dtype, device=call.device)
    check_shape("gmm", variances.shape, (k, d), "variances of shape (K,), (K, d) (diagonal) or (K, 1, 1) for d = 1:")
    check_array_values(xp, "gmm", lambda: (weights >= 0) & (variances >= 0), "non-negative weights and variances")
    return _log_of_normalised(xp, weights), means, variances


def _log_of_normalised(xp, weights):
    """``log(w / sum(w))``; ``-inf`` for a zero weight (a component, or an empty bin, that
    takes no part)."""
    positive = weights > 0
    return xp.where(positive, xp.log(xp.where(positive, weights, 1.0)), -math.inf) - xp.log(xp.sum(weights))


def _bins_arrays(call, bin_edges, bin_counts, d):
    """BNI's histogram as a mixture of its bin centres: ``bin_edges`` one edge array
    ``(B + 1,)`` (``d = 1``) or a sequence of ``d`` of them, ``bin_counts`` of shape
    ``(B,)`` or ``(B_1, ..., B_d)``."""
    xp = call.xp
    if bin_edges is None or bin_counts is None:
        raise invalid_argument("bin_edges", "the histogram's edges and counts (bin_edges=, bin_counts=) for "
                               "method='bni'", bin_edges)
    per_axis = list(bin_edges) if isinstance(bin_edges, (list, tuple)) and not _is_number_list(bin_edges) else [bin_edges]
    if len(per_axis) != d:
        raise invalid_argument("bin_edges", f"one edge array per target dimension ({d})", f"{len(per_axis)} arrays")
    centres = []
    for edges in per_axis:
        edges = call.asarray(edges)
        if edges.ndim != 1 or edges.shape[0] < 2:
            raise invalid_argument("bin_edges", "increasing edges of shape (B + 1,)", f"shape {tuple(edges.shape)}")
        centres.append(0.5 * (edges[1:] + edges[:-1]))
    counts = call.asarray(bin_counts)
    check_shape("bin_counts", counts.shape, tuple(c.shape[0] for c in centres), "one count per bin, shape")
    check_array_values(xp, "bin_counts", lambda: (counts >= 0) & xp.isfinite(counts), "non-negative finite counts")
    # The grid of bin centres, one row per bin, in the counts' (C) order.
    grid = []
    for axis, c in enumerate(centres):
        shape = [1] * d
        shape[axis] = c.shape[0]
        grid.append(xp.reshape(xp.reshape(c, tuple(shape)) + xp.zeros(counts.shape, dtype=call.dtype,
                                                                       device=call.device), (-1,)))
    means = xp.stack(grid, axis=-1)
    return _log_of_normalised(xp, xp.reshape(counts, (-1,))), means, xp.zeros_like(means)


def _is_number_list(value):
    return all(isinstance(v, (int, float)) for v in value)


def _sample_weights(call, weights, x):
    """Per-sample weights (the predictions' shape without its target axis); weights with
    a trailing axis of size 1 (such as ``lds_weights`` of targets ``(N, 1)``) lose it."""
    if weights is None or isinstance(weights, (int, float)):
        return element_weights(call, weights, x.shape[:-1])
    w = call.asarray(weights)
    if len(w.shape) == len(x.shape) and w.shape[-1] == 1:
        w = w[..., 0]
    return element_weights(call, w, x.shape[:-1])


@loss_function
def balanced_mse_loss(predictions, targets, *, method="bmc", noise_variance=1.0, gmm=None, bin_edges=None,
                      bin_counts=None, weights=None, reduction="mean", replica_sum=None, replica_gather=None):
    r"""Balanced MSE: regression towards the balanced (uniform) label distribution.

    With Gaussian noise of variance :math:`\sigma^2`, the MSE is the negative
    log-likelihood under the *training* label distribution, which pulls rare targets
    towards the frequent ones. Balanced MSE divides it by the prediction's likelihood
    under the training labels' prior :math:`p_{train}`, per sample

    .. math::

        \ell = 2\sigma^2_{\mathrm{sg}}\left[\frac{\lVert\hat y - y\rVert^2}{2\sigma^2}
               + \log\int \mathcal N(\hat y;\, y', \sigma^2 I)\, p_{train}(y')\,dy'\right]
               + \text{const}

    (the factor :math:`2\sigma^2` carries no gradient, so the scale is the MSE's), with
    :math:`p_{train}` estimated by ``method``:

    - ``"bmc"`` (batch Monte-Carlo): the batch's targets :math:`y_j` — the
      cross-entropy of the logits :math:`-\lVert\hat y_i - y_j\rVert^2 / 2\sigma^2`
      with each row's own target, whose gradient is
      :math:`2(\mathbb E_{P_i}[y] - y_i)`. Under data parallelism the batch is every
      replica's: pass ``replica_gather`` (and ``replica_sum`` for the mean).
    - ``"gai"``: a Gaussian mixture fitted to the training targets,
      ``gmm=(weights, means, variances)`` (e.g. scikit-learn's ``GaussianMixture``'s
      ``weights_``, ``means_``, ``covariances_``).
    - ``"bni"``: the training targets' histogram, ``bin_edges`` and ``bin_counts``.

    Values are those of jiawei-ren/BalancedMSE (``bmc_loss``, ``gai_loss``,
    ``bni_loss`` and the multi-dimensional ``bmc_loss_md``, ``gai_loss_md``),
    constants included; the reference averages over the batch (our mean with
    ``weights=None``).

    Parameters
    ----------
    predictions : floating array of shape ``(..., d)``
        The last axis is the target dimension (``d = 1`` for scalar targets: pass
        ``y[:, None]``); every other axis indexes samples (a batch, a dense map).
    targets : array of the shape of ``predictions``
    method : {"bmc", "gai", "bni"}, default="bmc"
    noise_variance : float > 0 or a one-element array, default=1.0
        :math:`\sigma^2`. An array of the predictions' framework is learnable: its
        gradient, :math:`2\sigma^2_{\mathrm{sg}}\,\partial f/\partial\sigma^2`, is also
        given in closed form (first derivatives only). The class layers hold
        :math:`\sigma` as a trainable weight, as the reference does. The authors advise
        starting it at the targets' noise level and keeping it fixed first.
    gmm : (weights (K,), means (K,) or (K, d), variances (K,), (K, d) or (K, 1, 1))
        For ``"gai"``; variances are per component, diagonal, or scikit-learn's full
        form for ``d = 1``.
    bin_edges, bin_counts : for ``"bni"``
        Edges ``(B + 1,)`` and counts ``(B,)``; for ``d > 1`` one edge array per target
        coordinate and counts of shape ``(B_1, ..., B_d)`` (``numpy.histogramdd``'s).
    weights : array broadcastable to ``predictions.shape[:-1]``, default=None
        Per-sample weights (a trailing axis of size 1 is dropped). For ``"bmc"`` a
        target of weight 0 (a masked pixel) is no candidate either.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives per-sample losses of shape ``predictions.shape[:-1]``.
    replica_sum : callable, default=None
        Sums the mean's numerator and denominator over data-parallel replicas.
    replica_gather : callable, default=None
        For ``"bmc"``: concatenates an array's first axis over replicas
        (``imbalance_losses.torch.replica_gather()``, ``.jax``, ``.keras``), so the
        candidates are the global batch's targets, exactly as one process on it.

    Returns
    -------
    array
        A scalar, or per-sample losses for ``"none"``.

    Notes
    -----
    BMC's cost is :math:`O(n\,m\,d)` for :math:`n` local and :math:`m` gathered
    samples: for dense maps, pass a subsample of pixels.

    References
    ----------
    Ren et al., `Balanced MSE for Imbalanced Visual Regression
    <https://arxiv.org/abs/2203.16427>`_, CVPR 2022.
    """
    check_choice("method", method, ("bmc", "gai", "bni"))
    call, x = start_call(predictions, targets=targets, weights=weights)
    xp = call.xp
    if len(x.shape) < 2 or x.shape[-1] is None:
        raise invalid_argument("predictions", "a trailing target axis of known size, shape (..., d) (for scalar "
                               "targets add one: predictions[:, None])", f"shape {tuple(x.shape)}")
    d = x.shape[-1]
    y = _regression_targets(call, targets, x.shape)
    noise, learnable = _noise_option(call, noise_variance)
    w = _sample_weights(call, weights, x)
    if method == "bmc":
        mask = None
        if w is not None:  # one weight per row of the flattened samples
            w = xp.reshape(w * xp.ones_like(x[..., 0]), (-1,))
            mask = w > 0
        x, y = xp.reshape(x, (-1, d)), xp.reshape(y, (-1, d))
        candidates = call.stop_gradient(y)
        if replica_gather is not None:
            candidates = replica_gather(candidates)
            mask = None if mask is None else replica_gather(w) > 0
        term, arrays, noise_derivative = balanced_mse_batch_term, (y, candidates, noise, mask), _batch_noise_derivative
    else:
        prior = _gmm_arrays(call, gmm, d) if method == "gai" else _bins_arrays(call, bin_edges, bin_counts, d)
        term, arrays, noise_derivative = balanced_mse_prior_term, (y, *prior, noise), _prior_noise_derivative
    scale = 2 * call.stop_gradient(noise)
    addend = None
    if learnable:
        # The noise variance's gradient in closed form, carried by a term of value 0:
        # (q - sg(q)) * sg(df/dq). The term itself passes gradient to the predictions only.
        slope = call.stop_gradient(scale * noise_derivative(xp, call.stop_gradient(x), *arrays))
        addend = (noise - call.stop_gradient(noise)) * slope
    loss = WeightedTerm(call, term, x, arrays, {}, weights=w, factor=scale, addend=addend)
    if method == "bmc" and reduction == "none":
        return xp.reshape(loss.reduce("none"), tuple(-1 if s is None else s for s in predictions.shape[:-1]))
    return loss.reduce(reduction, replica_sum)


# ---------------------------------------------------------------------------
# LDS weights


def _gaussian_window(size, sigma):
    """SciPy's ``gaussian_filter1d`` of a centred impulse of length ``size`` (mode
    ``"reflect"``, ``truncate=4``), which folds the kernel's tails back into the window."""
    radius = int(4.0 * sigma + 0.5)
    kernel = [math.exp(-0.5 * (j / sigma) ** 2) for j in range(-radius, radius + 1)]
    total = sum(kernel)
    centre, period = size // 2, 2 * size
    window = [0.0] * size
    for i in range(size):
        for j, k in zip(range(-radius, radius + 1), kernel):
            m = (i + j) % period
            if (m if m < size else period - 1 - m) == centre:
                window[i] += k / total
    return window


def _triangular_window(size):
    """SciPy's ``signal.windows.triang`` for an odd ``size``: peak 1, ends ``2/(size+1)``."""
    half = (size + 1) // 2
    rising = [2 * n / (size + 1) for n in range(1, half + 1)]
    return rising + rising[-2::-1]


def lds_window(kernel, size, sigma):
    """The LDS smoothing window, peak 1 (as the reference's ``get_lds_kernel_window``)."""
    half = (size - 1) // 2
    if kernel == "gaussian":
        window = _gaussian_window(size, sigma)
    elif kernel == "triang":
        window = _triangular_window(size)
    else:  # laplace
        window = [math.exp(-abs(j) / sigma) for j in range(-half, half + 1)]
    peak = max(window)
    return [v / peak for v in window]


@array_function
def lds_weights(targets, *, bin_edges, kernel="gaussian", kernel_size=5, sigma=2.0, reweight="sqrt_inverse",
                count_clip=(5, 1000)):
    r"""Label-distribution-smoothing (LDS) weights: the inverse smoothed density of each target.

    The targets' histogram over ``bin_edges`` (a target outside the edges counts in
    the first or last bin), re-weighted (``"sqrt_inverse"``: :math:`\sqrt{n_b}`;
    ``"inverse"``: :math:`n_b` clipped to ``count_clip``), smoothed by a symmetric
    window over neighbouring bins (zero beyond the ends), and inverted:

    .. math::

        \tilde n = k * \phi(n),\qquad w_i = \frac{1/\tilde n_{b(i)}}{\frac1N\sum_j 1/\tilde n_{b(j)}}

    so the weights average 1 over ``targets``. This is YyzHarry/imbalanced-regression's
    ``_prepare_weights`` with float bin edges instead of integer labels: integer
    edges ``0, 1, ..., 121`` reproduce it (its ``max_target=121``), except that the
    smoothing is in floating point (its ``"inverse"`` smooths an integer array, which
    SciPy rounds down to integers). Pass them as
    ``weights=`` of any loss (for :func:`balanced_mse_loss` with targets ``(N, 1)`` a
    trailing axis of 1 is accepted), or as a booster's sample weights.

    Parameters
    ----------
    targets : array of any shape (or a sequence)
        The training targets (scalar each); the weights have their shape.
    bin_edges : array or sequence of shape ``(B + 1,)``, increasing
    kernel : {"gaussian", "triang", "laplace"} or None, default="gaussian"
        The smoothing window (peak 1): SciPy's ``gaussian_filter1d`` of an impulse
        (:math:`\sigma` in bins), ``signal.windows.triang``, or
        :math:`e^{-|j|/\sigma}`. None: no smoothing (the paper's re-weighting baselines).
    kernel_size : odd int >= 1, default=5
    sigma : float > 0, default=2.0
    reweight : {"sqrt_inverse", "inverse"}, default="sqrt_inverse"
    count_clip : (low, high) or None, default=(5, 1000)
        For ``"inverse"``: the reference's clipping of the counts before smoothing.

    Returns
    -------
    array of the shape of ``targets``
        Floating, in the namespace and on the device of ``targets`` (NumPy for sequences).

    References
    ----------
    Yang et al., `Delving into Deep Imbalanced Regression
    <https://arxiv.org/abs/2102.09554>`_, ICML 2021.
    """
    if kernel is not None:
        check_choice("kernel", kernel, ("gaussian", "triang", "laplace"))
    size = check_integer("kernel_size", kernel_size, low=1)
    if size % 2 == 0:
        raise invalid_argument("kernel_size", "an odd window length (centred on its bin)", kernel_size)
    sigma = check_number("sigma", sigma, low=0, low_open=True)
    check_choice("reweight", reweight, ("sqrt_inverse", "inverse"))
    call, t = _targets_call(targets)
    xp = call.xp
    edges = call.asarray(bin_edges)
    if edges.ndim != 1 or edges.shape[0] < 2:
        raise invalid_argument("bin_edges", "increasing edges of shape (B + 1,)", f"shape {tuple(edges.shape)}")
    bins = edges.shape[0] - 1
    index = bin_index(call, t, edges)
    counts = histogram(call, index, bins)
    if reweight == "sqrt_inverse":
        values = xp.sqrt(counts)
    else:
        values = counts if count_clip is None else xp.clip(counts, float(count_clip[0]), float(count_clip[1]))
    if kernel is not None:
        window = lds_window(kernel, size, sigma)
        half = size // 2
        padding = xp.zeros((half,), dtype=call.dtype, device=call.device)
        padded = xp.concat([padding, values, padding])
        values = sum(k * padded[j:j + bins] for j, k in enumerate(window))
    density = xp.take(values, xp.reshape(index, (-1,)))
    # Every target's own bin has a positive count (and the window's peak is 1): the guard
    # only keeps a zero out of the division.
    inverse = xp.where(density > 0, 1 / xp.where(density > 0, density, 1.0), 0.0)
    return call.finish(xp.reshape(inverse / xp.mean(inverse), t.shape))


def _targets_call(targets):
    """The call of a helper over targets (integer targets in the default floating dtype)."""
    targets = host_array("targets", targets)
    backend = resolve_backend(targets)
    dtype = float_dtype(backend, targets)
    call = LossCall(backend, dtype, dtype, backend.adapter.device(targets))
    return call, call.asarray(targets)


def bin_index(call, values, edges):
    """The bin of each value: ``edges[b] <= v < edges[b + 1]``, the ends clamped to the first
    and last bin; flat, in the indexing dtype."""
    xp = call.xp
    flat = xp.reshape(values, (-1,))
    index = xp.searchsorted(edges, flat, side="right") - 1
    return xp.clip(xp.astype(index, call.index_dtype), 0, edges.shape[0] - 2)


# ---------------------------------------------------------------------------
# Evaluation


def regression_errors(predictions, targets, *, bin_edges, train_targets=None, many_shot=100, few_shot=20):
    r"""Errors as the imbalanced-regression literature reports them: overall, balanced over
    bins, and by shot.

    With the targets binned by ``bin_edges`` (ends clamped, as :func:`lds_weights`):

    - ``"all"``: MAE, MSE and GM (the geometric mean of the absolute errors) over every sample;
    - ``"balanced"``: the mean over the :math:`B'` non-empty bins of each bin's MAE and MSE,
      :math:`\frac1{B'}\sum_b \frac1{n_b}\sum_{i \in b} |\hat y_i - y_i|` (every target range
      counts the same; the metric Ren et al. recommend when the test set is as skewed as
      the training set);
    - with ``train_targets``: ``"many"``, ``"medium"``, ``"few"``: the errors of the test
      samples whose bin holds more than ``many_shot``, ``few_shot`` to ``many_shot``,
      and fewer than ``few_shot`` training targets (Yang et al.'s split: 100 and 20).

    Parameters
    ----------
    predictions, targets : arrays of one shape (any framework; read on the host)
    bin_edges : array or sequence of shape ``(B + 1,)``
    train_targets : array, default=None
    many_shot, few_shot : int, default=100, 20

    Returns
    -------
    dict
        ``{"all": {"mae", "mse", "gm", "count"}, "balanced": {"mae", "mse", "bins"}, ...}``
        of Python floats and ints; a shot group without test samples has NaN errors.

    References
    ----------
    Yang et al., `Delving into Deep Imbalanced Regression
    <https://arxiv.org/abs/2102.09554>`_, ICML 2021 (shots, GM); Ren et al.,
    `Balanced MSE <https://arxiv.org/abs/2203.16427>`_, CVPR 2022 (balanced metrics).
    """
    import numpy as np

    prediction = _host(predictions).reshape(-1)
    target = _host(targets).reshape(-1)
    if prediction.shape != target.shape:
        raise invalid_argument("targets", f"one target per prediction ({prediction.size})", f"{target.size} targets")
    edges = np.asarray(bin_edges, dtype=np.float64)
    bins = edges.size - 1
    error = np.abs(prediction - target)

    def bin_of(values):  # as bin_index: edges[b] <= v < edges[b + 1], the ends clamped
        return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)

    test_bin = bin_of(target)

    def summary(selected):
        e = error[selected]
        if e.size == 0:
            return {"mae": math.nan, "mse": math.nan, "gm": math.nan, "count": 0}
        with np.errstate(divide="ignore"):  # GM as scipy.stats.gmean: 0 when an error is 0
            gm = float(np.exp(np.mean(np.log(e))))
        return {"mae": float(e.mean()), "mse": float((e * e).mean()), "gm": gm, "count": int(e.size)}

    present = [b for b in range(bins) if np.any(test_bin == b)]
    per_bin = [summary(test_bin == b) for b in present]
    report = {"all": summary(np.ones_like(error, dtype=bool)),
              "balanced": {"mae": float(np.mean([s["mae"] for s in per_bin])),
                           "mse": float(np.mean([s["mse"] for s in per_bin])), "bins": len(per_bin)}}
    if train_targets is not None:
        train = _host(train_targets).reshape(-1)
        train_counts = np.bincount(bin_of(train), minlength=bins)[test_bin]
        report["many"] = summary(train_counts > many_shot)
        report["medium"] = summary((train_counts <= many_shot) & (train_counts >= few_shot))
        report["few"] = summary(train_counts < few_shot)
    return report


def _host(array):
    """An array of any framework as float64 NumPy (evaluation reads results on the host)."""
    import numpy as np

    if hasattr(array, "detach"):  # torch
        array = array.detach().cpu()
    if hasattr(array, "numpy") and not isinstance(array, np.ndarray):
        array = array.numpy()
    return np.asarray(array, dtype=np.float64)

