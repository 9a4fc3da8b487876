"""Lovász-softmax and Lovász hinge, transcribed from Berman's reference
(``pytorch/lovasz_losses.py``): ignored elements filtered out, then a sort per class.

Deviations of the package, applied here too: per-element weights scale the Jaccard
counts, and an image without a counted element is left out of the per-image mean
(the reference counts it as 0).
"""

from __future__ import annotations

import numpy as np

from ._common import as_float, reduce
from .dice import softmax_probabilities


def _lovasz_grad(gt_sorted, w_sorted):
    """The reference's ``lovasz_grad`` with weighted counts."""
    gts = np.sum(w_sorted * gt_sorted)
    intersection = gts - np.cumsum(w_sorted * gt_sorted)
    union = gts + np.cumsum(w_sorted * (1 - gt_sorted))
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _flat(errors, gt, w):
    """One set: ``dot(sorted errors, lovasz_grad)`` over the counted elements."""
    keep = w > 0
    errors, gt, w = errors[keep], gt[keep], w[keep]
    if errors.size == 0:
        return 0.0
    perm = np.argsort(-errors, kind="stable")
    return float(np.dot(errors[perm], _lovasz_grad(gt[perm], w[perm])))


def lovasz_softmax_loss(logits, labels, *, per_image=False, classes="present", ignore_index=None, axis=-1,
                        weights=None, reduction="mean"):
    p, t, w, shape = softmax_probabilities(logits, labels, ignore_index, axis, weights)
    C = p.shape[1]
    images = shape[0] if per_image else 1
    p, t, w = p.reshape(images, -1, C), t.reshape(images, -1, C), w.reshape(images, -1)
    per_set, kept = np.zeros((images, C)), np.zeros((images, C))
    for n in range(images):
        for c in range(C):
            fg = t[n, :, c]
            kept[n, c] = np.sum(w[n] * fg) > 0 if classes == "present" else np.sum(w[n]) > 0
            per_set[n, c] = _flat(np.abs(fg - p[n, :, c]), fg, w[n])
    if not per_image:
        return reduce(per_set[0] * kept[0], kept[0], reduction)
    image_loss = np.array([np.sum(per_set[n] * kept[n]) / np.sum(kept[n]) if np.sum(kept[n]) else 0.0
                           for n in range(images)])
    image_kept = (np.sum(w, axis=1) > 0).astype(np.float64)
    return reduce(image_loss * image_kept, image_kept, reduction)


def lovasz_hinge_loss(logits, targets, *, per_image=True, ignore_index=None, weights=None, reduction="mean"):
    x = as_float(logits)
    raw = np.asarray(targets)
    valid = np.ones(x.shape, bool) if ignore_index is None else raw != ignore_index
    y = np.where(valid, raw, 0).astype(np.float64)
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), x.shape)
    images = x.shape[0] if per_image else 1
    x, y, w = x.reshape(images, -1), y.reshape(images, -1), w.reshape(images, -1)
    # The reference sorts the hinge errors, then applies relu to the sorted ones.
    losses = np.array([_flat(np.maximum(1 - x[n] * (2 * y[n] - 1), 0.0), y[n], w[n]) for n in range(images)])
    if not per_image:
        return float(losses[0])
    kept = (np.sum(w, axis=1) > 0).astype(np.float64)
    return reduce(losses * kept, kept, reduction)
