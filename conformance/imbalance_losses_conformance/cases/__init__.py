"""The conformance case grid: every public loss x option sets x shapes, seeded.

Each entry is ``(group, Case)``; the group names the loss and the option set
(a row of the report). Inputs are drawn from a generator seeded by the group's
name, so a case is the same in every run and independent of the others. One
module per loss family, named as the core's.
"""

import importlib

from .. import FAMILY_NAMES

# One module per family, in report order (the list is the package's, shared with the oracles).
FAMILIES = tuple(importlib.import_module(f"{__name__}.{name}") for name in FAMILY_NAMES)


def case_grid():
    """All ``(group, Case)`` pairs, in report order."""
    for family in FAMILIES:
        yield from family.cases()
