"""One batched case per public loss, from the conformance grid: for tests that run every loss."""

from imbalance_losses_conformance.cases import case_grid


def one_case_per_loss():
    """``{loss: Case}``: the loss's first batch-first (NC, NHC, ND or sparse) case with element
    ``weights`` if the grid has one, else with other options, else its first."""
    by_loss = {}
    for group, case in case_grid():
        if "/NC" in group or "/NHC" in group or "/ND" in group or ("sparse" in group and "batched" not in group and "extreme" not in group):
            by_loss.setdefault(case.loss, []).append(case)
    return {loss: next((c for c in cases if "weights" in c.options), next((c for c in cases if c.options), cases[0]))
            for loss, cases in by_loss.items()}


CASES = one_case_per_loss()
LOSSES = sorted(CASES)
