"""Logit adjustment: the softmax oracle on shifted logits."""

from __future__ import annotations

import numpy as np

from ._common import as_float
from .softmax import softmax_cross_entropy


def _log_prior(prior):
    p = as_float(prior)
    return np.log(p / p.sum())


def logit_adjusted_cross_entropy(logits, labels, prior, *, tau=1.0, axis=-1, **options):
    x = np.moveaxis(as_float(logits), axis, -1) + tau * _log_prior(prior)
    return softmax_cross_entropy(np.moveaxis(x, -1, axis), labels, axis=axis, **options)


def adjust_logits(logits, prior, *, tau=1.0, axis=-1):
    x = np.moveaxis(as_float(logits), axis, -1) - tau * _log_prior(prior)
    return np.moveaxis(x, -1, axis)
