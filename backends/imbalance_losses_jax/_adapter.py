"""Primitives the core needs for JAX arrays beyond the array API standard."""

import functools

import array_api_compat
import jax
import jax.numpy as jnp

namespace = None  # jax.numpy is an array API namespace


def stop_gradient(x):
    return jax.lax.stop_gradient(x)


def device(x):
    # Traced arrays have no device; the caller then skips its device checks.
    return array_api_compat.device(x)


def run(function, logits, *args, **options):
    """Call a public loss."""
    return function(logits, *args, **options)


@functools.lru_cache(maxsize=None)
def _jvp_term(key, xp):
    """A ``jax.custom_jvp`` function for one closed-form term and its static options.

    ``custom_jvp`` rather than ``custom_vjp``: forward mode (``jax.jvp``,
    ``jax.hessian``) keeps working, reverse mode comes from JAX transposing the
    rule (linear in the tangent), and higher orders from differentiating the rule.
    Only the logits' tangent enters: targets and class vectors carry no gradient.
    """
    op, present, static = key

    @jax.custom_jvp
    def term(x, *arrays):
        return op.value(xp, x, arrays, present, static)[0]

    @term.defjvp
    def term_jvp(primals, tangents):
        x, *arrays = primals
        value, saved = op.value(xp, x, arrays, present, static)
        tangent = op.gradient(xp, x, arrays, present, static, saved) * tangents[0]
        return value, (xp.sum(tangent, axis=-1) if op.rowwise else tangent)

    return term


def closed_form(key, xp, x, arrays):
    """The value of a closed-form term, differentiable through its custom JVP."""
    return _jvp_term(key, xp)(x, *arrays)


def bin_counts(index, counted, length, dtype):
    """Histogram of integer ``index`` (``counted``: 1 counts, 0 not) by one scatter-add, O(N),
    in integers (exact for any number of elements)."""
    counts = jnp.zeros(length, dtype=jnp.int32).at[index.reshape(-1)].add(counted.reshape(-1).astype(jnp.int32))
    return counts.astype(dtype)


def replica_sum(axis_name):
    """A ``replica_sum`` hook: ``jax.lax.psum`` over ``axis_name`` (inside ``shard_map``/``pmap``).

    Differentiating the whole sharded program (``jax.grad`` outside ``shard_map``)
    then gives exactly the single-device gradient; taking gradients per shard
    instead, average them with ``jax.lax.pmean`` (as DDP does).
    """

    def sum_over_replicas(x):
        return jax.lax.psum(x, axis_name)

    sum_over_replicas.config = {"framework": "jax", "arguments": {"axis_name": axis_name}}
    return sum_over_replicas
