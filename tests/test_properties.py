"""Hypothesis property tests over every loss (budget: the "ci" / "dev" profiles in conftest.py)."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import imbalance_losses as il
from imbalance_losses_conformance.frameworks import FRAMEWORKS, get_framework

PROPERTY_FRAMEWORKS = ["numpy", "torch", "jax"]
SIGMOID_LOSSES = ["sigmoid_cross_entropy", "sigmoid_focal_loss", "hard_truncated_loss", "soft_truncated_loss",
                  "ghm_c_loss", "ghm_r_loss", "dice_loss", "multilabel_categorical_crossentropy"]
SOFTMAX_LOSSES = ["softmax_cross_entropy", "softmax_focal_loss", "soft_truncated_softmax_loss",
                  "logit_adjusted_cross_entropy", "softmax_dice_loss"]
ALL_LOSSES = SIGMOID_LOSSES + SOFTMAX_LOSSES + ["sparse_multilabel_categorical_crossentropy"]
PRIOR = [50.0, 20.0, 5.0, 1.0, 0.0]


@pytest.fixture(params=PROPERTY_FRAMEWORKS)
def pframework(request):
    framework = get_framework(request.param)
    if not framework.available():
        pytest.skip(f"{request.param} is not installed")
    return framework


def _logits(draw, low=-1e4, high=1e4, min_rows=1):
    n = draw(st.integers(min_rows, 6))
    c = draw(st.integers(2, 5))
    return draw(hnp.arrays(np.float64, (n, c), elements=st.floats(low, high, allow_nan=False, allow_subnormal=False)))


def _inputs(draw, loss, logits):
    """Targets and options for ``loss`` at ``logits`` (N, C)."""
    n, c = logits.shape
    options = {}
    if loss in SOFTMAX_LOSSES:
        target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
        if loss == "logit_adjusted_cross_entropy":
            options["prior"] = PRIOR[:c]
    elif loss == "sparse_multilabel_categorical_crossentropy":
        target = draw(hnp.arrays(np.int64, (n, 2), elements=st.integers(0, c - 1)))
    elif loss == "ghm_r_loss":
        target = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-10, 10)))
    else:
        soft = draw(st.booleans())
        elements = st.floats(0, 1) if soft else st.sampled_from([0.0, 1.0])
        target = draw(hnp.arrays(np.float64, (n, c), elements=elements))
    if loss in ("sigmoid_focal_loss", "softmax_focal_loss"):
        options["gamma"] = draw(st.sampled_from([0.0, 0.25, 0.5, 2.0, 5.0]))
    if loss in ("dice_loss", "softmax_dice_loss"):
        options["alpha"] = draw(st.sampled_from([0.0, 0.01, 1.0]))
    if loss.startswith("ghm"):
        options["momentum"] = draw(st.sampled_from([0.0, 0.75]))
    return target, options


def _call(loss, x, target, **options):
    out = getattr(il, loss)(x, target, **options)
    return out[0] if loss.startswith("ghm") else out


LOW_PRECISION = [(name, dtype) for name in PROPERTY_FRAMEWORKS for dtype in ("float32", "float16", "bfloat16")
                 if dtype in FRAMEWORKS[name].dtypes]


@pytest.mark.parametrize("framework_name, dtype", LOW_PRECISION)
@pytest.mark.parametrize("loss", ALL_LOSSES)
@given(data=st.data())
def test_finite_values_and_gradients_for_any_finite_logits(framework_name, loss, dtype, data):
    f = get_framework(framework_name)
    if not f.available():
        pytest.skip(f"{framework_name} is not installed")
    logits = _logits(data.draw)
    target, options = _inputs(data.draw, loss, logits)
    x = f.asarray(logits, dtype)
    y = f.asarray(target, dtype) if target.dtype.kind == "f" else f.asarray(target)
    if f.differentiable:
        value, grad = f.value_and_grad(lambda v, t: _call(loss, v, t, **options), x, y)
        assert np.all(np.isfinite(f.to_numpy(grad))), f"{loss}: non-finite gradient"
    else:
        value = _call(loss, x, y, **options)
    assert np.all(np.isfinite(f.to_numpy(value))), f"{loss}: non-finite value"


@given(data=st.data())
def test_finite_in_tensorflow_float32(data):
    f = get_framework("tensorflow")
    if not f.available():
        pytest.skip("tensorflow is not installed")
    loss = data.draw(st.sampled_from(ALL_LOSSES))
    logits = _logits(data.draw)
    target, options = _inputs(data.draw, loss, logits)
    y = f.asarray(target, "float32") if target.dtype.kind == "f" else f.asarray(target)
    value, grad = f.value_and_grad(lambda v, t: _call(loss, v, t, **options), f.asarray(logits, "float32"), y)
    assert np.all(np.isfinite(f.to_numpy(value))) and np.all(np.isfinite(f.to_numpy(grad)))


@pytest.mark.parametrize("loss", SOFTMAX_LOSSES)
@given(data=st.data())
def test_softmax_losses_are_shift_invariant(pframework, loss, data):
    logits = _logits(data.draw, -30, 30)
    target, options = _inputs(data.draw, loss, logits)
    shift = data.draw(st.floats(-100, 100))
    f = pframework
    y = f.asarray(target)
    base = f.to_numpy(getattr(il, loss)(f.asarray(logits), y, reduction="none", **options))
    shifted = f.to_numpy(getattr(il, loss)(f.asarray(logits + shift), y, reduction="none", **options))
    np.testing.assert_allclose(shifted, base, rtol=1e-9, atol=1e-12)


# Pooled Dice weights its sums linearly (SPEC), so it is scale-invariant too.
SCALE_INVARIANT = ALL_LOSSES + ["softmax_dice_loss:per_sample", "dice_loss:per_sample"]


@pytest.mark.parametrize("loss", SCALE_INVARIANT)
@given(data=st.data())
def test_mean_is_unchanged_by_scaling_all_weights(pframework, loss, data):
    name, _, variant = loss.partition(":")
    logits = _logits(data.draw, -30, 30)
    target, options = _inputs(data.draw, name, logits)
    if variant:
        options["per_sample"] = True
    elif name in ("dice_loss", "softmax_dice_loss"):
        options["smooth"] = 0.0  # the pooled ratio is scale-free; smooth is an absolute term
    element_shape = logits.shape[:1] if name in SOFTMAX_LOSSES or "multilabel" in name else logits.shape
    # Exactly 0 or well above underflow, so that scaling never turns a weight into 0.
    weights = data.draw(hnp.arrays(np.float64, element_shape, elements=st.one_of(st.just(0.0), st.floats(1e-3, 3.0))))
    scale = data.draw(st.floats(0.01, 100.0))
    f = pframework
    x, y = f.asarray(logits), f.asarray(target)
    a = f.to_numpy(_call(name, x, y, weights=f.asarray(weights), **options))
    b = f.to_numpy(_call(name, x, y, weights=f.asarray(weights * scale), **options))
    np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


@given(data=st.data())
def test_pooled_dice_with_any_non_negative_weights_stays_in_unit_interval(pframework, data):
    """Weights enter the pooled sums linearly: no squared weight can push the loss below 0."""
    logits = _logits(data.draw, -30, 30)
    target, _ = _inputs(data.draw, "dice_loss", logits)
    weights = data.draw(hnp.arrays(np.float64, logits.shape, elements=st.floats(0.0, 100.0)))
    smooth = data.draw(st.sampled_from([0.0, 1e-4, 1.0]))
    f = pframework
    for loss, y in (("dice_loss", target), ("softmax_dice_loss", np.argmax(target + logits, axis=-1))):
        w = weights if loss == "dice_loss" else weights[:, 0]
        value = float(f.to_numpy(getattr(il, loss)(f.asarray(logits), f.asarray(y), weights=f.asarray(w), smooth=smooth)))
        assert -1e-12 <= value <= 1 + 1e-12, (loss, value)


@pytest.mark.parametrize("loss", SOFTMAX_LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@given(data=st.data())
def test_ignore_index_equals_dropping_those_elements(pframework, loss, reduction, data):
    logits = _logits(data.draw, -30, 30, min_rows=2)
    target, options = _inputs(data.draw, loss, logits)
    ignored = data.draw(hnp.arrays(bool, logits.shape[:1]))
    assume(not ignored.all())
    f = pframework
    with_ignore = f.to_numpy(getattr(il, loss)(f.asarray(logits), f.asarray(np.where(ignored, -100, target)),
                                               ignore_index=-100, reduction=reduction, **options))
    dropped = f.to_numpy(getattr(il, loss)(f.asarray(logits[~ignored]), f.asarray(target[~ignored]),
                                           reduction=reduction, **options))
    np.testing.assert_allclose(with_ignore, dropped, rtol=1e-9, atol=1e-12)


# Pooled Dice returns one value for every reduction.
ELEMENTWISE = [name for name in ALL_LOSSES if name not in ("dice_loss", "softmax_dice_loss")]


@pytest.mark.parametrize("loss", ELEMENTWISE)
@given(data=st.data())
def test_sum_equals_none_summed(pframework, loss, data):
    logits = _logits(data.draw)
    target, options = _inputs(data.draw, loss, logits)
    f = pframework
    x, y = f.asarray(logits), f.asarray(target)
    total = f.to_numpy(_call(loss, x, y, reduction="sum", **options))
    parts = f.to_numpy(_call(loss, x, y, reduction="none", **options))
    np.testing.assert_allclose(total, parts.sum(), rtol=1e-9, atol=1e-9)


@given(data=st.data())
def test_gamma_zero_focal_equals_cross_entropy(pframework, data):
    logits = _logits(data.draw)
    f = pframework
    x = f.asarray(logits)
    binary, _ = _inputs(data.draw, "sigmoid_focal_loss", logits)
    labels, _ = _inputs(data.draw, "softmax_focal_loss", logits)
    np.testing.assert_allclose(
        f.to_numpy(il.sigmoid_focal_loss(x, f.asarray(binary), alpha=None, gamma=0.0, reduction="none")),
        f.to_numpy(il.sigmoid_cross_entropy(x, f.asarray(binary), reduction="none")), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        f.to_numpy(il.softmax_focal_loss(x, f.asarray(labels), gamma=0.0, reduction="none")),
        f.to_numpy(il.softmax_cross_entropy(x, f.asarray(labels), reduction="none")), rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_large_k_soft_truncation_approaches_hard(pframework, data):
    logits = _logits(data.draw, -50, 50)
    assume(np.all(np.abs(logits) > 0.01))
    target, _ = _inputs(data.draw, "soft_truncated_loss", logits)
    f = pframework
    x, y = f.asarray(logits), f.asarray(target)
    soft = f.to_numpy(il.soft_truncated_loss(x, y, k=1e5, reduction="none"))
    hard = f.to_numpy(il.hard_truncated_loss(x, y, reduction="none"))
    np.testing.assert_allclose(soft, hard, rtol=1e-9, atol=1e-12)


@given(data=st.data())
def test_dense_zlpr_equals_sparse(pframework, data):
    logits = _logits(data.draw, -1e4, 1e4)
    indices, _ = _inputs(data.draw, "sparse_multilabel_categorical_crossentropy", logits)
    multi_hot = np.zeros(logits.shape)
    np.put_along_axis(multi_hot, indices, 1.0, axis=1)
    f = pframework
    x = f.asarray(logits)
    np.testing.assert_allclose(
        f.to_numpy(il.sparse_multilabel_categorical_crossentropy(x, f.asarray(indices), reduction="none")),
        f.to_numpy(il.multilabel_categorical_crossentropy(x, f.asarray(multi_hot), reduction="none")), rtol=1e-12)
