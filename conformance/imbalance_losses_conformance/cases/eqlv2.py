"""Cases of EQLv2 (with and without its gradient-sum state)."""

from __future__ import annotations

from ._common import element_weights_binary, sigmoid_cases


def _sums(rng, shape):
    return rng.random((2, shape[-1])) * [[2.0], [20.0]]


EQLV2 = {
    "default": {},
    "state": {"state": _sums},
    "state_weights": {"state": _sums, "gamma": 6.0, "mu": 0.3, "alpha": 2.0, "weights": element_weights_binary},
    "soft_state_none": {"state": _sums, "reduction": "none"},
}


def cases():
    yield from sigmoid_cases("eqlv2_loss", EQLV2, returns_state=True)
