"""What every loss shares: the call's arrays and dtypes, stable primitives, reduction.

One loss call runs in a :class:`LossCall`: it holds the namespace, the adapter,
the compute dtype (float16/bfloat16 are computed in float32) and the device of
the logits, and it turns every other input (arrays of the same framework, NumPy
arrays and scalars, Python values) into an array of that namespace, dtype and
device. Shapes may hold ``None`` (a TensorFlow batch dimension unknown until run
time): sizes then come from the arrays at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .dispatch import Backend, is_host_value, resolve_backend
from .validation import (
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
        """An input as an array of this call's namespace and device, in ``dtype``.

        ``value`` is an array of this namespace, a NumPy array or scalar, or a
        Python number or sequence. ``dtype`` defaults to the compute dtype.
        """
        xp = self.xp
        dtype = self.dtype if dtype is None else dtype
        if is_host_value(value):
            return xp.asarray(value, dtype=dtype, device=self.device)
        return value if value.dtype == dtype else xp.astype(value, dtype)

    def labels(self, value):
        """Targets that may be integer class indices: integers become the namespace's
        indexing dtype (int64, or int32 for JAX without x64), so that uint8/int8/int16
        masks, ``ignore_index=-100`` and class counts above 255 work everywhere;
        other dtypes are kept (floating targets, bool)."""
        xp = self.xp
        if is_host_value(value):
            value = xp.asarray(value, device=self.device)
        if not xp.isdtype(value.dtype, "integral"):
            return value
        index_dtype = self.index_dtype
        return value if value.dtype == index_dtype else xp.astype(value, index_dtype)

    @property
    def index_dtype(self):
        return self.xp.__array_namespace_info__().default_dtypes(device=self.device)["indexing"]

    def size(self, x):
        """The number of elements of ``x``: a Python int when the shape is static, else a
        compute-dtype array (a dimension unknown until run time, e.g. a TF batch)."""
        if None not in tuple(x.shape):
            return math.prod(x.shape)
        return self.xp.sum(self.xp.ones_like(x, dtype=self.dtype))

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


def option_vector(call: LossCall, name: str, value, length: int, *, expected="non-negative finite values",
                  valid=None):
    """A per-class option (class weights, alpha, prior) as a ``(length,)`` array.

    Its values are checked (when value checks are on) against ``valid`` (default:
    non-negative and finite).
    """
    if value is None:
        return None
    xp = call.xp
    vector = call.asarray(value)
    check_shape(name, vector.shape, (length,), "one value per class, shape")
    check = valid or (lambda: (vector >= 0) & xp.isfinite(vector))
    check_array_values(xp, name, check, expected)
    return vector


def element_weights(call: LossCall, weights, loss_shape):
    """User ``weights`` as a compute-dtype array broadcastable to ``loss_shape`` (or None)."""
    if weights is None:
        return None
    if isinstance(weights, (int, float)):
        raise invalid_argument("weights", "an array broadcastable to the unreduced loss", weights)
    xp = call.xp
    w = call.asarray(weights)
    check_broadcastable("weights", w.shape, loss_shape, "the unreduced loss of shape")
    check_array_values(xp, "weights", lambda: (w >= 0) & xp.isfinite(w), "non-negative finite values")
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


def total_over(call: LossCall, values, shape_of):
    """``sum(values)`` with ``values`` broadcast to the shape of ``shape_of`` first."""
    xp = call.xp
    if tuple(values.shape) != tuple(shape_of.shape) or None in tuple(values.shape):
        values = values + xp.zeros_like(shape_of)
    return xp.sum(values)


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
        count = call.size(loss) if norm_weights is None else total_over(call, norm_weights, loss)
        if isinstance(count, int) and replica_sum is None:
            # A static count: one division, no guard needed.
            return call.finish(total / max(count, 1))
        if isinstance(count, int):
            count = call.asarray(float(count))
        total = safe_divide(xp, total, sum_over_replicas(replica_sum, count))
    return call.finish(total)


def sum_over_replicas(replica_sum, x):
    """``x`` summed over data-parallel replicas by the user's hook (identity without one).

    The hook comes from the adapters (``imbalance_losses.torch.replica_sum``,
    ``imbalance_losses.jax.replica_sum``, ``imbalance_losses.keras.replica_sum``)
    or is any function with the same contract: an array in, its sum over replicas
    out, differentiable where the statistic carries gradient.
    """
    return x if replica_sum is None else replica_sum(x)


def safe_divide(xp, numerator, denominator):
    """``numerator / denominator``, and 0 where the denominator is 0 (with zero gradient)."""
    nonzero = denominator != 0
    return xp.where(nonzero, numerator / xp.where(nonzero, denominator, 1), 0)


def compiling(xp):
    """Whether the namespace is being traced by a compiler that fuses elementwise code
    (the torch adapter's ``is_compiling``; other namespaces never say so)."""
    is_compiling = getattr(xp, "is_compiling", None)
    return is_compiling is not None and is_compiling()


def device_of(x):
    """The device of an array inside a closed-form term (None for a traced JAX array,
    whose placement follows the computation)."""
    return getattr(x, "device", None)


def gather_classes(call: LossCall, vector, labels):
    """``vector[labels]``: a per-class ``(C,)`` vector at integer labels of any shape.

    ``take`` on the flattened labels, every namespace's plain lookup (PyTorch's
    ``index_select`` is 9x faster than its ``gather`` on a broadcast vector at 4M
    labels); a broadcast ``take_along_axis`` where the labels' shape is unknown until
    run time (a TensorFlow batch dimension), which the reshape back would need.
    """
    xp = call.xp
    if None not in tuple(labels.shape):
        return xp.reshape(xp.take(vector, xp.reshape(labels, (-1,))), labels.shape)
    expanded = xp.reshape(vector, (1,) * labels.ndim + (vector.shape[0],))
    return xp.take_along_axis(expanded, labels[..., None], axis=-1)[..., 0]


def histogram(call: LossCall, index, length: int):
    """``counts[b] = #{index == b}`` for integer ``index`` in ``[0, length]``; the value
    ``length`` marks elements that do not count.

    The adapter's native scatter-add when it has one; otherwise the standard's sort
    and ``searchsorted``: each bin's count is the distance between its two insertion
    points. O(N) memory either way, exact integer counts, in the compute dtype.
    """
    native = getattr(call.backend.adapter, "bin_counts", None)
    if native is not None:
        return native(index, length, call.dtype)
    xp = call.xp
    ordered = xp.sort(xp.reshape(index, (-1,)))
    positions = xp.searchsorted(ordered, xp.arange(length + 1, dtype=ordered.dtype, device=call.device))
    return xp.astype(positions[1:] - positions[:-1], call.dtype)


def state_array(call: LossCall, state, shape, expected):
    """A loss's carried state (GHM's bin counts, Seesaw's class counts, EQLv2's gradient
    sums) as the accumulator it is added to, checked against ``shape``, and the dtype it
    is returned in.

    The returned dtype is that of the state passed in when it is floating (so it can be
    a ``jax.lax.scan`` carry), else the compute dtype. The accumulator is in the wider
    of that dtype and the compute dtype: a float64 state accumulates in float64 with
    float32 logits (counts stay exact past 2**24), and a float16 state in float32. The
    loss reads the accumulator through :meth:`LossCall.cast`, so the logits' arithmetic
    stays in the compute dtype, and adds a batch's statistics through :func:`accumulate`.
    """
    xp = call.xp
    given = xp.asarray(state, device=call.device) if is_host_value(state) else state
    dtype = given.dtype if xp.isdtype(given.dtype, "real floating") else call.dtype
    accumulator_dtype = dtype if xp.finfo(dtype).bits >= xp.finfo(call.dtype).bits else call.dtype
    values = given if given.dtype == accumulator_dtype else xp.astype(given, accumulator_dtype)
    check_shape("state", values.shape, shape, expected)
    check_array_values(xp, "state", lambda: (values >= 0) & xp.isfinite(values), "non-negative finite values")
    return values, dtype


def accumulate(xp, accumulator, batch):
    """``accumulator + batch``, added in the accumulator's dtype (TensorFlow does not
    promote, and a float64 sum must not round through float32)."""
    return accumulator + (batch if batch.dtype == accumulator.dtype else xp.astype(batch, accumulator.dtype))


def returned_state(call: LossCall, state, dtype):
    """A new state, gradient-stopped, in the dtype :func:`state_array` chose."""
    state = call.stop_gradient(state)
    return state if state.dtype == dtype else call.xp.astype(state, dtype)


# ---------------------------------------------------------------------------
# Stable primitives (standard functions only).


def power(xp, base, exponent):
    """``base ** exponent`` for ``base >= 0`` and a static exponent: repeated products
    for a small integer exponent (one fused multiply each, exact at 0), else ``pow``.
    An array of positive exponents (one per class) takes the guarded ``pow`` below."""
    if not isinstance(exponent, (int, float)):
        return _power_of_positive_base(xp, base, exponent)
    if exponent == int(exponent) and 1 <= exponent <= 4:
        result = base
        for _ in range(int(exponent) - 1):
            result = result * base
        return result
    if 0 < exponent < 1:
        return _power_of_positive_base(xp, base, exponent)
    return xp.pow(base, exponent)


def _power_of_positive_base(xp, base, exponent):
    # The derivative of b^e is infinite at b = 0 for e < 1. A base that is exactly 0 is an
    # underflowed complement (or a set's loss at perfect agreement) whose own derivative
    # is 0 too: the chain rule's product must be 0 there (a second derivative of a focal
    # term, the gradient of focal Tversky), not inf * 0 = NaN. Elsewhere 0 * base: 0 at
    # a base of 0, and a NaN base (from a NaN logit) stays NaN.
    positive = base > 0
    return xp.where(positive, xp.pow(xp.where(positive, base, 1.0), exponent), 0 * base)


def logsumexp(call: LossCall, x, axis=-1, keepdims=False):
    """Log-sum-exp along ``axis``, shifted by the (gradient-stopped) maximum."""
    return stable_logsumexp(call.xp, x, axis=axis, keepdims=keepdims, stop_gradient=call.stop_gradient)


def stable_logsumexp(xp, x, *, axis=-1, keepdims=False, stop_gradient=None):
    """Log-sum-exp along ``axis``, shifted by the maximum, which ``stop_gradient`` detaches
    where autodiff sees it (a closed-form term, whose derivative is given, needs none)."""
    shift = xp.max(x, axis=axis, keepdims=True)
    if stop_gradient is not None:
        shift = stop_gradient(shift)
    # An all -inf slice has no finite maximum; shifting by 0 keeps it -inf, not NaN.
    shift = xp.where(xp.isfinite(shift), shift, xp.zeros_like(shift))
    total = xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)
    # An empty (all -inf) slice is -inf, with zero gradient rather than 0 * inf = NaN; a
    # NaN slice stays NaN.
    empty = total == 0
    log_total = xp.where(empty, -xp.inf, xp.log(xp.where(empty, xp.ones_like(total), total)))
    out = log_total + shift
    return out if keepdims else xp.squeeze(out, axis=axis)


def class_axis_last(call: LossCall, x, axis: int, name: str = "logits"):
    """Move the class ``axis`` of ``x`` to the end (the rest keep their order)."""
    ndim = x.ndim
    if not isinstance(axis, int) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise invalid_argument("axis", f"an integer in [{-ndim}, {ndim}) for {name} of rank {ndim}", axis)
    axis %= ndim
    if x.shape[axis] is None:
        raise invalid_argument(name, f"a class axis (axis={axis}) of known size", f"shape {tuple(x.shape)}")
    return x if axis == ndim - 1 else call.xp.moveaxis(x, axis, -1)


def last_axis_classes(x, name: str = "logits") -> int:
    """The number of classes of an elementwise loss with per-class statistics (EQLv2's
    sums, DB's counts): the size of the last axis, which must exist and be known."""
    if x.ndim == 0 or x.shape[-1] is None:
        raise invalid_argument(name, "an array with a class axis (last) of known size", f"shape {tuple(x.shape)}")
    return x.shape[-1]


def binary_targets(call: LossCall, targets, shape, *, name="targets", as_given=False):
    """0/1 or soft targets (float, int or bool) in compute dtype, checked against ``shape``.

    A target outside [0, 1] (a 255 void in a binary mask given without ``ignore_index``)
    becomes NaN, so its element's loss and gradient are NaN on every framework, as an
    out-of-range class label's are: the linear forms would otherwise give a finite wrong
    number (a negative cross-entropy). The value checks name it instead, when on. With
    ``as_given`` the targets stay as they are, for a closed-form term that saves them for
    its backward (a NaN copy would be one more logits-sized array kept): the term's
    loss and derivatives are poisoned through :class:`OutOfRangeTargets` instead.
    """
    xp = call.xp
    y = call.asarray(targets)
    check_shape(name, y.shape, shape, "the shape of `logits`,")
    check_array_values(xp, name, lambda: (y >= 0) & (y <= 1), "values in [0, 1]")
    return y if as_given else xp.where((y >= 0) & (y <= 1), y, xp.nan)


class OutOfRangeTargets:
    """NaN where a dense target is outside [0, 1], else 0 (per row for a rowwise term): the
    ``targets`` of a :class:`~.terms.WeightedTerm`, which adds it to the unreduced loss and
    to the derivatives' weights, as it does for out-of-range class labels. A reduced loss
    is poisoned as a whole instead (:meth:`poisoned_reduction`): the same NaN, without a
    logits-sized array of zeros made and added (two eager kernels that read and write 8
    bytes per element in float32)."""

    def __init__(self, call: LossCall, y, *, rowwise=False):
        self.call, self.y, self.rowwise = call, y, rowwise

    @property
    def poison(self):  # made where asked for (a cached_property's lock is untraceable by Dynamo)
        xp, y = self.call.xp, self.y
        poison = xp.where((y >= 0) & (y <= 1), xp.zeros_like(y), xp.nan)
        return xp.sum(poison, axis=-1) if self.rowwise else poison

    def poisoned(self, loss):
        return loss + self.poison

    def poisoned_reduction(self, value, replica_sum=None):
        """A reduced loss, NaN if any target is outside [0, 1]; with ``replica_sum``, if any
        replica's is (every replica returns the same global loss). The targets' minimum and
        maximum decide: two reductions that write nothing (4M float32 targets, eager
        PyTorch on 2 cores: 0.7 ms, where four elementwise comparisons took 5.5 ms). A NaN
        target makes its element's loss NaN by itself."""
        xp, y = self.call.xp, self.y
        static_shape = None not in tuple(y.shape)
        if static_shape and math.prod(y.shape) == 0:  # no targets, nothing out of range (min of none raises)
            inside = xp.asarray(True, device=self.call.device)
        else:  # a dimension unknown until run time (TF): its min and max of no elements are +-inf
            inside = (xp.min(y) >= 0) & (xp.max(y) <= 1)
        poison = xp.where(inside, xp.zeros_like(value), xp.nan)
        return value + sum_over_replicas(replica_sum, poison)
