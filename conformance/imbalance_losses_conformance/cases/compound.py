"""Cases of the compound (Dice + cross-entropy or focal) losses."""

from __future__ import annotations

from ._common import (
    CLASS_WEIGHTS,
    IMAGE_SHAPES,
    element_weights_binary,
    element_weights_classes,
    sigmoid_cases,
    softmax_cases,
)

SIGMOID = {
    "default": {},
    "per_image_class_axis_weights": {"per_image": True, "class_axis": 1, "weights": element_weights_binary,
                                     "dice_weight": 0.5},
}
SOFTMAX = {
    "default": {},
    "per_image_ignore_index_sum": {"per_image": True, "ignore_index": -100, "reduction": "sum", "dice_weight": 2.0},
    "weights": {"weights": element_weights_classes},
}


def cases():
    yield from sigmoid_cases("dice_cross_entropy_loss", {**SIGMOID, "pos_weight": {"pos_weight": 3.0}},
                             shapes=IMAGE_SHAPES)
    yield from sigmoid_cases("dice_focal_loss", {**SIGMOID, "gamma_alpha": {"gamma": 1.5, "alpha": 0.6}},
                             shapes=IMAGE_SHAPES)
    yield from softmax_cases("softmax_dice_cross_entropy_loss",
                             {**SOFTMAX, "class_weights_smoothing": {"class_weights": CLASS_WEIGHTS,
                                                                     "label_smoothing": 0.1}})
    yield from softmax_cases("softmax_dice_focal_loss", {**SOFTMAX, "alpha_gamma": {"gamma": 1.0, "alpha": 0.25}})
