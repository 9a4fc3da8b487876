"""``imbalance-losses bench``: ours vs native, forward + backward, side by side in one run.

``--markdown docs/benchmarks.md`` rewrites the measured part of that page (between
its ``bench:begin``/``bench:end`` markers) from this run: machine, versions, the
table, and every target met or missed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import platform
import re
import sys
from pathlib import Path

import numpy as np

from . import boosting
from .harness import RUNNERS, median_time
from .pairs import PAIRS, QUICK_SIZES, SIZES, pair_arrays
from .traffic import GPU_BANDWIDTH, LAUNCH_SECONDS, floor_bytes, modelled_seconds

LARGE = 1_000_000  # ratio targets apply from this many logits
OVERHEAD_TARGET = 2.0  # an eager call on a tiny input: at most twice the native idiom's time


def _sizes_for(kind, sizes):
    return [(name, shape) for name, (k, shape) in sizes.items() if k in (kind, "any")]


def run(frameworks, modes, device, quick=False, log=print):
    """Timing rows (per mode) and traffic rows (per pair and size, the tiny size left out)."""
    sizes = QUICK_SIZES if quick else SIZES
    rows, traffic_rows = [], []
    for framework in frameworks:
        runner = RUNNERS[framework](device)
        for pair in PAIRS[framework]():
            for size_name, shape in _sizes_for(pair.kind, sizes):
                kind = pair.kind if pair.kind != "any" else "binary"
                x, y_ours, y_native = pair_arrays(runner, pair, kind, shape)
                copy = median_time(runner.copy_limit(x), sync=runner.sync)
                tiny = size_name.startswith("tiny")
                for mode in modes:
                    ours = median_time(runner.step(pair.ours, x, y_ours, mode), sync=runner.sync,
                                       min_repeats=200 if tiny else 5, budget=0.5 if tiny else 1.0)
                    native = median_time(runner.step(pair.native, x, y_native, mode), sync=runner.sync,
                                         min_repeats=200 if tiny else 5, budget=0.5 if tiny else 1.0)
                    row = {
                        "framework": framework, "pair": pair.name, "size": size_name, "elements": int(np.prod(shape)),
                        "mode": mode, "ours_ms": ours * 1e3, "native_ms": native * 1e3, "ratio": ours / native,
                        "copy_ms": copy * 1e3, "bandwidth_fraction": copy / ours,
                        "ours_bytes": runner.memory(pair.ours, x, y_ours, mode),
                        "native_bytes": runner.memory(pair.native, x, y_native, mode),
                        "target": OVERHEAD_TARGET if tiny else pair.target_for(mode),
                        "memory_target": pair.memory_target,
                    }
                    rows.append(row)
                    log(_format_row(row))
                if not tiny:
                    traffic_rows.append(_traffic_row(runner, pair, size_name, x, y_ours, y_native))
    return rows, traffic_rows


def _traffic_row(runner, pair, size_name, x, y_ours, y_native):
    (ours, ours_kernels), (native, native_kernels) = (runner.traffic(pair.ours, x, y_ours),
                                                      runner.traffic(pair.native, x, y_native))
    floor = floor_bytes(x, y_ours, runner.nbytes)
    row = {"framework": runner.name, "pair": pair.name, "size": size_name, "counted": runner.traffic_mode,
           "ours_moved": ours, "native_moved": native, "ours_kernels": ours_kernels,
           "native_kernels": native_kernels, "floor": floor,
           # Targets are eager PyTorch's (one kernel per operation); compiled programs are reported.
           "traffic_target": pair.traffic_target if runner.traffic_mode == "eager" else None,
           "floor_target": pair.floor_target if runner.traffic_mode == "eager" else None}
    for gpu in GPU_BANDWIDTH:
        row[f"ours_{gpu}_us"] = modelled_seconds(ours, ours_kernels, gpu) * 1e6
        row[f"native_{gpu}_us"] = modelled_seconds(native, native_kernels, gpu) * 1e6
    return row


TRAFFIC_HEADER = ("| framework | pair | size | counted | MB moved ours / native (ratio) | kernels ours / native | "
                  "floor MB | ours/floor | " + " | ".join(f"{gpu} µs ours / native" for gpu in GPU_BANDWIDTH) +
                  " |\n|---|---|---|---|---|---|---|---|" + "---|" * len(GPU_BANDWIDTH))


def _format_traffic_row(row):
    gpus = " | ".join(f"{row[f'ours_{gpu}_us']:.0f} / {row[f'native_{gpu}_us']:.0f}" for gpu in GPU_BANDWIDTH)
    return (f"| {row['framework']} | {row['pair']} | {row['size']} | {row['counted']} | "
            f"{row['ours_moved'] / 1e6:.1f} / {row['native_moved'] / 1e6:.1f} "
            f"(**{row['ours_moved'] / row['native_moved']:.2f}**) | {row['ours_kernels']} / {row['native_kernels']} | "
            f"{row['floor'] / 1e6:.1f} | {row['ours_moved'] / row['floor']:.1f} | {gpus} |")


def traffic_misses(rows):
    found = []
    for row in rows:
        label = f"{row['framework']} {row['pair']} {row['size']} {row['counted']}"
        ratio, floor = row["ours_moved"] / row["native_moved"], row["ours_moved"] / row["floor"]
        if row["traffic_target"] is not None and ratio > row["traffic_target"]:
            found.append(f"traffic: {label}: {ratio:.2f}x native's bytes > {row['traffic_target']}")
        if row["floor_target"] is not None and floor > row["floor_target"]:
            found.append(f"traffic: {label}: {floor:.1f}x the floor > {row['floor_target']}")
    return found


def _mem(value):
    return "-" if value is None else f"{value / 2**20:.1f}"


def _format_row(row):
    mem_ratio = (f"{row['ours_bytes'] / row['native_bytes']:.2f}"
                 if row["ours_bytes"] is not None and row["native_bytes"] else "-")
    return (f"| {row['framework']} | {row['pair']} | {row['size']} | {row['mode']} | {row['ours_ms']:.3f} | "
            f"{row['native_ms']:.3f} | **{row['ratio']:.2f}** | {_mem(row['ours_bytes'])} / {_mem(row['native_bytes'])} "
            f"({mem_ratio}) | {row['bandwidth_fraction']:.0%} |")


HEADER = ("| framework | pair | size | mode | ours ms | native ms | ours/native | saved for backward MiB ours / native "
          "(ratio) | copy limit / ours |\n|---|---|---|---|---|---|---|---|---|")


def misses(rows):
    """Every target not met: time at >= 1M logits, per-call overhead on the tiny input, memory."""
    found = []
    for row in rows:
        label = f"{row['framework']} {row['pair']} {row['size']} {row['mode']}"
        applies = row["elements"] >= LARGE or row["size"].startswith("tiny")
        if applies and row["ratio"] > row["target"]:
            found.append(f"time: {label}: {row['ratio']:.2f} > {row['target']}")
        limit = row.get("memory_target") or 1.0
        if row["ours_bytes"] is not None and row["native_bytes"] and row["ours_bytes"] > limit * row["native_bytes"]:
            found.append(f"memory: {label}: {row['ours_bytes'] / row['native_bytes']:.2f}x native > {limit}")
    return found


def _versions():
    names = ("torch", "jax", "jaxlib", "tensorflow-cpu", "keras", "optax", "catboost", "numpy", "array-api-compat")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def all_misses(rows, traffic_rows, boosting_rows):
    return misses(rows) + traffic_misses(traffic_rows) + boosting.misses(boosting_rows)


def report(rows, traffic_rows, boosting_rows, machine):
    missed = all_misses(rows, traffic_rows, boosting_rows)
    lines = [f"Measured {datetime.date.today().isoformat()} on {machine}, Python {platform.python_version()}; "
             f"{_versions()}.", "", HEADER] + [_format_row(row) for row in rows]
    if traffic_rows:
        gpus = ", ".join(f"{gpu} {bandwidth / 1e12:g} TB/s" for gpu, bandwidth in GPU_BANDWIDTH.items())
        lines += ["", f"Memory traffic of forward + backward and the GPU time it models (bytes / bandwidth + "
                      f"kernels x {LAUNCH_SECONDS * 1e6:g} µs; {gpus}):", "", TRAFFIC_HEADER]
        lines += [_format_traffic_row(row) for row in traffic_rows]
    if boosting_rows:
        lines += ["", boosting.HEADER] + [boosting.format_row(row) for row in boosting_rows]
    lines += ["", "Targets: at >= 1M logits, eager <= 1.2x and compiled <= 1.0x the native idiom, focal losses "
              "<= 1.0x in both modes, GHM-C <= 3x plain binary cross-entropy; an eager call on the tiny input "
              f"<= {OVERHEAD_TARGET:g}x; bytes kept for backward <= the native's (focal <= 0.5x, GHM-C <= 3x); "
              f"a CatBoost multi-class call <= {boosting.CATBOOST_TARGET:g}x a hand-written NumPy derivative; "
              "eager PyTorch's bytes moved <= the native idiom's (GHM-C <= 2x binary cross-entropy's) and <= 8x "
              "the floor for focal and cross-entropy.", ""]
    lines += (["Missed:", ""] + [f"- {m}" for m in missed]) if missed else ["All targets met."]
    return "\n".join(lines)


def write_markdown(path, text):
    """Replace the measured part of the benchmarks page (between its markers)."""
    page = Path(path)
    old = page.read_text() if page.exists() else "<!-- bench:begin -->\n<!-- bench:end -->\n"
    new, count = re.subn(r"(<!-- bench:begin -->\n).*?(<!-- bench:end -->)", lambda m: m.group(1) + text + "\n" + m.group(2),
                         old, flags=re.S)
    if count != 1:
        raise ValueError(f"{path} needs one <!-- bench:begin --> ... <!-- bench:end --> block")
    page.write_text(new)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="imbalance-losses bench", description=__doc__)
    parser.add_argument("--framework", action="append", choices=[*PAIRS, "catboost"])
    parser.add_argument("--mode", action="append", choices=["eager", "compiled"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="rewrite the measured block of this page (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    import importlib.util

    frameworks = [f for f in (args.framework or [*PAIRS, "catboost"]) if importlib.util.find_spec(f)]
    if "torch" in frameworks:
        import torch  # noqa: F401  (before tensorflow)
    machine = f"{platform.machine()} {platform.processor() or ''} ({args.device})".strip()
    print(f"Machine: {machine}, Python {platform.python_version()}\n")
    print(HEADER)
    rows, traffic_rows = run([f for f in frameworks if f in PAIRS], args.mode or ["eager", "compiled"], args.device,
                             quick=args.quick)
    boosting_rows = []
    if "catboost" in frameworks:
        print("\n" + boosting.HEADER)
        boosting_rows = boosting.catboost_rows()
    text = report(rows, traffic_rows, boosting_rows, machine)
    print("\n" + text.split("\n\n", 2)[-1])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "rows": rows, "traffic_rows": traffic_rows, "catboost_rows": boosting_rows,
                       "missed": all_misses(rows, traffic_rows, boosting_rows)},
                      handle, indent=1)
    if args.markdown:
        write_markdown(args.markdown, text)
        print(f"Rewrote the measured block of {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
