"""sigmoid_cross_entropy and sigmoid_focal_loss against oracles, properties and peers."""

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.checks import Case, run_case

from ._inputs import binary_inputs

CE_OPTIONS = {
    "default": {},
    "pos_weight_scalar": {"pos_weight": 2.5},
    "pos_weight_per_class": {"pos_weight": np.array([0.5, 1.0, 2.0, 4.0, 8.0])},
    "label_smoothing": {"label_smoothing": 0.2},
    "weights_rows": {"weights": np.array([[1.0], [0.0], [2.0], [0.5], [1.0], [3.0]])},
    "sum": {"reduction": "sum"},
    "none_weighted": {"reduction": "none", "weights": np.linspace(0, 2, 30).reshape(6, 5)},
}
FOCAL_OPTIONS = {
    "default": {},
    "alpha_off": {"alpha": None},
    "gamma_0": {"gamma": 0.0},
    "gamma_half": {"gamma": 0.5, "alpha": 0.75},
    "gamma_5": {"gamma": 5.0},
    "alpha_per_class": {"alpha": np.array([0.1, 0.25, 0.5, 0.75, 0.9])},
    "weights_sum": {"weights": np.linspace(0, 1, 5), "reduction": "sum"},
    "none": {"reduction": "none"},
}


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("options", CE_OPTIONS.values(), ids=CE_OPTIONS.keys())
def test_sigmoid_cross_entropy_matches_oracle(framework, rng, options, soft):
    logits, targets = binary_inputs(rng, soft=soft)
    outcome = run_case(framework, Case("sigmoid_cross_entropy", logits, targets, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("options", FOCAL_OPTIONS.values(), ids=FOCAL_OPTIONS.keys())
def test_sigmoid_focal_loss_matches_oracle(framework, rng, options, soft):
    logits, targets = binary_inputs(rng, soft=soft)
    outcome = run_case(framework, Case("sigmoid_focal_loss", logits, targets, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("loss", ["sigmoid_cross_entropy", "sigmoid_focal_loss"])
def test_float32_matches_oracle(framework, rng, loss):
    if "float32" not in framework.dtypes:
        pytest.skip("no float32")
    logits, targets = binary_inputs(rng, shape=(64, 3))
    outcome = run_case(framework, Case(loss, logits, targets, {"reduction": "none"}), dtype="float32")
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("gamma", [0.25, 0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_focal_extreme_logits_finite_and_exact(autodiff_framework, gamma, dtype):
    logits = np.array([[-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4]] * 2)
    targets = np.array([[0.0] * 7, [1.0] * 7])
    case = Case("sigmoid_focal_loss", logits, targets, {"gamma": gamma, "reduction": "none"})
    outcome = run_case(autodiff_framework, case, dtype=dtype)
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_focal_gamma_zero_equals_cross_entropy_with_gradients(autodiff_framework, rng, soft):
    logits, targets = binary_inputs(rng, soft=soft)
    f = autodiff_framework
    x, y = f.asarray(logits), f.asarray(targets)
    focal, focal_grad = f.value_and_grad(lambda v, t: il.sigmoid_focal_loss(v, t, alpha=None, gamma=0.0, reduction="none"), x, y)
    ce, ce_grad = f.value_and_grad(lambda v, t: il.sigmoid_cross_entropy(v, t, reduction="none"), x, y)
    np.testing.assert_allclose(f.to_numpy(focal), f.to_numpy(ce), rtol=1e-14)
    np.testing.assert_allclose(f.to_numpy(focal_grad), f.to_numpy(ce_grad), rtol=1e-14)


def test_bool_and_integer_targets_equal_float(framework, rng):
    logits, targets = binary_inputs(rng)
    x = framework.asarray(logits)
    expected = framework.to_numpy(il.sigmoid_focal_loss(x, framework.asarray(targets)))
    for converted in (targets.astype(bool), targets.astype(np.int64)):
        actual = framework.to_numpy(il.sigmoid_focal_loss(x, framework.asarray(converted)))
        np.testing.assert_allclose(actual, expected, rtol=1e-14)


def test_matches_torch_bce_with_logits_and_torchvision_formula(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    logits, targets = binary_inputs(rng, soft=True)
    x, y = torch.tensor(logits), torch.tensor(targets)
    pw = torch.tensor([0.5, 1.0, 2.0, 4.0, 8.0], dtype=torch.float64)
    torch.testing.assert_close(il.sigmoid_cross_entropy(x, y, pos_weight=pw), F.binary_cross_entropy_with_logits(x, y, pos_weight=pw))
    # torchvision.ops.sigmoid_focal_loss, written out (no CPU torchvision build here).
    p = torch.sigmoid(x)
    p_t = p * y + (1 - p) * (1 - y)
    reference = 0.25 * y + 0.75 * (1 - y)
    reference = reference * F.binary_cross_entropy_with_logits(x, y, reduction="none") * (1 - p_t) ** 2
    torch.testing.assert_close(il.sigmoid_focal_loss(x, y, reduction="none"), reference)


def test_matches_optax_sigmoid_focal_loss(rng):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    logits, targets = binary_inputs(rng, soft=True)
    x, y = jnp.asarray(logits), jnp.asarray(targets)
    expected = optax.sigmoid_focal_loss(x, y, alpha=0.3, gamma=1.5)
    np.testing.assert_allclose(il.sigmoid_focal_loss(x, y, alpha=0.3, gamma=1.5, reduction="none"), expected, rtol=1e-12)


def test_all_zero_weights_and_empty_batch_give_zero(framework):
    x = framework.asarray(np.ones((3, 2)))
    y = framework.asarray(np.zeros((3, 2)))
    w = framework.asarray(np.zeros((3, 1)))
    assert framework.to_numpy(il.sigmoid_cross_entropy(x, y, weights=w)) == 0.0
    empty = framework.asarray(np.zeros((0, 2)))
    assert framework.to_numpy(il.sigmoid_focal_loss(empty, empty)) == 0.0
    assert framework.to_numpy(il.sigmoid_focal_loss(empty, empty, reduction="none")).shape == (0, 2)
