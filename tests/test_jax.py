"""JAX: every loss under vmap (equal to a loop), grad of vmap, and the optax example."""

import importlib.util
import runpy
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import imbalance_losses as il  # noqa: E402
from imbalance_losses_conformance.cases import case_grid  # noqa: E402

# One NC-shaped case per loss with non-default options (its arrays, stacked 3 times, are mapped over).
_CASES = {}
for _group, _case in case_grid():
    if "/default/" not in _group and ("/NC" in _group or _case.loss.startswith("sparse")):
        _CASES.setdefault(_case.loss, _case)


@pytest.mark.parametrize("case", list(_CASES.values()), ids=list(_CASES))
def test_vmap_equals_loop(case):
    fn = getattr(il, case.loss)
    arrays = {k: v for k, v in case.options.items() if isinstance(v, np.ndarray) and k != "state"}
    static = {k: v for k, v in case.options.items() if k not in arrays}
    rng = np.random.default_rng(0)
    logits = np.stack([case.logits + rng.normal(size=case.logits.shape) for _ in range(3)])

    def single(x, labels):
        out = fn(x, labels, **static, **{k: jnp.asarray(v) for k, v in arrays.items()})
        return out[0] if case.returns_state else out

    labels = jnp.asarray(case.labels)
    mapped = jax.vmap(single, in_axes=(0, None))(jnp.asarray(logits), labels)
    looped = jnp.stack([single(jnp.asarray(x), labels) for x in logits])
    np.testing.assert_allclose(mapped, looped, rtol=1e-12, atol=1e-14)
    grads = jax.grad(lambda v: jax.vmap(single, in_axes=(0, None))(v, labels).sum())(jnp.asarray(logits))
    assert np.all(np.isfinite(np.asarray(grads)))


def test_optax_example_runs_and_rebalances():
    if importlib.util.find_spec("optax") is None:
        pytest.skip("optax is not installed")
    example = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "jax_optax.py"))
    results = example["main"]()
    assert results["logit_adjusted"][1] > results["plain"][1] + 0.2
