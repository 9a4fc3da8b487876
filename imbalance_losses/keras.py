"""Keras 3 losses for every imbalance_losses loss, on the TensorFlow, JAX and PyTorch backends.

A layer above the core, built from the table in ``imbalance_losses._layers``:
each class is a ``keras.losses.Loss`` that converts its inputs as native Keras
losses do and calls the core function, whose arrays are those of the active
Keras backend. As native losses, it honours the Keras mask of ``y_pred``
(padding of a ``mask_zero`` sequence model), squeezes or expands ``y_true`` and
``sample_weight`` to the prediction's rank, and casts ``y_pred`` to the loss
``dtype`` (float32 under mixed precision). Mask and ``sample_weight`` become the
core's element ``weights``, so ``"mean"`` is the one weighted-mean rule of
imbalance_losses (equal to Keras' for 0/1 masks). The class axis is last.
``get_config`` is JSON (NumPy options become lists) and keeps ``replica_sum`` (and ``replica_gather``)
and the current state of a stateful loss (GHM, Seesaw, EQLv2, EFL), which lives in
a non-trainable ``keras.Variable``. Trainable options (Balanced MSE's noise sigma;
AUC-margin's a, b and alpha, alpha's gradient reversed and kept non-negative by a
constraint) are trainable variables, listed by ``trainable_weights``: assign them to
the model so that ``fit`` trains them.

>>> import keras
>>> from imbalance_losses.keras import SoftmaxFocalLoss
>>> model = keras.Sequential([keras.layers.Dense(3)])
>>> model.compile(optimizer="sgd", loss=SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]))
"""

from __future__ import annotations

import inspect
import re

import keras
import numpy as np
from keras import ops

# Keras exports no public alias for these: the mask Keras attaches to a layer's
# output, Keras' own rule under tf.distribute (scalar losses times 1/replicas, as
# gradients are summed over replicas), and whether a (JAX) trainer computes the
# loss in a stateless scope that discards variable updates (outside the symbolic
# scope in which Keras only builds output shapes).
from keras.src.backend import get_keras_mask
from keras.src.backend.common.stateless_scope import in_stateless_scope
from keras.src.backend.common.symbolic_scope import in_symbolic_scope
from keras.src.losses.loss import scale_loss_for_distribution

from . import _layers
from .core.dispatch import adapter_for, replica_hook_from_config

# Options holding functions over replicas: saved by name in a config, not as values.
_HOOKS = ("replica_sum", "replica_gather")
_USAGE = ("Options are keyword-only, as below, plus Keras' ``name`` and ``dtype``; "
          "``loss(y_true, y_pred, sample_weight=None)``, class axis last.{state}")


def _snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def _config_value(value):
    """An option as JSON: arrays and NumPy scalars become lists and Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_config_value(v) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # NumPy or backend arrays, NumPy scalars
        return np.asarray(ops.convert_to_numpy(value) if not isinstance(value, (np.ndarray, np.generic)) else value).tolist()
    return value


def _hook_config(hook):
    """``replica_sum`` or ``replica_gather`` in a config: our adapters' hooks by name, other functions as Keras serialises them."""
    if hook is None:
        return None
    config = getattr(hook, "config", None)
    if config is not None:
        return {"imbalance_losses_hook": config}
    return keras.saving.serialize_keras_object(hook)


def _hook_from_config(config):
    if config is None or callable(config):
        return config
    if "imbalance_losses_hook" in config:
        return replica_hook_from_config(config["imbalance_losses_hook"])
    return keras.saving.deserialize_keras_object(config)


def _to_rank(x, rank):
    """Keras' rule: drop a trailing axis of size 1, or add trailing axes, to reach ``rank``."""
    if len(x.shape) == rank + 1 and x.shape[-1] == 1:
        return ops.squeeze(x, axis=-1)
    while len(x.shape) < rank:
        x = ops.expand_dims(x, -1)
    return x


def _computing_gradients(y_pred) -> bool:
    """Whether the loss is being computed for a gradient, as in ``fit``'s training step and
    unlike ``evaluate``, ``predict`` or validation: a recording ``GradientTape`` (TensorFlow),
    grad mode (PyTorch; Keras evaluates under ``no_grad``) or a JAX differentiation trace."""
    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        return torch.is_grad_enabled()
    # TensorFlow and JAX say it through internal modules only; where a release moves them,
    # every call counts as a training step (the state advances, as before this check).
    try:
        if backend == "tensorflow":
            from tensorflow.python.eager import record

            return record.could_possibly_record()
        if backend == "jax":
            from jax._src.interpreters import ad

            tracers = tuple(getattr(ad, name) for name in ("JVPTracer", "LinearizeTracer") if hasattr(ad, name))
            return isinstance(y_pred, tracers)
    except ImportError:
        pass
    return True


def _strategy_replica_sum():
    """The all-reduce of the current ``tf.distribute`` replica context, or None outside one
    (other backends, no strategy, one replica)."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return replica_sum()


class _KerasLoss(keras.losses.Loss):
    """Wires one core function; inputs converted and weighted as native Keras losses do."""

    loss: _layers.LossClass  # the table row, set on each generated class

    def __init__(self, *, name=None, dtype=None, **options):
        initial_state = options.pop("state", None) if self.loss.stateful else None
        values = self.loss.bind(options)
        initial = {t.weight: t.initial_weight(values.pop(t.option)) for t in self.loss.trainable}
        for hook in _HOOKS:
            if hook in values:
                values[hook] = _hook_from_config(values[hook])
        self.options = {k: (v if k in _HOOKS else _config_value(v)) for k, v in values.items()}
        super().__init__(name=name or _snake_case(type(self).__name__), reduction=values["reduction"], dtype=dtype)
        for trainable in self.loss.trainable:
            # Keras trains the variables of the model's layers: assign them to the model (see the docs).
            variable = keras.Variable(initial[trainable.weight], trainable=True, dtype="float32", autocast=False,
                                      name=f"{self.name}_{trainable.weight}")
            if trainable.ascended:  # projected after each optimiser step
                variable.constraint = keras.constraints.NonNeg()
            setattr(self, trainable.weight, variable)
        if self.loss.stateful:
            start = ops.zeros(self.loss.state_size(values)) if initial_state is None else ops.convert_to_tensor(initial_state)
            # At least float32 and float64 where given, whatever the dtype policy (counts past
            # 65504 are not float16 numbers); never autocast. Under a tf.distribute strategy
            # every replica assigns the same (all-reduced) value: the first replica's is kept.
            dtype = "float64" if "float64" in str(start.dtype) else "float32"
            self.state = keras.Variable(start, trainable=False, dtype=dtype, autocast=False,
                                        aggregation="only_first_replica", name=f"{self.name}_state")

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = self._targets(ops.convert_to_tensor(y_true), y_pred)
        weights = self._weights(sample_weight, mask, y_pred)
        loss = self.call(y_true, y_pred, weights)
        return scale_loss_for_distribution(loss) if len(loss.shape) == 0 else loss

    def call(self, y_true, y_pred, weights=None):
        function = self.loss.function
        options = self.loss.function_options(self.options)
        for trainable in self.loss.trainable:
            weight = ops.cast(getattr(self, trainable.weight).value, y_pred.dtype)
            options[trainable.option] = trainable.option_value(weight, ops.stop_gradient)
        if not self.loss.stateful:
            return function(y_pred, y_true, **options, weights=weights)
        self.loss.check_state_size(y_pred, self.options)
        carries = self.loss.carries_state(self.options)
        # The state advances on training steps only: where Keras takes a gradient of the loss
        # (fit's train step), never in evaluate, predict or fit's validation.
        training = carries and not in_symbolic_scope() and _computing_gradients(y_pred)
        if training and in_stateless_scope():
            msg = (
                f"{type(self).__name__} cannot keep its state here: this Keras trainer (the JAX backend's) "
                "computes the loss in a stateless scope and discards variable updates made in it, so the "
                f"state would silently stay as it is. Call imbalance_losses.{function.__name__} with an "
                "explicit state in your own JAX train step"
                + (", or train with momentum=0 (mmdetection's default)" if "momentum" in self.options else "")
                + ". Evaluation, prediction and loading a saved model work on this backend."
            )
            raise NotImplementedError(msg)
        if carries and options.get("replica_sum") is None:
            # Under a tf.distribute strategy the state counts the global batch, as one process
            # would: the strategy's all-reduce, which also makes the loss the global batch's.
            options["replica_sum"] = _strategy_replica_sum()
        loss, state = function(y_pred, y_true, **options, weights=weights, state=self.state.value)
        if training:
            self.state.assign(ops.cast(state, self.state.dtype))
        return loss

    def save_own_variables(self, store):
        """The state is saved with the model's weights: Keras walks the compiled loss in
        ``save_weights``, ``ModelCheckpoint(save_weights_only=True)``, ``BackupAndRestore``
        and ``model.save``."""
        if self.loss.stateful:
            store["state"] = ops.convert_to_numpy(self.state.value)
        for trainable in self.loss.trainable:
            store[trainable.weight] = ops.convert_to_numpy(getattr(self, trainable.weight).value)

    def load_own_variables(self, store):
        """Restores the state saved by :meth:`save_own_variables`; a weights file without one
        (saved before the model was compiled) leaves it as it is."""
        if self.loss.stateful and "state" in store.keys():
            self.state.assign(ops.cast(ops.convert_to_tensor(np.asarray(store["state"])), self.state.dtype))
        for trainable in self.loss.trainable:
            if trainable.weight in store.keys():
                getattr(self, trainable.weight).assign(np.asarray(store[trainable.weight]))

    def _targets(self, y_true, y_pred):
        """``y_true`` as the core expects it, from what Keras hands over.

        Elementwise and dense targets are squeezed or expanded to the prediction's
        rank (``Dense(1)`` with labels of shape ``(N,)``), bin positions to one less. Class indices lose a
        trailing axis of size 1 and, as in Keras' sparse losses, float indices
        become integers.
        """
        rank = len(y_pred.shape)
        if self.loss.layout == _layers.BINS:  # one position per row of bins
            return _to_rank(y_true, rank - 1)
        if not self.loss.index_targets:
            return _to_rank(y_true, rank)
        if self.loss.layout == _layers.CLASSES:
            if len(y_true.shape) == rank and y_true.shape[-1] == 1 and y_pred.shape[-1] != 1:
                y_true = ops.squeeze(y_true, axis=-1)
            if len(y_true.shape) != rank - 1:  # dense one-hot or soft targets
                return y_true
        return y_true if "int" in str(y_true.dtype) else ops.cast(y_true, "int32")

    def _weights(self, sample_weight, mask, y_pred):
        """``sample_weight`` times the Keras mask, at the rank of the unreduced loss."""
        rank = len(y_pred.shape) - (1 if self.loss.reduces_class_axis else 0)
        weights = None
        for factor in (sample_weight, mask):
            if factor is not None:
                factor = _to_rank(ops.cast(factor, y_pred.dtype), rank)
                weights = factor if weights is None else weights * factor
        return weights

    def get_config(self):
        config = {**super().get_config(), **self.options,
                  **{hook: _hook_config(self.options[hook]) for hook in _HOOKS if hook in self.options}}
        if self.loss.stateful:
            config["state"] = ops.convert_to_numpy(self.state.value).tolist()
        for trainable in self.loss.trainable:  # the trained values
            config[trainable.option] = trainable.config_value(ops.convert_to_numpy(getattr(self, trainable.weight).value))
        return config

    @property
    def trainable_weights(self) -> list:
        """The loss's trainable variables (Balanced MSE's sigma; AUC-margin's a, b, alpha), to
        assign to the model so that ``fit`` trains them (``model.loss_variables = loss.trainable_weights``)."""
        return [getattr(self, trainable.weight) for trainable in self.loss.trainable]


def _loss_class(row: _layers.LossClass) -> type:
    keras_options = [inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None),
                     inspect.Parameter("dtype", inspect.Parameter.KEYWORD_ONLY, default=None)]
    if row.stateful:
        keras_options.append(inspect.Parameter("state", inspect.Parameter.KEYWORD_ONLY, default=None))

    def __init__(self, **options):
        _KerasLoss.__init__(self, **options)

    __init__.__signature__ = row.signature(extra=keras_options)
    __init__.__qualname__ = f"{row.name}.__init__"
    state = (" The state is the non-trainable variable ``state`` (``state=`` sets its initial "
             "value; ``get_config`` saves its current one).") if row.stateful else ""
    cls = type(row.name, (_KerasLoss,), {"loss": row, "__init__": __init__,
                                         "__doc__": row.docstring("Keras", _USAGE.format(state=state)),
                                         "__module__": __name__})
    return keras.saving.register_keras_serializable(package="imbalance_losses")(cls)


_CLASSES = _layers.build(_loss_class)
globals().update(_CLASSES)

__all__ = [*sorted(_CLASSES), "replica_gather", "replica_sum"]


def replica_sum():
    """A ``replica_sum`` hook for Keras on the TensorFlow backend under ``tf.distribute``.

    The all-reduce of the replica context, so that batch statistics (the mean's
    denominator, GHM's bin counts, pooled Dice sums) cover the global batch. See
    :func:`imbalance_losses_tf.replica_sum`; imported on call, so that other Keras
    backends never import TensorFlow.
    """
    return adapter_for("tensorflow").replica_sum()


def replica_gather():
    """A ``replica_gather`` hook for Keras on the TensorFlow backend under ``tf.distribute``:
    the replica context's all-gather, so that Balanced MSE's BMC compares each prediction
    with every replica's targets (see :func:`imbalance_losses_tf.replica_gather`)."""
    return adapter_for("tensorflow").replica_gather()
