"""What the XGBoost, LightGBM and CatBoost objectives share (a layer above the core).

An :class:`Objective` holds one per-sample core loss with its options and turns a
booster's margins, labels and sample weights into the gradient and Hessian the
booster asks for (:func:`~imbalance_losses.core.derivatives.loss_derivatives`, in
float64 NumPy: boosters hand over host arrays and round the pair to float32). The
per-library modules only read each library's calling conventions; the weights are
applied here, exactly once, in every API.
"""

from __future__ import annotations

import contextlib
import inspect
import math

import numpy as np

from .core.derivatives import loss_derivatives, prior_margin, targets_layout
from .core.logit_adjust import balanced_softmax_cross_entropy, ldam_loss, logit_adjusted_cross_entropy
from .core.regression import balanced_mse_loss
from .core.softmax import focal_weights, softmax_cross_entropy, softmax_cross_entropy_term, softmax_focal_term
from .core.terms import HESSIANS, PreparedTerm
from .core.validation import check_choice


# The layouts whose margins are one softmax row per sample: a margin per class, or per bin.
_SOFTMAX_ROWS = ("classes", "bins")


class Objective:
    """A per-sample loss as a gradient-boosting objective (see the library modules).

    The margins are ``(n_samples,)`` for a binary loss, ``(n_samples, n_classes)``
    for a softmax loss (labels ``0 .. n_classes - 1``) and for multi-label losses
    (0/1 labels of that shape), ``(n_samples, n_bins)`` for the distribution focal loss
    (real labels in ``[0, n_bins - 1]``, distances in bin units: the booster learns a
    distribution over the bins whose expectation is the prediction), and the predictions
    ``(n_samples,)`` for a regression loss (focal-R, Balanced MSE's GAI and BNI: real
    labels).
    """

    def __init__(self, loss, *, hessian="fisher", **options):
        self.layout = targets_layout(loss)
        check_choice("hessian", hessian, HESSIANS)
        for name in ("weights", "reduction", "replica_sum"):
            if name in options:
                msg = (f"Invalid argument `{name}`: the booster's sample weights are applied by the objective "
                       f"and derivatives are per sample. Received: {name}={options[name]!r}")
                raise TypeError(msg)
        if loss is balanced_mse_loss and options.get("method", "bmc") == "bmc":
            msg = ("Invalid argument `method` for a boosting objective: BMC compares every sample with the "
                   "whole batch, so it has no per-sample derivatives. Expected method='gai' or 'bni'. "
                   f"Received: method={options.get('method', 'bmc')!r}")
            raise ValueError(msg)
        self.loss, self.hessian, self.options = loss, hessian, options
        self.__name__ = loss.__name__
        self._check_options()

    def _check_options(self):
        """Run the loss's own option checks now, on two samples, not at the booster's first
        derivative call (where a typo under ``GridSearchCV`` would become NaN scores)."""
        sizes = [size for size in map(_vector_length, self.options.values()) if size is not None]
        width = max(sizes, default=2 if self.layout in _SOFTMAX_ROWS else 1)
        if self.layout in _SOFTMAX_ROWS:
            margins, labels = np.zeros((2, max(width, 2))), np.array([0, 1])
        elif self.layout == "regression":
            margins, labels = self._as_loss_input(np.zeros(2)), self._as_loss_input(np.zeros(2))
        elif self.layout == "binary" and width == 1:
            margins, labels = np.zeros(2), np.zeros(2)
        else:
            margins = np.zeros((2, width))
            labels = np.zeros_like(margins)
        self.loss(margins, labels, **self.options)

    def __repr__(self):
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({self.loss.__name__}, hessian={self.hessian!r}{options})"

    def check_labels(self, labels, num_classes=None):
        """``labels`` as the loss reads them (int64 classes, float64 binary targets and
        distances), or the ``ValueError`` a built-in objective raises, naming the labels
        outside the classes or bins (1-based classes would otherwise train a model of NaN
        predictions). ``num_classes``: the number of classes, or of bins."""
        labels = np.asarray(labels)
        hint = (" (encode other class values with sklearn.preprocessing.LabelEncoder, or use the estimators, "
                "which do)")
        if self.layout == "regression":
            values = labels.astype(np.float64)
            bad = ~np.isfinite(values)
            expected = "finite real targets"
            hint = ""
            converted = values
        elif self.layout == "classes":
            values = labels.astype(np.float64)
            bad = (values != np.round(values)) | (values < 0)
            if num_classes is not None:
                bad |= values >= num_classes
            expected = "class indices 0 .. n_classes - 1" + ("" if num_classes is None else f" = {num_classes - 1}")
            converted = values.astype(np.int64) if not bad.any() else None
        elif self.layout == "bins":
            values = labels.astype(np.float64)
            bad = ~((values >= 0) & (values <= (np.inf if num_classes is None else num_classes - 1)))
            expected = "distances in bin units, in [0, n_bins - 1]" + ("" if num_classes is None else
                                                                       f" = [0, {num_classes - 1}]")
            hint = " (a distance divided by the bin width; the booster needs n_bins margins: num_class)"
            converted = values
        else:
            values = labels.astype(np.float64)
            bad = ~((values >= 0) & (values <= 1))
            expected = "targets in [0, 1]"
            converted = values
        if bad.any():
            wrong = np.unique(labels[bad])
            msg = (f"Invalid labels for `{self.loss.__name__}`. Expected {expected}{hint}. "
                   f"Received: labels {wrong[:5].tolist()}{' ...' if wrong.size > 5 else ''}")
            raise ValueError(msg)
        return converted

    def _arrays(self, margins, labels, weights):
        """Margins, targets and per-sample weights as the core loss takes them."""
        margins = np.asarray(margins, dtype=np.float64)
        if self.layout in _SOFTMAX_ROWS:
            if margins.ndim != 2:
                unit = "class" if self.layout == "classes" else "bin"
                msg = (f"Invalid margins for `{self.loss.__name__}`: a softmax objective needs one margin per "
                       f"{unit}, shape (n_samples, n_{unit}s); set the booster's number of {unit}s as its "
                       f"number of classes (num_class / classes_count). Received: shape {margins.shape}")
                raise ValueError(msg)
            targets = self.check_labels(labels, margins.shape[1]).reshape(margins.shape[0])
        elif self.layout == "regression":
            margins = self._as_loss_input(margins.reshape(-1))
            targets = self._as_loss_input(self.check_labels(labels).reshape(-1))
        else:
            targets = self.check_labels(labels).reshape(margins.shape)
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            if weights.size == 0:
                weights = None
            elif self.layout == "binary" and margins.ndim == 2:
                weights = weights.reshape(-1, 1)  # one weight per sample, over its outputs
        return margins, targets, weights

    def _as_loss_input(self, values):
        """Regression predictions or targets ``(n,)`` as the loss takes them: Balanced MSE
        wants a trailing target axis, ``(n, 1)``."""
        return values[:, None] if self.loss is balanced_mse_loss else values

    def derivatives(self, margins, labels, weights=None):
        """``(gradient, hessian)`` of the weighted loss, each of the margins' shape, float64."""
        shape = np.shape(margins)
        margins, targets, weights = self._arrays(margins, labels, weights)
        gradient, hessian = loss_derivatives(self.loss, margins, targets, hessian=self.hessian, weights=weights,
                                             **self.options)
        return gradient.reshape(shape), hessian.reshape(shape)

    def value(self, margins, labels, weights=None) -> float:
        """The weighted mean loss (the evaluation metric)."""
        margins, targets, weights = self._arrays(margins, labels, weights)
        return float(self.loss(margins, targets, weights=weights, **self.options))

    def probabilities(self, margins):
        """Class (or positive) probabilities from raw margins: the softmax of each row for a
        softmax loss, else the sigmoid of each margin (for ZLPR a score whose 0.5 is its
        decision threshold, the margin 0). For the distribution focal loss each row's
        distribution over the bins: ``probabilities(margins) @ np.arange(n_bins)`` is the
        predicted distance."""
        margins = np.asarray(margins, dtype=np.float64)
        if self.loss is ldam_loss:  # LDAM's logits are the scaled margins
            margins = margins * self.options.get("scale", inspect.signature(ldam_loss).parameters["scale"].default)
        if self.layout in _SOFTMAX_ROWS:
            shifted = np.exp(margins - margins.max(axis=-1, keepdims=True))
            return shifted / shifted.sum(axis=-1, keepdims=True)
        return 0.5 * (1 + np.tanh(0.5 * margins))  # the sigmoid, without overflow

    def start(self, labels, sample_weight=None, *, num_classes=None):
        r"""The constant margin that minimises this loss on the (weighted) training labels: the
        start of every booster (``base_score``, ``init_score``, ``baseline``).

        Not always the log prior, cross-entropy's start: for logit adjustment it is
        :math:`\log\pi - \tau\log\text{prior}` (0 when the prior is the labels' own at
        :math:`\tau = 1`), for Balanced Softmax :math:`\log\pi - \log\text{counts}`,
        for focal, LDAM or a weighted loss whatever minimises it. Found by Newton's
        method on the weighted mean loss (with its own derivatives), from cross-entropy's
        closed form: one row per class for the softmax losses, so it costs microseconds.
        For the distribution focal loss (a cross-entropy with two-hot targets) the closed
        form: the log of each bin's share of the labels' two-hot weight.
        A class absent from ``labels`` (or an output never positive) starts at
        ``log(1e-15)`` (LightGBM's floor, -34.5), never at -inf or -708.

        Returns an array of shape ``(n_classes,)`` for a softmax loss (``(n_bins,)`` for the
        distribution focal loss: ``num_classes`` is the number of bins, by default the
        labels' largest distance rounded up, plus one), ``(n_outputs,)`` otherwise
        (``(1,)`` for a binary loss on labels of shape ``(n_samples,)``).
        """
        if _is_dask(labels):
            return self._start_from_dask(labels, sample_weight, num_classes)
        labels = np.asarray(labels)
        w = np.ones(labels.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if self.layout == "regression":
            # From the weighted mean (the squared error's minimiser), Newton's method on the loss.
            targets = self.check_labels(labels).reshape(-1)
            mean = float(w @ targets) / max(float(np.sum(w)), np.finfo(np.float64).tiny)
            return np.atleast_1d(self._newton(np.full(targets.size, mean), targets, w))
        if self.layout == "classes":
            labels = self.check_labels(labels, num_classes).reshape(-1)
            size = int(labels.max()) + 1 if num_classes is None else num_classes
            return self._start_from_label_weights(np.arange(size), np.bincount(labels, weights=w, minlength=size))
        if self.layout == "bins":
            distances = self.check_labels(labels, num_classes).reshape(-1)
            size = _bin_count(distances.max(), num_classes)
            return _log_frequencies(_two_hot_weights(np.bincount, distances, w, size))
        targets = self.check_labels(labels)
        if labels.ndim == 1:
            # At a constant margin the loss depends on the label alone: one row per value.
            values, inverse = np.unique(targets, return_inverse=True)
            return self._start_from_label_weights(values, np.bincount(inverse.reshape(-1), weights=w))
        targets = targets.reshape(labels.shape[0], -1)
        rows = np.tile(_log_odds((w @ targets) / max(float(np.sum(w)), np.finfo(np.float64).tiny)),
                       (targets.shape[0], 1))
        return self._newton(rows, targets, w[:, None] if self.layout == "binary" else w)

    def _start_from_label_weights(self, values, weights):
        """:meth:`start` from each label value's total weight (class indices for a softmax
        loss, target values for a binary one): the sufficient statistics of a constant."""
        if self.layout == "classes":
            closed_form = self._closed_form_start(weights)
            if closed_form is not None:
                return closed_form
            return self._newton(np.tile(_log_frequencies(weights), (values.size, 1)), values, weights)
        rate = float(weights @ values) / max(float(np.sum(weights)), np.finfo(np.float64).tiny)
        return np.atleast_1d(self._newton(np.full(values.size, _log_odds(rate)), values, weights))

    def _start_from_dask(self, labels, sample_weight, num_classes):
        """:meth:`start` of labels in a Dask array: every partition's label weights (one
        pass, as the histogram of the labels, or of their two-hot weights for bins), then
        the same start as in one process."""
        import dask
        import dask.array as da

        labels = labels.reshape(-1)
        w = da.ones(labels.shape, chunks=labels.chunks) if sample_weight is None else da.asarray(sample_weight)
        low, high, fractional = dask.compute(labels.min(), labels.max(), (labels % 1 != 0).any())
        bins = self.layout == "bins"
        if low < 0 or (fractional and not bins) or (self.layout == "binary" and high > 1) or (
                num_classes is not None and high > num_classes - 1):
            expected = ("distances in bin units, in [0, n_bins - 1]" if bins else
                        "hard labels (0/1, or class indices 0 .. n_classes - 1)")
            raise ValueError(f"Invalid labels for `{self.loss.__name__}` in a Dask array. Expected {expected}. "
                             f"Received: labels in [{low}, {high}]{', fractional' if fractional else ''}")
        if bins:
            size = _bin_count(high, num_classes)
            return _log_frequencies(_two_hot_weights(da.bincount, labels, w, size).compute())
        size = int(high) + 1 if num_classes is None else num_classes
        weights = da.bincount(labels.astype(np.int64), weights=w, minlength=size).compute()
        return self._start_from_label_weights(np.arange(weights.size), weights)

    def _closed_form_start(self, class_weight):
        """Cross-entropy's minimiser in closed form: softmax(f + offset) = the label
        frequencies, so f = log pi - offset, with the logit adjustment's offset
        tau * log prior (Balanced Softmax: log counts); None where the options (class
        weights, smoothing) or the loss need Newton's method."""
        offsets = {softmax_cross_entropy: None, logit_adjusted_cross_entropy: "prior",
                   balanced_softmax_cross_entropy: "counts"}
        if self.loss not in offsets or self.options.get("class_weights") is not None \
                or self.options.get("label_smoothing", 0.0):
            return None
        start = _log_frequencies(class_weight)
        if offsets[self.loss] is not None:
            start = start - prior_margin(self.options[offsets[self.loss]], tau=self.options.get("tau", 1.0))
        floor = np.log(_FLOOR_PROBABILITY)
        return np.clip(start, floor, -floor)

    def _newton(self, rows, targets, weights):
        """The constant margin minimising the weighted loss of ``rows`` (all equal), by Newton
        steps (at most one nat each) with a backtracking line search.

        The softmax losses couple their classes: their Hessian is the full C x C matrix
        (central differences of the closed-form gradient, C + 1 calls on C rows), solved
        by least squares (a softmax is shift-free: its flat direction is projected out, so
        the start keeps cross-entropy's shift, log-probabilities); a diagonal step
        would overshoot by up to 2x and oscillate. Elementwise losses are separable: their
        own (Fisher) diagonal. Where the full step is not a descent direction (a focal
        loss's curvature can be negative) the positive diagonal step is taken.
        """
        margin = rows[0].copy()
        floor = np.log(_FLOOR_PROBABILITY)

        def loss_at(m):
            return self.value(np.broadcast_to(m, rows.shape), targets, weights)

        def derivatives_at(m):
            margins = self._as_loss_input(np.broadcast_to(m, rows.shape).copy())
            gradient, hessian = loss_derivatives(self.loss, margins, self._as_loss_input(targets),
                                                 hessian="fisher", weights=weights, **self.options)
            return gradient.reshape(rows.shape).sum(axis=0), hessian.reshape(rows.shape).sum(axis=0)

        value = loss_at(margin)
        # A shift-free loss (every softmax loss but vector scaling's) keeps the start's shift:
        # every step is projected off the flat direction (its curvature is rounding noise).
        projector = np.eye(margin.size) - 1.0 / margin.size
        shift_free = self.layout == "classes" and abs(loss_at(margin + 1.0) - value) <= 1e-12 * max(1.0, abs(value))
        for _ in range(100):
            gradient, diagonal = derivatives_at(margin)
            step = gradient / np.maximum(diagonal, np.finfo(np.float64).tiny)
            if self.layout == "classes":
                h = 1e-5
                columns = [(derivatives_at(margin + h * e)[0] - derivatives_at(margin - h * e)[0]) / (2 * h)
                           for e in np.eye(margin.size)]
                hessian = np.stack(columns, axis=1)
                hessian = (hessian + hessian.T) / 2
                if shift_free:
                    hessian, gradient, step = projector @ hessian @ projector, projector @ gradient, projector @ step
                full = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
                full = projector @ full if shift_free else full
                if np.dot(full, gradient) > 0:
                    step = full
            # A trust region of one nat: a saturated softmax (LDAM's scale of 30) has a
            # Hessian of 1e-23 where its gradient is still large (a regression step is in the
            # targets' units: no such region).
            if self.layout != "regression":
                step = step / max(1.0, float(np.max(np.abs(step))))
            for _ in range(40):  # halve the step until the loss does not increase
                candidate = margin - step if self.layout == "regression" else np.clip(margin - step, floor, -floor)
                candidate_value = loss_at(candidate)
                if candidate_value <= value:
                    break
                step = step / 2
            else:
                break
            converged = np.max(np.abs(candidate - margin)) < 1e-12
            margin, value = candidate, candidate_value
            if converged:
                break
        return margin

    def initial_margins(self, labels, sample_weight=None, *, num_classes=None, num_samples=None):
        """:meth:`start` repeated for ``num_samples`` rows (the training labels' count by
        default): ``init_score`` / ``base_margin`` / ``baseline``, shaped as the margins.
        Give an evaluation set the *training* start: ``num_samples=len(X_valid)``, never
        the start of its own labels (that would leak them)."""
        start = self.start(labels, sample_weight, num_classes=num_classes)
        n = np.asarray(labels).shape[0] if num_samples is None else num_samples
        if self.layout == "binary" and np.asarray(labels).ndim == 1:
            return np.full(n, start[0])
        return np.tile(start, (n, 1))


def _vector_length(option):
    """The length of a per-class option (a vector), None for anything else (numbers, strings,
    Balanced MSE's ``gmm`` triple)."""
    try:
        vector = np.asarray(option, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return vector.shape[0] if vector.ndim == 1 else None


def _cross_entropy_target_weight(class_weights, static, label, p, u, nlp):
    return 1.0 if class_weights is None else float(class_weights[label])


def _focal_target_weight(alpha_vector, static, label, p, u, nlp):
    alpha = static["alpha"]
    weight = float(alpha_vector[label]) if alpha_vector is not None else 1.0 if alpha is None else alpha
    return float(focal_weights(np, weight, p, u, nlp, static["gamma"], static.get("epsilon", 0.0)).weights)


# The hard-label softmax terms whose gradient is B (softmax(z) - onehot(t)) with B one number
# per sample (the "scaled softmax residual" of their derivatives), and whose Fisher Hessian is
# B p (1 - p): B as a function of the target's probability p, complement u = 1 - p and -log p.
TARGET_WEIGHTS = {softmax_cross_entropy_term: _cross_entropy_target_weight,
                  softmax_focal_term: _focal_target_weight}


class RowDerivatives:
    r"""The gradient and Fisher Hessian diagonal of one sample of a hard-label softmax loss.

    CatBoost asks a multi-class objective for one sample's derivatives per call, so a
    call's cost is its Python overhead: :func:`~imbalance_losses.core.derivatives.loss_derivatives` prepares the options,
    checks and dispatches each time (about 180 microseconds for 10 classes), where this
    kernel prepares them once and then does a hand-written derivative's few NumPy
    operations per sample. The loss is prepared by the core itself (its
    :class:`~.terms.WeightedTerm`, on one all-zero row per class): every loss here
    computes the softmax of :math:`z = s \odot x + o_t`, an affine map of the margins
    :math:`x` with slope :math:`s` (per class or a number) and offsets :math:`o_t` for
    target :math:`t` (logit adjustment, Balanced Softmax, vector scaling, LDAM's target
    margin), then a term whose gradient is :math:`B\,(p - e_t)` and Fisher Hessian
    :math:`B\,p\,(1 - p)`, with :math:`B` the sample's number (:data:`TARGET_WEIGHTS`). So

    .. math::

        g = w B\, s \odot (p - e_t), \qquad h = w B\, s^2 \odot p \odot (1 - p)

    with the complements :math:`1 - p` exact (the other classes' sum), as in the core.
    The tests prove it equal to :func:`~imbalance_losses.core.derivatives.loss_derivatives` for every such loss.

    :meth:`of` returns None where no kernel applies (label smoothing, ignored labels,
    another term, or an exact Hessian of a non-convex term): the caller uses
    :func:`~imbalance_losses.core.derivatives.loss_derivatives`.
    """

    def __init__(self, prepared, target_weight):
        self.num_classes = prepared.x.shape[-1]
        self.offsets = np.asarray(prepared.x, dtype=np.float64)  # row t: the map of x = 0 for target t
        self.slope = None if prepared.slope is None else np.asarray(prepared.slope, dtype=np.float64)
        self.vector = prepared.arrays[1]
        self.static = prepared.static
        self.target_weight = target_weight

    @classmethod
    def of(cls, loss, num_classes, *, hessian="fisher", **options):
        """The kernel of ``loss`` with ``options`` for ``num_classes`` margins, or None."""
        if targets_layout(loss) != "classes" or "weights" in options:
            return None
        labels = np.arange(num_classes)
        prepared = loss(np.zeros((num_classes, num_classes)), labels, reduction=PreparedTerm(), **options)
        target_weight = TARGET_WEIGHTS.get(prepared.term)
        convex = prepared.term is softmax_cross_entropy_term
        if (target_weight is None or not prepared.static["index"] or prepared.static["smoothing"]
                or prepared.weights is not None or prepared.factor is not None or (hessian != "fisher" and not convex)):
            return None
        return cls(prepared, target_weight)

    def __call__(self, margins, label, weight=1.0):
        """``(gradient, hessian)`` of one sample: margins of shape ``(C,)``, a class index ``label``
        (checked by the caller)."""
        t = int(label)
        x = np.asarray(margins, dtype=np.float64)
        z = (x if self.slope is None else x * self.slope) + self.offsets[t]
        top = int(z.argmax())
        e = np.exp(z - z[top])
        rest_t = _sum_without(e, t)
        total = rest_t + e[t]
        # -log p_t: exact for a target at the maximum (log1p of the rest) and far below it.
        nlp = math.log1p(rest_t) if t == top else math.log(total) - (z[t] - z[top])
        p = e / total
        u = (total - e) / total
        u[top] = (rest_t if t == top else _sum_without(e, top)) / total
        b = weight * self.target_weight(self.vector, self.static, t, float(p[t]), float(u[t]), nlp)
        gradient = p.copy()
        gradient[t] -= 1.0
        gradient *= b
        hessian = b * p * u
        if self.slope is not None:
            gradient *= self.slope
            hessian *= self.slope * self.slope
        return gradient, hessian


def _sum_without(e, index):
    """``sum(e) - e[index]`` as the sum of the others: no cancellation when ``e[index]`` dominates."""
    kept = e[index]
    e[index] = 0.0
    rest = float(e.sum())
    e[index] = kept
    return rest


# The smallest probability a start stands for: LightGBM's own floor (log 1e-15 = -34.5).
_FLOOR_PROBABILITY = 1e-15


def _is_dask(array):
    return type(array).__module__.startswith("dask.")


def _log_odds(rate):
    """The margin of a positive rate, its probability kept in [1e-15, 1 - 1e-15]."""
    rate = np.clip(rate, _FLOOR_PROBABILITY, 1 - _FLOOR_PROBABILITY)
    return np.log(rate) - np.log1p(-rate)


def _bin_count(largest_distance, num_bins):
    """``num_bins``, or the fewest bins that hold the largest distance (at least two)."""
    return max(2, math.ceil(float(largest_distance)) + 1) if num_bins is None else num_bins


def _two_hot_weights(bincount, distances, weights, num_bins):
    """Each bin's total weight in the distances' two-hot targets (``weights * (l + 1 - t)`` at
    ``l = floor(t)``, ``weights * (t - l)`` at ``l + 1``, the last bin's distance the right
    end of the last pair, as in the core's two-hot), with NumPy's or Dask's ``bincount``:
    the sufficient statistics of the distribution focal loss's constant start, in O(n)
    memory (the core's two-hot would build the (n, n_bins) rows; the tests hold the two
    equal)."""
    left = np.minimum(np.floor(distances), num_bins - 2)
    right_share = distances - left
    left = left.astype(np.int64)
    return (bincount(left, weights=weights * (1 - right_share), minlength=num_bins)
            + bincount(left + 1, weights=weights * right_share, minlength=num_bins))


def _log_frequencies(class_weight):
    """Cross-entropy's start: the log of each class's share of the weight (floored)."""
    total = max(float(np.sum(class_weight)), np.finfo(np.float64).tiny)
    return np.log(np.maximum(class_weight / total, _FLOOR_PROBABILITY))


class BoostingClassifier:
    """What the drop-in estimators (``imbalance_losses.xgboost.XGBClassifier``, ...) share,
    listed before the library's estimator class: labels, weights, the start and the loss's
    own probabilities. A library class supplies ``fit`` (train from the start and keep it
    in the model), ``_make_objective`` (its objective class) and ``_margins`` (raw margins,
    the start included).

    ``loss`` is a core loss (None: cross-entropy, sigmoid for two classes and softmax for
    more) and ``loss_options`` its options, a dict, so that no name clashes with the
    library's parameters. Labels may be any values (strings too): ``classes_`` holds them
    sorted, as scikit-learn's classifiers do.
    """

    # The library's class-weight parameters and the value that switches each off: at fit
    # they become sample weights (a custom objective would silently ignore them).
    _class_weight_parameters: dict = {}

    def __init_subclass__(cls, **kwargs):
        """Give each estimator ``__init__(self, *, <the library's parameters>, loss=None,
        loss_options=None, **kwargs)``: scikit-learn's ``get_params`` and ``clone`` read
        the parameters from this signature, so the library's own must be in it."""
        super().__init_subclass__(**kwargs)
        library = next(base for base in cls.__mro__[1:] if base is not BoostingClassifier and "__init__" in vars(base))

        def __init__(self, *, loss=None, loss_options=None, **options):
            library.__init__(self, **options)
            self.loss = loss
            self.loss_options = loss_options

        keyword = inspect.Parameter.KEYWORD_ONLY
        own = [p.replace(kind=keyword) for name, p in inspect.signature(library.__init__).parameters.items()
               if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        __init__.__signature__ = inspect.Signature([
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *own,
            inspect.Parameter("loss", keyword, default=None), inspect.Parameter("loss_options", keyword, default=None),
            inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
        __init__.__qualname__ = f"{cls.__name__}.__init__"
        cls.__init__ = __init__

    def _make_objective(self, loss, **options) -> Objective:
        raise NotImplementedError

    def _prepare(self, y, sample_weight):
        """Encoded labels, the objective, the per-sample weights (class weights folded in)
        and the start, from the training labels."""
        from sklearn.preprocessing import LabelEncoder

        from .core.sigmoid import sigmoid_cross_entropy

        encoder = LabelEncoder().fit(np.asarray(y).ravel())
        classes = encoder.classes_
        if classes.size < 2:
            raise ValueError(f"Invalid labels: a classifier needs at least 2 classes. Received: {classes.tolist()}")
        y_encoded = encoder.transform(np.asarray(y).ravel())
        loss = self.loss
        if loss is None:
            loss = sigmoid_cross_entropy if classes.size == 2 else softmax_cross_entropy
        objective = self._make_objective(loss, **(self.loss_options or {}))
        if objective.layout == "bins":
            raise ValueError(f"Invalid `loss` for a classifier: {loss.__name__} learns a distribution over "
                             f"the bins of a real target. Use its objective (objective({loss.__name__})) with "
                             f"the library's own training API.")
        if objective.layout == "multilabel" or (objective.layout == "binary" and classes.size > 2):
            msg = (f"Invalid `loss` for {classes.size} classes: {loss.__name__} has one sigmoid per output; a "
                   f"classifier of {classes.size} classes needs a softmax loss (softmax_cross_entropy, "
                   f"softmax_focal_loss, logit_adjusted_cross_entropy, ...).")
            raise ValueError(msg)
        weights = np.ones(y_encoded.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
        weights = weights * self._class_weight_factors(y_encoded, classes)
        num_classes = classes.size if objective.layout == "classes" else None
        self.classes_, self.loss_objective_ = classes, objective
        self.start_ = objective.start(y_encoded, weights, num_classes=num_classes)
        return y_encoded, weights

    def _class_weight_settings(self):
        """The library's class-weight parameters that the user switched on, with their values."""
        given = self.get_params(deep=False)
        return {name: given[name] for name, off in self._class_weight_parameters.items()
                if given.get(name) is not None
                and (isinstance(given[name], (str, dict, list, tuple, np.ndarray)) or given[name] != off)}

    def _class_weight_factors(self, y_encoded, classes):
        """Per-sample factors from the library's class-weight parameters (1 where unset)."""
        factors = np.ones(y_encoded.shape[0])
        for name, value in self._class_weight_settings().items():
            factors = factors * class_weight_values(name, value, y_encoded, classes)[y_encoded]
        return factors

    @contextlib.contextmanager
    def _class_weight_parameters_off(self):
        """The library's class-weight parameters switched off while the library trains (they
        are in the sample weights already), as the user set them again afterwards."""
        changed = self._class_weight_settings()
        self.set_params(**{name: self._class_weight_parameters[name] for name in changed})
        try:
            yield
        finally:
            self.set_params(**changed)

    @property
    def classes_(self):
        """The class labels, sorted (as ``y`` gave them: strings too)."""
        return self._classes

    @classes_.setter
    def classes_(self, value):
        self._classes = value

    def _evaluation_sets(self, eval_set):
        """``eval_set`` (pairs ``(X, y)``, or one pair) with each ``y`` encoded by the training
        classes (an unknown label raises)."""
        pairs = [eval_set] if isinstance(eval_set, tuple) else list(eval_set or ())
        encoded = []
        for X, y in pairs:
            y = np.asarray(y).ravel()
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(f"Invalid labels in an evaluation set: not among the training classes "
                                 f"{self.classes_.tolist()}. Received: {unknown[:5].tolist()}")
            encoded.append((X, np.searchsorted(self.classes_, y)))
        return encoded

    def _start_rows(self, n):
        """The training start repeated for ``n`` rows (an evaluation set's init score)."""
        return np.full(n, self.start_[0]) if self.loss_objective_.layout == "binary" else np.tile(self.start_, (n, 1))

    def predict_proba(self, X):
        """The loss's own probabilities of each class, shape ``(n_samples, n_classes)``:
        sigmoid or softmax of the margins (the start included); for logit adjustment and
        Balanced Softmax the balanced posterior; for LDAM softmax(scale * margins)."""
        probabilities = self.loss_objective_.probabilities(self._margins(X))
        if self.loss_objective_.layout == "binary":
            probabilities = np.stack([1 - probabilities, probabilities], axis=1)
        return probabilities

    def predict(self, X):
        """The class of largest probability, from ``classes_``."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


def class_weight_values(name, value, y_encoded, classes):
    """One weight per class from a library's class-weight parameter: a dict (by label), a
    sequence (by class index), ``"balanced"``/``"Balanced"`` (n / (k n_c)),
    ``"SqrtBalanced"``, ``True`` (``is_unbalance``: balanced) or a number
    (``scale_pos_weight``: the positive class, binary only)."""
    counts = np.bincount(y_encoded, minlength=classes.size).astype(np.float64)
    if isinstance(value, dict):
        return np.array([float(value.get(c, value.get(str(c), 1.0))) for c in classes])
    if isinstance(value, (list, tuple, np.ndarray)):
        return np.asarray(value, dtype=np.float64).reshape(classes.size)
    balanced = counts.sum() / (classes.size * np.maximum(counts, 1.0))
    if value is True or (isinstance(value, str) and value.lower() == "balanced"):
        return balanced
    if isinstance(value, str) and value == "SqrtBalanced":
        return np.sqrt(balanced)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and classes.size == 2:
        return np.array([1.0, float(value)])
    raise ValueError(f"Invalid value for argument `{name}`. Expected a dict by class, one weight per class, "
                     f"'balanced'{', a positive-class weight for 2 classes' if name == 'scale_pos_weight' else ''}. "
                     f"Received: {name}={value!r}")
