"""Primitives the core needs for JAX arrays beyond the array API standard."""

import functools

import array_api_compat
import jax
import jax.numpy as jnp
import numpy as np

# jax.numpy is an array API namespace (JAX >= 0.4.32). Named here, not looked up through
# array_api_compat, which creates an array on the default device to find it: under
# jax.transfer_guard("disallow") with inputs on another device, the first call would raise.
namespace = jnp


def stop_gradient(x):
    return jax.lax.stop_gradient(x)


def device(x):
    # Traced arrays have no device; the caller then skips its device checks.
    return array_api_compat.device(x)


def is_array(value):
    """Arrays that a compiled call takes as traced arguments (NumPy ones too)."""
    return isinstance(value, (jax.Array, np.ndarray))


# Outside jit, JAX compiles every operation for its shapes: a loss's first call as one
# program costs less than its operations one by one (softmax focal loss on 64 x 10
# float32, first call in a fresh process: 136 ms jitted, 1030 ms operation by operation).
COMPILES_FIRST_CALL = True


def executing_eagerly():
    """Whether a call is eager (its arrays concrete): then the core's ``EagerCompilation`` may
    compile it; under ``jit``, ``grad`` or ``vmap`` the loss is traced inline anyway."""
    return True


def compile(function):
    """One compiled call of a loss, as ``jax.nn``'s functions are jitted."""
    return jax.jit(function)


def run(function, logits, args, options):
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


def bin_counts(index, length, dtype):
    """Histogram of integer ``index`` over ``[0, length)`` (``length``: not counted) by one
    scatter-add, O(N), exact in integers."""
    counts = jnp.zeros(length, dtype=jnp.int32).at[index.reshape(-1)].add(1, mode="drop")
    return counts.astype(dtype)


@functools.lru_cache(maxsize=None)
def replica_sum(axis_name):
    """A ``replica_sum`` hook: ``jax.lax.psum`` over ``axis_name`` (inside ``shard_map``/``pmap``).

    Differentiating the whole sharded program (``jax.grad`` outside ``shard_map``)
    then gives exactly the single-device gradient; taking gradients per shard
    instead, average them with ``jax.lax.pmean`` (as DDP does). One hook per axis name
    (cached), so a loss compiled with it is compiled once.
    """

    def sum_over_replicas(x):
        return jax.lax.psum(x, axis_name)

    sum_over_replicas.config = {"framework": "jax", "arguments": {"axis_name": axis_name}}
    return sum_over_replicas


@functools.lru_cache(maxsize=None)
def replica_gather(axis_name):
    """A ``replica_gather`` hook: ``jax.lax.all_gather(..., tiled=True)`` over ``axis_name``
    (inside ``shard_map``/``pmap``): every shard's array, concatenated along the first axis."""

    def gather_over_replicas(x):
        return jax.lax.all_gather(x, axis_name, tiled=True)

    gather_over_replicas.config = {"framework": "jax", "arguments": {"axis_name": axis_name}, "hook": "replica_gather"}
    return gather_over_replicas
