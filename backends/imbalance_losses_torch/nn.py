"""``torch.nn`` loss modules for every imbalance_losses loss.

A layer above the core: each module holds its options, keeps per-class vectors
(class weights, alpha, prior, pos_weight) as buffers so that ``.to()`` moves them
and ``state_dict`` saves them, keeps GHM's moving-average state as a buffer, and
calls the core function. No loss math lives here. As in ``nn.CrossEntropyLoss``,
the class axis of the softmax family is 1 and ``ignore_index`` defaults to -100.

>>> import torch
>>> from imbalance_losses_torch.nn import SoftmaxFocalLoss
>>> criterion = SoftmaxFocalLoss(gamma=2.0, alpha=[0.25, 0.75])
>>> criterion(torch.zeros(4, 2, requires_grad=True), torch.tensor([0, 1, 1, -100])).shape
torch.Size([])
"""

from __future__ import annotations

import torch
from torch import nn

import imbalance_losses as il
from imbalance_losses._validation import loss_options

__all__ = [
    "DiceLoss",
    "GHMCLoss",
    "GHMRLoss",
    "HardTruncatedLoss",
    "LogitAdjustedCrossEntropyLoss",
    "MultilabelCategoricalCrossEntropyLoss",
    "SigmoidCrossEntropyLoss",
    "SigmoidFocalLoss",
    "SoftTruncatedLoss",
    "SoftTruncatedSoftmaxLoss",
    "SoftmaxCrossEntropyLoss",
    "SoftmaxDiceLoss",
    "SoftmaxFocalLoss",
    "SparseMultilabelCategoricalCrossEntropyLoss",
]

# Options that are per-class (or broadcastable) vectors: held as float buffers.
_VECTOR_OPTIONS = ("class_weights", "alpha", "prior", "pos_weight")


class _CoreLoss(nn.Module):
    """Wires one core function: options from its signature, vectors as buffers."""

    function = None
    class_axis_first = False  # softmax family: axis=1 and ignore_index=-100 by default

    def __init__(self, **options):
        super().__init__()
        # As nn.CrossEntropyLoss: the class axis is 1 and ignore_index is -100.
        defaults = {"axis": 1, "ignore_index": -100} if self.class_axis_first else None
        values = loss_options(type(self).__name__, self.function, options, defaults)
        self._vector_names = []
        for name in _VECTOR_OPTIONS:
            value = values.get(name)
            if name in values and value is not None and not isinstance(value, (int, float)):
                self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))
                self._vector_names.append(name)
                del values[name]
        self.options = values

    def _call_options(self):
        return {**self.options, **{name: getattr(self, name) for name in self._vector_names}}

    def forward(self, input, target, weights=None):
        return type(self).function(input, target, **self._call_options(), weights=weights)

    def extra_repr(self):
        shown = {k: v for k, v in self.options.items()}
        shown.update({name: tuple(getattr(self, name).shape) for name in self._vector_names})
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


class _GHMLoss(_CoreLoss):
    """GHM with its EMA state in a registered buffer (saved, moved, updated in forward)."""

    def __init__(self, **options):
        super().__init__(**options)
        # All zeros until the first batch (bias correction starts from that batch's counts).
        self.register_buffer("state", torch.zeros(self.options["bins"]))

    def forward(self, input, target, weights=None):
        loss, state = type(self).function(input, target, **self._call_options(), weights=weights, state=self.state)
        with torch.no_grad():
            self.state.copy_(state)
        return loss


def _module(name, function, base=_CoreLoss, class_axis_first=False):
    doc = (f"``torch.nn`` module for :func:`imbalance_losses.{function.__name__}`.\n\n"
           f"Options are the keyword options of that function"
           + (" (``axis=1`` and ``ignore_index=-100`` by default)" if class_axis_first else "")
           + "; ``forward(input, target, weights=None)``.")
    return type(name, (base,), {"function": staticmethod(function), "class_axis_first": class_axis_first,
                                "__doc__": doc, "__module__": __name__})


SigmoidCrossEntropyLoss = _module("SigmoidCrossEntropyLoss", il.sigmoid_cross_entropy)
SigmoidFocalLoss = _module("SigmoidFocalLoss", il.sigmoid_focal_loss)
HardTruncatedLoss = _module("HardTruncatedLoss", il.hard_truncated_loss)
SoftTruncatedLoss = _module("SoftTruncatedLoss", il.soft_truncated_loss)
GHMCLoss = _module("GHMCLoss", il.ghm_c_loss, base=_GHMLoss)
GHMRLoss = _module("GHMRLoss", il.ghm_r_loss, base=_GHMLoss)
DiceLoss = _module("DiceLoss", il.dice_loss)
MultilabelCategoricalCrossEntropyLoss = _module("MultilabelCategoricalCrossEntropyLoss", il.multilabel_categorical_crossentropy)
SparseMultilabelCategoricalCrossEntropyLoss = _module(
    "SparseMultilabelCategoricalCrossEntropyLoss", il.sparse_multilabel_categorical_crossentropy)
SoftmaxCrossEntropyLoss = _module("SoftmaxCrossEntropyLoss", il.softmax_cross_entropy, class_axis_first=True)
SoftmaxFocalLoss = _module("SoftmaxFocalLoss", il.softmax_focal_loss, class_axis_first=True)
SoftTruncatedSoftmaxLoss = _module("SoftTruncatedSoftmaxLoss", il.soft_truncated_softmax_loss, class_axis_first=True)
LogitAdjustedCrossEntropyLoss = _module("LogitAdjustedCrossEntropyLoss", il.logit_adjusted_cross_entropy, class_axis_first=True)
SoftmaxDiceLoss = _module("SoftmaxDiceLoss", il.softmax_dice_loss, class_axis_first=True)
