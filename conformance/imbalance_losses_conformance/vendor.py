"""``imbalance-losses vendor DEST``: one folder to copy into another package.

Writes ``DEST/imbalance_losses/``: the core and its framework layers as installed, and
the torch, JAX and TensorFlow adapters in ``imbalance_losses/_backends/``, where the
core's dispatch finds them relative to itself. Nothing goes to the host package's top
level; the copy needs ``array_api_compat`` (or the ``_array_api_compat_vendor`` hook
beside it) and the frameworks its users bring.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ADAPTERS = ("imbalance_losses_torch", "imbalance_losses_jax", "imbalance_losses_tf")
_BACKENDS_README = '''"""The framework adapters of this vendored imbalance_losses (the layer below the core).

Found by ``imbalance_losses.core.dispatch`` relative to the core; written by
``imbalance-losses vendor``. Do not import them directly: use the core's functions.
"""
'''


def _package_directory(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"`{name}` is not installed: vendor from an installed imbalance-losses")
    return Path(next(iter(spec.submodule_search_locations)))


def vendor(destination) -> Path:
    """Write the one-folder copy into ``destination`` (a folder of the host package) and
    return its path, ``destination / "imbalance_losses"``. An existing copy is replaced."""
    target = Path(destination) / "imbalance_losses"
    if target.exists():
        shutil.rmtree(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(_package_directory("imbalance_losses"), target, ignore=ignore)
    backends = target / "_backends"
    backends.mkdir()
    (backends / "__init__.py").write_text(_BACKENDS_README, encoding="utf-8")
    for name in ADAPTERS:
        shutil.copytree(_package_directory(name), backends / name, ignore=ignore)
    return target
