"""Distribution-Balanced loss (Wu et al., ECCV 2020) for long-tailed multi-label classification.

Two changes to sigmoid focal loss, both from the classes' positive counts: a
re-balancing weight that corrects for the over-sampling of frequent classes that
co-occur with rare ones, and a negative-tolerant regularisation (a class-specific
bias, and negatives' logits scaled by ``neg_scale`` with their loss divided by it)
that keeps the abundant negatives from over-suppressing a class. Neither depends on
the logits: the loss is the closed-form sigmoid focal term of transformed logits.
"""

from __future__ import annotations

from .common import element_weights, last_axis_classes
from .dispatch import loss_function
from .sigmoid import sigmoid, sigmoid_focal, start_sigmoid_term_call
from .terms import WeightedTerm
from .validation import check_array_values, check_number, check_shape

__all__ = ["distribution_balanced_loss"]


def _positive_rates(call, counts, num_samples, num_classes):
    """``n_k / N`` with the counts clamped to ``[1, N - 1]`` (as the timm port does): a class
    never or always positive gets a finite bias and a finite weight."""
    xp = call.xp
    n = call.asarray(counts)
    check_shape("counts", n.shape, (num_classes,), "one positive count per class, shape")
    check_array_values(xp, "counts", lambda: (n >= 0) & (n <= num_samples), f"counts in [0, num_samples={num_samples}]")
    # maximum/minimum rather than clip: array-api-compat's torch clip calls math.isnan on its
    # bounds, which breaks the graph when torch.compile(dynamic=True) makes num_samples symbolic.
    return xp.minimum(xp.maximum(n, 1.0), num_samples - 1.0) / num_samples


def rebalancing_weights(call, y, inverse_rates, *, map_alpha, map_beta, map_mu):
    r""":math:`\alpha + \sigma(\beta (r_{ik} - \mu))` with :math:`r_{ik} = (1/n_k) / \sum_j y_{ij}/n_j`.

    A sample with no positive label has :math:`r = \infty` in the reference, so its
    weight is the limit :math:`\alpha + 1`, without an infinity.
    """
    xp = call.xp
    repeat_rate = xp.sum(y * inverse_rates, axis=-1, keepdims=True)
    has_positive = repeat_rate > 0
    ratio = inverse_rates / xp.where(has_positive, repeat_rate, 1.0)
    return map_alpha + xp.where(has_positive, sigmoid(xp, map_beta * (ratio - map_mu)), 1.0)


@loss_function
def distribution_balanced_loss(logits, targets, counts, *, num_samples, map_alpha=0.1, map_beta=10.0, map_mu=0.2,
                               neg_scale=2.0, init_bias=0.05, gamma=2.0, balance=2.0, weights=None, reduction="mean",
                               replica_sum=None):
    r"""Distribution-Balanced (DB) loss: re-balanced, negative-tolerant sigmoid focal loss.

    .. math::

        r_{ik} = \frac{1/n_k}{\sum_j y_{ij}/n_j},\quad
        w_{ik} = \alpha_m + \sigma\big(\beta_m (r_{ik} - \mu_m)\big),\quad
        b_k = -\frac{\kappa}{\lambda} \log\Big(\frac{N}{n_k} - 1\Big),\quad
        z = x + b

    .. math::

        \ell_{ik} = \texttt{balance}\cdot w_{ik} \cdot
        \begin{cases}
        (1 - \sigma(z))^\gamma\, \mathrm{softplus}(-z) & y_{ik} = 1 \\
        \frac{1}{\lambda}\, \sigma(\lambda z)^\gamma\, \mathrm{softplus}(\lambda z) & y_{ik} = 0
        \end{cases}

    with :math:`n_k` the positive count of class :math:`k` among :math:`N` training
    samples, :math:`\lambda` = ``neg_scale`` and :math:`\kappa` = ``init_bias``. Soft
    targets follow the reference's blend (the logit scaled by
    :math:`y + \lambda (1 - y)`, the loss by :math:`y + (1 - y)/\lambda`) with the
    focal factor of :func:`sigmoid_focal_loss`; the reference's
    :math:`1 - e^{-\mathrm{BCE}}` agrees with it for 0/1 targets only. Defaults
    are the paper's COCO-LT configuration (VOC-LT uses ``neg_scale=5``,
    ``map_mu=0.3``); the reference's class-level defaults are overridden by every
    config and are not used. Counts are clamped to :math:`[1, N - 1]`, so a class
    that is never (or always) positive gives finite values; a sample with no
    positive label gets :math:`w = \alpha_m + 1`, the reference's limit. ``"mean"``
    averages over all elements, as the reference does.

    Parameters
    ----------
    logits : array of shape ``(..., C)``
        The class axis is last.
    targets : array of the shape of ``logits``, values in [0, 1]
    counts : array or sequence of shape ``(C,)``
        The number of training samples in which each class is positive.
    num_samples : int or float > 1
        The number of training samples :math:`N` (the reference's ``train_num``).
    map_alpha, map_beta, map_mu : float, defaults 0.1, 10.0, 0.2
        The smoothing map of the re-balancing weight (:math:`\alpha_m, \beta_m,
        \mu_m`; the reference's ``map_param`` alpha, beta, gamma).
    neg_scale : float > 0, default=2.0
        :math:`\lambda`.
    init_bias : float, default=0.05
        :math:`\kappa`.
    gamma : float >= 0, default=2.0
        The focal exponent (0: no focal term).
    balance : float >= 0, default=2.0
        The reference's ``balance_param``.
    weights, reduction, replica_sum
        As in :func:`sigmoid_focal_loss`.

    References
    ----------
    Wu et al., `Distribution-Balanced Loss for Multi-Label Classification in
    Long-Tailed Datasets <https://arxiv.org/abs/2007.09654>`_, ECCV 2020.
    """
    num_samples = check_number("num_samples", num_samples, low=1, low_open=True)
    map_alpha = check_number("map_alpha", map_alpha)
    map_beta = check_number("map_beta", map_beta)
    map_mu = check_number("map_mu", map_mu)
    neg_scale = check_number("neg_scale", neg_scale, low=0, low_open=True)
    init_bias = check_number("init_bias", init_bias)
    gamma = check_number("gamma", gamma, low=0)
    balance = check_number("balance", balance, low=0)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights, counts=counts)
    xp = call.xp
    rates = _positive_rates(call, counts, num_samples, last_axis_classes(x))
    # log(N / n - 1) = log(1 - n/N) - log(n/N): no large intermediate.
    bias = -init_bias / neg_scale * (xp.log1p(-rates) - xp.log(rates))
    slope = y + neg_scale * (1 - y)
    factor = balance * rebalancing_weights(call, y, 1 / rates, map_alpha=map_alpha, map_beta=map_beta,
                                           map_mu=map_mu) * (y + (1 - y) / neg_scale)
    return WeightedTerm(call, sigmoid_focal, (x + bias) * slope, (y, None), {"alpha": None, "gamma": gamma},
                        factor=factor, slope=slope,
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)
