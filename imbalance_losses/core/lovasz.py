"""Lovász-softmax and Lovász hinge losses (Berman et al. 2018).

The Lovász extension of the Jaccard loss of a set: sort the elements' errors in
decreasing order, carrying their ground truth along; the loss is the dot product
of the sorted errors with the increments of the Jaccard loss of the growing
prefix. Every set is sorted at once (one sort along the element axis, one
cumulative sum per count), and ignored elements stay in place with weight 0:
they add nothing to the counts, hence nothing to the increments, so shapes stay
static under ``jax.jit``, ``torch.compile`` and ``tf.function`` (the reference
filters them out with a boolean mask).
"""

from __future__ import annotations

import math

from .common import (
    binary_targets,
    combine_weights,
    element_weights,
    reduce_loss,
    safe_divide,
    start_call,
)
from .dice import start_softmax_overlap_call
from .dispatch import loss_function
from .overlap import check_flags
from .validation import check_choice, check_ignore_index, check_reduction, invalid_argument

__all__ = ["lovasz_hinge_loss", "lovasz_softmax_loss"]

LOVASZ_CLASSES = ("present", "all")


def lovasz_extension(call, errors, truth, weights=None):
    r"""The Lovász extension of the Jaccard loss along the last axis of each set.

    With the errors sorted in decreasing order, :math:`G = \sum_k w_k g_k` and the
    cumulative counts of positives and negatives of the prefix ``1..k``,
    :math:`J_k = 1 - (G - \sum_{j \le k} w_j g_j) / (G + \sum_{j \le k} w_j (1 - g_j))`
    (0 while the prefix holds no counted element) and the loss is
    :math:`\sum_k e_k (J_k - J_{k-1})`, :math:`J_0 = 0`. The sort order is a
    constant of the gradient (the loss is piecewise linear in the errors: its
    gradient is the increment at each error's rank); ties make the value
    unambiguous, not the gradient. ``weights`` None: every element counts once.
    """
    xp = call.xp
    order = xp.argsort(call.stop_gradient(errors), axis=-1, descending=True)
    errors = xp.take_along_axis(errors, order, axis=-1)
    positives = xp.take_along_axis(truth, order, axis=-1)
    if weights is None:
        negatives = 1 - positives
    else:
        sorted_weights = xp.take_along_axis(weights + xp.zeros_like(truth), order, axis=-1)
        positives = positives * sorted_weights
        negatives = sorted_weights - positives
    total = xp.sum(positives, axis=-1, keepdims=True)
    positives_before = xp.cumulative_sum(positives, axis=-1)
    negatives_before = xp.cumulative_sum(negatives, axis=-1)

    def jaccard(positives_seen, negatives_seen):
        union = total + negatives_seen
        return xp.where(union > 0, 1 - safe_divide(xp, total - positives_seen, union), 0.0)

    # J_{k-1} from the same cumulative sums less element k (no shifted copy).
    increments = jaccard(positives_before, negatives_before) - jaccard(positives_before - positives,
                                                                     negatives_before - negatives)
    return xp.sum(errors * call.stop_gradient(increments), axis=-1), total


def _flatten_after(call, v, lead):
    """``v`` with every axis after the first ``lead`` flattened into one: the elements of
    a set on the last axis. One unknown leading size (a TF batch) is allowed."""
    kept, rest = tuple(v.shape[:lead]), tuple(v.shape[lead:])
    if None not in kept:
        return call.xp.reshape(v, kept + (-1,))
    if None in rest or kept.count(None) > 1:
        raise invalid_argument("logits", "at most one axis of unknown size, the sample axis", f"shape {tuple(v.shape)}")
    return call.xp.reshape(v, tuple(-1 if s is None else s for s in kept) + (math.prod(rest),))


def _sets(call, v, per_image, classes_last=False):
    """``(N, ..., [C])`` → ``(sets, [C,] elements)``: one set per image, or one for the batch."""
    xp = call.xp
    if per_image and v.ndim == 0:
        raise invalid_argument("per_image", "False for a scalar logit (no sample axis)", per_image)
    if classes_last:
        return _flatten_after(call, xp.moveaxis(v, -1, 1), 2) if per_image else xp.reshape(
            xp.moveaxis(v, -1, 0), (1, v.shape[-1], -1))
    return _flatten_after(call, v, 1) if per_image else xp.reshape(v, (1, -1))


def _check_replicas(per_image, replica_sum):
    if replica_sum is not None and not per_image:
        # A pooled Lovász loss needs the global sort of every replica's errors, which a
        # sum over replicas cannot give; per image, each image's set is local.
        raise invalid_argument("replica_sum", "None with per_image=False (the pooled form needs a global sort; "
                               "use per_image=True)", replica_sum)


@loss_function
def lovasz_softmax_loss(
    logits,
    labels,
    *,
    per_image=False,
    classes="present",
    ignore_index=None,
    axis=-1,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Lovász-softmax loss: a convex surrogate of the per-class Jaccard (IoU) loss.

    .. math::

        e_{ic} = |t_{ic} - p_{ic}|,\qquad
        \mathcal{L}_c = \sum_k e_{(k)c}\,\big(J_c(k) - J_c(k - 1)\big),\qquad
        \mathcal{L} = \operatorname{mean}_c \mathcal{L}_c

    with the errors of class :math:`c` sorted in decreasing order and :math:`J_c(k)`
    the Jaccard loss of predicting class :math:`c` on the first :math:`k` of them
    (:func:`lovasz_extension`). ``classes="present"`` averages over the classes
    present in the set's targets (the default of SMP and mmseg: an all-background
    image would otherwise never learn), ``"all"`` over every class. With
    ``per_image`` each image is a set and its class mean is averaged over images
    (Berman's per-image form); by default the batch is one set per class.
    Ignored elements (``ignore_index``, weight 0) stay in place and count nowhere;
    an image without any counted element is left out of the mean.

    Parameters
    ----------
    logits : array, shape ``(N, ..., C, ...)``, e.g. ``(N, C, H, W)`` with ``axis=1``
    labels : integer class indices or floating one-hot targets
        Dense targets enter the counts as given (soft values fractionally).
    per_image : bool, default=False
    classes : {"present", "all"}, default="present"
    ignore_index : int, default=None
    axis : int, default=-1
    weights : array broadcastable to the elements (``logits`` without ``axis``), default=None
        Each element counts with its weight in the Jaccard counts (0/1 weights mask).
    reduction : {"mean", "sum", "none"}, default="mean"
        Over the images with ``per_image`` (``"none"``: shape ``(N,)``), else over
        the classes (``"none"``: shape ``(C,)``, 0 for a class not counted).
    replica_sum : callable, default=None
        With ``per_image=True``, makes the mean over images global. The pooled form
        needs a global sort and refuses it.

    References
    ----------
    Berman, Rannen Triki & Blaschko, `The Lovász-Softmax loss: A tractable surrogate
    for the optimization of the intersection-over-union measure in neural networks
    <https://arxiv.org/abs/1705.08790>`_, CVPR 2018.
    """
    check_flags(per_image=per_image)
    check_choice("classes", classes, LOVASZ_CLASSES)
    check_reduction(reduction)
    _check_replicas(per_image, replica_sum)
    call, targets, p = start_softmax_overlap_call(logits, labels, axis=axis, ignore_index=ignore_index, weights=weights)
    xp = call.xp
    w = targets.element_weights(weights)
    w_sets = None if w is None else _sets(call, w + xp.zeros_like(p[..., 0]), per_image)
    # One class at a time: the sort and its cumulative sums are (sets, elements) arrays
    # alive for one class, not (sets, C, elements) at once. `unstack` (not C slices, whose
    # backward would each write a zero-filled gradient of the whole array); integer labels
    # compared class by class (no one-hot; out-of-range labels poison the loss below).
    # Forward + backward at 2x21x512^2, eager torch on 2 cores: 930 -> 236 MiB above the
    # inputs, 2.2 -> 0.78 s (kornia 506 MiB, 0.90 s; docs/losses/segmentation.md).
    probabilities = xp.unstack(_sets(call, p, per_image, classes_last=True), axis=1)
    if targets.is_index:
        labels = _sets(call, targets.target, per_image)
        truths = [xp.astype(labels == c, call.dtype) for c in range(len(probabilities))]
    else:
        truths = xp.unstack(_sets(call, targets.target, per_image, classes_last=True), axis=1)
    per_class, positives = [], []
    for p_c, t_c in zip(probabilities, truths):
        loss_c, positives_c = lovasz_extension(call, xp.abs(t_c - p_c), t_c, w_sets)
        per_class.append(loss_c)
        positives.append(positives_c[..., 0])
    per_class, positives = xp.stack(per_class, axis=-1), xp.stack(positives, axis=-1)  # (sets, C)
    if targets.poison is not None:
        per_class = per_class + xp.sum(_sets(call, targets.poison, per_image), axis=-1)[:, None]
    # Sets with a counted element (all of them without weights), and the classes counted in each.
    image_kept = None if w_sets is None else xp.astype(xp.sum(w_sets, axis=-1) > 0, call.dtype)  # (sets,)
    if classes == "present":
        kept = xp.astype(positives > 0, call.dtype)
    else:
        kept = xp.ones_like(positives) if image_kept is None else xp.broadcast_to(image_kept[:, None], positives.shape)
    if not per_image:
        return reduce_loss(call, per_class[0, ...], kept[0, ...], reduction)
    # Berman's per-image form: each image's mean over its classes, then the mean over
    # the images that have a counted element.
    image_loss = safe_divide(xp, xp.sum(per_class * kept, axis=-1), xp.sum(kept, axis=-1))
    return reduce_loss(call, image_loss, image_kept, reduction, replica_sum=replica_sum)


@loss_function
def lovasz_hinge_loss(
    logits,
    targets,
    *,
    per_image=True,
    ignore_index=None,
    weights=None,
    reduction="mean",
    replica_sum=None,
):
    r"""Lovász hinge loss: a convex surrogate of the binary Jaccard (IoU) loss on logits.

    .. math::

        e_i = 1 - x_i (2 y_i - 1),\qquad
        \mathcal{L} = \sum_k \max(e_{(k)}, 0)\,\big(J(k) - J(k - 1)\big)

    with the hinge errors sorted in decreasing order and :math:`J(k)` the Jaccard
    loss of the first :math:`k` of them (:func:`lovasz_extension`). With
    ``per_image`` (the default, as in the reference) each sample is a set and the
    losses are averaged over samples; otherwise the batch is one set.

    Parameters
    ----------
    logits : array, shape ``(N, ...)``
    targets : array of the shape of ``logits``: 0/1 (any dtype), or ``ignore_index``
    per_image : bool, default=True
    ignore_index : int, default=None
        Targets equal to it count nowhere (e.g. 255 in a uint8 mask).
    weights : array broadcastable to ``logits``, default=None
        Each element counts with its weight in the Jaccard counts (0/1 weights mask).
    reduction : {"mean", "sum", "none"}, default="mean"
        Over the images with ``per_image`` (``"none"``: shape ``(N,)``); the pooled
        loss is a scalar for every reduction.
    replica_sum : callable, default=None
        As in :func:`lovasz_softmax_loss`.

    References
    ----------
    Berman, Rannen Triki & Blaschko, `The Lovász-Softmax loss: A tractable surrogate
    for the optimization of the intersection-over-union measure in neural networks
    <https://arxiv.org/abs/1705.08790>`_, CVPR 2018.
    """
    check_flags(per_image=per_image)
    check_reduction(reduction)
    _check_replicas(per_image, replica_sum)
    check_ignore_index(ignore_index)
    call, x = start_call(logits, targets=targets, weights=weights)
    xp = call.xp
    valid = None
    if ignore_index is not None:
        raw = call.labels(targets)
        valid = raw != ignore_index
        targets = xp.where(valid, raw, xp.zeros_like(raw))
    y = binary_targets(call, targets, x.shape)
    w = combine_weights(element_weights(call, weights, x.shape),
                        None if valid is None else xp.astype(valid, call.dtype))
    w = xp.ones_like(x) if w is None else w + xp.zeros_like(x)
    errors = xp.maximum(1 - x * (2 * y - 1), 0.0)
    w_sets = _sets(call, w, per_image)
    image_loss, _ = lovasz_extension(call, _sets(call, errors, per_image), _sets(call, y, per_image), w_sets)
    if not per_image:
        return call.finish(image_loss[0])
    image_kept = call.xp.astype(xp.sum(w_sets, axis=-1) > 0, call.dtype)
    return reduce_loss(call, image_loss, image_kept, reduction, replica_sum=replica_sum)
