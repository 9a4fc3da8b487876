"""Cases of the softmax cross-entropy and focal loss."""

from __future__ import annotations

from ._common import ALPHA, CLASS_WEIGHTS, element_weights_classes, softmax_cases

SOFTMAX_CE = {
    "default": {},
    "class_weights_smoothing": {"class_weights": CLASS_WEIGHTS, "label_smoothing": 0.1},
    "ignore_index": {"ignore_index": -100, "class_weights": CLASS_WEIGHTS, "weights": element_weights_classes},
    "ignore_index_only": {"ignore_index": -100},
    "one_hot_class_weights": {"class_weights": CLASS_WEIGHTS, "reduction": "sum"},
    "soft_smoothing": {"label_smoothing": 0.2, "reduction": "none"},
}
SOFTMAX_FOCAL = {
    "default": {},
    "alpha_per_class": {"alpha": ALPHA, "gamma": 0.5},
    "ignore_index_smoothing": {"ignore_index": -1, "label_smoothing": 0.1, "reduction": "none"},
    "soft_alpha": {"alpha": ALPHA, "weights": element_weights_classes},
}


def cases():
    yield from softmax_cases("softmax_cross_entropy", SOFTMAX_CE)
    yield from softmax_cases("softmax_focal_loss", SOFTMAX_FOCAL)
