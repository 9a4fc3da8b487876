"""AUC-margin loss: the reference implementations (LibAUC's AUCMLoss and MultiLabelAUCMLoss,
MONAI's AUCMLoss, both installed), the saddle point of the min-max problem, the gradients
of a, b and alpha on every autodiff framework, and the classes that train them.

Values and score gradients against the float64 oracle are the conformance grid's. The
option mapping: LibAUC's and MONAI's ``AUCMLoss(margin=m, imratio=p)`` (``version="v1"``)
with parameters a, b, alpha is ``auc_margin_loss(scores, targets, a, b, alpha, margin=m,
positive_rate=p)``; LibAUC reads the prior from every batch unless ``auto=False``
(``positive_rate=None`` here), MONAI when ``imratio`` is None. ``version="v2"`` is v1
divided by p(1 - p), p the batch's share of positives.
"""

import numpy as np
import pytest

import imbalance_losses as il


@pytest.fixture
def batch(rng):
    scores = rng.random(32)
    targets = np.zeros(32)
    targets[rng.choice(32, 8, replace=False)] = 1.0  # p = 1/4, exact in float32
    return scores, targets


def AUCMarginLoss(**options):  # noqa: N802 (the class, imported where torch is)
    return pytest.importorskip("imbalance_losses.torch").AUCMarginLoss(**options)


def _set(module, **values):
    """Their parameters, replaced by float64 ones of the given values."""
    import torch

    for name, value in values.items():
        setattr(module, name, torch.nn.Parameter(torch.tensor([value], dtype=torch.float64)))


@pytest.mark.parametrize("margin", [1.0, 0.5])  # their prior is float32: margins exact in it
def test_matches_libauc_values_and_every_gradient(batch, margin):
    torch = pytest.importorskip("torch")
    libauc = pytest.importorskip("libauc.losses")
    scores, targets = batch
    theirs = libauc.AUCMLoss(margin=margin)
    _set(theirs, a=0.6, b=0.3, alpha=0.4)
    their_scores = torch.tensor(scores[:, None], requires_grad=True)
    expected = theirs(their_scores, torch.tensor(targets[:, None]))
    expected.sum().backward()

    ours = AUCMarginLoss(margin=margin).double()
    with torch.no_grad():  # float64 values (the weights start in torch's default dtype)
        for name, value in (("a", 0.6), ("b", 0.3), ("alpha", 0.4)):
            getattr(ours, name).fill_(value)
    our_scores = torch.tensor(scores[:, None], requires_grad=True)
    value = ours(our_scores, torch.tensor(targets[:, None]))
    value.backward()
    np.testing.assert_allclose(value.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(our_scores.grad.numpy(), their_scores.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.a.grad.item(), theirs.a.grad.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.b.grad.item(), theirs.b.grad.item(), rtol=1e-12)
    # The class reverses alpha's gradient: a descent step on it is LibAUC's ascent.
    np.testing.assert_allclose(ours.alpha.grad.item(), -theirs.alpha.grad.item(), rtol=1e-12)


def test_matches_monai_v1_and_v2(batch):
    torch = pytest.importorskip("torch")
    monai = pytest.importorskip("monai.losses")
    scores, targets = batch
    images = scores.reshape(2, 1, 4, 4), targets.reshape(2, 1, 4, 4)
    for version in ("v1", "v2"):
        theirs = monai.AUCMLoss(margin=0.8, version=version)
        with torch.no_grad():
            for name, value in (("a", 0.75), ("b", 0.25), ("alpha", 0.375)):  # exact in their float32
                getattr(theirs, name).copy_(torch.tensor(value))
        expected = theirs(*(torch.tensor(v) for v in images)).item()
        ours = il.auc_margin_loss(*images, 0.75, 0.25, 0.375, margin=0.8)
        if version == "v2":
            p = targets.mean()
            ours = ours / (p * (1 - p))
        np.testing.assert_allclose(ours, expected, rtol=1e-12)
    # MONAI's given prior (imratio) is ours.
    theirs = monai.AUCMLoss(imratio=0.1)
    np.testing.assert_allclose(il.auc_margin_loss(*images, 0.0, 0.0, 0.0, positive_rate=0.1),
                               theirs(*(torch.tensor(v) for v in images)).item(), rtol=1e-12)


def test_per_class_variables_match_libauc_multilabel(rng):
    """Per-class a, b, alpha: LibAUC's MultiLabelAUCMLoss averages the labels' losses, as "mean"
    does. Its v1 leaves the margin out (the bug LibAUC fixed in AUCMLoss, PR #49): with margin 1
    the two agree; with another margin it is the margin-1 loss."""
    torch = pytest.importorskip("torch")
    libauc = pytest.importorskip("libauc.losses")
    scores, targets = rng.random((32, 3)), (rng.random((32, 3)) < 0.3).astype(np.float64)  # priors k/32: exact in float32
    a, b, alpha = rng.random(3), rng.random(3) * 0.5, rng.random(3)
    theirs = libauc.MultiLabelAUCMLoss(margin=0.5, num_labels=3)
    theirs.a, theirs.b, theirs.alpha = (torch.tensor(v) for v in (a, b, alpha))
    expected = theirs(torch.tensor(scores), torch.tensor(targets)).item()
    np.testing.assert_allclose(il.auc_margin_loss(scores, targets, a, b, alpha, margin=1.0), expected, rtol=1e-12)
    assert not np.isclose(il.auc_margin_loss(scores, targets, a, b, alpha, margin=0.5), expected, rtol=1e-6)
    # Per class: each column is its own binary problem, with its own prior from the batch.
    columns = [il.auc_margin_loss(scores[:, c], targets[:, c], a[c], b[c], alpha[c]) for c in range(3)]
    np.testing.assert_allclose(il.auc_margin_loss(scores, targets, a, b, alpha), np.mean(columns), rtol=1e-12)


def test_the_saddle_point_is_the_squared_hinge_of_the_mean_scores(batch):
    """min over a, b and max over alpha >= 0: a, b the classes' mean scores, alpha = (m - (a - b))_+,
    and the value p(1 - p) (Var_pos + Var_neg + (m - (a - b))_+^2); the gradient in a, b, alpha is 0."""
    torch = pytest.importorskip("torch")
    scores, targets = batch
    positives, negatives = scores[targets == 1], scores[targets == 0]
    p, margin = targets.mean(), 1.0
    hinge = max(0.0, margin - (positives.mean() - negatives.mean()))
    variables = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
                 for v in (positives.mean(), negatives.mean(), hinge)]
    value = il.auc_margin_loss(torch.tensor(scores), torch.tensor(targets), *variables, margin=margin)
    expected = p * (1 - p) * (positives.var() + negatives.var() + hinge**2)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-12)
    gradients = torch.autograd.grad(value, variables)
    np.testing.assert_allclose([g.item() for g in gradients], 0.0, atol=1e-15)


def _variable_gradients(scores, targets, a, b, alpha, margin, weights):
    """dL/da, dL/db, dL/dalpha of the weighted mean, from eq. 4 of the paper (batch prior)."""
    p = np.sum(weights * targets) / np.sum(weights)
    mean = lambda v: np.sum(weights * v) / np.sum(weights)  # noqa: E731
    return (mean(-2 * (1 - p) * targets * (scores - a)), mean(-2 * p * (1 - targets) * (scores - b)),
            mean(2 * (p * (1 - p) * margin + p * (1 - targets) * scores - (1 - p) * targets * scores))
            - 2 * p * (1 - p) * alpha)


def test_gradients_of_a_b_alpha_on_every_framework(autodiff_framework, rng):
    f = autodiff_framework
    scores, targets, weights = rng.normal(size=(12, 2)), (rng.random((12, 2)) < 0.4) * 1.0, rng.random((12, 2))
    expected = _variable_gradients(scores, targets, 0.4, -0.1, 0.7, 0.5, weights)

    def loss(variables):  # a, b, alpha packed in one array, differentiated at once
        return il.auc_margin_loss(f.asarray(scores), f.asarray(targets), variables[0], variables[1], variables[2],
                                  margin=0.5, weights=f.asarray(weights))

    _, gradients = f.value_and_grad(loss, f.asarray(np.array([0.4, -0.1, 0.7])))
    np.testing.assert_allclose(f.to_numpy(gradients), expected, rtol=1e-10)


def test_the_torch_class_keeps_alpha_non_negative_and_trains_by_descent():
    torch = pytest.importorskip("torch")
    criterion = AUCMarginLoss(alpha=0.5, margin=0.0)
    assert [name for name, _ in criterion.named_parameters()] == ["a", "b", "alpha"]
    optimiser = torch.optim.SGD(criterion.parameters(), lr=1.0)
    scores, targets = torch.tensor([0.9, 0.8, 0.1, 0.2]), torch.tensor([1.0, 1.0, 0.0, 0.0])
    for _ in range(3):  # separated beyond the margin: the ascent drives alpha below 0, projected back
        optimiser.zero_grad()
        criterion(scores, targets).backward()
        optimiser.step()
    criterion(scores, targets)
    assert criterion.alpha.item() == 0.0
    # Evaluation reads the weights as they are.
    criterion.alpha.data.fill_(-1.0)
    criterion.eval()
    criterion(scores, targets)
    assert criterion.alpha.item() == -1.0
    restored = AUCMarginLoss()
    restored.load_state_dict(criterion.state_dict())
    assert restored.alpha.item() == -1.0


def test_invalid_variables_and_prior_raise():
    scores, targets = np.zeros((4, 3)), np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"Invalid value for argument `a`.*\(3,\)"):
        il.auc_margin_loss(scores, targets, np.zeros(2), 0.0, 0.0)
    with pytest.raises(ValueError, match="positive_rate"):
        il.auc_margin_loss(scores, targets, 0.0, 0.0, 0.0, positive_rate=1.5)
    with pytest.raises(ValueError, match="margin"):
        il.auc_margin_loss(scores, targets, 0.0, 0.0, 0.0, margin=-1.0)
