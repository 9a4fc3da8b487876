"""The peers report: every installed peer library over the case grid, against the oracles.

A wrong or raising cell must carry its explanation (a known cause, or the peer
returning float32 for float64 inputs): an unexplained one is a regression of ours or a
new finding about a peer, and either needs a look. The findings the docs cite are pinned.
"""

from __future__ import annotations

import json

import pytest

from imbalance_losses_conformance.__main__ import main
from imbalance_losses_conformance.peers import libraries
from imbalance_losses_conformance.peers.report import render_markdown, run_peers

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def report():
    return run_peers(dtypes=("float64", "float16"), progress=False)


def _cell(report, call_start, row, dtype="float64"):
    for cell in report.cells:
        if cell.call.startswith(call_start) and f"{cell.loss}/{cell.row}" == row and cell.dtype == dtype:
            return cell
    pytest.skip(f"{call_start} is not installed")


def test_every_installed_peer_is_run_and_the_others_are_named(report):
    names = {name for name, _, _ in report.libraries}
    for library in libraries():
        assert (library.name in names) == library.installed()
        assert (library.name in report.missing) == (not library.installed())
    assert report.counts()["agrees"] > 100


def test_no_wrong_cell_is_unexplained(report):
    unexplained = [f"{c.call} [{c.loss}/{c.row}, {c.dtype}]: {c.detail}" for c in report.cells
                   if c.status in ("wrong", "raises") and " — " not in c.detail and "returns float32" not in c.detail
                   and not c.detail.startswith("formula differs from the paper")]
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("call, row, status", [
    # optax and smp smooth Dice by s in the Tversky form: our smooth=2s.
    ("optax.losses.dice_loss(x, t, smooth=s", "softmax_dice_loss/per_image_none", "convention"),
    ("smp.losses.DiceLoss('binary'", "dice_loss/default", "convention"),
    # keras#23333: α weights false negatives.
    ("keras.losses.Tversky", "tversky_loss/recall", "wrong"),
    # Keras clips probabilities at 1e-7: saturated logits.
    ("keras.losses.CategoricalFocalCrossentropy", "softmax_focal_loss/extreme", "wrong"),
    # MONAI#8242: a sigmoid focal term under softmax=True.
    ("monai.losses.DiceFocalLoss", "softmax_dice_focal_loss/default", "wrong"),
    # kornia averages each image over its present classes.
    ("kornia.losses.tversky_loss", "softmax_tversky_loss/default", "convention"),
    # timm clamps log p at 1e-8.
    ("timm.loss.AsymmetricLossMultiLabel", "asymmetric_loss/extreme", "wrong"),
    ("optax.sigmoid_focal_loss", "sigmoid_focal_loss/extreme", "agrees"),
    ("monai.losses.DiceCELoss", "softmax_dice_cross_entropy_loss/default", "agrees"),
    ("monai.losses.MCCLoss", "mcc_loss/class_axis_none", "agrees"),
])
def test_the_documented_findings_hold(report, call, row, status):
    cell = _cell(report, call, row)
    assert cell.status == status, cell.detail


def test_the_docs_page_names_every_port(report):
    page = render_markdown(report)
    for _, port in report.ports:
        assert f"`{port.call}`" in page


def test_command_line_writes_json_and_the_docs_block(tmp_path, capsys):
    page = tmp_path / "peers.md"
    page.write_text("# Peers\n\n<!-- peers:begin -->\nold\n<!-- peers:end -->\n", encoding="utf-8")
    out = tmp_path / "peers.json"
    assert main(["peers", "--library", "kornia", "--dtype", "float32", "--no-progress", "--json", str(out),
                 "--markdown", str(page)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    if not data["libraries"]:
        pytest.skip("kornia is not installed")
    assert {c["dtype"] for c in data["cells"]} == {"float32"}
    assert {c["status"] for c in data["cells"]} <= {"agrees", "convention", "wrong", "raises", "skip"}
    assert "old" not in page.read_text(encoding="utf-8") and "kornia.losses.dice_loss" in page.read_text(
        encoding="utf-8")
    assert "agree" in capsys.readouterr().out
