"""Primitives the core needs for TensorFlow tensors."""

import functools

import tensorflow as tf

from . import namespace


def stop_gradient(x):
    return tf.stop_gradient(x)


def device(x):
    # Symbolic tensors inside tf.function have no placement yet ("").
    return x.device or None


def run(function, logits, *args, **options):
    """Call a public loss."""
    return function(logits, *args, **options)


@functools.lru_cache(maxsize=None)
def _custom_gradient_term(key):
    """A ``tf.custom_gradient`` function for one closed-form term and its static options.

    Tensors are positional (graph mode accepts no keyword arguments), static
    options live in this cached closure. Nested tapes differentiate the gradient
    function itself, so second derivatives are exact.
    """
    op, present, static = key

    @tf.custom_gradient
    def term(x, *arrays):
        value, saved = op.value(namespace, x, arrays, present, static)

        def gradient(upstream):
            derivative = op.gradient(namespace, x, arrays, present, static, saved)
            upstream = upstream[..., None] if op.rowwise else upstream
            return (upstream * derivative, *(None for _ in arrays))

        return value, gradient

    return term


def closed_form(key, xp, x, arrays):
    """The value of a closed-form term, with its derivative as the custom gradient."""
    return _custom_gradient_term(key)(x, *arrays)


def bin_counts(index, counted, length, dtype):
    """Histogram of integer ``index`` (``counted``: 1 counts, 0 not) by ``unsorted_segment_sum``,
    O(N), in integers (exact for any number of elements); XLA-compatible."""
    counts = tf.math.unsorted_segment_sum(tf.cast(tf.reshape(counted, [-1]), tf.int32), tf.reshape(index, [-1]), length)
    return tf.cast(counts, dtype)


def replica_sum():
    """A ``replica_sum`` hook: the replica context's all-reduce (sum) under ``tf.distribute``.

    Call the loss inside ``strategy.run``. The loss is then the global loss on every
    replica; since ``tf.distribute`` sums gradients over replicas, divide it by
    ``strategy.num_replicas_in_sync`` before taking gradients (TF's own rule).
    """

    def sum_over_replicas(x):
        context = tf.distribute.get_replica_context()
        # None in cross-replica context (e.g. Keras building the loss inside
        # strategy.scope() but outside strategy.run): no per-replica values to sum.
        return x if context is None else context.all_reduce(tf.distribute.ReduceOp.SUM, x)

    sum_over_replicas.config = {"framework": "tensorflow", "arguments": {}}
    return sum_over_replicas
