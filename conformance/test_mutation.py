"""Planted bugs are caught: a mutation in one framework's path fails exactly its cells."""

import importlib

import pytest

import imbalance_losses.core.ghm as ghm_module
import imbalance_losses.core.sigmoid as sigmoid_module
import imbalance_losses.core.softmax as softmax_module
from imbalance_losses.core.dispatch import EAGER_COMPILATION
from imbalance_losses_conformance.__main__ import main
from imbalance_losses_conformance.checks import clear_compiled
from imbalance_losses_conformance.runner import MissingDeviceError, build_columns, run_conformance



def _is(framework, x):
    return type(x).__module__.split(".")[0] in {"torch": ("torch",), "jax": ("jax", "jaxlib"),
                                                 "tensorflow": ("tensorflow",)}[framework]


@pytest.fixture(autouse=True)
def fresh_compilations():
    """The adapters compile eager calls (jax.jit, tf.function) and cache them: a planted bug
    must be traced anew, so every cache is emptied before and after each test."""
    def clear():
        for module in ("imbalance_losses_jax._adapter", "imbalance_losses_tf._adapter"):
            adapter = importlib.import_module(module)
            for cache in ("_jvp_term", "_custom_gradient_term"):
                if hasattr(adapter, cache):
                    getattr(adapter, cache).cache_clear()
        importlib.import_module("jax").clear_caches()
        EAGER_COMPILATION.clear()
        clear_compiled()

    clear()
    yield
    clear()


def _failing(report):
    return {col for _, col in report.failures()}


def _run(loss, mutated):
    """The mutated framework's columns beside NumPy's: those must fail, NumPy's pass."""
    return run_conformance(losses=[loss], frameworks=["numpy", mutated], dtypes=["float64", "float32"],
                           modes=["eager"], progress=False)


def test_wrong_sign_in_torch_float64(monkeypatch):
    original = sigmoid_module.blend

    def mutated(xp, a, b, weight):
        if _is("torch", a) and str(a.dtype) == "torch.float64":
            weight = 1 - weight  # the target's two terms swapped
        return original(xp, a, b, weight)

    monkeypatch.setattr(sigmoid_module, "blend", mutated)
    report = _run("sigmoid_cross_entropy", "torch")
    assert _failing(report) == {"torch-cpu-float64-eager"}
    # Every row fails in that column (the bug is in every case), and nowhere else.
    assert {row for row, _ in report.failures()} == set(report.rows)


def test_dropped_focal_factor_in_jax(monkeypatch):
    def mutated(xp, u, gamma):
        return u * 0 + 1 if _is("jax", u) else original(xp, u, gamma)  # (1 - p)^gamma dropped

    original = softmax_module.power
    monkeypatch.setattr(softmax_module, "power", mutated)
    report = _run("softmax_focal_loss", "jax")
    assert _failing(report) == {"jax-cpu-float64-eager", "jax-cpu-float32-eager"}


def test_off_by_one_bin_in_tensorflow(monkeypatch):
    original = ghm_module.gradient_density_weights

    def mutated(call, g, valid, *, bins, **options):
        if call.backend.framework == "tensorflow":
            g = call.xp.clip(g + 1.0 / bins, 0.0, 1.0)  # every element one bin up
        return original(call, g, valid, bins=bins, **options)

    monkeypatch.setattr(ghm_module, "gradient_density_weights", mutated)
    report = _run("ghm_c_loss", "tensorflow")
    assert _failing(report) == {"tensorflow-cpu-float64-eager", "tensorflow-cpu-float32-eager"}


def test_clean_run_passes_and_cli_exit_status(capsys):
    assert main(["conformance", "--loss", "softmax_cross_entropy", "--framework", "numpy", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Ran the default matrix") and " 0 failed" in out.strip().splitlines()[-1]
    assert "numpy-cpu-float64-eager" in out and "float16" not in out  # the default columns only


def test_default_matrix_and_full_matrix_columns():
    run, skipped = build_columns(frameworks=["jax"], devices=["cpu"], full=False)
    assert {(c.dtype, c.mode) for c, _ in run + skipped} == {
        ("float64", "eager"), ("float32", "eager"), ("float32", "compiled")}
    run, _ = build_columns(frameworks=["jax"], devices=["cpu"], full=True)
    assert len(run) == 8  # four dtypes, two modes


def test_requested_absent_gpu_is_an_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(MissingDeviceError):
        run_conformance(losses=["dice_loss"], frameworks=["torch"], devices=["cuda"], progress=False)
    assert main(["--device", "cuda", "--framework", "torch", "--loss", "dice_loss", "--no-progress"]) == 2
