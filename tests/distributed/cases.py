"""Shared inputs for the k-replica vs one-process tests: a linear model on 8 examples."""

import numpy as np

N, F, C = 8, 3, 4
STEPS = 2  # the state of GHM, Seesaw and EQLv2 is threaded through two steps

# (loss, options, target kind, per-element weights)
CASES = [
    ("ghm_c_loss", {"bins": 10, "momentum": 0.75}, "binary", False),
    ("ghm_c_loss", {"bins": 5, "momentum": 0.9, "bias_correction": True}, "binary", True),
    ("ghm_r_loss", {"mu": 0.02, "bins": 10, "momentum": 0.7}, "regression", False),
    ("dice_loss", {"alpha": 0.1}, "binary", True),
    ("dice_loss", {"square_denominator": True, "ignore_empty": True}, "binary", False),
    ("softmax_dice_loss", {"alpha": 0.2}, "labels", True),
    ("softmax_dice_loss", {"ignore_empty": True, "reduction": "none"}, "labels", False),
    ("softmax_cross_entropy", {"class_weights": [0.5, 1.0, 2.0, 4.0], "ignore_index": -100}, "labels", True),
    ("sigmoid_focal_loss", {}, "binary", True),
    ("seesaw_loss", {}, "labels", True),
    ("seesaw_loss", {"p": 0.5, "q": 1.0}, "labels", False),
    ("eqlv2_loss", {}, "binary", True),
    ("eqlv2_loss", {"mu": 0.3, "alpha": 2.0}, "binary", False),
    # The overlap losses share the sets of the Dice losses above; these add the per-channel
    # sets, the global mean over images, the class weights from global volumes and the
    # per-image Lovász sort.
    ("focal_tversky_loss", {"alpha": 0.3, "beta": 0.7, "class_axis": 1}, "binary", True),
    ("softmax_tversky_loss", {"per_image": True, "ignore_empty": True}, "labels", True),
    ("generalized_dice_loss", {}, "labels", True),
    ("lovasz_softmax_loss", {"per_image": True}, "labels", False),
    # BMC compares each prediction with every replica's targets (replica_gather); a target
    # of weight 0 is no candidate on any replica.
    ("balanced_mse_loss", {"noise_variance": 0.5}, "vectors", False),
    ("balanced_mse_loss", {"noise_variance": 2.0}, "vectors", True),
    ("focal_regression_loss", {"kind": "l1", "gamma": 2.0}, "regression", True),
]
# Losses that also take a replica_gather hook.
GATHERING = {"balanced_mse_loss"}


def state_shape(name, options):
    """The shape of a stateful loss's state (zeros at the start), or None."""
    return {"ghm_c_loss": (options.get("bins", 10),), "ghm_r_loss": (options.get("bins", 10),),
            "seesaw_loss": (C,), "eqlv2_loss": (2, C)}.get(name)


def data(step):
    """Features, targets by kind and element weights for one step (seeded)."""
    rng = np.random.default_rng(100 + step)
    features = rng.normal(size=(N, F))
    labels = rng.integers(0, C, N)
    labels[rng.random(N) < 0.2] = -100
    targets = {
        "binary": (rng.random((N, C)) < 0.3).astype(np.float64),
        "regression": rng.normal(size=(N, C)) * 0.5,
        "vectors": rng.normal(size=(N, C)),  # C-dimensional regression targets, one per sample
        "labels": np.where(labels < 0, rng.integers(0, C, N), labels),
    }
    weights = rng.random(N) * (rng.random(N) < 0.8)
    return features, targets, weights


def initial_parameters():
    rng = np.random.default_rng(7)
    return rng.normal(size=(F, C)) * 0.5, rng.normal(size=C) * 0.1


def element_weights(kind, weights):
    """Per-element weights of the loss's unreduced shape."""
    return weights if kind in ("labels", "vectors") else np.repeat(weights[:, None], C, axis=1)


def reduce_output(value):
    """A scalar from a loss output ("none" of pooled softmax Dice is per class)."""
    if not getattr(value, "ndim", 0):
        return value
    if type(value).__module__.startswith("tensorflow"):
        import tensorflow as tf

        return tf.reduce_sum(value)
    return value.sum()
