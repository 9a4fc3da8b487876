"""Render docs/benchmarks.json (written by ``imbalance-losses bench --json``) as a markdown table."""

import json
import sys
from pathlib import Path

from imbalance_losses_bench.__main__ import HEADER, _format_row

data = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks.json").read_text())
print(HEADER)
for row in data["rows"]:
    print(_format_row(row))
