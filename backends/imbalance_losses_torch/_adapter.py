"""Primitives the core needs for torch tensors beyond the array API standard."""

import inspect
import types

import array_api_compat.torch as _torch_namespace
import torch


def _take_along_axis(x, indices, /, *, axis=-1):
    """``gather`` on broadcast views: torch.take_along_dim (and array_api_compat's) also
    wraps negative indices, a full extra pass the core never needs, and gather takes
    only int64 indices where the standard allows any integer dtype."""
    axis %= x.ndim
    batch = list(torch.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1:],
                                        indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
    batch[axis] = x.shape[axis]
    x = x.expand(batch)
    batch[axis] = indices.shape[axis]
    return torch.gather(x, axis, indices.expand(batch) if indices.dtype == torch.int64 else indices.expand(batch).long())


def _take(x, indices, /, *, axis=None):
    """``index_select``, which takes int32 indices as they are: array_api_compat's ``take``
    also wraps negative indices, an extra pass the core never needs."""
    return torch.index_select(x, 0 if axis is None else axis, indices)


def _cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """``torch.cumsum`` along ``axis`` (the core passes one): array_api_compat's version looks
    its namespace up again through an ``lru_cache``, which ``torch.compile`` warns about."""
    out = torch.cumsum(x, dim=0 if axis is None else axis, dtype=dtype)
    if include_initial:
        zero_shape = list(out.shape)
        zero_shape[0 if axis is None else axis] = 1
        out = torch.cat([out.new_zeros(zero_shape), out], dim=0 if axis is None else axis)
    return out


def _softplus(x):
    """Exact softplus from one fused kernel (gradient sigmoid(x), 1/2 at 0).

    ``F.softplus`` returns ``x`` above ``threshold``; the omitted ``log1p(e^-x)`` is
    below half an ulp of ``x`` for x > 40 in float64 and x > 20 in float32, so
    that threshold keeps it exact. One kernel that keeps only its input for
    backward (``logaddexp`` keeps three arrays) and compiles well with Inductor.
    """
    return torch.nn.functional.softplus(x, threshold=40.0 if x.dtype == torch.float64 else 20.0)


def _clamping(name, clamp):
    """``maximum``/``minimum`` accepting a Python scalar as ``torch.clamp`` does: array_api_compat
    converts the scalar through ``torch.result_type``, which ``torch.compile`` cannot trace."""
    two_arrays = getattr(_torch_namespace, name)

    def bound(x1, x2, /):
        if isinstance(x2, (int, float)):
            return clamp(x1, x2)
        if isinstance(x1, (int, float)):
            return clamp(x2, x1)
        return two_arrays(x1, x2)

    return bound


def _owns_buffer(x):
    """Whether an op may write into a buffer it has just made from ``x``: not when autograd
    records it (a second derivative is being built, and ``exp``/``softmax`` keep their
    output for their own backward)."""
    return not (torch.is_grad_enabled() and x.requires_grad)


def _label_index(target):
    return (target if target.dtype == torch.int64 else target.long())[..., None]


def _target_statistics(x, target):
    """The row's maximum ``m``, total ``sum_c e^(x_c - m)`` and the target's complement
    ``sum_{c != t} p_c`` (keepdims) from one softmax buffer: the total is ``1 / max_c p_c``,
    and the target is zeroed in the buffer before it is summed (no (..., C) mask)."""
    p = torch.softmax(x, -1)
    total = 1 / p.amax(-1, keepdim=True)
    index = _label_index(target)
    p = p.scatter_(-1, index, 0.0) if _owns_buffer(x) else p.scatter(-1, index, 0.0)
    return x.amax(-1, keepdim=True), total, p.sum(-1, keepdim=True)


def _scaled_softmax_residual(x, target, scale):
    """``scale * (softmax(x) - onehot(target))`` from the fused softmax kernel, finished in its buffer."""
    index = _label_index(target)
    minus_one = torch.full((), -1.0, dtype=x.dtype, device=x.device).expand(index.shape)
    residual = torch.softmax(x, -1)
    if not _owns_buffer(x):
        return scale * residual.scatter_add(-1, index, minus_one)
    residual.scatter_add_(-1, index, minus_one)
    return residual if isinstance(scale, float) and scale == 1.0 else residual.mul_(scale)


# Rows of at least this many classes use the fused softmax kernels eagerly: they beat the
# standard form's separate kernels from there (softmax focal loss forward + backward, 4M
# float32 logits, 2 CPU cores: 1000 classes 5.6 ms vs 14.9 ms, 16 classes 16 ms vs 41 ms),
# but torch's softmax kernels are slow on shorter rows (10 classes: 81 ms vs 57 ms).
FUSED_SOFTMAX_MIN_CLASSES = 16


def _fused_softmax_pays_off(x):
    return not torch.compiler.is_compiling() and x.shape[-1] >= FUSED_SOFTMAX_MIN_CLASSES


fused_softmax = types.SimpleNamespace(
    target_statistics=_target_statistics, scaled_residual=_scaled_softmax_residual, pays_off=_fused_softmax_pays_off,
)


# array_api_compat's torch namespace, with the deviations above corrected, native
# sigmoid/softplus/lerp kernels of the accuracy the core's `logistic` and `blend` need,
# and the fused softmax kernels behind the core's hard-label softmax terms.
namespace = types.SimpleNamespace(
    **{**vars(_torch_namespace), "take": _take, "take_along_axis": _take_along_axis, "softplus": _softplus,
       "cumulative_sum": _cumulative_sum,
       "sigmoid": torch.sigmoid, "lerp": torch.lerp, "is_compiling": torch.compiler.is_compiling,
       "maximum": _clamping("maximum", torch.clamp_min), "minimum": _clamping("minimum", torch.clamp_max),
       "fused_softmax": fused_softmax}
)


def stop_gradient(x):
    return x.detach()


def device(x):
    return x.device


def run(function, logits, args, options):
    """Call a public loss. Under ``torch.autocast`` the loss is computed and returned in
    float32, as PyTorch's own losses are (autocast is paused inside, so no op of the
    loss is lowered to float16)."""
    device_type = logits.device.type
    if not (torch.amp.is_autocast_available(device_type) and torch.is_autocast_enabled(device_type)):
        return function(logits, *args, **options)
    with torch.autocast(device_type, enabled=False):
        return function(logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits, *args, **options)


class _ClosedFormFunction(torch.autograd.Function):
    """One autograd node for a closed-form loss term of the core (``imbalance_losses.core.autodiff``).

    Saves the inputs and the term's per-row statistics only; the backward
    recomputes the derivative from them with differentiable torch ops, so double
    backward (Hessian-vector products, ``gradgradcheck``) is exact: under
    ``create_graph`` the statistics are recomputed from the logits too. Traced
    by ``torch.compile(fullgraph=True)`` without a graph break.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x, key, *arrays):
        op, present, static = key
        value, saved = op.value(namespace, x, arrays, present, static)
        return (value, *saved)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, key, *arrays = inputs
        saved = output[1:]
        ctx.mark_non_differentiable(*saved)
        ctx.save_for_backward(x, *arrays, *saved)
        ctx.key, ctx.num_arrays = key, len(arrays)

    @staticmethod
    def backward(ctx, grad_value, *unused):
        op, present, static = ctx.key
        x, *rest = ctx.saved_tensors
        arrays, saved = tuple(rest[: ctx.num_arrays]), tuple(rest[ctx.num_arrays:])
        differentiable = torch.is_grad_enabled()  # create_graph: a second derivative follows
        if differentiable:  # the statistics' dependence on x counts too
            saved = op.value(namespace, x, arrays, present, static)[1]
        upstream = grad_value[..., None] if op.rowwise else grad_value
        if op.rowwise and op.takes_row_scale and not differentiable:
            # The upstream gradient joins the term's per-row weights: one (..., C) pass fewer.
            return (op.gradient(namespace, x, arrays, present, static, saved, row_scale=upstream), None,
                    *(None for _ in arrays))
        derivative = op.gradient(namespace, x, arrays, present, static, saved)
        if differentiable or derivative.shape != x.shape or derivative._base is not None:
            return (upstream * derivative, None, *(None for _ in arrays))
        # The derivative is a fresh buffer nobody else holds: scaled in place, one allocation less.
        return (derivative.mul_(upstream), None, *(None for _ in arrays))


class _FusedClosedFormFunction(torch.autograd.Function):
    """An elementwise closed-form term whose value and derivative are computed together in
    the forward pass (``ClosedForm.value_and_derivative``): the backward scales the saved
    derivative, one kernel, instead of recomputing the term's intermediates (eager
    PyTorch runs each operation as a kernel that reads and writes memory). Under
    ``create_graph`` the derivative is recomputed from the logits with differentiable
    ops, so second derivatives stay exact."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, key, *arrays):
        op, present, static = key
        return op.value_and_gradient(namespace, x, arrays, present, static)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, key, *arrays = inputs
        ctx.mark_non_differentiable(output[1])
        ctx.save_for_backward(x, *arrays, output[1])
        ctx.key = key

    @staticmethod
    def backward(ctx, grad_value, unused):
        op, present, static = ctx.key
        x, *arrays, derivative = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: a second derivative follows
            derivative = op.gradient(namespace, x, arrays, present, static,
                                     op.value(namespace, x, arrays, present, static)[1])
        return (grad_value * derivative, None, *(None for _ in arrays))


# ``Function.apply`` binds its arguments to ``forward``'s signature on every call, and
# ``inspect.signature`` honours a precomputed ``__signature__``: about 10 us less per
# call (8x10 BCE forward, 2 CPU cores: 61 us instead of 72 us; native 8 us).
_ClosedFormFunction.forward.__signature__ = inspect.signature(_ClosedFormFunction.forward)
_FusedClosedFormFunction.forward.__signature__ = inspect.signature(_FusedClosedFormFunction.forward)


def _native_cross_entropy(x, target, class_weights, *, index, smoothing):
    """The core's softmax cross-entropy term by ``F.cross_entropy(reduction="none")``, which
    computes exactly ``-sum_c w_c t'_c log p_c`` for integer and probability targets alike
    (its own fused kernels and autograd: about native speed in eager mode)."""
    if x.ndim > 1:  # torch puts the class axis at 1
        x = x.movedim(-1, 1)
        target = target if index else target.movedim(-1, 1)
    return torch.nn.functional.cross_entropy(x, target, weight=class_weights, label_smoothing=smoothing,
                                             reduction="none")


# Closed-form terms for which PyTorch has a kernel computing exactly the same formula:
# used in eager mode. Under torch.compile the core's closed form is traced instead
# (Inductor fuses it better than the decomposed native op).
_NATIVE_TERMS = {"softmax_cross_entropy": _native_cross_entropy}


def closed_form(key, xp, x, arrays):
    """The value of a closed-form term, with its derivative as the autograd backward."""
    op, present, static = key
    native = _NATIVE_TERMS.get(op.name)
    eager = not torch.compiler.is_compiling()  # Inductor fuses the recomputation itself
    if native is not None and eager:
        return native(x, *op.arguments(arrays, present), **dict(static))
    if not (x.requires_grad and torch.is_grad_enabled()):
        # Nothing to differentiate: the forward alone, no autograd node (Dynamo also fails to
        # trace a Function applied to two or more tensors none of which requires grad). The
        # other arrays carry no gradient through a term, here as through the Function.
        return op.value(namespace, x, tuple(a.detach() for a in arrays), present, static)[0]
    if op.value_and_derivative is not None and eager:
        return _FusedClosedFormFunction.apply(x, key, *arrays)[0]
    return _ClosedFormFunction.apply(x, key, *arrays)[0]


@torch.library.custom_op("imbalance_losses::bin_counts", mutates_args=())
def _bin_counts(index: torch.Tensor, length: int) -> torch.Tensor:
    """``bincount`` of integer ``index`` with values in ``[0, length]``: ``length + 1`` int64 counts.

    A custom op, so that ``torch.compile`` calls the kernel as it is, with the output
    shape declared below: ``bincount``'s data-dependent size is a graph break, and
    Inductor's own ``index_add_`` loop serialises on the few counters (4M elements, 30
    bins, 2 CPU cores: 22 ms compiled against 2.8 ms for ``bincount``, 3.9 ms for eager
    ``index_add_``).
    """
    return torch.bincount(index.reshape(-1), minlength=length + 1)


@_bin_counts.register_fake
def _(index, length):
    return index.new_empty(length + 1, dtype=torch.int64)


@torch.library.register_vmap("imbalance_losses::bin_counts")
def _(info, in_dims, index, length):
    # Each batch entry counts into its own block of length + 1 bins of one histogram.
    batch = index.movedim(in_dims[0], 0)
    size = batch.shape[0]
    offsets = torch.arange(size, dtype=batch.dtype, device=batch.device) * (length + 1)
    flat = (batch.reshape(size, -1) + offsets[:, None]).reshape(-1)
    return _bin_counts(flat, size * (length + 1) - 1).reshape(size, length + 1), 0


def bin_counts(index, length, dtype):
    """Histogram of integer ``index`` over ``[0, length)`` (``length``: not counted), O(N),
    exact in int64, by the ``bin_counts`` op above."""
    return _bin_counts(index, length)[:length].to(dtype)


def replica_sum(group=None):
    """A ``replica_sum`` hook: sum over the processes of ``group`` with ``torch.distributed``.

    Uses the functional all-reduce, whose backward sums the gradients over the
    replicas too (and which ``torch.compile`` traces), so pooled statistics that
    carry gradient (Dice's sums, the mean's numerator) pass it back to every
    replica. With it, each replica's loss is the global loss, and DDP's gradient
    averaging gives exactly the single-process gradient.
    """
    import torch.distributed as dist
    from torch.distributed import _functional_collectives as collectives

    def sum_over_replicas(x):
        return collectives.all_reduce(x, "sum", group if group is not None else dist.group.WORLD)

    # A process group is not configuration: a saved hook is remade for the default group.
    sum_over_replicas.config = {"framework": "torch", "arguments": {}}
    return sum_over_replicas


def replica_gather(group=None):
    """A ``replica_gather`` hook: the arrays of every process of ``group``, concatenated along
    the first axis (``torch.distributed``'s functional all-gather, in rank order), for
    losses that compare each sample with the whole global batch (Balanced MSE's BMC).
    Used on targets and weights, which carry no gradient."""
    import torch.distributed as dist
    from torch.distributed import _functional_collectives as collectives

    def gather_over_replicas(x):
        return collectives.all_gather_tensor(x.contiguous(), 0, group if group is not None else dist.group.WORLD)

    gather_over_replicas.config = {"framework": "torch", "arguments": {}, "hook": "replica_gather"}
    return gather_over_replicas
