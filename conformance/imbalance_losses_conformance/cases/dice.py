"""Cases of the Dice losses."""

from __future__ import annotations

from ._common import element_weights_binary, element_weights_classes, sigmoid_cases, softmax_cases

DICE = {
    "default": {},
    "alpha_square": {"alpha": 0.1, "square_denominator": True, "smooth": 1e-4},
    "weights": {"weights": element_weights_binary},
    "per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.5},
    "soft_per_sample_weights": {"per_sample": True, "weights": element_weights_binary},
    "ignore_empty": {"ignore_empty": True},
}
SOFTMAX_DICE = {
    "default": {},
    "alpha_square_none": {"alpha": 0.2, "square_denominator": True, "reduction": "none"},
    "ignore_empty_ignore_index": {"ignore_empty": True, "ignore_index": -100, "reduction": "none"},
    "per_sample_weights": {"per_sample": True, "weights": element_weights_classes},
    "soft_per_sample_none": {"per_sample": True, "reduction": "none", "alpha": 0.1},
}


def cases():
    yield from sigmoid_cases("dice_loss", DICE)
    yield from softmax_cases("softmax_dice_loss", SOFTMAX_DICE)
