"""Cases of the sigmoid cross-entropy and focal loss."""

from __future__ import annotations

from ._common import element_weights_binary, sigmoid_cases

SIGMOID_CE = {
    "default": {},
    "pos_weight": {"pos_weight": 3.0},
    "label_smoothing": {"label_smoothing": 0.1},
    "weights_none": {"weights": element_weights_binary, "reduction": "none"},
    "soft_sum": {"reduction": "sum"},
}
SIGMOID_FOCAL = {
    "default": {},
    "alpha_off_gamma_half": {"alpha": None, "gamma": 0.5},
    "weights": {"weights": element_weights_binary},
    "soft_none": {"reduction": "none", "alpha": 0.6},
}


def cases():
    yield from sigmoid_cases("sigmoid_cross_entropy", SIGMOID_CE)
    yield from sigmoid_cases("sigmoid_focal_loss", SIGMOID_FOCAL)
