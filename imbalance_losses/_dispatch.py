"""Find the array namespace and the framework adapter for a call's arrays.

Detection is lazy, as in einops: a framework is consulted only if it is already
in ``sys.modules`` (an array of it cannot exist otherwise), so importing
``imbalance_losses`` imports no framework. Each autograd framework has an adapter
package, the layer *below* the core, supplying what the array API standard lacks
(stop-gradient; for TensorFlow the namespace itself). Arrays of any other
array-API library (NumPy, array-api-strict, CuPy, ...) carry no gradients and use
the built-in host adapter.
"""

from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass
from typing import Any

from . import _compat
from ._validation import format_value


def _torch_adapter():
    from imbalance_losses_torch import _adapter

    return _adapter


def _jax_adapter():
    from imbalance_losses_jax import _adapter

    return _adapter


def _tensorflow_adapter():
    from imbalance_losses_tf import _adapter

    return _adapter


# Plain import statements rather than importlib: torch.compile traces them
# (it refuses importlib.import_module), so a compiled loss has no graph break.
_ADAPTER_LOADERS = {"torch": _torch_adapter, "jax": _jax_adapter, "tensorflow": _tensorflow_adapter}
_ADAPTER_PACKAGES = {"torch": "imbalance_losses_torch", "jax": "imbalance_losses_jax", "tensorflow": "imbalance_losses_tf"}


class _HostAdapter:
    """Adapter for array libraries without autograd: stop-gradient is the identity."""

    namespace = None

    @staticmethod
    def stop_gradient(x):
        return x

    @staticmethod
    def device(x):
        return _compat.device(x)


@dataclass(frozen=True)
class Backend:
    """What a loss needs to run on one call's arrays."""

    framework: str
    xp: Any
    adapter: Any


def _is_tensorflow_array(x) -> bool:
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return False
    return isinstance(x, (tf.Tensor, tf.Variable))


def framework_of(x) -> str:
    """The framework an array belongs to: ``"torch"``, ``"jax"``, ``"tensorflow"``,
    ``"numpy"``, or the top-level module of any other array-API library."""
    if _is_tensorflow_array(x):
        return "tensorflow"
    if _compat.is_torch_array(x):
        return "torch"
    if _compat.is_jax_array(x):
        return "jax"
    if _compat.is_numpy_array(x):
        return "numpy"
    if _compat.is_array_api_obj(x):
        return type(x).__module__.split(".")[0]
    msg = f"Expected an array of NumPy, PyTorch, JAX, TensorFlow or another array API library. Received: an object of type {type(x).__qualname__}."
    raise TypeError(msg)


def adapter_for(framework: str):
    """The adapter module of ``framework`` (imported on first use)."""
    loader = _ADAPTER_LOADERS.get(framework)
    if loader is None:
        return _HostAdapter
    try:
        return loader()
    except ImportError as error:  # e.g. a vendored core without its adapter
        package = _ADAPTER_PACKAGES[framework]
        msg = (
            f"imbalance_losses needs its {framework} adapter `{package}` for {framework} arrays, "
            f"and it could not be imported ({error}). Install imbalance-losses, or when vendoring "
            f"copy backends/{package} next to imbalance_losses."
        )
        raise ImportError(msg) from error


def resolve_backend(logits, **arrays) -> Backend:
    """The backend of ``logits``, checked against the other named arrays of the call.

    Options given as Python values (None, numbers, sequences) are skipped. Raises
    ``TypeError`` when the arrays come from different frameworks and ``ValueError``
    when they live on different devices, naming both arguments.
    """
    named = [("logits", logits)] + [(name, x) for name, x in arrays.items() if not _is_python_value(x)]
    first_name, first = named[0]
    framework = framework_of(first)
    for name, x in named[1:]:
        other = framework_of(x)
        if other != framework:
            msg = (
                f"Arguments `{first_name}` and `{name}` must be arrays of the same framework. "
                f"Received: {first_name}={framework} array, {name}={other} array."
            )
            raise TypeError(msg)
    adapter = adapter_for(framework)
    xp = adapter.namespace if adapter.namespace is not None else _compat.array_namespace(first)
    _check_same_device(adapter, named)
    return Backend(framework, xp, adapter)


def _is_python_value(x) -> bool:
    """Options given as Python values (None, numbers, sequences) belong to no framework."""
    return x is None or isinstance(x, (numbers.Number, list, tuple))


def _check_same_device(adapter, named) -> None:
    devices = [(name, adapter.device(x)) for name, x in named]
    # Traced arrays (under jax.jit) report no device: nothing to compare.
    devices = [(name, dev) for name, dev in devices if dev is not None]
    for name, dev in devices[1:]:
        if dev != devices[0][1]:
            msg = (
                f"Arguments `{devices[0][0]}` and `{name}` must be on the same device. "
                f"Received: {devices[0][0]} on {format_value(devices[0][1])}, "
                f"{name} on {format_value(dev)}."
            )
            raise ValueError(msg)
