"""Compare one loss on one framework/device/dtype/mode with its float64 oracle.

Tolerances are derived from machine epsilon (see :func:`tolerance`): inputs are
first rounded to the tested dtype and the oracle is evaluated on the rounded
values, so what remains is the error of the computation itself (done in float32
for float16/bfloat16) and one final rounding to the output dtype. An absolute
term scaled by the magnitude of the logits admits the error that any
floating-point evaluation of a loss at large logits makes (a logit of 1e4 is
only known to 1e4 * eps).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass, field

import numpy as np

from . import PACKAGE_VARIABLE, oracles
from .frameworks import _cotangent, dtype_name
# The tolerance rule and the comparison are the golden-vector checker's (one file that
# other projects copy, so it imports nothing of ours): the report and the vectors agree.
from .golden_check import GRADIENT_RTOL_FLOOR, error_ratio, tolerance

# The implementation under test: the installed package, or a vendored copy (--package).
imbalance_losses = importlib.import_module(os.environ.get(PACKAGE_VARIABLE, "imbalance_losses"))


@dataclass
class Case:
    """One loss call: the public function, its float64 NumPy inputs and options.

    Options holding NumPy arrays (weights, class weights, ...) are converted to
    the framework under test; float ones are rounded to the tested dtype too.
    """

    loss: str
    logits: np.ndarray
    labels: np.ndarray
    options: dict = field(default_factory=dict)
    grad: bool = True
    # Functions returning (loss, state) are checked on the loss (state: see extra_outputs).
    returns_state: bool = False


@dataclass
class Outcome:
    ok: bool
    value_error: float  # max |actual - expected| / allowed (<= 1 passes)
    grad_error: float | None
    message: str = ""
    value: np.ndarray | None = field(default=None, repr=False)
    grad: np.ndarray | None = field(default=None, repr=False)


# The oracle's gradient of one case on its dtype-rounded inputs: the same for every
# framework, device and mode of that dtype, so computed once (finite differences
# cost 4 oracle calls per logit).
_EXPECTED_GRADIENTS: dict = {}
# One compiled function per framework, loss and static option set: the cases of a
# row differ only in shapes and arrays, which the compilers retrace or guard.
_COMPILED: dict = {}


def _fingerprint(*parts) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes() if isinstance(part, np.ndarray) else repr(part).encode())
    return digest.hexdigest()


def _loss_call(framework, case, array_names, static, mode):
    loss_fn = getattr(imbalance_losses, case.loss)

    def call(logits, lab, *arrs):
        out = loss_fn(logits, lab, **static, **dict(zip(array_names, arrs)))
        return out[0] if case.returns_state else out

    if mode != "compiled":
        return call
    key = (framework.name, case.loss, repr(sorted(static.items())), tuple(array_names), case.returns_state)
    if key not in _COMPILED:
        _COMPILED[key] = framework.compile(call)
    return _COMPILED[key]


def clear_compiled() -> None:
    """Forget the compiled functions (a test that patches the core must trace anew)."""
    _COMPILED.clear()


def expected_gradient(case: Case, x64, labels64, arrays64: dict, static: dict, value_shape):
    """The oracle's gradient of ``sum(cotangent * value)`` with respect to the logits, at
    float64 inputs: analytic where the oracles give one, else finite differences (cached:
    the same for every framework, device and mode of a dtype)."""
    key = _fingerprint(case.loss, sorted(static.items()), sorted(arrays64), x64, labels64, *arrays64.values())
    if key not in _EXPECTED_GRADIENTS:
        cotangent = _cotangent(value_shape)
        analytic = oracles.ANALYTIC_GRADIENTS.get(case.loss)
        if analytic is not None:
            _EXPECTED_GRADIENTS[key] = analytic(cotangent, x64, labels64, **static, **arrays64)
        else:
            oracle_fn = oracles.ORACLES[case.loss]

            def total(v):
                out = oracle_fn(v, labels64, **static, **arrays64)
                return float(np.sum(np.asarray(out[0] if case.returns_state else out, np.float64) * cotangent))

            _EXPECTED_GRADIENTS[key] = oracles.numerical_gradient(total, x64)
    return _EXPECTED_GRADIENTS[key]


@dataclass
class Inputs:
    """A case's inputs in a framework (floating ones rounded to the tested dtype) and the
    same rounded values in float64 NumPy for the oracle: the oracle sees exactly what the
    framework sees."""

    array_names: list  # the options holding arrays, converted like the logits
    static: dict  # the other options
    x: object
    labels: object
    arrays: list
    x64: np.ndarray
    labels64: np.ndarray
    arrays64: dict


def rounded_inputs(framework, case: Case, dtype: str, device: str = "cpu") -> Inputs:
    array_names = [k for k, v in case.options.items() if isinstance(v, np.ndarray)]

    def convert(a):
        return framework.asarray(a, dtype if np.asarray(a).dtype.kind == "f" else None, device)

    x, labels = convert(case.logits), convert(case.labels)
    arrays = [convert(case.options[k]) for k in array_names]
    labels64 = framework.to_numpy(labels) if np.asarray(case.labels).dtype.kind == "f" else case.labels
    arrays64 = {k: framework.to_numpy(a) if case.options[k].dtype.kind == "f" else case.options[k]
                for k, a in zip(array_names, arrays)}
    return Inputs(array_names, {k: v for k, v in case.options.items() if k not in array_names}, x, labels, arrays,
                  framework.to_numpy(x), labels64, arrays64)


def run_case(framework, case: Case, *, dtype="float64", device="cpu", mode="eager") -> Outcome:
    """Evaluate ``case`` on ``framework`` and compare value and gradient with the oracle."""
    loss_fn = getattr(imbalance_losses, case.loss)
    oracle_fn = oracles.ORACLES[case.loss]
    inputs = rounded_inputs(framework, case, dtype, device)
    array_names, static = inputs.array_names, inputs.static
    x, labels, arrays = inputs.x, inputs.labels, inputs.arrays
    x64, labels64, arrays64 = inputs.x64, inputs.labels64, list(inputs.arrays64.values())

    def oracle(logits, with_state=False):
        out = oracle_fn(logits, labels64, **static, **dict(zip(array_names, arrays64)))
        if with_state:
            return out
        return np.asarray(out[0] if case.returns_state else out, dtype=np.float64)

    fn = _loss_call(framework, case, array_names, static, mode)
    rtol = tolerance(dtype)
    scale = 1.0 + float(np.max(np.abs(x64), initial=0.0))
    expected = oracle(x64)
    want_grad = case.grad and framework.differentiable
    if want_grad:
        value, grad = framework.value_and_grad(fn, x, labels, *arrays)
    else:
        value, grad = fn(x, labels, *arrays), None
    dtype_ok = dtype_name(value.dtype) == dtype
    dtype_message = "" if dtype_ok else f"output dtype {dtype_name(value.dtype)}, expected {dtype}"
    # Every result lives on the input's device (no host round trip, nothing on a default device).
    for what, result in (("value", value), ("gradient", grad)):
        if result is not None and framework.device_of(result) != framework.device_of(x):
            dtype_ok = False
            dtype_message = dtype_message or (f"{what} on {framework.device_of(result)}, the logits on "
                                              f"{framework.device_of(x)}")
    value = framework.to_numpy(value)
    grad = None if grad is None else framework.to_numpy(grad)
    value_error, message = error_ratio(value, expected, rtol, scale)
    grad_error = None
    if want_grad:
        expected_grad = expected_gradient(case, x64, labels64, dict(zip(array_names, arrays64)), static,
                                          expected.shape)
        grad_scale = float(np.max(np.abs(expected_grad), initial=0.0))
        grad_error, grad_message = error_ratio(
            grad, expected_grad, max(rtol, GRADIENT_RTOL_FLOOR), grad_scale + 1e-300
        )
        message = message or (grad_message and "gradient: " + grad_message)
    if case.returns_state:
        # The state is a histogram (or its moving average): compared in eager mode.
        _, state = loss_fn(x, labels, **static, **dict(zip(array_names, arrays)))
        if framework.device_of(state) != framework.device_of(x):
            dtype_ok, dtype_message = False, dtype_message or f"state on {framework.device_of(state)}"
        _, expected_state = oracle(x64, with_state=True)
        state_error, state_message = error_ratio(framework.to_numpy(state), expected_state, rtol, 1.0)
        value_error = max(value_error, state_error)
        message = message or (state_message and "state: " + state_message)
    message = dtype_message or message
    ok = dtype_ok and value_error <= 1 and (grad_error is None or grad_error <= 1)
    if not ok and not message:
        message = f"value error {value_error:.3g}x tolerance" + (
            f", gradient error {grad_error:.3g}x tolerance" if grad_error is not None else "")
    return Outcome(ok, value_error, grad_error, message, value, grad)
