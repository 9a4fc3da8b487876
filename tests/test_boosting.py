"""Per-sample derivatives (``loss_derivatives``, ``prior_margin``) and the boosting objectives.

Gradients and Hessian diagonals are checked against finite differences of the
independent float64 oracles (never our own forward); the objectives against the
built-in logistic and multi-class objectives of XGBoost, LightGBM and CatBoost,
with sample weights, to float tolerance.
"""


import numpy as np
import pytest
from imbalance_losses_conformance.oracles import ORACLES, numerical_curvature, numerical_gradient

import imbalance_losses as il
from imbalance_losses._boosting import RowDerivatives
from imbalance_losses.core.derivatives import PER_SAMPLE_LOSSES, loss_derivatives, prior_margin

COUNTS = [40.0, 12.0, 5.0, 1.0]

# (loss, options) per target layout; every per-sample loss appears at least once.
BINARY_CASES = [
    (il.sigmoid_cross_entropy, {}),
    (il.sigmoid_cross_entropy, {"pos_weight": 3.0, "label_smoothing": 0.1}),
    (il.sigmoid_focal_loss, {}),
    (il.sigmoid_focal_loss, {"alpha": None, "gamma": 0.5}),
    (il.poly1_sigmoid_cross_entropy, {"epsilon": 2.0}),
    (il.poly1_focal_loss, {"epsilon": -0.5, "gamma": 1.5}),
    (il.hard_truncated_loss, {"margin": 0.7}),
    (il.soft_truncated_loss, {"k": 2.0}),
    (il.asymmetric_loss, {}),
    (il.asymmetric_loss, {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0}),
    (il.distribution_balanced_loss, {"counts": [30.0, 5.0, 1.0, 0.0], "num_samples": 40}),
    (il.equalization_loss, {"counts": [30.0, 5.0, 1.0, 0.0], "num_samples": 40, "lambda_": 0.2}),
    (il.varifocal_loss, {}),
    (il.varifocal_loss, {"alpha": 0.5, "gamma": 1.5, "iou_weighted": False}),
    (il.quality_focal_loss, {}),
    (il.quality_focal_loss, {"beta": 2.5}),
]
CLASS_CASES = [
    (il.softmax_cross_entropy, {}),
    (il.softmax_cross_entropy, {"class_weights": [1.0, 2.0, 0.5, 3.0], "label_smoothing": 0.1}),
    (il.softmax_focal_loss, {}),
    (il.softmax_focal_loss, {"alpha": [0.2, 0.3, 0.4, 0.5], "gamma": 0.5}),
    (il.softmax_focal_loss, {"gamma": 1.5, "label_smoothing": 0.2}),
    (il.poly1_cross_entropy, {"epsilon": 2.0}),
    (il.logit_adjusted_cross_entropy, {"prior": COUNTS, "tau": 1.5}),
    (il.balanced_softmax_cross_entropy, {"counts": COUNTS}),
    (il.vector_scaling_loss, {"counts": COUNTS}),
    (il.ldam_loss, {"counts": COUNTS, "scale": 3.0}),
    (il.soft_truncated_softmax_loss, {}),
    (il.soft_truncated_softmax_loss, {"k": 2.0, "label_smoothing": 0.1}),
]
MULTILABEL_CASES = [(il.multilabel_categorical_crossentropy, {})]
BINS_CASES = [(il.distribution_focal_loss, {})]
GMM = (np.array([0.5, 0.3, 0.2]), np.array([-2.0, 0.5, 3.0]), np.array([[[0.5]], [[1.0]], [[0.2]]]))
REGRESSION_CASES = [
    (il.focal_regression_loss, {}),
    (il.focal_regression_loss, {"kind": "l1", "activation": "tanh", "gamma": 2.0, "beta": 0.5}),
    (il.balanced_mse_loss, {"method": "gai", "gmm": GMM, "noise_variance": 0.5}),
    (il.balanced_mse_loss, {"method": "bni", "bin_edges": np.linspace(-6, 6, 9),
                            "bin_counts": [0.0, 2.0, 9.0, 30.0, 12.0, 4.0, 1.0, 0.0], "noise_variance": 0.8}),
]
CASES = BINARY_CASES + CLASS_CASES + MULTILABEL_CASES + BINS_CASES + REGRESSION_CASES
# Losses whose Hessian is never negative (the three `hessian` options agree).
CONVEX = {il.sigmoid_cross_entropy, il.hard_truncated_loss, il.softmax_cross_entropy, il.logit_adjusted_cross_entropy,
          il.balanced_softmax_cross_entropy, il.vector_scaling_loss, il.ldam_loss, il.multilabel_categorical_crossentropy,
          il.balanced_mse_loss, il.distribution_focal_loss}


def _case_id(case):
    loss, options = case
    return loss.__name__ + "".join(f"-{k}" for k in options)


def _inputs(loss, rng, *, soft):
    layout = PER_SAMPLE_LOSSES[loss]
    weights = rng.random(6) + 0.5
    if layout == "regression":  # real targets; Balanced MSE's with a trailing target axis
        shape = (6, 1) if loss is il.balanced_mse_loss else (6, 4)
        predictions = rng.normal(size=shape) * 2
        return predictions, rng.normal(size=shape) * 2, weights if loss is il.balanced_mse_loss else weights[:, None]
    if layout == "bins":  # distances in bin units: both ends, a whole bin and fractions
        distances = np.concatenate([[0.0, 4.0, 2.0], rng.uniform(0, 4, 3)])
        return rng.normal(size=(6, 5)) * 3, distances, weights
    if layout == "classes":
        logits = rng.normal(size=(6, 4)) * 3
        targets = rng.dirichlet(np.ones(4), 6) if soft else rng.integers(0, 4, 6)
    else:
        logits = rng.normal(size=(6, 4)) * 4
        targets = rng.random((6, 4)) if soft else (rng.random((6, 4)) < 0.4).astype(np.float64)
    return logits, targets, weights if layout != "binary" else weights[:, None]


def test_every_per_sample_loss_has_a_case():
    assert {loss for loss, _ in CASES} == set(PER_SAMPLE_LOSSES)


# DB reads soft targets its own way (the oracle's p_t = exp(-BCE), the reference's; ours
# is the focal term's, documented in its docstring): compared on hard targets only.
# Regression and DFL targets are real distances: no soft form.
HARD_ONLY = {il.distribution_balanced_loss, il.focal_regression_loss, il.balanced_mse_loss,
             il.distribution_focal_loss}
TARGET_CASES = [(case, soft) for case in CASES for soft in (False, True) if not (soft and case[0] in HARD_ONLY)]


@pytest.mark.parametrize(("case", "soft"), TARGET_CASES,
                         ids=[f"{_case_id(case)}-{'soft' if soft else 'hard'}" for case, soft in TARGET_CASES])
def test_derivatives_match_finite_differences_of_the_oracle(case, soft, rng):
    loss, options = case
    logits, targets, weights = _inputs(loss, rng, soft=soft)
    oracle = ORACLES[loss.__name__]

    def total(x):
        return float(oracle(x, targets, weights=weights, reduction="sum", **options))

    gradient, hessian = loss_derivatives(loss, logits, targets, hessian="exact", weights=weights, **options)
    np.testing.assert_allclose(gradient, numerical_gradient(total, logits), rtol=1e-6, atol=1e-9)
    expected = numerical_curvature(total, logits)
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-7 * np.max(np.abs(expected)))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_hessian_options(case, rng):
    """clipped = max(exact, 0); fisher is never negative and has the gradient's zeros;
    for a loss whose Hessian is never negative the three agree."""
    loss, options = case
    logits, targets, _ = _inputs(loss, rng, soft=False)
    logits = np.concatenate([logits, 12 * np.sign(logits)])  # badly misclassified and easy samples
    targets = np.concatenate([targets, targets])
    (g_exact, exact), (g_clip, clipped), (g_fisher, fisher) = (
        loss_derivatives(loss, logits, targets, hessian=h, **options) for h in ("exact", "clipped", "fisher"))
    np.testing.assert_array_equal(g_exact, g_clip)
    np.testing.assert_array_equal(g_exact, g_fisher)
    np.testing.assert_array_equal(clipped, np.maximum(exact, 0))
    assert np.all(fisher >= 0) and np.all(np.isfinite(fisher))
    if loss in CONVEX:
        assert np.all(exact >= 0)
        np.testing.assert_allclose(fisher, exact, rtol=1e-12, atol=1e-300)


def test_focal_hessian_is_negative_for_misclassified_samples_and_fisher_is_not():
    """loss-zoo §3.1: for y = 1, gamma = 2 the second derivative dips to about -0.047."""
    x = np.linspace(-8, 8, 1601)
    y = np.ones_like(x)
    _, exact = loss_derivatives(il.sigmoid_focal_loss, x, y, hessian="exact", alpha=None, gamma=2.0)
    _, fisher = loss_derivatives(il.sigmoid_focal_loss, x, y, hessian="fisher", alpha=None, gamma=2.0)
    assert -0.05 < exact.min() < -0.045
    assert x[exact.argmin()] < -2.8
    assert fisher.min() > 0


def test_fisher_reduces_to_cross_entropy(rng):
    """gamma = 0 focal is cross-entropy: all three Hessians are its s(1 - s) / p(1 - p)."""
    x = rng.normal(size=(50,)) * 5
    y = (rng.random(50) < 0.3).astype(np.float64)
    ce = loss_derivatives(il.sigmoid_cross_entropy, x, y)
    for hessian in ("exact", "fisher"):
        focal = loss_derivatives(il.sigmoid_focal_loss, x, y, alpha=None, gamma=0.0, hessian=hessian)
        np.testing.assert_allclose(focal, ce, rtol=1e-13)
    logits, labels = rng.normal(size=(20, 5)) * 4, rng.integers(0, 5, 20)
    np.testing.assert_allclose(loss_derivatives(il.softmax_focal_loss, logits, labels, gamma=0.0, hessian="exact"),
                               loss_derivatives(il.softmax_cross_entropy, logits, labels), rtol=1e-13)


def test_fisher_is_cross_entropy_times_the_effective_weight(rng):
    """For hard targets the gradient is w (s - y); the fisher Hessian is w s (1 - s)."""
    x = rng.normal(size=(200,)) * 6
    y = (rng.random(200) < 0.5).astype(np.float64)
    g, h = loss_derivatives(il.sigmoid_focal_loss, x, y, gamma=2.0)
    s = 1 / (1 + np.exp(-x))
    variance = np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2
    np.testing.assert_allclose(h, g / (s - y) * variance, rtol=1e-10)
    logits, labels = rng.normal(size=(30, 4)) * 3, rng.integers(0, 4, 30)
    g, h = loss_derivatives(il.softmax_focal_loss, logits, labels, gamma=2.0)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    weight = -g[np.arange(30), labels] / (1 - p[np.arange(30), labels])
    np.testing.assert_allclose(h, weight[:, None] * p * (1 - p), rtol=1e-9)


def test_distribution_focal_derivatives_are_the_two_hot_residual(rng):
    """DFL is cross-entropy with the two-hot target q (mass l + 1 - t at l = floor(t), t - l
    at l + 1; the last bin's distance all on the last bin): gradient p - q, Hessian p (1 - p)."""
    logits = rng.normal(size=(5, 6)) * 3
    t = np.array([0.0, 5.0, 2.0, 2.5, 4.2])
    left = np.minimum(np.floor(t), 4).astype(int)
    q = np.zeros((5, 6))
    q[np.arange(5), left] = left + 1 - t
    q[np.arange(5), left + 1] = t - left
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for hessian in ("exact", "fisher"):
        g, h = loss_derivatives(il.distribution_focal_loss, logits, t, hessian=hessian)
        np.testing.assert_allclose(g, p - q, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(h, p * (1 - p), rtol=1e-12)


def test_weights_apply_once_and_linearly(rng):
    logits, labels = rng.normal(size=(8, 3)), rng.integers(0, 3, 8)
    weights = rng.random(8) * 3
    plain = loss_derivatives(il.softmax_focal_loss, logits, labels)
    weighted = loss_derivatives(il.softmax_focal_loss, logits, labels, weights=weights)
    for a, b in zip(plain, weighted):
        np.testing.assert_allclose(b, a * weights[:, None], rtol=1e-14)


def test_saturated_inputs_stay_finite():
    for dtype in (np.float32, np.float64):
        x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], dtype=dtype)[:, None] * np.ones(4, dtype)
        for loss, options in BINARY_CASES:
            for y in (np.zeros_like(x), np.ones_like(x)):
                for hessian in ("exact", "fisher"):
                    g, h = loss_derivatives(loss, x, y, hessian=hessian, **options)
                    assert g.dtype == dtype and np.all(np.isfinite(g)) and np.all(np.isfinite(h)), loss.__name__
        logits = np.array([[0.0, 1e4, -1e4, 1.0], [50.0, 0.0, 0.0, -50.0], [0.0, 0.0, 0.0, 0.0]], dtype=dtype)
        for cases, targets in ((CLASS_CASES, np.array([0, 0, 2])), (BINS_CASES, np.array([0.0, 3.0, 1.5]))):
            for loss, options in cases:
                for hessian in ("exact", "fisher"):
                    g, h = loss_derivatives(loss, logits, targets, hessian=hessian, **options)
                    assert np.all(np.isfinite(g)) and np.all(np.isfinite(h)), loss.__name__


def test_frameworks_agree(autodiff_framework, rng):
    """Every case on torch, JAX and TensorFlow arrays equals NumPy's, in float64."""
    f = autodiff_framework
    for loss, options in CASES:
        logits, targets, weights = _inputs(loss, rng, soft=False)
        expected = loss_derivatives(loss, logits, targets, hessian="exact", weights=weights, **options)
        got = loss_derivatives(loss, f.asarray(logits), f.asarray(targets), hessian="exact",
                               weights=f.asarray(weights), **options)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(f.to_numpy(a), b, rtol=1e-10, atol=1e-14, err_msg=loss.__name__)


def test_class_axis(autodiff_framework, rng):
    logits, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    expected = loss_derivatives(il.softmax_focal_loss, logits, labels, hessian="exact", gamma=1.5)
    f = autodiff_framework
    got = loss_derivatives(il.softmax_focal_loss, f.asarray(logits.T), f.asarray(labels), hessian="exact",
                           gamma=1.5, axis=0)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(f.to_numpy(a).T, b, rtol=1e-12)


def test_loss_derivatives_errors(rng):
    x, y = rng.normal(size=(4,)), np.ones(4)
    with pytest.raises(ValueError, match="Invalid value for argument `loss`"):
        loss_derivatives(il.dice_loss, x, y)
    with pytest.raises(ValueError, match="Invalid value for argument `hessian`"):
        loss_derivatives(il.sigmoid_focal_loss, x, y, hessian="diagonal")
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        loss_derivatives(il.sigmoid_focal_loss, x, y, reduction="mean")


def test_prior_margin():
    np.testing.assert_allclose(prior_margin([30, 10, 0, 60]), np.log([0.3, 0.1, np.finfo(np.float64).smallest_normal, 0.6]))
    np.testing.assert_allclose(prior_margin([1, 3], tau=0.5), 0.5 * np.log([0.25, 0.75]))
    np.testing.assert_allclose(prior_margin([10, 0, 100], num_samples=100), np.log([10 / 90, 1 / 99, 99 / 1]))
    # the starting margin is cross-entropy's constant minimiser: zero total gradient there
    labels = np.array([0] * 30 + [1] * 10 + [2] * 60)
    margins = np.tile(prior_margin(np.bincount(labels)), (100, 1))
    g, _ = loss_derivatives(il.softmax_cross_entropy, margins, labels)
    np.testing.assert_allclose(g.sum(0), 0, atol=1e-12)


@pytest.mark.parametrize("hessian", ["fisher", "exact"])
@pytest.mark.parametrize("case", CLASS_CASES, ids=_case_id)
def test_row_kernel_equals_loss_derivatives(case, hessian, rng):
    # CatBoost's per-sample kernel against the core's derivatives, sample by sample, on
    # ordinary, saturated and tied margins; None exactly where it does not apply.
    loss, options = case
    kernel = RowDerivatives.of(loss, 4, hessian=hessian, **options)
    applies = (loss is not il.soft_truncated_softmax_loss and "label_smoothing" not in options
               and (hessian == "fisher" or loss in CONVEX))
    assert (kernel is not None) == applies
    if kernel is None:
        return
    margins = np.concatenate([rng.normal(size=(40, 4)) * 3, rng.normal(size=(8, 4)) * 200,
                              np.zeros((4, 4)), np.tile([30.0, 30.0, -30.0, 0.0], (4, 1))])
    labels = np.concatenate([rng.integers(0, 4, 48), np.arange(4), np.arange(4)])
    weights = rng.random(labels.size) + 0.5
    expected = loss_derivatives(loss, margins, labels, hessian=hessian, weights=weights, **options)
    for i in range(labels.size):
        gradient, curvature = kernel(margins[i], labels[i], weights[i])
        np.testing.assert_allclose(curvature, expected[1][i], rtol=1e-12, atol=1e-300)
        others = np.arange(4) != labels[i]
        np.testing.assert_allclose(gradient[others], expected[0][i][others], rtol=1e-12, atol=1e-300)
        # The target's B s (p_t - 1): p_t rounded to 1e-16 in both, so its error is absolute.
        np.testing.assert_allclose(gradient[~others], expected[0][i][~others], rtol=1e-12, atol=1e-14)
