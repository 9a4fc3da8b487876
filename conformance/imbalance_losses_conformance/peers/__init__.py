"""How the other libraries compare: peer implementations run over the conformance cases.

Each peer library has one module here holding its :class:`Port` entries: one peer call,
the rows of the case grid it can express, and the explicit option mapping from our
options to its arguments, written as code. ``imbalance-losses peers`` runs every port of
every installed library against the same float64 oracles as the conformance report
(values and gradients, every dtype) and sorts each cell into

- **agrees**: the direct mapping gives our numbers;
- **differs by convention**: the direct mapping does not, the port's documented
  :class:`Convention` (a different option value, or a different reduction, as code)
  does;
- **wrong**: neither does. The detail says which way: a non-finite value or gradient,
  precision lost in float16/bfloat16 where float64 agrees, or a formula that differs.

Libraries that are not installed are skipped and named. timm and
segmentation_models_pytorch are loaded without their package ``__init__`` (which needs
torchvision): only their loss subpackages, which import nothing but torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import types
from dataclasses import dataclass, field
from typing import Callable

# Library modules, in report order (a new peer library is one module and one name here).
LIBRARY_MODULES = ("optax", "keras", "kornia", "monai", "timm", "smp", "libauc", "torchvision")


@dataclass(frozen=True)
class Convention:
    """The mapping that makes a differing peer agree: on their side (``theirs``: a call
    with other arguments) or on ours (``options``: our options that give their numbers)."""

    code: str  # our call (or theirs) as written in the porting table
    note: str  # why: the convention in words
    theirs: Callable | None = None
    options: Callable | None = None  # our options -> the options that equal the peer
    # Ours composed where no option set gives theirs: (our oracle, x, labels, options) -> value.
    composed: Callable | None = None
    # The peer's formula differs from the paper's (a bug, reported upstream): a cell that
    # agrees only through this mapping is "wrong", the mapping kept for porting.
    against_paper: bool = False


@dataclass(frozen=True)
class Port:
    """One peer call checked on rows of the case grid.

    ``theirs(lib, x, y, o)`` is the direct mapping: ``lib`` the peer's module, ``x`` and
    ``y`` the case's logits and labels as the peer's framework arrays, ``o`` our options
    (our defaults filled in, arrays converted); it returns the peer's value with our
    reduction applied where the peer has none.
    """

    call: str  # their call as code, e.g. "optax.sigmoid_focal_loss(x, y, alpha=a, gamma=g)"
    loss: str  # our function
    ours: str  # our call giving the same numbers, as code
    rows: tuple  # option-set names of ``loss`` (the second part of a group)
    theirs: Callable
    shapes: tuple | None = None  # shape tags of the rows to use (None: all)
    convention: Convention | None = None
    grad: bool = True
    # What a "wrong" cell of a row is, in words, where the cause is known (the report
    # still shows the numbers).
    known: dict = field(default_factory=dict)
    # Why float64 inputs lose precision, where the peer computes them in float32.
    float64_note: str = ""


@dataclass(frozen=True)
class Library:
    name: str  # as shown in the report
    module: str  # the import name whose absence skips the library
    framework: str  # the conformance framework its arrays belong to
    ports: tuple = field(default_factory=tuple)
    subpackage: str | None = None  # load only this subpackage (the top level needs more)

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def load(self):
        """The peer's module, its frameworks imported in a safe order first."""
        from ..frameworks import get_framework

        get_framework(self.framework)
        if self.subpackage is None:
            return importlib.import_module(self.module)
        return load_subpackage(self.module, self.subpackage)

    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError, distribution, packages_distributions

        for dist in packages_distributions().get(self.module, [self.module]):
            try:
                return distribution(dist).version
            except PackageNotFoundError:
                continue
        return "unknown"


def load_subpackage(package, subpackage):
    """``package.subpackage`` without running ``package/__init__.py`` when that fails
    (timm's and smp's need torchvision; their loss folders need only torch)."""
    try:
        importlib.import_module(package)
    except ImportError:
        spec = importlib.util.find_spec(package)
        shell = types.ModuleType(package)
        shell.__path__ = list(spec.submodule_search_locations)
        shell.__spec__ = spec
        sys.modules[package] = shell
    return importlib.import_module(f"{package}.{subpackage}")


def our_defaults(loss: str) -> dict:
    """The keyword defaults of our ``loss``: a port maps every option, defaults included."""
    import imbalance_losses

    parameters = inspect.signature(getattr(imbalance_losses, loss)).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def libraries():
    """Every peer library, in report order."""
    return [importlib.import_module(f"{__name__}.{name}").LIBRARY for name in LIBRARY_MODULES]
