"""Cases of ZLPR, dense, soft and sparse."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import EXTREME, rng_for, sigmoid_cases

MULTILABEL = {
    "default": {},
    "weights_none": {"weights": lambda rng, shape: rng.random(shape[:-1]), "reduction": "none"},
    "soft": {},
}


def _sparse_cases():
    loss = "sparse_multilabel_categorical_crossentropy"
    for name, options, shape in (
        ("default", {}, (6, 8)),
        ("mask_zero_none", {"mask_zero": True, "reduction": "none"}, (6, 8)),
        ("batched_weights", {"weights": np.linspace(0, 1, 6).reshape(2, 3)}, (2, 3, 8)),
    ):
        group = f"{loss}/{name}"
        rng = rng_for(group)
        logits = rng.normal(size=shape) * 3
        indices = rng.integers(0 if options.get("mask_zero") else 1, shape[-1], size=shape[:-1] + (3,))
        yield group, Case(loss, logits, indices, options)
    group = f"{loss}/extreme"
    yield group, Case(loss, EXTREME, np.array([[1, 3], [0, 2], [2, 4]]), {"reduction": "none"})


def cases():
    yield from sigmoid_cases("multilabel_categorical_crossentropy", MULTILABEL, shapes=(("NC", (6, 8)), ("NHC", (2, 3, 8))))
    yield from _sparse_cases()
