"""What is compared: our loss and the framework's native idiom, on the same inputs.

Every pair yields two functions of ``(logits, target)`` returning the scalar loss;
the harness differentiates them with the framework's autodiff. ``target`` is the
ratio ours/native that the pair must meet at >= 1M logits (focal losses must be at
least as fast as the native formula in both modes; GHM-C is compared with plain
binary cross-entropy and may cost up to 3x it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import imbalance_losses as il

SIZES = {
    "binary-4M": ("binary", (4096, 1024)),
    "4096x1000": ("classes", (4096, 1000)),
    "65536x10": ("classes", (65536, 10)),
    "512x32000": ("classes", (512, 32000)),
    "tiny-8x10": ("any", (8, 10)),
}
QUICK_SIZES = {"small-256x100": ("any", (256, 100)), "tiny-8x10": ("any", (8, 10))}


@dataclass(frozen=True)
class Pair:
    framework: str
    name: str
    kind: str  # "binary" or "classes": which sizes apply
    ours: Callable
    native: Callable
    dense_targets: bool = False  # the native idiom needs one-hot targets
    target: dict = None  # mode -> largest ours/native ratio at >= 1M logits
    memory_target: float = None  # largest ours/native bytes kept for backward
    traffic_target: float = 1.0  # largest ours/native bytes moved by eager torch's kernels
    floor_target: float = None  # largest ours/floor bytes moved by eager torch's kernels

    def target_for(self, mode):
        return (self.target or {"eager": 1.2, "compiled": 1.0})[mode]


FOCAL = {"eager": 1.0, "compiled": 1.0}
GHM = {"eager": 3.0, "compiled": 3.0}
FLOOR = 8.0  # focal, cross-entropy: at most 8x the bytes of reading the inputs and writing the gradient once


def torch_pairs():
    import torch
    import torch.nn.functional as F

    def weights(c, ref):
        return torch.linspace(0.5, 2.0, c, dtype=ref.dtype, device=ref.device)

    def torchvision_focal(x, y):  # torchvision.ops.sigmoid_focal_loss (no CPU torchvision build here)
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce * (1 - p_t) ** 2
        return ((0.25 * y + 0.75 * (1 - y)) * loss).mean()

    def plain_softmax_focal(x, y):  # the formula as kornia/MONAI/users write it
        log_p = F.log_softmax(x, dim=-1).gather(-1, y[:, None])[:, 0]
        return (-(1 - log_p.exp()) ** 2 * log_p).mean()

    return [
        Pair("torch", "softmax_cross_entropy vs F.cross_entropy(weight, label_smoothing, ignore_index)", "classes",
             lambda x, y: il.softmax_cross_entropy(x, y, class_weights=weights(x.shape[-1], x), label_smoothing=0.1,
                                                   ignore_index=-100),
             lambda x, y: F.cross_entropy(x, y, weight=weights(x.shape[-1], x), label_smoothing=0.1, ignore_index=-100),
             floor_target=FLOOR),
        Pair("torch", "sigmoid_cross_entropy vs F.binary_cross_entropy_with_logits", "binary",
             lambda x, y: il.sigmoid_cross_entropy(x, y), lambda x, y: F.binary_cross_entropy_with_logits(x, y),
             floor_target=FLOOR),
        Pair("torch", "sigmoid_focal_loss vs torchvision formula", "binary",
             lambda x, y: il.sigmoid_focal_loss(x, y), torchvision_focal, target=FOCAL, memory_target=0.5,
             floor_target=FLOOR),
        Pair("torch", "softmax_focal_loss vs log_softmax formula", "classes",
             lambda x, y: il.softmax_focal_loss(x, y), plain_softmax_focal, target=FOCAL, memory_target=0.5,
             floor_target=FLOOR),
        Pair("torch", "ghm_c_loss(bins=30) vs F.binary_cross_entropy_with_logits", "binary",
             lambda x, y: il.ghm_c_loss(x, y, bins=30)[0], lambda x, y: F.binary_cross_entropy_with_logits(x, y),
             target=GHM, memory_target=3.0, traffic_target=2.0),
    ]


def jax_pairs():
    import jax
    import jax.numpy as jnp
    import optax

    def plain_softmax_focal(x, y):
        log_p = jnp.take_along_axis(jax.nn.log_softmax(x), y[:, None], axis=-1)[:, 0]
        return jnp.mean(-(1 - jnp.exp(log_p)) ** 2 * log_p)

    return [
        Pair("jax", "sigmoid_focal_loss vs optax.sigmoid_focal_loss", "binary",
             lambda x, y: il.sigmoid_focal_loss(x, y), lambda x, y: optax.sigmoid_focal_loss(x, y, alpha=0.25).mean(),
             target=FOCAL, memory_target=0.5),
        Pair("jax", "softmax_cross_entropy vs optax.softmax_cross_entropy_with_integer_labels", "classes",
             lambda x, y: il.softmax_cross_entropy(x, y),
             lambda x, y: optax.softmax_cross_entropy_with_integer_labels(x, y).mean()),
        Pair("jax", "softmax_focal_loss vs log_softmax formula", "classes",
             lambda x, y: il.softmax_focal_loss(x, y), plain_softmax_focal, target=FOCAL, memory_target=0.5),
        Pair("jax", "sigmoid_cross_entropy vs optax.sigmoid_binary_cross_entropy", "binary",
             lambda x, y: il.sigmoid_cross_entropy(x, y), lambda x, y: optax.sigmoid_binary_cross_entropy(x, y).mean()),
        Pair("jax", "ghm_c_loss(bins=30) vs optax.sigmoid_binary_cross_entropy", "binary",
             lambda x, y: il.ghm_c_loss(x, y, bins=30)[0], lambda x, y: optax.sigmoid_binary_cross_entropy(x, y).mean(),
             target=GHM, memory_target=3.0),
    ]


def tensorflow_pairs():
    import keras
    import tensorflow as tf

    binary_focal = keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0,
                                                        from_logits=True, reduction="sum_over_batch_size")
    categorical_focal = keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True)

    # Named functions, not lambdas: autograph reads each function's source.
    def ours_binary_focal(x, y):
        return il.sigmoid_focal_loss(x, y)

    def keras_binary_focal(x, y):
        return binary_focal(y, x)

    def ours_softmax_focal(x, y):
        # Keras' alpha multiplies every class; ours with a scalar alpha is the same factor.
        return il.softmax_focal_loss(x, y, alpha=0.25)

    def keras_softmax_focal(x, y):
        return categorical_focal(y, x)

    def ours_cross_entropy(x, y):
        return il.softmax_cross_entropy(x, y)

    def tf_cross_entropy(x, y):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))

    def ours_binary_cross_entropy(x, y):
        return il.sigmoid_cross_entropy(x, y)

    def tf_binary_cross_entropy(x, y):
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, x))

    def ours_ghm(x, y):
        return il.ghm_c_loss(x, y, bins=30)[0]

    return [
        Pair("tensorflow", "sigmoid_focal_loss vs keras BinaryFocalCrossentropy", "binary",
             ours_binary_focal, keras_binary_focal, target=FOCAL),
        Pair("tensorflow", "softmax_focal_loss vs keras CategoricalFocalCrossentropy", "classes",
             ours_softmax_focal, keras_softmax_focal, dense_targets=True, target=FOCAL),
        Pair("tensorflow", "softmax_cross_entropy vs tf.nn.sparse_softmax_cross_entropy_with_logits", "classes",
             ours_cross_entropy, tf_cross_entropy),
        Pair("tensorflow", "sigmoid_cross_entropy vs tf.nn.sigmoid_cross_entropy_with_logits", "binary",
             ours_binary_cross_entropy, tf_binary_cross_entropy),
        Pair("tensorflow", "ghm_c_loss(bins=30) vs tf.nn.sigmoid_cross_entropy_with_logits", "binary",
             ours_ghm, tf_binary_cross_entropy, target=GHM),
    ]


PAIRS = {"torch": torch_pairs, "jax": jax_pairs, "tensorflow": tensorflow_pairs}


def pair_arrays(runner, pair, kind, shape):
    """``(logits, our targets, the native idiom's targets)`` as the runner's arrays: class
    indices for ours where the native idiom takes one-hot rows."""
    x_np, y_np = inputs(kind, shape, pair.dense_targets and kind == "classes")
    ours_target = inputs(kind, shape, False)[1] if pair.dense_targets else y_np
    x, y_native = runner.arrays(x_np, y_np)
    return x, runner.arrays(x_np, ours_target)[1], y_native


def inputs(kind, shape, dense, seed=0):
    """float32 logits and targets (0/1 for binary, class indices or one-hot for classes)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape).astype(np.float32) * 2
    if kind == "binary":
        return logits, (rng.random(shape) < 0.1).astype(np.float32)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    if dense:
        return logits, np.eye(shape[-1], dtype=np.float32)[labels]
    return logits, labels.astype(np.int64)
