"""PolyLoss (Leng et al., ICLR 2022): cross-entropy and focal loss plus their first polynomial term.

Cross-entropy is :math:`-\\log p_t = \\sum_{j \\ge 1} (1 - p_t)^j / j`; Poly-1 raises
the first coefficient by :math:`\\epsilon`, adding :math:`\\epsilon (1 - p_t)`
(:math:`\\epsilon (1 - p_t)^{\\gamma + 1}` for focal loss). The added term is a
static option of the softmax and sigmoid focal terms, so value and closed-form
gradient are those terms' (with :math:`1 - p_t` exact), not a second pass.
"""

from __future__ import annotations

from .common import element_weights
from .dispatch import loss_function
from .sigmoid import alpha_option, sigmoid_focal, start_sigmoid_term_call
from .softmax import softmax_focal_term, softmax_term, start_softmax_call
from .terms import WeightedTerm
from .validation import check_number

__all__ = ["poly1_cross_entropy", "poly1_focal_loss", "poly1_sigmoid_cross_entropy"]


@loss_function
def poly1_cross_entropy(logits, labels, *, epsilon=1.0, label_smoothing=0.0, ignore_index=None, axis=-1,
                        weights=None, reduction="mean", replica_sum=None):
    r"""Poly-1 softmax cross-entropy.

    .. math::

        \ell_i = -\sum_c t'_{ic} \log p_{ic} + \epsilon\,(1 - p_{i,t}),
        \qquad p_{i,t} = \sum_c t'_{ic}\, p_{ic}

    so soft and smoothed targets pass through (:math:`p_t` is the expected
    probability of the target, as optax's ``poly_loss_cross_entropy``). The paper
    uses :math:`\epsilon = 2` on ImageNet; :math:`\epsilon = 0` is
    :func:`softmax_cross_entropy`. :math:`1 - p_t` is formed without cancellation
    (the other classes' share), so the added term keeps its relative precision
    as :math:`p_t \to 1`.

    Parameters
    ----------
    logits : array, shape ``(..., C, ...)``
    labels : integer class indices or floating one-hot/soft targets
    epsilon : float, default=1.0
        The weight of :math:`1 - p_t`; negative values (down to -1) are allowed.
    label_smoothing, ignore_index, axis, weights, reduction, replica_sum
        As in :func:`softmax_cross_entropy`.

    Returns
    -------
    array
        A scalar, or per-element losses for ``"none"``.

    References
    ----------
    Leng et al., `PolyLoss: A Polynomial Expansion Perspective of Classification
    Loss Functions <https://arxiv.org/abs/2204.12511>`_, ICLR 2022.
    """
    epsilon = check_number("epsilon", epsilon)
    call, x, targets = start_softmax_call(logits, labels, axis=axis, label_smoothing=label_smoothing,
                                          ignore_index=ignore_index, weights=weights)
    return softmax_term(call, targets, softmax_focal_term, x, (targets.target, None),
                        {"alpha": None, "gamma": 0.0, "epsilon": epsilon}, weights=weights).reduce(reduction, replica_sum)


def _sigmoid_poly1(logits, targets, *, alpha, gamma, epsilon, label_smoothing, weights, reduction, replica_sum):
    """The sigmoid Poly-1 terms: focal with the added :math:`\\epsilon (1 - p_t)^{\\gamma + 1}`."""
    epsilon = check_number("epsilon", epsilon)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights, alpha=alpha)
    smoothing = check_number("label_smoothing", label_smoothing, low=0, high=1)
    if smoothing:
        y = y * (1 - smoothing) + smoothing / 2
    alpha_array, alpha = alpha_option(call, alpha, x.shape)
    return WeightedTerm(call, sigmoid_focal, x, (y, alpha_array), {"alpha": alpha, "gamma": gamma, "epsilon": epsilon},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


@loss_function
def poly1_sigmoid_cross_entropy(logits, targets, *, epsilon=1.0, label_smoothing=0.0, weights=None,
                                reduction="mean", replica_sum=None):
    r"""Poly-1 binary cross-entropy, for binary and multi-label problems.

    .. math::

        \ell = \mathrm{BCE}(x, y') + \epsilon\,(1 - p_t),\qquad
        1 - p_t = y'\,\sigma(-x) + (1 - y')\,\sigma(x)

    elementwise, with :math:`y' = y (1 - \varepsilon_s) + \varepsilon_s / 2` under
    ``label_smoothing`` :math:`\varepsilon_s`. :math:`\epsilon = 0` is
    :func:`sigmoid_cross_entropy`.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    epsilon : float, default=1.0
    label_smoothing, weights, reduction, replica_sum
        As in :func:`sigmoid_cross_entropy`.

    References
    ----------
    Leng et al., `PolyLoss <https://arxiv.org/abs/2204.12511>`_, ICLR 2022.
    """
    return _sigmoid_poly1(logits, targets, alpha=None, gamma=0.0, epsilon=epsilon, label_smoothing=label_smoothing,
                          weights=weights, reduction=reduction, replica_sum=replica_sum)


@loss_function
def poly1_focal_loss(logits, targets, *, epsilon=1.0, alpha=0.25, gamma=2.0, weights=None, reduction="mean",
                     replica_sum=None):
    r"""Poly-1 sigmoid focal loss (the paper's detection form).

    .. math::

        \ell = \alpha_t \left[(1 - p_t)^\gamma\, \mathrm{BCE}(x, y) + \epsilon\,(1 - p_t)^{\gamma + 1}\right]

    with :math:`p_t, \alpha_t` as in :func:`sigmoid_focal_loss`; :math:`\alpha_t`
    weights both terms (as the timm port does; the paper's RetinaNet runs use
    :math:`\alpha = 0.25`). The paper recommends :math:`\epsilon = -1` for
    detection and segmentation; :math:`\epsilon = 0` is :func:`sigmoid_focal_loss`.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    epsilon : float, default=1.0
    alpha : float in [0, 1], array broadcastable to ``logits``, or None; default=0.25
    gamma : float >= 0, default=2.0
    weights, reduction, replica_sum
        As in :func:`sigmoid_focal_loss`.

    References
    ----------
    Leng et al., `PolyLoss <https://arxiv.org/abs/2204.12511>`_, ICLR 2022.
    """
    gamma = check_number("gamma", gamma, low=0)
    return _sigmoid_poly1(logits, targets, alpha=alpha, gamma=gamma, epsilon=epsilon, label_smoothing=0.0,
                          weights=weights, reduction=reduction, replica_sum=replica_sum)
