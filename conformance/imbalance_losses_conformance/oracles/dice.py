"""Self-adjusting Dice (sigmoid and softmax: pooled, per image, per class channel, per
element) and Sudre's generalized Dice."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce, weights_or_one
from .softmax import _log_softmax, _softmax_setup


def _dice(q, y, smooth, square, w=1.0):
    """SPEC: weights enter the pooled sums linearly."""
    num = 2 * np.sum(w * q * y) + smooth
    den = (np.sum(w * q**2) + np.sum(w * y**2) if square else np.sum(w * q) + np.sum(w * y)) + smooth
    return 1 - (num / den if den > 0 else 1.0)


def sigmoid_sets(arrays, per_image, class_axis):
    """Each array cut into its sets: a dict {(image, class): flat elements}, image and
    class None where the sets do not split along them."""
    if class_axis is not None:
        arrays = [np.moveaxis(a, class_axis, -1) for a in arrays]
    images = range(arrays[0].shape[0]) if per_image else [None]
    classes = range(arrays[0].shape[-1]) if class_axis is not None else [None]
    sets = {}
    for n in images:
        for c in classes:
            parts = []
            for a in arrays:
                part = a if n is None else a[n]
                part = part if c is None else part[..., c]
                parts.append(np.ravel(part))
            sets[(n, c)] = parts
    return sets


def softmax_sets(arrays, element_shape, per_image):
    """Softmax rows (N*elements, C) cut into sets per image: {(image, class): elements}."""
    C = arrays[0].shape[-1]
    images = element_shape[0] if per_image else 1
    sets = {}
    for n in range(images):
        for c in range(C):
            sets[(n if per_image else None, c)] = [a.reshape(images, -1, C)[n, :, c] if a.ndim == 2
                                                   else a.reshape(images, -1)[n] for a in arrays]
    return sets


def reduce_sets(losses, kept, reduction, shape):
    """SPEC: the mean over counted sets, their sum, or every set's loss (0 if dropped)."""
    values = np.array([losses[k] * kept[k] for k in losses]).reshape(shape)
    if shape == ():
        return float(values)
    return reduce(values, np.array(list(kept.values())).reshape(shape), reduction)


def kept_set(key, arrays, ignore_empty):
    """SPEC: a set counts unless ignore_empty drops it (no positive target) or it is one
    image's set with no element of positive weight (all void: not a perfect image)."""
    _, y, w = arrays
    if key[0] is not None and not np.sum(w) > 0:
        return 0.0
    return float(not ignore_empty or np.sum(w * y) > 0)


def set_shape(sets):
    images = sorted({n for n, _ in sets if n is not None})
    classes = sorted({c for _, c in sets if c is not None})
    return tuple(len(v) for v in (images, classes) if v)


def sigmoid_overlap(logits, targets, set_loss, *, per_sample, per_image, class_axis, ignore_empty, weights, reduction):
    x, y = as_float(logits), as_float(targets)
    p = np.exp(log_sigmoid(x))
    w = weights_or_one(weights, x.shape)
    if per_sample:
        loss = np.vectorize(lambda pi, yi: set_loss(np.array([pi]), np.array([yi]), np.ones(1)))(p, y)
        return reduce(w * loss, w, reduction)
    sets = sigmoid_sets([p, y, w], per_image, class_axis)
    losses = {k: set_loss(*v) for k, v in sets.items()}
    kept = {k: kept_set(k, v, ignore_empty) for k, v in sets.items()}
    return reduce_sets(losses, kept, reduction, set_shape(sets))


def softmax_probabilities(logits, labels, ignore_index, axis, weights):
    """Softmax rows (elements, C), their targets, the element weights (0 where ignored)
    and the elements' shape."""
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(as_float(weights), shape).reshape(-1)
    return np.exp(_log_softmax(x)), t, w, shape


def softmax_overlap(logits, labels, set_loss, *, per_sample, per_image, ignore_empty, ignore_index, axis, weights,
                    reduction):
    p, t, w, shape = softmax_probabilities(logits, labels, ignore_index, axis, weights)
    C = p.shape[1]
    if per_sample:
        loss = np.array([np.mean([set_loss(p[i, c:c + 1], t[i, c:c + 1], np.ones(1)) for c in range(C)])
                         for i in range(p.shape[0])])
        return reduce((w * loss).reshape(shape), w, reduction)
    sets = softmax_sets([p, t, w], shape, per_image)
    losses = {k: set_loss(*v) for k, v in sets.items()}
    kept = {k: kept_set(k, v, ignore_empty) for k, v in sets.items()}
    return reduce_sets(losses, kept, reduction, set_shape(sets))


def dice_loss(logits, targets, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
              per_image=False, class_axis=None, ignore_empty=False, weights=None, reduction="mean"):
    def set_loss(p, y, w):
        return _dice((1 - p) ** alpha * p, y, smooth, square_denominator, w)

    return sigmoid_overlap(logits, targets, set_loss, per_sample=per_sample, per_image=per_image,
                           class_axis=class_axis, ignore_empty=ignore_empty, weights=weights, reduction=reduction)


def softmax_dice_loss(logits, labels, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
                      per_image=False, ignore_empty=False, ignore_index=None, axis=-1, weights=None,
                      reduction="mean"):
    def set_loss(p, t, w):
        q = np.exp(alpha * np.log1p(-np.minimum(p, 1.0)) + np.log(p)) if alpha else p
        return _dice(q, t, smooth, square_denominator, w)

    return softmax_overlap(logits, labels, set_loss, per_sample=per_sample, per_image=per_image,
                           ignore_empty=ignore_empty, ignore_index=ignore_index, axis=axis, weights=weights,
                           reduction=reduction)


def generalized_dice_loss(logits, labels, *, weight_type="square", smooth=1e-5, per_image=False, ignore_index=None,
                          axis=-1, weights=None, reduction="mean"):
    """Sudre's ratio of weighted sums; an absent class takes the largest weight of the
    present ones in its set (MONAI), all weights 0 when none is present."""
    p, t, w, shape = softmax_probabilities(logits, labels, ignore_index, axis, weights)
    images = shape[0] if per_image else 1
    p, t, w = p.reshape(images, -1, p.shape[1]), t.reshape(images, -1, t.shape[1]), w.reshape(images, -1, 1)
    losses = []
    for n in range(images):
        volume = np.sum(w[n] * t[n], axis=0)
        with np.errstate(divide="ignore"):
            v = {"square": 1 / volume**2, "simple": 1 / volume, "uniform": np.ones_like(volume)}[weight_type]
        finite = np.isfinite(v)
        v = np.where(finite, v, np.max(v[finite]) if finite.any() else 0.0)
        numerator = 2 * np.sum(v * np.sum(w[n] * p[n] * t[n], axis=0)) + smooth
        denominator = np.sum(v * (np.sum(w[n] * p[n], axis=0) + volume)) + smooth
        losses.append(1 - numerator / denominator if denominator > 0 else 0.0)
    if not per_image:
        return losses[0]
    return reduce(np.array(losses), (np.sum(w, axis=(1, 2)) > 0).astype(np.float64), reduction)
