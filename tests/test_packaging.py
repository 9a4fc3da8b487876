"""What gets installed, and that the core can be vendored on its own."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_TOP_LEVEL = {
    "imbalance_losses", "imbalance_losses_torch", "imbalance_losses_jax", "imbalance_losses_tf", "imbalance_losses_bench",
    "imbalance_losses_conformance",
}


def test_wheel_installs_no_generic_backends_module(tmp_path):
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == EXPECTED_TOP_LEVEL
    assert "imbalance_losses_tf/namespace.py" in names


def _vendor(tmp_path, hook=None):
    """Copy imbalance_losses/ into ``myproject/_vendor/`` (with a compat hook module if given)."""
    vendor = tmp_path / "myproject" / "_vendor"
    vendor.mkdir(parents=True)
    (tmp_path / "myproject" / "__init__.py").write_text("")
    (vendor / "__init__.py").write_text("")
    if hook is not None:
        (vendor / "_array_api_compat_vendor.py").write_text(hook)
    shutil.copytree(ROOT / "imbalance_losses", vendor / "imbalance_losses", ignore=shutil.ignore_patterns("__pycache__"))


def test_vendored_core_runs_with_array_api_compat_only(tmp_path):
    """Copy imbalance_losses/ into another package; it runs on NumPy with no framework loaded."""
    _vendor(tmp_path)
    code = (
        "import sys, numpy as np\n"
        "from myproject._vendor import imbalance_losses as il\n"
        "v = il.softmax_focal_loss(np.array([[2.0, 0.0, -1.0]]), np.array([0]), gamma=0.0)\n"
        "assert abs(float(v) - (np.log(np.exp([2.0, 0.0, -1.0]).sum()) - 2.0)) < 1e-12, v\n"
        "assert not {'torch', 'jax', 'tensorflow'} & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)


def test_vendored_core_uses_the_vendor_hook(tmp_path):
    """A `_array_api_compat_vendor` module beside the vendored package takes precedence."""
    _vendor(tmp_path, hook="from array_api_compat import *\nHOOKED = True\n")
    code = (
        "import sys\n"
        "from myproject._vendor.imbalance_losses.core import compat\n"
        "assert 'myproject._vendor._array_api_compat_vendor' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)


# Run in a fresh interpreter where the installed imbalance_losses and its adapters cannot be
# imported (as in a project that only vendors it): any attempt raises ImportError.
_NOT_INSTALLED = '''
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"imbalance_losses", "imbalance_losses_torch", "imbalance_losses_jax",
                                  "imbalance_losses_tf"}:
            raise ModuleNotFoundError(f"{name} is not installed here")
        return None
sys.meta_path.insert(0, NotInstalled())
'''


def test_one_folder_vendoring_passes_its_conformance_report(tmp_path):
    """`imbalance-losses vendor` writes one folder (adapters inside, nothing at the host's top
    level); in an interpreter that cannot import the installed package, the vendored copy
    passes its conformance report on NumPy, torch, JAX and TensorFlow (eager and compiled),
    and its torch class and replica hooks load from the bundled adapters."""
    from imbalance_losses_conformance.__main__ import main

    for framework in ("torch", "jax", "tensorflow"):
        pytest.importorskip(framework)
    host = tmp_path / "hostlib"
    (host / "_vendor").mkdir(parents=True)
    (host / "__init__.py").write_text("")
    (host / "_vendor" / "__init__.py").write_text("")
    assert main(["vendor", str(host / "_vendor")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostlib"]
    assert sorted(p.name for p in (host / "_vendor").iterdir()) == ["__init__.py", "imbalance_losses"]
    assert {p.name for p in (host / "_vendor" / "imbalance_losses" / "_backends").iterdir()} >= {
        "imbalance_losses_torch", "imbalance_losses_jax", "imbalance_losses_tf"}
    losses = ["softmax_focal_loss", "balanced_mse_loss"]
    code = _NOT_INSTALLED + (
        "import torch\n"
        "from hostlib._vendor.imbalance_losses.torch import BalancedMSELoss, replica_sum\n"
        "assert replica_sum.__module__.startswith('hostlib._vendor.imbalance_losses._backends.'), replica_sum.__module__\n"
        "from imbalance_losses_conformance.__main__ import main\n"
        f"status = main(['conformance', '--package', 'hostlib._vendor.imbalance_losses', '--jobs', '1', "
        f"'--no-progress', {', '.join(repr(a) for loss in losses for a in ('--loss', loss))}, "
        "'--framework', 'numpy', '--framework', 'torch', '--framework', 'jax', '--framework', 'tensorflow'])\n"
        "assert not any(m.split('.')[0] == 'imbalance_losses' for m in sys.modules), 'installed package imported'\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " 0 failed" in result.stdout, result.stdout[-2000:]
