"""Truncated losses: hard truncation, its softening, and the softmax form."""

import numpy as np
import pytest

import imbalance_losses as il

from ._inputs import binary_inputs, class_inputs


def test_hard_truncation_zero_loss_and_gradient_where_truncated(autodiff_framework, rng):
    f = autodiff_framework
    logits = np.array([-3.0, -0.2, 0.2, 3.0, -3.0, -0.2, 0.2, 3.0])
    targets = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    loss, grad = f.value_and_grad(lambda x, y: il.hard_truncated_loss(x, y, reduction="none"), f.asarray(logits), f.asarray(targets))
    loss, grad = f.to_numpy(loss), f.to_numpy(grad)
    # Positives with p > 0.5 (x > 0) and negatives with p < 0.5 (x < 0) are truncated.
    truncated = np.array([False, False, True, True, True, True, False, False])
    assert np.all(loss[truncated] == 0) and np.all(grad[truncated] == 0)
    assert np.all(loss[~truncated] > 0) and np.all(grad[~truncated] != 0)


def test_margin_one_is_cross_entropy(framework, rng):
    x, y = (framework.asarray(a) for a in binary_inputs(rng, soft=True))
    np.testing.assert_allclose(
        framework.to_numpy(il.hard_truncated_loss(x, y, margin=1.0, reduction="none")),
        framework.to_numpy(il.sigmoid_cross_entropy(x, y, reduction="none")), rtol=1e-13)


def test_margin_is_strict_and_exact_in_logit_space():
    # p = m exactly (x = logit(0.6)) is not truncated; the mask does not go through sigmoid rounding.
    x = np.array([np.log(0.6 / 0.4), np.log(0.6 / 0.4) + 1e-12, 40.0])
    loss = il.hard_truncated_loss(x, np.ones(3), margin=0.6, reduction="none")
    assert loss[0] > 0 and loss[1] == 0 and loss[2] == 0


def test_large_k_soft_truncation_approaches_hard(framework, rng):
    logits, targets = binary_inputs(rng, soft=True)
    x, y = framework.asarray(logits), framework.asarray(targets)
    hard = framework.to_numpy(il.hard_truncated_loss(x, y, reduction="none"))
    gaps = [np.max(np.abs(framework.to_numpy(il.soft_truncated_loss(x, y, k=k, reduction="none")) - hard)) for k in (1.0, 10.0, 1e3)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3 * np.max(hard)


def test_k_one_is_focal_with_gamma_one(autodiff_framework, rng):
    f = autodiff_framework
    x, y = (f.asarray(a) for a in binary_inputs(rng))
    soft, soft_grad = f.value_and_grad(lambda v, t: il.soft_truncated_loss(v, t, k=1.0, reduction="none"), x, y)
    focal, focal_grad = f.value_and_grad(lambda v, t: il.sigmoid_focal_loss(v, t, alpha=None, gamma=1.0, reduction="none"), x, y)
    np.testing.assert_allclose(f.to_numpy(soft), f.to_numpy(focal), rtol=1e-12)
    np.testing.assert_allclose(f.to_numpy(soft_grad), f.to_numpy(focal_grad), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("k", [0.5, 1.0, 3.0])
def test_two_class_softmax_form_equals_sigmoid_form_on_logit_difference(autodiff_framework, rng, k):
    f = autodiff_framework
    logits, labels = class_inputs(rng, shape=(9, 2))
    pair = f.asarray(logits)
    softmax_loss, softmax_grad = f.value_and_grad(
        lambda v, t: il.soft_truncated_softmax_loss(v, t, k=k, reduction="none"), pair, f.asarray(labels))
    difference = f.asarray(logits[:, 1] - logits[:, 0])
    sigmoid_loss, sigmoid_grad = f.value_and_grad(
        lambda v, t: il.soft_truncated_loss(v, t, k=k, reduction="none"), difference, f.asarray(labels.astype(np.float64)))
    np.testing.assert_allclose(f.to_numpy(softmax_loss), f.to_numpy(sigmoid_loss), rtol=1e-12)
    # d/dx1 = d/d(diff), d/dx0 = -d/d(diff)
    g = f.to_numpy(softmax_grad)
    np.testing.assert_allclose(g[:, 1], f.to_numpy(sigmoid_grad), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g[:, 0], -f.to_numpy(sigmoid_grad), rtol=1e-10, atol=1e-15)


def test_soft_truncation_weight_is_not_detached(rng):
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    il.soft_truncated_loss(x, torch.ones(1, dtype=torch.float64)).backward()
    p = torch.sigmoid(torch.tensor(0.7, dtype=torch.float64))
    # d/dx [-(1 - p) log p] = p (1 - p) log p - (1 - p)^2 ; detaching the weight would give -(1 - p)^2
    expected = p * (1 - p) * torch.log(p) - (1 - p) ** 2
    torch.testing.assert_close(x.grad[0], expected)
