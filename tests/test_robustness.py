"""Inputs as users hand them over: every integer label dtype, NumPy scalars and arrays as
options, a NaN logit and an out-of-range label in every loss, torch.autocast, torch
module buffers, and no compile-time noise."""

import warnings

import numpy as np
import pytest

import imbalance_losses as il

from ._cases import CASES, LOSSES

C = 5
RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(8, C)) * 2
LABELS = np.array([0, 1, 2, 3, 4, 4, 1, 0])
CLASS_OPTIONS = {  # softmax-family losses with the options that index by label
    "softmax_cross_entropy": {"class_weights": [0.5, 1.0, 2.0, 4.0, 0.25], "label_smoothing": 0.1},
    "softmax_focal_loss": {"alpha": [0.1, 0.2, 0.3, 0.25, 0.15]},
    "soft_truncated_softmax_loss": {"k": 2.0},
    "logit_adjusted_cross_entropy": {"prior": [50.0, 20.0, 5.0, 2.0, 1.0], "class_weights": [1.0, 2.0, 1.0, 2.0, 1.0]},
    "softmax_dice_loss": {"alpha": 0.1},
}
INTEGER_DTYPES = ("uint8", "int8", "int16", "int32", "int64")


def _dtype(framework, name):
    """The framework's integer dtype ``name`` (None where it has none)."""
    if framework.name in ("numpy", "array_api_strict"):
        return name
    module = {"torch": "torch", "jax": "jax.numpy", "tensorflow": "tensorflow"}[framework.name]
    import importlib

    return getattr(importlib.import_module(module), name, None)


def _labels(framework, values, dtype_name):
    if framework.name == "tensorflow":
        import tensorflow as tf

        return tf.constant(np.asarray(values).astype(dtype_name))
    if framework.name == "torch":
        import torch

        return torch.tensor(np.asarray(values).astype(dtype_name))
    return framework.asarray(np.asarray(values).astype(dtype_name))


@pytest.mark.parametrize("dtype_name", INTEGER_DTYPES)
@pytest.mark.parametrize("loss", sorted(CLASS_OPTIONS))
def test_every_integer_label_dtype_gives_the_int64_result(framework, loss, dtype_name):
    x = framework.asarray(LOGITS)
    expected = framework.to_numpy(getattr(il, loss)(x, _labels(framework, LABELS, "int64"), **CLASS_OPTIONS[loss],
                                                    reduction="none"))
    got = getattr(il, loss)(x, _labels(framework, LABELS, dtype_name), **CLASS_OPTIONS[loss], reduction="none")
    np.testing.assert_allclose(framework.to_numpy(got), expected, rtol=1e-14)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal_loss", "softmax_dice_loss"])
def test_uint8_labels_with_ignore_index_minus_100_keep_class_156(framework, loss):
    """A uint8 label 156 is class 156, not ``ignore_index=-100`` wrapped around (COCO-Stuff has 182 classes)."""
    logits = np.random.default_rng(1).normal(size=(6, 200))
    labels = np.array([156, 3, 156, 199, 0, 12])
    x = framework.asarray(logits)
    kwargs = {"ignore_index": -100, "reduction": "none"} if loss != "softmax_dice_loss" else {"ignore_index": -100}
    expected = framework.to_numpy(getattr(il, loss)(x, _labels(framework, labels, "int64"), **kwargs))
    got = framework.to_numpy(getattr(il, loss)(x, _labels(framework, labels, "uint8"), **kwargs))
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    if loss != "softmax_dice_loss":
        assert np.all(got > 0)


def test_more_than_256_classes_with_uint8_labels(framework):
    """Class ids are made in the labels' indexing dtype, never in uint8 (which wraps at 256)."""
    logits = np.random.default_rng(2).normal(size=(6, 300))
    x = framework.asarray(logits)
    labels, indices = np.array([5, 250, 3, 7, 255, 0]), np.array([[1, 250], [3, 255], [2, 2], [9, 8], [0, 4], [6, 7]])
    for fn, target in ((il.softmax_dice_loss, labels), (il.sparse_multilabel_categorical_crossentropy, indices)):
        expected = framework.to_numpy(fn(x, _labels(framework, target, "int64")))
        np.testing.assert_allclose(framework.to_numpy(fn(x, _labels(framework, target, "uint8"))), expected, rtol=1e-14)
    np.testing.assert_allclose(framework.to_numpy(il.sampling_weights(_labels(framework, labels, "uint8"), 300)),
                               framework.to_numpy(il.sampling_weights(_labels(framework, labels, "int64"), 300)))


# (loss, NumPy scalar options, the same options as Python values): values exact in float32.
NUMPY_SCALARS = [
    ("sigmoid_focal_loss", {"alpha": np.float32(0.25), "gamma": np.float64(1.5)}),
    ("sigmoid_cross_entropy", {"pos_weight": np.float32(2.0), "label_smoothing": np.float32(0.125)}),
    ("softmax_cross_entropy", {"axis": np.int64(-1), "ignore_index": np.int64(1), "label_smoothing": np.float64(0.125)}),
    ("softmax_focal_loss", {"alpha": np.float32(0.5), "gamma": np.int32(2), "axis": np.int8(-1)}),
    ("dice_loss", {"per_sample": np.bool_(True), "alpha": np.float32(0.5), "smooth": np.float16(1.0)}),
    ("softmax_dice_loss", {"square_denominator": np.bool_(True), "ignore_empty": np.bool_(False)}),
    ("ghm_c_loss", {"bins": np.int64(10), "momentum": np.float32(0.5), "bias_correction": np.bool_(True)}),
    ("ghm_r_loss", {"mu": np.float32(0.125), "bins": np.uint8(5)}),
    ("hard_truncated_loss", {"margin": np.float32(0.75)}),
    ("soft_truncated_loss", {"k": np.float16(2.0)}),
    ("soft_truncated_softmax_loss", {"k": np.float32(0.5)}),
    ("logit_adjusted_cross_entropy", {"tau": np.float32(1.5), "prior": np.array([5.0, 4.0, 3.0, 2.0, 1.0])}),
    ("sparse_multilabel_categorical_crossentropy", {"mask_zero": np.bool_(True)}),
]


def _targets_for(loss, framework):
    if loss.startswith("sparse"):
        return framework.asarray(np.array([[1, 2], [3, 0], [2, 4], [0, 0], [1, 1], [4, 3], [2, 0], [3, 1]]))
    if loss.startswith(("softmax", "soft_truncated_softmax", "logit")):
        return framework.asarray(LABELS)
    return framework.asarray((LOGITS > 0.5).astype(np.float64))


@pytest.mark.parametrize("loss, options", NUMPY_SCALARS, ids=[loss for loss, _ in NUMPY_SCALARS])
def test_numpy_scalar_options_equal_python_values(framework, loss, options):
    x = framework.asarray(LOGITS)
    python = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in options.items()}
    out = getattr(il, loss)(x, _targets_for(loss, framework), **options)
    ref = getattr(il, loss)(x, _targets_for(loss, framework), **python)
    out, ref = (o[0] if isinstance(o, tuple) else o for o in (out, ref))
    np.testing.assert_allclose(framework.to_numpy(out), framework.to_numpy(ref), rtol=1e-15)


def test_numpy_arrays_for_targets_and_array_options(autodiff_framework):
    """NumPy labels, weights, class weights, prior, state, pos_weight and alpha arrays with a
    framework's logits give the result of that framework's own arrays (JAX eager included)."""
    f = autodiff_framework
    x = f.asarray(LOGITS)
    w = RNG.random(8)
    calls = [
        (il.softmax_cross_entropy, LABELS, {"weights": w, "class_weights": np.linspace(0.5, 2.0, C)}),
        (il.softmax_focal_loss, LABELS, {"alpha": np.linspace(0.1, 0.5, C)}),
        (il.logit_adjusted_cross_entropy, LABELS, {"prior": np.arange(1, C + 1)}),
        (il.sigmoid_cross_entropy, (LOGITS > 0).astype(np.float64), {"pos_weight": np.linspace(1.0, 2.0, C)}),
        (il.sigmoid_focal_loss, (LOGITS > 0), {"alpha": np.full(C, 0.25), "weights": w[:, None]}),
        (il.ghm_c_loss, (LOGITS > 0).astype(np.float64), {"momentum": 0.5, "state": np.arange(10.0)}),
    ]
    for fn, target, options in calls:
        out = fn(x, target, **options)
        native = fn(x, f.asarray(target), **{k: (f.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in options.items()})
        out, native = (o[0] if isinstance(o, tuple) else o for o in (out, native))
        np.testing.assert_allclose(f.to_numpy(out), f.to_numpy(native), rtol=1e-15, err_msg=fn.__name__)
    assert il.softmax_cross_entropy(x, LABELS.tolist()) is not None  # Python lists as labels


def _nan_or_out_of_range_inputs(loss, framework, *, nan_logit=False, bad_label=None):
    case = CASES[loss]
    logits = case.logits.copy()
    labels = np.array(case.labels)
    if nan_logit:
        logits.reshape(-1)[0] = np.nan
    if bad_label is not None:
        labels.reshape(-1)[0] = bad_label
    options = {k: (framework.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in case.options.items()}
    return framework.asarray(logits), framework.asarray(labels), options


@pytest.mark.parametrize("loss", LOSSES)
def test_a_nan_logit_gives_nan_not_a_crash(framework, loss):
    x, labels, options = _nan_or_out_of_range_inputs(loss, framework, nan_logit=True)
    with np.errstate(invalid="ignore"):
        out = getattr(il, loss)(x, labels, **options)
    out = out[0] if isinstance(out, tuple) else out
    assert np.isnan(framework.to_numpy(out)).any(), loss


INDEX_LOSSES = [loss for loss in LOSSES if np.asarray(CASES[loss].labels).dtype.kind in "iu"]


@pytest.mark.parametrize("bad_label", ["C", 255, -3])
@pytest.mark.parametrize("loss", INDEX_LOSSES)
def test_an_out_of_range_label_is_non_finite_never_another_class(framework, loss, bad_label):
    """VOC's void label 255 with 21 classes must not train as class 255 mod 21 (checks off)."""
    if bad_label == "C":
        bad_label = CASES[loss].logits.shape[CASES[loss].options.get("axis", -1)]
    x, labels, options = _nan_or_out_of_range_inputs(loss, framework, bad_label=bad_label)
    if options.get("ignore_index") == bad_label:
        pytest.skip("that label is the ignore_index")
    with np.errstate(invalid="ignore"):
        out = getattr(il, loss)(x, labels, **options)
    out = out[0] if isinstance(out, tuple) else out
    assert not np.isfinite(framework.to_numpy(out)).all(), loss
    if options.get("reduction") == "none" and not loss.endswith("dice_loss"):
        values = framework.to_numpy(out).reshape(-1)
        assert np.isfinite(values[1:]).all()  # only that element


def test_torch_autocast_returns_float32_like_torch_losses():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    features = torch.tensor(rng.normal(size=(4096, 16)), dtype=torch.float32)
    labels = torch.tensor(rng.integers(0, 10, 4096))
    linear = torch.nn.Linear(16, 10)
    with torch.no_grad():
        linear.weight.mul_(40.0)  # large logits: a float16 sum of the losses overflows
    with torch.autocast("cpu", dtype=torch.float16):
        logits = linear(features)
        assert logits.dtype == torch.float16
        ours = il.softmax_cross_entropy(logits, labels, reduction="sum")
        theirs = F.cross_entropy(logits, labels, reduction="sum")
        focal = il.softmax_focal_loss(logits, labels, gamma=0.0)
        sigmoid = il.sigmoid_focal_loss(logits, F.one_hot(labels, 10).float(), reduction="sum")
    assert ours.dtype == theirs.dtype == focal.dtype == sigmoid.dtype == torch.float32
    assert torch.isfinite(ours) and float(theirs) > 65504
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=0)
    ours.backward()  # a GradScaler-free step: finite gradients
    assert torch.isfinite(linear.weight.grad).all()


def test_torch_modules_keep_float64_options_and_a_float32_state():
    torch = pytest.importorskip("torch")
    import imbalance_losses.torch as iln

    weights = np.array([0.3, 1.7, 2.9])
    logits = torch.tensor(np.random.default_rng(4).normal(size=(9, 3)))
    labels = torch.tensor([0, 1, 2, 2, 1, 0, 1, 2, 0])
    ours = iln.SoftmaxCrossEntropyLoss(class_weights=weights)
    assert ours.class_weights.dtype == torch.float64
    torch.testing.assert_close(ours(logits, labels), torch.nn.CrossEntropyLoss(weight=torch.tensor(weights))(logits, labels),
                               rtol=1e-15, atol=0)
    ghm = iln.GHMCLoss(bins=10).half()
    assert ghm.state.dtype == torch.float32
    anchors = torch.zeros(300_000, dtype=torch.float16)
    ghm(anchors, torch.zeros_like(anchors))
    assert float(ghm.state[5]) == 300_000  # g = 0.5 for all: one bin, no float16 overflow


def test_compiling_a_loss_warns_nothing():
    """No Dynamo warning about the dispatcher (array_api_compat's cached helpers are not traced)."""
    torch = pytest.importorskip("torch")
    compiled = torch.compile(lambda x, y: il.softmax_focal_loss(x, y, alpha=[0.2, 0.8]), fullgraph=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled(torch.randn(4, 2, requires_grad=True), torch.tensor([0, 1, 1, 0])).backward()
    noise = [str(w.message) for w in caught if "Dynamo detected" in str(w.message) or "lru_cache" in str(w.message)]
    assert not noise, noise
