"""GHM-C and GHM-R: mmdetection's normalisation, state threading, jit without host sync."""

import numpy as np
import pytest

import imbalance_losses as il
from imbalance_losses_conformance.oracles import ghm as oracles

from ._inputs import binary_inputs


def test_closed_form_momentum_zero_is_mean_of_bin_means(rng):
    logits, targets = binary_inputs(rng, shape=(40, 5))
    loss, counts = il.ghm_c_loss(logits, targets, bins=10)
    p = 1 / (1 + np.exp(-logits))
    g = np.abs(p - targets)
    bce = -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    bins = np.minimum((g * 10).astype(int), 9)
    means = [bce[bins == b].mean() for b in range(10) if np.any(bins == b)]
    assert loss == pytest.approx(np.mean(means), rel=1e-12)
    assert counts.sum() == logits.size
    np.testing.assert_array_equal(counts, np.bincount(bins.ravel(), minlength=10))


def test_state_threads_over_steps_like_mmdetection(framework, rng):
    state, expected_state = None, None
    for step in range(4):
        logits, targets = binary_inputs(rng, shape=(16, 3))
        loss, state = il.ghm_c_loss(framework.asarray(logits), framework.asarray(targets), bins=30, momentum=0.75, state=state)
        expected, expected_state = oracles.ghm_c_loss(logits, targets, bins=30, momentum=0.75, state=expected_state)
        assert framework.to_numpy(loss) == pytest.approx(expected, rel=1e-12), step
        np.testing.assert_allclose(framework.to_numpy(state), expected_state, rtol=1e-12)


def test_bias_correction_removes_start_up_inflation(rng):
    logits, targets = binary_inputs(rng, shape=(30, 4))
    plain, _ = il.ghm_c_loss(logits, targets)
    inflated, _ = il.ghm_c_loss(logits, targets, momentum=0.9)
    corrected, state = il.ghm_c_loss(logits, targets, momentum=0.9, bias_correction=True)
    assert inflated == pytest.approx(plain / (1 - 0.9), rel=1e-12)  # every bin count scaled by 1 - momentum
    assert corrected == pytest.approx(plain, rel=1e-12)
    np.testing.assert_array_equal(state, il.ghm_c_loss(logits, targets)[1])
    # A zero state is a state that has seen nothing: the same start.
    again, _ = il.ghm_c_loss(logits, targets, momentum=0.9, bias_correction=True, state=np.zeros(10))
    assert again == corrected


def test_zero_weight_elements_leave_the_histogram(rng):
    logits, targets = binary_inputs(rng, shape=(20, 3))
    weights = np.ones((20, 3))
    weights[:5] = 0
    loss, counts = il.ghm_c_loss(logits, targets, weights=weights)
    sub_loss, sub_counts = il.ghm_c_loss(logits[5:], targets[5:])
    assert loss == pytest.approx(sub_loss, rel=1e-12)
    np.testing.assert_array_equal(counts, sub_counts)


def test_all_invalid_gives_zero(framework):
    x = framework.asarray(np.ones((4, 2)))
    loss, counts = il.ghm_c_loss(x, x, weights=framework.asarray(np.zeros((4, 2))))
    assert framework.to_numpy(loss) == 0 and np.all(framework.to_numpy(counts) == 0)


@pytest.mark.parametrize("loss_name", ["ghm_c_loss", "ghm_r_loss"])
def test_jit_and_compile_without_host_sync(autodiff_framework, rng, loss_name):
    f = autodiff_framework
    logits, targets = binary_inputs(rng, shape=(16, 4), soft=True)
    fn = getattr(il, loss_name)

    def step(x, y, state):
        return fn(x, y, bins=10, momentum=0.7, state=state)

    state = f.asarray(np.zeros(10))
    eager_loss, eager_state = step(f.asarray(logits), f.asarray(targets), state)
    compiled_loss, compiled_state = f.compile(step)(f.asarray(logits), f.asarray(targets), state)
    np.testing.assert_allclose(f.to_numpy(compiled_loss), f.to_numpy(eager_loss), rtol=1e-12)
    np.testing.assert_allclose(f.to_numpy(compiled_state), f.to_numpy(eager_state), rtol=1e-12)


def test_ghm_r_matches_authentic_smooth_l1_weighting(rng):
    pred, target = rng.normal(size=50) * 0.1, rng.normal(size=50) * 0.1
    loss, _ = il.ghm_r_loss(pred, target, mu=0.02)
    expected, _ = oracles.ghm_r_loss(pred, target, mu=0.02)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_state_of_wrong_length_is_rejected():
    with pytest.raises(ValueError, match=r"`state`.*\(10,\).*\(5,\)"):
        il.ghm_c_loss(np.zeros(4), np.zeros(4), momentum=0.5, state=np.zeros(5))


@pytest.mark.parametrize("loss_name", ["ghm_c_loss", "ghm_r_loss"])
def test_torch_vmap_counts_each_sample_alone(rng, loss_name):
    """``torch.func.vmap`` of a GHM loss (its histogram is a custom op with a batching
    rule): per-sample losses, states and gradients equal a loop over the samples."""
    torch = pytest.importorskip("torch")
    fn = getattr(il, loss_name)
    logits, targets = (torch.from_numpy(a) for a in binary_inputs(rng, shape=(3, 4, 6), soft=True))
    # Zero weights move elements past the histogram: index `bins`, the batching rule's block edge.
    weights = torch.from_numpy((rng.random((3, 4, 6)) > 0.2).astype(np.float64))

    def per_sample(x, y, w):
        return fn(x, y, bins=5, weights=w)

    losses, states = torch.func.vmap(per_sample)(logits, targets, weights)
    grads = torch.func.vmap(torch.func.grad(lambda x, y, w: per_sample(x, y, w)[0]))(logits, targets, weights)
    for i in range(3):
        x = logits[i].clone().requires_grad_()
        loss, state = per_sample(x, targets[i], weights[i])
        loss.backward()
        torch.testing.assert_close(losses[i], loss.detach(), rtol=1e-12, atol=0)
        torch.testing.assert_close(states[i], state, rtol=0, atol=0)
        torch.testing.assert_close(grads[i], x.grad, rtol=1e-12, atol=1e-15)
