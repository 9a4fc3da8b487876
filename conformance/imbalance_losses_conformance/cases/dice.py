"""Cases of the Dice losses: every set form (pooled, per image, per class channel, per
element) and Sudre's generalized Dice."""

from __future__ import annotations

from ._common import (
    IMAGE_SHAPES,
    element_weights_binary,
    element_weights_classes,
    sigmoid_cases,
    softmax_cases,
)

DICE = {
    "default": {},
    "alpha_square": {"alpha": 0.1, "square_denominator": True, "smooth": 1e-4},
    "weights": {"weights": element_weights_binary},
    "per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.5},
    "soft_per_sample_weights": {"per_sample": True, "weights": element_weights_binary},
    "ignore_empty": {"ignore_empty": True},
    "per_image_none": {"per_image": True, "reduction": "none"},
}
# Options that need a class (channel) axis: shapes (N, C) and (N, C, H, W).
DICE_CHANNELS = {
    "class_axis_none": {"class_axis": 1, "reduction": "none"},
    "per_image_class_axis_weights": {"per_image": True, "class_axis": 1, "weights": element_weights_binary},
    "per_image_class_axis_ignore_empty_sum": {"per_image": True, "class_axis": 1, "ignore_empty": True,
                                              "reduction": "sum", "alpha": 0.1},
}
SOFTMAX_DICE = {
    "default": {},
    "alpha_square_none": {"alpha": 0.2, "square_denominator": True, "reduction": "none"},
    "ignore_empty_ignore_index": {"ignore_empty": True, "ignore_index": -100, "reduction": "none"},
    "per_sample_weights": {"per_sample": True, "weights": element_weights_classes},
    "soft_per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.1},
    "per_image_none": {"per_image": True, "reduction": "none"},
    "per_image_ignore_empty_ignore_index_weights": {"per_image": True, "ignore_empty": True, "ignore_index": -100,
                                                     "weights": element_weights_classes},
}
GENERALIZED_DICE = {
    "default": {},
    "simple_ignore_index": {"weight_type": "simple", "ignore_index": -100},
    "uniform_weights_per_image_none": {"weight_type": "uniform", "weights": element_weights_classes, "smooth": 1.0,
                                       "per_image": True, "reduction": "none"},
    "soft": {},
}


def cases():
    yield from sigmoid_cases("dice_loss", DICE)
    yield from sigmoid_cases("dice_loss", DICE_CHANNELS, shapes=IMAGE_SHAPES, extreme=False)
    yield from softmax_cases("softmax_dice_loss", SOFTMAX_DICE)
    yield from softmax_cases("generalized_dice_loss", GENERALIZED_DICE)
