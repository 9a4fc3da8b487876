"""Cases of the Tversky and focal Tversky losses, sigmoid and softmax."""

from __future__ import annotations

from ._common import (
    IMAGE_SHAPES,
    element_weights_binary,
    element_weights_classes,
    sigmoid_cases,
    softmax_cases,
)

TVERSKY = {
    "default": {},
    "recall": {"alpha": 0.3, "beta": 0.7},
    "recall_weights": {"alpha": 0.3, "beta": 0.7, "weights": element_weights_binary},
    "soft_smooth": {"alpha": 0.7, "beta": 0.3, "smooth": 1e-3},
    "per_sample_none": {"per_sample": True, "reduction": "none", "beta": 0.8},
    "per_image_none": {"per_image": True, "reduction": "none"},
}
CHANNELS = {
    "class_axis_none": {"class_axis": 1, "reduction": "none", "beta": 0.7, "alpha": 0.3},
    "per_image_class_axis_ignore_empty": {"per_image": True, "class_axis": 1, "ignore_empty": True},
}
SOFTMAX_TVERSKY = {
    "default": {},
    "recall_ignore_index_none": {"alpha": 0.3, "beta": 0.7, "ignore_index": -100, "reduction": "none"},
    "soft_smooth": {"smooth": 1e-3},
    "one_hot_per_image_weights": {"per_image": True, "weights": element_weights_classes},
    "per_sample_sum": {"per_sample": True, "reduction": "sum"},
    "per_image_ignore_empty_none": {"per_image": True, "ignore_empty": True, "reduction": "none"},
}


def _focal(option_sets, gamma, names):
    """The Tversky option sets ``names`` with a focal ``gamma`` (the sets are the same code)."""
    return {f"{name}_gamma": {**option_sets[name], "gamma": gamma} for name in names}


def cases():
    # Sets need a sample or channel axis: the (N, C) and (N, C, H, W) shapes.
    yield from sigmoid_cases("tversky_loss", TVERSKY, shapes=IMAGE_SHAPES)
    yield from sigmoid_cases("tversky_loss", CHANNELS, shapes=IMAGE_SHAPES, extreme=False)
    yield from softmax_cases("softmax_tversky_loss", SOFTMAX_TVERSKY)
    yield from sigmoid_cases("focal_tversky_loss", {"default": {}, **_focal(
        TVERSKY, 2.0, ["recall_weights", "soft_smooth", "per_sample_none"])}, shapes=IMAGE_SHAPES)
    yield from sigmoid_cases("focal_tversky_loss", _focal(CHANNELS, 1.5, ["per_image_class_axis_ignore_empty"]),
                             shapes=IMAGE_SHAPES, extreme=False)
    yield from softmax_cases("softmax_focal_tversky_loss", {"default": {}, **_focal(
        SOFTMAX_TVERSKY, 2.5, ["recall_ignore_index_none", "one_hot_per_image_weights", "per_sample_sum"])})
