"""softmax_cross_entropy and softmax_focal_loss against oracles, properties and peers."""

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.checks import Case, run_case

from ._inputs import class_inputs, one_hot, soft_targets

CLASS_WEIGHTS = np.array([0.5, 1.0, 2.0, 4.0, 0.25])
CE_OPTIONS = {
    "default": {},
    "class_weights": {"class_weights": CLASS_WEIGHTS},
    "class_weights_list": {"class_weights": [0.5, 1.0, 2.0, 4.0, 0.25]},
    "label_smoothing": {"label_smoothing": 0.1},
    "weights_smoothing_class_weights": {
        "class_weights": CLASS_WEIGHTS, "label_smoothing": 0.2, "weights": np.linspace(0.0, 2.0, 7)},
    "ignore_index": {"ignore_index": -100},
    "ignore_smoothing_class_weights": {"ignore_index": -100, "label_smoothing": 0.3, "class_weights": CLASS_WEIGHTS},
    "sum": {"reduction": "sum", "class_weights": CLASS_WEIGHTS},
    "none": {"reduction": "none", "ignore_index": -100, "class_weights": CLASS_WEIGHTS},
}
FOCAL_OPTIONS = {
    "default": {},
    "gamma_0": {"gamma": 0.0},
    "gamma_half": {"gamma": 0.5},
    "alpha_scalar": {"alpha": 0.25},
    "alpha_per_class": {"alpha": np.array([0.1, 0.2, 0.3, 0.2, 0.2])},
    "label_smoothing_alpha": {"alpha": [0.1, 0.2, 0.3, 0.2, 0.2], "label_smoothing": 0.1},
    "ignore_index_weights": {"ignore_index": -1, "weights": np.linspace(0.5, 2.0, 7)},
    "none": {"reduction": "none", "gamma": 1.0},
}


def _labels_for(options, rng):
    ignore = options.get("ignore_index")
    return class_inputs(rng, ignore=ignore)


@pytest.mark.parametrize("options", CE_OPTIONS.values(), ids=CE_OPTIONS.keys())
def test_softmax_cross_entropy_matches_oracle(framework, rng, options):
    logits, labels = _labels_for(options, rng)
    outcome = run_case(framework, Case("softmax_cross_entropy", logits, labels, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("options", FOCAL_OPTIONS.values(), ids=FOCAL_OPTIONS.keys())
def test_softmax_focal_loss_matches_oracle(framework, rng, options):
    logits, labels = _labels_for(options, rng)
    outcome = run_case(framework, Case("softmax_focal_loss", logits, labels, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss"])
def test_soft_targets_match_oracle(framework, rng, loss):
    logits, _ = class_inputs(rng)
    targets = soft_targets(rng, logits.shape)
    options = {"label_smoothing": 0.1}
    if loss == "softmax_focal_loss":
        options["alpha"] = np.array([0.1, 0.2, 0.3, 0.2, 0.2])
    else:
        options["class_weights"] = CLASS_WEIGHTS
    outcome = run_case(framework, Case(loss, logits, targets, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss"])
def test_class_axis_one_of_image_batch(framework, rng, loss):
    logits, labels = class_inputs(rng, shape=(2, 4, 3, 3), axis=1, ignore=-100)
    options = {"axis": 1, "ignore_index": -100, "weights": rng.random((2, 3, 3))}
    outcome = run_case(framework, Case(loss, logits, labels, options))
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss"])
def test_float32_matches_oracle(framework, rng, loss):
    if "float32" not in framework.dtypes:
        pytest.skip("no float32")
    logits, labels = class_inputs(rng, shape=(64, 10))
    outcome = run_case(framework, Case(loss, logits, labels, {"reduction": "none"}), dtype="float32")
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("gamma", [0.25, 0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_focal_extreme_logits_finite_and_exact(autodiff_framework, gamma, dtype):
    logits = np.array([
        [1e4, -1e4, 0.0],  # target is the (saturated) maximum
        [1e4, -1e4, 0.0],  # target is saturated away
        [1e4, 1e4, -1e4],  # tied maxima
        [30.0, 0.0, -30.0],
        [-1e4, -1e4, -1e4],
    ])
    labels = np.array([0, 1, 0, 0, 2])
    case = Case("softmax_focal_loss", logits, labels, {"gamma": gamma, "reduction": "none"})
    outcome = run_case(autodiff_framework, case, dtype=dtype)
    assert outcome.ok, outcome.message
    soft = Case("softmax_focal_loss", logits, one_hot(labels, 3) * 0.9 + 0.1 / 3, {"gamma": gamma, "reduction": "none"})
    outcome = run_case(autodiff_framework, soft, dtype=dtype)
    assert outcome.ok, outcome.message


def _wide_rows(rng, dtype):
    """Rows of 20 classes (at least the torch adapter's FUSED_SOFTMAX_MIN_CLASSES, so its
    eager calls take the fused softmax kernels) with the extremes of each branch."""
    big = 1e4 if dtype == "float64" else 80.0
    logits = rng.normal(size=(7, 20)) * 3
    logits[0, 3] = 60.0  # p_t -> 1: u ~ 1e-25, the loss ~ u^(gamma + 1)
    logits[1, 5] = -big  # p_t underflows: -log p_t from the log-softmax
    logits[2] = logits[2] * 1e3  # saturated rows of large logits
    logits[3, :2] = 25.0  # two tied maxima, one of them the target
    logits[4] = 0.0  # p_t = 1/20
    logits[5, 7] = logits[5].max() + 0.7  # u just below and above 1/2
    logits[6, 7] = logits[6].max() + 0.6
    labels = np.array([3, 5, int(np.argmax(logits[2])), 0, 9, 7, 7])
    return logits, labels


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_focal_wide_rows_match_oracle(autodiff_framework, rng, gamma, dtype):
    logits, labels = _wide_rows(rng, dtype)
    options = {"gamma": gamma, "alpha": rng.random(20), "reduction": "none"}
    outcome = run_case(autodiff_framework, Case("softmax_focal_loss", logits, labels, options), dtype=dtype)
    assert outcome.ok, outcome.message
    outcome = run_case(autodiff_framework, Case("poly1_cross_entropy", logits, labels,
                                                {"epsilon": 0.5 + gamma, "reduction": "none"}), dtype=dtype)
    assert outcome.ok, outcome.message


@pytest.mark.parametrize("options", [{"gamma": 2.0}, {"gamma": 0.5, "alpha": 0.25}, {"epsilon": 1.0}],
                         ids=["gamma_2", "gamma_half_alpha", "poly1_cross_entropy"])
def test_torch_fused_softmax_kernels_equal_standard_form(rng, monkeypatch, options):
    """Torch's eager fused kernels (the row statistics and the complement from one softmax
    buffer, the scaled residual written in another) compute what the standard form
    computes: values, gradients, second derivatives (out of place) and vmap of grad."""
    torch = pytest.importorskip("torch")
    from imbalance_losses_torch import _adapter

    loss = il.poly1_cross_entropy if "epsilon" in options else il.softmax_focal_loss
    logits, labels = _wide_rows(rng, "float64")
    y = torch.tensor(labels)

    def results():
        x = torch.tensor(logits, requires_grad=True)
        value = loss(x, y, reduction="none", **options)
        (grad,) = torch.autograd.grad(value.sum(), x, create_graph=True)
        (hvp,) = torch.autograd.grad((grad * torch.tensor(np.cos(logits))).sum(), x)
        (plain_grad,) = torch.autograd.grad(loss(x, y, reduction="none", **options).sum(), x)
        per_row = torch.func.vmap(torch.func.grad(lambda v, t: loss(v, t, **options)))(x.detach()[:, None], y[:, None])
        return value.detach(), grad.detach(), plain_grad, hvp, per_row[:, 0]

    calls = []
    kernels = _adapter.fused_softmax
    for name in ("target_statistics", "scaled_residual"):
        monkeypatch.setattr(kernels, name, lambda *a, _f=getattr(kernels, name), _n=name: calls.append(_n) or _f(*a))
    fused = results()
    assert {"target_statistics", "scaled_residual"} <= set(calls)
    monkeypatch.setattr(_adapter, "FUSED_SOFTMAX_MIN_CLASSES", 10**9)
    calls.clear()
    standard = results()
    assert not calls
    for name, a, b in zip(["value", "grad", "plain", "hvp", "vmap"], fused, standard):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-15, msg=lambda m, n=name: f"{n}: {m}")


def test_focal_gamma_zero_equals_cross_entropy_with_gradients(autodiff_framework, rng):
    logits, labels = class_inputs(rng, ignore=-100)
    f = autodiff_framework
    x, y = f.asarray(logits), f.asarray(labels)
    opts = {"label_smoothing": 0.1, "ignore_index": -100, "reduction": "none"}
    focal, focal_grad = f.value_and_grad(lambda v, t: il.softmax_focal_loss(v, t, gamma=0.0, **opts), x, y)
    ce, ce_grad = f.value_and_grad(lambda v, t: il.softmax_cross_entropy(v, t, **opts), x, y)
    np.testing.assert_allclose(f.to_numpy(focal), f.to_numpy(ce), rtol=1e-13)
    np.testing.assert_allclose(f.to_numpy(focal_grad), f.to_numpy(ce_grad), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_integer_and_one_hot_targets_agree(framework, rng, loss, reduction):
    logits, labels = class_inputs(rng, shape=(3, 5, 4), axis=1)
    options = {"axis": 1, "label_smoothing": 0.2, "weights": rng.random((3, 4)), "reduction": reduction}
    if loss == "softmax_cross_entropy":
        options["class_weights"] = CLASS_WEIGHTS
    x = framework.asarray(logits)
    conv = {k: framework.asarray(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    from_int = getattr(il, loss)(x, framework.asarray(labels), **conv)
    from_one_hot = getattr(il, loss)(x, framework.asarray(one_hot(labels, 5, axis=1)), **conv)
    np.testing.assert_allclose(framework.to_numpy(from_int), framework.to_numpy(from_one_hot), rtol=1e-13)


def test_label_smoothing_equals_smoothed_soft_targets(framework, rng):
    logits, labels = class_inputs(rng)
    x = framework.asarray(logits)
    smoothed = framework.to_numpy(il.softmax_cross_entropy(x, framework.asarray(labels), label_smoothing=0.3))
    soft = framework.asarray(one_hot(labels, 5) * 0.7 + 0.3 / 5)
    np.testing.assert_allclose(framework.to_numpy(il.softmax_cross_entropy(x, soft)), smoothed, rtol=1e-13)


def test_shift_invariance(framework, rng):
    logits, labels = class_inputs(rng)
    y = framework.asarray(labels)
    for loss in (il.softmax_cross_entropy, il.softmax_focal_loss):
        base = framework.to_numpy(loss(framework.asarray(logits), y, reduction="none"))
        shifted = framework.to_numpy(loss(framework.asarray(logits + 123.0), y, reduction="none"))
        np.testing.assert_allclose(shifted, base, rtol=1e-9)


@pytest.mark.parametrize("options", [
    {"weight": [0.5, 1.0, 2.0, 4.0, 0.25]},
    {"ignore_index": -100},
    {"label_smoothing": 0.15},
    {"weight": [0.5, 1.0, 2.0, 4.0, 0.25], "ignore_index": 3, "label_smoothing": 0.3},
], ids=["weight", "ignore_index", "label_smoothing", "all"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_equals_torch_cross_entropy(rng, options, reduction):
    torch = pytest.importorskip("torch")
    logits, labels = class_inputs(rng, shape=(4, 5, 3), axis=1, ignore=options.get("ignore_index"))
    x, y = torch.tensor(logits, requires_grad=True), torch.tensor(labels)
    torch_opts = dict(options)
    if "weight" in torch_opts:
        torch_opts["weight"] = torch.tensor(torch_opts["weight"], dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(x, y, reduction=reduction, **torch_opts)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x)
    ours_opts = {"axis": 1, "reduction": reduction, "label_smoothing": options.get("label_smoothing", 0.0),
                 "ignore_index": options.get("ignore_index"), "class_weights": torch_opts.get("weight")}
    actual = il.softmax_cross_entropy(x, y, **ours_opts)
    (actual_grad,) = torch.autograd.grad(actual.sum(), x)
    torch.testing.assert_close(actual, expected, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(actual_grad, expected_grad, rtol=1e-12, atol=1e-14)


def test_equals_optax_integer_label_cross_entropy(rng):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    logits, labels = class_inputs(rng)
    expected = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(logits), jnp.asarray(labels))
    np.testing.assert_allclose(il.softmax_cross_entropy(jnp.asarray(logits), jnp.asarray(labels), reduction="none"), expected, rtol=1e-12)


def test_all_ignored_gives_zero_not_nan(framework, rng):
    logits, _ = class_inputs(rng)
    labels = np.full(7, -100)
    x, y = framework.asarray(logits), framework.asarray(labels)
    for loss in (il.softmax_cross_entropy, il.softmax_focal_loss):
        assert framework.to_numpy(loss(x, y, ignore_index=-100)) == 0.0
        assert np.all(framework.to_numpy(loss(x, y, ignore_index=-100, reduction="none")) == 0.0)


def test_all_ignored_gradient_is_zero(autodiff_framework, rng):
    logits, _ = class_inputs(rng)
    f = autodiff_framework
    _, grad = f.value_and_grad(lambda v, t: il.softmax_focal_loss(v, t, ignore_index=-100, gamma=0.5), f.asarray(logits), f.asarray(np.full(7, -100)))
    assert np.all(f.to_numpy(grad) == 0.0)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss", "soft_truncated_softmax_loss", "softmax_dice_loss"])
def test_int32_labels(framework, rng, loss):
    """Integer labels of any width (TensorFlow compares integers only of one dtype)."""
    logits, labels = class_inputs(rng, ignore=-100)
    x = framework.asarray(logits)
    options = {"ignore_index": -100, "label_smoothing": 0.1} if loss != "softmax_dice_loss" else {"ignore_index": -100, "alpha": 0.1}
    wide = framework.to_numpy(getattr(il, loss)(x, framework.asarray(labels.astype(np.int64)), **options))
    narrow = framework.to_numpy(getattr(il, loss)(x, framework.asarray(labels.astype(np.int32)), **options))
    np.testing.assert_allclose(narrow, wide, rtol=1e-14)


def test_single_class_is_zero_loss_with_finite_gradient(autodiff_framework):
    f = autodiff_framework
    logits, labels = f.asarray(np.array([[3.0], [-2.0]])), f.asarray(np.array([0, 0]))
    for loss in (il.softmax_focal_loss, il.softmax_cross_entropy, il.soft_truncated_softmax_loss):
        value, grad = f.value_and_grad(lambda v, t: loss(v, t, reduction="none"), logits, labels)
        assert np.all(f.to_numpy(value) == 0) and np.all(f.to_numpy(grad) == 0), loss.__name__
