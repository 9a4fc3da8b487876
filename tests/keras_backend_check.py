"""Run under one Keras backend (KERAS_BACKEND set by tests/test_keras.py); exits non-zero on failure."""

import os
import sys
import tempfile

import numpy as np

if os.environ.get("KERAS_BACKEND") == "torch":
    import torch  # noqa: F401  (torch before tensorflow, which keras may import)

import keras

import imbalance_losses as il
import imbalance_losses_keras as ilk

backend = keras.backend.backend()
rng = np.random.default_rng(0)
logits = rng.normal(size=(16, 3)).astype("float32")
labels = rng.integers(0, 3, 16)
binary = (rng.random((16, 3)) > 0.6).astype("float32")
indices = rng.integers(0, 3, (16, 2))
OPTIONS = {
    "SigmoidCrossEntropyLoss": ({"pos_weight": [1.0, 2.0, 3.0]}, binary),
    "SigmoidFocalLoss": ({"gamma": 1.5}, binary),
    "HardTruncatedLoss": ({"margin": 0.6}, binary),
    "SoftTruncatedLoss": ({"k": 2.0}, binary),
    "GHMCLoss": ({"bins": 5}, binary),
    "GHMRLoss": ({"bins": 5}, binary),
    "DiceLoss": ({"alpha": 0.1}, binary),
    "MultilabelCategoricalCrossEntropyLoss": ({}, binary),
    "SparseMultilabelCategoricalCrossEntropyLoss": ({}, indices),
    "SoftmaxCrossEntropyLoss": ({"class_weights": [1.0, 2.0, 0.5], "label_smoothing": 0.1}, labels),
    "SoftmaxFocalLoss": ({"alpha": [0.2, 0.3, 0.5]}, labels),
    "SoftTruncatedSoftmaxLoss": ({"k": 1.5}, labels),
    "LogitAdjustedCrossEntropyLoss": ({"prior": [100.0, 10.0, 1.0]}, labels),
    "SoftmaxDiceLoss": ({"per_sample": True}, labels),
}
assert sorted(OPTIONS) == sorted(ilk.__all__)

sample_weight = rng.random(16).astype("float32")
for name, (options, target) in OPTIONS.items():
    cls = getattr(ilk, name)
    loss = cls(**options)
    value = keras.ops.convert_to_numpy(loss(target, logits, sample_weight=sample_weight))
    weights = sample_weight if cls.reduced_axes else sample_weight[:, None]
    expected = cls.function(logits.astype("float64"), target, **options, weights=weights)
    expected = expected[0] if isinstance(expected, tuple) else expected
    np.testing.assert_allclose(value, expected, rtol=2e-5, err_msg=name)
    clone = cls.from_config(loss.get_config())
    assert clone.get_config() == loss.get_config(), name
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(target, logits, sample_weight=sample_weight)), value, rtol=1e-6)

# model.fit, then save and load a model compiled with our loss.
x = rng.normal(size=(256, 4)).astype("float32")
y = (x[:, 0] > 0.8).astype("int64") + (x[:, 1] > 1.2).astype("int64")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer=keras.optimizers.SGD(0.5), loss=ilk.LogitAdjustedCrossEntropyLoss(prior=np.bincount(y, minlength=3).tolist()))
history = model.fit(x, y, epochs=15, batch_size=64, verbose=0).history["loss"]
assert history[-1] < 0.8 * history[0], history
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.loss, ilk.LogitAdjustedCrossEntropyLoss)
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0), rtol=1e-6)

# GHM state: a non-trainable variable updated during fit (not possible on Keras' JAX trainer).
if backend == "jax":
    try:
        ilk.GHMCLoss(momentum=0.7)
    except NotImplementedError as error:
        assert "stateless scope" in str(error)
    else:
        sys.exit("GHMCLoss(momentum>0) must refuse the JAX backend")
else:
    ghm = ilk.GHMCLoss(bins=10, momentum=0.7)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=ghm)
    model.fit(x, (rng.random((256, 3)) > 0.7).astype("float32"), epochs=1, batch_size=64, verbose=0)
    state = keras.ops.convert_to_numpy(ghm.state.value)
    assert state.sum() > 0 and not ghm.state.trainable, state
print(f"keras {backend}: ok")
