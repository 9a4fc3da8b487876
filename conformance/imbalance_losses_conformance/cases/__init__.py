"""The conformance case grid: every public loss x option sets x shapes, seeded.

Each entry is ``(group, Case)``; the group names the loss and the option set
(a row of the report). Inputs are drawn from a generator seeded by the group's
name, so a case is the same in every run and independent of the others. One
module per loss family, named as the core's.
"""

from . import (
    asymmetric,
    dice,
    distribution_balanced,
    eqlv2,
    ghm,
    logit_adjust,
    multilabel,
    poly,
    seesaw,
    sigmoid,
    softmax,
    truncated,
)

FAMILIES = (sigmoid, softmax, truncated, ghm, dice, logit_adjust, multilabel, poly, asymmetric, seesaw, eqlv2,
            distribution_balanced)


def case_grid():
    """All ``(group, Case)`` pairs, in report order."""
    for family in FAMILIES:
        yield from family.cases()
