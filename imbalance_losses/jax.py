"""What JAX users import beside the functional core: ``replica_sum`` and ``replica_gather`` for
``shard_map``/``pmap``.

The losses themselves are the core functions (``import imbalance_losses as il``),
which work under ``jax.jit``, ``jax.grad`` (forward and reverse mode) and
``jax.vmap``, with state passed in and returned.
"""

from imbalance_losses_jax import replica_gather, replica_sum

__all__ = ["replica_gather", "replica_sum"]
