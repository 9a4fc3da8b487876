"""The sets of the overlap losses (Dice, Tversky, focal Tversky, generalized Dice).

An overlap loss compares predictions and targets through sums over a *set* of
elements. Which elements form one set is the reduction a segmentation user
chooses, and every overlap loss shares it:

- pooled (``per_image=False``): one set over the whole batch, per class;
- per image (``per_image=True``): one set per sample and class, the sums running
  over the spatial axes only (MONAI's ``batch=False``; kornia's ``average="macro"`` when every class is in
  every image, as kornia averages each image over its present classes);
- per element (``per_sample=True``, Dice and Tversky): every element its own set
  (the NLP form of the self-adjusting Dice).

Softmax losses have their class axis; a sigmoid loss has one when it is given
``class_axis`` (multi-label channels, each its own set) and otherwise pools every
element into one binary set. The set losses are then averaged (``reduction``)
over the sets, with sets dropped by ``ignore_empty`` left out of the average.
"""

from __future__ import annotations

from .common import (
    LossCall,
    element_weights,
    reduce_loss,
    safe_divide,
    sum_over_replicas,
)
from .validation import check_number, check_reduction, invalid_argument


def check_flags(**flags):
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise invalid_argument(name, "True or False", value)


def check_set_options(*, smooth, per_sample=False, per_image, ignore_empty=False, class_axis=None, reduction):
    """Check the options every overlap loss shares; return ``smooth`` as a float."""
    smooth = check_number("smooth", smooth, low=0)
    check_flags(per_sample=per_sample, per_image=per_image, ignore_empty=ignore_empty)
    check_reduction(reduction)
    if per_sample:
        # An element is its own set: there is no empty set to drop, no image or class to pool.
        for name, value in (("ignore_empty", ignore_empty), ("per_image", per_image)):
            if value:
                raise invalid_argument(name, "False with per_sample=True (it applies to sets of elements)", value)
        if class_axis is not None:
            raise invalid_argument("class_axis", "None with per_sample=True (it applies to sets of elements)",
                                   class_axis)
    return smooth


class OverlapSets:
    """How one call's elements form sets: the axes a set sums over and the reduction
    over the sets.

    The arrays a loss hands to :meth:`total` have their class axis (if any) last and,
    with ``per_image``, the samples first. Pooled sums run over the whole batch, so
    with ``replica_sum`` they are totals over all replicas (differentiable); per-image
    sums are local, and the mean over images is then the global one.
    """

    def __init__(self, call: LossCall, ndim: int, *, has_classes: bool, per_image: bool, weights=None,
                 replica_sum=None):
        kept = (0 if per_image else None, ndim - 1 if has_classes else None)
        self.call = call
        self.ndim = ndim
        self.axes = tuple(i for i in range(ndim) if i not in kept)
        self.per_image = per_image
        self.scalar = not per_image and not has_classes  # one set: a scalar loss for every reduction
        self.weights = weights
        self.replica_sum = replica_sum

    def total(self, values):
        """``sum(weights * values)`` over each set's elements."""
        weighted = values if self.weights is None else values * self.weights
        total = self.call.xp.sum(weighted, axis=self.axes)
        return total if self.per_image else sum_over_replicas(self.replica_sum, total)

    def reduce(self, loss, kept, reduction):
        """The set losses averaged (``"mean"``), summed or returned (``"none"``, 0 where
        a set is dropped); ``kept`` is 1 for counted sets, 0 for dropped ones (or None).
        Images without a valid element are dropped too (:meth:`valid_images`)."""
        if self.scalar:
            return self.call.finish(loss if kept is None else loss * kept)
        valid = self.valid_images()
        if valid is not None:
            kept = valid if kept is None else kept * valid
        return reduce_loss(self.call, loss, kept, reduction, replica_sum=self.replica_sum if self.per_image else None)

    def valid_images(self):
        """Per image (``per_image``): 1 where the image has an element of positive weight, 0
        where every element is ignored or of weight 0, broadcastable to the set losses
        (None without weights or per-image sets). An all-void image is not a perfect
        image: its sums are those of an empty prediction and target (loss 0), so it is
        left out of the mean, as the Lovász losses leave it."""
        if not self.per_image or self.weights is None:
            return None
        xp = self.call.xp
        w = self.weights
        if w.ndim < self.ndim:
            w = xp.reshape(w, (1,) * (self.ndim - w.ndim) + tuple(w.shape))
        return xp.astype(xp.sum(w, axis=self.axes) > 0, self.call.dtype)

    def nonempty(self, targets):
        """1 for sets with a positive target, else 0 (``ignore_empty``)."""
        return self.call.xp.astype(self.total(targets) > 0, self.call.dtype)


def sigmoid_sets(call: LossCall, arrays, *, per_image, class_axis, weights, replica_sum):
    """The sets of a sigmoid overlap loss and its ``arrays`` (logits, targets: the
    logits' shape) with ``class_axis`` moved last.

    ``weights`` are broadcast to the logits' shape first, so that any shape
    broadcastable to the logits works with a moved class axis.
    """
    xp = call.xp
    x = arrays[0]
    ndim = x.ndim
    if class_axis is not None:
        if not isinstance(class_axis, int) or isinstance(class_axis, bool) or not -ndim <= class_axis < ndim:
            raise invalid_argument("class_axis", f"None or an integer in [{-ndim}, {ndim}) for logits of rank {ndim}",
                                   class_axis)
        class_axis %= ndim
        if per_image and class_axis == 0:
            raise invalid_argument("class_axis", "an axis other than the sample axis 0 with per_image=True", class_axis)
        if weights is not None:
            weights = weights + xp.zeros_like(x)
        arrays = tuple(xp.moveaxis(a, class_axis, -1) for a in arrays)
        weights = None if weights is None else xp.moveaxis(weights, class_axis, -1)
    if per_image and ndim == 0:
        raise invalid_argument("per_image", "False for a scalar logit (no sample axis)", per_image)
    sets = OverlapSets(call, ndim, has_classes=class_axis is not None, per_image=per_image, weights=weights,
                       replica_sum=replica_sum)
    return sets, arrays


def softmax_sets(call: LossCall, ndim: int, *, per_image, weights, replica_sum):
    """The sets of a softmax overlap loss (class axis last); ``weights`` have the
    elements' shape (the logits' without the class axis)."""
    weights = None if weights is None else weights[..., None]
    return OverlapSets(call, ndim, has_classes=True, per_image=per_image, weights=weights, replica_sum=replica_sum)


def sigmoid_overlap_loss(call, x, y, weights, loss_of_sets, *, per_sample, per_image, class_axis, ignore_empty,
                     reduction, replica_sum):
    """A sigmoid overlap loss: ``loss_of_sets(total, x, y)`` on the sets the options
    choose (per element, per image, per class channel or pooled), reduced over them."""
    w = element_weights(call, weights, x.shape)
    if per_sample:
        return reduce_loss(call, loss_of_sets(lambda v: v, x, y), w, reduction, replica_sum=replica_sum)
    sets, (x, y) = sigmoid_sets(call, (x, y), per_image=per_image, class_axis=class_axis, weights=w,
                                replica_sum=replica_sum)
    return sets.reduce(loss_of_sets(sets.total, x, y), sets.nonempty(y) if ignore_empty else None, reduction)


def softmax_overlap_loss(call, q, targets, weights, loss_of_sets, *, per_sample, per_image, ignore_empty, reduction,
                     replica_sum):
    """A softmax overlap loss: ``loss_of_sets(total, q, t)`` per class on the sets the
    options choose, reduced over them; the per-element form averages over classes."""
    xp = call.xp
    w = targets.element_weights(weights)
    if per_sample:
        per_class = loss_of_sets(lambda v: v, q, targets.one_hot())
        return reduce_loss(call, xp.mean(per_class, axis=-1), w, reduction, replica_sum=replica_sum)
    sets = softmax_sets(call, q.ndim, per_image=per_image, weights=w, replica_sum=replica_sum)
    # Out-of-range labels poison the set losses, not the one-hot targets the sums read:
    # torch.compile 2.13 (CPU, dynamic shapes) miscompiles the backward of per-image sums
    # of poisoned targets (right values, wrong gradients).
    t = targets.one_hot(poisoned=False)
    loss = loss_of_sets(sets.total, q, t)
    poison = targets.poison_of(sets.total)
    loss = loss if poison is None else loss + poison
    return sets.reduce(loss, sets.nonempty(t) if ignore_empty else None, reduction)


def overlap_ratio(xp, numerator, denominator):
    """``1 - numerator / denominator``, with a zero denominator (``smooth=0``, nothing
    predicted and nothing present) read as perfect agreement: 0, not NaN. A NaN
    denominator (a NaN logit) stays NaN."""
    return 1 - xp.where(denominator == 0, xp.ones_like(denominator), safe_divide(xp, numerator, denominator))
