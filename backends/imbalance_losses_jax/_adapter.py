"""Primitives the core needs for JAX arrays beyond the array API standard."""

import array_api_compat
import jax

namespace = None  # jax.numpy is an array API namespace


def stop_gradient(x):
    return jax.lax.stop_gradient(x)


def device(x):
    # Traced arrays have no device; the caller then skips its device checks.
    return array_api_compat.device(x)


def replica_sum(axis_name):
    """A ``replica_sum`` hook: ``jax.lax.psum`` over ``axis_name`` (inside ``shard_map``/``pmap``).

    Differentiating the whole sharded program (``jax.grad`` outside ``shard_map``)
    then gives exactly the single-device gradient; taking gradients per shard
    instead, average them with ``jax.lax.pmean`` (as DDP does).
    """

    def sum_over_replicas(x):
        return jax.lax.psum(x, axis_name)

    return sum_over_replicas
