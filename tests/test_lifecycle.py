"""Stateful losses across the training lifecycle (SPEC §4): precision casts, evaluation, float64
accumulation, and the errors a class raises. Keras' side (fit/evaluate, save_weights,
ModelCheckpoint, BackupAndRestore, mixed precision) is section 7 of tests/keras_checks.py,
tf.distribute the end of tests/distributed/tf_mirrored.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import imbalance_losses as il  # noqa: E402
import imbalance_losses.torch as iln  # noqa: E402

# Each state is filled with values that float16 cannot hold (above 65504) or would round
# (99999 becomes 99968 in float16, 99840 in bfloat16), with the options under which it carries.
STATEFUL = [
    (iln.GHMCLoss, {"bins": 4, "momentum": 0.75}, np.array([99999.0, 70001.0, 3.0, 12345.0])),
    (iln.SeesawLoss, {"num_classes": 3}, np.array([99999.0, 70001.0, 3.0])),
    (iln.EQLv2Loss, {"num_classes": 3}, np.array([[99999.0, 70001.0, 3.0], [12345.0, 99999.0, 7.0]])),
    (iln.EqualizedFocalLoss, {"num_classes": 3}, np.array([[99999.0, 70001.0, 3.0], [12345.0, 99999.0, 7.0]])),
]
# Count and prior buffers: rounded or infinite in float16, they change the loss.
BUFFERS = [
    (iln.BalancedSoftmaxCrossEntropyLoss, {"counts": [99999.0, 70001.0, 3.0]}),
    (iln.LogitAdjustedCrossEntropyLoss, {"prior": [99999.0, 70001.0, 3.0]}),
    (iln.VectorScalingLoss, {"counts": [99999.0, 70001.0, 3.0]}),
    (iln.LDAMLoss, {"counts": [99999.0, 70001.0, 3.0]}),
    (iln.DistributionBalancedLoss, {"counts": [99999.0, 70001.0, 3.0], "num_samples": 200000}),
]


def _inputs(cls, dtype=torch.float32):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 3, generator=generator, dtype=dtype)
    if cls.loss.index_targets:
        return logits, torch.randint(0, 3, (8,), generator=generator)
    return logits, (torch.rand(8, 3, generator=generator) > 0.6).to(dtype)


def _holding(criterion):
    """A model that holds the loss, as a LightningModule does (criterion as a submodule)."""
    return torch.nn.ModuleDict({"head": torch.nn.Linear(3, 3), "criterion": criterion})


@pytest.mark.parametrize("cast", ["half", "bfloat16"])
@pytest.mark.parametrize("cls, options, state", STATEFUL, ids=lambda v: getattr(v, "__name__", ""))
def test_narrowing_cast_keeps_state_dtype_and_values(cls, options, state, cast):
    criterion = cls(**options)
    criterion.state.copy_(torch.as_tensor(state))
    reference = cls(**options)
    reference.state.copy_(torch.as_tensor(state))
    model = getattr(_holding(criterion), cast)()
    assert model["head"].weight.dtype == getattr(torch, "float16" if cast == "half" else cast)
    assert criterion.state.dtype == torch.float32
    np.testing.assert_array_equal(criterion.state.numpy(), state)
    logits, targets = _inputs(cls)
    low = logits.to(model["head"].weight.dtype)
    loss = criterion(low, targets)
    expected = reference(low.float(), targets)  # the same computation on the unrounded state
    assert torch.isfinite(loss) and loss.dtype == low.dtype
    torch.testing.assert_close(loss.float(), expected.to(low.dtype).float())
    torch.testing.assert_close(criterion.state, reference.state, rtol=0, atol=0)


@pytest.mark.parametrize("cls, options", BUFFERS, ids=lambda v: getattr(v, "__name__", ""))
def test_narrowing_cast_keeps_count_and_prior_buffers(cls, options):
    logits, labels = _inputs(cls)
    expected = cls(**options)(logits, labels)
    criterion = _holding(cls(**options)).half()["criterion"]
    for name in criterion._buffer_options:
        assert getattr(criterion, name).dtype == torch.float32, name
    loss = criterion(logits.half(), labels)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss.float(), expected.half().float())


def test_widening_cast_applies_and_a_later_narrowing_one_keeps_float64():
    criterion = iln.SeesawLoss(num_classes=3, p=0.8)
    criterion.double()
    assert criterion.state.dtype == torch.float64
    criterion.float()
    criterion.half()
    assert criterion.state.dtype == torch.float64
    criterion.to("meta")  # a device move still moves the state
    assert criterion.state.device.type == "meta" and criterion.state.dtype == torch.float64


def test_float64_state_accumulates_in_float64_with_float32_logits():
    # Past 2**24 a float32 sum rounds: 2**24 + 1 would be 2**24 (or 2**24 + 2).
    criterion = iln.SeesawLoss(num_classes=3).double()
    criterion.state.fill_(2.0**24)
    logits = torch.randn(5, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 2, 2])
    loss = criterion(logits, labels)
    assert loss.dtype == torch.float32
    loss.backward()
    np.testing.assert_array_equal(criterion.state.numpy(), 2.0**24 + np.array([1, 2, 2]))


@pytest.mark.parametrize("name", ["seesaw_loss", "eqlv2_loss", "equalized_focal_loss", "ghm_c_loss"])
def test_functional_float64_state_accumulates_exactly(framework, name):
    if framework.name == "strict":
        pytest.skip("array-api-strict: float32 logits with a float64 state is the same code path as NumPy")
    rng = np.random.default_rng(0)
    logits = framework.asarray(rng.normal(size=(6, 3)), dtype="float32")
    if name == "seesaw_loss":
        targets, options, start = np.array([0, 1, 1, 2, 2, 2]), {}, np.full(3, 2.0**24)
        expected = start + np.array([1, 2, 3])
    elif name in ("eqlv2_loss", "equalized_focal_loss"):
        targets, options, start = (rng.random((6, 3)) > 0.5).astype("float32"), {}, np.full((2, 3), 2.0**24)
        expected = None
    else:
        targets, options, start = (rng.random((6, 3)) > 0.5).astype("float32"), {"bins": 3, "momentum": 0.5}, np.full(3, 2.0**25)
        expected = None
    state = framework.asarray(start, dtype="float64")
    loss, new = getattr(il, name)(logits, framework.asarray(targets), state=state, **options)
    new = framework.to_numpy(new)
    assert new.dtype == np.float64 and "float32" in str(loss.dtype)
    if expected is None:  # the float64 result of the same call on float64 logits
        _, expected = getattr(il, name)(framework.asarray(framework.to_numpy(logits).astype("float64")),
                                        framework.asarray(targets), state=state, **options)
        expected = framework.to_numpy(expected)
        np.testing.assert_allclose(new, expected, rtol=1e-9)
        assert not np.array_equal(new.astype(np.float32).astype(np.float64), new)  # more than float32 holds
    else:
        np.testing.assert_array_equal(new, expected)


@pytest.mark.parametrize("cls, options, state", STATEFUL, ids=lambda v: getattr(v, "__name__", ""))
def test_state_advances_on_training_steps_only(cls, options, state):
    criterion = cls(**options)
    logits, targets = _inputs(cls)
    criterion.eval()
    criterion(logits, targets)
    assert not criterion.state.any(), "eval() must not advance the state"
    criterion.train()
    with torch.no_grad():
        criterion(logits, targets)
    assert not criterion.state.any(), "no_grad() must not advance the state"
    criterion(logits.requires_grad_(), targets)
    assert criterion.state.any(), "a training step advances the state"
    before = criterion.state.clone()
    model = _holding(criterion).eval()  # model.eval() reaches the criterion
    model["criterion"](logits, targets)
    torch.testing.assert_close(criterion.state, before, rtol=0, atol=0)


def test_num_classes_mismatch_names_the_option():
    with pytest.raises(ValueError, match=r"Expected 3 classes along axis 1, as SeesawLoss\(num_classes=3\)"):
        iln.SeesawLoss(num_classes=3)(torch.randn(8, 4), torch.randint(0, 4, (8,)))
    with pytest.raises(ValueError, match=r"EQLv2Loss\(num_classes=2\)"):
        iln.EQLv2Loss(num_classes=2)(torch.randn(8, 4), torch.zeros(8, 4))


def _dense_target_losses():
    from imbalance_losses._layers import ELEMENTWISE, LOSSES, MULTILABEL

    # (GHM-R and focal-R are regression losses: their targets are any real numbers.)
    return [row for row in LOSSES
            if row.layout in (ELEMENTWISE, MULTILABEL) and row.name not in ("GHMRLoss", "FocalRegressionLoss")]


@pytest.mark.parametrize("row", _dense_target_losses(), ids=lambda row: row.function.__name__)
def test_sigmoid_family_target_outside_unit_interval_is_nan(framework, row):
    """SPEC §4: a 255 void in a binary mask given without ignore_index gives NaN, never a
    finite wrong number (a negative cross-entropy), as an out-of-range label does."""
    rng = np.random.default_rng(0)
    targets = (rng.random((4, 3)) > 0.5).astype(np.float64)
    targets[1, 2] = 255.0
    options = {"num_classes": 3} if "num_classes" in row.class_options else {}
    if "counts" in {p.name for p in row.parameters()}:
        options.update(counts=[5.0, 3.0, 1.0], num_samples=8)
    options = row.function_options(row.bind(options))
    out = row.function(framework.asarray(rng.normal(size=(4, 3))), framework.asarray(targets), **options)
    loss = out[0] if isinstance(out, tuple) else out
    assert np.isnan(framework.to_numpy(loss)), row.name
