"""Cases of focal-R and Balanced MSE (real-valued targets)."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import rng_for

ELEMENT_SHAPES = (("1d", (12,)), ("NC", (6, 3)), ("NCHW", (2, 3, 2, 2)))
# A trailing target axis: scalar targets (N, 1), 3-dimensional ones, a dense map of scalars.
TARGET_SHAPES = (("N1", (9, 1)), ("ND", (7, 3)), ("NHW1", (2, 3, 2, 1)))


def _regression(rng, shape):
    return rng.normal(size=shape) * 2, rng.normal(size=shape) * 2


def _gmm(rng, shape):
    d = shape[-1]
    weights = rng.random(3) + 0.1
    return weights / weights.sum(), rng.normal(size=(3, d)), rng.random((3, d)) + 0.2


def _bins(rng, shape):
    d = shape[-1]
    edges = [np.linspace(-4.0, 4.0, 6) for _ in range(d)]
    counts = rng.integers(0, 20, size=(5,) * d).astype(np.float64)
    counts.reshape(-1)[0] = 0.0  # an empty bin takes no part
    return {"bin_edges": edges if d > 1 else edges[0], "bin_counts": counts}


def _sample_weights(rng, shape):
    return rng.random(shape[:-1]) * (rng.random(shape[:-1]) < 0.8)


FOCAL_R = {
    "default": {},
    "l1_tanh_gamma_half": {"kind": "l1", "activation": "tanh", "gamma": 0.5},
    "mse_gamma2_beta1_weights": {"gamma": 2.0, "beta": 1.0, "weights": lambda rng, shape: rng.random(shape)},
    "l1_none": {"kind": "l1", "reduction": "none"},
}
BALANCED_MSE = {
    "bmc": {},
    "bmc_noise_weights": {"noise_variance": 0.3, "weights": _sample_weights},
    "bmc_none": {"noise_variance": 4.0, "reduction": "none"},
    "gai": {"method": "gai", "gmm": _gmm, "noise_variance": 0.5},
    "gai_weights_sum": {"method": "gai", "gmm": _gmm, "weights": _sample_weights, "reduction": "sum"},
    "bni": {"method": "bni", "bins": _bins, "noise_variance": 0.7},
}


def cases():
    for name, options in FOCAL_R.items():
        for shape_name, shape in ELEMENT_SHAPES:
            group = f"focal_regression_loss/{name}/{shape_name}"
            rng = rng_for(group)
            opts = {k: (v(rng, shape) if callable(v) else v) for k, v in options.items()}
            yield group, Case("focal_regression_loss", *_regression(rng, shape), opts)
    # Errors of 1e4 (L1: losses within float16's range): the factor saturates at 1, tiny errors
    # keep their relative precision (tanh rather than 2 sigmoid - 1).
    extreme = np.array([[-1e4, -30.0, 0.0, 1e-3], [1e4, 5.0, -0.2, 3e3]])
    yield "focal_regression_loss/extreme", Case("focal_regression_loss", extreme, np.zeros_like(extreme),
                                                {"kind": "l1", "reduction": "none"})
    for name, options in BALANCED_MSE.items():
        for shape_name, shape in TARGET_SHAPES:
            group = f"balanced_mse_loss/{name}/{shape_name}"
            rng = rng_for(group)
            opts = {}
            for k, v in options.items():
                value = v(rng, shape) if callable(v) else v
                opts.update(value if k == "bins" else {k: value})
            yield group, Case("balanced_mse_loss", *_regression(rng, shape), opts)
    # Predictions far from every target with a small noise: pairwise logits down to -7e5
    # (the losses themselves stay within float16's range).
    spread = np.array([[-60.0], [0.0], [2.0], [60.0]])
    yield "balanced_mse_loss/extreme", Case("balanced_mse_loss", spread, spread[::-1].copy(),
                                            {"noise_variance": 0.01, "reduction": "none"})
