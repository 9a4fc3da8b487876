#!/usr/bin/env bash
# The GPU runbook: on a machine with an NVIDIA GPU, install the GPU builds of the
# frameworks, run the conformance report on the GPU and the CPU, run the benchmarks on
# the GPU, and write both into docs/gpu.md (between its markers), with the JSON
# reports under ${OUT:-gpu-run}/. About 15 minutes on an H100 after the install.
#
#   bash docs/scripts/gpu_runbook.sh            # everything
#   QUICK=1 bash docs/scripts/gpu_runbook.sh    # the default conformance matrix and a smoke benchmark
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-run}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.csv"

# A fresh environment with the CUDA builds (the project's extras name the CPU ones).
if [ ! -x .venv-gpu/bin/python ]; then
    python3 -m venv .venv-gpu
    .venv-gpu/bin/pip install -q --upgrade pip
    .venv-gpu/bin/pip install -q torch "jax[cuda12]" "tensorflow[and-cuda]" keras optax
    .venv-gpu/bin/pip install -q -e ".[test]" --no-deps
    .venv-gpu/bin/pip install -q array-api-compat array-api-strict tqdm numpy
fi
py=.venv-gpu/bin/python
$py - <<'PY'
import torch; assert torch.cuda.is_available(), "torch sees no GPU"
import jax; assert any(d.platform == "gpu" for d in jax.devices()), "jax sees no GPU"
import tensorflow as tf; assert tf.config.list_physical_devices("GPU"), "tensorflow sees no GPU"
print("GPU builds:", torch.__version__, jax.__version__, tf.__version__)
PY

full=(--full)
bench=()
if [ -n "${QUICK:-}" ]; then full=(); bench=(--quick); fi
# Conformance: every framework on the GPU and the CPU, values and gradients against the oracles.
$py -m imbalance_losses_conformance --device cuda --device cpu "${full[@]}" --no-progress \
    --json "$out/conformance-gpu.json" --markdown docs/gpu.md | tail -5 || true
# Benchmarks: ours vs native on the GPU, time, memory and traffic side by side.
$py -m imbalance_losses_bench --device cuda --framework torch --framework jax --framework tensorflow "${bench[@]}" --json "$out/bench-gpu.json" --markdown docs/gpu.md
echo "Wrote docs/gpu.md and $out/; commit docs/gpu.md."
