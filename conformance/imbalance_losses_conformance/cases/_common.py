"""Shared inputs of the case grid: seeded generators, shapes and the extreme logits."""

from __future__ import annotations

import zlib

import numpy as np

from ..checks import Case

NUM_CLASSES = 5
CLASS_WEIGHTS = np.array([0.5, 1.0, 2.0, 4.0, 0.25])
ALPHA = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
# Saturated logits where naive formulas overflow, underflow or cancel.
EXTREME = np.array([[-1e4, -100.0, -20.0, 0.0, 20.0], [100.0, 1e4, 1e4, -1e4, 0.5], [3.0, -3.0, 1e4, 1e4, 1e4]])


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def binary(rng, shape, soft=False):
    logits = rng.normal(size=shape) * 3
    targets = rng.random(shape) if soft else (rng.random(shape) < 0.3).astype(np.float64)
    return logits, targets


def classes(rng, shape, axis=-1, ignore=None, dense=None):
    logits = rng.normal(size=shape) * 3
    label_shape = tuple(s for i, s in enumerate(shape) if i != axis % len(shape))
    labels = rng.integers(0, shape[axis], size=label_shape)
    if dense == "one_hot":
        return logits, np.moveaxis(np.eye(shape[axis])[labels], -1, axis)
    if dense == "soft":
        raw = rng.random(shape) ** 3
        return logits, raw / raw.sum(axis=axis, keepdims=True)
    if ignore is not None:
        labels = np.where(rng.random(label_shape) < 0.3, ignore, labels)
    return logits, labels


SIGMOID_SHAPES = (("1d", (12,)), ("NC", (6, NUM_CLASSES)), ("NCHW", (2, 3, 2, 2)))
# Shapes with a class (channel) axis 1, for the per-channel options of the overlap losses.
IMAGE_SHAPES = SIGMOID_SHAPES[1:]


def sigmoid_cases(loss, option_sets, *, returns_state=False, shapes=SIGMOID_SHAPES, extreme=True):
    for name, options in option_sets.items():
        for shape_name, shape in shapes:
            group = f"{loss}/{name}/{shape_name}"
            rng = rng_for(group)
            opts = {k: (v(rng, shape) if callable(v) else v) for k, v in options.items()}
            case = Case(loss, *binary(rng, shape, soft=name.startswith("soft")), opts, returns_state=returns_state)
            yield group, case
    if extreme:
        group = f"{loss}/extreme"
        targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
        options = {} if loss.startswith(("dice", "ghm")) else {"reduction": "none"}
        yield group, Case(loss, EXTREME, targets, options, returns_state=returns_state)


def softmax_cases(loss, option_sets, extreme=True, *, returns_state=False):
    for name, options in option_sets.items():
        dense = "soft" if "soft" in name else "one_hot" if "one_hot" in name else None
        ignore = options.get("ignore_index")
        for shape_name, shape, axis in (("NC", (7, NUM_CLASSES), -1), ("NCHW", (2, NUM_CLASSES, 2, 3), 1)):
            group = f"{loss}/{name}/{shape_name}"
            rng = rng_for(group)
            opts = {k: (v(rng, shape, axis) if callable(v) else v) for k, v in options.items()}
            if axis != -1:
                opts["axis"] = axis
            yield group, Case(loss, *classes(rng, shape, axis, ignore=ignore, dense=dense), opts,
                              returns_state=returns_state)
    if extreme:
        group = f"{loss}/extreme"
        yield group, Case(loss, EXTREME, np.array([0, 1, 2]), {"reduction": "none"} if "dice" not in loss else {},
                          returns_state=returns_state)


def element_weights_binary(rng, shape):
    return rng.random(shape)


def element_weights_classes(rng, shape, axis):
    return rng.random(tuple(s for i, s in enumerate(shape) if i != axis % len(shape)))
