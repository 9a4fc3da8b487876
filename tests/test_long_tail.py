"""Long-tail losses: LDAM, VS, Balanced Softmax, DRW, PolyLoss, ASL, Seesaw, EQLv2, EFL and DB.

Values and gradients against the oracles are the conformance grid's (the Seesaw,
EQLv2, EFL and DB oracles transcribe mmdetection's, the official and the reference
algorithms); here the properties that tie them to the losses they generalise,
peers where one installs (optax's Poly-1), transcriptions of the ASL and EFL references,
zero counts, states carried over several steps and the low-precision inputs that
break the references.
"""

import numpy as np
import pytest

import imbalance_losses as il

COUNTS = np.array([500.0, 100.0, 20.0, 4.0, 1.0])


@pytest.fixture
def batch(rng):
    return rng.normal(size=(16, 5)) * 3, rng.integers(0, 5, 16), (rng.random((16, 5)) < 0.3).astype(np.float64)


def test_balanced_softmax_is_logit_adjustment_with_tau_one(framework, batch):
    x, labels, _ = batch
    f = framework
    ours = il.balanced_softmax_cross_entropy(f.asarray(x), f.asarray(labels), COUNTS, label_smoothing=0.1)
    adjusted = il.logit_adjusted_cross_entropy(f.asarray(x), f.asarray(labels), COUNTS / 7.0, tau=1.0, label_smoothing=0.1)
    np.testing.assert_allclose(f.to_numpy(ours), f.to_numpy(adjusted), rtol=1e-6)


def test_vector_scaling_special_cases(batch):
    x, labels, _ = batch
    # gamma = 0: logit adjustment; gamma = tau = 0: plain cross-entropy.
    np.testing.assert_allclose(il.vector_scaling_loss(x, labels, COUNTS, gamma=0.0, tau=1.5),
                               il.logit_adjusted_cross_entropy(x, labels, COUNTS, tau=1.5), rtol=1e-12)
    np.testing.assert_allclose(il.vector_scaling_loss(x, labels, COUNTS, gamma=0.0, tau=0.0),
                               il.softmax_cross_entropy(x, labels), rtol=1e-12)
    # tau = 0 is CDT: the logits scaled by (n / n_max)^gamma.
    cdt = il.softmax_cross_entropy(x * (COUNTS / COUNTS.max()) ** 0.3, labels)
    np.testing.assert_allclose(il.vector_scaling_loss(x, labels, COUNTS, tau=0.0), cdt, rtol=1e-12)


def test_ldam_margins_and_special_cases(batch):
    x, labels, _ = batch
    np.testing.assert_allclose(il.ldam_loss(x, labels, COUNTS, max_margin=0.0, scale=1.0),
                               il.softmax_cross_entropy(x, labels), rtol=1e-12)
    # The margin is subtracted from the target logit only: m_c = 0.5 (n_min / n_c)^(1/4).
    margins = 0.5 * (COUNTS.min() / COUNTS) ** 0.25
    shifted = x - margins * np.eye(5)[labels]
    np.testing.assert_allclose(il.ldam_loss(x, labels, COUNTS, scale=30.0, reduction="none"),
                               il.softmax_cross_entropy(30.0 * shifted, labels, reduction="none"), rtol=1e-12)
    # Counts and probabilities are the same input.
    np.testing.assert_allclose(il.ldam_loss(x, labels, COUNTS), il.ldam_loss(x, labels, COUNTS / COUNTS.sum()), rtol=1e-12)


@pytest.mark.parametrize("loss", ["ldam_loss", "vector_scaling_loss", "balanced_softmax_cross_entropy"])
def test_zero_counts_give_finite_values_and_gradients(autodiff_framework, batch, loss):
    f = autodiff_framework
    x, labels, _ = batch
    counts = f.asarray(np.array([50.0, 0.0, 5.0, 0.0, 1.0]))
    value, grad = f.value_and_grad(lambda v, t: getattr(il, loss)(v, t, counts), f.asarray(x), f.asarray(labels))
    assert np.isfinite(f.to_numpy(value)) and np.all(np.isfinite(f.to_numpy(grad)))


def test_ldam_zero_count_takes_the_largest_margin(batch):
    x, labels, _ = batch
    with_zero = np.array([500.0, 100.0, 0.0, 4.0, 1.0])
    margins = 0.5 * (1.0 / np.where(with_zero > 0, with_zero, 1.0)) ** 0.25
    margins[2] = 0.5
    expected = il.softmax_cross_entropy(30.0 * (x - margins * np.eye(5)[labels]), labels)
    np.testing.assert_allclose(il.ldam_loss(x, labels, with_zero), expected, rtol=1e-12)


def test_deferred_reweighting_schedule(framework):
    counts = framework.asarray(COUNTS)
    before = framework.to_numpy(il.deferred_reweighting(counts, 159, start_epoch=160))
    after = framework.to_numpy(il.deferred_reweighting(counts, 160, start_epoch=160))
    np.testing.assert_array_equal(before, np.ones(5))
    raw = (1 - 0.9999) / (1 - 0.9999 ** COUNTS)
    np.testing.assert_allclose(after, raw * 5 / raw.sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="epoch"):
        il.deferred_reweighting(COUNTS, -1, start_epoch=3)


def test_poly1_with_zero_epsilon_is_the_base_loss(batch):
    x, labels, y = batch
    np.testing.assert_allclose(il.poly1_cross_entropy(x, labels, epsilon=0.0, label_smoothing=0.1),
                               il.softmax_cross_entropy(x, labels, label_smoothing=0.1), rtol=1e-12)
    np.testing.assert_allclose(il.poly1_sigmoid_cross_entropy(x, y, epsilon=0.0),
                               il.sigmoid_cross_entropy(x, y), rtol=1e-12)
    np.testing.assert_allclose(il.poly1_focal_loss(x, y, epsilon=0.0, gamma=1.5),
                               il.sigmoid_focal_loss(x, y, gamma=1.5), rtol=1e-12)


def test_poly1_cross_entropy_matches_optax(batch):
    optax = pytest.importorskip("optax")
    import jax.numpy as jnp

    x, labels, _ = batch
    soft = np.random.default_rng(3).dirichlet(np.ones(5), size=16)
    for targets in (np.eye(5)[labels], soft):
        theirs = optax.losses.poly_loss_cross_entropy(jnp.asarray(x), jnp.asarray(targets), epsilon=2.0)
        ours = il.poly1_cross_entropy(x, targets, epsilon=2.0, reduction="none")
        np.testing.assert_allclose(ours, np.asarray(theirs, dtype=np.float64), rtol=2e-6)


def test_poly1_term_keeps_precision_when_the_target_is_certain():
    # p_t = 1 - 2e-22: CE and the Poly-1 term are both ~2e-22; a difference 1 - p_t would give 0.
    x = np.array([[50.0, 0.0, 0.0]])
    expected = 2 * np.exp(-50.0)
    np.testing.assert_allclose(il.poly1_cross_entropy(x, np.array([0]), epsilon=1.0), 2 * expected, rtol=1e-12)


def test_asymmetric_special_cases(batch):
    x, labels, y = batch
    np.testing.assert_allclose(il.asymmetric_loss(x, y, gamma_pos=0.0, gamma_neg=0.0, clip=0.0),
                               il.sigmoid_cross_entropy(x, y), rtol=1e-12)
    # Symmetric focusing without a margin is focal loss without alpha.
    np.testing.assert_allclose(il.asymmetric_loss(x, y, gamma_pos=2.0, gamma_neg=2.0, clip=0.0),
                               il.sigmoid_focal_loss(x, y, alpha=None, gamma=2.0), rtol=1e-12)
    # Single-label without smoothing: focal loss with gamma = gamma_pos (the negatives have t' = 0).
    np.testing.assert_allclose(il.softmax_asymmetric_loss(x, labels, gamma_pos=1.0, label_smoothing=0.0),
                               il.softmax_focal_loss(x, labels, gamma=1.0), rtol=1e-12)


def _reference_asl(torch, x, y, gamma_neg=4.0, gamma_pos=1.0, clip=0.05, eps=1e-8):
    """A transcription of the reference ``AsymmetricLoss.forward`` (Alibaba-MIIL/ASL):
    probability space, an eps clamp inside the logs, the sum over batch and classes."""
    xs_pos = torch.sigmoid(x)
    xs_neg = 1 - xs_pos
    if clip is not None and clip > 0:
        xs_neg = (xs_neg + clip).clamp(max=1)
    los_pos = y * torch.log(xs_pos.clamp(min=eps))
    los_neg = (1 - y) * torch.log(xs_neg.clamp(min=eps))
    loss = los_pos + los_neg
    pt = xs_pos * y + xs_neg * (1 - y)
    one_sided_gamma = gamma_pos * y + gamma_neg * (1 - y)
    loss = loss * torch.pow(1 - pt, one_sided_gamma)
    return -loss.sum()


def test_asymmetric_loss_matches_the_reference_transcription(batch):
    torch = pytest.importorskip("torch")
    x, _, y = batch
    xt = torch.tensor(x, requires_grad=True)
    theirs = _reference_asl(torch, xt, torch.tensor(y))
    theirs.backward()
    ours_x = torch.tensor(x, requires_grad=True)
    ours = il.asymmetric_loss(ours_x, torch.tensor(y), gamma_pos=1.0, reduction="sum")
    ours.backward()
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=0)
    torch.testing.assert_close(ours_x.grad, xt.grad, rtol=1e-8, atol=1e-12)


def test_asymmetric_losses_are_finite_in_float16_where_the_reference_is_not():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[30.0, -30.0, 8.0, -12.0]], dtype=torch.float16, requires_grad=True)
    y = torch.tensor([[0.0, 1.0, 1.0, 0.0]], dtype=torch.float16)
    # float16 flushes the reference's 1e-8 clamp to 0: log(0) and a NaN (Alibaba-MIIL/ASL#53).
    assert not torch.isfinite(_reference_asl(torch, x.detach(), y))
    ours = il.asymmetric_loss(x, y, gamma_pos=1.0)
    ours.backward()
    assert torch.isfinite(ours) and torch.isfinite(x.grad).all()
    # In float32 the clamp caps -log p at 18.4 for the positive at -30, whose loss is 30.
    reference = _reference_asl(torch, x.detach().float(), y.float())
    exact = il.asymmetric_loss(x.detach().float(), y.float(), gamma_pos=1.0, reduction="sum")
    np.testing.assert_allclose(float(exact) - float(reference), 30.0 + np.log(1e-8), rtol=1e-3)
    # Saturated float16 logits, with a loss (about 3e4) that float16 can hold.
    z = torch.tensor([[30000.0, -30000.0, 0.0]], dtype=torch.float16, requires_grad=True)
    value = il.softmax_asymmetric_loss(z, torch.tensor([2]))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad).all()


def test_seesaw_without_factors_is_cross_entropy_and_counts_labels(framework, batch):
    f = framework
    x, labels, _ = batch
    labels = labels.copy()
    labels[:3] = -100
    loss, state = il.seesaw_loss(f.asarray(x), f.asarray(labels), p=0.0, q=0.0, ignore_index=-100)
    np.testing.assert_allclose(f.to_numpy(loss), f.to_numpy(il.softmax_cross_entropy(
        f.asarray(x), f.asarray(labels), ignore_index=-100)), rtol=1e-6)
    np.testing.assert_array_equal(f.to_numpy(state), np.bincount(labels[3:], minlength=5))


def test_seesaw_state_accumulates_over_steps_and_keeps_its_dtype(rng):
    state, expected = np.zeros(5, np.float32), np.zeros(5)
    for _ in range(4):
        x, labels = rng.normal(size=(8, 5)), rng.integers(0, 5, 8)
        loss, state = il.seesaw_loss(x, labels, state=state)
        expected += np.bincount(labels, minlength=5)
        assert state.dtype == np.float32 and np.isfinite(loss)
    np.testing.assert_array_equal(state, expected)


def test_seesaw_mitigation_only_lowers_a_frequent_class_push_on_rarer_ones(batch):
    """q = 0: the logit of a rarer class j is shifted by p log(N_j / N_y) < 0, so the loss of a
    frequent-class sample is lower than cross-entropy; a rare-class sample's is unchanged."""
    x, labels, _ = batch
    counts = np.array([1000.0, 100.0, 10.0, 1.0, 1.0])
    ours, _ = il.seesaw_loss(x, labels, q=0.0, state=counts - np.bincount(labels, minlength=5), reduction="none")
    shifted = x + 0.8 * np.minimum(np.log(counts)[None, :] - np.log(counts[labels])[:, None], 0.0)
    np.testing.assert_allclose(ours, il.softmax_cross_entropy(shifted, labels, reduction="none"), rtol=1e-12)
    ce = il.softmax_cross_entropy(x, labels, reduction="none")
    assert np.all(ours[labels == 0] < ce[labels == 0]) and np.allclose(ours[labels >= 3], ce[labels >= 3])


def test_seesaw_rejects_dense_targets(batch):
    x, labels, _ = batch
    with pytest.raises(TypeError, match="integer class indices"):
        il.seesaw_loss(x, np.eye(5)[labels])


def test_eqlv2_starts_as_binary_cross_entropy_and_reweights_from_its_sums(framework, batch):
    f = framework
    x, _, y = batch
    loss, state = il.eqlv2_loss(f.asarray(x), f.asarray(y))
    np.testing.assert_allclose(f.to_numpy(loss), f.to_numpy(il.sigmoid_cross_entropy(f.asarray(x), f.asarray(y))),
                               rtol=1e-6)
    # An all-zero state is "nothing seen yet" (a module's fresh buffer), as None.
    again, same = il.eqlv2_loss(f.asarray(x), f.asarray(y), state=f.asarray(np.zeros((2, 5))))
    np.testing.assert_allclose(f.to_numpy(again), f.to_numpy(loss), rtol=1e-6)
    np.testing.assert_allclose(f.to_numpy(same), f.to_numpy(state), rtol=1e-6)
    # From the sums: classes whose positives got little gradient get negatives down-weighted.
    sums = np.array([[0.0, 50.0, 1.0, 1.0, 1.0], [100.0, 50.0, 10.0, 1.0, 0.5]])
    per_element, _ = il.eqlv2_loss(x, y, state=sums, reduction="none")
    negative = 1 / (1 + np.exp(-12.0 * (sums[0] / (sums[1] + 1e-10) - 0.8)))
    weight = y * (1 + 4.0 * (1 - negative)) + (1 - y) * negative
    np.testing.assert_allclose(per_element, weight * il.sigmoid_cross_entropy(x, y, reduction="none"), rtol=1e-12)


class _AuthorsEqualizedFocalLoss:
    """The EFL authors' loss (ModelTC/United-Perception, ``equalized_focal_loss``), transcribed:
    labels in 0..C with 0 the background and ``ignore_index`` dropped; ``forward`` then, after
    the backward pass, ``collect_grad`` of the gradient flowing into the logits."""

    def __init__(self, num_classes, focal_gamma=2.0, focal_alpha=0.25, scale_factor=8.0, ignore_index=-1):
        import torch

        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.focal_gamma, self.focal_alpha, self.scale_factor = focal_gamma, focal_alpha, scale_factor
        self.pos_grad = torch.zeros(num_classes, dtype=torch.float64)
        self.neg_grad = torch.zeros(num_classes, dtype=torch.float64)
        self.pos_neg = torch.ones(num_classes, dtype=torch.float64)

    def forward(self, logits, labels, normalizer):
        import torch

        n = logits.shape[0]
        expanded = logits.new_zeros(n, self.num_classes + 1)
        expanded[torch.arange(n), labels.clamp(min=0)] = 1
        self.cache_target, self.cache_mask = expanded[:, 1:], labels != self.ignore_index
        inputs, targets = logits[self.cache_mask], self.cache_target[self.cache_mask]
        pred = torch.sigmoid(inputs)
        pred_t = pred * targets + (1 - pred) * (1 - targets)
        dy_gamma = self.focal_gamma + self.scale_factor * (1 - self.pos_neg)
        ff = dy_gamma.view(1, -1).expand(n, self.num_classes)[self.cache_mask]
        wf = ff / self.focal_gamma
        loss = -torch.log(pred_t) * torch.pow(1 - pred_t, ff.detach()) * wf.detach()
        alpha_t = self.focal_alpha * targets + (1 - self.focal_alpha) * (1 - targets)
        return (alpha_t * loss).sum() / normalizer

    def collect_grad(self, grad_in):
        import torch

        grad = torch.abs(grad_in)[self.cache_mask]
        target = self.cache_target[self.cache_mask]
        self.pos_grad += torch.sum(grad * target, dim=0)
        self.neg_grad += torch.sum(grad * (1 - target), dim=0)
        self.pos_neg = torch.clamp(self.pos_grad / (self.neg_grad + 1e-10), min=0, max=1)


def test_equalized_focal_loss_matches_the_authors_code_over_steps(rng):
    """Their ``reduction="mean"`` with ``normalizer=n`` is our ``"sum"`` with ``weights=1/n`` (and
    0 for ignored anchors): loss, gradient and the accumulated sums agree step by step."""
    torch = pytest.importorskip("torch")
    num_classes = 4
    reference = _AuthorsEqualizedFocalLoss(num_classes)
    state = None
    for _ in range(4):
        labels = rng.choice(np.arange(-1, num_classes + 1), 24, p=[0.1, 0.5, 0.25, 0.1, 0.04, 0.01])
        logits = rng.normal(size=(24, num_classes)) * 3
        normalizer = max(int(np.sum(labels > 0)), 1)
        theirs_x = torch.tensor(logits, requires_grad=True)
        theirs = reference.forward(theirs_x, torch.as_tensor(labels), normalizer)
        theirs.backward()
        reference.collect_grad(theirs_x.grad)

        targets = np.eye(num_classes + 1)[np.maximum(labels, 0)][:, 1:]
        weights = (labels != -1)[:, None] / normalizer
        ours_x = torch.tensor(logits, requires_grad=True)
        ours, state = il.equalized_focal_loss(ours_x, torch.as_tensor(targets), weights=torch.as_tensor(weights),
                                              state=state, reduction="sum")
        ours.backward()
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-10, atol=1e-16)
        np.testing.assert_allclose(state.numpy(), torch.stack([reference.pos_grad, reference.neg_grad]).numpy(),
                                   rtol=1e-10)
    # The steps moved the focusing factors off gamma_b for the rarest classes.
    assert np.all(reference.pos_neg.numpy()[2:] < 1)


def test_equalized_focal_loss_starts_as_focal_loss_and_focuses_the_unbalanced(framework, batch):
    f = framework
    x, _, y = batch
    loss, state = il.equalized_focal_loss(f.asarray(x), f.asarray(y))
    focal = il.sigmoid_focal_loss(f.asarray(x), f.asarray(y))
    np.testing.assert_allclose(f.to_numpy(loss), f.to_numpy(focal), rtol=1e-6)
    again, same = il.equalized_focal_loss(f.asarray(x), f.asarray(y), state=f.asarray(np.zeros((2, 5))))
    np.testing.assert_allclose(f.to_numpy(again), f.to_numpy(loss), rtol=1e-6)
    np.testing.assert_allclose(f.to_numpy(same), f.to_numpy(state), rtol=1e-6)
    # Balanced classes (P >= Q) keep gamma_b; class j with ratio g gets gamma_b + s (1 - g), times (gamma_j / gamma_b).
    sums = np.array([[5.0, 50.0, 1.0, 0.0, 2.0], [5.0, 10.0, 4.0, 3.0, 8.0]])
    per_element, _ = il.equalized_focal_loss(x, y, state=sums, reduction="none")
    gamma = 2.0 + 8.0 * (1 - np.minimum(sums[0] / (sums[1] + 1e-10), 1))
    for j, g in enumerate(gamma):
        expected = g / 2.0 * il.sigmoid_focal_loss(x[:, j], y[:, j], gamma=g, reduction="none")
        np.testing.assert_allclose(per_element[:, j], expected, rtol=1e-12)


def test_distribution_balanced_reduces_to_binary_cross_entropy(batch):
    """Weights of 1 (map_alpha = 0.5, map_beta = 0, every sample with a positive label), no bias,
    no negative scaling, no focal term."""
    x, _, y = batch
    y[:, 2] = 1.0
    counts = np.array([500.0, 100.0, 20.0, 4.0, 0.0])
    plain = il.distribution_balanced_loss(x, y, counts, num_samples=1000, map_alpha=0.5, map_beta=0.0, neg_scale=1.0,
                                          init_bias=0.0, gamma=0.0, balance=1.0)
    np.testing.assert_allclose(plain, il.sigmoid_cross_entropy(x, y), rtol=1e-12)
    # With the focal term only: sigmoid focal loss without alpha.
    focal = il.distribution_balanced_loss(x, y, counts, num_samples=1000, map_alpha=0.5, map_beta=0.0,
                                          neg_scale=1.0, init_bias=0.0, balance=1.0)
    np.testing.assert_allclose(focal, il.sigmoid_focal_loss(x, y, alpha=None), rtol=1e-12)


def test_distribution_balanced_is_finite_for_never_and_always_positive_classes(autodiff_framework, batch):
    f = autodiff_framework
    x, _, y = batch
    y[0] = 0.0  # a sample without positives: the reference's infinite ratio
    counts = f.asarray(np.array([0.0, 1000.0, 20.0, 4.0, 1.0]))
    value, grad = f.value_and_grad(lambda v, t: il.distribution_balanced_loss(v, t, counts, num_samples=1000),
                                   f.asarray(x), f.asarray(y))
    assert np.isfinite(f.to_numpy(value)) and np.all(np.isfinite(f.to_numpy(grad)))
