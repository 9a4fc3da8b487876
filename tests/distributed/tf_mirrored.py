"""TensorFlow MirroredStrategy over 2 logical CPU devices vs one device. Exit 0 iff all equal."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # one tf.function per case and step, on purpose
(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import imbalance_losses as il  # noqa: E402
from imbalance_losses_tf import replica_gather, replica_sum  # noqa: E402
from tests.distributed.cases import CASES, GATHERING, N, STEPS, data, element_weights, initial_parameters, reduce_output, state_shape  # noqa: E402

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
K = strategy.num_replicas_in_sync


def compute(case, variables, features, target, weights, state, hook):
    name, options, kind, weighted = case
    w, b = variables
    kwargs = dict(options, weights=weights if weighted else None, replica_sum=hook)
    if hook is not None and name in GATHERING:
        kwargs["replica_gather"] = replica_gather()
    if state_shape(name, options):
        kwargs["state"] = state
    with tf.GradientTape() as tape:
        out = getattr(il, name)(tf.matmul(features, w) + b, target, **kwargs)
        loss, new_state = out if state_shape(name, options) else (out, state)
        loss = reduce_output(loss)
        # tf.distribute sums gradients over replicas: scale as TF prescribes for any loss.
        scaled = loss / K if hook is not None else loss
    return loss, tape.gradient(scaled, variables), new_state


def shard(array, replica):
    rows = N // K
    return tf.constant(array[replica * rows:(replica + 1) * rows])


for case in CASES:
    kind = case[2]
    w0, b0 = initial_parameters()
    single_vars = [tf.Variable(w0), tf.Variable(b0)]
    with strategy.scope():
        mirrored_vars = [tf.Variable(w0), tf.Variable(b0)]
    state_1 = state_k = tf.zeros(state_shape(*case[:2]) or (1,), tf.float64)
    for step in range(STEPS):
        features, targets, weights = data(step)
        ew = element_weights(kind, weights)
        v1, g1, state_1 = compute(case, single_vars, tf.constant(features), tf.constant(targets[kind]),
                                  tf.constant(ew), state_1, None)
        inputs = [strategy.experimental_distribute_values_from_function(lambda ctx, a=a: shard(a, ctx.replica_id_in_sync_group))
                  for a in (features, targets[kind], ew)]

        @tf.function
        def distributed_step(features, target, weights, state):
            return strategy.run(lambda f, t, w: compute(case, mirrored_vars, f, t, w, state, replica_sum()),
                                args=(features, target, weights))

        vk, gk, sk = distributed_step(*inputs, state_k)
        label = f"{case[0]} {case[1]} step {step}"
        for value in strategy.experimental_local_results(vk):  # the global loss on every replica
            np.testing.assert_allclose(value.numpy(), v1.numpy(), rtol=1e-12, err_msg=label)
        for a, per_replica in zip(g1, gk):
            total = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
            np.testing.assert_allclose(total.numpy(), a.numpy(), rtol=1e-10, atol=1e-12, err_msg=label)
        states = strategy.experimental_local_results(sk)
        for s in states:
            np.testing.assert_allclose(s.numpy(), state_1.numpy(), rtol=1e-12, err_msg=label)
        state_k = states[0]

# Keras: one fit step under MirroredStrategy (the global batch split over 2 replicas)
# equals the same step on one device, with a class-weighted mean and pooled Dice.
import keras  # noqa: E402
import imbalance_losses.keras as ilk  # noqa: E402
import tempfile  # noqa: E402

keras.config.set_floatx("float64")  # Keras casts inputs and sample weights to floatx

features, targets, weights = data(0)
for make_loss in (lambda hook: ilk.SoftmaxCrossEntropyLoss(class_weights=[0.5, 1.0, 2.0, 4.0], replica_sum=hook),
                  lambda hook: ilk.SoftmaxDiceLoss(alpha=0.1, replica_sum=hook)):
    results = []
    for distributed in (False, True):
        scope = strategy.scope() if distributed else tf.distribute.get_strategy().scope()
        with scope:
            w0, b0 = initial_parameters()
            model = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(4, dtype="float64")])
            model.layers[0].set_weights([w0, b0])
            model.compile(optimizer=keras.optimizers.SGD(0.5), loss=make_loss(replica_sum() if distributed else None))
        model.fit(features, targets["labels"], sample_weight=weights, batch_size=N, epochs=1, shuffle=False, verbose=0)
        results.append(model.layers[0].get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)

# The replica_sum hook is configuration: a model saved with it and loaded under the strategy
# still trains on global statistics (the same step as on one device).
with strategy.scope():
    w0, b0 = initial_parameters()
    model = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(4, dtype="float64")])
    model.layers[0].set_weights([w0, b0])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=ilk.SoftmaxDiceLoss(alpha=0.1, replica_sum=replica_sum()))
with tempfile.TemporaryDirectory() as tmp:
    model.save(f"{tmp}/model.keras")
    with strategy.scope():
        reloaded = keras.saving.load_model(f"{tmp}/model.keras")
reloaded.fit(features, targets["labels"], sample_weight=weights, batch_size=N, epochs=1, shuffle=False, verbose=0)
single = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(4, dtype="float64")])
single.layers[0].set_weights([w0, b0])
single.compile(optimizer=keras.optimizers.SGD(0.5), loss=ilk.SoftmaxDiceLoss(alpha=0.1))
single.fit(features, targets["labels"], sample_weight=weights, batch_size=N, epochs=1, shuffle=False, verbose=0)
for a, b in zip(single.layers[0].get_weights(), reloaded.layers[0].get_weights()):
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
# A stateful Keras loss without replica_sum under the strategy counts the global batch, as one
# process would: the state holds every replica's labels, and a step equals the one-device step.
results = []
for distributed in (False, True):
    with strategy.scope() if distributed else tf.distribute.get_strategy().scope():
        w0, b0 = initial_parameters()
        model = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(4, dtype="float64")])
        model.layers[0].set_weights([w0, b0])
        loss = ilk.SeesawLoss(num_classes=4)
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss)
    model.fit(features, targets["labels"], batch_size=N, epochs=2, shuffle=False, verbose=0)
    state = keras.ops.convert_to_numpy(loss.state.value)
    np.testing.assert_array_equal(state, 2 * np.bincount(targets["labels"], minlength=4))
    results.append(model.layers[0].get_weights())
for a, b in zip(*results):
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
print("tensorflow distributed: ok")
