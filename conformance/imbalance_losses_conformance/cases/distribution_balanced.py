"""Cases of the Distribution-Balanced loss (0/1 multi-label targets, as in the reference)."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import EXTREME, element_weights_binary, rng_for, sigmoid_cases

NUM_SAMPLES = 1000


def _counts(rng, shape):
    counts = rng.integers(0, NUM_SAMPLES + 1, shape[-1]).astype(float)
    counts[0] = 0.0  # a class never positive: clamped to 1, finite bias
    return counts


DISTRIBUTION_BALANCED = {
    "default": {"counts": _counts, "num_samples": NUM_SAMPLES},
    "voc_lt": {"counts": _counts, "num_samples": NUM_SAMPLES, "neg_scale": 5.0, "map_mu": 0.3},
    "no_focal_weights": {"counts": _counts, "num_samples": NUM_SAMPLES, "gamma": 0.0,
                         "weights": element_weights_binary},
    "none": {"counts": _counts, "num_samples": NUM_SAMPLES, "init_bias": 0.1, "reduction": "none"},
}


def cases():
    loss = "distribution_balanced_loss"
    yield from sigmoid_cases(loss, DISTRIBUTION_BALANCED, extreme=False)
    targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
    options = {"counts": _counts(rng_for(f"{loss}/extreme"), EXTREME.shape), "num_samples": NUM_SAMPLES,
               "reduction": "none"}
    yield f"{loss}/extreme", Case(loss, EXTREME, targets, options)
