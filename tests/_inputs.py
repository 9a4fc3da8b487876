"""Seeded inputs shared by the loss tests."""

import numpy as np


def binary_inputs(rng, shape=(6, 5), *, scale=3.0, soft=False):
    logits = rng.normal(size=shape) * scale
    targets = rng.random(shape) if soft else (rng.random(shape) < 0.3).astype(np.float64)
    return logits, targets


def class_inputs(rng, shape=(7, 5), *, scale=3.0, axis=-1, ignore=None):
    """Logits of ``shape`` with classes on ``axis`` and integer labels (some ``ignore``)."""
    logits = rng.normal(size=shape) * scale
    num_classes = shape[axis]
    label_shape = tuple(s for i, s in enumerate(shape) if i != axis % len(shape))
    labels = rng.integers(0, num_classes, size=label_shape)
    if ignore is not None:
        labels = np.where(rng.random(label_shape) < 0.3, ignore, labels)
    return logits, labels


def one_hot(labels, num_classes, axis=-1):
    eye = (labels[..., None] == np.arange(num_classes)).astype(np.float64)
    return np.moveaxis(eye, -1, axis)


def soft_targets(rng, shape, axis=-1):
    raw = rng.random(shape) ** 3
    return raw / raw.sum(axis=axis, keepdims=True)
