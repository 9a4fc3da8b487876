"""Self-adjusting Dice: set-level vs per-sample, empty sets and classes, no NaN."""

import numpy as np
import pytest

import imbalance_losses as il

from ._inputs import binary_inputs, class_inputs


def test_pooled_dice_is_scalar_for_every_reduction(framework, rng):
    x, y = (framework.asarray(a) for a in binary_inputs(rng))
    values = [framework.to_numpy(il.dice_loss(x, y, reduction=r)) for r in ("mean", "sum", "none")]
    assert all(v.shape == () for v in values) and values[0] == values[1] == values[2]


def test_empty_batch_and_empty_targets_give_no_nan(autodiff_framework):
    f = autodiff_framework
    empty = f.asarray(np.zeros((0, 3)))
    for smooth in (0.0, 1.0):
        assert f.to_numpy(il.dice_loss(empty, empty, smooth=smooth)) == 0.0
    x = f.asarray(np.full((4, 3), -30.0))
    zeros = f.asarray(np.zeros((4, 3)))
    loss, grad = f.value_and_grad(lambda v, t: il.dice_loss(v, t, smooth=0.0), x, zeros)
    assert np.isfinite(f.to_numpy(loss)) and np.all(np.isfinite(f.to_numpy(grad)))
    assert f.to_numpy(il.dice_loss(x, zeros, ignore_empty=True)) == 0.0


def test_self_adjusting_factor_down_weights_easy_examples(rng):
    # alpha > 0 shrinks q = (1 - p)^alpha p most where p is near 1.
    x = np.array([4.0, 0.0])
    q0 = 1 / (1 + np.exp(-x))
    q = (1 - q0) ** 1.0 * q0
    assert (q / q0)[0] < (q / q0)[1]
    loss_plain = il.dice_loss(x, np.ones(2), per_sample=True, reduction="none")
    loss_adjusted = il.dice_loss(x, np.ones(2), alpha=1.0, per_sample=True, reduction="none")
    assert np.all(loss_adjusted > loss_plain)


def test_softmax_dice_none_is_per_class_and_drops_empty_classes(framework, rng):
    logits, _ = class_inputs(rng, shape=(8, 4))
    labels = np.array([0, 0, 1, 1, 0, 1, 0, 1])  # classes 2 and 3 are empty
    x, y = framework.asarray(logits), framework.asarray(labels)
    per_class = framework.to_numpy(il.softmax_dice_loss(x, y, reduction="none", ignore_empty=True))
    assert per_class.shape == (4,) and np.all(per_class[2:] == 0) and np.all(per_class[:2] > 0)
    mean = framework.to_numpy(il.softmax_dice_loss(x, y, ignore_empty=True))
    assert mean == pytest.approx(per_class[:2].mean(), rel=1e-12)


def test_softmax_dice_weights_multiply_prediction_and_target(rng):
    logits, labels = class_inputs(rng, shape=(10, 3))
    w = np.ones(10)
    w[:4] = 0
    np.testing.assert_allclose(
        il.softmax_dice_loss(logits, labels, weights=w, reduction="none"),
        il.softmax_dice_loss(logits[4:], labels[4:], reduction="none"), rtol=1e-12)
    # Ignoring an element is giving it weight 0.
    np.testing.assert_allclose(
        il.softmax_dice_loss(logits, np.where(w == 0, -1, labels), ignore_index=-1, reduction="none"),
        il.softmax_dice_loss(logits, labels, weights=w, reduction="none"), rtol=1e-12)
