"""What JAX users import beside the functional core: ``replica_sum`` and ``replica_gather`` for
``shard_map``/``pmap``.

The losses themselves are the core functions (``import imbalance_losses as il``),
which work under ``jax.jit``, ``jax.grad`` (forward and reverse mode) and
``jax.vmap``, with state passed in and returned.
"""

from .core.dispatch import adapter_for

# The hooks of the JAX adapter (installed, or bundled in a vendored copy).
replica_sum = adapter_for("jax").replica_sum
replica_gather = adapter_for("jax").replica_gather

__all__ = ["replica_gather", "replica_sum"]
