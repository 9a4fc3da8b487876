"""k replicas vs one process holding the whole batch, on each framework's own engine.

Each engine runs in its own process (tests/distributed/): torch.distributed with
gloo and 2 processes under DDP, JAX shard_map over 4 host CPU devices, and
TensorFlow MirroredStrategy over 2 logical CPU devices (plus Keras fit). The
losses: GHM-C/GHM-R (bin counts, tot, EMA state), pooled Dice and softmax Dice
(sums with gradients), and class-weighted / element-weighted means.
"""

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "distributed"
ROOT = Path(__file__).parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(script, *args, env=None):
    result = subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=900, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return result.stdout


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_torch_distributed_gloo_two_processes():
    assert "torch distributed: ok" in _run("torch_ddp.py", str(_free_port()))


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_jax_shard_map_four_devices():
    out = _run("jax_shard_map.py", env={"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    assert "jax distributed: ok" in out


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed")
def test_tensorflow_mirrored_strategy_two_devices():
    assert "tensorflow distributed: ok" in _run("tf_mirrored.py")
