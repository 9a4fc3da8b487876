"""``imbalance-losses bench``: ours vs native, forward + backward, side by side in one run."""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np

from imbalance_losses.core.common import start_call

from .harness import RUNNERS, median_time
from .pairs import PAIRS, QUICK_SIZES, SIZES, inputs

TARGETS = {"compiled": 1.10, "eager": 1.5}
LARGE = 1_000_000  # ratio targets apply from this many logits
OVERHEAD_TARGET_US = 30.0


def _sizes_for(kind, sizes):
    return [(name, shape) for name, (k, shape) in sizes.items() if k in (kind, "any")]


def run(frameworks, modes, device, quick=False, log=print):
    sizes = QUICK_SIZES if quick else SIZES
    rows = []
    for framework in frameworks:
        runner = RUNNERS[framework](device)
        for pair in PAIRS[framework]():
            for size_name, shape in _sizes_for(pair.kind, sizes):
                kind = pair.kind if pair.kind != "any" else "binary"
                x_np, y_np = inputs(kind, shape, pair.dense_targets and kind == "classes")
                ours_target = inputs(kind, shape, False)[1] if pair.dense_targets else y_np
                x, y_native = runner.arrays(x_np, y_np)
                _, y_ours = runner.arrays(x_np, ours_target)
                copy = median_time(runner.copy_limit(x), sync=runner.sync)
                for mode in modes:
                    ours = median_time(runner.step(pair.ours, x, y_ours, mode), sync=runner.sync)
                    native = median_time(runner.step(pair.native, x, y_native, mode), sync=runner.sync)
                    row = {
                        "framework": framework, "pair": pair.name, "size": size_name, "elements": int(np.prod(shape)),
                        "mode": mode, "ours_ms": ours * 1e3, "native_ms": native * 1e3, "ratio": ours / native,
                        "copy_ms": copy * 1e3, "bandwidth_fraction": copy / ours,
                        "ours_bytes": runner.memory(pair.ours, x, y_ours, mode),
                        "native_bytes": runner.memory(pair.native, x, y_native, mode),
                    }
                    if size_name.startswith("tiny") and mode == "eager":
                        # Dispatch: namespace, adapter, dtype and device resolution of one call.
                        row["overhead_us"] = 1e6 * median_time(lambda: start_call(x, labels=y_ours), min_repeats=500, budget=0.3)
                        f_ours = median_time(lambda: pair.ours(x, y_ours), sync=runner.sync, min_repeats=200, budget=0.5)
                        f_native = median_time(lambda: pair.native(x, y_native), sync=runner.sync, min_repeats=200, budget=0.5)
                        row["eager_extra_us"] = (f_ours - f_native) * 1e6
                    rows.append(row)
                    log(_format_row(row))
    return rows


def _mem(value):
    return "-" if value is None else f"{value / 2**20:.1f}"


def _format_row(row):
    mem_ratio = (f"{row['ours_bytes'] / row['native_bytes']:.2f}"
                 if row["ours_bytes"] is not None and row["native_bytes"] else "-")
    overhead = f"{row['overhead_us']:.1f} (forward {row['eager_extra_us']:+.0f} vs native)" if "overhead_us" in row else ""
    return (f"| {row['framework']} | {row['pair']} | {row['size']} | {row['mode']} | {row['ours_ms']:.3f} | "
            f"{row['native_ms']:.3f} | **{row['ratio']:.2f}** | {_mem(row['ours_bytes'])} / {_mem(row['native_bytes'])} "
            f"({mem_ratio}) | {row['bandwidth_fraction']:.0%} | {overhead} |")


HEADER = ("| framework | pair | size | mode | ours ms | native ms | ours/native | memory MiB ours / native (ratio) "
          "| bandwidth limit / ours | dispatch overhead µs |\n|---|---|---|---|---|---|---|---|---|---|")


def misses(rows):
    found = []
    for row in rows:
        if row["elements"] >= LARGE and row["ratio"] > TARGETS[row["mode"]]:
            found.append(f"time: {row['framework']} {row['pair']} {row['size']} {row['mode']}: {row['ratio']:.2f} > {TARGETS[row['mode']]}")
        if row["ours_bytes"] is not None and row["native_bytes"] and row["ours_bytes"] > 1.10 * row["native_bytes"]:
            found.append(f"memory: {row['framework']} {row['pair']} {row['size']} {row['mode']}: "
                         f"{row['ours_bytes'] / row['native_bytes']:.2f}x native")
        if row.get("overhead_us", 0) > OVERHEAD_TARGET_US:
            found.append(f"overhead: {row['framework']} {row['pair']}: {row['overhead_us']:.0f} us > {OVERHEAD_TARGET_US}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="imbalance-losses bench", description=__doc__)
    parser.add_argument("--framework", action="append", choices=list(PAIRS))
    parser.add_argument("--mode", action="append", choices=["eager", "compiled"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    import importlib.util

    frameworks = [f for f in (args.framework or list(PAIRS)) if importlib.util.find_spec(f)]
    if "torch" in frameworks:
        import torch  # noqa: F401  (before tensorflow)
    machine = f"{platform.machine()} {platform.processor() or ''} ({args.device})".strip()
    print(f"Machine: {machine}, Python {platform.python_version()}\n")
    print(HEADER)
    rows = run(frameworks, args.mode or ["eager", "compiled"], args.device, quick=args.quick)
    missed = misses(rows)
    print("\nTargets (>= 1M logits): compiled <= 1.10x, eager <= 1.5x; memory <= native + 10%; "
          f"dispatch overhead <= {OVERHEAD_TARGET_US:.0f} us.")
    print("Missed:\n  " + "\n  ".join(missed) if missed else "All targets met.")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "rows": rows, "missed": missed}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
