"""One interface over NumPy, array-api-strict, PyTorch, JAX and TensorFlow.

The conformance runner and the test-suite both drive the core through it:
convert float64 NumPy inputs to a framework's arrays on a device and dtype, take
the value and the gradient with respect to the logits (the framework's own
autodiff), and compile a function in the framework's way. Frameworks are
imported only when asked for, torch always before tensorflow (the reverse order
can crash the process).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

DTYPES = ("float64", "float32", "float16", "bfloat16")
MODES = ("eager", "compiled")


@functools.cache
def _import_frameworks():
    """Import the installed frameworks once, in a safe order, with deterministic settings."""
    modules = {}
    if importlib.util.find_spec("torch"):
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        # Every case compiles the same wrapper with other options and shapes: one
        # compiled graph per case, not a recompilation storm to guard against.
        torch._dynamo.config.recompile_limit = 100_000
        torch._dynamo.config.accumulated_recompile_limit = 100_000
        modules["torch"] = torch
    if importlib.util.find_spec("jax"):
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_default_matmul_precision", "highest")
        modules["jax"] = jax
    if importlib.util.find_spec("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # oneDNN's custom ops reorder float arithmetic ("slightly different numerical
        # results", TF says) and announce it on stderr past TF_CPP_MIN_LOG_LEVEL: a
        # reference run wants neither.
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
        tf.get_logger().setLevel("ERROR")  # each case traces its own function on purpose
        modules["tensorflow"] = tf
    return modules


@dataclass(frozen=True)
class Framework:
    """A framework adapter for tests: conversion, autodiff and compilation."""

    name: str
    module: str  # the module whose absence makes this framework a skip
    dtypes: tuple = DTYPES
    differentiable: bool = True

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def devices(self) -> list[str]:
        return ["cpu"]

    def supports(self, device: str, dtype: str) -> bool:
        """Whether ``dtype`` exists on ``device`` (a device may lack float64, as Apple's MPS does)."""
        return dtype in self.dtypes

    def device_of(self, x):
        """The device ``x`` lives on, comparable between two arrays of this framework."""
        return x.device

    # Subclasses implement the rest.


class NumPyFramework(Framework):
    def device_of(self, x):
        return "cpu"

    def asarray(self, a, dtype=None, device="cpu"):
        a = np.asarray(a)
        return a.astype(dtype) if dtype and a.dtype.kind == "f" else a

    def to_numpy(self, x):
        return np.asarray(x, dtype=np.float64)

    def compile(self, fn):
        return fn


class StrictFramework(Framework):
    """array-api-strict, on its CPU device and on two of its fake devices: ``device1`` (no
    array on it converts to NumPy, so any host round trip of ours fails) and ``no_float64``
    (float32 only, as Apple's MPS)."""

    def devices(self):
        return ["cpu", "device1", "no_float64"]

    def supports(self, device, dtype):
        return dtype in self.dtypes and not (device == "no_float64" and dtype == "float64")

    def _device(self, device):
        import array_api_strict as xps

        return xps.Device("CPU_DEVICE" if device == "cpu" else device)

    def asarray(self, a, dtype=None, device="cpu"):
        import array_api_strict as xps

        a = np.asarray(a)
        if dtype and a.dtype.kind == "f":
            a = a.astype(dtype)
        elif a.dtype == np.float64 and device == "no_float64":
            a = a.astype(np.float32)  # an option array on a device without float64
        return xps.asarray(a, device=self._device(device))

    def to_numpy(self, x):
        return np.asarray(x.to_device(self._device("cpu")), dtype=np.float64)

    def compile(self, fn):
        return fn


class TorchFramework(Framework):
    def devices(self):
        torch = _import_frameworks()["torch"]
        return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

    def _dtype(self, name):
        torch = _import_frameworks()["torch"]
        return getattr(torch, name)

    def asarray(self, a, dtype=None, device="cpu"):
        torch = _import_frameworks()["torch"]
        a = np.asarray(a)
        t = torch.from_numpy(a.copy()).to(device)
        return t.to(self._dtype(dtype)) if dtype and a.dtype.kind == "f" else t

    def to_numpy(self, x):
        return x.detach().to("cpu", dtype=self._dtype("float64")).numpy()

    def value_and_grad(self, fn, logits, *args, **kwargs):
        x = logits.detach().clone().requires_grad_(True)
        out = fn(x, *args, **kwargs)
        cotangent = _cotangent(out.shape)
        (out * self.asarray(cotangent, str(out.dtype).split(".")[-1], out.device)).sum().backward()
        return out, x.grad

    def compile(self, fn):
        torch = _import_frameworks()["torch"]
        return torch.compile(fn, fullgraph=True, dynamic=False)


class JaxFramework(Framework):
    def devices(self):
        jax = _import_frameworks()["jax"]
        return ["cpu"] + (["cuda"] if any(d.platform == "gpu" for d in jax.devices()) else [])

    def _device(self, device):
        jax = _import_frameworks()["jax"]
        platform = "gpu" if device == "cuda" else "cpu"
        return jax.devices(platform)[0]

    # Casts happen on the host (NumPy with JAX's float16/bfloat16 dtypes, rounding to
    # nearest even as XLA does), and value and gradient come from one jitted vjp: outside
    # jit, JAX compiles every operation for its shapes, and our own eager path compiles a
    # loss from its first call (EagerCompilation), so one program per case (forward and
    # backward together) is what an eager JAX call costs least as. The compiled column
    # differs in reusing one jitted function per loss and option set across cases.

    def asarray(self, a, dtype=None, device="cpu"):
        jax = _import_frameworks()["jax"]
        a = np.asarray(a)
        if dtype and a.dtype.kind == "f":
            a = a.astype(jax.numpy.dtype(dtype))
        return jax.device_put(a, self._device(device))

    def to_numpy(self, x):
        return np.asarray(x).astype(np.float64)

    def device_of(self, x):
        return x.devices()

    def value_and_grad(self, fn, logits, *args, **kwargs):
        jax = _import_frameworks()["jax"]
        @jax.jit
        def value_and_grad(x, *args):
            out, pullback = jax.vjp(lambda v: fn(v, *args, **kwargs), x)
            # The output's shape is static under the trace: the cotangent is a constant of it.
            return out, pullback(jax.numpy.asarray(_cotangent(out.shape), dtype=out.dtype))[0]

        return value_and_grad(logits, *args)

    def compile(self, fn):
        jax = _import_frameworks()["jax"]
        return jax.jit(fn)


class TensorFlowFramework(Framework):
    def devices(self):
        tf = _import_frameworks()["tensorflow"]
        return ["cpu"] + (["cuda"] if tf.config.list_physical_devices("GPU") else [])

    def _device(self, device):
        return "/GPU:0" if device == "cuda" else "/CPU:0"

    def asarray(self, a, dtype=None, device="cpu"):
        tf = _import_frameworks()["tensorflow"]
        a = np.asarray(a)
        with tf.device(self._device(device)):
            t = tf.constant(a)
            return tf.cast(t, dtype) if dtype and a.dtype.kind == "f" else t

    def to_numpy(self, x):
        tf = _import_frameworks()["tensorflow"]
        return tf.cast(x, tf.float64).numpy()

    def value_and_grad(self, fn, logits, *args, **kwargs):
        tf = _import_frameworks()["tensorflow"]
        with tf.GradientTape() as tape:
            tape.watch(logits)
            out = fn(logits, *args, **kwargs)
            total = tf.reduce_sum(out * tf.cast(_cotangent(out.shape), out.dtype))
        return out, tape.gradient(total, logits)

    def compile(self, fn):
        tf = _import_frameworks()["tensorflow"]
        return tf.function(fn, jit_compile=True, reduce_retracing=False)


def dtype_name(dtype) -> str:
    """``"float32"`` for the float32 dtype of any framework."""
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else str(dtype).split(".")[-1]


def _cotangent(shape):
    """A fixed, non-uniform cotangent so that gradients of "none" outputs test every element."""
    shape = tuple(shape)
    n = int(np.prod(shape)) if shape else 1
    return (1.0 + 0.5 * np.sin(np.arange(n, dtype=np.float64))).reshape(shape)


FRAMEWORKS = {
    "numpy": NumPyFramework("numpy", "numpy", dtypes=("float64", "float32", "float16"), differentiable=False),
    "array_api_strict": StrictFramework("array_api_strict", "array_api_strict", dtypes=("float64", "float32"), differentiable=False),
    "torch": TorchFramework("torch", "torch"),
    "jax": JaxFramework("jax", "jax"),
    "tensorflow": TensorFlowFramework("tensorflow", "tensorflow"),
}


def get_framework(name: str) -> Framework:
    """The framework ``name``, its installed libraries imported in a safe order."""
    framework = FRAMEWORKS[name]
    if framework.available():
        _import_frameworks()
    return framework
