"""Targets of the softmax family: integer class indices or dense (one-hot/soft) rows.

Every softmax loss is an expectation over the (smoothed) target distribution
``t' = (1 - eps) t + eps / C`` of a per-class integrand: ``loss = sum_c t'_c f_c``.
:class:`ClassTargets` checks and converts a call's labels (outside the
closed-form terms: ignored and out-of-range labels, the mean's denominator);
:class:`Distribution` is the same target distribution inside a term, where for
integer labels without smoothing only the target's class is touched.
"""

from __future__ import annotations

from .common import LossCall, class_axis_last, combine_weights, device_of, element_weights, gather_classes
from .validation import check_array_values, check_ignore_index, check_number


def label_mask(xp, labels, num_classes):
    """``labels[..., None] == arange(num_classes)``: integer labels as a boolean (..., C) mask."""
    ids = xp.arange(num_classes, dtype=labels.dtype, device=device_of(labels))
    return labels[..., None] == ids


class ClassTargets:
    """The targets of one softmax-family call, class axis last.

    Parameters
    ----------
    call : LossCall
    labels : array, NumPy array or sequence
        Integer class indices of shape ``logits.shape`` without the class axis,
        or floating one-hot/soft targets of the shape of ``logits``.
    logits_shape, axis
        The shape of the logits as given and their class axis.
    label_smoothing : float
        ``t' = t (1 - eps) + eps / C``.
    ignore_index : int or None
        Integer labels equal to it contribute nothing (weight 0). Dense targets
        have no index, so it does not apply to them (as in PyTorch).

    Integer labels are taken in the namespace's indexing dtype (so uint8 masks,
    ``ignore_index=-100`` and more than 256 classes all work). With value checks
    off, a label outside ``[0, C)`` that is not ``ignore_index`` makes its
    element's loss NaN (:attr:`poison`), on every framework: never another class's
    value, whatever a framework's gather does out of range.
    """

    def __init__(self, call: LossCall, labels, *, logits_shape, axis, label_smoothing, ignore_index):
        xp = call.xp
        self.call, self.axis = call, axis
        ndim = len(logits_shape)
        self.num_classes = logits_shape[axis % ndim]
        self.smoothing = check_number("label_smoothing", label_smoothing, low=0, high=1)
        check_ignore_index(ignore_index)
        self.element_shape = tuple(s for i, s in enumerate(logits_shape) if i != axis % ndim)
        self.valid = self.poison = self.in_range = None
        labels = call.labels(labels)
        if xp.isdtype(labels.dtype, "integral"):
            self.is_index = True
            self._check_index_shape(labels, axis)
            in_range = (labels >= 0) & (labels < self.num_classes)
            check_array_values(
                xp, "labels",
                lambda: in_range | (labels == ignore_index if ignore_index is not None else False),
                lambda: f"class indices in [0, {self.num_classes})" + ("" if ignore_index is None else f" or ignore_index={ignore_index}"),
            )
            counted = in_range
            if ignore_index is not None:
                self.valid = labels != ignore_index
                counted = in_range | ~self.valid
            self.poison = xp.where(counted, xp.zeros_like(labels, dtype=call.dtype), xp.nan)
            # Ignored and out-of-range labels are read as class 0 (their loss is masked or poisoned).
            self.target = xp.where(in_range, labels, 0)
            self.in_range = in_range
        elif xp.isdtype(labels.dtype, "real floating"):
            self.is_index = False
            self._check_dense_shape(labels, logits_shape, axis)
            dense = class_axis_last(call, call.cast(labels), axis, "labels")
            check_array_values(xp, "labels", lambda: (dense >= 0) & (dense <= 1), "target probabilities in [0, 1]")
            self.target = dense
        else:
            msg = (
                f"Invalid dtype for argument `labels`. Expected integer class indices or floating "
                f"targets. Received: labels.dtype={labels.dtype}"
            )
            raise TypeError(msg)

    def _check_index_shape(self, labels, axis):
        if len(labels.shape) != len(self.element_shape) or not all(
            a is None or b is None or a == b for a, b in zip(labels.shape, self.element_shape)
        ):
            msg = (
                f"Invalid shape for argument `labels`. Expected integer class indices of shape "
                f"{self.element_shape} (the shape of `logits` without axis {axis}). "
                f"Received: labels.shape={tuple(labels.shape)}"
            )
            raise ValueError(msg)

    def _check_dense_shape(self, labels, logits_shape, axis):
        shape = tuple(labels.shape)
        if len(shape) == len(self.element_shape):
            msg = (
                f"Invalid dtype for argument `labels`. Expected integer class indices for labels of shape "
                f"{self.element_shape} (or floating targets of the shape of `logits` {tuple(logits_shape)}). "
                f"Received: labels.dtype={labels.dtype}"
            )
            raise TypeError(msg)
        if len(shape) != len(logits_shape) or not all(
            a is None or b is None or a == b for a, b in zip(shape, logits_shape)
        ):
            msg = (
                f"Invalid shape for argument `labels`. Expected floating one-hot or soft targets of "
                f"the shape of `logits` {tuple(logits_shape)}, or integer class indices of shape "
                f"{self.element_shape}. Received: labels.shape={shape} with dtype {labels.dtype}"
            )
            raise ValueError(msg)

    @property
    def static(self) -> dict:
        """The static options every term over these targets takes."""
        return {"index": self.is_index, "smoothing": self.smoothing}

    def target_weight(self, class_weights):
        """The class weight of each target as given (before smoothing): ``sum_c w_c t_c``."""
        if class_weights is None:
            return None
        if self.is_index:
            return gather_classes(self.call, class_weights, self.target)
        return self.call.xp.vecdot(self.target, class_weights)

    def element_weights(self, weights):
        """The user's element ``weights`` times 1 for counted elements, 0 for ignored
        ones (None when there are neither)."""
        valid = None if self.valid is None else self.call.xp.astype(self.valid, self.call.dtype)
        return combine_weights(element_weights(self.call, weights, self.element_shape), valid)

    def poisoned(self, loss):
        """Per-element losses with NaN where an integer label was out of range."""
        return loss if self.poison is None else loss + self.poison

    def counted_labels(self, weights=None):
        """Integer labels for per-class counts: each label where it is in range, not
        ignored and its weight (if any) positive, else ``num_classes`` (counted nowhere,
        see :func:`~imbalance_losses.core.common.histogram`)."""
        xp = self.call.xp
        counted = self.in_range if self.valid is None else self.in_range & self.valid
        if weights is not None:
            counted = counted & ((weights + xp.zeros_like(self.poison)) > 0)
        return xp.where(counted, self.target, self.num_classes)

    def one_hot(self, poisoned=True):
        """The targets as given, as a dense (..., C) array (before smoothing); NaN rows
        for out-of-range labels unless ``poisoned=False`` (class 0 rows: the caller then
        poisons what it computes from them, see :meth:`poison_of`)."""
        xp = self.call.xp
        if not self.is_index:
            return self.target
        one_hot = xp.astype(label_mask(xp, self.target, self.num_classes), self.call.dtype)
        return one_hot + self.poison[..., None] if poisoned else one_hot

    def poison_of(self, total):
        """``total(poison)``: NaN for each set (of ``total``, a set sum over elements with
        a trailing class axis) holding an out-of-range label, else 0; None without integer
        labels."""
        return None if self.poison is None else total(self.poison[..., None])


class Distribution:
    """The smoothed target distribution ``t'`` over the last axis, inside a closed-form term.

    ``target`` holds integer labels (``index=True``) or dense rows; with integer
    labels and no smoothing (:attr:`gathers`) a term needs only the target's class.
    """

    def __init__(self, xp, target, num_classes, *, index, smoothing):
        self.xp, self.target, self.num_classes = xp, target, num_classes
        self.index, self.smoothing = index, smoothing
        self.gathers = index and smoothing == 0

    def at_target(self, values):
        """``values[..., label]`` of a (..., C) array, shape (...)."""
        return self.xp.take_along_axis(values, self.target[..., None], axis=-1)[..., 0]

    def at_target_of_vector(self, vector):
        """``vector[label]`` of a per-class (C,) vector, shape (...)."""
        xp = self.xp
        expanded = xp.reshape(vector, (1,) * self.target.ndim + (self.num_classes,))
        return xp.take_along_axis(expanded, self.target[..., None], axis=-1)[..., 0]

    def expect(self, values):
        """``sum_c t'_c values_c`` per row, for a (..., C) array."""
        xp, eps = self.xp, self.smoothing
        primary = self.at_target(values) if self.index else xp.sum(self.target * values, axis=-1)
        if eps == 0:
            return primary
        return (1 - eps) * primary + eps / self.num_classes * xp.sum(values, axis=-1)

    def expect_vector(self, vector):
        """``sum_c t'_c vector_c`` per row, for a per-class (C,) vector (None: all ones)."""
        xp, eps = self.xp, self.smoothing
        if vector is None:
            return 1.0 if self.index else (1 - eps) * xp.sum(self.target, axis=-1) + eps
        primary = self.at_target_of_vector(vector) if self.index else xp.vecdot(self.target, vector)
        if eps == 0:
            return primary
        return (1 - eps) * primary + eps * xp.mean(vector)

    def dense(self, dtype):
        """``t'`` as a (..., C) array."""
        xp = self.xp
        if self.index:
            onehot = label_mask(xp, self.target, self.num_classes)
            onehot = onehot if dtype == xp.bool else xp.astype(onehot, dtype)
        else:
            onehot = self.target
        eps = self.smoothing
        return onehot if eps == 0 else onehot * (1 - eps) + eps / self.num_classes
