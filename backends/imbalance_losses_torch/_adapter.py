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


# array_api_compat's torch namespace, with the deviation above corrected and a native softplus.
namespace = types.SimpleNamespace(
    **{**vars(_torch_namespace), "take_along_axis": _take_along_axis, "softplus": _softplus}
)


def stop_gradient(x):
    return x.detach()


def device(x):
    return x.device


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

    return sum_over_replicas
