"""class_prior, class_weights and sampling_weights."""

import numpy as np
import pytest

import imbalance_losses as il

COUNTS = np.array([1000.0, 100.0, 10.0, 1.0])


@pytest.mark.parametrize("method, expected_raw", [
    ("inverse", 1 / COUNTS),
    ("balanced", COUNTS.sum() / (4 * COUNTS)),
    ("inverse_sqrt", 1 / np.sqrt(COUNTS)),
    ("effective_number", (1 - 0.99) / (1 - 0.99**COUNTS)),
])
def test_methods_normalised_to_sum_c(framework, method, expected_raw):
    w = framework.to_numpy(il.class_weights(framework.asarray(COUNTS), method=method, beta=0.99))
    np.testing.assert_allclose(w, expected_raw * 4 / expected_raw.sum(), rtol=1e-6)
    assert w.sum() == pytest.approx(4, rel=1e-6)


def test_zero_counts_get_zero_weight_and_others_share_c(framework):
    w = framework.to_numpy(il.class_weights(framework.asarray(np.array([10, 0, 30, 0])), method="inverse"))
    np.testing.assert_allclose(w, [4 * 0.75, 0, 4 * 0.25, 0], rtol=1e-6)


def test_effective_number_limits():
    np.testing.assert_allclose(il.class_weights(COUNTS, method="effective_number", beta=0.0), np.ones(4))
    np.testing.assert_allclose(il.class_weights(COUNTS, method="effective_number", beta=1 - 1e-12),
                               il.class_weights(COUNTS, method="inverse"), rtol=1e-6)


def test_class_prior_and_sampling_weights(framework):
    np.testing.assert_allclose(framework.to_numpy(il.class_prior(framework.asarray(COUNTS))), COUNTS / COUNTS.sum(), rtol=1e-6)
    labels = np.array([0, 0, 0, 1, 2, 2])
    w = framework.to_numpy(il.sampling_weights(framework.asarray(labels), 3))
    assert w.mean() == pytest.approx(1.0, rel=1e-6)
    # Each class gets the same total weight (power 1): class expectation balanced.
    totals = [w[labels == c].sum() for c in range(3)]
    np.testing.assert_allclose(totals, totals[0], rtol=1e-6)
    sqrt = framework.to_numpy(il.sampling_weights(framework.asarray(labels), 3, power=0.5))
    assert sqrt[3] / sqrt[0] == pytest.approx(np.sqrt(3), rel=1e-6)


def test_python_sequences_accepted():
    np.testing.assert_allclose(il.class_prior([1, 3]), [0.25, 0.75])
    np.testing.assert_allclose(il.class_weights([1, 3], method="inverse"), [1.5, 0.5])
