"""Keras 3 losses on the TensorFlow, JAX and torch backends, each in its own process (tests/keras_checks.py)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).with_name("keras_checks.py")


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keras_backend(backend):
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec(backend) is None:
        pytest.skip(f"keras or {backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, str(CHECK)], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert f"keras {backend}: ok" in result.stdout
