"""Targets of the softmax family: integer class indices or dense (one-hot/soft) rows.

Every softmax loss is an expectation over the (smoothed) target distribution of
a per-class integrand: ``loss = sum_c t'_c f_c``. For integer labels without
label smoothing only the target's class is needed, so per-class arrays are
gathered at the label first (no N x C intermediates beyond the row statistics);
otherwise ``f`` is evaluated for every class. :class:`ClassTargets` hides which
of the two layouts a loss is working in.
"""

from __future__ import annotations

from ._common import LossCall, class_axis_last
from ._validation import check_array_values, check_number, invalid_argument


class ClassTargets:
    """The targets of one softmax-family call, class axis last.

    Parameters
    ----------
    call : LossCall
    labels : array
        Integer class indices of shape ``logits.shape`` without the class axis,
        or floating one-hot/soft targets of the shape of ``logits``.
    num_classes, logits_shape, axis
        The class count, the shape of the logits as given and their class axis.
    label_smoothing : float
        ``t' = t (1 - eps) + eps / C``.
    ignore_index : int or None
        Integer labels equal to it contribute nothing (weight 0). Dense targets
        have no index, so it does not apply to them (as in PyTorch).
    """

    def __init__(self, call: LossCall, labels, *, logits_shape, axis, label_smoothing, ignore_index,
                 unshifted, shift):
        xp = call.xp
        self.call = call
        self.num_classes = logits_shape[axis]
        self.smoothing = check_number("label_smoothing", label_smoothing, low=0, high=1)
        if ignore_index is not None and (not isinstance(ignore_index, int) or isinstance(ignore_index, bool)):
            raise invalid_argument("ignore_index", "an integer or None", ignore_index)
        element_shape = tuple(s for i, s in enumerate(logits_shape) if i != axis % len(logits_shape))
        self.element_shape = element_shape
        self.valid = None
        if xp.isdtype(labels.dtype, "integral"):
            self.is_index = True
            if tuple(labels.shape) != element_shape:
                msg = (
                    f"Invalid shape for argument `labels`. Expected integer class indices of shape "
                    f"{element_shape} (the shape of `logits` without axis {axis}). "
                    f"Received: labels.shape={tuple(labels.shape)}"
                )
                raise ValueError(msg)
            given = labels
            if ignore_index is not None:
                self.valid = labels != ignore_index
                labels = xp.where(self.valid, labels, xp.zeros_like(labels))
            check_array_values(
                xp, "labels",
                lambda: ((given >= 0) & (given < self.num_classes)) | (given == ignore_index if ignore_index is not None else False),
                f"class indices in [0, {self.num_classes})" + ("" if ignore_index is None else f" or ignore_index={ignore_index}"),
            )
            self.labels = labels
            self.dense = None
        elif xp.isdtype(labels.dtype, "real floating"):
            self.is_index = False
            if tuple(labels.shape) == element_shape:
                msg = (
                    f"Invalid dtype for argument `labels`. Expected integer class indices for labels of shape "
                    f"{element_shape} (or floating targets of the shape of `logits` {tuple(logits_shape)}). "
                    f"Received: labels.dtype={labels.dtype}"
                )
                raise TypeError(msg)
            if tuple(labels.shape) != tuple(logits_shape):
                msg = (
                    f"Invalid shape for argument `labels`. Expected floating one-hot or soft targets of "
                    f"the shape of `logits` {tuple(logits_shape)}, or integer class indices of shape "
                    f"{element_shape}. Received: labels.shape={tuple(labels.shape)} with dtype {labels.dtype}"
                )
                raise ValueError(msg)
            dense = class_axis_last(call, call.cast(labels), axis, "labels")
            check_array_values(xp, "labels", lambda: (dense >= 0) & (dense <= 1), "target probabilities in [0, 1]")
            self.labels = None
            self.dense = dense
        else:
            msg = (
                f"Invalid dtype for argument `labels`. Expected integer class indices or floating "
                f"targets. Received: labels.dtype={labels.dtype}"
            )
            raise TypeError(msg)
        # Integer ids compared with the labels share their dtype (TensorFlow never promotes).
        self.id_dtype = labels.dtype if self.is_index else xp.int32
        # The logits before the row shift, to gather target logits from (see target_logit).
        self.unshifted, self.shift = unshifted, shift
        # Gather at the label only when no other class enters the expectation.
        self.gathers = self.is_index and self.smoothing == 0

    @property
    def class_ids(self):
        """The class index of each selected entry: ``labels[..., None]`` or ``arange(C)``."""
        xp = self.call.xp
        if self.gathers:
            return self.labels[..., None]
        return xp.arange(self.num_classes, dtype=self.id_dtype, device=self.call.device)

    def select(self, values):
        """Per-class ``values`` (..., C) at the entries the expectation needs."""
        if self.gathers:
            return self.call.xp.take_along_axis(values, self.labels[..., None], axis=-1)
        return values

    def select_vector(self, vector):
        """A per-class vector (C,) at the entries the expectation needs."""
        if self.gathers:
            return self._take(vector)[..., None]
        return vector

    def expect(self, integrand):
        """``sum_c t'_c f_c`` per element, from the selected integrand ``f``."""
        xp = self.call.xp
        if self.gathers:
            return integrand[..., 0]
        if self.is_index:
            primary = xp.take_along_axis(integrand, self.labels[..., None], axis=-1)[..., 0]
        else:
            primary = xp.sum(self.dense * integrand, axis=-1)
        if self.smoothing == 0:
            return primary
        uniform = xp.sum(integrand, axis=-1) / self.num_classes
        return (1 - self.smoothing) * primary + self.smoothing * uniform

    def weight_total(self, class_weights):
        """``sum_c t'_c w_c`` per element (1 for hard or soft targets without class weights)."""
        xp = self.call.xp
        if class_weights is None and self.is_index:
            return None
        if self.is_index:
            target = self._take(class_weights)
            if self.smoothing == 0:
                return target
            return (1 - self.smoothing) * target + self.smoothing * xp.mean(class_weights)
        smoothed = self._smoothed_dense()
        return xp.sum(smoothed if class_weights is None else smoothed * class_weights, axis=-1)

    def weighted_logits(self, class_weights):
        """``sum_c t'_c w_c z_c`` per element, ``z`` the row-shifted logits.

        Cross-entropy is linear in ``z``, so this is one gather plus one ``vecdot``
        with the class weights: no N x C product is materialised or kept for the
        backward pass.
        """
        xp = self.call.xp
        shifted = self.unshifted - self.shift
        if self.is_index:
            primary = self.target_logit()
            if class_weights is not None:
                primary = primary * self._take(class_weights)
            if self.smoothing == 0:
                return primary
            if class_weights is None:
                uniform = xp.mean(shifted, axis=-1)
            else:
                uniform = xp.vecdot(shifted, class_weights) / self.num_classes
            return (1 - self.smoothing) * primary + self.smoothing * uniform
        smoothed = self._smoothed_dense()
        return xp.vecdot(shifted, smoothed if class_weights is None else smoothed * class_weights)

    def target_logit(self):
        """The target's row-shifted logit ``x_t - max(x)``, gathered from the unshifted
        logits (an input autograd keeps anyway, instead of a new N x C array)."""
        xp = self.call.xp
        return (xp.take_along_axis(self.unshifted, self.labels[..., None], axis=-1) - self.shift)[..., 0]

    def _smoothed_dense(self):
        if self.smoothing == 0:
            return self.dense
        return self.dense * (1 - self.smoothing) + self.smoothing / self.num_classes

    def target_weight(self, class_weights):
        """The class weight of each target as given (before smoothing): ``sum_c w_c t_c``."""
        if class_weights is None:
            return None
        if self.is_index:
            return self._take(class_weights)
        return self.call.xp.sum(self.dense * class_weights, axis=-1)

    def valid_weight(self):
        """1 for counted elements, 0 for ignored ones (None when nothing is ignored)."""
        if self.valid is None:
            return None
        return self.call.xp.astype(self.valid, self.call.dtype)

    def one_hot(self):
        """The targets as given, as a dense (..., C) array (before smoothing)."""
        if self.dense is not None:
            return self.dense
        xp = self.call.xp
        ids = xp.arange(self.num_classes, dtype=self.id_dtype, device=self.call.device)
        return xp.astype(self.labels[..., None] == ids, self.call.dtype)

    def _take(self, vector):
        xp = self.call.xp
        flat = xp.take(vector, xp.reshape(self.labels, (-1,)), axis=0)
        return xp.reshape(flat, self.labels.shape)
