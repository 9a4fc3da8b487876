"""Cases of the asymmetric loss (multi-label and single-label)."""

from __future__ import annotations

from ._common import element_weights_binary, element_weights_classes, sigmoid_cases, softmax_cases

ASYMMETRIC = {
    "default": {},
    "gamma_pos1_no_clip": {"gamma_pos": 1.0, "clip": 0.0},
    "gamma_half_weights": {"gamma_pos": 0.5, "gamma_neg": 2.5, "clip": 0.1, "weights": element_weights_binary},
    "soft_none": {"reduction": "none"},
}
SOFTMAX_ASYMMETRIC = {
    "default": {},
    "gamma_pos1_no_smoothing": {"gamma_pos": 1.0, "label_smoothing": 0.0},
    "ignore_index_none": {"gamma_neg": 1.5, "ignore_index": -100, "reduction": "none"},
    "weights": {"weights": element_weights_classes},
    "soft": {"gamma_pos": 0.5},
}


def cases():
    yield from sigmoid_cases("asymmetric_loss", ASYMMETRIC)
    yield from softmax_cases("softmax_asymmetric_loss", SOFTMAX_ASYMMETRIC)
