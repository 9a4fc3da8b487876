"""Cases of the AUC-margin loss: scalar and per-class variables, the prior from the batch or given."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import EXTREME, element_weights_binary, sigmoid_cases


def _per_class(rng, shape):
    return rng.normal(size=shape[-1])


def _non_negative_per_class(rng, shape):
    return rng.random(shape[-1]) * 2


SCALARS = {"a": 0.3, "b": -0.2, "alpha": 0.5}

AUC = {
    "default": SCALARS,
    "per_class_weights": {"a": _per_class, "b": _per_class, "alpha": _non_negative_per_class,
                          "weights": element_weights_binary},
    "positive_rate_margin_none": {**SCALARS, "positive_rate": 0.1, "margin": 0.5, "reduction": "none"},
    "soft_sum": {**SCALARS, "reduction": "sum"},
}


def cases():
    loss = "auc_margin_loss"
    yield from sigmoid_cases(loss, AUC, extreme=False)
    targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
    # The loss grows as the score squared: scores up to 100 keep it a float16 number.
    yield f"{loss}/extreme", Case(loss, np.clip(EXTREME, -100, 100), targets, {**SCALARS, "reduction": "none"})
