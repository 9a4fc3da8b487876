"""Test configuration: frameworks imported in a safe order, deterministic numerics.

The ``framework`` fixture parametrizes a test over NumPy, array-api-strict,
PyTorch, JAX and TensorFlow (a framework that is not installed is skipped);
``autodiff_framework`` over the three with gradients.
"""

import numpy as np
import pytest

from conformance.frameworks import FRAMEWORKS, _import_frameworks, get_framework

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
