"""Cases of PolyLoss (softmax and sigmoid Poly-1)."""

from __future__ import annotations

from ._common import element_weights_binary, element_weights_classes, sigmoid_cases, softmax_cases

POLY1_CE = {
    "default": {},
    "epsilon2_smoothing": {"epsilon": 2.0, "label_smoothing": 0.1},
    "ignore_index_none": {"epsilon": -1.0, "ignore_index": -100, "reduction": "none"},
    "weights": {"weights": element_weights_classes},
    "soft": {"epsilon": 0.5},
}
POLY1_SIGMOID_CE = {
    "default": {},
    "negative_epsilon_smoothing": {"epsilon": -1.0, "label_smoothing": 0.1},
    "weights_none": {"weights": element_weights_binary, "reduction": "none"},
    "soft_sum": {"reduction": "sum"},
}
POLY1_FOCAL = {
    "default": {},
    "negative_epsilon_alpha_off_gamma_half": {"epsilon": -1.0, "alpha": None, "gamma": 0.5},
    "soft_none": {"reduction": "none", "alpha": 0.6},
}


def cases():
    yield from softmax_cases("poly1_cross_entropy", POLY1_CE)
    yield from sigmoid_cases("poly1_sigmoid_cross_entropy", POLY1_SIGMOID_CE)
    yield from sigmoid_cases("poly1_focal_loss", POLY1_FOCAL)
