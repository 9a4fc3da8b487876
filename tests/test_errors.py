"""Bad inputs: every static check raises at once, naming the argument, what was
expected and what was received; value checks run only when switched on."""

import contextlib
import re

import numpy as np
import pytest

import imbalance_losses as il

X = np.zeros((4, 3))
Y = np.zeros((4, 3))
L = np.array([0, 1, 2, 1])

# (case id, call, exception, argument named in the message, received part of the message)
STATIC_CHECKS = [
    ("targets_shape", lambda: il.sigmoid_focal_loss(X, np.zeros((4, 2))), ValueError, "targets", "targets.shape=(4, 2)"),
    ("labels_rank", lambda: il.softmax_cross_entropy(X, np.zeros((4, 1), int)), ValueError, "labels", "labels.shape=(4, 1)"),
    ("dense_labels_shape", lambda: il.softmax_focal_loss(X, np.zeros((4, 2))), ValueError, "labels", "labels.shape=(4, 2)"),
    ("integer_logits", lambda: il.softmax_cross_entropy(np.zeros((4, 3), int), L), TypeError, "logits", "logits.dtype=int64"),
    ("float_labels_for_indices", lambda: il.softmax_cross_entropy(X, L.astype(float)), TypeError, "labels", "labels.dtype=float64"),
    ("float_label_indices", lambda: il.sparse_multilabel_categorical_crossentropy(X, np.zeros((4, 2))), TypeError, "label_indices", "label_indices.dtype=float64"),
    ("label_indices_shape", lambda: il.sparse_multilabel_categorical_crossentropy(X, np.zeros((3, 2), int)), ValueError, "label_indices", "label_indices.shape=(3, 2)"),
    ("class_weights_length", lambda: il.softmax_cross_entropy(X, L, class_weights=[1.0, 2.0]), ValueError, "class_weights", "class_weights.shape=(2,)"),
    ("alpha_length", lambda: il.softmax_focal_loss(X, L, alpha=[0.1, 0.2, 0.3, 0.4]), ValueError, "alpha", "alpha.shape=(4,)"),
    ("sigmoid_alpha_shape", lambda: il.sigmoid_focal_loss(X, Y, alpha=np.ones(4)), ValueError, "alpha", "alpha.shape=(4,)"),
    ("pos_weight_shape", lambda: il.sigmoid_cross_entropy(X, Y, pos_weight=np.ones(2)), ValueError, "pos_weight", "pos_weight.shape=(2,)"),
    ("prior_length", lambda: il.logit_adjusted_cross_entropy(X, L, [1.0, 2.0]), ValueError, "prior", "prior.shape=(2,)"),
    ("state_length", lambda: il.ghm_c_loss(X, Y, momentum=0.5, state=np.zeros(3)), ValueError, "state", "state.shape=(3,)"),
    ("weights_shape", lambda: il.softmax_cross_entropy(X, L, weights=np.ones(3)), ValueError, "weights", "weights.shape=(3,)"),
    ("weights_scalar", lambda: il.sigmoid_cross_entropy(X, Y, weights=2.0), ValueError, "weights", "weights=2.0"),
    ("gamma", lambda: il.sigmoid_focal_loss(X, Y, gamma=-0.5), ValueError, "gamma", "gamma=-0.5"),
    ("gamma_nan", lambda: il.softmax_focal_loss(X, L, gamma=float("nan")), ValueError, "gamma", "gamma=nan"),
    ("sigmoid_alpha", lambda: il.sigmoid_focal_loss(X, Y, alpha=1.5), ValueError, "alpha", "alpha=1.5"),
    ("softmax_alpha", lambda: il.softmax_focal_loss(X, L, alpha=-1.0), ValueError, "alpha", "alpha=-1.0"),
    ("margin", lambda: il.hard_truncated_loss(X, Y, margin=0.4), ValueError, "margin", "margin=0.4"),
    ("k", lambda: il.soft_truncated_loss(X, Y, k=0.0), ValueError, "k", "k=0.0"),
    ("softmax_k", lambda: il.soft_truncated_softmax_loss(X, L, k=-2), ValueError, "k", "k=-2"),
    ("bins", lambda: il.ghm_c_loss(X, Y, bins=0), ValueError, "bins", "bins=0"),
    ("bins_float", lambda: il.ghm_r_loss(X, Y, bins=10.5), ValueError, "bins", "bins=10.5"),
    ("momentum", lambda: il.ghm_c_loss(X, Y, momentum=1.0), ValueError, "momentum", "momentum=1.0"),
    ("mu", lambda: il.ghm_r_loss(X, Y, mu=0.0), ValueError, "mu", "mu=0.0"),
    ("smooth", lambda: il.dice_loss(X, Y, smooth=-1.0), ValueError, "smooth", "smooth=-1.0"),
    ("dice_alpha", lambda: il.softmax_dice_loss(X, L, alpha=-0.1), ValueError, "alpha", "alpha=-0.1"),
    ("per_sample", lambda: il.dice_loss(X, Y, per_sample="yes"), ValueError, "per_sample", "per_sample='yes'"),
    ("mask_zero", lambda: il.sparse_multilabel_categorical_crossentropy(X, np.zeros((4, 1), int), mask_zero=1), ValueError, "mask_zero", "mask_zero=1"),
    ("tau", lambda: il.adjust_logits(X, [1.0, 2.0, 3.0], tau=-1.0), ValueError, "tau", "tau=-1.0"),
    ("label_smoothing", lambda: il.softmax_cross_entropy(X, L, label_smoothing=1.5), ValueError, "label_smoothing", "label_smoothing=1.5"),
    ("sigmoid_label_smoothing", lambda: il.sigmoid_cross_entropy(X, Y, label_smoothing=-0.1), ValueError, "label_smoothing", "label_smoothing=-0.1"),
    ("ignore_index", lambda: il.softmax_cross_entropy(X, L, ignore_index=1.5), ValueError, "ignore_index", "ignore_index=1.5"),
    ("axis", lambda: il.softmax_cross_entropy(X, L, axis=2), ValueError, "axis", "axis=2"),
    ("reduction", lambda: il.softmax_focal_loss(X, L, reduction="avg"), ValueError, "reduction", "reduction='avg'"),
    ("method", lambda: il.class_weights([1, 2], method="log"), ValueError, "method", "method='log'"),
    ("beta", lambda: il.class_weights([1, 2], method="effective_number", beta=1.0), ValueError, "beta", "beta=1.0"),
    ("power", lambda: il.sampling_weights(np.array([0, 1]), 2, power=-1), ValueError, "power", "power=-1"),
    ("num_classes", lambda: il.sampling_weights(np.array([0, 1]), 0), ValueError, "num_classes", "num_classes=0"),
    ("counts_rank", lambda: il.class_prior(np.ones((2, 2))), ValueError, "counts", "shape (2, 2)"),
    ("sampling_labels", lambda: il.sampling_weights(np.array([0.0, 1.0]), 2), ValueError, "labels", "dtype float64"),
    ("not_an_array", lambda: il.sigmoid_focal_loss([0.0, 1.0], [0.0, 1.0]), TypeError, None, "list"),
    ("pooled_dice_reduction", lambda: il.dice_loss(X, Y, reduction="avg"), ValueError, "reduction", "reduction='avg'"),
    ("bias_correction", lambda: il.ghm_c_loss(X, Y, momentum=0.5, bias_correction="no"), ValueError, "bias_correction", "bias_correction='no'"),
    ("ignore_empty_per_sample", lambda: il.dice_loss(X, Y, per_sample=True, ignore_empty=True), ValueError, "ignore_empty", "ignore_empty=True"),
    ("per_image_per_sample", lambda: il.tversky_loss(X, Y, per_sample=True, per_image=True), ValueError, "per_image", "per_image=True"),
    ("class_axis_per_sample", lambda: il.dice_loss(X, Y, per_sample=True, class_axis=1), ValueError, "class_axis", "class_axis=1"),
    ("class_axis_range", lambda: il.focal_tversky_loss(X, Y, class_axis=2), ValueError, "class_axis", "class_axis=2"),
    ("class_axis_is_sample_axis", lambda: il.dice_loss(X, Y, per_image=True, class_axis=0), ValueError, "class_axis", "class_axis=0"),
    ("per_image_flag", lambda: il.softmax_tversky_loss(X, L, per_image=1), ValueError, "per_image", "per_image=1"),
    ("tversky_beta", lambda: il.tversky_loss(X, Y, beta=-0.5), ValueError, "beta", "beta=-0.5"),
    ("focal_tversky_gamma", lambda: il.softmax_focal_tversky_loss(X, L, gamma=0.0), ValueError, "gamma", "gamma=0.0"),
    ("weight_type", lambda: il.generalized_dice_loss(X, L, weight_type="log"), ValueError, "weight_type", "weight_type='log'"),
    ("lovasz_classes", lambda: il.lovasz_softmax_loss(X, L, classes="some"), ValueError, "classes", "classes='some'"),
    ("lovasz_pooled_replicas", lambda: il.lovasz_hinge_loss(X, Y, per_image=False, replica_sum=sum), ValueError, "replica_sum", "replica_sum=<built-in function sum>"),
    ("compound_reduction_none", lambda: il.softmax_dice_cross_entropy_loss(X, L, reduction="none"), ValueError, "reduction", "reduction='none'"),
    ("compound_weight", lambda: il.dice_focal_loss(X, Y, dice_weight=-1.0), ValueError, "dice_weight", "dice_weight=-1.0"),
    ("derivatives_loss", lambda: il.loss_derivatives(il.dice_loss, X, Y), ValueError, "loss", "loss='dice_loss'"),
    ("derivatives_hessian", lambda: il.loss_derivatives(il.sigmoid_focal_loss, X, Y, hessian="diagonal"), ValueError, "hessian", "hessian='diagonal'"),
    ("derivatives_reduction", lambda: il.loss_derivatives(il.softmax_focal_loss, X, L, reduction="sum"), ValueError, "reduction", "reduction='sum'"),
    ("prior_margin_rank", lambda: il.prior_margin(np.ones((2, 2))), ValueError, "counts", "shape (2, 2)"),
    ("prior_margin_num_samples", lambda: il.prior_margin([3.0], num_samples=1), ValueError, "num_samples", "num_samples=1"),
    ("mixed_frameworks_numpy_logits", lambda: il.softmax_cross_entropy(X, __import__("torch").tensor(L)), TypeError, "labels", "labels=torch"),
]


@pytest.mark.parametrize("call, error, argument, received", [c[1:] for c in STATIC_CHECKS], ids=[c[0] for c in STATIC_CHECKS])
def test_static_check_names_argument_expected_and_received(call, error, argument, received):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    if argument is not None:
        assert f"`{argument}`" in message
    assert "Expected" in message and "Received" in message
    assert received in message


# (case id, call with a bad value, argument)
VALUE_CHECKS = [
    ("labels_range", lambda: il.softmax_cross_entropy(X, np.array([0, 1, 3, 1])), "labels"),
    ("labels_negative", lambda: il.softmax_focal_loss(X, np.array([0, -1, 2, 1])), "labels"),
    ("labels_ignore_ok_other_bad", lambda: il.softmax_focal_loss(X, np.array([0, -100, 7, 1]), ignore_index=-100), "labels"),
    ("targets_range", lambda: il.sigmoid_focal_loss(X, np.full((4, 3), 1.5)), "targets"),
    ("dense_labels_range", lambda: il.softmax_cross_entropy(X, np.full((4, 3), -0.5)), "labels"),
    ("logits_finite", lambda: il.sigmoid_cross_entropy(np.full((4, 3), np.inf), Y), "logits"),
    ("logits_nan", lambda: il.softmax_cross_entropy(np.full((4, 3), np.nan), L), "logits"),
    ("weights_non_negative", lambda: il.softmax_cross_entropy(X, L, weights=-np.ones(4)), "weights"),
    ("pos_weight_non_negative", lambda: il.sigmoid_cross_entropy(X, Y, pos_weight=-np.ones(3)), "pos_weight"),
    ("prior_non_negative", lambda: il.adjust_logits(X, np.array([1.0, -1.0, 1.0])), "prior"),
    ("counts_non_negative", lambda: il.class_weights(np.array([1.0, -2.0])), "counts"),
    ("label_indices_range", lambda: il.sparse_multilabel_categorical_crossentropy(X, np.array([[0], [5], [1], [2]])), "label_indices"),
    ("sampling_labels_range", lambda: il.sampling_weights(np.array([0, 3]), 2), "labels"),
    ("class_weights_negative", lambda: il.softmax_cross_entropy(X, L, class_weights=[1.0, -1.0, 1.0]), "class_weights"),
    ("class_weights_nan", lambda: il.softmax_cross_entropy(X, L, class_weights=[1.0, np.nan, 1.0]), "class_weights"),
    ("sigmoid_alpha_array", lambda: il.sigmoid_focal_loss(X, Y, alpha=np.full(3, 1.5)), "alpha"),
    ("softmax_alpha_array", lambda: il.softmax_focal_loss(X, L, alpha=[0.5, -0.5, 1.0]), "alpha"),
    ("ghm_state_negative", lambda: il.ghm_c_loss(X, Y, momentum=0.5, state=-np.ones(10)), "state"),
    ("ghm_state_nan", lambda: il.ghm_r_loss(X, Y, momentum=0.5, state=np.full(10, np.nan)), "state"),
    ("weights_inf", lambda: il.sigmoid_cross_entropy(X, Y, weights=np.full((4, 3), np.inf)), "weights"),
    ("prior_all_zero", lambda: il.logit_adjusted_cross_entropy(X, L, np.zeros(3)), "prior"),
    ("dice_labels_range", lambda: il.softmax_dice_loss(X, np.array([0, 1, 3, 1])), "labels"),
]


@pytest.mark.parametrize("call, argument", [c[1:] for c in VALUE_CHECKS], ids=[c[0] for c in VALUE_CHECKS])
def test_value_check_raises_only_when_switched_on(call, argument):
    with np.errstate(all="ignore"):
        # Off: no check and no host synchronisation. Out-of-range indices then reach
        # the framework's own gather (NumPy raises IndexError; JAX would clamp).
        with contextlib.suppress(IndexError):
            call()
        with il.check_values():
            with pytest.raises(ValueError, match=rf"Invalid values in argument `{argument}`\. Expected .*\. Received: \d+ of \d+ values outside\."):
                call()
    assert not il.value_checks_enabled()


def test_all_zero_prior_is_uniform_with_checks_off():
    """No adjustment rather than 0/0: the plain cross-entropy, finite."""
    np.testing.assert_allclose(il.logit_adjusted_cross_entropy(X + np.arange(3), L, np.zeros(3)),
                               il.softmax_cross_entropy(X + np.arange(3), L), rtol=1e-15)


def test_value_checks_switch_from_environment(monkeypatch):
    import subprocess
    import sys

    code = "import imbalance_losses as il; assert il.value_checks_enabled()"
    env = {**__import__("os").environ, "IMBALANCE_LOSSES_CHECK_VALUES": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_checks_off_means_no_host_sync_under_jit():
    jax = pytest.importorskip("jax")
    fn = jax.jit(lambda x, y: il.softmax_focal_loss(x, y, ignore_index=-100))
    assert np.isfinite(fn(jax.numpy.zeros((4, 3)), jax.numpy.array([0, 1, 2, -100])))
    with il.check_values():  # the checks read values on the host: not traceable
        with pytest.raises(jax.errors.ConcretizationTypeError):
            jax.jit(lambda x, y: il.softmax_focal_loss(x, y))(jax.numpy.zeros((4, 3)), jax.numpy.array([0, 1, 2, 0]))


def test_empty_batch_has_defined_results(framework):
    empty_logits = framework.asarray(np.zeros((0, 3)))
    empty_labels = framework.asarray(np.zeros((0,), int))
    for loss in (il.softmax_cross_entropy, il.softmax_focal_loss, il.soft_truncated_softmax_loss, il.softmax_dice_loss):
        assert framework.to_numpy(loss(empty_logits, empty_labels)) == 0.0
    for loss in (il.sigmoid_cross_entropy, il.sigmoid_focal_loss, il.hard_truncated_loss, il.soft_truncated_loss,
                 il.dice_loss, il.multilabel_categorical_crossentropy):
        assert framework.to_numpy(loss(empty_logits, empty_logits)) == 0.0
    assert framework.to_numpy(il.ghm_c_loss(empty_logits, empty_logits)[0]) == 0.0
    assert framework.to_numpy(il.softmax_cross_entropy(empty_logits, empty_labels, reduction="none")).shape == (0,)


def test_docs_table_lists_every_check():
    from pathlib import Path

    table = (Path(__file__).parents[1] / "docs" / "input-checks.md").read_text()
    for case_id, *_ in STATIC_CHECKS + VALUE_CHECKS:
        assert re.search(rf"`{case_id}`", table), f"docs/input-checks.md does not list {case_id}"
