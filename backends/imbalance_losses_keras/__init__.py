"""Keras 3 losses for every imbalance_losses loss, on the TensorFlow, JAX and PyTorch backends.

A layer above the core: each class is a ``keras.losses.Loss`` that converts its
inputs, passes ``sample_weight`` as the core's ``weights`` and calls the core
function (whose arrays are those of the active Keras backend). The reduction is
the core's (``"mean"`` is the one weighted-mean rule of imbalance_losses, not
Keras' ``sum_over_batch_size``), and the class axis is last. ``get_config`` /
``from_config`` round-trip, and GHM's moving-average state lives in a
non-trainable ``keras.Variable``.

>>> import keras
>>> from imbalance_losses_keras import SoftmaxFocalLoss
>>> model = keras.Sequential([keras.layers.Dense(3)])
>>> model.compile(optimizer="sgd", loss=SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]))
"""

from __future__ import annotations

import re

import keras
from keras import ops

# Keras' own rule under tf.distribute (scalar losses times 1/num_replicas, since
# gradients are summed over replicas); Keras exports no public alias for it.
from keras.src.losses.loss import scale_loss_for_distribution

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


def _snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


class _CoreLoss(keras.losses.Loss):
    """Wires one core function; options are its keyword options (JSON-serialisable)."""

    function = None
    index_targets = False  # targets may be class indices (softmax family, sparse ZLPR)
    # How many trailing axes of y_pred the loss reduces away (the class axis of the
    # softmax family and ZLPR): sample_weight is expanded to the rest.
    reduced_axes = 0

    def __init__(self, name=None, dtype=None, **options):
        self.options = loss_options(type(self).__name__, self.function, options)
        super().__init__(name=name or _snake_case(type(self).__name__), reduction=self.options["reduction"], dtype=dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = self._as_targets(ops.convert_to_tensor(y_true), y_pred)
        weights = None
        if sample_weight is not None:
            weights = ops.convert_to_tensor(sample_weight, dtype=y_pred.dtype)
            element_rank = len(y_pred.shape) - self.reduced_axes
            while len(weights.shape) < element_rank:
                weights = ops.expand_dims(weights, -1)
        loss = self.call(y_true, y_pred, weights)
        return scale_loss_for_distribution(loss) if len(loss.shape) == 0 else loss

    def call(self, y_true, y_pred, weights=None):
        return type(self).function(y_pred, y_true, **self.options, weights=weights)

    def _as_targets(self, y_true, y_pred):
        """Class indices as Keras hands them over: possibly float, possibly with a trailing 1.

        As Keras' sparse losses do, a trailing axis of size 1 is dropped and float
        indices become int32 (only where indices are expected: shape of y_pred
        without the class axis, or positive-index lists for the sparse ZLPR).
        """
        if not self.index_targets:
            return y_true
        rank = len(y_pred.shape)
        if len(y_true.shape) == rank and y_true.shape[-1] == 1 and y_pred.shape[-1] != 1 and self.reduced_axes:
            y_true = ops.squeeze(y_true, axis=-1)
        if len(y_true.shape) == rank - 1 or type(self).function is il.sparse_multilabel_categorical_crossentropy:
            if "float" in str(y_true.dtype):
                y_true = ops.cast(y_true, "int32")
        return y_true

    def get_config(self):
        # A replica_sum hook is a function, not configuration: pass it again after loading.
        return {**super().get_config(), **{k: v for k, v in self.options.items() if k != "replica_sum"}}


class _GHMLoss(_CoreLoss):
    """GHM with its EMA state in a non-trainable variable, updated at every call."""

    def __init__(self, name=None, dtype=None, **options):
        super().__init__(name=name, dtype=dtype, **options)
        if self.options["momentum"] > 0 and keras.backend.backend() == "jax":
            msg = (
                f"{type(self).__name__}(momentum={self.options['momentum']}) cannot keep its moving-average "
                "state on Keras' JAX backend: the JAX trainer computes the loss in a stateless scope and "
                "discards variable updates made there, so the state would silently stay zero. Use "
                "momentum=0 (mmdetection's default), or call imbalance_losses.ghm_c_loss / ghm_r_loss with "
                "an explicit state in your own JAX train step."
            )
            raise NotImplementedError(msg)
        self.state = keras.Variable(ops.zeros((self.options["bins"],)), trainable=False, dtype="float32",
                                    name=f"{self.name}_state")

    def call(self, y_true, y_pred, weights=None):
        loss, state = type(self).function(y_pred, y_true, **self.options, weights=weights, state=self.state.value)
        self.state.assign(ops.cast(state, self.state.dtype))
        return loss


def _loss(name, function, base=_CoreLoss, reduced_axes=0):
    index_targets = reduced_axes == 1 and function is not il.multilabel_categorical_crossentropy
    doc = (f"Keras loss for :func:`imbalance_losses.{function.__name__}`; options are that "
           f"function's keyword options, ``call(y_true, y_pred, sample_weight=None)``.")
    cls = type(name, (base,), {"function": staticmethod(function), "reduced_axes": reduced_axes,
                               "index_targets": index_targets,
                               "__doc__": doc, "__module__": __name__})
    return keras.saving.register_keras_serializable(package="imbalance_losses")(cls)


SigmoidCrossEntropyLoss = _loss("SigmoidCrossEntropyLoss", il.sigmoid_cross_entropy)
SigmoidFocalLoss = _loss("SigmoidFocalLoss", il.sigmoid_focal_loss)
HardTruncatedLoss = _loss("HardTruncatedLoss", il.hard_truncated_loss)
SoftTruncatedLoss = _loss("SoftTruncatedLoss", il.soft_truncated_loss)
GHMCLoss = _loss("GHMCLoss", il.ghm_c_loss, base=_GHMLoss)
GHMRLoss = _loss("GHMRLoss", il.ghm_r_loss, base=_GHMLoss)
DiceLoss = _loss("DiceLoss", il.dice_loss)
MultilabelCategoricalCrossEntropyLoss = _loss(
    "MultilabelCategoricalCrossEntropyLoss", il.multilabel_categorical_crossentropy, reduced_axes=1)
SparseMultilabelCategoricalCrossEntropyLoss = _loss(
    "SparseMultilabelCategoricalCrossEntropyLoss", il.sparse_multilabel_categorical_crossentropy, reduced_axes=1)
SoftmaxCrossEntropyLoss = _loss("SoftmaxCrossEntropyLoss", il.softmax_cross_entropy, reduced_axes=1)
SoftmaxFocalLoss = _loss("SoftmaxFocalLoss", il.softmax_focal_loss, reduced_axes=1)
SoftTruncatedSoftmaxLoss = _loss("SoftTruncatedSoftmaxLoss", il.soft_truncated_softmax_loss, reduced_axes=1)
LogitAdjustedCrossEntropyLoss = _loss("LogitAdjustedCrossEntropyLoss", il.logit_adjusted_cross_entropy, reduced_axes=1)
SoftmaxDiceLoss = _loss("SoftmaxDiceLoss", il.softmax_dice_loss, reduced_axes=1)
