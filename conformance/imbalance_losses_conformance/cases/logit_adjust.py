"""Cases of the per-class logit transforms: logit adjustment, Balanced Softmax, VS and LDAM."""

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



COUNTS = np.array([400.0, 120.0, 30.0, 8.0, 2.0])
BALANCED_SOFTMAX = {
    "default": {"counts": COUNTS},
    "soft_class_weights": {"counts": COUNTS, "class_weights": CLASS_WEIGHTS},
}
VECTOR_SCALING = {
    "default": {"counts": COUNTS},
    "cdt_smoothing": {"counts": COUNTS, "gamma": 0.5, "tau": 0.0, "label_smoothing": 0.1},
    "ignore_index_none": {"counts": COUNTS / COUNTS.sum(), "tau": 1.5, "ignore_index": -100, "reduction": "none"},
}
LDAM = {
    "default": {"counts": COUNTS},
    "class_weights_none": {"counts": COUNTS, "max_margin": 0.3, "scale": 5.0, "class_weights": CLASS_WEIGHTS,
                           "reduction": "none"},
    "ignore_index": {"counts": COUNTS, "scale": 1.0, "ignore_index": -100},
    "soft": {"counts": COUNTS, "scale": 10.0},
}


def cases():
    yield from softmax_cases("logit_adjusted_cross_entropy", LOGIT_ADJUSTED, extreme=False)
    yield from softmax_cases("balanced_softmax_cross_entropy", BALANCED_SOFTMAX, extreme=False)
    yield from softmax_cases("vector_scaling_loss", VECTOR_SCALING, extreme=False)
    yield from softmax_cases("ldam_loss", LDAM, extreme=False)
