"""Run the peer ports over the case grid and build the report: text, JSON and docs page.

A cell is one port, one row of the grid (its shapes pooled) and one dtype. Each case
of the row is given to the peer in that dtype, through the port's mapping, and its
value and gradient are compared with the oracle's on the same rounded inputs, with
the conformance tolerance; in float16 and bfloat16 a peer may also be off by 8 units
in the last place of the dtype (what computing natively in it costs), since the
conformance tolerance assumes float32 arithmetic inside.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field

import numpy as np

from .. import oracles
from ..checks import expected_gradient, rounded_inputs
from ..frameworks import _cotangent, dtype_name, get_framework
from ..golden_check import EPS, GRADIENT_RTOL_FLOOR, error_ratio, tolerance
from ..runner import _progress, measured_on, replace_block, select_cases
from . import libraries, our_defaults

DTYPES = ("float64", "float32", "float16", "bfloat16")
SYMBOLS = {"agrees": "✓", "convention": "≈", "wrong": "✗", "raises": "!", "skip": "·"}
LEGEND = ("✓ agrees, ≈ differs by convention (the mapping below makes it agree), ✗ wrong, "
          "! raises, · not run")
# Below this relative error a float64 disagreement is arithmetic (a float32 step inside
# the peer), not a different formula.
PRECISION_ONLY = 1e-4


def peer_tolerance(dtype: str) -> float:
    return max(tolerance(dtype), 8 * EPS[dtype])


@dataclass
class Check:
    """One case through one mapping: the worst error ratios and what went wrong."""

    value_error: float
    grad_error: float | None
    relative: float  # the largest relative error of value or gradient
    message: str = ""

    @property
    def ok(self):
        return self.value_error <= 1 and (self.grad_error is None or self.grad_error <= 1)


@dataclass
class PeerCell:
    library: str
    call: str
    loss: str
    row: str
    dtype: str
    status: str
    detail: str = ""
    cases: list = field(default_factory=list)


@dataclass
class PeerReport:
    cells: list
    libraries: list  # (name, version, framework) of the peers run
    missing: list  # names of the peers not installed
    ports: list  # (library, Port) of every port run
    seconds: float = 0.0

    def counts(self):
        totals = dict.fromkeys(SYMBOLS, 0)
        for cell in self.cells:
            totals[cell.status] += 1
        return totals

    def to_json(self):
        return {
            "libraries": [{"name": n, "version": v, "framework": f} for n, v, f in self.libraries],
            "not_installed": self.missing,
            "ports": [{"library": lib, "call": p.call, "loss": p.loss, "ours": p.ours,
                       "convention": None if p.convention is None else {"code": p.convention.code,
                                                                         "note": p.convention.note}}
                      for lib, p in self.ports],
            "cells": [dataclasses.asdict(c) for c in self.cells],
            "summary": self.counts(),
            "seconds": round(self.seconds, 1),
        }

    def render(self) -> str:
        lines = ["Peers against the float64 oracles: " + LEGEND, ""]
        lines += ["Libraries: " + ", ".join(f"{n} {v} ({f})" for n, v, f in self.libraries)]
        if self.missing:
            lines += ["Not installed (skipped): " + ", ".join(self.missing)]
        by_port = {}
        for cell in self.cells:
            by_port.setdefault((cell.library, cell.call), {}).setdefault(f"{cell.loss}/{cell.row}", {})[cell.dtype] = cell
        width = max([len(r) for rows in by_port.values() for r in rows] + [20]) + 2
        header = " " * width + "".join(f"{d.replace('float', 'f'):>5}" for d in DTYPES)
        for (library, call), rows in by_port.items():
            lines += ["", f"{call}", header]
            for row, cells in rows.items():
                marks = "".join(f"{SYMBOLS[cells[d].status] if d in cells else ' ':>5}" for d in DTYPES)
                lines.append(f"  {row:<{width - 2}}{marks}")
        conventions = [(lib, p) for lib, p in self.ports if p.convention is not None and any(
            c.call == p.call and c.status == "convention" for c in self.cells)]
        if conventions:
            lines += ["", "Conventions (≈): their call, ours with the same numbers, and why"]
            for _, port in conventions:
                lines += [f"  {port.call}", f"    = {port.convention.code}", f"    {port.convention.note}"]
        wrong = [c for c in self.cells if c.status in ("wrong", "raises")]
        if wrong:
            lines += ["", "Wrong (✗) and raising (!) cells"]
            lines += [f"  {c.call} [{c.loss}/{c.row}, {c.dtype}]: {c.detail}" for c in wrong]
        totals = self.counts()
        lines += ["", f"{totals['agrees']} agree, {totals['convention']} differ by convention, {totals['wrong']} wrong, "
                  f"{totals['raises']} raise, {totals['skip']} not run, in {self.seconds:.0f} s"]
        return "\n".join(lines)


def _grid_rows():
    """``{(loss, option set): [(shape tag, Case)]}`` of the conformance grid."""
    rows = {}
    for group, case in select_cases():
        parts = group.split("/")
        rows.setdefault((case.loss, parts[1]), []).append((parts[2] if len(parts) > 2 else parts[1], case))
    return rows


def check_case(framework, module, theirs, case, dtype, *, grad=True, oracle_options=None, composed=None) -> Check:
    """``theirs`` on ``case`` in ``dtype`` against the oracle with ``oracle_options``
    (the case's own options unless a convention names others), or against ``composed``
    of the oracle (a convention that is ours applied piecewise)."""
    inputs = rounded_inputs(framework, case, dtype)
    array_names, static = inputs.array_names, inputs.static
    x, labels, arrays = inputs.x, inputs.labels, inputs.arrays
    x64, labels64, arrays64 = inputs.x64, inputs.labels64, inputs.arrays64
    oracle_static = {k: v for k, v in (oracle_options or case.options).items() if k not in array_names}
    oracle = oracles.ORACLES[case.loss]

    def expected_at(v):
        out = oracle(v, labels64, **oracle_static, **arrays64) if composed is None else composed(
            oracle, v, labels64, {**oracle_static, **arrays64})
        return np.asarray(out, np.float64)

    expected = expected_at(x64)
    options = {**our_defaults(case.loss), **static}

    def peer(v, lab, *arrs):
        return theirs(module, v, lab, {**options, **dict(zip(array_names, arrs))})

    want_grad = grad and case.grad
    if want_grad:
        value, gradient = framework.value_and_grad(peer, x, labels, *arrays)
    else:
        value, gradient = peer(x, labels, *arrays), None
    rtol = peer_tolerance(dtype)
    scale = 1.0 + float(np.max(np.abs(x64), initial=0.0))
    value64 = framework.to_numpy(value)
    value_error, message = error_ratio(value64, expected, rtol, scale)
    relative = value_relative = _relative(value64, expected, scale)
    grad_error = None
    if want_grad:
        if composed is None:
            expected_grad = expected_gradient(dataclasses.replace(case, options={**oracle_static, **arrays64}), x64,
                                              labels64, arrays64, oracle_static, expected.shape)
        else:
            cotangent = _cotangent(expected.shape)
            expected_grad = oracles.numerical_gradient(lambda v: float(np.sum(expected_at(v) * cotangent)), x64)
        grad_scale = float(np.max(np.abs(expected_grad), initial=0.0)) + 1e-300
        grad64 = framework.to_numpy(gradient)
        grad_error, grad_message = error_ratio(grad64, expected_grad, max(rtol, GRADIENT_RTOL_FLOOR), grad_scale)
        grad_relative = _relative(grad64, expected_grad, grad_scale)
        relative = max(relative, grad_relative)
        message = message or (grad_message and "gradient: " + grad_message)
        if not message and grad_error > 1 >= value_error:
            message = f"gradient off by {grad_relative:.2g} (relative)"
    if not message and value_error > 1:
        message = f"value off by {value_relative:.2g} (relative)"
    if dtype_name(value.dtype) != dtype:
        message = (message + "; " if message else "") + f"returns {dtype_name(value.dtype)}"
    return Check(value_error, grad_error, relative, message)


def _relative(actual, expected, scale):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
        return np.inf
    return float(np.max(np.abs(actual - expected) / (np.abs(expected) + scale), initial=0.0))


def _run(framework, module, theirs, cases, dtype, grad, oracle_options=None, composed=None):
    """Every case of a row through one mapping: ``[(shape, Check or exception text)]``."""
    results = []
    for shape, case in cases:
        try:
            options = None if oracle_options is None else oracle_options(dict(case.options))
            results.append((shape, check_case(framework, module, theirs, case, dtype, grad=grad,
                                              oracle_options=options, composed=composed)))
        except Exception as error:  # a peer that raises is a finding of that cell, not a crash
            results.append((shape, f"{type(error).__name__}: {error}".splitlines()[0][:200]))
    return results


def _worst(results):
    raised = [(shape, r) for shape, r in results if isinstance(r, str)]
    if raised:
        return raised[0]
    return max(results, key=lambda item: (not item[1].ok, item[1].relative))


def classify(direct, convention, float64_status, port, row, dtype):
    """The status and detail of a cell from its direct (and convention) results;
    ``float64_status`` is the same port and row's float64 cell's (None if not run)."""
    if all(isinstance(r, Check) and r.ok for _, r in direct):
        return "agrees", ""
    if convention is not None and all(isinstance(r, Check) and r.ok for _, r in convention):
        if port.convention.against_paper:
            return "wrong", f"formula differs from the paper: {port.convention.note}; equals {port.convention.code}"
        shape, check = _worst(direct)
        return "convention", (f"{shape}: direct mapping {check.message}" if isinstance(check, Check)
                              else f"{shape}: direct mapping raises {check}")
    results = convention if convention is not None else direct
    shape, check = _worst(results)
    note = port.known.get(row)
    known = f" — {note}" if note else ""
    if isinstance(check, str):
        return "raises", f"{shape}: {check}{known}"
    if not np.isfinite(check.relative):
        reason = "non-finite result"
    elif float64_status in ("agrees", "convention") or check.relative < PRECISION_ONLY:
        reason = "precision lost"
    else:
        reason = "formula differs"
    if not note and reason == "precision lost" and dtype == "float64" and port.float64_note:
        known = f" — {port.float64_note}"
    return "wrong", f"{shape}: {reason}: {check.message} ({check.value_error:.3g}x the value tolerance" + (
        f", {check.grad_error:.3g}x the gradient tolerance)" if check.grad_error is not None else ")") + known


def run_peers(*, only=None, dtypes=DTYPES, progress=True) -> PeerReport:
    """Every port of every installed peer library (``only``: these library names)."""
    start = time.time()
    grid = _grid_rows()
    cells, found, missing, ports = [], [], [], []
    selected = [lib for lib in libraries() if not only or lib.name in only]
    bar = _progress(sum(len(p.rows) for lib in selected if lib.installed() for p in lib.ports), progress,
                    "peers", "row")
    for library in selected:
        if not library.installed():
            missing.append(library.name)
            continue
        module = library.load()
        framework = get_framework(library.framework)
        found.append((library.name, library.version(), library.framework))
        for port in library.ports:
            ports.append((library.name, port))
            for row in port.rows:
                cases = [(shape, case) for shape, case in grid[(port.loss, row)]
                         if port.shapes is None or shape in port.shapes]
                if not cases:
                    raise ValueError(f"{port.call}: no case of {port.loss}/{row} has the shapes {port.shapes}")
                float64_status = None
                for dtype in dtypes:
                    cell = PeerCell(library.name, port.call, port.loss, row, dtype, "skip")
                    if dtype not in framework.dtypes:
                        cell.detail = f"{library.framework}: no {dtype}"
                    else:
                        direct = _run(framework, module, port.theirs, cases, dtype, port.grad)
                        convention = None
                        if port.convention is not None and not all(isinstance(r, Check) and r.ok for _, r in direct):
                            c = port.convention
                            convention = _run(framework, module, c.theirs or port.theirs, cases, dtype, port.grad,
                                              c.options, c.composed)
                        cell.status, cell.detail = classify(direct, convention, float64_status, port, row, dtype)
                        cell.cases = [_case_json(shape, r) for shape, r in (convention or direct)]
                    if dtype == "float64":
                        float64_status = cell.status
                    cells.append(cell)
                bar.update(1)
    bar.close()
    return PeerReport(cells, found, missing, ports, time.time() - start)


def _case_json(shape, result):
    if isinstance(result, str):
        return {"shape": shape, "raises": result}
    return {"shape": shape, "value_error": result.value_error, "grad_error": result.grad_error,
            "relative": result.relative, "detail": result.message}


def write_json(report: PeerReport, path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report.to_json(), handle, indent=1, default=float)


def _family_of():
    from ..cases import FAMILIES

    return {case.loss: family.__name__.rsplit(".", 1)[-1] for family in FAMILIES for _, case in family.cases()}


def _tally(cells):
    """``✓5 ≈1`` for a port's cells of one dtype."""
    counts = {}
    for cell in cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    return " ".join(f"{SYMBOLS[status]}{counts[status]}" for status in SYMBOLS if status in counts) or "·"


def render_markdown(report: PeerReport) -> str:
    """The generated part of docs/peers.md: libraries, porting tables by family, conventions, findings."""
    lines = [measured_on(report.seconds), "",
             "Libraries: " + ", ".join(f"{n} {v} ({f})" for n, v, f in report.libraries) + "."]
    if report.missing:
        lines.append("Not installed here, so not checked: " + ", ".join(report.missing) + ".")
    lines += ["", "| library | ports | " + " | ".join(SYMBOLS) + " |", "|---|---|" + "---|" * len(SYMBOLS)]
    for name, _, _ in report.libraries:
        cells = [c for c in report.cells if c.library == name]
        ports = len({c.call for c in cells})
        lines.append(f"| {name} | {ports} | " + " | ".join(str(sum(c.status == s for c in cells)) for s in SYMBOLS)
                     + " |")
    lines += ["", "Cells: " + LEGEND + "; each entry counts the option sets of a port (rows of the case grid)."]
    families = _family_of()
    by_family = {}
    for library, port in report.ports:
        by_family.setdefault(families[port.loss], []).append((library, port))
    for family, ports in by_family.items():
        lines += ["", f"### {family}", "", "| their call | ours, with the same numbers | " + " | ".join(DTYPES) + " |",
                  "|---|---|" + "---|" * len(DTYPES)]
        for library, port in ports:
            cells = [c for c in report.cells if c.library == library and c.call == port.call]
            lines.append(f"| `{port.call}` | `{port.ours}` | " + " | ".join(
                _tally([c for c in cells if c.dtype == dtype]) for dtype in DTYPES) + " |")
    conventions = [port for _, port in report.ports if port.convention is not None and any(
        c.call == port.call and (c.status == "convention" or port.convention.code in c.detail) for c in report.cells)]
    if conventions:
        lines += ["", "### Conventions", "", "Where the direct mapping differs, the mapping that gives the same numbers:",
                  ""]
        lines += [f"- `{p.call}`: {p.convention.note}. Same numbers: `{p.convention.code}`." for p in conventions]
    findings = [c for c in report.cells if c.status in ("wrong", "raises")]
    if findings:
        lines += ["", "### Differences", "", "| their call | option set | dtype | what |", "|---|---|---|---|"]
        lines += [f"| `{c.call}` | {c.loss}/{c.row} | {c.dtype} | {c.detail.replace('|', '/')} |" for c in findings]
    return "\n".join(lines)


def write_markdown(report: PeerReport, path) -> None:
    replace_block(path, "peers", render_markdown(report))
