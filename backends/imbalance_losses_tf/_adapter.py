"""Primitives the core needs for TensorFlow tensors."""

import tensorflow as tf

from . import namespace


def stop_gradient(x):
    return tf.stop_gradient(x)


def device(x):
    # Symbolic tensors inside tf.function have no placement yet ("").
    return x.device or None


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

    return sum_over_replicas
