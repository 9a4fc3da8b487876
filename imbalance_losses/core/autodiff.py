"""Closed-form gradients: a loss term's forward and its derivative, written once.

A :class:`ClosedForm` is a per-element loss term ``f(x, *arrays)`` of the logits
``x`` (other arrays — targets, class vectors — carry no gradient) together with
its derivative ``df/dx``, both in array-API code, side by side in the loss's
family module. Each framework adapter wires the pair into its own autodiff
(``adapter.closed_form``): a ``torch.autograd.Function``, a ``jax.custom_jvp``,
a ``tf.custom_gradient``; host arrays (NumPy, array-api-strict) just run the
forward. Weights, the mean's denominator and ``replica_sum`` stay outside, in
ordinary (autodiffed) array-API code on per-element arrays, so one derivative
serves every ``reduction``.

A term is *elementwise* (``f`` has the shape of ``x``: ``df/dx`` is the diagonal
of the Jacobian) or *rowwise* (``f`` drops the last, class, axis of ``x``: ``df/dx``
has the shape of ``x`` and is the gradient of each row's value). Either way the
vector-Jacobian product is ``g * df/dx`` (``g`` broadcast over the class axis)
and the Jacobian-vector product ``df/dx * dx`` (summed over the class axis).

The forward returns ``(value, saved)``: ``saved`` are per-row statistics the
derivative reuses (a log-sum-exp), never logits-sized arrays; the derivative is
recomputed from the inputs and ``saved``, so it stays differentiable and
second derivatives (Hessian-vector products, ``jax.hessian``, nested tapes) are
exact. An elementwise term whose value and derivative share most of their work may
also give both at once (``value_and_derivative``): an eager framework (PyTorch) then
computes the derivative in the forward pass and keeps it, one logits-sized array,
instead of recomputing the intermediates, and still recomputes it differentiably for
a second derivative. Options that are Python values (``gamma``, flags) are static.

A term that is a sum of per-sample parts may also carry its *curvature*, the
diagonal of the Hessian ``d^2 f/dx^2`` (for a rowwise term, ``d^2 f/dx_j^2`` per
class), in closed form beside the derivative: the second half of what a
gradient-boosting library asks of an objective (see :mod:`.derivatives`). Where
the exact curvature can be negative it also gives a positive one (``fisher``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class ClosedForm:
    """A loss term and its closed-form derivative (see the module docstring)."""

    name: str
    forward: Callable  # forward(xp, x, *arrays, **static) -> (value, saved)
    rowwise: bool
    derivative: Callable | None = None  # derivative(xp, x, *arrays, saved=saved, **static) -> df/dx
    # curvature(xp, x, *arrays, saved=saved, fisher=bool, **static) -> diagonal of d2f/dx2
    curvature: Callable | None = None
    # value_and_derivative(xp, x, *arrays, **static) -> (f, df/dx), sharing their intermediates
    value_and_derivative: Callable | None = None
    takes_row_scale: bool = False  # whether the derivative takes `row_scale` (see defderivative)

    def defderivative(self, derivative: Callable) -> ClosedForm:
        """Attach the derivative (decorator, as ``jax.custom_jvp.defjvp``). A rowwise term's
        derivative may take ``row_scale``, a per-row factor (the upstream gradient) it
        applies to its per-row weights before forming the (..., C) result: an eager
        framework then makes the vector-Jacobian product in one pass fewer."""
        object.__setattr__(self, "derivative", derivative)
        object.__setattr__(self, "takes_row_scale", "row_scale" in inspect.signature(derivative).parameters)
        return self

    def defcurvature(self, curvature: Callable) -> ClosedForm:
        """Attach the Hessian diagonal (decorator); ``fisher=True`` asks for its positive form."""
        object.__setattr__(self, "curvature", curvature)
        return self

    def defvalueandderivative(self, value_and_derivative: Callable) -> ClosedForm:
        """Attach the value and derivative computed together (decorator), for an elementwise
        term whose two share most of their work. An eager framework, which runs each array
        operation as its own kernel, then computes both in the forward pass and keeps the
        derivative (one logits-sized array) instead of recomputing its intermediates in
        the backward pass: fewer kernels and bytes moved, one array kept."""
        object.__setattr__(self, "value_and_derivative", value_and_derivative)
        return self

    def __call__(self, call, x, *arrays, **static):
        """The term's value at ``x``, differentiable through the adapter's wiring.

        Arrays that are None are left out of what the adapter sees (and put back
        for the term), so every framework receives only arrays.
        """
        present = tuple(a is not None for a in arrays)
        given = tuple(a for a in arrays if a is not None)
        key = (self, present, tuple(static.items()))
        return call.backend.adapter.closed_form(key, call.xp, x, given)

    def value(self, xp, x, arrays, present, static):
        return self.forward(xp, x, *_with_none(arrays, present), **dict(static))

    @staticmethod
    def arguments(arrays, present):
        """The term's array arguments with the absent ones back as None."""
        return _with_none(arrays, present)

    def gradient(self, xp, x, arrays, present, static, saved, **row_scale):
        return self.derivative(xp, x, *_with_none(arrays, present), saved=saved, **row_scale, **dict(static))

    def value_and_gradient(self, xp, x, arrays, present, static):
        return self.value_and_derivative(xp, x, *_with_none(arrays, present), **dict(static))


def _with_none(arrays, present):
    given = iter(arrays)
    return tuple(next(given) if p else None for p in present)


def closed_form(name: str, *, rowwise: bool = False) -> Callable[[Callable], ClosedForm]:
    """Decorator making a forward ``(xp, x, *arrays, **static) -> (value, saved)`` a
    :class:`ClosedForm`; attach its derivative with ``@term.defderivative``."""

    def make(forward: Callable) -> ClosedForm:
        return ClosedForm(name, forward, rowwise)

    return make


def apply_forward(key, xp, x, arrays):
    """The value of a closed-form term without gradient wiring (host arrays)."""
    op, present, static = key
    return op.value(xp, x, arrays, present, static)[0]
