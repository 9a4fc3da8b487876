"""Gradient harmonizing mechanism losses, GHM-C and GHM-R (Li, Liu, Wang 2019).

Each element is weighted by the inverse density of its gradient norm ``g`` in a
histogram of ``bins`` equal bins over [0, 1], normalised as mmdetection does:
``beta = tot / count(bin)`` divided by the number of non-empty bins, where
``tot`` is the number of valid elements. With ``momentum > 0`` the bin counts are
an exponential moving average carried in a ``(bins,)`` state array that is
passed in and returned (functional, jit-friendly). The histogram is built with
one vectorised comparison against the bin ids: no Python loop over bins and no
host synchronisation.
"""

from __future__ import annotations


from ._common import LossCall, element_weights, log_sigmoid, reduce_loss, start_call, sum_over_replicas
from ._sigmoid import binary_cross_entropy, start_sigmoid_call
from ._validation import check_integer, check_number, check_shape, invalid_argument

__all__ = ["ghm_c_loss", "ghm_r_loss"]


def _check_options(bins, momentum):
    bins = check_integer("bins", bins, low=1)
    momentum = check_number("momentum", momentum, low=0, high=1, high_open=True)
    return bins, momentum


def gradient_density_weights(call: LossCall, g, valid, *, bins, momentum, state, bias_correction, replica_sum=None):
    """GHM's per-element weights ``beta`` and the new EMA state.

    ``g`` holds gradient norms in [0, 1] (no gradient flows through them);
    ``valid`` is a boolean mask or None. Bin ``i`` is ``[i/M, (i+1)/M)`` and the
    last bin also holds ``g = 1`` (mmdetection widens its last edge by 1e-6).
    """
    xp = call.xp
    g = call.stop_gradient(g)
    bin_index = xp.astype(xp.clip(xp.floor(g * bins), 0, bins - 1), xp.int32)
    ids = xp.arange(bins, dtype=xp.int32, device=call.device)
    in_bin = bin_index[..., None] == ids
    if valid is not None:
        in_bin = in_bin & valid[..., None]
    flat = xp.reshape(xp.astype(in_bin, call.dtype), (-1, bins))
    # Global bin counts: every replica gets the same weights and the same new state.
    counts = sum_over_replicas(replica_sum, xp.sum(flat, axis=0))
    tot = xp.sum(counts)
    tot = xp.where(tot > 0, tot, xp.ones_like(tot))
    if momentum > 0:
        if state is None:
            state = xp.zeros_like(counts)
        else:
            state = call.asarray(state)
            check_shape("state", state.shape, (bins,), "one value per bin, shape")
        if bias_correction:
            # A state that has seen nothing yet (all zeros) starts from this batch's
            # counts: decided on device, so a module can always pass its buffer.
            state = xp.where(xp.all(state == 0), counts, state)
        # Only non-empty bins are updated, as in mmdetection.
        state = xp.where(counts > 0, momentum * state + (1 - momentum) * counts, state)
        density = state
    else:
        density = counts
        state = counts
    non_empty = counts > 0
    num_non_empty = xp.sum(xp.astype(non_empty, call.dtype))
    bin_weight = xp.where(non_empty, tot / xp.where(non_empty, density, xp.ones_like(density)), xp.zeros_like(density))
    bin_weight = bin_weight / xp.where(num_non_empty > 0, num_non_empty, xp.ones_like(num_non_empty))
    beta = xp.reshape(xp.take(bin_weight, xp.reshape(bin_index, (-1,)), axis=0), g.shape)
    return call.stop_gradient(beta), call.stop_gradient(state)


def _valid_mask(call, weights, shape):
    if weights is None:
        return None, None
    w = element_weights(call, weights, shape)
    return call.xp.broadcast_to(w, shape) > 0, w


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
        ``imbalance_losses_torch.replica_sum()``; batch statistics (the mean's
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
    bins, momentum = _check_options(bins, momentum)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights, state=state)
    xp = call.xp
    valid, w = _valid_mask(call, weights, x.shape)
    g = xp.abs(xp.exp(log_sigmoid(xp, x)) - y)
    beta, new_state = gradient_density_weights(
        call, g, valid, bins=bins, momentum=momentum, state=state, bias_correction=bias_correction,
        replica_sum=replica_sum,
    )
    loss = beta * binary_cross_entropy(xp, x, y)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), new_state


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
    bins, momentum = _check_options(bins, momentum)
    mu = check_number("mu", mu, low=0, low_open=True)
    call, x = start_call(pred, target=target, weights=weights, state=state)
    xp = call.xp
    check_shape("target", target.shape, pred.shape, "the shape of `pred`,")
    if not xp.isdtype(target.dtype, "real floating"):
        raise invalid_argument("target", "a floating-point array", f"dtype {target.dtype}")
    d = x - call.cast(target)
    root = xp.sqrt(d * d + mu * mu)
    valid, w = _valid_mask(call, weights, x.shape)
    beta, new_state = gradient_density_weights(
        call, xp.abs(d) / root, valid, bins=bins, momentum=momentum, state=state, bias_correction=bias_correction,
        replica_sum=replica_sum,
    )
    loss = beta * (root - mu)
    return reduce_loss(call, loss, w, reduction, replica_sum=replica_sum), new_state
