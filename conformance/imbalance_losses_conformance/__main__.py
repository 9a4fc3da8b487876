"""Command line: ``imbalance-losses conformance`` (also ``python -m conformance``).

Runs the conformance grid and prints the matrix; exit status 1 if any cell
fails, 2 if a requested device is absent or the arguments are invalid.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import PACKAGE_VARIABLE
from .frameworks import DTYPES, FRAMEWORKS, MODES


def _conformance_parser(parser):
    parser.add_argument("--loss", action="append", help="only this loss (repeatable)")
    parser.add_argument("--framework", action="append", choices=list(FRAMEWORKS), help="only this framework (repeatable)")
    parser.add_argument("--device", action="append", choices=["cpu", "cuda"],
                        help="only this device (repeatable); a requested GPU that is absent is an error")
    parser.add_argument("--dtype", action="append", choices=list(DTYPES), help="only this dtype (repeatable)")
    parser.add_argument("--mode", action="append", choices=list(MODES), help="eager and/or compiled (repeatable)")
    parser.add_argument("--full", action="store_true",
                        help="every dtype (float64, float32, float16, bfloat16) in every mode; the default runs "
                             "float64 and float32 eager and float32 compiled")
    parser.add_argument("--json", metavar="PATH", help="also write the full report as JSON")
    parser.add_argument("--export", metavar="DIR",
                        help="write every case (of --loss) as portable float64 test vectors to DIR, with the "
                             "one-file checker golden_check.py, instead of running the report")
    parser.add_argument("--markdown", metavar="PATH",
                        help="rewrite the report block of this page (between <!-- conformance:begin --> and "
                             "<!-- conformance:end -->), e.g. docs/conformance.md")
    parser.add_argument("--package", metavar="MODULE",
                        help="the implementation under test: a vendored copy's import path, e.g. "
                             "mylib._vendor.imbalance_losses (default: the installed imbalance_losses)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="worker processes running the columns (default: the CPU count, at most 4)")
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "bench":  # `imbalance-losses bench ...`
        from imbalance_losses_bench.__main__ import main as bench

        return bench(argv[1:])
    if argv and argv[0] == "vendor":  # `imbalance-losses vendor DEST`
        from .vendor import vendor

        parser = argparse.ArgumentParser(prog="imbalance-losses vendor", description=(
            "Write DEST/imbalance_losses/: the core, its framework layers and its adapters in one folder, "
            "to copy into another package (nothing at the host's top level)."))
        parser.add_argument("destination", metavar="DEST", help="a folder of the host package, e.g. mylib/_vendor")
        path = vendor(parser.parse_args(argv[1:]).destination)
        print(f"Vendored imbalance_losses into {path}")
        return 0
    if argv and argv[0] == "peers":  # `imbalance-losses peers ...`
        return _peers(argv[1:])
    if argv and argv[0] == "conformance":  # `imbalance-losses conformance ...`
        argv = argv[1:]
    parser = _conformance_parser(argparse.ArgumentParser(prog="imbalance-losses conformance", description=__doc__))
    args = parser.parse_args(argv)
    if args.package:  # read by checks.py, here and in the worker processes
        os.environ[PACKAGE_VARIABLE] = args.package
    if args.export:
        from .golden import export

        try:
            count = export(args.export, args.loss)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"Wrote {count} cases to {args.export} (index.json, one .npz per case, golden_check.py)")
        return 0
    from .runner import MissingDeviceError, run_conformance, write_json, write_markdown

    try:
        report = run_conformance(losses=args.loss, frameworks=args.framework, devices=args.device,
                                 dtypes=args.dtype, modes=args.mode, full=args.full,
                                 progress=not args.no_progress, jobs=args.jobs)
    except (MissingDeviceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _write(report, args, write_json, write_markdown)
    return 1 if report.failures() else 0


def _write(report, args, write_json, write_markdown) -> None:
    """Print a report and write the JSON and the docs block its arguments ask for."""
    print(report.render())
    if args.json:
        write_json(report, args.json)
        print(f"JSON report: {args.json}")
    if args.markdown:
        write_markdown(report, args.markdown)
        print(f"Rewrote the generated block of {args.markdown}")


def _peers(argv) -> int:
    from .peers import libraries
    from .peers.report import DTYPES, run_peers, write_json, write_markdown

    parser = argparse.ArgumentParser(prog="imbalance-losses peers", description=(
        "Run the other libraries' implementations (optax, Keras, kornia, MONAI, timm, segmentation_models_pytorch, LibAUC, "
        "torchvision: those installed) over the conformance cases through an explicit option mapping each, against "
        "the same float64 oracles, and report per cell: agrees, differs by convention (with the mapping), or wrong."))
    parser.add_argument("--library", action="append", choices=[lib.name for lib in libraries()],
                        help="only this library (repeatable)")
    parser.add_argument("--dtype", action="append", choices=list(DTYPES), help="only this dtype (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    parser.add_argument("--markdown", metavar="PATH",
                        help="rewrite the generated block of this page (between <!-- peers:begin --> and "
                             "<!-- peers:end -->), e.g. docs/peers.md")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    report = run_peers(only=args.library, dtypes=tuple(args.dtype or DTYPES), progress=not args.no_progress)
    _write(report, args, write_json, write_markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
