"""Logit adjustment: the loss, post-hoc adjustment, priors as counts, zero priors."""

import numpy as np
import pytest

import imbalance_losses as il

from ._inputs import class_inputs

COUNTS = np.array([600.0, 250.0, 100.0, 40.0, 10.0])


def test_loss_is_cross_entropy_of_shifted_logits(framework, rng):
    logits, labels = class_inputs(rng, shape=(3, 5, 4), axis=1)
    x, y = framework.asarray(logits), framework.asarray(labels)
    shifted = logits + 1.5 * np.log(COUNTS / COUNTS.sum())[None, :, None]
    expected = il.softmax_cross_entropy(shifted, labels, axis=1, reduction="none")
    actual = il.logit_adjusted_cross_entropy(x, y, framework.asarray(COUNTS), tau=1.5, axis=1, reduction="none")
    np.testing.assert_allclose(framework.to_numpy(actual), expected, rtol=1e-12)


def test_counts_and_probabilities_are_the_same_prior(framework, rng):
    logits, labels = class_inputs(rng)
    x = framework.asarray(logits)
    a = il.adjust_logits(x, framework.asarray(COUNTS))
    b = il.adjust_logits(x, list(COUNTS / COUNTS.sum()))
    np.testing.assert_allclose(framework.to_numpy(a), framework.to_numpy(b), rtol=1e-12)


def test_post_hoc_adjustment_moves_predictions_to_rare_classes(rng):
    logits = rng.normal(size=(2000, 5)) + 2 * np.log(COUNTS / COUNTS.sum())  # a head-biased model
    raw = np.bincount(np.argmax(logits, 1), minlength=5)
    adjusted = np.bincount(np.argmax(il.adjust_logits(logits, COUNTS, tau=2.0), 1), minlength=5)
    assert adjusted[4] > raw[4] and adjusted[0] < raw[0]
    assert np.all(adjusted > 250)  # roughly balanced after removing the prior


def test_zero_prior_entries_are_finite(autodiff_framework, rng):
    f = autodiff_framework
    logits, labels = class_inputs(rng)
    prior = f.asarray(np.array([10.0, 0.0, 5.0, 0.0, 1.0]))
    loss, grad = f.value_and_grad(lambda v, t: il.logit_adjusted_cross_entropy(v, t, prior, reduction="none"), f.asarray(logits), f.asarray(labels))
    assert np.all(np.isfinite(f.to_numpy(loss))) and np.all(np.isfinite(f.to_numpy(grad)))
    assert np.all(np.isfinite(f.to_numpy(il.adjust_logits(f.asarray(logits), prior))))


def test_prior_of_wrong_length_is_rejected():
    with pytest.raises(ValueError, match=r"`prior`.*\(5,\).*\(3,\)"):
        il.adjust_logits(np.zeros((2, 5)), [1.0, 2.0, 3.0])
