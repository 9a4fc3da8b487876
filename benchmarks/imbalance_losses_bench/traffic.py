"""Memory traffic of forward + backward, and the GPU time it models, measured on a CPU.

At the sizes where a loss costs anything, a GPU kernel that reads its inputs and writes
its outputs runs at memory bandwidth, and each kernel costs a launch besides. So a
loss's forward + backward on a GPU takes about

    time = bytes moved / bandwidth + kernels x launch cost

and both counts are properties of the program, the same on a CPU:

- eager PyTorch: every ATen operation is one kernel reading its tensor inputs and
  writing its outputs; a ``TorchDispatchMode`` counts them (views and other
  metadata-only operations move nothing and launch nothing);
- compiled JAX and TensorFlow: the XLA program's top-level instructions after fusion
  are its kernels; each reads its operands and writes its result
  (:func:`hlo_traffic`, from the optimized HLO text; for JAX it agrees with XLA's own
  cost analysis, "bytes accessed", which TensorFlow does not expose).

The floor is what any implementation must move: read the logits and targets once,
write the gradient once. The model's limits: peak bandwidth is not reached (about
80-90% in practice), a tensor that fits the 50 MB L2 cache is cheaper than counted, a
reduction kernel is not always bandwidth-bound, and eager PyTorch's per-operation CPU
dispatch (several microseconds) is the launch cost only where the GPU waits for it.
"""

from __future__ import annotations

import re

# Peak memory bandwidth of each device (the vendor's specification, SXM form factor) and
# the cost of one kernel launch (a typical CUDA launch plus eager dispatch; compiled
# programs launch theirs back to back, so it overstates their share).
GPU_BANDWIDTH = {"H100": 3.35e12, "H200": 4.8e12}  # bytes / second
LAUNCH_SECONDS = 5e-6


def modelled_seconds(bytes_moved, kernels, device):
    """The GPU time of a program that moves ``bytes_moved`` in ``kernels`` kernels."""
    return bytes_moved / GPU_BANDWIDTH[device] + kernels * LAUNCH_SECONDS


def floor_bytes(x, y, nbytes):
    """Read the logits and targets once, write the gradient once (``nbytes``: an array's size in bytes)."""
    return 2 * nbytes(x) + nbytes(y)


def torch_traffic(fn, x, y):
    """``(bytes, kernels)`` of eager forward + backward (gradient with respect to ``x``)."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    def moved(tensor):
        # A broadcast (expanded) input is read from its storage once, not once per element.
        return min(tensor.numel() * tensor.element_size(), tensor.untyped_storage().nbytes())

    class Counter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.bytes = self.kernels = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func.is_view or func in free:
                return out
            if func in scattering:
                # An in-place scatter touches the indexed elements only: it reads its index
                # and source and writes as many elements (not its whole destination).
                tensors = [t for t in tree_leaves((args[1:], kwargs or {})) if isinstance(t, torch.Tensor)]
                self.bytes += 2 * sum(moved(t) for t in tensors)
            else:
                tensors = [t for t in tree_leaves((args, kwargs or {}, out)) if isinstance(t, torch.Tensor)]
                self.bytes += sum(moved(t) for t in tensors)
            self.kernels += 1
            return out

    free = _metadata_only(torch)
    aten = torch.ops.aten
    scattering = {aten.scatter_.value, aten.scatter_.src, aten.scatter_add_.default, aten.index_put_.default}
    leaf = x.detach().requires_grad_(True)
    with Counter() as counter:
        torch.autograd.grad(fn(leaf, y), leaf)
    return counter.bytes, counter.kernels


def _metadata_only(torch):
    """ATen operations that return their input (or a new tensor object of it) without a kernel."""
    aten = torch.ops.aten
    return {aten.detach.default, aten.alias.default, aten.lift_fresh.default}


# One instruction of an HLO module's text: "%name = f32[8,10]{1,0} opcode(%a, %b), ...".
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?(?P<name>[\w.\-]+)\s*=\s*(?P<shape>.+?)\s+"
                          r"(?P<opcode>[\w\-]+)\((?P<operands>[^)]*)\)")
_ARRAY = re.compile(r"\b(pred|s8|s16|s32|s64|u8|u16|u32|u64|f16|bf16|f32|f64)\[([\d,]*)\]")
_BYTES = {"pred": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "f16": 2, "bf16": 2, "s32": 4, "u32": 4, "f32": 4,
          "s64": 8, "u64": 8, "f64": 8}
# Instructions that run no kernel of their own.
_FREE = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast", "after-all", "partition-id",
         "replica-id"}


def _array_bytes(shape):
    total = 0
    for kind, dims in _ARRAY.findall(shape):
        count = 1
        for d in filter(None, dims.split(",")):
            count *= int(d)
        total += count * _BYTES[kind]
    return total


def hlo_traffic(hlo_text):
    """``(bytes, kernels)`` of an optimized HLO module: its entry computation's instructions
    (fusions, custom calls, the unfused rest), each reading its operands and writing its
    result."""
    entry = hlo_text[hlo_text.index("\nENTRY"):]
    entry = entry[:entry.index("\n}") + 1]
    sizes, total, kernels = {}, 0, 0
    for line in entry.splitlines():
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        sizes[match["name"]] = _array_bytes(match["shape"])
        if match["opcode"] in _FREE:
            continue
        kernels += 1
        operands = re.findall(r"%([\w.\-]+)", match["operands"])
        total += sizes[match["name"]] + sum(sizes.get(name, 0) for name in operands)
    return total, kernels


def jax_traffic(fn, x, y):
    """``(bytes, kernels, xla_bytes)`` of the jitted forward + backward; ``xla_bytes`` is
    XLA's own cost analysis ("bytes accessed"), for comparison."""
    import jax

    compiled = jax.jit(jax.grad(fn)).lower(x, y).compile()
    analysis = compiled.cost_analysis()
    analysis = analysis[0] if isinstance(analysis, (list, tuple)) else analysis
    moved, kernels = hlo_traffic(compiled.as_text())
    return moved, kernels, (analysis or {}).get("bytes accessed")


def tensorflow_traffic(fn, x, y):
    """``(bytes, kernels)`` of ``tf.function(jit_compile=True)`` forward + backward."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def grad(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = fn(a, b)
        return tape.gradient(loss, a)

    return hlo_traffic(grad.experimental_get_compiler_ir(x, y)(stage="optimized_hlo"))
