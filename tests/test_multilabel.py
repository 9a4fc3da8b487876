"""ZLPR: dense equals sparse, soft targets, decoding with logits > 0, -inf masking."""

import numpy as np
import pytest

import imbalance_losses as il


def _multi_hot(indices, num_classes, mask_zero=False):
    out = np.zeros(indices.shape[:-1] + (num_classes,))
    for idx in np.ndindex(indices.shape[:-1]):
        for k in indices[idx]:
            if not (mask_zero and k == 0):
                out[idx + (k,)] = 1.0
    return out


def test_dense_equals_sparse_with_gradients(autodiff_framework, rng):
    f = autodiff_framework
    logits = rng.normal(size=(2, 5, 9)) * 4
    indices = rng.integers(1, 9, size=(2, 5, 3))
    dense, dense_grad = f.value_and_grad(lambda v, t: il.multilabel_categorical_crossentropy(v, t, reduction="none"),
                                         f.asarray(logits), f.asarray(_multi_hot(indices, 9)))
    sparse, sparse_grad = f.value_and_grad(lambda v, t: il.sparse_multilabel_categorical_crossentropy(v, t, reduction="none"),
                                           f.asarray(logits), f.asarray(indices))
    np.testing.assert_allclose(f.to_numpy(sparse), f.to_numpy(dense), rtol=1e-12)
    np.testing.assert_allclose(f.to_numpy(sparse_grad), f.to_numpy(dense_grad), rtol=1e-12, atol=1e-15)


def test_mask_zero_excludes_class_zero_from_both_sums(rng):
    logits = rng.normal(size=(4, 6))
    indices = np.array([[0, 2], [3, 0], [1, 5], [0, 0]])
    sparse = il.sparse_multilabel_categorical_crossentropy(logits, indices, mask_zero=True, reduction="none")
    dense = il.multilabel_categorical_crossentropy(logits[:, 1:], _multi_hot(indices, 6, mask_zero=True)[:, 1:], reduction="none")
    np.testing.assert_allclose(sparse, dense, rtol=1e-12)
    # Class 0's logit has no influence.
    moved = logits.copy()
    moved[:, 0] += 50
    np.testing.assert_allclose(il.sparse_multilabel_categorical_crossentropy(moved, indices, mask_zero=True, reduction="none"), sparse, rtol=1e-12)


def test_confident_positives_stay_accurate_in_float32(framework):
    """bert4keras's log(e^a - e^b) form loses the negative term here; ours is exact."""
    if "float32" not in framework.dtypes:
        pytest.skip("no float32")
    logits = np.array([[20.0, 18.0, -5.0, -7.0]])
    expected = np.log1p(np.exp(-20) + np.exp(-18)) + np.log1p(np.exp(-5) + np.exp(-7))
    loss = il.sparse_multilabel_categorical_crossentropy(framework.asarray(logits, "float32"), framework.asarray(np.array([[0, 1]])))
    assert framework.to_numpy(loss) == pytest.approx(expected, rel=1e-5)


def test_decoding_with_positive_logits_after_training(rng):
    """Gradient descent on the loss drives positives above 0 and negatives below."""
    targets = (rng.random((6, 7)) < 0.3).astype(np.float64)
    torch = pytest.importorskip("torch")
    s = torch.zeros(6, 7, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([s], lr=1.0)
    for _ in range(200):
        opt.zero_grad()
        il.multilabel_categorical_crossentropy(s, torch.tensor(targets)).backward()
        opt.step()
    np.testing.assert_array_equal((s.detach().numpy() > 0).astype(float), targets)


def test_masked_logits_give_no_nan_gradient(autodiff_framework):
    """Logits masked to a huge negative value with target 0 (padding classes) stay harmless."""
    f = autodiff_framework
    logits = np.array([[2.0, -1.0, -1e30, -1e30]])
    targets = np.array([[1.0, 0.0, 0.0, 0.0]])
    loss, grad = f.value_and_grad(lambda v, t: il.multilabel_categorical_crossentropy(v, t), f.asarray(logits), f.asarray(targets))
    assert np.isfinite(f.to_numpy(loss)) and np.all(np.isfinite(f.to_numpy(grad)))
    assert f.to_numpy(loss) == pytest.approx(np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-1.0)), rel=1e-12)


def test_soft_target_optimum_is_sigmoid_of_twice_the_logit():
    t = np.array([[0.2, 0.7, 0.9]])
    s_opt = np.log(t / (1 - t)) / 2
    torch = pytest.importorskip("torch")
    s = torch.tensor(s_opt, requires_grad=True)
    il.multilabel_categorical_crossentropy(s, torch.tensor(t)).backward()
    # The loss is not separable, so only the sum of the stationarity conditions is exact at sigma(2s):
    # check that the gradient is far smaller than at s = 0.
    s0 = torch.zeros_like(s, requires_grad=True)
    il.multilabel_categorical_crossentropy(s0, torch.tensor(t)).backward()
    assert s.grad.abs().max() < 0.5 * s0.grad.abs().max()


def test_int32_indices(framework, rng):
    logits = framework.asarray(rng.normal(size=(4, 6)))
    indices = rng.integers(0, 6, (4, 2))
    wide = il.sparse_multilabel_categorical_crossentropy(logits, framework.asarray(indices.astype(np.int64)))
    narrow = il.sparse_multilabel_categorical_crossentropy(logits, framework.asarray(indices.astype(np.int32)))
    assert framework.to_numpy(narrow) == pytest.approx(framework.to_numpy(wide), rel=1e-14)
