"""Cases of the detection-quality losses: IoU-valued soft targets (mostly 0) for Varifocal
and quality focal, continuous bin positions (integers and the last bin included) for
distribution focal."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import EXTREME, SIGMOID_SHAPES, element_weights_binary, rng_for

VARIFOCAL = {
    "default": {},
    "gamma_half_alpha": {"alpha": 0.5, "gamma": 0.5},
    "not_iou_weighted_weights": {"iou_weighted": False, "weights": element_weights_binary},
    "none": {"reduction": "none"},
}
QUALITY_FOCAL = {
    "default": {},
    "beta_1_5_weights": {"beta": 1.5, "weights": element_weights_binary},
    "beta_1_sum": {"beta": 1.0, "reduction": "sum"},
    "none": {"reduction": "none"},
}
DISTRIBUTION_FOCAL = {
    "default": {},
    "weights_none": {"weights": lambda rng, shape: rng.random(shape), "reduction": "none"},
    "sum": {"reduction": "sum"},
}


def iou_targets(rng, shape):
    """A third of the elements positive with an IoU in (0, 1] (one exactly 1), the rest 0."""
    q = np.where(rng.random(shape) < 0.35, 1 - rng.random(shape), 0.0)
    q.flat[0] = 1.0
    return q


def _quality_cases(loss, option_sets):
    for name, options in option_sets.items():
        for shape_name, shape in SIGMOID_SHAPES:
            group = f"{loss}/{name}/{shape_name}"
            rng = rng_for(group)
            opts = {k: (v(rng, shape) if callable(v) else v) for k, v in options.items()}
            yield group, Case(loss, rng.normal(size=shape) * 3, iou_targets(rng, shape), opts)
    targets = np.where(np.arange(EXTREME.size).reshape(EXTREME.shape) % 3 == 0, 0.75, 0.0)
    yield f"{loss}/extreme", Case(loss, EXTREME, targets, {"reduction": "none"})


def _distribution_cases():
    loss = "distribution_focal_loss"
    for name, options in DISTRIBUTION_FOCAL.items():
        for shape_name, shape in (("NC", (6, 8)), ("NHC", (3, 4, 8))):
            group = f"{loss}/{name}/{shape_name}"
            rng = rng_for(group)
            positions = rng.random(shape[:-1]) * (shape[-1] - 1)
            positions.flat[:3] = [0.0, 3.0, shape[-1] - 1]  # a first, an inner and the last bin exactly
            opts = {k: (v(rng, shape[:-1]) if callable(v) else v) for k, v in options.items()}
            yield group, Case(loss, rng.normal(size=shape) * 3, positions, opts)
    yield f"{loss}/extreme", Case(loss, EXTREME, np.array([0.0, 2.5, 4.0]), {"reduction": "none"})


def cases():
    yield from _quality_cases("varifocal_loss", VARIFOCAL)
    yield from _quality_cases("quality_focal_loss", QUALITY_FOCAL)
    yield from _distribution_cases()
