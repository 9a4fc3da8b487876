"""Cases of EQLv2 and EFL (with and without their gradient-sum state)."""

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


def _balanced_sums(rng, shape):
    """Ratios on both sides of 1 (EFL clamps them at 1), one class unseen (P = Q = 0)."""
    sums = rng.random((2, shape[-1])) * 10.0
    sums[:, 0] = 0.0
    return sums


EFL = {
    "default": {},
    "state": {"state": _balanced_sums},
    "state_weights": {"state": _balanced_sums, "gamma_b": 0.5, "scale_factor": 4.0, "alpha": None,
                      "weights": element_weights_binary},
    "soft_state_none": {"state": _sums, "alpha": 0.4, "reduction": "none"},
}


def cases():
    yield from sigmoid_cases("eqlv2_loss", EQLV2, returns_state=True)
    yield from sigmoid_cases("equalized_focal_loss", EFL, returns_state=True)
