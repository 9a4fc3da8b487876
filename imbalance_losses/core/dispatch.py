"""Find the array namespace and the framework adapter for a call's arrays.

Detection is lazy, as in einops: a framework is consulted only if it is already
in ``sys.modules`` (an array of it cannot exist otherwise), so importing
``imbalance_losses`` imports no framework. Each autograd framework has an adapter
package, the layer *below* the core, supplying what the array API standard lacks
(stop-gradient, the wiring of closed-form gradients, histograms; for TensorFlow
the namespace itself). Arrays of any other array-API library (NumPy,
array-api-strict, CuPy, ...) carry no gradients and use the built-in host adapter.

The logits decide the framework of a call. Every other input may also be a
Python value, a NumPy scalar or a NumPy array (a "host value"): it is converted
to the logits' framework, device and dtype (``common.LossCall.asarray``).
"""

from __future__ import annotations

import functools
import numbers
import os
import sys
from dataclasses import dataclass
from typing import Any

from . import compat as _compat
from .autodiff import apply_forward
from .validation import format_value, value_checks_enabled


# A vendored copy (``imbalance-losses vendor``) carries its adapters in ``_backends/`` beside
# the core, found relative to it: the host package's top level gets nothing. An installed
# one finds them as the top-level packages the wheel installs.
_BUNDLED_BACKENDS = os.path.isdir(os.path.join(os.path.dirname(os.path.dirname(__file__)), "_backends"))


def _torch_adapter():
    if _BUNDLED_BACKENDS:
        from .._backends.imbalance_losses_torch import _adapter
    else:
        from imbalance_losses_torch import _adapter
    return _adapter


def _jax_adapter():
    if _BUNDLED_BACKENDS:
        from .._backends.imbalance_losses_jax import _adapter
    else:
        from imbalance_losses_jax import _adapter
    return _adapter


def _tensorflow_adapter():
    if _BUNDLED_BACKENDS:
        from .._backends.imbalance_losses_tf import _adapter
    else:
        from imbalance_losses_tf import _adapter
    return _adapter


# Plain import statements rather than importlib: torch.compile traces them
# (it refuses importlib.import_module), so a compiled loss has no graph break.
_ADAPTER_LOADERS = {"torch": _torch_adapter, "jax": _jax_adapter, "tensorflow": _tensorflow_adapter}
_ADAPTER_PACKAGES = {"torch": "imbalance_losses_torch", "jax": "imbalance_losses_jax", "tensorflow": "imbalance_losses_tf"}


class HostAdapter:
    """Adapter for array libraries without autograd (NumPy, array-api-strict, CuPy, ...).

    Stop-gradient is the identity, a loss runs as called, and a closed-form loss
    term is just its forward computation. The framework adapters provide the same
    hooks (``imbalance_losses_torch._adapter`` etc.).
    """

    namespace = None  # array_api_compat's namespace of the array

    @staticmethod
    def stop_gradient(x):
        return x

    @staticmethod
    def device(x):
        return _compat.device(x)

    # An adapter may also supply ``run(function, logits, args, options)`` to adjust a
    # call to its framework's conventions (torch autocast), and ``compile(function)``,
    # ``is_array(value)`` and ``executing_eagerly()`` to have repeated eager calls
    # compiled (:class:`EagerCompilation`).

    @staticmethod
    def run(function, logits, args, options):
        return function(logits, *args, **options)

    closed_form = staticmethod(apply_forward)


@dataclass(frozen=True)
class Backend:
    """What a loss needs to run on one call's arrays."""

    framework: str
    xp: Any
    adapter: Any


def _instance_of(x, module: str, names: tuple) -> bool:
    """``isinstance(x, module.name)`` for a module that is already imported (else False)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(x, tuple(getattr(loaded, name) for name in names))


def framework_of(x) -> str:
    """The framework an array belongs to: ``"torch"``, ``"jax"``, ``"tensorflow"``,
    ``"numpy"``, or the top-level module of any other array-API library."""
    # Plain isinstance checks for torch and NumPy: torch.compile traces them
    # (array_api_compat's cached type checks make Dynamo warn on every compile).
    if _instance_of(x, "torch", ("Tensor",)):
        return "torch"
    if _instance_of(x, "numpy", ("ndarray", "generic")):
        return "numpy"
    if _instance_of(x, "tensorflow", ("Tensor", "Variable")):
        return "tensorflow"
    if _compat.is_jax_array(x):
        return "jax"
    if _compat.is_array_api_obj(x):
        return type(x).__module__.split(".")[0]
    msg = f"Expected an array of NumPy, PyTorch, JAX, TensorFlow or another array API library. Received: an object of type {type(x).__qualname__}."
    raise TypeError(msg)


def is_host_value(x) -> bool:
    """Python values (None, numbers, sequences) and NumPy scalars and arrays: converted to
    the framework of the logits rather than checked against it."""
    return x is None or isinstance(x, (numbers.Number, list, tuple)) or _instance_of(x, "numpy", ("ndarray", "generic"))


def python_value(value):
    """A NumPy scalar (or 0-d array) option as the Python number or bool it holds; else ``value``."""
    if _instance_of(value, "numpy", ("ndarray", "generic")) and value.ndim == 0 and value.dtype.kind in "biuf":
        return value.item()
    return value


def adapter_for(framework: str):
    """The adapter module of ``framework`` (imported on first use)."""
    loader = _ADAPTER_LOADERS.get(framework)
    if loader is None:
        return HostAdapter
    try:
        return loader()
    except ImportError as error:  # e.g. a vendored core without its adapter
        package = _ADAPTER_PACKAGES[framework]
        msg = (
            f"imbalance_losses needs its {framework} adapter `{package}` for {framework} arrays, "
            f"and it could not be imported ({error}). Install imbalance-losses, or vendor it with "
            f"`imbalance-losses vendor DEST`, which bundles the adapters in imbalance_losses/_backends/."
        )
        raise ImportError(msg) from error


def loss_function(function):
    """The entry of every public loss: one place for what every call shares.

    NumPy scalar options become Python values (``alpha=np.float32(0.25)``,
    ``axis=np.int64(1)``, ``per_sample=np.bool_(True)``), and the call goes
    through its framework adapter's ``run``, which may compile the loss for
    eager callers (JAX, TensorFlow: one compiled call instead of one dispatch per
    array operation) or adjust it to the framework's conventions (autocast).
    """

    @functools.wraps(function)
    def public(logits, *args, **options):
        options = {name: python_value(value) for name, value in options.items()}
        adapter = adapter_for(framework_of(logits))
        read = getattr(adapter, "read_variable", None)
        if read is not None:  # variables given as arguments (a trainable AUC-margin `a`) as their values
            args, options = tuple(read(a) for a in args), {name: read(v) for name, v in options.items()}
        # Value checks read arrays on the host: with them on, a loss runs as written.
        if hasattr(adapter, "compile") and adapter.executing_eagerly() and not value_checks_enabled():
            return EAGER_COMPILATION(adapter, function, logits, args, options)
        return adapter.run(function, logits, args, options)

    return public


def array_function(function):
    """The entry of a public helper of one array (counts, labels): it runs where that array
    lives, through its adapter's ``placement(array)`` scope where the framework has one
    (TensorFlow would run each operation on its default device)."""

    @functools.wraps(function)
    def public(array, *args, **options):
        placement = None if is_host_value(array) else getattr(adapter_for(framework_of(array)), "placement", None)
        if placement is None:
            return function(array, *args, **options)
        with placement(array):
            return function(array, *args, **options)

    return public


def _is_static(value) -> bool:
    """Whether an option can be a static (hashable) argument of a compiled call: Python
    values and sequences of them (a sequence of arrays, such as Balanced MSE's ``gmm``,
    runs as written)."""
    if isinstance(value, (list, tuple)):
        return all(v is None or _is_static(v) for v in value)
    return isinstance(value, (bool, int, float, str))


def _static(value):
    """An option as a hashable static argument (sequences as tuples)."""
    return tuple(_static(v) for v in value) if isinstance(value, (list, tuple)) else value


class EagerCompilation:
    """Eager calls of a loss, compiled: from their first call (JAX) or second (TensorFlow).

    A training loop repeats one call (the same loss, Python options, shapes and
    dtypes) thousands of times; it runs as one compiled function of the adapter
    (``jax.jit``, ``tf.function``): one dispatch instead of one per array
    operation, and under a tape one gradient function instead of one per
    operation. The adapter says when to start (``COMPILES_FIRST_CALL``): JAX runs
    every operation outside ``jit`` as a program compiled for its shapes, so even a
    first call costs less as one program; TensorFlow runs operations directly, so a
    call seen once (a notebook, a varying shape) runs as written and pays no
    tracing. Array options are traced, Python options
    static (one compilation per distinct value, as for any jitted function); under
    an outer ``jit``, ``grad``, ``vmap`` or ``tf.function`` the adapter reports no
    eager execution and the loss is traced inline.
    """

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._seen: set = set()
        self._compiled: dict = {}

    def clear(self) -> None:
        """Forget every call and compiled function (e.g. after patching the core in a test)."""
        self._seen.clear()
        self._compiled.clear()

    def __call__(self, adapter, function, logits, args, options):
        # Positional arrays must be arrays (a Python list of labels runs as written); a
        # value of another framework also runs as written, for the core to name it.
        if not all(adapter.is_array(a) for a in args) or not all(
                adapter.is_array(v) or v is None or callable(v) or _is_static(v) for v in options.values()):
            return adapter.run(function, logits, args, options)
        static = tuple((k, _static(v)) for k, v in options.items() if not adapter.is_array(v))
        arrays = {k: v for k, v in options.items() if adapter.is_array(v)}
        signature = (adapter.__name__, function, static,
                     tuple((tuple(a.shape), str(a.dtype)) for a in (logits, *args, *arrays.values())))
        if signature not in self._seen and not getattr(adapter, "COMPILES_FIRST_CALL", False):
            if len(self._seen) >= self.limit:
                self.clear()
            self._seen.add(signature)
            return adapter.run(function, logits, args, options)
        key = (adapter.__name__, function, static)
        if key not in self._compiled:
            self._compiled[key] = adapter.compile(functools.partial(function, **dict(static)))
        return self._compiled[key](logits, *args, **arrays)


EAGER_COMPILATION = EagerCompilation()


def resolve_backend(logits, **arrays) -> Backend:
    """The backend of ``logits``, checked against the other named arrays of the call.

    Host values (Python values, NumPy scalars and arrays) are skipped: they are
    converted later. Raises ``TypeError`` when an array comes from another
    framework and ``ValueError`` when it lives on another device, naming both
    arguments.
    """
    framework = framework_of(logits)
    named = [("logits", logits)]
    for name, x in arrays.items():
        if x is None or (is_host_value(x) and framework != "numpy"):
            continue
        other = "numpy" if is_host_value(x) else framework_of(x)
        if other != framework:
            msg = (
                f"Arguments `logits` and `{name}` must be arrays of the same framework. Expected `{name}` "
                f"as a {framework} array, a NumPy array or a Python value. "
                f"Received: logits={framework} array, {name}={other} array."
            )
            raise TypeError(msg)
        named.append((name, x))
    adapter = adapter_for(framework)
    xp = adapter.namespace if adapter.namespace is not None else _compat.array_namespace(logits)
    _check_same_device(adapter, named)
    return Backend(framework, xp, adapter)


def _check_same_device(adapter, named) -> None:
    devices = [(name, adapter.device(x)) for name, x in named if not isinstance(x, (numbers.Number, list, tuple))]
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


def replica_hook_from_config(config: dict):
    """The ``replica_sum`` (or ``replica_gather``) hook that ``config`` describes, made again
    by its framework's adapter.

    The adapters' hooks carry such a ``config`` attribute (their framework, kind and
    arguments), so that a saved Keras loss keeps its hooks.
    """
    make = getattr(adapter_for(config["framework"]), config.get("hook", "replica_sum"))
    return make(**config.get("arguments", {}))
