"""Varifocal, quality focal and distribution focal losses against the reference code.

mmdetection's ``varifocal_loss``, ``quality_focal_loss`` and ``distribution_focal_loss``
and Ultralytics' ``VarifocalLoss`` and ``DFLoss``, transcribed in PyTorch (neither
library is a dependency), with the option and reduction mapping each needs; values,
gradients (torch autograd of the transcription) and second derivatives; properties.
"""

from __future__ import annotations

import numpy as np
import pytest

import imbalance_losses as il

torch = pytest.importorskip("torch")
F = torch.nn.functional


def mmdet_varifocal(pred, target, alpha=0.75, gamma=2.0, iou_weighted=True):
    """mmdet/models/losses/varifocal_loss.py, reduction='none'."""
    pred_sigmoid = pred.sigmoid()
    positive, negative = (target > 0.0).to(pred.dtype), (target <= 0.0).to(pred.dtype)
    focal_weight = (target * positive if iou_weighted else positive) + \
        alpha * (pred_sigmoid - target).abs().pow(gamma) * negative
    return F.binary_cross_entropy_with_logits(pred, target, reduction="none") * focal_weight


def mmdet_quality_focal(pred, label, score, beta=2.0):
    """mmdet/models/losses/gfocal_loss.py: labels (background = num_classes) and IoU scores, per anchor."""
    pred_sigmoid = pred.sigmoid()
    loss = F.binary_cross_entropy_with_logits(pred, torch.zeros_like(pred), reduction="none") * pred_sigmoid.pow(beta)
    pos = ((label >= 0) & (label < pred.size(1))).nonzero().squeeze(1)
    pos_label = label[pos].long()
    scale = score[pos] - pred_sigmoid[pos, pos_label]
    loss[pos, pos_label] = F.binary_cross_entropy_with_logits(
        pred[pos, pos_label], score[pos], reduction="none") * scale.abs().pow(beta)
    return loss.sum(dim=1)


def mmdet_distribution_focal(pred, label):
    """mmdet/models/losses/gfocal_loss.py (targets clamped below the last bin by its caller)."""
    left = label.long()
    right = left + 1
    return (F.cross_entropy(pred, left, reduction="none") * (right.to(pred.dtype) - label)
            + F.cross_entropy(pred, right, reduction="none") * (label - left.to(pred.dtype)))


def ultralytics_varifocal(pred_score, gt_score, label, alpha=0.75, gamma=2.0):
    """ultralytics/utils/loss.py VarifocalLoss.forward."""
    weight = alpha * pred_score.sigmoid().pow(gamma) * (1 - label) + gt_score * label
    return (F.binary_cross_entropy_with_logits(pred_score, gt_score, reduction="none") * weight).mean(1).sum()


def ultralytics_dfl(pred_dist, target, reg_max):
    """ultralytics/utils/loss.py DFLoss.__call__ (it clamps the target to reg_max - 1 - 0.01)."""
    target = target.clamp_(0, reg_max - 1 - 0.01)
    tl = target.long()
    tr = tl + 1
    wl = tr - target
    wr = 1 - wl
    return (F.cross_entropy(pred_dist, tl.view(-1), reduction="none").view(tl.shape) * wl
            + F.cross_entropy(pred_dist, tr.view(-1), reduction="none").view(tl.shape) * wr).mean(-1, keepdim=True)


@pytest.fixture
def detections():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(40, 6, generator=generator, dtype=torch.float64) * 3
    positive = torch.rand(40, 6, generator=generator) < 0.25
    iou = torch.where(positive, torch.rand(40, 6, generator=generator, dtype=torch.float64), 0.0)
    return logits, iou


def _value_grad_hessian_diagonal(fn, x):
    x = x.clone().requires_grad_(True)
    value = fn(x)
    (grad,) = torch.autograd.grad(value.sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(grad.sum(), x)  # elementwise losses: the Hessian diagonal
    return value.detach(), grad.detach(), second


@pytest.mark.parametrize("options", [{}, {"alpha": 0.5, "gamma": 1.5}, {"iou_weighted": False, "gamma": 0.5}])
def test_varifocal_equals_mmdetection(detections, options):
    logits, iou = detections
    ours = _value_grad_hessian_diagonal(lambda x: il.varifocal_loss(x, iou, reduction="none", **options), logits)
    theirs = _value_grad_hessian_diagonal(lambda x: mmdet_varifocal(x, iou, **options), logits)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-13)


def test_varifocal_equals_ultralytics(detections):
    logits, iou = detections
    label = (iou > 0).to(logits.dtype)
    x, y = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    theirs = ultralytics_varifocal(x, iou, label)
    # Ultralytics' .mean(1).sum(): the sum over elements over the number of classes.
    ours = il.varifocal_loss(y, iou, reduction="sum") / logits.shape[1]
    theirs.backward()
    ours.backward()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=0)
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("beta", [2.0, 1.0, 2.5])
def test_quality_focal_equals_mmdetection_label_and_score_form(beta):
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(30, 5, generator=generator, dtype=torch.float64) * 3
    label = torch.randint(0, 6, (30,), generator=generator)  # 5 = background
    score = torch.rand(30, generator=generator, dtype=torch.float64)
    dense = torch.zeros_like(logits)
    foreground = label < 5
    dense[foreground, label[foreground]] = score[foreground]
    x, y = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    theirs = mmdet_quality_focal(x, label, score, beta)
    ours = il.quality_focal_loss(y, dense, beta=beta, reduction="none").sum(1)  # mmdet sums over classes
    theirs.sum().backward()
    ours.sum().backward()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-12, atol=1e-14)
    ours_h = _value_grad_hessian_diagonal(lambda v: il.quality_focal_loss(v, dense, beta=beta, reduction="none"), logits)
    theirs_h = _value_grad_hessian_diagonal(lambda v: dense_quality_focal(v, dense, beta), logits)
    torch.testing.assert_close(ours_h[2], theirs_h[2], rtol=1e-10, atol=1e-12)


def dense_quality_focal(pred, target, beta):
    return F.binary_cross_entropy_with_logits(pred, target, reduction="none") * (target - pred.sigmoid()).abs().pow(beta)


def test_distribution_focal_equals_mmdetection_and_ultralytics():
    generator = torch.Generator().manual_seed(2)
    reg_max = 16
    logits = torch.randn(12, 4, reg_max + 1, generator=generator, dtype=torch.float64) * 2
    targets = torch.rand(12, 4, generator=generator, dtype=torch.float64) * (reg_max - 0.01)
    x, y = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    theirs = mmdet_distribution_focal(x.reshape(-1, reg_max + 1), targets.reshape(-1)).reshape(12, 4)
    ours = il.distribution_focal_loss(y, targets, reduction="none")
    theirs.sum().backward()
    ours.sum().backward()
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-12, atol=1e-14)
    # Ultralytics' reg_max counts the bins (16), its mean over the four sides is ours of each box.
    ultra = ultralytics_dfl(logits[..., :reg_max].reshape(-1, reg_max), targets.clamp(max=14.5).clone(), reg_max)
    ours = il.distribution_focal_loss(logits[..., :reg_max], targets.clamp(max=14.5), reduction="none").mean(-1)
    torch.testing.assert_close(ours.reshape(-1, 1), ultra.reshape(-1, 1), rtol=1e-12, atol=1e-13)


def test_distribution_focal_last_bin_and_out_of_range():
    logits = np.random.default_rng(3).normal(size=(4, 8))
    at_last = il.distribution_focal_loss(logits, np.full(4, 7.0), reduction="none")
    expected = il.softmax_cross_entropy(logits, np.full(4, 7), reduction="none")
    np.testing.assert_allclose(at_last, expected, rtol=1e-14)
    outside = il.distribution_focal_loss(logits, np.array([0.0, -0.5, 7.5, 3.0]), reduction="none")
    assert np.isfinite(outside[[0, 3]]).all() and np.isnan(outside[[1, 2]]).all()
    with il.check_values(), pytest.raises(ValueError, match="targets"):
        il.distribution_focal_loss(logits, np.array([0.0, -0.5, 7.5, 3.0]))
    with pytest.raises(ValueError, match="targets"):
        il.distribution_focal_loss(logits, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="two bins"):
        il.distribution_focal_loss(logits[:, :1], np.zeros(4))


def test_distribution_focal_minimiser_has_the_target_as_expectation():
    """The two-hot target is the loss's minimiser: its expectation sum_j j p_j is t."""
    t = np.array([0.0, 2.25, 6.5, 7.0])
    two_hot = np.zeros((4, 8))
    for row, position in enumerate(t):
        left = min(int(position), 6)
        two_hot[row, left], two_hot[row, left + 1] = left + 1 - position, position - left
    logits = np.log(np.maximum(two_hot, 1e-300))
    gradient = torch.func.grad(lambda x: il.distribution_focal_loss(x, torch.tensor(t), reduction="sum"))(
        torch.tensor(logits))
    np.testing.assert_allclose(gradient.numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose((two_hot * np.arange(8)).sum(1), t, rtol=1e-15)


def test_saturated_logits_stay_finite_and_exact():
    x = torch.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.0, 0.5, 0.0, 1.0, 0.0], dtype=torch.float64)
    for loss in (il.varifocal_loss, il.quality_focal_loss):
        value = loss(x, q, reduction="none")
        (grad,) = torch.autograd.grad(value.sum(), x)
        assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    # a confident, correct positive: BCE = softplus(-100) = 3.7e-44, exact (no 1 - sigmoid cancellation)
    value = il.varifocal_loss(x.detach(), q, reduction="none")
    assert float(value[3]) == pytest.approx(3.720075976020836e-44, rel=1e-12)
    # a saturated negative at 1e4: alpha * 1 * 1e4
    assert float(value[4]) == pytest.approx(0.75e4, rel=1e-12)


def test_varifocal_does_not_down_weight_positives_and_quality_focal_vanishes_at_the_target():
    x = np.linspace(-4, 4, 9)
    q = np.full(9, 0.6)
    np.testing.assert_allclose(il.varifocal_loss(x, q, reduction="none"),
                               0.6 * il.sigmoid_cross_entropy(x, q, reduction="none"), rtol=1e-14)
    at_target = np.log(0.6 / 0.4)
    assert il.quality_focal_loss(np.array([at_target]), np.array([0.6]), reduction="none")[0] == pytest.approx(0, abs=1e-30)


def test_options_are_checked():
    x, q = np.zeros((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match="alpha"):
        il.varifocal_loss(x, q, alpha=-1.0)
    with pytest.raises(ValueError, match="iou_weighted"):
        il.varifocal_loss(x, q, iou_weighted="yes")
    with pytest.raises(ValueError, match="beta"):
        il.quality_focal_loss(x, q, beta=-0.5)
