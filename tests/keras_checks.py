"""Every Keras loss in real Keras use, under one backend (``KERAS_BACKEND``, set by tests/test_keras.py).

Exits non-zero on failure. Covers: values against the core in float64, NumPy options
and JSON configs; ``sample_weight`` of shape (N, 1); ``fit``/``evaluate`` on an input
pipeline with a last partial batch (``tf.data`` on TensorFlow, a ``PyDataset``
elsewhere); ``Dense(1)`` with labels of shape (N,); a ``mask_zero`` sequence model;
mixed precision; ``model.save``/``load_model`` of every class with its options and
state; native Keras losses where one computes the same thing.
"""

import json
import os
import sys
import tempfile

import numpy as np

if os.environ.get("KERAS_BACKEND") == "torch":
    import torch  # noqa: F401  (torch before tensorflow, which keras may import)

import keras

import imbalance_losses.keras as ilk
import imbalance_losses as il
from imbalance_losses._layers import BINS, CLASSES, ELEMENTWISE, LOSSES, MULTILABEL, MULTILABEL_INDICES, TARGET_VECTORS

backend = keras.backend.backend()
rng = np.random.default_rng(0)
N, F, C, BATCH = 250, 4, 3, 64  # 250 = 3 full batches of 64 and a last one of 58

features = rng.normal(size=(N, F)).astype("float32")
labels = (features[:, 0] > 0.8).astype("int64") + (features[:, 1] > 1.2).astype("int64")
TARGETS = {
    ELEMENTWISE: (rng.random((N, C)) > 0.6).astype("float32"),
    CLASSES: labels,
    MULTILABEL_INDICES: rng.integers(0, C, (N, 2)),
    TARGET_VECTORS: (features[:, :C] * 2 + rng.normal(size=(N, C))).astype("float32"),  # C-dim regression
    BINS: np.clip(features[:, 0] + 1, 0, C - 1).astype("float32"),  # a distance in bin units over C bins
}
TARGETS[MULTILABEL] = TARGETS[ELEMENTWISE]
# Options as Keras users give them: NumPy arrays and scalars from their data pipeline.
OPTIONS = {
    "SigmoidCrossEntropyLoss": {"pos_weight": np.array([1.0, 2.0, 3.0])},
    "SigmoidFocalLoss": {"gamma": np.float32(1.5), "alpha": np.float64(0.3)},
    "HardTruncatedLoss": {"margin": 0.6},
    "SoftTruncatedLoss": {"k": 2.0},
    "GHMCLoss": {"bins": 5},
    "GHMRLoss": {"bins": 5},
    "DiceLoss": {"alpha": 0.1},
    "MultilabelCategoricalCrossEntropyLoss": {},
    "SparseMultilabelCategoricalCrossEntropyLoss": {},
    "SoftmaxCrossEntropyLoss": {"class_weights": np.array([1.0, 2.0, 0.5]), "label_smoothing": 0.1},
    "SoftmaxFocalLoss": {"alpha": np.array([0.2, 0.3, 0.5])},
    "SoftTruncatedSoftmaxLoss": {"k": 1.5},
    "LogitAdjustedCrossEntropyLoss": {"prior": np.bincount(labels, minlength=C)},
    "SoftmaxDiceLoss": {"per_sample": True},
    "BalancedSoftmaxCrossEntropyLoss": {"counts": np.bincount(labels, minlength=C)},
    "VectorScalingLoss": {"counts": np.bincount(labels, minlength=C), "gamma": 0.2},
    "LDAMLoss": {"counts": np.bincount(labels, minlength=C), "scale": 5.0},
    "Poly1CrossEntropyLoss": {"epsilon": 2.0},
    "Poly1SigmoidCrossEntropyLoss": {"epsilon": np.float32(1.0)},
    "Poly1FocalLoss": {"epsilon": -1.0},
    "AsymmetricLoss": {"gamma_pos": 1.0},
    "SoftmaxAsymmetricLoss": {"gamma_neg": 2.0},
    "SeesawLoss": {"num_classes": C, "p": np.float32(0.8)},
    "EQLv2Loss": {"num_classes": C, "mu": 0.5},
    "EqualizedFocalLoss": {"num_classes": C, "scale_factor": 4.0},
    "DistributionBalancedLoss": {"counts": TARGETS[ELEMENTWISE].sum(axis=0), "num_samples": N},
    "EqualizationLoss": {"counts": np.array([1.0, 90.0, 100.0]), "num_samples": N, "lambda_": 0.01},
    "TverskyLoss": {"alpha": 0.3, "beta": 0.7, "class_axis": -1},
    "SoftmaxTverskyLoss": {"beta": np.float32(0.7)},
    "FocalTverskyLoss": {"gamma": 2.0},
    "SoftmaxFocalTverskyLoss": {"alpha": 0.4, "ignore_empty": True},
    "GeneralizedDiceLoss": {"weight_type": "simple"},
    "LovaszSoftmaxLoss": {"classes": "all"},
    "LovaszHingeLoss": {"per_image": False},
    "MCCLoss": {"class_axis": -1},
    "DiceCrossEntropyLoss": {"dice_weight": 0.5},
    "DiceFocalLoss": {"gamma": 1.0},
    "SoftmaxDiceCrossEntropyLoss": {"class_weights": np.array([1.0, 2.0, 0.5])},
    "SoftmaxDiceFocalLoss": {"focal_weight": 2.0},
    "AsymmetricUnifiedFocalLoss": {"delta": np.float32(0.7), "per_image": False},
    "VarifocalLoss": {"alpha": np.float32(0.5), "iou_weighted": False},
    "QualityFocalLoss": {"beta": 1.5},
    "DistributionFocalLoss": {},
    "FocalRegressionLoss": {"kind": "l1", "beta": np.float32(0.5)},
    "BalancedMSELoss": {"noise_variance": np.float32(0.8)},
    "AUCMarginLoss": {"margin": np.float32(0.5), "alpha": 0.1},
}
assert sorted(OPTIONS) == sorted(row.name for row in LOSSES), "every class needs options here"
ROWS = {row.name: row for row in LOSSES}


def target_for(row):
    return TARGETS[row.layout]


def trainable(row, options):
    """Options with which ``fit`` can train this class on this backend, or None: the JAX
    trainer keeps no loss state, so GHM trains there without momentum, and Seesaw,
    EQLv2 and EFL (whose state always carries over) not at all (the refusal is checked below)."""
    if backend != "jax" or not row.stateful:
        return options
    if "momentum" in {p.name for p in row.parameters()}:
        options = {**options, "momentum": 0.0}
    return None if row.carries_state(row.bind(options)) else options


def dataset(x, y, sample_weight=None, batch_size=BATCH):
    """The backend's own pipeline, with a last partial batch: tf.data on TensorFlow."""
    arrays = (x, y) if sample_weight is None else (x, y, sample_weight)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.data.Dataset.from_tensor_slices(arrays).batch(batch_size)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return -(-len(x) // batch_size)

        def __getitem__(self, index):
            return tuple(a[index * batch_size:(index + 1) * batch_size] for a in arrays)

    return Batches()


def model_for(outputs, inputs=F, dtype=None):
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(outputs, dtype=dtype)])


def value(loss, *args, **kwargs):
    return keras.ops.convert_to_numpy(loss(*args, **kwargs))


sample_weight = rng.random(N).astype("float32")
logits = rng.normal(size=(N, C)).astype("float32")

# 1. Values against the core in float64, JSON configs, sample weights of shape (N, 1).
for name, options in OPTIONS.items():
    row, cls = ROWS[name], getattr(ilk, name)
    loss = cls(**options)
    target = target_for(row)
    got = value(loss, target, logits, sample_weight=sample_weight)
    weights = sample_weight if row.reduces_class_axis else sample_weight[:, None]
    expected = row.function(logits.astype("float64"), target, **row.function_options(row.bind(options)), weights=weights)
    expected = expected[0] if isinstance(expected, tuple) else expected
    np.testing.assert_allclose(got, expected, rtol=2e-5, err_msg=name)
    config = json.loads(json.dumps(loss.get_config()))  # NumPy options are JSON lists
    clone = cls.from_config(config)
    assert json.dumps(clone.get_config()) == json.dumps(loss.get_config()), name
    # The clone continues from the original's state (Seesaw's counts, EQLv2's sums), as the original does.
    again = value(loss, target, logits, sample_weight=sample_weight)
    np.testing.assert_allclose(value(clone, target, logits, sample_weight=sample_weight), again, rtol=1e-6, err_msg=name)
    if row.reduces_class_axis:  # Keras squeezes a trailing 1 of sample_weight
        np.testing.assert_allclose(value(cls(**options), target, logits, sample_weight=sample_weight[:, None]), got,
                                   rtol=1e-6, err_msg=name)

# 2. fit and evaluate on the backend's pipeline with a last partial batch, for every class.
for name, options in OPTIONS.items():
    row, cls = ROWS[name], getattr(ilk, name)
    options = trainable(row, options)
    if options is None:
        continue
    target = target_for(row)
    model = model_for(C)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=cls(**options))
    history = model.fit(dataset(features, target, sample_weight), epochs=2, verbose=0).history["loss"]
    evaluated = model.evaluate(dataset(features, target, sample_weight), verbose=0)
    assert np.all(np.isfinite(history)) and np.isfinite(evaluated), (name, history, evaluated)

# 3. Dense(1) with labels of shape (N,): every elementwise loss trains; the ones Keras has
# natively give Keras' value.
binary = (features[:, 0] > 0.3).astype("float32")
NATIVE_BINARY = {
    "SigmoidCrossEntropyLoss": ({}, keras.losses.BinaryCrossentropy(from_logits=True)),
    "SigmoidFocalLoss": ({"alpha": 0.25, "gamma": 2.0}, keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.25, gamma=2.0, from_logits=True)),
}
ONE_CLASS = {
    "EQLv2Loss": {"num_classes": 1},
    "EqualizedFocalLoss": {"num_classes": 1},
    "DistributionBalancedLoss": {"counts": binary.sum(keepdims=True), "num_samples": N},
    "EqualizationLoss": {"counts": binary.sum(keepdims=True), "num_samples": N},
}
for row in LOSSES:
    if row.layout != ELEMENTWISE:
        continue
    options = NATIVE_BINARY.get(row.name, (OPTIONS[row.name],))[0]
    # Per-class options of C classes do not fit Dense(1): one class here.
    options = {**options, **ONE_CLASS.get(row.name, {})}
    if row.name == "SigmoidCrossEntropyLoss":
        options = {}
    options = trainable(row, options)
    if options is None:
        continue
    model = model_for(1)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=getattr(ilk, row.name)(**options))
    model.fit(dataset(features, binary), epochs=1, verbose=0)
    if row.name in NATIVE_BINARY:
        ours = model.evaluate(dataset(features, binary), verbose=0)
        model.compile(optimizer="sgd", loss=NATIVE_BINARY[row.name][1])
        np.testing.assert_allclose(ours, model.evaluate(dataset(features, binary), verbose=0), rtol=1e-5, err_msg=row.name)

# 4. A mask_zero sequence model: padding is not counted, exactly as native Keras losses.
T, VOCAB = 7, 10
tokens = rng.integers(1, VOCAB, (64, T))
tokens[np.arange(64) % 3 == 0, 4:] = 0  # padded sequences
tags = rng.integers(0, C, (64, T))
tag_sets = (rng.random((64, T, C)) > 0.6).astype("float32")
sequence = keras.Sequential([keras.Input((T,), dtype="int32"), keras.layers.Embedding(VOCAB, 4, mask_zero=True),
                             keras.layers.Dense(C)])
for ours, native, target in (
    (ilk.SoftmaxCrossEntropyLoss(), keras.losses.SparseCategoricalCrossentropy(from_logits=True), tags),
    (ilk.SoftmaxFocalLoss(gamma=0.0), keras.losses.SparseCategoricalCrossentropy(from_logits=True), tags),
    (ilk.SigmoidCrossEntropyLoss(), keras.losses.BinaryCrossentropy(from_logits=True), tag_sets),
):
    unmasked = keras.Sequential([keras.Input((T,), dtype="int32"), keras.layers.Embedding(VOCAB, 4), keras.layers.Dense(C)])
    unmasked.set_weights(sequence.get_weights())
    results = {}
    for model, masked in ((sequence, True), (unmasked, False)):
        for loss, kind in ((ours, "ours"), (native, "native")):
            model.compile(optimizer="sgd", loss=loss)
            results[kind, masked] = model.evaluate(tokens, target, batch_size=16, verbose=0)
    for masked in (True, False):
        np.testing.assert_allclose(results["ours", masked], results["native", masked], rtol=1e-5,
                                   err_msg=f"{type(ours).__name__} masked={masked}")

# 5. Mixed precision: the loss is float32, as native Keras losses under mixed_float16.
keras.mixed_precision.set_global_policy("mixed_float16")
try:
    half = model_for(C)(features[:8])
    assert keras.backend.standardize_dtype(half.dtype) == "float16", half.dtype
    for name in ("SoftmaxCrossEntropyLoss", "SigmoidFocalLoss"):
        loss, row = getattr(ilk, name)(), ROWS[name]
        out = loss(target_for(row)[:8], half)
        native = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels[:8], half)
        dtypes = {keras.backend.standardize_dtype(out.dtype), keras.backend.standardize_dtype(native.dtype)}
        assert dtypes == {"float32"}, (name, dtypes)
finally:
    keras.mixed_precision.set_global_policy("float32")

# 6. model.save / load_model of every class: options, replica_sum and state survive.
with tempfile.TemporaryDirectory() as tmp:
    for name, options in OPTIONS.items():
        row, cls = ROWS[name], getattr(ilk, name)
        if "momentum" in {p.name for p in row.parameters()}:
            options = {**options, "momentum": 0.7}  # a state that carries over, as Seesaw's and EQLv2's
        target = target_for(row)
        model = model_for(C)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=cls(**options))
        # Training (section 2 trains every class) here only gives a state something to
        # carry; a stateless loss saves and loads the same without it.
        if row.stateful and backend != "jax":
            model.fit(dataset(features, target), epochs=1, verbose=0)
        path = os.path.join(tmp, f"{name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert isinstance(loaded.loss, cls), name
        assert json.dumps(loaded.loss.get_config()) == json.dumps(model.loss.get_config()), name
        np.testing.assert_allclose(loaded.predict(features[:8], verbose=0), model.predict(features[:8], verbose=0),
                                   rtol=1e-6)
        if row.stateful:
            saved_state = keras.ops.convert_to_numpy(model.loss.state.value)
            np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.loss.state.value), saved_state, err_msg=name)
            if backend == "jax":
                assert not saved_state.any()
                try:  # the JAX trainer would drop the state's updates: refused, with the way out
                    loaded.fit(dataset(features, target), epochs=1, verbose=0)
                except NotImplementedError as error:
                    assert "stateless scope" in str(error) and "explicit state" in str(error)
                else:
                    sys.exit(f"{name} with a carried state must refuse to train on the JAX backend")
            else:
                assert saved_state.sum() > 0 and not model.loss.state.trainable, saved_state
                # The state continues where it stopped: the next loss is the original's.
                preds = model.predict(features[:64], verbose=0)
                np.testing.assert_allclose(value(loaded.loss, target[:64], preds), value(model.loss, target[:64], preds),
                                           rtol=1e-6, err_msg=name)

# 7. The training lifecycle of a stateful loss (SPEC §4): the state advances in fit's training
# steps only (not in evaluate, predict or fit's validation), is a model variable that every
# save/restore path keeps, and keeps its precision under mixed precision.
def state_of(loss):
    return keras.ops.convert_to_numpy(loss.state.value)


def seesaw_model(**options):
    loss = ilk.SeesawLoss(num_classes=C, **options)
    model = model_for(C)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    return model, loss


large = np.array([70000.0, 3.0, 123457.0])  # past float16's 65504, not float16 numbers
model, loss = seesaw_model(state=large)
model.evaluate(dataset(features, labels), verbose=0)
model.predict(features, verbose=0)
np.testing.assert_array_equal(state_of(loss), large, err_msg="evaluate/predict advanced the state")
with tempfile.TemporaryDirectory() as tmp:
    model.save_weights(f"{tmp}/a.weights.h5")
    restored, restored_loss = seesaw_model()
    restored.load_weights(f"{tmp}/a.weights.h5")
    np.testing.assert_array_equal(state_of(restored_loss), large, err_msg="load_weights lost the state")
if backend != "jax":  # (the JAX trainer refuses to train a carried state: section 6)
    train, valid = slice(0, 200), slice(200, N)
    model.fit(dataset(features[train], labels[train]), epochs=1, verbose=0,
              validation_data=dataset(features[valid], labels[valid]))
    np.testing.assert_array_equal(state_of(loss), large + np.bincount(labels[train], minlength=C),
                                  err_msg="fit must count its training labels only, not the validation data")
    with tempfile.TemporaryDirectory() as tmp:
        # ModelCheckpoint(save_weights_only=True) keeps the state; BackupAndRestore resumes it.
        model, loss = seesaw_model()
        checkpoint = keras.callbacks.ModelCheckpoint(f"{tmp}/best.weights.h5", save_weights_only=True)
        model.fit(dataset(features, labels), epochs=2, verbose=0, callbacks=[checkpoint])
        after_two = state_of(loss)
        np.testing.assert_array_equal(after_two, 2 * np.bincount(labels, minlength=C))
        resumed, resumed_loss = seesaw_model()
        resumed.load_weights(f"{tmp}/best.weights.h5")
        np.testing.assert_array_equal(state_of(resumed_loss), after_two)

        class Interrupt(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    raise RuntimeError("interrupted")

        backup = f"{tmp}/backup"
        model, loss = seesaw_model()
        try:
            model.fit(dataset(features, labels), epochs=4, verbose=0,
                      callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt()])
        except RuntimeError:
            pass
        model, loss = seesaw_model()  # a new process: the backup restores weights and state
        model.fit(dataset(features, labels), epochs=4, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)])
        np.testing.assert_array_equal(state_of(loss), 4 * np.bincount(labels, minlength=C),
                                      err_msg="BackupAndRestore must resume the state, not restart it")
    # Mixed precision: the state stays float32 and exact past 65504; a float64 state stays float64.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model, loss = seesaw_model(state=large.astype("float32"))
        model.fit(dataset(features, labels), epochs=1, verbose=0)
        assert str(loss.state.dtype) == "float32", loss.state.dtype
        np.testing.assert_array_equal(state_of(loss), large + np.bincount(labels, minlength=C))
        model, loss = seesaw_model(state=np.full(C, 2.0**24))
        model.fit(dataset(features, labels), epochs=1, verbose=0)
        assert str(loss.state.dtype) == "float64", loss.state.dtype
        np.testing.assert_array_equal(state_of(loss), 2.0**24 + np.bincount(labels, minlength=C))
    finally:
        keras.mixed_precision.set_global_policy("float32")
try:  # a class count that the loss was not built for names the option, not a `state`
    ilk.SeesawLoss(num_classes=C + 1)(labels[:8], np.zeros((8, C), "float32"))
except ValueError as error:
    assert "num_classes=4" in str(error), error
else:
    sys.exit("SeesawLoss(num_classes=4) with 3 classes must raise")

if backend == "tensorflow":  # replica_sum is configuration too (tf.distribute; see tests/distributed)
    loss = ilk.SoftmaxCrossEntropyLoss(replica_sum=ilk.replica_sum())
    config = json.loads(json.dumps(loss.get_config()))
    assert config["replica_sum"] == {"imbalance_losses_hook": {"framework": "tensorflow", "arguments": {}}}, config
    assert ilk.SoftmaxCrossEntropyLoss.from_config(config).options["replica_sum"].config["framework"] == "tensorflow"

# 8. A trainable loss weight: Balanced MSE's sigma, assigned to the model, is trained by fit,
# read by the loss as sigma^2, and kept by get_config (its trained value) and model.save.
regression = TARGETS[TARGET_VECTORS]
loss = ilk.BalancedMSELoss(noise_variance=1.0)
model = model_for(C)
model.noise_sigma = loss.noise_sigma
model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
model.fit(dataset(features, regression), epochs=2, verbose=0)
sigma = float(keras.ops.convert_to_numpy(loss.noise_sigma.value))
assert sigma != 1.0 and np.isfinite(sigma), sigma
predicted = keras.ops.convert_to_numpy(model(features[:32]))
expected = il.balanced_mse_loss(predicted.astype(np.float64), regression[:32].astype(np.float64),
                                noise_variance=sigma**2)
np.testing.assert_allclose(value(loss, regression[:32], predicted), expected, rtol=1e-5)
assert loss.get_config()["noise_variance"] == np.float32(sigma) ** 2 or np.isclose(
    loss.get_config()["noise_variance"], sigma**2, rtol=1e-6)
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "regression.keras")
    del model.noise_sigma  # the model's own weights again; the loss keeps sigma (saved with it)
    model.save(path)
    restored = keras.saving.load_model(path)
    assert np.isclose(float(keras.ops.convert_to_numpy(restored.loss.noise_sigma.value)), sigma, rtol=1e-6)

# 9. AUC-margin's a, b, alpha, assigned to the model: fit descends a and b and ascends alpha (its
# gradient reversed), which its constraint keeps non-negative; the trained values are saved.
separated = (features[:, 0] > 0).astype("float32")
scorer = keras.layers.Dense(1, activation="sigmoid", trainable=False)
model = keras.Sequential([keras.Input((F,)), scorer])
# Scores already separated (near 1 and 0): their difference is beyond the margin.
scorer.set_weights([np.array([[20.0], [0.0], [0.0], [0.0]]), np.zeros(1)])
auc = ilk.AUCMarginLoss(margin=0.5, a=1.0, alpha=0.5)
model.loss_variables = auc.trainable_weights
model.compile(optimizer=keras.optimizers.SGD(0.5), loss=auc)
model.fit(dataset(features, separated), epochs=2, verbose=0)  # alpha's ascent goes below 0: projected to 0
a, b, alpha = (float(keras.ops.convert_to_numpy(v.value)) for v in auc.trainable_weights)
assert alpha == 0.0 and a > 0.9 and b < 0.1, (a, b, alpha)
model = keras.Sequential([keras.Input((F,)), keras.layers.Dense(1, activation="sigmoid")])
auc = ilk.AUCMarginLoss(margin=1.0)
model.loss_variables = auc.trainable_weights
model.compile(optimizer=keras.optimizers.SGD(0.5), loss=auc)
model.fit(dataset(features, separated), epochs=2, verbose=0)
a, b, alpha = (float(keras.ops.convert_to_numpy(v.value)) for v in auc.trainable_weights)
assert alpha > 0.0 and np.isclose(auc.get_config()["alpha"], alpha), (a, b, alpha)
scores = keras.ops.convert_to_numpy(model(features[:64]))[:, 0]
np.testing.assert_allclose(value(auc, separated[:64], scores[:, None]),
                           il.auc_margin_loss(scores.astype(np.float64), separated[:64].astype(np.float64), a, b, alpha),
                           rtol=1e-5)

print(f"keras {backend}: ok")
