"""Cases of the Seesaw loss (integer labels only; with and without its count state)."""

from __future__ import annotations

from ._common import NUM_CLASSES, softmax_cases


def _counts(rng, shape, axis):
    return rng.integers(0, 60, NUM_CLASSES).astype(float)


def _weights_with_zeros(rng, shape, axis):
    element_shape = tuple(s for i, s in enumerate(shape) if i != axis % len(shape))
    return (rng.random(element_shape) < 0.7) * rng.random(element_shape) * 2


SEESAW = {
    "default": {},
    "state": {"state": _counts},
    "mitigation_only_state": {"q": 0.0, "state": _counts},
    "compensation_only_eps": {"p": 0.0, "q": 1.5, "eps": 0.2},
    "ignore_index_none": {"ignore_index": -100, "reduction": "none", "state": _counts},
    "weights_zeros_sum": {"weights": _weights_with_zeros, "reduction": "sum", "state": _counts},
}


def cases():
    yield from softmax_cases("seesaw_loss", SEESAW, returns_state=True)
