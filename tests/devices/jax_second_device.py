"""Every public function on JAX's second CPU device, under JAX's transfer guards.

Run with JAX_NUM_CPU_DEVICES=2 (tests/test_devices.py sets it). Every array is committed
to the second device and every result must live there. Under ``jax.jit`` (value and
gradient with respect to the logits) and for a loss's eager forward (which the core
compiles) the full guard, ``jax.transfer_guard("disallow")``, holds: no transfer at all.
An eager gradient and the eager helpers run operation by operation, where JAX itself
moves Python scalars (and ``grad``'s cotangent) from the host; there the guard is
``transfer_guard_device_to_host("disallow")``: nothing of ours reads a value back (a host
round trip, a sync on a GPU). Prints the failures, one per line, or "every function ..."
and exits 0.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import imbalance_losses as il  # noqa: E402
from tests._cases import CASES, LOSSES  # noqa: E402
from tests._devices import COUNTS, HELPER_LABELS, HELPER_LOGITS, HELPERS, helper_calls  # noqa: E402

devices = jax.devices("cpu")
assert len(devices) == 2, devices
second = devices[1]
failures = []


def put(value):
    return jax.device_put(value, second) if isinstance(value, np.ndarray) else value


def check(name, guard, thunk):
    """Run ``thunk`` under ``guard``; every array it returns must be on the second device."""
    try:
        with guard():
            results = jax.tree_util.tree_leaves(thunk())
        elsewhere = [r.devices() for r in results if r.devices() != {second}]
        if elsewhere:
            failures.append(f"{name}: results on {elsewhere}")
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")


def everything():
    return jax.transfer_guard("disallow")


def nothing_read_back():
    return jax.transfer_guard_device_to_host("disallow")


for loss in LOSSES:
    case = CASES[loss]
    fn = getattr(il, loss)
    x, labels = put(case.logits), put(case.labels)
    arrays = {k: put(v) for k, v in case.options.items() if isinstance(v, np.ndarray)}
    static = {k: v for k, v in case.options.items() if k not in arrays}

    def total(logits, labels, arrays, fn=fn, case=case, static=static):
        out = fn(logits, labels, **arrays, **static)
        return jnp.sum(out[0] if case.returns_state else out)

    check(f"{loss} (eager forward)", everything, lambda: fn(x, labels, **arrays, **static))
    check(f"{loss} (jit value and gradient)", everything, lambda: jax.jit(jax.value_and_grad(total))(x, labels, arrays))
    check(f"{loss} (eager value and gradient)", nothing_read_back, lambda: jax.value_and_grad(total)(x, labels, arrays))

counts, logits, labels = put(COUNTS), put(HELPER_LOGITS), put(HELPER_LABELS)
for name in HELPERS:
    check(f"{name} (eager)", nothing_read_back, lambda: helper_calls(counts, logits, labels)[name]())
    check(f"{name} (jit)", everything, lambda: jax.jit(lambda c, lo, la: helper_calls(c, lo, la)[name]())(
        counts, logits, labels))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"every function ({len(LOSSES)} losses, {len(HELPERS)} helper calls) on {second}: results there, "
      f"no transfer under jit or in a loss's forward, nothing read back eagerly")
