"""Compiled execution gives the eager result: jax.jit, torch.compile(fullgraph=True), tf.function(jit_compile=True)."""

import numpy as np
import pytest

from imbalance_losses_conformance.cases import case_grid

from imbalance_losses_conformance.checks import run_case

# Per loss, the first case of its second option set (past the defaults), NC shape.
_BY_LOSS = {}
for _group, _case in case_grid():
    if "/default/" not in _group and "/NC" in _group:
        _BY_LOSS.setdefault(_case.loss, (_group, _case))
COMPILE_CASES = list(_BY_LOSS.values())


@pytest.mark.parametrize("group, case", COMPILE_CASES, ids=[g for g, _ in COMPILE_CASES])
def test_compiled_equals_oracle_and_eager(autodiff_framework, group, case):
    compiled = run_case(autodiff_framework, case, mode="compiled")
    eager = run_case(autodiff_framework, case, mode="eager")
    assert compiled.ok, compiled.message
    assert eager.ok, eager.message
    np.testing.assert_allclose(compiled.value, eager.value, rtol=1e-12, atol=1e-14)
    if compiled.grad is not None:
        np.testing.assert_allclose(compiled.grad, eager.grad, rtol=1e-12, atol=1e-14)
