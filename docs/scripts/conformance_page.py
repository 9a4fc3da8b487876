"""Write docs/conformance.md from a JSON report (``imbalance-losses conformance --json PATH``)."""

import json
import sys
from pathlib import Path

from imbalance_losses_conformance.runner import Cell, Column, Report


def load(path):
    data = json.loads(Path(path).read_text())
    columns = [Column(c["framework"], c["device"], c["dtype"], c["mode"]) for c in data["columns"]]
    cells = {(c["row"], c["column"]): Cell(c["status"], c["detail"], c["cases"]) for c in data["cells"]}
    return Report(data["rows"], columns, cells, data["seconds"]), data


def main(path, out="docs/conformance.md", commit=""):
    report, data = load(path)
    cases = sum(len(cell.cases) for cell in report.cells.values())
    text = f"""# Conformance

The full report, `imbalance-losses conformance` (the first README command), on the CI
machine kind (x86_64, 2 cores, CPU only){f" at commit {commit}" if commit else ""}: every loss and option
set (rows; each pools its shapes: 1-D, (N, C) and (N, C, H, W) with the class axis
moved) against the float64 oracles, values and gradients, on every installed
framework × device × dtype × mode (columns). {cases} case runs took
{data["seconds"] / 60:.0f} minutes. ✓ pass, ✗ fail, · skipped (the reason is listed).
Tolerances: 64 eps of the compute dtype + 4 eps of the output dtype, relative, plus the
same times (1 + max |logit|) absolute; gradients no tighter than 1e-6 (see the README).

```text
{report.render()}
```
"""
    Path(out).write_text(text)


if __name__ == "__main__":
    main(*sys.argv[1:])
