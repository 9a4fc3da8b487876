"""Device placement, proven on a CPU: every public function and every class keeps its
results, gradients and state on the input's device, with nothing round-tripping
through the host.

- array-api-strict's fake devices ``device1`` (no array on it converts to NumPy) and
  ``no_float64`` (float32 only, as Apple's MPS): the conformance grid's columns
  (conformance/test_grid.py), values and gradients against the oracles.
- torch's ``meta`` device (tensors without data: any read of a value raises): every
  function forward and backward, every ``torch.nn`` class moved with ``.to("meta")``.
- JAX's second CPU device under ``jax.transfer_guard("disallow")`` and a second
  TensorFlow logical CPU device (functions and Keras classes): subprocesses, since both
  must be configured before the framework starts (tests/devices/).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import imbalance_losses as il

from ._cases import CASES, LOSSES
from ._devices import COUNTS, HELPER_LABELS, HELPER_LOGITS, HELPERS, ROWS, as_float32, case_of, class_arguments, helper_calls

HERE = Path(__file__).parent


@pytest.mark.parametrize("device", ["device1", "no_float64"])
@pytest.mark.parametrize("helper", HELPERS)
def test_strict_device_helpers(helper, device):
    xps = pytest.importorskip("array_api_strict")
    where = xps.Device(device)

    def put(a):
        return xps.asarray(as_float32(a) if device == "no_float64" else a, device=where)

    result = helper_calls(put(COUNTS), put(HELPER_LOGITS), put(HELPER_LABELS))[helper]()
    assert result.device == where


def _torch():
    return pytest.importorskip("torch")


def _meta(value, torch):
    """A case's array on the meta device (floating in float32); other values as given."""
    if not isinstance(value, np.ndarray):
        return value
    tensor = torch.from_numpy(value)
    return tensor.to("meta", torch.float32 if tensor.is_floating_point() else tensor.dtype)


@pytest.mark.parametrize("loss", LOSSES)
def test_torch_meta_function_forward_and_backward(loss):
    torch = _torch()
    case = CASES[loss]
    x = _meta(case.logits, torch).requires_grad_(True)
    options = {k: _meta(v, torch) for k, v in case.options.items()}
    out = getattr(il, loss)(x, _meta(case.labels, torch), **options)
    if case.returns_state:
        out, state = out
        assert state.device.type == "meta"
    assert out.device.type == "meta"
    if case.grad:
        out.sum().backward()
        assert x.grad.device.type == "meta" and x.grad.shape == x.shape


@pytest.mark.parametrize("helper", HELPERS)
def test_torch_meta_helpers(helper):
    torch = _torch()
    result = helper_calls(_meta(COUNTS, torch), _meta(HELPER_LOGITS, torch), _meta(HELPER_LABELS, torch))[helper]()
    assert result.device.type == "meta"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_torch_module_moved_to_meta(name):
    torch = _torch()
    import imbalance_losses.torch as iln

    row = ROWS[name]
    case = case_of(row)
    options, call = class_arguments(row, case)
    module = getattr(iln, name)(**options).to("meta")
    assert all(b.device.type == "meta" for b in module.buffers())
    x = _meta(case.logits, torch).requires_grad_(True)
    out = module(x, _meta(case.labels, torch), **{k: _meta(v, torch) for k, v in call.items()})
    assert out.device.type == "meta"
    out.sum().backward()
    assert x.grad.device.type == "meta"
    assert all(b.device.type == "meta" for b in module.buffers())  # the state, advanced in place


@pytest.mark.parametrize("script, module", [("jax_second_device.py", "jax"), ("tf_second_device.py", "tensorflow")])
def test_second_device(script, module):
    pytest.importorskip(module)
    env = {**os.environ, "JAX_NUM_CPU_DEVICES": "2", "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0",
           "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(HERE / "devices" / script)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "every function" in done.stdout, done.stdout
