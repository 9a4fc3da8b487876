"""Run the case grid over framework x device x dtype x mode and build the report.

A column is one framework/device/dtype/mode combination; a row is one loss and
option set (its shapes pooled). A cell passes when every case of the row passes
in that column, fails when any fails, and is skipped, with a reason, where the
combination does not exist (a framework not installed, a dtype the framework
lacks, compilation for a library without a compiler).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field

from .cases import case_grid
from .checks import run_case
from .frameworks import DTYPES, FRAMEWORKS, MODES, get_framework

SYMBOLS = {"pass": "✓", "fail": "✗", "skip": "·"}
# The default matrix answers in two minutes on two cores: every case in float64 eagerly
# (the formulas, every option set and shape), every option set in float32 eagerly (on
# its largest input), and one case per loss compiled. JAX compiles each case's program
# (0.1-0.2 s, whatever its size), so its float64 column runs one case per option set
# and its float32 eager column, the same jitted programs as its compiled one, is left
# to --full. ``--full`` (or explicit dtypes/modes) widens it.
DEFAULT_COLUMNS = {("float64", "eager"), ("float32", "eager"), ("float32", "compiled")}
DEFAULT_SCOPE = ("default matrix: every case in float64 eager (JAX: one per option set), one case per option set "
                 "in float32 eager, one per loss compiled (--full: every dtype, mode and case)")
JAX_FLOAT32_EAGER_SKIP = ("jax float32 eager: the compiled column's XLA programs again (a JAX case is one jitted "
                          "program in both); --full runs it")
FULL_SCOPE = "full matrix: every dtype and mode"


class MissingDeviceError(RuntimeError):
    """A device was requested on the command line but no framework has it."""


@dataclass(frozen=True)
class Column:
    framework: str
    device: str
    dtype: str
    mode: str

    @property
    def name(self) -> str:
        return f"{self.framework}-{self.device}-{self.dtype}-{self.mode}"


@dataclass
class Cell:
    status: str  # "pass" | "fail" | "skip"
    detail: str = ""
    cases: list = field(default_factory=list)  # per-case results: group, status, errors


@dataclass
class Report:
    rows: list
    columns: list
    cells: dict  # (row, column name) -> Cell
    seconds: float = 0.0
    scope: str = FULL_SCOPE

    def counts(self):
        totals = {"pass": 0, "fail": 0, "skip": 0}
        for cell in self.cells.values():
            totals[cell.status] += 1
        return totals

    def failures(self):
        return [(row, col) for (row, col), cell in self.cells.items() if cell.status == "fail"]

    def to_json(self) -> dict:
        return {
            "columns": [asdict(c) | {"name": c.name} for c in self.columns],
            "rows": self.rows,
            "cells": [
                {"row": row, "column": col, "status": cell.status, "detail": cell.detail, "cases": cell.cases}
                for (row, col), cell in self.cells.items()
            ],
            "scope": self.scope,
            "summary": self.counts(),
            "seconds": round(self.seconds, 1),
        }

    def render(self) -> str:
        """The matrix: one row per loss/option set, one column per framework/device/dtype/mode."""
        codes = {c.name: f"{i + 1}" for i, c in enumerate(self.columns)}
        width = max(len(r) for r in self.rows) if self.rows else 10
        lines = [f"Ran the {self.scope}.", "", "Columns:"]
        lines += [f"  {codes[c.name]:>3} {c.name}" for c in self.columns]
        header = " " * width + " " + "".join(f"{codes[c.name]:>3}" for c in self.columns)
        lines += ["", header]
        for row in self.rows:
            marks = "".join(f"{SYMBOLS[self.cells[(row, c.name)].status]:>3}" for c in self.columns)
            lines.append(f"{row:<{width}} {marks}")
        skipped_reasons = sorted({cell.detail for cell in self.cells.values() if cell.status == "skip"})
        if skipped_reasons:
            lines += ["", "Skipped (·):"] + [f"  {reason}" for reason in skipped_reasons]
        failures = self.failures()
        if failures:
            lines += ["", "Failures (✗):"]
            for row, col in failures:
                lines.append(f"  {row} @ {col}: {self.cells[(row, col)].detail}")
        totals = self.counts()
        lines += ["", f"{totals['pass']} passed, {totals['fail']} failed, {totals['skip']} skipped "
                  f"in {self.seconds:.0f} s ({self.scope})"]
        return "\n".join(lines)


def _row_of(group: str) -> str:
    """Rows pool the shapes of one loss/option set: drop a trailing shape tag."""
    parts = group.split("/")
    return "/".join(parts[:2])


def select_cases(losses=None, *, one_per=None):
    """The grid's ``(group, Case)`` pairs for ``losses`` (all when None); ``one_per="loss"``:
    only each loss's first case (its default options, batched); ``one_per="row"``: each
    option set's case with the largest input (its shapes are the same code)."""
    cases = list(case_grid())
    if losses:
        unknown = set(losses) - {case.loss for _, case in cases}
        if unknown:
            raise ValueError(f"Unknown loss(es): {sorted(unknown)}")
        cases = [(g, c) for g, c in cases if c.loss in losses]
    if one_per == "loss":
        first = {}
        for group, case in cases:
            first.setdefault(case.loss, (group, case))
        cases = list(first.values())
    elif one_per == "row":
        largest = {}
        for group, case in cases:
            best = largest.get(_row_of(group))
            if best is None or case.logits.size > best[1].logits.size:
                largest[_row_of(group)] = (group, case)
        cases = list(largest.values())
    return cases


def case_scope(column, full, default_matrix) -> str | None:
    """Which cases a column runs (``one_per`` of :func:`select_cases`): every case with
    ``full``; one per loss compiled; in the default matrix one per option set in float32,
    and on JAX (compile-bound) in float64 too."""
    if full:
        return None
    if column.mode == "compiled":
        return "loss"
    if default_matrix and (column.dtype != "float64" or column.framework == "jax"):
        return "row"
    return None


def build_columns(frameworks=None, devices=None, dtypes=None, modes=None, full=True):
    """Columns to run and columns to report as skipped (with their reason).

    Without ``full`` and with neither dtypes nor modes given, only the
    :data:`DEFAULT_COLUMNS` dtype/mode pairs are built.
    """
    frameworks = list(frameworks or FRAMEWORKS)
    default_only = not full and not dtypes and not modes
    dtypes = list(dtypes or DTYPES)
    modes = list(modes or MODES)
    run, skipped = [], []
    seen_devices = set()
    for name in frameworks:
        framework = get_framework(name)
        installed = framework.available()
        available_devices = framework.devices() if installed else ["cpu"]
        seen_devices.update(available_devices)
        for device in devices or available_devices:
            for dtype in dtypes:
                for mode in modes:
                    if default_only and (dtype, mode) not in DEFAULT_COLUMNS:
                        continue
                    column = Column(name, device, dtype, mode)
                    reason = None
                    if not installed:
                        reason = f"{name}: not installed"
                    elif device not in available_devices:
                        reason = f"{name}: no {device} device"
                    elif dtype not in framework.dtypes:
                        reason = f"{name}: no {dtype}"
                    elif not framework.supports(device, dtype):
                        reason = f"{name}: no {dtype} on {device}"
                    elif mode == "compiled" and not framework.differentiable:
                        reason = f"{name}: no compiler (eager only)"
                    elif default_only and (name, dtype, mode) == ("jax", "float32", "eager"):
                        reason = JAX_FLOAT32_EAGER_SKIP
                    (skipped if reason else run).append((column, reason))
    for device in devices or []:
        if device != "cpu" and device not in seen_devices:
            raise MissingDeviceError(f"Requested device {device!r}, but no installed framework reports one.")
    return run, skipped


REPRESENTATIVE_SKIP = "compiled: one representative case per loss (--full compiles every case)"


def run_conformance(*, losses=None, frameworks=None, devices=None, dtypes=None, modes=None, full=True,
                    progress=True, case_runner=run_case, jobs=1) -> Report:
    """Run the grid and return the report (``case_runner`` is replaceable for mutation tests).

    ``full=False`` runs the default matrix unless dtypes or modes are given (its cases:
    :func:`case_scope`), and compiles only each loss's first case (compiling costs
    seconds per case; with dtypes or modes given the eager columns run every case). ``jobs > 1`` runs the columns in that many worker
    processes, the costliest first, each worker taking the next column when it is done
    (the default ``case_runner`` only: a replaced one lives in this process).
    """
    start = time.time()
    cases = select_cases(losses)
    default_matrix = not full and not dtypes and not modes
    rows = list(dict.fromkeys(_row_of(g) for g, _ in cases))
    run, skipped = build_columns(frameworks, devices, dtypes, modes, full)
    if full or dtypes or modes:
        scope = FULL_SCOPE if full and not dtypes and not modes else "requested dtypes and modes: " + ", ".join(
            sorted({f"{c.dtype} {c.mode}" for c, _ in run + skipped}))
    else:
        scope = DEFAULT_SCOPE
    columns = sorted([c for c, _ in run] + [c for c, _ in skipped],
                     key=lambda c: (list(FRAMEWORKS).index(c.framework), c.device, DTYPES.index(c.dtype), MODES.index(c.mode)))
    cells = {}
    for column, reason in skipped:
        for row in rows:
            cells[(row, column.name)] = Cell("skip", reason)
    to_run = [column for column, _ in run]
    # One bar over the columns and one over each column's cases: a compiled case costs
    # seconds where an eager NumPy one costs a millisecond, so only within a column does
    # the rate, and the time left, mean anything.
    columns_bar = _progress(len(to_run), progress, "conformance", "column", eta=False)
    if jobs > 1 and len(to_run) > 1 and case_runner is run_case:
        cells.update(_run_in_processes(to_run, losses, full, default_matrix, jobs, columns_bar))
    else:
        for column in to_run:
            columns_bar.set_postfix_str(column.name, refresh=True)
            cells.update(run_column(column, losses, full, default_matrix, case_runner=case_runner,
                                    progress=progress))
            columns_bar.update(1)
    columns_bar.close()
    return Report(rows, columns, cells, time.time() - start, scope)


def run_column(column: Column, losses, full, default_matrix=False, *, case_runner=run_case, progress=False) -> dict:
    """The cells ``{(row, column name): Cell}`` of one column."""
    cases = select_cases(losses)
    column_cases = select_cases(losses, one_per=case_scope(column, full, default_matrix))
    framework = get_framework(column.framework)
    covered = {_row_of(g) for g, _ in column_cases}
    cells = {(row, column.name): Cell("pass") if row in covered else Cell("skip", REPRESENTATIVE_SKIP)
             for row in dict.fromkeys(_row_of(g) for g, _ in cases)}
    bar = _progress(len(column_cases), progress, column.name, "case", leave=False)
    for group, case in column_cases:
        cell = cells[(_row_of(group), column.name)]
        try:
            outcome = case_runner(framework, case, dtype=column.dtype, device=column.device, mode=column.mode)
            ok, detail = outcome.ok, outcome.message
            errors = {"value": outcome.value_error, "grad": outcome.grad_error}
        except Exception as error:  # a crash is a failure of that cell, not of the run
            ok, detail, errors = False, f"{type(error).__name__}: {error}".splitlines()[0][:300], {}
            if progress == "debug":
                traceback.print_exc()
        cell.cases.append({"case": group, "status": "pass" if ok else "fail", "detail": detail, **errors})
        if not ok and cell.status == "pass":
            cell.status, cell.detail = "fail", f"{group}: {detail}"
        bar.update(1)
    bar.close()
    return cells


# Rough seconds per case by framework and mode on a 2-core CPU (JAX compiles each eager
# case's program; torch.compile and XLA compile each compiled one): the costliest
# columns are started first, so that no worker is left with a long column at the end.
_SECONDS_PER_CASE = {("jax", "eager"): 0.2, ("jax", "compiled"): 0.5, ("torch", "compiled"): 1.0,
                     ("tensorflow", "compiled"): 0.5}


def _run_in_processes(columns, losses, full, default_matrix, jobs, columns_bar) -> dict:
    import concurrent.futures
    import multiprocessing

    def cost(column):
        count = len(select_cases(losses, one_per=case_scope(column, full, default_matrix)))
        return count * _SECONDS_PER_CASE.get((column.framework, column.mode), 0.02)

    cells = {}
    # spawn, not fork: a forked copy of a process that has started TensorFlow's or
    # PyTorch's thread pools can deadlock.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        pending = {pool.submit(run_column, column, losses, full, default_matrix): column
                   for column in sorted(columns, key=cost, reverse=True)}
        waiting = list(pending)  # in submission order: the first running ones are on a worker
        while waiting:
            done, _ = concurrent.futures.wait(waiting, timeout=1.0, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                cells.update(future.result())
                waiting.remove(future)
                columns_bar.update(1)
            running = [pending[f].name for f in waiting if f.running()][:jobs]
            columns_bar.set_postfix_str("running " + ", ".join(running) if running else "", refresh=True)
    return cells


class _NoBar:
    def update(self, n):
        pass

    def set_postfix_str(self, text, refresh=True):
        pass

    def close(self):
        pass


def _progress(total, enabled, desc, unit, leave=True, eta=True):
    """A progress bar on stderr; ``eta=False`` shows the count and the elapsed time only
    (columns differ in cost by two orders of magnitude: their rate predicts nothing)."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    bar_format = None if eta else "{desc}: {n_fmt}/{total_fmt} " + unit + "s [{elapsed}]{postfix}"
    return tqdm(total=total, unit=unit, file=sys.stderr, desc=desc, dynamic_ncols=True, leave=leave,
                bar_format=bar_format)


def write_json(report: Report, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report.to_json(), handle, indent=1, default=float)


def measured_on(seconds: float) -> str:
    """Where and when a report ran: the date, commit, machine and Python."""
    import datetime
    import platform
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (f"Measured {datetime.date.today().isoformat()} at commit {commit} on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, in {seconds:.0f} s.")


def replace_block(path, name: str, text: str) -> None:
    """Replace the generated block of a docs page, between ``<!-- name:begin -->`` and ``<!-- name:end -->``."""
    import re
    from pathlib import Path

    page = Path(path)
    new, count = re.subn(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)",
                         lambda m: m.group(1) + text + "\n" + m.group(2), page.read_text(encoding="utf-8"), flags=re.S)
    if count != 1:
        raise ValueError(f"{path} needs one <!-- {name}:begin --> ... <!-- {name}:end --> block")
    page.write_text(new, encoding="utf-8")


def write_markdown(report: Report, path: str) -> None:
    """Replace the report block of a docs page with this report: where and when it ran, then the matrix."""
    replace_block(path, "conformance", f"{measured_on(report.seconds)}\n\n```text\n{report.render()}\n```")
