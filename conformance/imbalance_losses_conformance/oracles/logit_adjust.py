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


def balanced_softmax_cross_entropy(logits, labels, counts, **options):
    return logit_adjusted_cross_entropy(logits, labels, counts, tau=1.0, **options)


def vector_scaling_loss(logits, labels, counts, *, gamma=0.3, tau=1.0, axis=-1, **options):
    n = as_float(counts)
    x = np.moveaxis(as_float(logits), axis, -1) * (n / n.max()) ** gamma + tau * _log_prior(n)
    return softmax_cross_entropy(np.moveaxis(x, -1, axis), labels, axis=axis, **options)


def ldam_loss(logits, labels, counts, *, max_margin=0.5, scale=30.0, ignore_index=None, axis=-1, **options):
    n = as_float(counts)
    margins = max_margin * n ** -0.25 / np.max(n ** -0.25)
    x = np.moveaxis(as_float(logits), axis, -1)
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu":  # an ignored label takes no margin (its loss is not counted)
        t = np.stack([(labels == c) for c in range(x.shape[-1])], axis=-1).astype(np.float64)
    else:
        t = np.moveaxis(as_float(labels), axis, -1)
    z = scale * (x - margins * t)
    return softmax_cross_entropy(np.moveaxis(z, -1, axis), labels, ignore_index=ignore_index, axis=axis, **options)
