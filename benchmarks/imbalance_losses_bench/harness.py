"""Timing, memory and bandwidth measurements, one runner per framework.

Time: forward + backward (gradient with respect to the logits), median over
repeats after warm-up (the first calls of a compiled mode compile). Memory, per
framework (CPU allocators report no peak):
- torch: the bytes of the tensors autograd saves for backward (what a
  forward + backward keeps alive beyond the inputs), via saved-tensor hooks, in
  eager mode;
- jax: the temporary bytes XLA allocates for the compiled forward + backward
  (``compiled.memory_analysis().temp_size_in_bytes``), compiled mode only;
- tensorflow: not measurable on CPU (no allocator statistics): reported as "-".
Bandwidth limit: a same-device elementwise pass reading the logits and writing a
result of the same size (the least a loss and its gradient must move), timed in
the same run; reported as limit time / our time.
"""

from __future__ import annotations

import statistics
import time

from .traffic import jax_traffic, tensorflow_traffic, torch_traffic


def median_time(fn, *, warmup=2, min_repeats=5, max_repeats=50, budget=1.0, sync=lambda out: None):
    for _ in range(warmup):
        sync(fn())
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or (len(times) < max_repeats and time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class TorchRunner:
    name = "torch"

    def __init__(self, device):
        import torch

        self.torch, self.device = torch, device
        torch.backends.cuda.matmul.allow_tf32 = False
        torch._dynamo.config.recompile_limit = 1000

    def arrays(self, x, y):
        torch = self.torch
        return torch.tensor(x, device=self.device), torch.tensor(y, device=self.device)

    def sync(self, out=None):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def step(self, fn, x, y, mode):
        torch = self.torch
        forward = torch.compile(fn, fullgraph=True, dynamic=False) if mode == "compiled" else fn

        def run():
            leaf = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(forward(leaf, y), leaf)
            return grad

        return run

    def memory(self, fn, x, y, mode):
        torch = self.torch
        if mode != "eager":
            return None
        inputs = {x.untyped_storage().data_ptr(), y.untyped_storage().data_ptr()}
        seen, total = set(), [0]

        def pack(t):
            # Distinct storages autograd keeps beyond the inputs (which exist anyway).
            storage = t.untyped_storage()
            if storage.data_ptr() not in inputs and storage.data_ptr() not in seen:
                seen.add(storage.data_ptr())
                total[0] += storage.nbytes()
            return t

        leaf = x.detach().requires_grad_(True)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            fn(leaf, y)
        return total[0]

    def copy_limit(self, x):
        out = self.torch.empty_like(x)
        return lambda: out.copy_(x)

    traffic_mode = "eager"  # what a GPU user of eager PyTorch runs: one kernel per operation

    def traffic(self, fn, x, y):
        return torch_traffic(fn, x, y)

    @staticmethod
    def nbytes(a):
        return a.numel() * a.element_size()


class JaxRunner:
    name = "jax"

    def __init__(self, device):
        import jax

        self.jax = jax
        self.device = jax.devices("gpu" if device == "cuda" else "cpu")[0]

    def arrays(self, x, y):
        return self.jax.device_put(x, self.device), self.jax.device_put(y, self.device)

    def sync(self, out=None):
        if out is not None:
            self.jax.block_until_ready(out)

    def step(self, fn, x, y, mode):
        grad = self.jax.grad(fn)
        if mode == "compiled":
            grad = self.jax.jit(grad)
        return lambda: grad(x, y)

    def memory(self, fn, x, y, mode):
        if mode != "compiled":
            return None
        analysis = self.jax.jit(self.jax.grad(fn)).lower(x, y).compile().memory_analysis()
        return None if analysis is None else analysis.temp_size_in_bytes

    def copy_limit(self, x):
        copy = self.jax.jit(lambda a: a + 1.0)
        return lambda: copy(x)

    traffic_mode = "compiled"  # outside jit, JAX runs each operation as its own program

    def traffic(self, fn, x, y):
        return jax_traffic(fn, x, y)[:2]

    @staticmethod
    def nbytes(a):
        return a.nbytes


class TensorFlowRunner:
    name = "tensorflow"

    def __init__(self, device):
        import tensorflow as tf

        self.tf = tf
        self.device = "/GPU:0" if device == "cuda" else "/CPU:0"

    def arrays(self, x, y):
        with self.tf.device(self.device):
            return self.tf.constant(x), self.tf.constant(y)

    def sync(self, out=None):
        if out is not None:
            out.numpy()

    def step(self, fn, x, y, mode):
        tf = self.tf

        def grad(a, b):
            with tf.GradientTape() as tape:
                tape.watch(a)
                loss = fn(a, b)
            return tape.gradient(loss, a)

        if mode == "compiled":
            grad = tf.function(grad, jit_compile=True)
        return lambda: grad(x, y)

    def memory(self, fn, x, y, mode):
        return None

    def copy_limit(self, x):
        copy = self.tf.function(lambda a: a + 1.0, jit_compile=True)
        return lambda: copy(x)

    traffic_mode = "compiled"

    def traffic(self, fn, x, y):
        return tensorflow_traffic(fn, x, y)

    @staticmethod
    def nbytes(a):
        return a.shape.num_elements() * a.dtype.size


RUNNERS = {"torch": TorchRunner, "jax": JaxRunner, "tensorflow": TensorFlowRunner}
