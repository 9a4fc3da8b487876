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
