"""Gradient harmonizing mechanism losses, GHM-C and GHM-R (Li, Liu, Wang 2019).

Each element is weighted by the inverse density of its gradient norm ``g`` in a
histogram of ``bins`` equal bins over [0, 1], normalised as mmdetection does:
``beta = tot / count(bin)`` divided by the number of non-empty bins, where
``tot`` is the number of valid elements. With ``momentum > 0`` the bin counts are
an exponential moving average carried in a ``(bins,)`` state array that is
passed in and returned (functional, jit-friendly). The histogram costs O(N): the
adapter's native counting (``bincount``, ``.at[].add``, ``DenseBincount``),
or a sort and ``searchsorted`` in the standard; no N x bins array, no Python loop
over bins, no host synchronisation.
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import (
    LossCall,
    element_weights,
    gather_classes,
    histogram,
    reduce_loss,
    returned_state,
    start_call,
    state_array,
    sum_over_replicas,
)
from .dispatch import loss_function
from .sigmoid import binary_cross_entropy, sigmoid, start_sigmoid_call
from .validation import check_integer, check_number, check_shape, invalid_argument

__all__ = ["ghm_c_loss", "ghm_r_loss"]


def _check_options(bins, momentum, bias_correction):
    bins = check_integer("bins", bins, low=1)
    momentum = check_number("momentum", momentum, low=0, high=1, high_open=True)
    if not isinstance(bias_correction, bool):
        raise invalid_argument("bias_correction", "True or False", bias_correction)
    return bins, momentum


def gradient_density_weights(call: LossCall, g, valid, *, bins, momentum, state, bias_correction, replica_sum=None):
    """GHM's per-element weights ``beta`` and the new EMA state.

    ``g`` holds gradient norms in [0, 1], computed from stopped logits by the caller:
    no gradient flows through them, and no autograd graph is recorded for them (two
    logits-sized arrays it would keep); ``valid`` is a boolean mask or None. Bin ``i``
    is ``[i/M, (i+1)/M)`` and the last bin also holds ``g = 1`` (mmdetection widens its
    last edge by 1e-6). A NaN ``g`` (a NaN logit) gives a NaN loss, never an
    out-of-bounds read.
    """
    xp = call.xp
    # Truncation of a non-negative value is its floor; clipping the integer puts g = 1 in
    # the last bin. A NaN g (a NaN logit or target) goes to bin 0: that element's loss is
    # NaN anyway, and casting NaN to an integer is undefined (NumPy warns).
    # 32-bit indices into the bin table: half the bytes of int64, and PyTorch's
    # float-to-int64 cast of 4M elements costs 8x its int32 cast.
    bin_index = xp.clip(xp.astype(xp.where(g == g, g * bins, 0.0), xp.int32), 0, bins - 1)
    if valid is not None:  # invalid elements get the index `bins`: past the histogram, weight 0
        bin_index = xp.where(valid, bin_index, bins)
    # Global bin counts: every replica gets the same weights and the same new state.
    counts = sum_over_replicas(replica_sum, histogram(call, bin_index, bins))
    tot = xp.sum(counts)
    tot = xp.where(tot > 0, tot, xp.ones_like(tot))
    state_dtype = call.dtype
    if momentum > 0:
        if state is None:
            state = xp.zeros_like(counts)
        else:
            state, state_dtype = state_array(call, state, (bins,), "one value per bin, shape")
        # The moving average in the state's dtype (float64 where the state is).
        wide_counts = counts if counts.dtype == state.dtype else xp.astype(counts, state.dtype)
        if bias_correction:
            # A state that has seen nothing yet (all zeros) starts from this batch's
            # counts: decided on device, so a module can always pass its buffer.
            state = xp.where(xp.all(state == 0), wide_counts, state)
        # Only non-empty bins are updated, as in mmdetection.
        state = xp.where(counts > 0, momentum * state + (1 - momentum) * wide_counts, state)
        density = call.cast(state)
    else:
        density = counts
        state = counts
    non_empty = counts > 0
    num_non_empty = xp.sum(xp.astype(non_empty, call.dtype))
    bin_weight = xp.where(non_empty, tot / xp.where(non_empty, density, xp.ones_like(density)), xp.zeros_like(density))
    bin_weight = bin_weight / xp.where(num_non_empty > 0, num_non_empty, xp.ones_like(num_non_empty))
    beta = gather_classes(call, xp.concat([bin_weight, xp.zeros_like(bin_weight[:1])]), bin_index)
    return call.stop_gradient(beta), returned_state(call, state, state_dtype)


def _valid_mask(call: LossCall, weights, x):
    """Weight-0 elements are invalid: outside the histogram and ``tot``."""
    if weights is None:
        return None, None
    w = element_weights(call, weights, x.shape)
    return (w + call.xp.zeros_like(x)) > 0, w


@closed_form("authentic_smooth_l1")
def authentic_smooth_l1(xp, x, target, *, mu):
    r""":math:`\sqrt{d^2 + \mu^2} - \mu = d^2 / (\sqrt{d^2 + \mu^2} + \mu)`, ``d = x - target``:
    the second form has no cancellation for :math:`|d| \ll \mu`."""
    d = x - target
    root = xp.sqrt(d * d + mu * mu)
    return d * d / (root + mu), ()


@authentic_smooth_l1.defderivative
def _(xp, x, target, *, saved, mu):
    # d/dd sqrt(d^2 + mu^2) = d / sqrt(d^2 + mu^2): GHM-R's gradient norm, with its sign.
    d = x - target
    return d / xp.sqrt(d * d + mu * mu)


@loss_function
def ghm_c_loss(
    logits, targets, *, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None, reduction="mean", replica_sum=None
):
    r"""GHM-C: binary cross-entropy re-weighted by the inverse gradient density.

    .. math::

        g_i = |\sigma(x_i) - y_i|,\qquad
        \beta_i = \frac{\mathrm{tot}}{n\, R_{b(i)}},\qquad
        \mathcal{L} = \frac{\sum_i \beta_i w_i \,\mathrm{BCE}(x_i, y_i)}{\sum_i w_i}

    where :math:`b(i)` is the bin of :math:`g_i` among ``bins`` equal bins of
    [0, 1], :math:`R_b` the number of valid elements in bin :math:`b` (or its
    moving average with ``momentum``), :math:`n` the number of non-empty bins and
    :math:`\mathrm{tot}` the number of valid elements. Elements with weight 0 are
    invalid: outside the histogram and ``tot``. :math:`g` and :math:`\beta` carry
    no gradient. For 0/1 weights this is mmdetection's ``GHMC`` exactly; with
    ``momentum=0`` it equals the average over non-empty bins of each bin's mean
    cross-entropy.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    bins : int >= 1, default=10
        The authors' RetinaNet setting is 30 bins with momentum 0.75.
    momentum : float in [0, 1), default=0.0
        EMA of the bin counts: ``S <- momentum * S + (1 - momentum) * R`` for
        non-empty bins (empty bins keep their value).
    state : array of shape ``(bins,)``, default=None
        The EMA state returned by the previous call. None starts from zeros
        (mmdetection), which inflates early weights by up to ``1 / (1 - momentum)``.
    bias_correction : bool, default=False
        Start a state that has seen nothing yet (None, or all zeros) from this
        batch's counts instead of zeros, removing that start-up inflation.
    weights : array broadcastable to ``logits``, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator, the bin counts) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    Returns
    -------
    loss : array
    state : array of shape ``(bins,)``
        The new EMA state (this batch's bin counts when ``momentum=0``).

    References
    ----------
    Li, Liu, Wang, `Gradient Harmonized Single-stage Detector
    <https://arxiv.org/abs/1811.05181>`_, AAAI 2019.
    """
    bins, momentum = _check_options(bins, momentum, bias_correction)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, state=state)
    xp = call.xp
    valid, w = _valid_mask(call, weights, x)
    g = xp.abs(sigmoid(xp, call.stop_gradient(x)) - y)
    beta, new_state = gradient_density_weights(
        call, g, valid, bins=bins, momentum=momentum, state=state, bias_correction=bias_correction,
        replica_sum=replica_sum,
    )
    loss = beta * binary_cross_entropy(call, x, y, None)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), new_state


@loss_function
def ghm_r_loss(
    pred, target, *, mu=0.02, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None, reduction="mean", replica_sum=None
):
    r"""GHM-R: the authentic smooth L1 loss re-weighted by the inverse gradient density.

    .. math::

        d = \hat y - y,\quad
        \mathrm{ASL1}(d) = \sqrt{d^2 + \mu^2} - \mu,\quad
        g = \frac{|d|}{\sqrt{d^2 + \mu^2}} \in [0, 1),\quad
        \mathcal{L} = \frac{\sum_i \beta_i w_i\,\mathrm{ASL1}(d_i)}{\sum_i w_i}

    with :math:`\beta` as in :func:`ghm_c_loss` (bins of :math:`g` over [0, 1]).
    For 0/1 weights this is mmdetection's ``GHMR``.

    Parameters
    ----------
    pred : floating array of any shape
        Regression outputs (e.g. box deltas).
    target : floating array of the shape of ``pred``
    mu : float > 0, default=0.02
    bins, momentum, state, bias_correction, weights, reduction, replica_sum
        As in :func:`ghm_c_loss`. The authors used bins=10, momentum=0.7.

    Returns
    -------
    loss : array
    state : array of shape ``(bins,)``

    References
    ----------
    Li, Liu, Wang, `Gradient Harmonized Single-stage Detector
    <https://arxiv.org/abs/1811.05181>`_, AAAI 2019.
    """
    bins, momentum = _check_options(bins, momentum, bias_correction)
    mu = check_number("mu", mu, low=0, low_open=True)
    call, x = start_call(pred, target=target, weights=weights, state=state)
    xp = call.xp
    if hasattr(target, "dtype") and not xp.isdtype(call.labels(target).dtype, "real floating"):
        raise invalid_argument("target", "a floating-point array", f"dtype {target.dtype}")
    y = call.asarray(target)
    check_shape("target", y.shape, x.shape, "the shape of `pred`,")
    d = call.stop_gradient(x) - y
    valid, w = _valid_mask(call, weights, x)
    beta, new_state = gradient_density_weights(
        call, xp.abs(d) / xp.sqrt(d * d + mu * mu), valid, bins=bins, momentum=momentum, state=state,
        bias_correction=bias_correction, replica_sum=replica_sum,
    )
    loss = beta * authentic_smooth_l1(call, x, y, mu=mu)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), new_state
