"""The closed-form gradients in each framework's autodiff: second derivatives against the
native losses, forward mode, transforms, double backward and saved memory.

First derivatives are checked against the float64 oracles in the conformance grid;
here, Hessian-vector products of our losses equal those of each framework's own
loss (or its textbook formula in the framework's ops) on the same inputs.
"""

import numpy as np
import pytest

import imbalance_losses as il

RNG = np.random.default_rng(11)
X = RNG.normal(size=(6, 5)) * 2
V = RNG.normal(size=(6, 5))
BINARY = (RNG.random((6, 5)) < 0.4).astype(np.float64)
LABELS = RNG.integers(0, 5, 6)


def torch_natives():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def focal(x, y):  # torchvision.ops.sigmoid_focal_loss, mean
        p = torch.sigmoid(x)
        p_t = p * y + (1 - p) * (1 - y)
        return ((0.25 * y + 0.75 * (1 - y)) * F.binary_cross_entropy_with_logits(x, y, reduction="none")
                * (1 - p_t) ** 2).mean()

    def softmax_focal(x, y):
        log_p = F.log_softmax(x, -1).gather(-1, y[:, None])[:, 0]
        return (-(1 - log_p.exp()) ** 2 * log_p).mean()

    return {
        "sigmoid_cross_entropy": (il.sigmoid_cross_entropy, lambda x, y: F.binary_cross_entropy_with_logits(x, y), BINARY),
        "sigmoid_focal_loss": (il.sigmoid_focal_loss, focal, BINARY),
        "softmax_focal_loss": (il.softmax_focal_loss, softmax_focal, LABELS),
        "soft_truncated_loss k=1 (focal gamma=1)": (lambda x, y: il.soft_truncated_loss(x, y, k=1.0),
                                                    lambda x, y: il.sigmoid_focal_loss(x, y, alpha=None, gamma=1.0), BINARY),
    }


@pytest.mark.parametrize("name", ["sigmoid_cross_entropy", "sigmoid_focal_loss", "softmax_focal_loss",
                                  "soft_truncated_loss k=1 (focal gamma=1)"])
def test_torch_hessian_vector_products_equal_native(name):
    torch = pytest.importorskip("torch")
    ours, native, target = torch_natives()[name]
    results = []
    for fn in (ours, native):
        x = torch.tensor(X, requires_grad=True)
        (grad,) = torch.autograd.grad(fn(x, torch.tensor(target)), x, create_graph=True)
        (hvp,) = torch.autograd.grad((grad * torch.tensor(V)).sum(), x)
        results.append((grad.detach(), hvp))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


CLOSED_FORMS = [
    (il.sigmoid_cross_entropy, BINARY, {"pos_weight": 2.0}),
    (il.sigmoid_focal_loss, BINARY, {"gamma": 1.5}),
    (il.hard_truncated_loss, BINARY, {}),
    (il.soft_truncated_loss, BINARY, {"k": 2.0}),
    (il.softmax_focal_loss, LABELS, {"alpha": [0.1, 0.2, 0.3, 0.2, 0.2], "label_smoothing": 0.1}),
    (il.soft_truncated_softmax_loss, LABELS, {"k": 1.5}),
    (il.multilabel_categorical_crossentropy, BINARY, {}),
    (il.dice_loss, BINARY, {"alpha": 0.5}),
]


@pytest.mark.parametrize("fn, target, options", CLOSED_FORMS, ids=[f.__name__ for f, _, _ in CLOSED_FORMS])
def test_torch_double_backward_gradgradcheck(fn, target, options):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    y = torch.tensor(target)

    def loss(v):
        return fn(v, y, **options)

    assert torch.autograd.gradcheck(loss, (x,)) and torch.autograd.gradgradcheck(loss, (x,))


def test_torch_saves_only_inputs_and_row_statistics_or_the_fused_derivative():
    """The closed-form node keeps the inputs it was given and per-row extras (the row's
    maximum and log-sum-exp, the labels as read); a term whose value and derivative are
    computed together (sigmoid focal) keeps that derivative, one logits-sized array in
    place of the backward's recomputation of its intermediates."""
    torch = pytest.importorskip("torch")
    x = torch.randn(64, 32, requires_grad=True)
    y = (torch.rand(64, 32) < 0.2).float()
    labels = torch.randint(0, 32, (64,))
    inputs = {t.untyped_storage().data_ptr() for t in (x, y, labels)}
    for call, per_row in ((lambda: il.sigmoid_focal_loss(x, y, reduction="none"), False),
                          (lambda: il.softmax_focal_loss(x, labels, reduction="none"), True)):
        saved = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
            call()
        own = [t for t in saved if t.untyped_storage().data_ptr() not in inputs]
        if per_row:
            assert all(t.numel() <= 64 for t in own), [t.shape for t in own]
        else:
            assert [t.shape for t in own] == [x.shape]


def test_torch_functorch_vmap_and_grad():
    torch = pytest.importorskip("torch")
    from torch.func import grad, vmap

    xs, y = torch.tensor(np.stack([X, X + 1.0])), torch.tensor(BINARY)
    per_sample = vmap(grad(lambda v: il.sigmoid_focal_loss(v, y)))(xs)
    for i in range(2):
        x = xs[i].clone().requires_grad_(True)
        il.sigmoid_focal_loss(x, y).backward()
        torch.testing.assert_close(per_sample[i], x.grad)


def jax_natives():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jnp = jax.numpy

    def softmax_focal(x, y):
        log_p = jnp.take_along_axis(jax.nn.log_softmax(x), y[:, None], axis=-1)[:, 0]
        return jnp.mean(-(1 - jnp.exp(log_p)) ** 2 * log_p)

    return {
        "sigmoid_cross_entropy": (il.sigmoid_cross_entropy, lambda x, y: optax.sigmoid_binary_cross_entropy(x, y).mean(), BINARY),
        "sigmoid_focal_loss": (lambda x, y: il.sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0),
                               lambda x, y: optax.sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0).mean(), BINARY),
        "softmax_cross_entropy": (il.softmax_cross_entropy,
                                  lambda x, y: optax.softmax_cross_entropy_with_integer_labels(x, y).mean(), LABELS),
        "softmax_focal_loss": (il.softmax_focal_loss, softmax_focal, LABELS),
    }


@pytest.mark.parametrize("name", ["sigmoid_cross_entropy", "sigmoid_focal_loss", "softmax_cross_entropy", "softmax_focal_loss"])
def test_jax_hessian_jvp_and_grad_of_grad_equal_native(name):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    ours, native, target = jax_natives()[name]
    x, v, y = jnp.asarray(X), jnp.asarray(V), jnp.asarray(target)
    results = []
    for fn in (ours, native):
        f = lambda a: fn(a, y)  # noqa: E731
        hessian = jax.hessian(f)(x)                                    # forward over reverse
        tangent = jax.jvp(f, (x,), (v,))[1]                            # forward mode of the loss itself
        hvp = jax.grad(lambda a: jnp.vdot(jax.grad(f)(a), v))(x)       # grad of grad
        batched = jax.vmap(jax.grad(f))(jnp.stack([x, x + 1.0]))
        results.append((hessian, tangent, hvp, jax.jit(jax.grad(f))(x), batched))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def tensorflow_natives():
    tf = pytest.importorskip("tensorflow")

    def softmax_focal(x, y):
        log_p = tf.gather(tf.nn.log_softmax(x), y, axis=-1, batch_dims=1)
        return tf.reduce_mean(-(1 - tf.exp(log_p)) ** 2 * log_p)

    return {
        "sigmoid_cross_entropy": (il.sigmoid_cross_entropy,
                                  lambda x, y: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, x)), BINARY),
        "softmax_cross_entropy": (il.softmax_cross_entropy,
                                  lambda x, y: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x)), LABELS),
        "softmax_focal_loss": (il.softmax_focal_loss, softmax_focal, LABELS),
    }


@pytest.mark.parametrize("name", ["sigmoid_cross_entropy", "softmax_cross_entropy", "softmax_focal_loss"])
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit_compile"])
def test_tensorflow_nested_tapes_equal_native(name, compiled):
    tf = pytest.importorskip("tensorflow")
    ours, native, target = tensorflow_natives()[name]
    x, v, y = tf.constant(X), tf.constant(V), tf.constant(target)

    def second_order(fn):
        def run(x):
            with tf.GradientTape() as outer:
                outer.watch(x)
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    value = fn(x, y)
                grad = inner.gradient(value, x)
                projected = tf.reduce_sum(grad * v)
            return grad, outer.gradient(projected, x)

        return tf.function(run, jit_compile=True)(x) if compiled else run(x)

    for a, b in zip(second_order(ours), second_order(native)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
