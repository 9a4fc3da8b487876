"""EQL v1 against a transcription of the authors' sigmoid EQL (tztztztztz/eql.detectron2,
``EQLLoss``: ``1 - exclude * threshold * (1 - target)``, the loss summed and divided by
the number of samples), and its properties."""

from __future__ import annotations

import numpy as np
import pytest

import imbalance_losses as il

torch = pytest.importorskip("torch")
F = torch.nn.functional


def reference_eql(pred, target, frequencies, lambda_):
    """exclude: 1 for a foreground sample (one with a positive); threshold: 1 for a class rarer than lambda_."""
    exclude = (target.sum(dim=1, keepdim=True) > 0).to(pred.dtype)
    threshold = (frequencies < lambda_).to(pred.dtype)[None]
    weight = 1 - exclude * threshold * (1 - target)
    return torch.sum(F.binary_cross_entropy_with_logits(pred, target, reduction="none") * weight) / pred.shape[0]


def test_equals_the_reference_with_its_normalisation():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(32, 7, generator=generator, dtype=torch.float64) * 2
    targets = (torch.rand(32, 7, generator=generator) < 0.2).double()
    targets[:5] = 0  # background samples: no suppression
    counts = np.array([900.0, 1.0, 0.0, 300.0, 1.0, 2.0, 50.0])
    x, y = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    theirs = reference_eql(x, targets, torch.tensor(counts / 1000), 1.76e-3)
    ours = il.equalization_loss(y, targets, counts, num_samples=1000, reduction="sum") / logits.shape[0]
    theirs.backward()
    ours.backward()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=0)
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-12, atol=1e-15)


def test_rare_negatives_get_no_gradient_on_foreground_samples_only():
    logits = np.zeros((2, 3))
    targets = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # a foreground sample, a background one
    counts, n = np.array([500.0, 500.0, 1.0]), 1000  # class 2 is rare
    gradient = torch.func.grad(lambda x: il.equalization_loss(x, torch.tensor(targets), counts, num_samples=n,
                                                              reduction="sum"))(torch.tensor(logits))
    assert gradient[0, 2] == 0  # its negative on a foreground sample: suppressed
    assert gradient[1, 2] == 0.5  # on a background sample: kept (sigmoid(0) - 0)
    assert gradient[0, 1] == 0.5  # a frequent class's negative: kept
    # with lambda_=0 nothing is rare: the sigmoid cross-entropy
    np.testing.assert_allclose(il.equalization_loss(logits, targets, counts, num_samples=n, lambda_=0.0),
                               il.sigmoid_cross_entropy(logits, targets), rtol=1e-15)


def test_options_and_counts_are_checked():
    x, y = np.zeros((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match="counts"):
        il.equalization_loss(x, y, [1.0, 2.0], num_samples=10)
    with pytest.raises(ValueError, match="num_samples"):
        il.equalization_loss(x, y, [1.0, 2.0, 3.0], num_samples=0)
    with pytest.raises(ValueError, match="lambda_"):
        il.equalization_loss(x, y, [1.0, 2.0, 3.0], num_samples=10, lambda_=-1.0)
