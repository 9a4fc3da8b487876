"""JAX shard_map over 4 host CPU devices vs one device. Exit 0 iff all equal.

Run with XLA_FLAGS=--xla_force_host_platform_device_count=4 (tests/test_distributed.py sets it).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, PartitionSpec as P  # noqa: E402

import imbalance_losses as il  # noqa: E402
from imbalance_losses_jax import replica_gather, replica_sum  # noqa: E402
from tests.distributed.cases import CASES, GATHERING, STEPS, data, element_weights, initial_parameters, reduce_output, state_shape  # noqa: E402

shard_map = getattr(jax, "shard_map", None)
if shard_map is None:  # older JAX
    from jax.experimental.shard_map import shard_map

assert len(jax.devices()) == 4, jax.devices()
mesh = Mesh(np.array(jax.devices()), ("batch",))


def loss_fn(case, hook):
    name, options, kind, weighted = case

    def fn(params, features, target, weights, state):
        w, b = params
        kwargs = dict(options, weights=weights if weighted else None, replica_sum=hook)
        if hook is not None and name in GATHERING:
            kwargs["replica_gather"] = replica_gather("batch")
        if state_shape(name, options):
            kwargs["state"] = state
        out = getattr(il, name)(features @ w + b, target, **kwargs)
        loss, new_state = out if state_shape(name, options) else (out, state)
        return reduce_output(loss), new_state

    return fn


def single(case, params, step, state):
    features, targets, weights = data(step)
    fn = loss_fn(case, None)
    arrays = (jnp.asarray(a) for a in (features, targets[case[2]], element_weights(case[2], weights)))
    (value, new_state), grads = jax.value_and_grad(fn, has_aux=True)(params, *arrays, state)
    return value, grads, new_state


def sharded(case, params, step, state, gradient_inside):
    features, targets, weights = data(step)
    fn = loss_fn(case, replica_sum("batch"))
    specs = (P(), P("batch"), P("batch"), P("batch"), P())
    if gradient_inside:
        # Per-shard gradients averaged with pmean, as DDP does.
        def per_shard(*args):
            (value, new_state), grads = jax.value_and_grad(fn, has_aux=True)(*args)
            return value, jax.lax.pmean(grads, "batch"), new_state

        run = shard_map(per_shard, mesh=mesh, in_specs=specs, out_specs=(P(), P(), P()))
        return run(params, features, targets[case[2]], element_weights(case[2], weights), state)
    # The idiomatic form: differentiate the whole sharded program.
    run = shard_map(fn, mesh=mesh, in_specs=specs, out_specs=(P(), P()))
    (value, new_state), grads = jax.value_and_grad(lambda p: run(p, features, targets[case[2]],
                                                                  element_weights(case[2], weights), state),
                                                   has_aux=True)(params)
    return value, grads, new_state


for case in CASES:
    params = tuple(jnp.asarray(a) for a in initial_parameters())
    for gradient_inside in (False, True):
        state_1 = state_k = jnp.zeros(state_shape(*case[:2]) or (1,))
        for step in range(STEPS):
            v1, g1, state_1 = single(case, params, step, state_1)
            vk, gk, state_k = jax.jit(lambda p, s: sharded(case, p, step, s, gradient_inside))(params, state_k)
            label = f"{case[0]} {case[1]} step {step} gradient_inside={gradient_inside}"
            np.testing.assert_allclose(vk, v1, rtol=1e-12, err_msg=label)
            for a, b in zip(g1, gk):
                np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12, err_msg=label)
            np.testing.assert_allclose(state_k, state_1, rtol=1e-12, err_msg=label)
print("jax distributed: ok")
