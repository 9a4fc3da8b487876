"""TensorFlow primitives of imbalance_losses: the layer below the core.

``array_api_compat`` does not support TensorFlow, so this package provides the
array API namespace the core runs on (``imbalance_losses_tf.namespace``: exactly
the functions the core uses, on TF ops, with no NumPy round trips) and the
primitives the core calls for ``tf.Tensor`` inputs. The Keras 3 loss classes, which
run on every Keras backend, are a layer above the core: ``imbalance_losses.keras``.
"""

from ._adapter import replica_gather, replica_sum

__all__ = ["replica_gather", "replica_sum"]
