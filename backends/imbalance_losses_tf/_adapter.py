"""Primitives the core needs for TensorFlow tensors."""

import tensorflow as tf

from . import namespace

name = "tensorflow"


def stop_gradient(x):
    return tf.stop_gradient(x)


def device(x):
    # Symbolic tensors inside tf.function have no placement yet ("").
    return x.device or None
