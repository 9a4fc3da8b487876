"""What every loss shares: the call's arrays and dtypes, stable primitives, reduction.

One loss call runs in a :class:`LossCall`: it holds the namespace, the adapter,
the compute dtype (float16/bfloat16 are computed in float32) and the device of
the logits, and it turns every other input into an array of that namespace,
dtype and device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._dispatch import Backend, resolve_backend
from ._validation import (
    check_array_values,
    check_broadcastable,
    check_floating,
    check_reduction,
    check_shape,
    invalid_argument,
)


@dataclass(frozen=True)
class LossCall:
    """The namespace, adapter, dtypes and device of one loss call."""

    backend: Backend
    dtype: Any  # the dtype the loss is computed in
    out_dtype: Any  # the dtype of the logits, returned to the caller
    device: Any

    @property
    def xp(self):
        return self.backend.xp

    def stop_gradient(self, x):
        return self.backend.adapter.stop_gradient(x)

    def cast(self, x):
        """``x`` (an array of this call's namespace) in the compute dtype."""
        return x if x.dtype == self.dtype else self.xp.astype(x, self.dtype)

    def asarray(self, value, dtype=None):
        """A Python scalar or sequence (or an array of this namespace) on this call's device."""
        xp = self.xp
        dtype = self.dtype if dtype is None else dtype
        if isinstance(value, (int, float, Sequence)):
            return xp.asarray(value, dtype=dtype, device=self.device)
        return value if value.dtype == dtype else xp.astype(value, dtype)

    def finish(self, loss):
        """The loss in the dtype of the logits."""
        return loss if loss.dtype == self.out_dtype else self.xp.astype(loss, self.out_dtype)


def start_call(logits, **arrays) -> tuple[LossCall, Any]:
    """Resolve the backend for a call and return it with the logits in compute dtype."""
    backend = resolve_backend(logits=logits, **arrays)
    xp = backend.xp
    check_floating(xp, "logits", logits)
    out_dtype = logits.dtype
    dtype = xp.float32 if xp.finfo(out_dtype).bits < 32 else out_dtype
    call = LossCall(backend, dtype, out_dtype, backend.adapter.device(logits))
    x = call.cast(logits)
    check_array_values(xp, "logits", lambda: xp.isfinite(x), "finite values")
    return call, x


def option_vector(call: LossCall, name: str, value, length: int):
    """A per-class option (class weights, alpha, prior) as a ``(length,)`` array."""
    if value is None:
        return None
    vector = call.asarray(value)
    check_shape(name, vector.shape, (length,), "one value per class, shape")
    return vector


def element_weights(call: LossCall, weights, loss_shape):
    """User ``weights`` as a compute-dtype array broadcastable to ``loss_shape`` (or None)."""
    if weights is None:
        return None
    if isinstance(weights, (int, float)):
        raise invalid_argument("weights", "an array broadcastable to the unreduced loss", weights)
    w = call.asarray(weights)
    check_broadcastable("weights", w.shape, loss_shape, "the unreduced loss of shape")
    check_array_values(call.xp, "weights", lambda: w >= 0, "non-negative values")
    return w


def combine_weights(*factors):
    """The product of the non-None weight factors (None when all are None)."""
    present = [f for f in factors if f is not None]
    if not present:
        return None
    result = present[0]
    for factor in present[1:]:
        result = result * factor
    return result


def reduce_loss(call: LossCall, loss, weights, reduction: str, *, norm_weights=None, replica_sum=None):
    """Apply ``weights`` and ``reduction`` to unreduced losses.

    ``"none"`` returns ``weights * loss``; ``"sum"`` its sum; ``"mean"`` divides
    that sum by the sum of ``norm_weights`` (default: ``weights``; the number of
    elements when both are None), and gives 0, never NaN, when that total is 0.
    ``norm_weights`` differ from ``weights`` when the loss already carries a
    factor that the denominator must count, such as the class weight of the target.
    With ``replica_sum`` the sum and the mean's denominator are totals over all
    replicas, so every replica returns the loss of the whole (global) batch.
    """
    check_reduction(reduction)
    xp = call.xp
    weighted = loss if weights is None else loss * weights
    if reduction == "none":
        return call.finish(weighted)
    total = sum_over_replicas(replica_sum, xp.sum(weighted))
    if reduction == "mean":
        norm_weights = weights if norm_weights is None else norm_weights
        if norm_weights is None and replica_sum is None:
            # A static count: one division, no guard needed.
            return call.finish(total / max(static_size(loss), 1))
        if norm_weights is None:
            count = call.asarray(float(static_size(loss)))
        else:
            count = xp.sum(xp.broadcast_to(norm_weights, loss.shape))
        total = safe_divide(xp, total, sum_over_replicas(replica_sum, count))
    return call.finish(total)


def sum_over_replicas(replica_sum, x):
    """``x`` summed over data-parallel replicas by the user's hook (identity without one).

    The hook comes from the adapters (``imbalance_losses_torch.replica_sum``,
    ``imbalance_losses_jax.replica_sum``, ``imbalance_losses_tf.replica_sum``) or is
    any function with the same contract: an array in, its sum over replicas out,
    differentiable where the statistic carries gradient.
    """
    return x if replica_sum is None else replica_sum(x)


def static_size(x) -> int:
    """The number of elements of ``x`` (shapes are static on every supported path)."""
    return math.prod(x.shape)


def safe_divide(xp, numerator, denominator):
    """``numerator / denominator``, and 0 where the denominator is 0 (with zero gradient)."""
    nonzero = denominator != 0
    return xp.where(nonzero, numerator / xp.where(nonzero, denominator, 1), 0)


# ---------------------------------------------------------------------------
# Stable primitives (standard functions only).


def softplus(xp, x):
    """``log(1 + e^x)`` without overflow; its gradient is ``sigmoid(x)`` everywhere.

    Written once as ``logaddexp(x, 0)``; an adapter's namespace may provide a
    native ``softplus`` with the same accuracy, which is then used instead.
    """
    native = getattr(xp, "softplus", None)
    return native(x) if native is not None else xp.logaddexp(x, xp.zeros_like(x))


def log_sigmoid(xp, x):
    """``log(sigmoid(x)) = -softplus(-x)``: finite for every finite ``x``."""
    return -softplus(xp, -x)


def logsumexp(call: LossCall, x, axis=-1, keepdims=False):
    """Log-sum-exp along ``axis``, shifted by the (gradient-stopped) maximum."""
    xp = call.xp
    shift = call.stop_gradient(xp.max(x, axis=axis, keepdims=True))
    # An all -inf slice has no finite maximum; shifting by 0 keeps it -inf, not NaN.
    shift = xp.where(xp.isfinite(shift), shift, xp.zeros_like(shift))
    total = xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)
    # An empty (all -inf) slice is -inf, with zero gradient rather than 0 * inf = NaN.
    nonempty = total > 0
    log_total = xp.where(nonempty, xp.log(xp.where(nonempty, total, xp.ones_like(total))), -xp.inf)
    out = log_total + shift
    return out if keepdims else xp.squeeze(out, axis=axis)


def class_axis_last(call: LossCall, x, axis: int, name: str = "logits"):
    """Move the class ``axis`` of ``x`` to the end (the rest keep their order)."""
    ndim = x.ndim
    if not isinstance(axis, int) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise invalid_argument("axis", f"an integer in [{-ndim}, {ndim}) for {name} of rank {ndim}", axis)
    axis %= ndim
    return x if axis == ndim - 1 else call.xp.moveaxis(x, axis, -1)


def binary_targets(call: LossCall, targets, shape, *, name="targets"):
    """0/1 or soft targets (float, int or bool) in compute dtype, checked against ``shape``."""
    xp = call.xp
    check_shape(name, targets.shape, shape, "the shape of `logits`,")
    y = call.asarray(targets)
    check_array_values(xp, name, lambda: (y >= 0) & (y <= 1), "values in [0, 1]")
    return y
