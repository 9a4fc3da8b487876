"""Golden vectors: the export, and its one-file checker used as another project would use it
(loaded from the export folder by path: it imports nothing of this package)."""

import importlib.util
import json
import sys

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.__main__ import main


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    directory = tmp_path_factory.mktemp("golden")
    assert main(["--export", str(directory)]) == 0
    spec = importlib.util.spec_from_file_location("golden_check_copy", directory / "golden_check.py")
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return directory, checker


def test_export_index_and_standalone_checker(vectors):
    directory, checker = vectors
    index = json.loads((directory / "index.json").read_text())
    losses = {entry["loss"] for entry in index["cases"]}
    assert losses == set(il.__all__) - {"__version__", "adjust_logits", "check_values", "class_prior", "class_weights",
                                        "deferred_reweighting", "loss_derivatives", "prior_margin",
                                        "sampling_weights", "value_checks_enabled",
                                        "lds_weights", "regression_errors"}
    assert index["tolerance"]["rtol_by_dtype"]["float64"] == pytest.approx(64 * 2.0**-52 + 4 * 2.0**-52)
    source = (directory / "golden_check.py").read_text()
    assert "imbalance_losses" not in source.replace("imbalance_losses golden vectors", "")
    entry = index["cases"][0]
    with np.load(directory / entry["file"]) as data:
        assert {"logits", "labels", "value"} <= set(data.files)


def test_our_implementation_passes_every_vector(vectors):
    directory, checker = vectors
    index = json.loads((directory / "index.json").read_text())
    failures = [f for loss in sorted({e["loss"] for e in index["cases"]})
                for f in checker.check(directory, loss, getattr(il, loss))]
    assert not failures, failures


def test_a_peer_passes_and_a_wrong_formula_fails(vectors):
    directory, checker = vectors
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    reduce = {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}

    def supported(options):  # optax's focal loss: alpha, gamma, the reduction applied after it
        return None if set(options) - {"alpha", "gamma", "reduction"} or options.get("alpha", 0.25) is None \
            else options

    assert jax.config.jax_enable_x64  # the test configuration's: float64 vectors, float64 arithmetic

    def optax_focal_traced(x, y, alpha=0.25, gamma=2.0, reduction="mean"):
        return reduce[reduction](optax.sigmoid_focal_loss(jnp.asarray(x), jnp.asarray(y), alpha=alpha, gamma=gamma))

    def optax_focal(x, y, **options):
        return np.asarray(optax_focal_traced(x, y, **options))

    def optax_focal_gradient(x, y, cotangent, **options):
        total = lambda v: jnp.sum(jnp.asarray(cotangent) * optax_focal_traced(v, y, **options))  # noqa: E731
        return np.asarray(jax.grad(total)(jnp.asarray(x)))

    assert checker.check(directory, "sigmoid_focal_loss", optax_focal, gradient=optax_focal_gradient,
                         options=supported) == []

    def alpha_on_negatives(x, y, alpha=0.25, gamma=2.0, reduction="mean"):  # alpha on the wrong class
        return optax_focal(x, y, alpha=1 - alpha, gamma=gamma, reduction=reduction)

    failures = checker.check(directory, "sigmoid_focal_loss", alpha_on_negatives, options=supported)
    assert failures and all(": value error" in f for f in failures)
