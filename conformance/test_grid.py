"""The conformance grid under pytest: the report's default matrix on every device a
framework reports (array-api-strict's fake ``device1`` and ``no_float64`` among them: a
host round trip or a float64 array there raises), one test per loss and column: every
case in float64 and float32 eager, and float32 compiled (jax.jit,
tf.function(jit_compile=True)) on one representative case per loss — except JAX's
float32 eager column. JAX runs every operation outside ``jit`` as a compiled program and
the harness takes a JAX case's value and gradient from one compiled program, so that
column is the float64 column's programs again in float32 (compile-bound: 90 s of the
test command), while float32 arithmetic on JAX is the compiled column's and
tests/test_dtypes.py's; the report (``imbalance-losses conformance``) leaves it to ``--full`` too.

``IMBALANCE_LOSSES_FULL_TESTS=1`` adds JAX's float32 eager column, the float16 and
bfloat16 eager columns, torch.compile, and compiles every case. By default low precision is
tests/test_dtypes.py's: two cases per loss (a batch and the extreme logits) in float16
and bfloat16 on every framework; and torch.compile is tests/test_training_loops.py's,
which compiles every loss with ``dynamic=True`` over three batch sizes and asserts the
eager value and gradient (checked against the oracles here) to 1e-12: the same
compiler's work on one case twice would cost a minute of the test command.
"""

import os

import pytest

from imbalance_losses_conformance.frameworks import FRAMEWORKS, get_framework
from imbalance_losses_conformance.runner import build_columns, run_conformance, select_cases

FULL = os.environ.get("IMBALANCE_LOSSES_FULL_TESTS") == "1"
LOSSES = list(dict.fromkeys(case.loss for _, case in select_cases()))
COLUMNS = [c for c, _ in build_columns(frameworks=[n for n, f in FRAMEWORKS.items() if f.available()], full=FULL)[0]
           if (c.mode == "eager" and (FULL or c.framework != "jax" or c.dtype != "float32"))
           or (c.mode != "eager" and c.dtype == "float32" and (FULL or c.framework != "torch"))]


@pytest.mark.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])
@pytest.mark.parametrize("loss", LOSSES)
def test_conformance_cell(loss, column):
    full = column.mode == "eager" or FULL
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


def test_columns_in_worker_processes_equal_one_process():
    """``jobs=2`` (the report's default on two cores) runs each column in a spawned worker:
    the same cells, case by case, as one process."""
    options = {"losses": ["sigmoid_focal_loss", "dice_loss"], "frameworks": ["numpy", "array_api_strict"],
               "full": False, "progress": False}
    serial, parallel = run_conformance(**options), run_conformance(**options, jobs=2)
    assert [c.name for c in parallel.columns] == [c.name for c in serial.columns]
    assert {k: (c.status, [case["case"] for case in c.cases]) for k, c in parallel.cells.items()} == \
        {k: (c.status, [case["case"] for case in c.cases]) for k, c in serial.cells.items()}
    assert parallel.counts() == serial.counts() and serial.counts()["pass"] > 0
