"""Su Jianlin's truncated losses: hard truncation and its sigmoid(k x) softening.

Cross-entropy stops updating elements that are already classified well enough.
The hard form drops them (zero loss, zero gradient); the soft form replaces the
step function by a sigmoid so that the weight itself carries gradient. Each is a
closed-form term: value and derivative side by side.
"""

from __future__ import annotations

import math

from .autodiff import closed_form
from .common import element_weights
from .dispatch import loss_function
from .sigmoid import blend, logistic, start_sigmoid_term_call
from .softmax import (
    Distribution,
    complements,
    first_maximum,
    log_ratio,
    probabilities,
    row_statistics,
    softmax_term,
    start_softmax_call,
    variances,
)
from .terms import WeightedTerm
from .validation import check_number

__all__ = ["hard_truncated_loss", "soft_truncated_loss", "soft_truncated_softmax_loss"]


def _hard_masks(xp, x, threshold):
    """``[p <= m]`` and ``[p >= 1 - m]``, compared on the logit (exact however saturated p is).

    Written as "not beyond the threshold", so a NaN logit is kept and its loss is NaN
    (a compiler may turn ``mask * value`` into a select that would drop it).
    """
    return xp.astype(~(x > threshold), x.dtype), xp.astype(~(x < -threshold), x.dtype)


@closed_form("hard_truncated")
def hard_truncated_term(xp, x, y, *, threshold):
    r"""``y [p <= m] softplus(-x) + (1 - y) [p >= 1 - m] softplus(x)``."""
    keep_positive, keep_negative = _hard_masks(xp, x, threshold)
    softplus_x, softplus_minus_x = logistic(xp, x, sigmoids=False)
    return blend(xp, keep_negative * softplus_x, keep_positive * softplus_minus_x, y), ()


@hard_truncated_term.defderivative
def _(xp, x, y, *, saved, threshold):
    # The masks are piecewise constant (no gradient): the CE derivative where kept.
    keep_positive, keep_negative = _hard_masks(xp, x, threshold)
    sigmoid_x, sigmoid_minus_x = logistic(xp, x, softpluses=False)
    return blend(xp, keep_negative * sigmoid_x, -keep_positive * sigmoid_minus_x, y)


@hard_truncated_term.defcurvature
def _(xp, x, y, *, saved, fisher, threshold):
    # CE's s (1 - s) where kept: never negative (fisher: the same).
    keep_positive, keep_negative = _hard_masks(xp, x, threshold)
    sigmoid_x, sigmoid_minus_x = logistic(xp, x, softpluses=False)
    return blend(xp, keep_negative, keep_positive, y) * (sigmoid_x * sigmoid_minus_x)


@closed_form("soft_truncated")
def soft_truncated_term(xp, x, y, *, k):
    r"""``y sigmoid(-kx) softplus(-x) + (1 - y) sigmoid(kx) softplus(x)``."""
    softplus_x, softplus_minus_x = logistic(xp, x, sigmoids=False)
    sigmoid_kx, sigmoid_minus_kx = logistic(xp, k * x, softpluses=False)
    return blend(xp, sigmoid_kx * softplus_x, sigmoid_minus_kx * softplus_minus_x, y), ()


@soft_truncated_term.defderivative
def _(xp, x, y, *, saved, k):
    r"""With :math:`\sigma'(kx) = k\sigma(kx)\sigma(-kx)` and :math:`\mathrm{softplus}'(\pm x) = \pm\sigma(\pm x)`:

    .. math::

        \frac{d\ell}{dx} = y\left[-k\sigma_k\bar\sigma_k \mathrm{sp}(-x) - \bar\sigma_k\bar\sigma\right]
          + (1 - y)\left[k\sigma_k\bar\sigma_k \mathrm{sp}(x) + \sigma_k\sigma\right]

    with :math:`\sigma = \sigma(x)`, :math:`\bar\sigma = \sigma(-x)`, :math:`\sigma_k = \sigma(kx)`,
    :math:`\bar\sigma_k = \sigma(-kx)`: the weights are not detached.
    """
    sigmoid_x, sigmoid_minus_x, softplus_x, softplus_minus_x = logistic(xp, x)
    sigmoid_kx, sigmoid_minus_kx = logistic(xp, k * x, softpluses=False)
    slope = k * sigmoid_kx * sigmoid_minus_kx
    positive = -slope * softplus_minus_x - sigmoid_minus_kx * sigmoid_minus_x
    negative = slope * softplus_x + sigmoid_kx * sigmoid_x
    return blend(xp, negative, positive, y)


@soft_truncated_term.defcurvature
def _(xp, x, y, *, saved, fisher, k):
    r"""With :math:`\sigma_k'' = k^2\sigma_k\bar\sigma_k(\bar\sigma_k - \sigma_k)` and
    :math:`\mathrm{sp}''(\pm x) = \sigma\bar\sigma`:

    .. math::

        \frac{d^2\ell}{dx^2} = y\left[k^2\sigma_k\bar\sigma_k(\sigma_k - \bar\sigma_k)\mathrm{sp}(-x)
            + 2k\sigma_k\bar\sigma_k\bar\sigma + \bar\sigma_k\sigma\bar\sigma\right]
          + (1 - y)\left[k^2\sigma_k\bar\sigma_k(\bar\sigma_k - \sigma_k)\mathrm{sp}(x)
            + 2k\sigma_k\bar\sigma_k\sigma + \sigma_k\sigma\bar\sigma\right]

    negative for badly misclassified samples (the first term). The positive form
    (``fisher``) is :math:`w\,\sigma\bar\sigma` with :math:`w` the gradient's ratio to
    cross-entropy's for a hard target, :math:`\bar\sigma_k + k\sigma_k\bar\sigma_k
    \mathrm{sp}(-x)/\bar\sigma` for a positive (mirrored for a negative), as for focal loss.
    """
    sigmoid_x, sigmoid_minus_x, softplus_x, softplus_minus_x = logistic(xp, x)
    sigmoid_kx, sigmoid_minus_kx = logistic(xp, k * x, softpluses=False)
    slope = k * sigmoid_kx * sigmoid_minus_kx
    variance = sigmoid_x * sigmoid_minus_x
    if fisher:
        tiny = xp.finfo(x.dtype).smallest_normal
        positive = sigmoid_minus_kx + slope * softplus_minus_x / (sigmoid_minus_x + tiny)
        negative = sigmoid_kx + slope * softplus_x / (sigmoid_x + tiny)
        return blend(xp, negative, positive, y) * variance
    bend = k * slope * (sigmoid_kx - sigmoid_minus_kx)
    positive = bend * softplus_minus_x + 2 * slope * sigmoid_minus_x + sigmoid_minus_kx * variance
    negative = -bend * softplus_x + 2 * slope * sigmoid_x + sigmoid_kx * variance
    return blend(xp, negative, positive, y)


@loss_function
def hard_truncated_loss(logits, targets, *, margin=0.5, weights=None, reduction="mean", replica_sum=None):
    r"""Hard-truncated binary cross-entropy: no loss once an element is right by a margin.

    .. math::

        \ell = y\,\lambda^+ \mathrm{CE}^+ + (1 - y)\,\lambda^- \mathrm{CE}^-,\qquad
        \lambda^+ = [p \le m],\quad \lambda^- = [p \ge 1 - m]

    with :math:`p = \sigma(x)`, :math:`\mathrm{CE}^+ = -\log\sigma(x)`,
    :math:`\mathrm{CE}^- = -\log\sigma(-x)`. Positives with :math:`p > m` and negatives
    with :math:`p < 1 - m` contribute zero loss and zero gradient. The comparison
    is made on the logit, :math:`x \le \log\frac{m}{1-m}`, so it is exact however
    saturated :math:`p` is; the mask is constant (no gradient). Soft targets are
    linear in ``y`` as above. ``margin=1`` is plain cross-entropy.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    margin : float in [0.5, 1], default=0.5
        The threshold :math:`m`. Su's softened-loss article uses 0.5; the earlier
        hard-truncation article used 0.6 ("any m > 0.5").
    weights : array broadcastable to ``logits``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017;
    `文本情感分类（四）：更好的损失函数 <https://kexue.fm/archives/4293>`_, 2017.
    """
    margin = check_number("margin", margin, low=0.5, high=1)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights)
    threshold = math.inf if margin == 1 else math.log(margin / (1 - margin))
    return WeightedTerm(call, hard_truncated_term, x, (y,), {"threshold": threshold},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


@loss_function
def soft_truncated_loss(logits, targets, *, k=1.0, weights=None, reduction="mean", replica_sum=None):
    r"""Softened truncated binary cross-entropy (Su's :math:`L^{**}`).

    .. math::

        \ell = -y\,\sigma(-kx)\log\sigma(x) - (1 - y)\,\sigma(kx)\log\sigma(-x)

    The step functions of :func:`hard_truncated_loss` (margin 0.5) become
    :math:`\sigma(\pm kx)`; as :math:`k \to \infty` it approaches the hard form,
    and :math:`k = 1` is the focal loss with :math:`\gamma = 1` (no :math:`\alpha`).
    The weights :math:`\sigma(\pm kx)` are **not** detached: their gradient is the
    point of the softening.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    k : float > 0, default=1.0
    weights, reduction, replica_sum
        As in :func:`hard_truncated_loss`.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017.
    """
    k = check_number("k", k, low=0, low_open=True)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights)
    return WeightedTerm(call, soft_truncated_term, x, (y,), {"k": k},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


@closed_form("soft_truncated_softmax", rowwise=True)
def soft_truncated_softmax_term(xp, x, target, *, index, smoothing, k):
    r""":math:`-\sum_c t'_c s_c \log p_c` with :math:`s = \operatorname{softmax}(-kx)`."""
    m, _, total = row_statistics(xp, x)
    m_flipped, e_flipped, total_flipped = row_statistics(xp, -k * x)
    t = Distribution(xp, target, x.shape[-1], index=index, smoothing=smoothing)
    nlp = xp.log(total) - (x - m)
    return t.expect(e_flipped / total_flipped * nlp), (m, total, m_flipped, total_flipped)


def _soft_truncated_targets(xp, x, target, saved, index, smoothing, k):
    """``t'``, the weights ``s = softmax(-kx)`` and ``t' s``."""
    t = Distribution(xp, target, x.shape[-1], index=index, smoothing=smoothing)
    s = probabilities(xp, -k * x, *saved[2:])
    return t, s, t.dense(x.dtype) * s


def _soft_truncated_gradient(xp, x, t, s, target_share, saved, k):
    """The derivative (below) with the parts the curvature reuses: ``(g, log p, p, loss, S)``."""
    m, total = saved[:2]
    log_p = (x - m) - xp.log(total)
    p = probabilities(xp, x, m, total)
    loss = t.expect(-s * log_p)[..., None]
    share = xp.sum(target_share, axis=-1, keepdims=True)
    return target_share * (k * log_p - 1) + k * s * loss + p * share, log_p, p, loss, share


@soft_truncated_softmax_term.defderivative
def _(xp, x, target, *, saved, index, smoothing, k):
    r"""With :math:`\partial s_c/\partial x_j = -k s_c(\delta_{cj} - s_j)`,
    :math:`\partial \log p_c / \partial x_j = \delta_{cj} - p_j`, :math:`\ell = -\sum_c t'_c s_c \log p_c`
    and :math:`S = \sum_c t'_c s_c`:

    .. math::

        \frac{\partial \ell}{\partial x_j} = t'_j s_j (k \log p_j - 1) + k s_j \ell + p_j S
    """
    t, s, target_share = _soft_truncated_targets(xp, x, target, saved, index, smoothing, k)
    return _soft_truncated_gradient(xp, x, t, s, target_share, saved, k)[0]


@soft_truncated_softmax_term.defcurvature
def _(xp, x, target, *, saved, fisher, index, smoothing, k):
    r"""Differentiating the derivative's three terms once more along :math:`x_j`, with
    :math:`\partial S/\partial x_j = -k s_j (t'_j - S)` and :math:`g_j` the derivative:

    .. math::

        \frac{\partial^2 \ell}{\partial x_j^2} = k t'_j s_j \big[(1 - p_j) - (1 - s_j)(k\log p_j - 1)\big]
            - k^2 s_j (1 - s_j)\,\ell + k s_j g_j + p_j(1 - p_j) S - k p_j s_j (t'_j - S)

    negative for badly misclassified samples. The positive form (``fisher``) is
    cross-entropy's :math:`p_j(1 - p_j)` times the effective weight
    :math:`w = \sum_c t'_c s_c \big(1 + k (1 - s_c)\rho_c\big)`, :math:`\rho_c = -\log p_c/(1 - p_c)`:
    for a hard label the target's gradient is :math:`-w (1 - p_t)`, as for focal loss.
    """
    m, total = saved[:2]
    t, s, target_share = _soft_truncated_targets(xp, x, target, saved, index, smoothing, k)
    variance = variances(xp, x, m, total)
    if fisher:
        z = x - m
        u, nlp = complements(xp, z, xp.exp(z), total, first_maximum(xp, z))
        weight = xp.sum(target_share * (1 + k * (1 - s) * log_ratio(xp, nlp, u)), axis=-1, keepdims=True)
        return weight * variance
    gradient, log_p, p, loss, share = _soft_truncated_gradient(xp, x, t, s, target_share, saved, k)
    return (k * target_share * ((1 - p) - (1 - s) * (k * log_p - 1)) - k * k * s * (1 - s) * loss + k * s * gradient
            + variance * share - k * p * s * (t.dense(x.dtype) - share))


@loss_function
def soft_truncated_softmax_loss(
    logits, labels, *, k=1.0, label_smoothing=0.0, ignore_index=None, axis=-1, weights=None, reduction="mean", replica_sum=None
):
    r"""Softened truncated softmax cross-entropy (Su's multi-class :math:`L^{**}`).

    .. math::

        \ell = -\sum_c t'_c\, \operatorname{softmax}(-kx)_c \log \operatorname{softmax}(x)_c

    which for a hard label is :math:`-\operatorname{softmax}(-kx)_t\log\operatorname{softmax}(x)_t`.
    With two classes it is :func:`soft_truncated_loss` on the logit difference
    :math:`x_1 - x_0`. The weight is not detached. For more than two classes and
    :math:`k = 1` it is *not* the focal loss with :math:`\gamma = 1`
    (:math:`\operatorname{softmax}(-x)_t \ne 1 - p_t`).

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    k : float > 0, default=1.0
    label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    References
    ----------
    Su Jianlin, `从loss的硬截断、软化到focal loss <https://kexue.fm/archives/4733>`_, 2017.
    """
    k = check_number("k", k, low=0, low_open=True)
    call, x, targets = start_softmax_call(
        logits, labels, axis=axis, label_smoothing=label_smoothing, ignore_index=ignore_index, weights=weights
    )
    return softmax_term(call, targets, soft_truncated_softmax_term, x, (targets.target,), {"k": k},
                        weights=weights).reduce(reduction, replica_sum)
