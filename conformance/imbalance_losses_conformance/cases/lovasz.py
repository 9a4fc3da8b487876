"""Cases of the Lovász losses. Random logits make every sort unambiguous, so gradients
are checked; the saturated extreme case ties errors (a gradient is then one of several
valid subgradients), so it checks values only."""

from __future__ import annotations

import numpy as np

from ..checks import Case
from ._common import (
    EXTREME,
    IMAGE_SHAPES,
    element_weights_binary,
    element_weights_classes,
    rng_for,
    sigmoid_cases,
    softmax_cases,
)

LOVASZ_SOFTMAX = {
    "default": {},
    "per_image_none": {"per_image": True, "reduction": "none"},
    "all_classes_ignore_index_none": {"classes": "all", "ignore_index": -100, "reduction": "none"},
    "per_image_ignore_index_weights": {"per_image": True, "ignore_index": -100, "weights": element_weights_classes},
    "one_hot_all_classes_sum": {"classes": "all", "reduction": "sum"},
}
LOVASZ_HINGE = {
    "default": {},
    "pooled": {"per_image": False},
    "weights_none": {"weights": element_weights_binary, "reduction": "none"},
}


def _hinge_ignore_index():
    """uint8 masks with 255 for ignored pixels, as segmentation data sets ship them."""
    for shape_name, shape in (("NC", (6, 5)), ("NCHW", (2, 3, 2, 2))):
        group = f"lovasz_hinge_loss/ignore_index_uint8/{shape_name}"
        rng = rng_for(group)
        targets = np.where(rng.random(shape) < 0.2, 255, rng.random(shape) < 0.3).astype(np.uint8)
        yield group, Case("lovasz_hinge_loss", rng.normal(size=shape) * 3, targets, {"ignore_index": 255})


def cases():
    yield from softmax_cases("lovasz_softmax_loss", LOVASZ_SOFTMAX, extreme=False)
    yield "lovasz_softmax_loss/extreme", Case("lovasz_softmax_loss", EXTREME, np.array([0, 1, 2]),
                                              {"classes": "all", "reduction": "none"}, grad=False)
    yield from sigmoid_cases("lovasz_hinge_loss", LOVASZ_HINGE, shapes=IMAGE_SHAPES, extreme=False)
    yield from _hinge_ignore_index()
    targets = (np.arange(EXTREME.size).reshape(EXTREME.shape) % 2).astype(np.float64)
    yield "lovasz_hinge_loss/extreme", Case("lovasz_hinge_loss", EXTREME, targets, {"reduction": "none"}, grad=False)
