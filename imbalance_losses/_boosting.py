"""What the XGBoost, LightGBM and CatBoost objectives share (a layer above the core).

An :class:`Objective` holds one per-sample core loss with its options and turns a
booster's margins, labels and sample weights into the gradient and Hessian the
booster asks for (:func:`~imbalance_losses.core.derivatives.loss_derivatives`, in
float64 NumPy: boosters hand over host arrays and round the pair to float32). The
per-library modules only read each library's calling conventions; the weights are
applied here, exactly once, in every API.
"""

from __future__ import annotations

import numpy as np

from .core.derivatives import loss_derivatives, prior_margin, targets_layout
from .core.terms import HESSIANS
from .core.validation import check_choice


class Objective:
    """A per-sample loss as a gradient-boosting objective (see the library modules).

    The margins are ``(n_samples,)`` for a binary loss, ``(n_samples, n_classes)``
    for a softmax loss (labels ``0 .. n_classes - 1``) and for multi-label losses
    (0/1 labels of that shape).
    """

    def __init__(self, loss, *, hessian="fisher", **options):
        self.layout = targets_layout(loss)
        check_choice("hessian", hessian, HESSIANS)
        for name in ("weights", "reduction", "replica_sum"):
            if name in options:
                msg = (f"Invalid argument `{name}`: the booster's sample weights are applied by the objective "
                       f"and derivatives are per sample. Received: {name}={options[name]!r}")
                raise TypeError(msg)
        self.loss, self.hessian, self.options = loss, hessian, options
        self.__name__ = loss.__name__

    def __repr__(self):
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({self.loss.__name__}, hessian={self.hessian!r}{options})"

    def _arrays(self, margins, labels, weights):
        """Margins, targets and per-sample weights as the core loss takes them."""
        margins = np.asarray(margins, dtype=np.float64)
        labels = np.asarray(labels)
        if self.layout == "classes":
            if margins.ndim != 2:
                msg = (f"Invalid margins for `{self.loss.__name__}`: a softmax objective needs one margin per "
                       f"class, shape (n_samples, n_classes); set the booster's number of classes "
                       f"(num_class / classes_count). Received: shape {margins.shape}")
                raise ValueError(msg)
            targets = labels.reshape(margins.shape[0]).astype(np.int64)
        else:
            targets = labels.astype(np.float64).reshape(margins.shape)
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            if weights.size == 0:
                weights = None
            elif self.layout == "binary" and margins.ndim == 2:
                weights = weights.reshape(-1, 1)  # one weight per sample, over its outputs
        return margins, targets, weights

    def derivatives(self, margins, labels, weights=None):
        """``(gradient, hessian)`` of the weighted loss, each of the margins' shape, float64."""
        margins, targets, weights = self._arrays(margins, labels, weights)
        return loss_derivatives(self.loss, margins, targets, hessian=self.hessian, weights=weights, **self.options)

    def value(self, margins, labels, weights=None) -> float:
        """The weighted mean loss (the evaluation metric)."""
        margins, targets, weights = self._arrays(margins, labels, weights)
        return float(self.loss(margins, targets, weights=weights, **self.options))

    def probabilities(self, margins):
        """Class (or positive) probabilities from raw margins: the softmax of each row for a
        softmax loss, else the sigmoid of each margin (for ZLPR a score whose 0.5 is its
        decision threshold, the margin 0)."""
        margins = np.asarray(margins, dtype=np.float64)
        if self.layout == "classes":
            shifted = np.exp(margins - margins.max(axis=-1, keepdims=True))
            return shifted / shifted.sum(axis=-1, keepdims=True)
        return 0.5 * (1 + np.tanh(0.5 * margins))  # the sigmoid, without overflow

    def prior(self, labels, weights=None, *, num_classes=None):
        """The starting margin from the (weighted) training labels: the log prior of each
        class, or the log-odds of each output's positive rate (:func:`~imbalance_losses.core.derivatives.prior_margin`)."""
        labels = np.asarray(labels)
        w = np.ones(labels.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        if self.layout == "classes":
            size = int(labels.max()) + 1 if num_classes is None else num_classes
            return prior_margin(np.bincount(labels.astype(np.int64).reshape(-1), weights=w, minlength=size))
        positives = labels.reshape(labels.shape[0], -1).astype(np.float64)
        return prior_margin(w @ positives, num_samples=float(np.sum(w)))

    def initial_margins(self, labels, weights=None, *, num_classes=None):
        """:meth:`prior` repeated for every sample: ``init_score`` / ``base_margin``, shaped as the margins."""
        prior = self.prior(labels, weights, num_classes=num_classes)
        n = np.asarray(labels).shape[0]
        if self.layout == "binary" and np.asarray(labels).ndim == 1:
            return np.full(n, prior[0])
        return np.tile(prior, (n, 1))
