"""Overlap losses for segmentation: the set forms (pooled, per image, per channel),
Tversky, focal Tversky, generalized Dice, Lovász and the compound losses.

Values come from the peers that define them where they install next to our torch
(MONAI, kornia, optax), and from properties; the float64 oracles and every
framework are the conformance grid's job.
"""

import numpy as np
import pytest

import imbalance_losses as il

SHAPE = (2, 3, 4, 5)  # (N, C, H, W)


@pytest.fixture
def segmentation(rng):
    logits = rng.normal(size=SHAPE) * 2
    labels = rng.integers(0, SHAPE[1], (SHAPE[0], *SHAPE[2:]))
    labels[1][labels[1] == 2] = 0  # class 2 absent from image 1
    return logits, labels


def _one_hot(labels, num_classes):
    return np.moveaxis(np.eye(num_classes)[labels], -1, 1)


# --- the set forms --------------------------------------------------------------------

PER_IMAGE_SOFTMAX = ["softmax_dice_loss", "softmax_tversky_loss", "softmax_focal_tversky_loss", "generalized_dice_loss",
                     "softmax_dice_cross_entropy_loss", "softmax_dice_focal_loss", "lovasz_softmax_loss"]
PER_IMAGE_SIGMOID = ["dice_loss", "tversky_loss", "focal_tversky_loss", "dice_cross_entropy_loss", "dice_focal_loss"]


@pytest.mark.parametrize("name", PER_IMAGE_SOFTMAX + PER_IMAGE_SIGMOID)
def test_per_image_leaves_an_all_void_image_out(segmentation, name):
    """SPEC §4: an image whose every element is ignored (or of weight 0) is not a perfect
    image of loss 0; it is left out of the mean, as Lovász leaves it."""
    from imbalance_losses_conformance.oracles import ORACLES

    logits, labels = segmentation
    if name in PER_IMAGE_SOFTMAX:
        void = labels.copy()
        void[1] = 255
        options = dict(axis=1, per_image=True, ignore_index=255)
        targets, alone_targets = void, labels[:1]
    else:
        logits = logits[:, 0]
        targets = alone_targets = (labels > 0).astype(np.float64)
        weights = np.ones(targets.shape)
        weights[1] = 0
        options = dict(per_image=True, weights=weights)
        alone_targets = targets[:1]
    loss = getattr(il, name)(logits, targets, **options)
    alone_options = {k: (v[:1] if k == "weights" else v) for k, v in options.items()}
    alone = getattr(il, name)(logits[:1], alone_targets, **alone_options)
    assert float(loss) == pytest.approx(float(alone), rel=1e-12)
    assert float(ORACLES[name](logits, targets, **options)) == pytest.approx(float(loss), rel=1e-10)



def test_per_image_is_the_mean_of_each_image_alone(segmentation):
    logits, labels = segmentation
    for loss in (il.softmax_dice_loss, il.softmax_tversky_loss, il.softmax_focal_tversky_loss):
        per_image = loss(logits, labels, axis=1, per_image=True, reduction="none")
        alone = np.stack([loss(logits[n:n + 1], labels[n:n + 1], axis=1, reduction="none") for n in range(2)])
        np.testing.assert_allclose(per_image, alone, rtol=1e-12)
        assert loss(logits, labels, axis=1, per_image=True) == pytest.approx(alone.mean(), rel=1e-12)


def test_class_axis_sets_are_the_channels_alone(rng):
    logits, targets = rng.normal(size=SHAPE), (rng.random(SHAPE) < 0.2).astype(float)
    for loss in (il.dice_loss, il.tversky_loss, il.focal_tversky_loss):
        channels = loss(logits, targets, class_axis=1, reduction="none")
        alone = [loss(logits[:, c], targets[:, c]) for c in range(SHAPE[1])]
        np.testing.assert_allclose(channels, alone, rtol=1e-12)
        # Any axis: the channels last give the same sets.
        np.testing.assert_allclose(loss(np.moveaxis(logits, 1, -1), np.moveaxis(targets, 1, -1), class_axis=-1,
                                        reduction="none"), channels, rtol=1e-12)
        per_image = loss(logits, targets, class_axis=1, per_image=True, reduction="none")
        assert per_image.shape == SHAPE[:2]
        np.testing.assert_allclose(per_image[1, 2], loss(logits[1, 2], targets[1, 2]), rtol=1e-12)


def test_defaults_keep_the_pooled_behaviour(segmentation):
    logits, labels = segmentation
    assert il.dice_loss(logits, (labels[:, None] == 1) * 1.0 + 0 * logits).shape == ()
    assert il.softmax_dice_loss(logits, labels, axis=1, reduction="none").shape == (3,)


def test_ignore_empty_drops_absent_image_classes(segmentation):
    logits, labels = segmentation
    none = il.softmax_dice_loss(logits, labels, axis=1, per_image=True, ignore_empty=True, reduction="none")
    assert none[1, 2] == 0 and np.all(none[0] > 0)
    mean = il.softmax_dice_loss(logits, labels, axis=1, per_image=True, ignore_empty=True)
    assert mean == pytest.approx(none.sum() / 5, rel=1e-12)


def test_element_weight_scale_does_not_change_set_losses(segmentation, rng):
    logits, labels = segmentation
    w = rng.random((SHAPE[0], *SHAPE[2:]))
    for loss in (il.softmax_dice_loss, il.softmax_tversky_loss, il.generalized_dice_loss, il.lovasz_softmax_loss):
        options = {"axis": 1, "per_image": True, "reduction": "none"}
        if loss is not il.lovasz_softmax_loss:
            options["smooth"] = 0.0
        np.testing.assert_allclose(loss(logits, labels, weights=w, **options),
                                   loss(logits, labels, weights=7.5 * w, **options), rtol=1e-12)


@pytest.mark.parametrize("loss", [il.softmax_tversky_loss, il.softmax_focal_tversky_loss, il.lovasz_softmax_loss,
                                  il.generalized_dice_loss, il.softmax_dice_cross_entropy_loss])
def test_ignore_index_equals_dropping_the_pixels(loss, rng):
    logits, labels = rng.normal(size=(30, 4)), rng.integers(0, 4, 30)
    ignored = rng.random(30) < 0.3
    np.testing.assert_allclose(loss(logits, np.where(ignored, -100, labels), ignore_index=-100),
                               loss(logits[~ignored], labels[~ignored]), rtol=1e-12)


# --- Tversky and focal Tversky --------------------------------------------------------


def test_tversky_half_half_is_dice_with_twice_the_smooth(autodiff_framework, rng):
    f = autodiff_framework
    logits, targets = rng.normal(size=(4, 6)), (rng.random((4, 6)) < 0.4).astype(float)
    labels = rng.integers(0, 6, 4)
    for options in ({}, {"per_image": True}, {"class_axis": 1}):
        tversky = f.to_numpy(il.tversky_loss(f.asarray(logits), f.asarray(targets), smooth=0.5, **options))
        dice = f.to_numpy(il.dice_loss(f.asarray(logits), f.asarray(targets), smooth=1.0, **options))
        np.testing.assert_allclose(tversky, dice, rtol=1e-12)
    np.testing.assert_allclose(
        f.to_numpy(il.softmax_tversky_loss(f.asarray(logits), f.asarray(labels), smooth=0.0, reduction="none")),
        f.to_numpy(il.softmax_dice_loss(f.asarray(logits), f.asarray(labels), smooth=0.0, reduction="none")),
        rtol=1e-12)


def test_focal_tversky_gamma_one_is_tversky_and_power_is_per_class(segmentation):
    logits, labels = segmentation
    options = {"axis": 1, "alpha": 0.3, "beta": 0.7}
    np.testing.assert_allclose(il.softmax_focal_tversky_loss(logits, labels, gamma=1.0, **options),
                               il.softmax_tversky_loss(logits, labels, **options), rtol=1e-12)
    per_class = il.softmax_tversky_loss(logits, labels, reduction="none", **options)
    assert il.softmax_focal_tversky_loss(logits, labels, gamma=4 / 3, **options) == pytest.approx(
        np.mean(per_class ** 0.75), rel=1e-12)
    # Not SMP's power of the class mean.
    assert il.softmax_focal_tversky_loss(logits, labels, **options) != pytest.approx(np.mean(per_class) ** 0.75)


def test_tversky_beta_trades_recall(rng):
    # Missing a positive costs beta, a false alarm alpha: beta > alpha punishes misses more.
    targets = np.array([1.0, 1.0, 0.0, 0.0])
    misses = np.array([-5.0, -5.0, -5.0, -5.0])
    alarms = np.array([5.0, 5.0, 5.0, 5.0])
    recall = {"alpha": 0.3, "beta": 0.7, "smooth": 0.0}
    assert il.tversky_loss(misses, targets, **recall) > il.tversky_loss(alarms, targets, **recall)


def test_tversky_soft_targets_are_exact(autodiff_framework, rng):
    # min(p, t) overlap: loss 0 and gradient 0 where the probabilities equal the soft targets.
    f = autodiff_framework
    targets = rng.uniform(0.05, 0.95, size=(3, 8))
    logits = np.log(targets) - np.log1p(-targets)
    # Rounding leaves ~1e-16 of Tversky loss, which focal Tversky raises to the power 3/4.
    for loss, bound in ((il.tversky_loss, 1e-15), (il.focal_tversky_loss, 1e-15 ** 0.75)):
        value, grad = f.value_and_grad(lambda x, t, loss=loss: loss(x, t, smooth=0.0, alpha=0.3, beta=0.7),
                                       f.asarray(logits), f.asarray(targets))
        assert abs(float(f.to_numpy(value))) < bound
        assert np.all(np.isfinite(f.to_numpy(grad)))


def test_focal_tversky_perfect_sets_have_zero_gradient_not_nan(autodiff_framework):
    f = autodiff_framework
    # Saturated logits: probabilities exactly 0 and 1, every set perfect.
    logits, targets = np.array([[-1e3, 1e3], [1e3, -1e3]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    value, grad = f.value_and_grad(lambda x, t: il.focal_tversky_loss(x, t, gamma=3.0, smooth=0.0, class_axis=1),
                                   f.asarray(logits), f.asarray(targets))
    assert float(f.to_numpy(value)) == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isfinite(f.to_numpy(grad)))


# --- generalized Dice -----------------------------------------------------------------


@pytest.mark.parametrize("weight_type", ["square", "simple", "uniform"])
def test_generalized_dice_absent_classes_are_finite(autodiff_framework, weight_type, rng):
    f = autodiff_framework
    logits = rng.normal(size=(2, 4, 3, 3))
    labels = np.zeros((2, 3, 3), dtype=np.int64)
    labels[0, 0, 0] = 1  # class 1 in image 0 only; classes 2, 3 nowhere
    for per_image in (False, True):
        value, grad = f.value_and_grad(
            lambda x, t, pi=per_image: il.generalized_dice_loss(x, t, axis=1, weight_type=weight_type, per_image=pi),
            f.asarray(logits), f.asarray(labels))
        assert np.isfinite(f.to_numpy(value)) and np.all(np.isfinite(f.to_numpy(grad)))
    # An all-ignored batch: nothing to compare, loss 0.
    assert il.generalized_dice_loss(logits, np.full((2, 3, 3), -1), axis=1, ignore_index=-1) == 0


def test_generalized_dice_uniform_is_the_dice_of_all_classes_pooled(segmentation):
    logits, labels = segmentation
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    t = _one_hot(labels, 3)
    expected = 1 - (2 * np.sum(p * t) + 1.0) / (np.sum(p) + np.sum(t) + 1.0)
    assert il.generalized_dice_loss(logits, labels, axis=1, weight_type="uniform", smooth=1.0) == pytest.approx(
        expected, rel=1e-12)


# --- Lovász ---------------------------------------------------------------------------


def test_lovasz_softmax_on_hard_predictions_is_the_jaccard_loss(rng):
    # The Lovász extension agrees with the set function on 0/1 errors: 1 - IoU per class.
    labels = rng.integers(0, 3, 40)
    predicted = np.where(rng.random(40) < 0.7, labels, rng.integers(0, 3, 40))
    logits = np.eye(3)[predicted] * 1e3  # softmax exactly one-hot in float64
    per_class = il.lovasz_softmax_loss(logits, labels, classes="all", reduction="none")
    iou = [np.sum((labels == c) & (predicted == c)) / np.sum((labels == c) | (predicted == c)) for c in range(3)]
    np.testing.assert_allclose(per_class, 1 - np.array(iou), rtol=1e-12)


def test_lovasz_hinge_on_unit_margins_is_the_jaccard_loss(rng):
    # Logits of +-1 make every hinge error 0 (right) or 2 (wrong): the loss is 2 (1 - IoU).
    targets = (rng.random(50) < 0.4).astype(float)
    predicted = np.where(rng.random(50) < 0.8, targets, 1 - targets)
    loss = il.lovasz_hinge_loss(2 * predicted - 1, targets, per_image=False)
    iou = np.sum((targets == 1) & (predicted == 1)) / np.sum((targets == 1) | (predicted == 1))
    assert loss == pytest.approx(2 * (1 - iou), rel=1e-12)


def test_lovasz_present_classes_and_empty_images(rng):
    logits = rng.normal(size=(3, 4, 2, 2))
    labels = np.zeros((3, 2, 2), dtype=np.int64)
    labels[0, 0, 0] = 3
    labels[2] = -100  # an image without a counted pixel is left out of the mean
    present = il.lovasz_softmax_loss(logits, labels, axis=1, ignore_index=-100, reduction="none", classes="present")
    assert present.shape == (4,) and present[1] == present[2] == 0 and present[0] > 0 and present[3] > 0
    images = il.lovasz_softmax_loss(logits, labels, axis=1, ignore_index=-100, per_image=True, reduction="none")
    assert images[2] == 0
    assert il.lovasz_softmax_loss(logits, labels, axis=1, ignore_index=-100, per_image=True) == pytest.approx(
        images[:2].mean(), rel=1e-12)


# --- compound -------------------------------------------------------------------------


def test_compound_is_the_weighted_sum_of_its_terms(segmentation, rng):
    logits, labels = segmentation
    w = rng.random((SHAPE[0], *SHAPE[2:]))
    common = {"axis": 1, "weights": w, "ignore_index": -1}
    labels = np.where(rng.random(labels.shape) < 0.2, -1, labels)
    expected = 0.3 * il.softmax_dice_loss(logits, labels, per_image=True, **common) + 2.0 * il.softmax_focal_loss(
        logits, labels, gamma=1.5, **common)
    actual = il.softmax_dice_focal_loss(logits, labels, dice_weight=0.3, focal_weight=2.0, gamma=1.5, per_image=True,
                                        **common)
    assert actual == pytest.approx(expected, rel=1e-12)


# --- peers ----------------------------------------------------------------------------


@pytest.fixture
def monai_losses():
    pytest.importorskip("torch")
    return pytest.importorskip("monai.losses")


def _torch(*arrays):
    import torch

    return [torch.tensor(a) for a in arrays]


@pytest.mark.parametrize("batch", [True, False])
def test_softmax_overlaps_equal_monai(monai_losses, segmentation, batch):
    logits, labels = segmentation
    x, t = _torch(logits, _one_hot(labels, 3))
    smooth = {"smooth_nr": 0.5, "smooth_dr": 0.5}
    ours = {"axis": 1, "per_image": not batch, "smooth": 0.5}
    assert il.softmax_dice_loss(logits, labels, **ours) == pytest.approx(
        float(monai_losses.DiceLoss(softmax=True, batch=batch, **smooth)(x, t)), rel=1e-12)
    assert il.softmax_tversky_loss(logits, labels, alpha=0.3, beta=0.7, **ours) == pytest.approx(
        float(monai_losses.TverskyLoss(softmax=True, batch=batch, alpha=0.3, beta=0.7, **smooth)(x, t)), rel=1e-12)
    for w_type in ("square", "simple", "uniform"):
        peer = monai_losses.GeneralizedDiceLoss(softmax=True, batch=batch, w_type=w_type)
        # MONAI computes the class weights in float32 (``ground_o.float()``): 1e-7 apart.
        assert il.generalized_dice_loss(logits, labels, axis=1, per_image=not batch, weight_type=w_type) == (
            pytest.approx(float(peer(x, t)), rel=1e-6))


@pytest.mark.parametrize("batch", [True, False])
def test_sigmoid_channels_equal_monai(monai_losses, rng, batch):
    logits, targets = rng.normal(size=SHAPE), (rng.random(SHAPE) < 0.3).astype(float)
    soft = rng.random(SHAPE)
    x, t, s = _torch(logits, targets, soft)
    smooth = {"smooth_nr": 1.0, "smooth_dr": 1.0}
    ours = {"class_axis": 1, "per_image": not batch}
    assert il.dice_loss(logits, targets, **ours) == pytest.approx(
        float(monai_losses.DiceLoss(sigmoid=True, batch=batch, **smooth)(x, t)), rel=1e-12)
    assert il.tversky_loss(logits, targets, alpha=0.7, beta=0.3, **ours) == pytest.approx(
        float(monai_losses.TverskyLoss(sigmoid=True, batch=batch, alpha=0.7, beta=0.3, **smooth)(x, t)), rel=1e-12)
    # Soft targets: MONAI's semimetric soft_label form.
    peer = monai_losses.TverskyLoss(sigmoid=True, batch=batch, soft_label=True, **smooth)
    assert il.tversky_loss(logits, soft, **ours) == pytest.approx(float(peer(x, s)), rel=1e-12)


def test_compound_equals_monai(monai_losses, segmentation):
    logits, labels = segmentation
    x, t = _torch(logits, labels[:, None])
    peer = monai_losses.DiceCELoss(softmax=True, to_onehot_y=True, lambda_dice=0.7, lambda_ce=1.3)
    assert il.softmax_dice_cross_entropy_loss(logits, labels, axis=1, per_image=True, smooth=1e-5, dice_weight=0.7,
                                              cross_entropy_weight=1.3) == pytest.approx(float(peer(x, t)), rel=1e-10)


def test_dice_focal_against_monai_two_different_losses(monai_losses, segmentation):
    """MONAI's DiceFocalLoss(softmax=True) applies a *sigmoid* focal term to the one-hot
    channels (MONAI#8242): that is Dice + sigmoid_focal_loss, not softmax_dice_focal_loss.
    Ours is the softmax focal loss summed over classes, MONAI's FocalLoss(use_softmax=True)
    averages over classes: focal_weight=1/C gives it. (The docs state both, with numbers.)"""
    logits, labels = segmentation
    x, t = _torch(logits, labels[:, None])
    dice = il.softmax_dice_loss(logits, labels, axis=1, per_image=True, smooth=1e-5)
    peer = monai_losses.DiceFocalLoss(softmax=True, to_onehot_y=True, gamma=2.0)(x, t)
    sigmoid_focal = il.sigmoid_focal_loss(logits, _one_hot(labels, 3), gamma=2.0, alpha=None)
    assert dice + sigmoid_focal == pytest.approx(float(peer), rel=1e-6)  # MONAI's focal term: float32 parts
    softmax_focal = (monai_losses.DiceLoss(softmax=True, to_onehot_y=True)(x, t)
                     + monai_losses.FocalLoss(use_softmax=True, to_onehot_y=True, gamma=2.0)(x, t))
    ours = il.softmax_dice_focal_loss(logits, labels, axis=1, per_image=True, smooth=1e-5, gamma=2.0, focal_weight=1 / 3)
    assert ours == pytest.approx(float(softmax_focal), rel=1e-6)
    assert abs(ours - float(peer)) > 0.1  # not MONAI's DiceFocalLoss


def test_generalized_dice_default_smooth_is_not_negligible_for_large_volumes():
    """MONAI's smooth=1e-5 (our default, so that we equal MONAI) is added after the 1/V^2
    weighting, where the weighted sums are of order 1/V: at 96^3 it moves a loss of 0.50
    to 0.24 (docs/losses/segmentation.md); smooth=0 keeps the ratio."""
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(1, 2, 96, 96, 96)), rng.integers(0, 2, (1, 96, 96, 96))
    assert il.generalized_dice_loss(logits, labels, axis=1) == pytest.approx(0.2376, abs=1e-3)
    assert il.generalized_dice_loss(logits, labels, axis=1, smooth=0.0) == pytest.approx(0.5003, abs=1e-3)


@pytest.fixture
def kornia_losses():
    pytest.importorskip("torch")
    return pytest.importorskip("kornia.losses")


def test_lovasz_equals_kornia(kornia_losses, segmentation, rng):
    logits, labels = segmentation
    x, t = _torch(logits, labels)
    assert il.lovasz_softmax_loss(logits, labels, axis=1, per_image=True, classes="all") == pytest.approx(
        float(kornia_losses.lovasz_softmax_loss(x, t)), rel=1e-12)
    binary_logits, binary_targets = rng.normal(size=(3, 1, 4, 5)), rng.integers(0, 2, (3, 4, 5))
    x, t = _torch(binary_logits, binary_targets)
    assert il.lovasz_hinge_loss(binary_logits[:, 0], binary_targets) == pytest.approx(
        float(kornia_losses.lovasz_hinge_loss(x, t)), rel=1e-12)


def test_per_image_dice_equals_kornia_macro(kornia_losses, segmentation):
    # kornia averages each image over the classes present in it: every class is, here.
    logits, labels = segmentation
    present = labels.copy()
    present[1, 0, :3] = [0, 1, 2]
    x, t = _torch(logits, present)
    assert il.softmax_dice_loss(logits, present, axis=1, per_image=True, smooth=0.0) == pytest.approx(
        float(kornia_losses.dice_loss(x, t, average="macro", eps=1e-12)), rel=1e-9)
    # With class 2 absent from image 1 they differ (docs/losses/segmentation.md): kornia leaves
    # the absent class out of that image's mean, per_image counts it as a set of loss 1 - 0.
    x, t = _torch(logits, labels)
    kornia = float(kornia_losses.dice_loss(x, t, average="macro", eps=1e-12))
    ours = il.softmax_dice_loss(logits, labels, axis=1, per_image=True, smooth=0.0)
    assert abs(ours - kornia) > 1e-3


def test_tversky_equals_optax(segmentation):
    optax = pytest.importorskip("optax")
    logits, labels = segmentation
    x = np.moveaxis(logits, 1, -1)
    t = np.eye(3)[labels]
    peer = optax.losses.dice_loss(x, t, alpha=0.2, beta=0.8, smooth=1.0, reduction="none")
    ours = il.softmax_tversky_loss(x, labels, alpha=0.2, beta=0.8, per_image=True, reduction="none")
    np.testing.assert_allclose(ours, np.asarray(peer), rtol=1e-12)


def test_volumes_are_images_with_more_spatial_axes(rng):
    # (N, C, D, H, W): a per-image set sums over all three spatial axes, as over their flattening.
    logits = rng.normal(size=(2, 3, 2, 3, 4))
    labels = rng.integers(0, 3, (2, 2, 3, 4))
    flat_logits, flat_labels = logits.reshape(2, 3, -1), labels.reshape(2, -1)
    for loss, options in ((il.softmax_dice_loss, {}), (il.softmax_focal_tversky_loss, {"beta": 0.8}),
                          (il.generalized_dice_loss, {}), (il.lovasz_softmax_loss, {})):
        np.testing.assert_allclose(loss(logits, labels, axis=1, per_image=True, reduction="none", **options),
                                   loss(flat_logits, flat_labels, axis=1, per_image=True, reduction="none", **options),
                                   rtol=1e-12)
    targets = (rng.random(logits.shape) < 0.3).astype(float)
    np.testing.assert_allclose(il.tversky_loss(logits, targets, class_axis=1, per_image=True, reduction="none"),
                               il.tversky_loss(flat_logits, targets.reshape(2, 3, -1), class_axis=1, per_image=True,
                                               reduction="none"), rtol=1e-12)


def test_mcc_is_zero_for_an_exact_prediction_and_two_for_an_inverted_one():
    targets = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]])
    exact = np.where(targets > 0, 1e4, -1e4)
    assert il.mcc_loss(exact, targets) == 0.0
    assert il.mcc_loss(-exact, targets) == pytest.approx(2.0, abs=1e-6)
    # every target positive: no negative, the correlation undefined; exact is still 0
    assert il.mcc_loss(np.full((2, 3), 1e4), np.ones((2, 3))) == 0.0


def test_mcc_counts_true_negatives_where_dice_does_not():
    """Two predictions with the same TP, FP and FN but more true negatives: Dice is
    unchanged, MCC improves (its reason to exist for small lesions)."""
    small = np.array([[4.0, 4.0, -4.0, 4.0, -4.0, -4.0]])
    targets = np.array([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]])
    padded_logits = np.concatenate([small, np.full((1, 20), -10.0)], axis=1)  # 20 confident true negatives
    padded_targets = np.concatenate([targets, np.zeros((1, 20))], axis=1)
    assert il.dice_loss(padded_logits, padded_targets, smooth=0.0) == pytest.approx(
        il.dice_loss(small, targets, smooth=0.0), abs=0.005)
    assert il.mcc_loss(padded_logits, padded_targets) < il.mcc_loss(small, targets) - 0.05


# --- asymmetric unified focal loss ---------------------------------------------------


def _authors_unified_focal(y_true, y_pred, weight=0.5, delta=0.6, gamma=0.5):
    """Yeung et al.'s ``asym_unified_focal_loss`` (mlyg/unified-focal-loss, Keras), transcribed to
    NumPy: channels last, two channels (0 background, 1 foreground), softmax probabilities."""
    epsilon = 1e-7  # keras.backend.epsilon()
    y_pred = np.clip(y_pred, epsilon, 1 - epsilon)
    # asymmetric_focal_tversky_loss(delta, gamma): per image and class over the spatial axes
    tp = np.sum(y_true * y_pred, axis=(1, 2))
    fn = np.sum(y_true * (1 - y_pred), axis=(1, 2))
    fp = np.sum((1 - y_true) * y_pred, axis=(1, 2))
    dice_class = (tp + epsilon) / (tp + delta * fn + (1 - delta) * fp + epsilon)
    back_dice = 1 - dice_class[:, 0]
    fore_dice = (1 - dice_class[:, 1]) * np.power(1 - dice_class[:, 1], -gamma)
    tversky = np.mean(np.stack([back_dice, fore_dice], axis=-1))
    # asymmetric_focal_loss(delta, gamma)
    cross_entropy = -y_true * np.log(y_pred)
    back_ce = (1 - delta) * np.power(1 - y_pred[..., 0], gamma) * cross_entropy[..., 0]
    fore_ce = delta * cross_entropy[..., 1]
    focal = np.mean(np.sum(np.stack([back_ce, fore_ce], axis=-1), axis=-1))
    return weight * tversky + (1 - weight) * focal


@pytest.mark.parametrize("options", [{}, {"weight": 0.3, "delta": 0.7, "gamma": 0.2}])
def test_unified_focal_is_the_authors_loss_for_two_classes(rng, options):
    logits, labels = rng.normal(size=(3, 6, 5, 2)) * 2, rng.integers(0, 2, (3, 6, 5))
    labels[0] = 0  # an image without foreground: its foreground set's loss is near 1 in both
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    expected = _authors_unified_focal(np.eye(2)[labels], probabilities, **options)
    assert il.asymmetric_unified_focal_loss(logits, labels, **options) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weight", [0.5, 0.2])
def test_unified_focal_equals_monai_binary_through_its_weighting(monai_losses, rng, weight):
    """MONAI's binary AsymmetricUnifiedFocalLoss(weight=w) weights its focal term by w and averages
    it over the two classes: (1 - w/2) times ours with weight (1 - w)/(1 - w/2)."""
    logits, labels = rng.normal(size=(2, 2, 4, 4)) * 2, rng.integers(0, 2, (2, 4, 4))
    x = _torch(logits)[0].softmax(1)
    t = _torch(_one_hot(labels, 2))[0]
    peer = monai_losses.AsymmetricUnifiedFocalLoss(weight=weight, delta=0.6, gamma=0.5)
    ours = il.asymmetric_unified_focal_loss(logits, labels, axis=1, weight=(1 - weight) / (1 - weight / 2))
    assert (1 - weight / 2) * ours == pytest.approx(float(peer(x, t)), rel=1e-12)


def test_unified_focal_suppresses_the_background_and_enhances_the_foreground(segmentation):
    """Its parts, class by class: the focal term's background is focal-suppressed (gamma) and weighted
    1 - delta, its foreground plain cross-entropy weighted delta; the Tversky term raises the foreground's
    1 - TI to 1 - gamma < 1 (a nearly-right foreground set keeps a large loss)."""
    logits, labels = segmentation
    focal_only = il.asymmetric_unified_focal_loss(logits, labels, axis=1, weight=0.0, delta=0.6, gamma=0.5)
    background = il.softmax_focal_loss(logits, labels, axis=1, alpha=[0.4, 0.0, 0.0], gamma=0.5)
    foreground = il.softmax_cross_entropy(logits, labels, axis=1, class_weights=None, reduction="none")
    foreground = 0.6 * np.mean(np.where(labels > 0, foreground, 0.0))
    assert focal_only == pytest.approx(background + foreground, rel=1e-12)
    tversky_only = il.asymmetric_unified_focal_loss(logits, labels, axis=1, weight=1.0, delta=0.6, gamma=0.5)
    per_class = il.softmax_tversky_loss(logits, labels, axis=1, alpha=0.4, beta=0.6, smooth=1e-7, per_image=True,
                                        reduction="none")
    per_class[:, 1:] = per_class[:, 1:] ** 0.5
    assert tversky_only == pytest.approx(per_class.mean(), rel=1e-12)


def test_unified_focal_perfect_foreground_has_a_finite_gradient(autodiff_framework):
    """(1 - TI)^(1 - gamma) has an infinite slope at TI = 1: a perfect set gets loss 0 and gradient 0."""
    f = autodiff_framework
    labels = np.array([[0, 1, 2, 1]])
    logits = np.where(np.eye(3)[labels] > 0, 60.0, -60.0)
    _, gradient = f.value_and_grad(lambda x: il.asymmetric_unified_focal_loss(x, f.asarray(labels), smooth=0.0),
                                   f.asarray(logits))
    assert np.all(np.isfinite(f.to_numpy(gradient)))


def test_unified_focal_options_are_checked(segmentation):
    logits, labels = segmentation
    with pytest.raises(ValueError, match="gamma"):
        il.asymmetric_unified_focal_loss(logits, labels, axis=1, gamma=1.0)
    with pytest.raises(ValueError, match="reduction"):
        il.asymmetric_unified_focal_loss(logits, labels, axis=1, reduction="none")
