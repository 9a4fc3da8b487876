"""Every public function and every Keras class on a second TensorFlow logical CPU device.

The inputs are placed on ``/CPU:1``; a function is called outside any device scope, as a
user's code with tensors on a second GPU would call it (TensorFlow would run each
operation on its default device), a Keras class inside the device scope Keras trains in.
Every result (value, gradient, state, a class's variables) must be on ``/CPU:1``. Prints the failures, one per line, or "every
function ..." and exits 0.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import imbalance_losses as il  # noqa: E402
from tests._cases import CASES, LOSSES  # noqa: E402
from tests._devices import (  # noqa: E402
    COUNTS,
    HELPER_LABELS,
    HELPER_LOGITS,
    HELPERS,
    ROWS,
    case_of,
    class_arguments,
    helper_calls,
)

SECOND = "/CPU:1"
failures = []


def put(value):
    if not isinstance(value, np.ndarray):
        return value
    with tf.device(SECOND):
        return tf.constant(value)


def on_second(tensor):
    return tensor.device.endswith("device:CPU:1")


def check(name, thunk):
    try:
        results = tf.nest.flatten(thunk())
        elsewhere = [r.device for r in results if not on_second(r)]
        if elsewhere:
            failures.append(f"{name}: results on {elsewhere}")
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")


def value_and_gradient(fn, x, *args, **kwargs):
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x, *args, **kwargs)
        total = tf.reduce_sum(out[0] if isinstance(out, tuple) else out)
    # TensorFlow runs the gradients of its own operations where tape.gradient is called
    # (ours follow the forward): the caller's scope, as for any TensorFlow model.
    with tf.device(SECOND):
        gradient = tape.gradient(total, x)
    assert gradient is not None
    return out, gradient


for loss in LOSSES:
    case = CASES[loss]
    options = {k: put(v) for k, v in case.options.items()}
    x, labels = put(case.logits), put(case.labels)
    check(loss, lambda: value_and_gradient(getattr(il, loss), x, labels, **options))

calls = helper_calls(put(COUNTS), put(HELPER_LOGITS), put(HELPER_LABELS))
for name in HELPERS:
    check(name, calls[name])

import imbalance_losses.keras as ilk  # noqa: E402

for name, row in sorted(ROWS.items()):
    case = case_of(row)
    options, call = class_arguments(row, case)
    x, labels = put(case.logits), put(case.labels)
    weights = put(call.get("weights"))

    def class_call(row=row, name=name, options=options, x=x, labels=labels, weights=weights):
        # Keras works under the replica's device scope (a distribution strategy's, or the
        # user's) and casts its inputs there: the class's variables (its state) are created,
        # and its results computed, on that device.
        with tf.device(SECOND):
            criterion = getattr(ilk, name)(**options)
            value, gradient = value_and_gradient(lambda v: criterion(labels, v, sample_weight=weights), x)
        state = getattr(criterion, "state", None)
        return [value, gradient] + ([] if state is None else [state.value])

    check(f"keras {name}", class_call)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"every function ({len(LOSSES)} losses, {len(HELPERS)} helper calls) and every Keras class "
      f"({len(ROWS)}) on {SECOND}")
