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


SIGMOID_SHAPES = (("1d", (12,)), ("NC", (6, NUM_CLASSES)), ("NCHW", (2, 3, 2, 2)))


def _sigmoid_cases(loss, option_sets, *, returns_state=False, shapes=SIGMOID_SHAPES, extreme=True):
    for name, options in option_sets.items():
        for shape_name, shape in shapes:
            group = f"{loss}/{name}/{shape_name}"
            rng = _rng(group)
            opts = {k: (v(rng, shape) if callable(v) else v) for k, v in options.items()}
            case = Case(loss, *_binary(rng, shape, soft=name.startswith("soft")), opts, returns_state=returns_state)
            yield group, case
    if extreme:
        group = f"{loss}/extreme"
        targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
        options = {} if loss.startswith(("dice", "ghm")) else {"reduction": "none"}
        yield group, Case(loss, EXTREME, targets, options, returns_state=returns_state)


def _softmax_cases(loss, option_sets, extreme=True):
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
    if extreme:
        group = f"{loss}/extreme"
        yield group, Case(loss, EXTREME, np.array([0, 1, 2]), {"reduction": "none"} if "dice" not in loss else {})


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


HARD_TRUNCATED = {
    "default": {},
    "margin_0.6_weights": {"margin": 0.6, "weights": _element_weights_binary},
    "soft_none": {"reduction": "none"},
}
SOFT_TRUNCATED = {
    "default": {},
    "k_4_sum": {"k": 4.0, "reduction": "sum"},
    "soft_none": {"reduction": "none", "k": 0.5},
}
SOFT_TRUNCATED_SOFTMAX = {
    "default": {},
    "k_2_smoothing_ignore": {"k": 2.0, "label_smoothing": 0.1, "ignore_index": -100},
    "soft_none": {"reduction": "none"},
}


def _ghm_state(rng, shape):
    return rng.random(10) * 5


GHM_C = {
    "default": {},
    "bins_30_momentum": {"bins": 30, "momentum": 0.75},
    "momentum_state": {"momentum": 0.7, "state": _ghm_state},
    "bias_correction": {"momentum": 0.9, "bias_correction": True},
    "weights_invalid": {"weights": lambda rng, shape: (rng.random(shape) < 0.7) * rng.random(shape) * 2},
    "soft_none": {"reduction": "none"},
}
GHM_R = {
    "soft_default": {},
    "soft_momentum_state": {"momentum": 0.7, "state": _ghm_state, "mu": 0.1},
    "soft_weights_sum": {"weights": lambda rng, shape: (rng.random(shape) < 0.7) * 1.0, "reduction": "sum"},
}
DICE = {
    "default": {},
    "alpha_square": {"alpha": 0.1, "square_denominator": True, "smooth": 1e-4},
    "weights": {"weights": _element_weights_binary},
    "per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.5},
    "soft_per_sample_weights": {"per_sample": True, "weights": _element_weights_binary},
    "ignore_empty": {"ignore_empty": True},
}
SOFTMAX_DICE = {
    "default": {},
    "alpha_square_none": {"alpha": 0.2, "square_denominator": True, "reduction": "none"},
    "ignore_empty_ignore_index": {"ignore_empty": True, "ignore_index": -100, "reduction": "none"},
    "per_sample_weights": {"per_sample": True, "weights": _element_weights_classes},
    "soft_per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.1},
}
PRIOR = np.array([500.0, 200.0, 50.0, 10.0, 1.0])
LOGIT_ADJUSTED = {
    "default": {"prior": PRIOR},
    "tau_smoothing_class_weights": {"prior": PRIOR / PRIOR.sum(), "tau": 1.5, "label_smoothing": 0.1,
                                    "class_weights": CLASS_WEIGHTS},
    "ignore_index_none": {"prior": PRIOR, "ignore_index": -100, "reduction": "none"},
    "soft": {"prior": PRIOR, "tau": 0.5},
}
MULTILABEL = {
    "default": {},
    "weights_none": {"weights": lambda rng, shape: rng.random(shape[:-1]), "reduction": "none"},
    "soft": {},
}


def _sparse_cases():
    loss = "sparse_multilabel_categorical_crossentropy"
    for name, options, shape in (
        ("default", {}, (6, 8)),
        ("mask_zero_none", {"mask_zero": True, "reduction": "none"}, (6, 8)),
        ("batched_weights", {"weights": np.linspace(0, 1, 6).reshape(2, 3)}, (2, 3, 8)),
    ):
        group = f"{loss}/{name}"
        rng = _rng(group)
        logits = rng.normal(size=shape) * 3
        indices = rng.integers(0 if options.get("mask_zero") else 1, shape[-1], size=shape[:-1] + (3,))
        yield group, Case(loss, logits, indices, options)
    group = f"{loss}/extreme"
    yield group, Case(loss, EXTREME, np.array([[1, 3], [0, 2], [2, 4]]), {"reduction": "none"})


def case_grid():
    """All ``(group, Case)`` pairs, in report order."""
    yield from _sigmoid_cases("sigmoid_cross_entropy", SIGMOID_CE)
    yield from _sigmoid_cases("sigmoid_focal_loss", SIGMOID_FOCAL)
    yield from _softmax_cases("softmax_cross_entropy", SOFTMAX_CE)
    yield from _softmax_cases("softmax_focal_loss", SOFTMAX_FOCAL)
    yield from _sigmoid_cases("hard_truncated_loss", HARD_TRUNCATED)
    yield from _sigmoid_cases("soft_truncated_loss", SOFT_TRUNCATED)
    yield from _softmax_cases("soft_truncated_softmax_loss", SOFT_TRUNCATED_SOFTMAX)
    yield from _sigmoid_cases("ghm_c_loss", GHM_C, returns_state=True)
    yield from _sigmoid_cases("ghm_r_loss", GHM_R, returns_state=True, extreme=False)
    yield from _sigmoid_cases("dice_loss", DICE)
    yield from _softmax_cases("softmax_dice_loss", SOFTMAX_DICE)
    yield from _softmax_cases("logit_adjusted_cross_entropy", LOGIT_ADJUSTED, extreme=False)
    yield from _sigmoid_cases("multilabel_categorical_crossentropy", MULTILABEL,
                              shapes=(("NC", (6, 8)), ("NHC", (2, 3, 8))))
    yield from _sparse_cases()


def representative_cases():
    """One small case per loss (its first option set, first shape): for compile tests."""
    seen = {}
    for group, case in case_grid():
        seen.setdefault(case.loss, (group, case))
    return list(seen.values())
