"""``torch.nn`` modules for every imbalance_losses loss.

A layer above the core, built from the table in ``imbalance_losses._layers``:
each module holds its options, keeps array options (class weights, alpha,
prior, pos_weight) as buffers so that ``.to()`` moves them and ``state_dict``
saves them, keeps the state of a stateful loss (GHM's moving average,
Seesaw's class counts, EQLv2's and EFL's gradient sums) as the buffer ``state``, holds
trainable options (Balanced MSE's noise sigma; AUC-margin's a, b and alpha, alpha's
gradient reversed) as parameters, and calls the core function. No loss math lives here. As in
``nn.CrossEntropyLoss``, the class axis of the softmax family is 1 and
``ignore_index`` defaults to -100.

>>> import torch
>>> from imbalance_losses.torch import SoftmaxFocalLoss
>>> criterion = SoftmaxFocalLoss(gamma=2.0, alpha=[0.25, 0.75])
>>> criterion(torch.zeros(4, 2, requires_grad=True), torch.tensor([0, 1, 1, -100])).shape
torch.Size([])
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from . import _layers
from .core.dispatch import adapter_for

# The hooks of the torch adapter (installed, or bundled in a vendored copy).
replica_sum = adapter_for("torch").replica_sum
replica_gather = adapter_for("torch").replica_gather

# As nn.CrossEntropyLoss: the class axis is 1 and ignore_index is -100.
_CLASS_DEFAULTS = {"axis": 1, "ignore_index": -100}
_USAGE = ("Options are keyword-only, as below; ``forward(input, target, weights=None)`` returns the "
          "loss{state}. Array options are buffers (moved by ``.to()``, saved in ``state_dict``).")


def _is_array_option(value) -> bool:
    """Per-class or per-element values, held as buffers; scalars, flags, hooks and groups of
    arrays (Balanced MSE's ``gmm`` triple, per-axis ``bin_edges``: the core converts them on
    each call) stay attributes."""
    if isinstance(value, (list, tuple)) and not all(isinstance(v, numbers.Number) for v in value):
        return False
    return value is not None and not isinstance(value, (numbers.Number, str)) and not callable(value)


class _LossModule(nn.Module):
    """Wires one core function: options bound at construction, array options as buffers."""

    loss: _layers.LossClass  # the table row, set on each generated class

    def __init__(self, **options):
        super().__init__()
        defaults = _CLASS_DEFAULTS if self.loss.layout == _layers.CLASSES else None
        values = self.loss.bind(options, defaults)
        trained = {trainable.option for trainable in self.loss.trainable}
        self._buffer_options = [name for name, value in values.items()
                                if _is_array_option(value) and name not in trained]
        for name in self._buffer_options:
            # as_tensor keeps the dtype of tensors and NumPy arrays (float64 class weights stay
            # float64); Python sequences get torch's default float dtype.
            value = torch.as_tensor(values.pop(name))
            self.register_buffer(name, value if value.is_floating_point() else value.to(torch.get_default_dtype()))
        for trainable in self.loss.trainable:
            start = trainable.initial_weight(values.pop(trainable.option))
            self.register_parameter(trainable.weight,
                                    nn.Parameter(torch.as_tensor(start, dtype=torch.get_default_dtype())))
        self.options = values
        if self.loss.stateful:
            # All zeros until the first batch: each stateful loss reads zeros as "nothing seen yet".
            self.register_buffer("state", torch.zeros(self.loss.state_size(values)))

    def _apply(self, fn, recurse=True):
        # The state and the array options (counts, priors, class weights) are not weights
        # to train in low precision: `.half()` of a model holding this loss (Lightning's
        # "16-true") would turn Seesaw counts above 65504 into inf and round priors. A
        # narrowing cast leaves them as they were, moved to the new device; a widening one
        # (`.double()`) is exact and applies.
        kept = {name: buffer for name, buffer in self._buffers.items()
                if buffer is not None and buffer.is_floating_point()}
        super()._apply(fn, recurse)
        for name, before in kept.items():
            after = self._buffers[name]
            if after.dtype != before.dtype and torch.finfo(after.dtype).bits <= torch.finfo(before.dtype).bits:
                self._buffers[name] = before.to(after.device)
        return self

    def forward(self, input, target, weights=None):
        options = self.loss.function_options(
            {**self.options, **{name: getattr(self, name) for name in self._buffer_options}})
        for trainable in self.loss.trainable:
            weight = getattr(self, trainable.weight)
            if trainable.ascended and self.training and torch.is_grad_enabled():
                with torch.no_grad():  # the projection onto >= 0 after the last optimiser step
                    weight.clamp_(min=0)
            options[trainable.option] = trainable.option_value(weight, torch.Tensor.detach)
        if not self.loss.stateful:
            return self.loss.function(input, target, **options, weights=weights)
        self.loss.check_state_size(input, self.options)
        loss, state = self.loss.function(input, target, **options, weights=weights, state=self.state)
        # The state advances on training steps only (mmdetection accumulates while
        # training): evaluation in eval() mode or under no_grad() reads it unchanged.
        if self.training and torch.is_grad_enabled():
            with torch.no_grad():
                self.state.copy_(state)
        return loss

    def extra_repr(self):
        shown = dict(self.options)
        shown.update({name: tuple(getattr(self, name).shape) for name in self._buffer_options})
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


def _module_class(row: _layers.LossClass) -> type:
    defaults = _CLASS_DEFAULTS if row.layout == _layers.CLASSES else None

    def __init__(self, **options):
        _LossModule.__init__(self, **options)

    __init__.__signature__ = row.signature(defaults)
    __init__.__qualname__ = f"{row.name}.__init__"
    state = " and keeps its state in the ``state`` buffer" if row.stateful else ""
    doc = row.docstring("``torch.nn``", _USAGE.format(state=state))
    return type(row.name, (_LossModule,), {"loss": row, "__init__": __init__, "__doc__": doc,
                                           "__module__": __name__})


_CLASSES = _layers.build(_module_class)
globals().update(_CLASSES)

__all__ = [*sorted(_CLASSES), "replica_gather", "replica_sum"]
