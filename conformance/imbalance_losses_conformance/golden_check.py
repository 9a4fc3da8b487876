"""Check an implementation of a loss against the imbalance_losses golden vectors.

One file that needs only NumPy: copy it into your tests. The vectors come from
``imbalance-losses conformance --export DIR``: ``DIR/index.json`` lists every case (the
loss, its options, the oracle's formula, the tolerance rule) and ``DIR/<case>.npz`` holds
its float64 inputs (``logits``, ``labels``, array options as ``option_<name>``), the
oracle's ``value`` and, where the loss has one, the ``gradient`` of
``sum(cotangent * value)`` with respect to the logits for the stored ``cotangent``.

    from golden_check import check

    failures = check("vectors", "sigmoid_focal_loss", my_focal)
    assert not failures, "\\n".join(failures)

``fn(logits, labels, **options)`` returns the loss (anything ``numpy.asarray`` takes);
``gradient(logits, labels, cotangent, **options)``, if given, the gradient above.
``options(case_options)`` maps our options to yours: return the keyword arguments to
pass, or None to skip a case your implementation does not support.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

EPS = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}
COMPUTE = {"float64": "float64", "float32": "float32", "float16": "float32", "bfloat16": "float32"}
# The oracle's finite differences are accurate to about this (fourth-order stencil, absolute
# step 1e-4: truncation ~1e-16, rounding ~eps |f| / 1e-4): no gradient compares tighter.
GRADIENT_RTOL_FLOOR = 1e-6


def tolerance(dtype: str) -> float:
    """Relative tolerance: 64 eps of the compute dtype plus 4 eps of the output dtype."""
    return 64 * EPS[COMPUTE[dtype]] + 4 * EPS[dtype]


def load(directory, loss=None):
    """``(entry, arrays)`` for every case of ``loss`` (every case when None)."""
    directory = Path(directory)
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    for entry in index["cases"]:
        if loss is None or entry["loss"] == loss:
            with np.load(directory / entry["file"]) as data:
                yield entry, {name: data[name] for name in data.files}


def error_ratio(actual, expected, rtol, scale):
    """The largest ``|actual - expected| / (rtol (|expected| + scale))``: <= 1 passes."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return np.inf, f"shape {actual.shape} != {expected.shape}"
    if not np.all(np.isfinite(actual)):
        return np.inf, "non-finite result"
    allowed = rtol * (np.abs(expected) + scale)
    return (float(np.max(np.abs(actual - expected) / allowed)) if actual.size else 0.0), ""


def check(directory, loss, fn, *, gradient=None, options=None, dtype="float64"):
    """Every case of ``loss`` against ``fn`` (and ``gradient``): the failures, one string each.

    ``dtype`` is the precision ``fn`` computes in: the tolerance is that dtype's, and
    float32/float16 logits are given rounded to it (the expectations stay the float64
    ones; the absolute part of the tolerance, ``rtol * (1 + max |logit|)``, covers that
    rounding for the vectors' inputs). Values compare relatively with that absolute part
    (a logit of 1e4 is only known to 1e4 eps).
    """
    rtol = tolerance(dtype)
    failures, checked = [], 0
    for entry, arrays in load(directory, loss):
        kwargs = dict(entry["options"], **{k[len("option_"):]: v for k, v in arrays.items() if k.startswith("option_")})
        if options is not None:
            kwargs = options(kwargs)
            if kwargs is None:
                continue
        logits = arrays["logits"] if dtype in ("float64", "bfloat16") else arrays["logits"].astype(dtype)
        logits64 = np.asarray(logits, dtype=np.float64)
        checked += 1
        scale = 1.0 + float(np.max(np.abs(logits64), initial=0.0))
        out = fn(logits, arrays["labels"], **kwargs)
        error, message = error_ratio(out[0] if entry["returns_state"] else out, arrays["value"], rtol, scale)
        if error > 1:
            failures.append(f"{entry['id']}: value {message or f'error {error:.3g}x the tolerance'}")
        if gradient is not None and "gradient" in arrays:
            expected = arrays["gradient"]
            g_scale = float(np.max(np.abs(expected), initial=0.0)) + 1e-300
            error, message = error_ratio(gradient(logits, arrays["labels"], arrays["cotangent"], **kwargs), expected,
                                    max(rtol, GRADIENT_RTOL_FLOOR), g_scale)
            if error > 1:
                failures.append(f"{entry['id']}: gradient {message or f'error {error:.3g}x the tolerance'}")
    if not checked:
        failures.append(f"no case of {loss!r} was checked")
    return failures
