"""A loss as one closed-form term on prepared arrays, then weighted.

Most losses end the same way: a :class:`~.autodiff.ClosedForm` term of the
(possibly transformed) logits, NaN where an integer label was out of range, and
the element weights with a reduction. :class:`WeightedTerm` is that ending,
written once. Its :meth:`~WeightedTerm.reduce` gives the loss; given
``reduction=Derivatives(hessian)`` instead of a reduction name, it gives the
per-element gradient and Hessian diagonal of the weighted sum with respect to the
logits, from the term's closed-form derivative and curvature — what
:func:`~.derivatives.loss_derivatives` returns for a boosting library. The loss's
own option checks run unchanged, so both answers agree on what the options mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .autodiff import ClosedForm
from .common import LossCall, combine_weights, reduce_loss
from .validation import check_choice

HESSIANS = ("exact", "clipped", "fisher")


@dataclass(frozen=True)
class Derivatives:
    """The ``reduction`` that asks a loss for its per-element derivatives (internal)."""

    hessian: str = "fisher"

    def __post_init__(self):
        check_choice("hessian", self.hessian, HESSIANS)


class PreparedTerm:
    """The ``reduction`` that asks a loss for its :class:`WeightedTerm` itself, unreduced
    (internal): a per-sample kernel reads the prepared logits and options once
    (:class:`imbalance_losses._boosting.RowDerivatives`)."""


@dataclass(frozen=True, eq=False)
class WeightedTerm:
    """A closed-form term on prepared arrays and the weights of its elements.

    ``x`` is the term's input: the logits (class axis last for a rowwise term),
    possibly after an affine map (per class or per element) whose factor is
    ``slope`` (None: 1), so that the chain rule is one product (the offset of the map
    has no derivative). ``factor`` is a part of the loss that multiplies the term
    (constant in the logits, not counted by the mean); ``addend`` is added to each
    element after it: a term of value 0 that carries the gradient of an array option
    (Balanced MSE's learnable noise variance), never the logits'; ``weights`` multiply the
    term's per-element values (None: 1); ``norm_weights`` are the mean's
    denominator where it differs; ``targets`` (a
    :class:`~.targets.ClassTargets`) poison out-of-range labels; ``axis`` is the
    class axis of the caller's logits, where the derivatives go back to.
    """

    call: LossCall
    term: ClosedForm
    x: Any
    arrays: tuple
    static: dict
    weights: Any = None
    norm_weights: Any = None
    targets: Any = None
    slope: Any = None
    factor: Any = None
    addend: Any = None
    axis: int = -1

    def reduce(self, reduction, replica_sum=None):
        """The loss with ``reduction`` (or its derivatives for :class:`Derivatives`)."""
        if isinstance(reduction, Derivatives):
            return self.derivatives(reduction.hessian)
        if isinstance(reduction, PreparedTerm):
            return self
        loss = self.term(self.call, self.x, *self.arrays, **self.static)
        if self.factor is not None:
            loss = self.factor * loss
        if self.addend is not None:
            loss = loss + self.addend
        # Targets that can poison a reduced loss as a whole do so (cheaper than per element).
        whole = reduction != "none" and hasattr(self.targets, "poisoned_reduction")
        if self.targets is not None and not whole:
            loss = self.targets.poisoned(loss)
        reduced = reduce_loss(self.call, loss, self.weights, reduction, norm_weights=self.norm_weights,
                              replica_sum=replica_sum)
        return self.targets.poisoned_reduction(reduced, replica_sum) if whole else reduced

    def derivatives(self, hessian: str):
        r"""``(gradient, hessian)`` of :math:`\sum_i w_i f_i` with respect to each logit.

        Both have the shape of the logits. ``hessian="clipped"`` is the exact diagonal
        with negative values set to 0; ``"fisher"`` the term's positive form (equal to
        the exact one for a convex term).
        """
        xp, term = self.call.xp, self.term
        _, saved = term.forward(xp, self.x, *self.arrays, **self.static)
        gradient = term.derivative(xp, self.x, *self.arrays, saved=saved, **self.static)
        curvature = term.curvature(xp, self.x, *self.arrays, saved=saved, fisher=hessian == "fisher", **self.static)
        if hessian == "clipped":
            curvature = xp.maximum(curvature, 0.0)
        if self.slope is not None:
            gradient, curvature = gradient * self.slope, curvature * (self.slope * self.slope)
        weights = combine_weights(self.factor, self.weights)
        poison = None if self.targets is None else self.targets.poison
        if poison is not None:
            weights = poison + (1.0 if weights is None else weights)
        if weights is not None:
            weights = weights[..., None] if term.rowwise else weights
            gradient, curvature = gradient * weights, curvature * weights
        if term.rowwise and self.axis % (self.x.ndim) != self.x.ndim - 1:
            gradient, curvature = (xp.moveaxis(a, -1, self.axis) for a in (gradient, curvature))
        return self.call.finish(gradient), self.call.finish(curvature)
