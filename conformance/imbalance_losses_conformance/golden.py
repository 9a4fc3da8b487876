"""Golden vectors: every conformance case as portable float64 test vectors.

``imbalance-losses conformance --export DIR`` writes ``DIR/index.json`` and one
``DIR/<case>.npz`` per case: the inputs, the options, the float64 oracle's value and
the gradient of ``sum(cotangent * value)`` with respect to the logits. Another project
checks its own implementation against them with the one-file checker
``golden_check.py`` (copied next to the vectors), without installing this package.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from . import golden_check, oracles
from .checks import expected_gradient
from .frameworks import _cotangent
from .runner import select_cases

TOLERANCE_RULE = {
    "value": "|actual - expected| <= rtol * (|expected| + 1 + max|logits|)",
    "gradient": (f"|actual - expected| <= max(rtol, {golden_check.GRADIENT_RTOL_FLOOR:g}) "
                 "* (|expected| + max|expected|)"),
    "rtol": "64 eps of the compute dtype + 4 eps of the output dtype (float16/bfloat16 compute in float32)",
    "rtol_by_dtype": {dtype: golden_check.tolerance(dtype) for dtype in golden_check.EPS},
}


def _json_value(value):
    """An option as JSON: sequences as lists, arrays inside them (Balanced MSE's ``gmm``,
    per-axis ``bin_edges``) as nested lists of their exact float64 values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return [_json_value(v) for v in value] if isinstance(value, (tuple, list)) else value


def export(directory, losses=None) -> int:
    """Write the vectors of ``losses`` (every loss when None) to ``directory``: the number of cases."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for group, case in select_cases(losses):
        arrays = {k: v for k, v in case.options.items() if isinstance(v, np.ndarray)}
        static = {k: v for k, v in case.options.items() if k not in arrays}
        oracle = oracles.ORACLES[case.loss]
        out = oracle(case.logits, case.labels, **case.options)
        value = np.asarray(out[0] if case.returns_state else out, dtype=np.float64)
        saved = {"logits": case.logits, "labels": case.labels, "value": value,
                 **{f"option_{k}": v for k, v in arrays.items()}}
        if case.grad:
            saved["cotangent"] = _cotangent(value.shape)
            saved["gradient"] = expected_gradient(case, case.logits, case.labels, arrays, static, value.shape)
        file = group.replace("/", "__") + ".npz"
        np.savez(directory / file, **saved)
        formula = (oracle.__doc__ or case.loss).strip().splitlines()[0]
        entries.append({"id": group, "loss": case.loss, "file": file, "formula": formula,
                        "options": {k: _json_value(v) for k, v in static.items()},
                        "array_options": sorted(arrays), "returns_state": case.returns_state,
                        "gradient": case.grad})
    index = {"format": 1, "generator": "imbalance-losses conformance --export", "tolerance": TOLERANCE_RULE,
             "cases": entries}
    (directory / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    shutil.copy(Path(golden_check.__file__), directory / "golden_check.py")
    return len(entries)
