"""Independent float64 references, written straight from the formulas.

Nothing here calls imbalance_losses. The code is deliberately plain: explicit
per-class loops and textbook formulas in NumPy float64, stable only where the
formula itself needs it (``np.logaddexp`` for log-sigmoid, a max shift for
log-sum-exp). Each oracle takes the arguments of the public function it checks
and applies the reduction rules of SPEC §3 literally. One module per loss family,
named as the core's.
"""

import importlib

from .. import FAMILY_NAMES
from ._common import numerical_curvature, numerical_gradient

# One module per family, in report order (the list is the package's, shared with the cases).
FAMILIES = tuple(importlib.import_module(f"{__name__}.{name}") for name in FAMILY_NAMES)

# Oracles whose gradient is analytic because part of the loss is piecewise constant
# (a finite difference would jump across a bin edge or the truncation threshold).
ANALYTIC_GRADIENTS = {name: fn for family in FAMILIES for name, fn in getattr(family, "ANALYTIC_GRADIENTS", {}).items()}


# The oracle of each public function, by name: what each family module defines itself.
ORACLES = {
    name: fn
    for family in FAMILIES
    for name, fn in vars(family).items()
    if callable(fn) and not name.startswith("_") and not name.endswith("_gradient")
    and getattr(fn, "__module__", None) == family.__name__
}

__all__ = ["ANALYTIC_GRADIENTS", "ORACLES", "numerical_curvature", "numerical_gradient"]
