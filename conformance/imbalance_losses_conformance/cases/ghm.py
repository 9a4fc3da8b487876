"""Cases of GHM-C and GHM-R (with their state)."""

from __future__ import annotations

from ._common import sigmoid_cases


def _ghm_state(rng, shape):
    return rng.random(10) * 5


GHM_C = {
    "default": {},
    "bins_30_momentum": {"bins": 30, "momentum": 0.75},
    "momentum_state": {"momentum": 0.7, "state": _ghm_state},
    "bias_correction": {"momentum": 0.9, "bias_correction": True},
    "weights_invalid": {"weights": lambda rng, shape: (rng.random(shape) < 0.7) * rng.random(shape) * 2},
    "soft_none": {"reduction": "none"},
}
GHM_R = {
    "soft_default": {},
    "soft_momentum_state": {"momentum": 0.7, "state": _ghm_state, "mu": 0.1},
    "soft_weights_sum": {"weights": lambda rng, shape: (rng.random(shape) < 0.7) * 1.0, "reduction": "sum"},
}


def cases():
    yield from sigmoid_cases("ghm_c_loss", GHM_C, returns_state=True)
    yield from sigmoid_cases("ghm_r_loss", GHM_R, returns_state=True, extreme=False)
