"""Cases of EQL v1: class counts with rare and frequent classes, background rows included."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import EXTREME, element_weights_binary, rng_for, sigmoid_cases

NUM_SAMPLES = 1000


def _counts(rng, shape):
    """Frequencies on both sides of the thresholds below: two rare classes, the others frequent."""
    counts = rng.integers(100, NUM_SAMPLES, shape[-1]).astype(float)
    counts[:2] = [0.0, 1.0]
    return counts


EQUALIZATION = {
    "default": {"counts": _counts, "num_samples": NUM_SAMPLES},
    "lambda_weights": {"counts": _counts, "num_samples": NUM_SAMPLES, "lambda_": 0.3,
                       "weights": element_weights_binary},
    "soft_none": {"counts": _counts, "num_samples": NUM_SAMPLES, "lambda_": 0.5, "reduction": "none"},
}


def cases():
    loss = "equalization_loss"
    shapes = (("NC", (6, 5)), ("NCHW", (2, 3, 2, 5)))  # classes on the last axis
    yield from sigmoid_cases(loss, EQUALIZATION, shapes=shapes, extreme=False)
    targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
    options = {"counts": _counts(rng_for(f"{loss}/extreme"), EXTREME.shape), "num_samples": NUM_SAMPLES,
               "lambda_": 0.5, "reduction": "none"}
    yield f"{loss}/extreme", Case(loss, EXTREME, targets, options)
