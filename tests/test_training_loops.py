"""Every loss where real training loops put it: shapes unknown until run time.

TensorFlow with a ``None`` batch dimension (what Keras' ``fit`` on ``tf.data`` and a
last partial batch produce) and ``torch.compile(dynamic=True)`` over changing batch
sizes, each against the eager result; GHM's state as a ``jax.lax.scan`` carry.
"""

import contextlib
import inspect
import warnings

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses._layers import LOSSES as CLASS_ROWS
from imbalance_losses_conformance.cases import case_grid

from ._cases import CASES, LOSSES


def _batch_aligned(case):
    """The array options that share the batch axis with the logits (element weights)."""
    return [k for k, v in case.options.items() if k == "weights" and isinstance(v, np.ndarray)]


def _call(case, logits, labels, **arrays):
    out = getattr(il, case.loss)(logits, labels, **{**case.options, **arrays})
    return out[0] if case.returns_state else out


@contextlib.contextmanager
def no_warnings():
    """Every warning raised inside counts as a failure (torch's DeprecationWarnings from its
    own modules, which Python hides from users, excepted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [w for w in caught if not (issubclass(w.category, DeprecationWarning) and "/torch/" in w.filename)]
    assert not ours, [f"{w.category.__name__}: {w.message}" for w in ours]


def test_every_loss_has_a_case():
    assert set(LOSSES) == {case.loss for _, case in case_grid()}


@pytest.mark.parametrize("loss", LOSSES)
def test_tf_function_with_unknown_batch_dimension(loss):
    """``tf.function`` with ``TensorSpec([None, ...])`` inputs, as Keras' ``fit`` on ``tf.data``
    builds it: same value and gradient as eager, on a full and a partial batch."""
    tf = pytest.importorskip("tensorflow")
    case = CASES[loss]
    aligned = _batch_aligned(case)
    fixed = {k: v for k, v in case.options.items() if k not in aligned}

    def spec(a, dtype=None):
        a = np.asarray(a)
        return tf.TensorSpec([None, *a.shape[1:]], dtype or tf.as_dtype(a.dtype))

    @tf.function(input_signature=[spec(case.logits), spec(case.labels)] + [spec(case.options[k]) for k in aligned])
    def step(logits, labels, *arrays):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            value = _call(case, logits, labels, **fixed, **dict(zip(aligned, arrays)))
            total = tf.reduce_sum(value)
        return value, tape.gradient(total, logits)

    for rows in (slice(None), slice(0, -1)):
        inputs = [tf.constant(case.logits[rows]), tf.constant(case.labels[rows])]
        inputs += [tf.constant(case.options[k][rows]) for k in aligned]
        value, grad = step(*inputs)
        with tf.GradientTape() as tape:
            tape.watch(inputs[0])
            expected = _call(case, inputs[0], inputs[1], **fixed, **dict(zip(aligned, inputs[2:])))
            expected_total = tf.reduce_sum(expected)
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grad.numpy(), tape.gradient(expected_total, inputs[0]).numpy(), rtol=1e-12, atol=1e-14)


# The losses that take ``ignore_index`` are compiled on segmentation inputs (below), once each.
SEGMENTATION = [row for row in CLASS_ROWS if "ignore_index" in inspect.signature(row.function).parameters]


@pytest.mark.parametrize("loss", [name for name in LOSSES if name not in {row.function.__name__ for row in SEGMENTATION}])
def test_torch_compile_dynamic_shapes_fullgraph(loss):
    """``torch.compile(fullgraph=True, dynamic=True)``: no graph break, and across batch sizes
    the compiled value and gradient equal eager."""
    torch = pytest.importorskip("torch")
    case = CASES[loss]
    aligned = _batch_aligned(case)
    fixed = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in case.options.items() if k not in aligned}

    def step(logits, labels, *arrays):
        return _call(case, logits, labels, **fixed, **dict(zip(aligned, arrays)))

    compiled = torch.compile(step, fullgraph=True, dynamic=True)
    with no_warnings():
        _compare_compiled_over_batches(torch, case, aligned, compiled, step)


def _compare_compiled_over_batches(torch, case, aligned, compiled, step):
    for rows in (slice(None), slice(0, -1), slice(0, -2)):
        inputs = [torch.tensor(case.logits[rows]), torch.tensor(case.labels[rows])]
        inputs += [torch.tensor(case.options[k][rows]) for k in aligned]
        results = []
        for fn in (compiled, step):
            x = inputs[0].clone().requires_grad_(True)
            value = fn(x, *inputs[1:])
            value.sum().backward()
            results.append((value.detach(), x.grad))
        torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-12, atol=1e-14)


def test_ghm_state_is_a_jax_scan_carry_with_x64():
    """The returned state keeps the dtype of the state passed in, so it can be a ``lax.scan``
    carry (float32 state with float64 logits under x64), and one compile serves every step."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    rng = np.random.default_rng(0)
    logits = jnp.asarray(rng.normal(size=(4, 8, 3)))  # float64: x64 is on in the tests
    targets = jnp.asarray((rng.random((4, 8, 3)) < 0.3).astype(np.float64))

    def step(state, batch):
        loss, state = il.ghm_c_loss(batch[0], batch[1], bins=10, momentum=0.75, state=state)
        return state, loss

    state, losses = jax.lax.scan(step, jnp.zeros(10, dtype=jnp.float32), (logits, targets))
    assert state.dtype == jnp.float32 and losses.dtype == jnp.float64
    expected_state = None
    for x, y in zip(logits, targets):
        _, expected_state = il.ghm_c_loss(np.asarray(x), np.asarray(y), bins=10, momentum=0.75, state=expected_state)
    np.testing.assert_allclose(state, expected_state, rtol=1e-6)
    traced = []
    loop_step = jax.jit(lambda s, x, y: traced.append(1) or il.ghm_c_loss(x, y, bins=10, momentum=0.75, state=s))
    s = jnp.zeros(10, dtype=jnp.float32)
    for x, y in zip(logits, targets):
        _, s = loop_step(s, x, y)
    assert len(traced) == 1 and s.dtype == jnp.float32


def test_sampling_weights_normalise_with_an_unknown_batch_size():
    tf = pytest.importorskip("tensorflow")
    weights = tf.function(lambda labels: il.sampling_weights(labels, 4),
                          input_signature=[tf.TensorSpec([None], tf.int32)])(tf.constant([0, 0, 0, 1, 2, 3, 3]))
    np.testing.assert_allclose(np.mean(weights.numpy()), 1.0, rtol=1e-6)
    np.testing.assert_allclose(weights.numpy(), il.sampling_weights(np.array([0, 0, 0, 1, 2, 3, 3]), 4), rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("row", SEGMENTATION, ids=lambda row: row.function.__name__)
def test_torch_compile_dynamic_segmentation_with_ignore_index(row):
    """Every loss that takes ``ignore_index``, on (N, C, H, W) logits with 255 voids (a whole
    void image included) under ``torch.compile(fullgraph=True, dynamic=True)`` at two image
    sizes: no graph break, value and gradient equal eager. (Inductor once miscompiled
    per-image Dice's gradient by ~300%.)"""
    torch = pytest.importorskip("torch")
    parameters = inspect.signature(row.function).parameters
    options = {"num_classes": 3} if row.class_options else {}
    options.update({k: [10.0, 5.0, 1.0] for k in ("counts", "prior") if k in parameters})
    if "per_image" in parameters:
        options["per_image"] = True
    options = row.function_options(row.bind(options))
    options.update(ignore_index=255, **({"axis": 1} if "axis" in parameters else {}))

    def step(logits, targets):
        out = row.function(logits, targets, **options)
        return out[0] if row.stateful else out

    compiled = torch.compile(step, fullgraph=True, dynamic=True)
    with no_warnings():
        _compare_compiled_over_sizes(torch, compiled, step, "axis" in parameters)


def _compare_compiled_over_sizes(torch, compiled, step, has_class_axis):
    generator = torch.Generator().manual_seed(0)
    for size in (6, 9):
        if has_class_axis:
            logits = torch.randn(3, 3, size, size, generator=generator, dtype=torch.float64)
            targets = torch.randint(0, 3, (3, size, size), generator=generator)
        else:  # a binary mask
            logits = torch.randn(3, size, size, generator=generator, dtype=torch.float64)
            targets = torch.randint(0, 2, (3, size, size), generator=generator)
        targets[0, :2] = 255
        targets[2] = 255
        results = []
        for fn in (compiled, step):
            x = logits.clone().requires_grad_(True)
            value = fn(x, targets)
            (gradient,) = torch.autograd.grad(value, x)
            results.append((value.detach(), gradient))
        torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)
