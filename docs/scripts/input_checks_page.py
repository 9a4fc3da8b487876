"""Regenerate docs/input-checks.md from the checks tests/test_errors.py raises (run from the repository root).

Each row is the real message: the script makes every call of the test tables and
records what it raises, so the page cannot drift from the code.
"""

import contextlib
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")
import imbalance_losses as il  # noqa: E402
from tests.test_errors import STATIC_CHECKS, VALUE_CHECKS  # noqa: E402

PAGE = Path("docs/input-checks.md")


def _raised(call, checks=False):
    with np.errstate(all="ignore"), (il.check_values() if checks else contextlib.nullcontext()):
        try:
            call()
        except (TypeError, ValueError) as error:
            return type(error).__name__, str(error).replace("|", "\\|")
    raise AssertionError("no error raised")


def main():
    static = ["| id | raises | message |", "|---|---|---|"]
    for case_id, call, *_ in STATIC_CHECKS:
        kind, message = _raised(call)
        static.append(f"| `{case_id}` | `{kind}` | {message} |")
    values = ["| id | argument | raises | message |", "|---|---|---|---|"]
    for case_id, call, argument in VALUE_CHECKS:
        kind, message = _raised(call, checks=True)
        values.append(f"| `{case_id}` | `{argument}` | `{kind}` | {message} |")
    text = PAGE.read_text()
    text = re.sub(r"(## Static checks \(always\)\n\n)(\|.*\n)+", lambda m: m.group(1) + "\n".join(static) + "\n", text)
    text = re.sub(r"(## Value checks \(only with `check_values\(\)`\)\n\n)(\|.*\n)+",
                  lambda m: m.group(1) + "\n".join(values) + "\n", text)
    PAGE.write_text(text)


if __name__ == "__main__":
    main()
