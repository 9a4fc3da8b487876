"""Cases of the truncated losses."""

from __future__ import annotations

from ._common import element_weights_binary, sigmoid_cases, softmax_cases

HARD_TRUNCATED = {
    "default": {},
    "margin_0.6_weights": {"margin": 0.6, "weights": element_weights_binary},
    "soft_none": {"reduction": "none"},
}
SOFT_TRUNCATED = {
    "default": {},
    "k_4_sum": {"k": 4.0, "reduction": "sum"},
    "soft_none": {"reduction": "none", "k": 0.5},
}
SOFT_TRUNCATED_SOFTMAX = {
    "default": {},
    "k_2_smoothing_ignore": {"k": 2.0, "label_smoothing": 0.1, "ignore_index": -100},
    "soft_none": {"reduction": "none"},
}


def cases():
    yield from sigmoid_cases("hard_truncated_loss", HARD_TRUNCATED)
    yield from sigmoid_cases("soft_truncated_loss", SOFT_TRUNCATED)
    yield from softmax_cases("soft_truncated_softmax_loss", SOFT_TRUNCATED_SOFTMAX)
