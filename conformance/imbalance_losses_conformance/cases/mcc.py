"""Cases of the Matthews correlation loss: Dice's sets (pooled, per image, per class channel)."""

from __future__ import annotations

from ._common import IMAGE_SHAPES, element_weights_binary, sigmoid_cases

MCC = {
    "default": {},
    "weights_smooth": {"weights": element_weights_binary, "smooth": 1.0},
    "soft": {},
    "per_image_none": {"per_image": True, "reduction": "none"},
    "class_axis_none": {"class_axis": 1, "reduction": "none"},
    "per_image_class_axis_ignore_empty": {"per_image": True, "class_axis": 1, "ignore_empty": True},
}


def cases():
    yield from sigmoid_cases("mcc_loss", MCC, shapes=IMAGE_SHAPES)
