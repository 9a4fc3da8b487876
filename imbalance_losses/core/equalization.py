"""Equalization loss (EQL v1): the negative gradients of rare classes suppressed.

A sample of a frequent class is a negative for every rare class, so a rare class's
classifier receives mostly discouraging gradients. EQL v1 drops those: on a foreground
sample (one with a positive), the negative term of every class whose frequency is below
a threshold is left out. It is the sigmoid cross-entropy times a 0/1 factor computed
from the targets and the class counts (no gradient flows through it).
"""

from __future__ import annotations

from .common import element_weights, last_axis_classes
from .dispatch import loss_function
from .sigmoid import binary_cross_entropy, start_sigmoid_term_call
from .terms import WeightedTerm
from .validation import check_array_values, check_number, check_shape

__all__ = ["equalization_loss"]


def suppression_factor(call, y, counts, num_samples, threshold):
    r"""``1 - E(r) T(f_j) (1 - y_j)``: 0 for the negatives of a rare class (frequency
    ``counts_j / num_samples`` below ``threshold``) on a foreground sample (one with a
    positive target), else 1 (soft targets: the negative part ``1 - y_j`` only)."""
    xp = call.xp
    n = call.asarray(counts)
    check_shape("counts", n.shape, (last_axis_classes(y, "targets"),), "one count per class, shape")
    check_array_values(xp, "counts", lambda: n >= 0, "non-negative counts")
    rare = xp.astype(n / num_samples < threshold, call.dtype)
    foreground = xp.astype(xp.any(y > 0, axis=-1, keepdims=True), call.dtype)
    return 1 - foreground * rare * (1 - y)


@loss_function
def equalization_loss(logits, targets, counts, *, num_samples, lambda_=1.76e-3, weights=None, reduction="mean",
                      replica_sum=None):
    r"""Equalization loss (EQL v1, sigmoid form): rare classes' negative terms suppressed.

    .. math::

        \ell_{ij} = -w_{ij}\left[y_{ij}\log\sigma(x_{ij}) + (1 - y_{ij})\log\sigma(-x_{ij})\right],
        \qquad w_{ij} = 1 - E(i)\,T_\lambda(f_j)\,(1 - y_{ij})

    with :math:`E(i) = 1` for a foreground sample (any positive target in its row) and 0
    for background, :math:`f_j = n_j / N` the frequency of class :math:`j` (``counts``: the
    number of training images containing the class, ``num_samples``: the number of
    images, as the paper — not normalised to sum 1, so that the paper's
    :math:`\lambda = 1.76\cdot10^{-3}` picks the same tail of LVIS) and
    :math:`T_\lambda(f) = [f < \lambda]`. The factor is a constant of the targets and the
    counts: the gradient is the closed form :math:`w (\sigma(x) - y)`.

    Parameters
    ----------
    logits : array, shape ``(..., C)``
        One sigmoid score per class on the last axis.
    targets : array of the shape of ``logits``, values in [0, 1]
        A row of zeros is a background sample (no suppression).
    counts : array or sequence of shape ``(C,)``
        How many training images contain each class.
    num_samples : int or float > 0
        The number of training images.
    lambda_ : float >= 0, default=1.76e-3
        The frequency below which a class is rare.
    weights : array, default=None
        Per-element weights broadcastable to ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over all elements (weighted); the reference divides the sum
        by the number of samples (rows): ``"sum"`` divided by it.
    replica_sum : callable, default=None
        Sums an array over data-parallel replicas (``imbalance_losses.torch.replica_sum()``).

    References
    ----------
    Tan et al., `Equalization Loss for Long-Tailed Object Recognition
    <https://arxiv.org/abs/2003.05176>`_, CVPR 2020.
    """
    num_samples = check_number("num_samples", num_samples, low=0, low_open=True)
    threshold = check_number("lambda_", lambda_, low=0)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights, counts=counts)
    factor = suppression_factor(call, y, counts, num_samples, threshold)
    return WeightedTerm(call, binary_cross_entropy, x, (y, None), {"pos_weight": None}, factor=factor,
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)
