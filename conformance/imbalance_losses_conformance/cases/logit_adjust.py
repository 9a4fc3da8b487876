"""Cases of the logit-adjusted cross-entropy."""

from __future__ import annotations

import numpy as np

from ._common import CLASS_WEIGHTS, softmax_cases

PRIOR = np.array([500.0, 200.0, 50.0, 10.0, 1.0])
LOGIT_ADJUSTED = {
    "default": {"prior": PRIOR},
    "tau_smoothing_class_weights": {"prior": PRIOR / PRIOR.sum(), "tau": 1.5, "label_smoothing": 0.1,
                                    "class_weights": CLASS_WEIGHTS},
    "ignore_index_none": {"prior": PRIOR, "ignore_index": -100, "reduction": "none"},
    "soft": {"prior": PRIOR, "tau": 0.5},
}


def cases():
    yield from softmax_cases("logit_adjusted_cross_entropy", LOGIT_ADJUSTED, extreme=False)
