"""Low precision: float16/bfloat16 inputs are computed in float32 and returned in their dtype."""

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.cases import case_grid
from imbalance_losses_conformance.checks import run_case
from imbalance_losses_conformance.frameworks import FRAMEWORKS, get_framework

LOW = ("float16", "bfloat16")
# Only the pairs that exist (NumPy has no bfloat16, array-api-strict neither low dtype).
PAIRS = [(name, d) for name, f in FRAMEWORKS.items() for d in LOW if d in f.dtypes]
_FIRST = {}
for _group, _case in case_grid():
    if "/NC" in _group or "extreme" in _group:
        _FIRST.setdefault((_case.loss, "extreme" in _group), (_group, _case))
CASES = list(_FIRST.values())


def _framework(name):
    framework = get_framework(name)
    if not framework.available():
        pytest.skip(f"{name} is not installed")
    return framework


@pytest.mark.parametrize("framework_name, dtype", PAIRS)
@pytest.mark.parametrize("group, case", CASES, ids=[g for g, _ in CASES])
def test_low_precision_matches_oracle_and_keeps_dtype(framework_name, dtype, group, case):
    framework = _framework(framework_name)
    outcome = run_case(framework, case, dtype=dtype)
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("framework_name, dtype", PAIRS)
def test_low_precision_is_float32_rounded_once(framework_name, dtype, rng):
    """The result equals the float32 computation on the same inputs, rounded to the dtype."""
    framework = _framework(framework_name)
    logits = rng.normal(size=(256, 10)) * 4
    labels = rng.integers(0, 10, size=256)
    x = framework.asarray(logits, dtype)
    x32 = framework.asarray(framework.to_numpy(x), "float32")
    y = framework.asarray(labels)
    for loss in (il.softmax_cross_entropy, il.softmax_focal_loss):
        low = framework.to_numpy(loss(x, y, reduction="none"))
        rounded = framework.to_numpy(framework.asarray(framework.to_numpy(loss(x32, y, reduction="none")), dtype))
        np.testing.assert_array_equal(low, rounded)
