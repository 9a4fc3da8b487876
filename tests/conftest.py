"""Test configuration: frameworks imported in a safe order, deterministic numerics.

The ``framework`` fixture parametrizes a test over NumPy, array-api-strict,
PyTorch, JAX and TensorFlow (a framework that is not installed is skipped);
``autodiff_framework`` over the three with gradients.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from imbalance_losses_conformance.frameworks import FRAMEWORKS, _import_frameworks, get_framework

# torch before tensorflow, TF32 off, jax_enable_x64: before any test module imports a framework.
_import_frameworks()

ALL = list(FRAMEWORKS)
AUTODIFF = [name for name, f in FRAMEWORKS.items() if f.differentiable]


def _framework(name):
    framework = get_framework(name)
    if not framework.available():
        pytest.skip(f"{name} is not installed")
    return framework


@pytest.fixture(params=ALL)
def framework(request):
    return _framework(request.param)


@pytest.fixture(params=AUTODIFF)
def autodiff_framework(request):
    return _framework(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)


# Property-test budgets: "ci" (the default; fixed examples, so every run is reproducible
# and the test command stays within minutes), "full" (the opt-in long search that
# IMBALANCE_LOSSES_FULL_TESTS=1 selects, with every compiled conformance case) and "dev"
# for a local search: HYPOTHESIS_PROFILE=dev python -m pytest tests/test_properties.py
_CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=10, deadline=None, derandomize=True, suppress_health_check=_CHECKS)
settings.register_profile("full", max_examples=100, deadline=None, derandomize=True, suppress_health_check=_CHECKS)
settings.register_profile("dev", max_examples=500, deadline=None, suppress_health_check=_CHECKS)
_DEFAULT_PROFILE = "full" if os.environ.get("IMBALANCE_LOSSES_FULL_TESTS") == "1" else "ci"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _DEFAULT_PROFILE))


# Tests that each run a subprocess for tens of seconds (Keras per backend, k replicas, the
# docs' examples) go first: scheduled late, one of them would keep a single xdist worker
# busy after the other has run out of tests.
_LONG_SUBPROCESS_TESTS = ("tests/test_keras.py", "tests/test_distributed.py", "tests/test_docs_examples.py",
                          "tests/test_docs.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not item.nodeid.startswith(_LONG_SUBPROCESS_TESTS))
