"""The conformance case grid: every public loss x option sets x shapes, seeded.

Each entry is ``(group, Case)``; the group names the loss and the option set
(a row of the report). Inputs are drawn from a generator seeded by the group's
name, so a case is the same in every run and independent of the others.
"""

from __future__ import annotations

import zlib

import numpy as np

from .checks import Case

NUM_CLASSES = 5
CLASS_WEIGHTS = np.array([0.5, 1.0, 2.0, 4.0, 0.25])
ALPHA = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
# Saturated logits where naive formulas overflow, underflow or cancel.
EXTREME = np.array([[-1e4, -100.0, -20.0, 0.0, 20.0], [100.0, 1e4, 1e4, -1e4, 0.5], [3.0, -3.0, 1e4, 1e4, 1e4]])


def _rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def _binary(rng, shape, soft=False):
    logits = rng.normal(size=shape) * 3
    targets = rng.random(shape) if soft else (rng.random(shape) < 0.3).astype(np.float64)
    return logits, targets


def _classes(rng, shape, axis=-1, ignore=None, dense=None):
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


def _sigmoid_cases(loss, option_sets):
    for name, options in option_sets.items():
        for shape_name, shape in (("1d", (12,)), ("NC", (6, NUM_CLASSES)), ("NCHW", (2, 3, 2, 2))):
            group = f"{loss}/{name}/{shape_name}"
            rng = _rng(group)
            opts = {k: (v(rng, shape) if callable(v) else v) for k, v in options.items()}
            yield group, Case(loss, *_binary(rng, shape, soft=name.startswith("soft")), opts)
    group = f"{loss}/extreme"
    targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
    yield group, Case(loss, EXTREME, targets, {"reduction": "none"})


def _softmax_cases(loss, option_sets):
    for name, options in option_sets.items():
        dense = "soft" if "soft" in name else "one_hot" if "one_hot" in name else None
        ignore = options.get("ignore_index")
        for shape_name, shape, axis in (("NC", (7, NUM_CLASSES), -1), ("NCHW", (2, NUM_CLASSES, 2, 3), 1)):
            group = f"{loss}/{name}/{shape_name}"
            rng = _rng(group)
            opts = {k: (v(rng, shape, axis) if callable(v) else v) for k, v in options.items()}
            if axis != -1:
                opts["axis"] = axis
            yield group, Case(loss, *_classes(rng, shape, axis, ignore=ignore, dense=dense), opts)
    group = f"{loss}/extreme"
    yield group, Case(loss, EXTREME, np.array([0, 1, 2]), {"reduction": "none"})


def _element_weights_binary(rng, shape):
    return rng.random(shape)


def _element_weights_classes(rng, shape, axis):
    return rng.random(tuple(s for i, s in enumerate(shape) if i != axis % len(shape)))


SIGMOID_CE = {
    "default": {},
    "pos_weight": {"pos_weight": 3.0},
    "label_smoothing": {"label_smoothing": 0.1},
    "weights_none": {"weights": _element_weights_binary, "reduction": "none"},
    "soft_sum": {"reduction": "sum"},
}
SIGMOID_FOCAL = {
    "default": {},
    "alpha_off_gamma_half": {"alpha": None, "gamma": 0.5},
    "weights": {"weights": _element_weights_binary},
    "soft_none": {"reduction": "none", "alpha": 0.6},
}
SOFTMAX_CE = {
    "default": {},
    "class_weights_smoothing": {"class_weights": CLASS_WEIGHTS, "label_smoothing": 0.1},
    "ignore_index": {"ignore_index": -100, "class_weights": CLASS_WEIGHTS, "weights": _element_weights_classes},
    "one_hot_class_weights": {"class_weights": CLASS_WEIGHTS, "reduction": "sum"},
    "soft_smoothing": {"label_smoothing": 0.2, "reduction": "none"},
}
SOFTMAX_FOCAL = {
    "default": {},
    "alpha_per_class": {"alpha": ALPHA, "gamma": 0.5},
    "ignore_index_smoothing": {"ignore_index": -1, "label_smoothing": 0.1, "reduction": "none"},
    "soft_alpha": {"alpha": ALPHA, "weights": _element_weights_classes},
}


def case_grid():
    """All ``(group, Case)`` pairs, in report order."""
    yield from _sigmoid_cases("sigmoid_cross_entropy", SIGMOID_CE)
    yield from _sigmoid_cases("sigmoid_focal_loss", SIGMOID_FOCAL)
    yield from _softmax_cases("softmax_cross_entropy", SOFTMAX_CE)
    yield from _softmax_cases("softmax_focal_loss", SOFTMAX_FOCAL)


def representative_cases():
    """One small case per loss (its first option set, first shape): for compile tests."""
    seen = {}
    for group, case in case_grid():
        seen.setdefault(case.loss, (group, case))
    return list(seen.values())
