"""The CPU conformance grid under pytest: every loss x framework x dtype, eager;
compiled (jax.jit, torch.compile, tf.function(jit_compile=True)) in float32.

Compiling costs seconds per case, so by default the compiled columns compile one
representative case per loss; ``IMBALANCE_LOSSES_FULL_TESTS=1`` compiles every
case (as ``imbalance-losses conformance --full`` does, in every dtype).
"""

import os

import pytest

from imbalance_losses_conformance.frameworks import FRAMEWORKS, get_framework
from imbalance_losses_conformance.runner import build_columns, run_conformance, select_cases

LOSSES = list(dict.fromkeys(case.loss for _, case in select_cases()))
COLUMNS = [c for c, _ in build_columns(frameworks=[n for n, f in FRAMEWORKS.items() if f.available()], devices=["cpu"])[0]
           if c.mode == "eager" or c.dtype == "float32"]


@pytest.mark.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])
@pytest.mark.parametrize("loss", LOSSES)
def test_conformance_cell(loss, column):
    full = column.mode == "eager" or os.environ.get("IMBALANCE_LOSSES_FULL_TESTS") == "1"
    report = run_conformance(losses=[loss], frameworks=[column.framework], devices=[column.device],
                             dtypes=[column.dtype], modes=[column.mode], full=full, progress=False)
    failures = [f"{row}: {report.cells[(row, col)].detail}" for row, col in report.failures()]
    assert not failures, "\n".join(failures)
    assert report.counts()["pass"] == (len(report.rows) if full else 1)


def test_absent_framework_is_a_skip_with_reason(monkeypatch):
    framework = get_framework("jax")
    monkeypatch.setattr(type(framework), "available", lambda self: False)
    run, skipped = build_columns(frameworks=["jax"], devices=["cpu"], dtypes=["float32"], modes=["eager"])
    assert not run and skipped[0][1] == "jax: not installed"
