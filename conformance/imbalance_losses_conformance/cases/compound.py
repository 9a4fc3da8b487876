"""Cases of the compound (Dice + cross-entropy or focal) losses."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import (
    CLASS_WEIGHTS,
    EXTREME,
    IMAGE_SHAPES,
    element_weights_binary,
    element_weights_classes,
    sigmoid_cases,
    softmax_cases,
)

# The terms are tested on their own (their families); here, that the sum passes every
# shared option to both: per-image and per-channel sets, ignore_index, weights.
SIGMOID = {"per_image_class_axis_weights": {"per_image": True, "class_axis": 1,
                                            "weights": element_weights_binary, "dice_weight": 0.5}}
SOFTMAX = {"per_image_ignore_index_sum": {"per_image": True, "ignore_index": -100, "reduction": "sum",
                                          "dice_weight": 2.0, "weights": element_weights_classes}}


def cases():
    yield from sigmoid_cases("dice_cross_entropy_loss", {"default": {}, **SIGMOID, "pos_weight": {"pos_weight": 3.0}},
                             shapes=IMAGE_SHAPES)
    yield from sigmoid_cases("dice_focal_loss", {name: {**options, "gamma": 1.5, "alpha": 0.6}
                                                 for name, options in SIGMOID.items()}, shapes=IMAGE_SHAPES)
    yield from softmax_cases("softmax_dice_cross_entropy_loss",
                             {"default": {}, **SOFTMAX, "class_weights_smoothing": {"class_weights": CLASS_WEIGHTS,
                                                                                    "label_smoothing": 0.1}})
    yield from softmax_cases("softmax_dice_focal_loss", {"default": {}, **{
        name: {**options, "gamma": 1.0, "alpha": 0.25} for name, options in SOFTMAX.items()}})
    unified = "asymmetric_unified_focal_loss"
    yield from softmax_cases(unified, {
        "default": {},
        "ignore_index_weights_sum": {"ignore_index": -100, "reduction": "sum", "weight": 0.7,
                                     "weights": element_weights_classes},
        "pooled_weight_delta_gamma": {"per_image": False, "weight": 0.3, "delta": 0.7, "gamma": 0.2, "smooth": 1.0},
        "soft": {"gamma": 0.9},
    }, extreme=False)
    yield f"{unified}/extreme", Case(unified, EXTREME, np.array([0, 1, 2]), {})
