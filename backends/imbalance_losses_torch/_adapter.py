"""Primitives the core needs for torch tensors beyond the array API standard."""

import types

import array_api_compat.torch as _torch_namespace
import torch


def _take_along_axis(x, indices, /, *, axis=-1):
    # torch.take_along_dim accepts only int64 indices; the standard allows any integer dtype.
    return _torch_namespace.take_along_axis(x, indices.long(), axis=axis)


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


# array_api_compat's torch namespace, with the deviations above corrected and native
# sigmoid/softplus kernels of the accuracy the core's `logistic` needs.
namespace = types.SimpleNamespace(
    **{**vars(_torch_namespace), "take_along_axis": _take_along_axis, "softplus": _softplus,
       "sigmoid": torch.sigmoid,
       "maximum": _clamping("maximum", torch.clamp_min), "minimum": _clamping("minimum", torch.clamp_max)}
)


def stop_gradient(x):
    return x.detach()


def device(x):
    return x.device


def run(function, logits, *args, **options):
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
        if torch.is_grad_enabled():  # create_graph: the statistics' dependence on x counts too
            saved = op.value(namespace, x, arrays, present, static)[1]
        derivative = op.gradient(namespace, x, arrays, present, static, saved)
        upstream = grad_value[..., None] if op.rowwise else grad_value
        return (upstream * derivative, None, *(None for _ in arrays))


def closed_form(key, xp, x, arrays):
    """The value of a closed-form term, with its derivative as the autograd backward."""
    return _ClosedFormFunction.apply(x, key, *arrays)[0]


def bin_counts(index, counted, length, dtype):
    """Histogram of integer ``index`` (``counted``: 1 counts, 0 not) in one scatter-add, O(N).

    Counted in int64, exact for any number of elements; ``index_add_`` rather than
    ``bincount``, whose output size depends on the data (a graph break).
    """
    counts = torch.zeros(length, dtype=torch.int64, device=index.device)
    counts.index_add_(0, index.reshape(-1), counted.reshape(-1).to(torch.int64))
    return counts.to(dtype)


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
