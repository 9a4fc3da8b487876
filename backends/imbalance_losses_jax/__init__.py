"""JAX primitives of imbalance_losses: the layer below the core.

``imbalance_losses_jax._adapter`` holds the primitives the core calls for JAX
arrays (found lazily by the array's type). The losses themselves are the
functional core: ``from imbalance_losses import sigmoid_focal_loss`` works under
``jax.jit``, ``jax.grad`` and ``jax.vmap``.
"""

from ._adapter import replica_gather, replica_sum

__all__ = ["replica_gather", "replica_sum"]
