"""Keras 3 on its TensorFlow backend: the built-in losses, on our rows they express.

Keras averages its binary losses over the last axis; the ports give it a trailing axis
of one element, so that ``reduction=None`` returns one loss per element, and apply our
weights and reduction to that.
"""

from __future__ import annotations

import os

from . import Convention, Library, Port
from ._mapping import reduce_like_ours

# The backend is chosen when Keras is first imported: before the port's module loads.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


EPSILON = "backend.epsilon() = 1e-7 in the denominator moves float64 results by about 1e-7 / (P + T)"


def _tf():
    import tensorflow as tf

    return tf


def _reduced(losses, o):
    weights = o.get("weights")
    if weights is not None:  # Keras computes float16 inputs in float32
        o = {**o, "weights": _tf().cast(weights, losses.dtype)}
    return reduce_like_ours(losses, o, _tf().reduce_sum)


def _dtype(x):
    """Keras computes a loss in its dtype policy's float32 unless told: float64 inputs
    are computed in float64, as a user of them sets; float16 ones in float32, as Keras'
    mixed precision does."""
    return {"dtype": "float64"} if x.dtype == _tf().float64 else {}


def _per_element(loss, x, y, o):
    """A binary Keras loss per element: a trailing axis of one, so its mean is over one value."""
    return _reduced(loss(y[..., None], x[..., None]), o)


def _one_hot(y, x, o):
    tf = _tf()
    if y.dtype.is_floating:
        return tf.cast(y, x.dtype)
    return tf.experimental.numpy.moveaxis(tf.one_hot(y, x.shape[o["axis"]], dtype=x.dtype), -1, o["axis"])


def _categorical(keras, loss, x, y, o):
    """A categorical Keras loss on the class axis (our ``axis``), one value per sample."""
    return _reduced(loss(_one_hot(y, x, o), x), o)


def _sigmoid(x):
    return _tf().math.sigmoid(x)


def _focal(keras, x, y, o):
    return _per_element(keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=o["alpha"] is not None, alpha=o["alpha"] or 0.25, gamma=o["gamma"], from_logits=True,
        reduction=None, **_dtype(x)), x, y, o)


def _categorical_focal(keras, x, y, o):
    """Per-class α shaped to broadcast along the class axis (Keras multiplies it in as given)."""
    alpha = 1.0 if o["alpha"] is None else o["alpha"]
    if getattr(alpha, "ndim", 0) == 1:
        alpha = _tf().reshape(_tf().cast(alpha, x.dtype), (-1,) + (1,) * (x.ndim - 1 - o["axis"] % x.ndim))
    return _categorical(keras, keras.losses.CategoricalFocalCrossentropy(
        alpha=alpha, gamma=o["gamma"], from_logits=True, axis=o["axis"], reduction=None, **_dtype(x)), x, y, o)


LIBRARY = Library("keras", "keras", "tensorflow", ports=(
    Port("keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=e)", "sigmoid_cross_entropy",
         "il.sigmoid_cross_entropy(x, y, label_smoothing=e)",
         ("default", "label_smoothing", "weights_none", "soft_sum", "extreme"),
         lambda keras, x, y, o: _per_element(keras.losses.BinaryCrossentropy(
             from_logits=True, label_smoothing=o["label_smoothing"], reduction=None, **_dtype(x)), x, y, o)),
    Port("keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=a, gamma=g, from_logits=True)",
         "sigmoid_focal_loss", "il.sigmoid_focal_loss(x, y, alpha=a, gamma=g)",
         ("default", "alpha_off_gamma_half", "weights", "soft_none", "extreme"), _focal),
    Port("keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=e, axis=k)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, labels, label_smoothing=e, axis=k)", ("default", "soft_smoothing", "extreme"),
         lambda keras, x, y, o: _categorical(keras, keras.losses.CategoricalCrossentropy(
             from_logits=True, label_smoothing=o["label_smoothing"], axis=o["axis"], reduction=None, **_dtype(x)),
             x, y, o),
         known={"soft_smoothing": "label smoothing divides by the size of the last axis, not of the class axis "
                                  "(keras#23437, fixed after 3.15)",
                "extreme": "probabilities clipped to [1e-7, 1 - 1e-7]: the loss stops at -log 1e-7 = 16.1 and the "
                           "gradient vanishes at saturated logits"}),
    Port("keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=i)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, labels, ignore_index=i)", ("default", "ignore_index_only", "extreme"),
         lambda keras, x, y, o: _sparse(keras, x, y, o), shapes=("NC", "extreme")),
    Port("keras.losses.CategoricalFocalCrossentropy(alpha=a, gamma=g, from_logits=True, axis=k)", "softmax_focal_loss",
         "il.softmax_focal_loss(x, labels, alpha=a, gamma=g, axis=k)", ("default", "alpha_per_class", "extreme"),
         _categorical_focal,
         known={"extreme": "probabilities clipped to [1e-7, 1 - 1e-7]: the loss stops at -log 1e-7 = 16.1 and the "
                           "gradient vanishes at saturated logits"}),
    Port("keras.losses.Dice()(y, sigmoid(x))", "dice_loss", "il.dice_loss(x, y, smooth=0.0)", ("default", "extreme"),
         lambda keras, x, y, o: keras.losses.Dice(**_dtype(x))(y, _sigmoid(x)),
         convention=Convention("il.dice_loss(x, y, smooth=0.0)",
                               "Keras' Dice has no smoothing term (only backend.epsilon() = 1e-7 in the denominator)",
                               options=lambda o: {**o, "smooth": 0.0}),
         known={row: EPSILON for row in ("default", "extreme")}),
    Port("keras.losses.Tversky(alpha=a, beta=b)(y, sigmoid(x))", "tversky_loss",
         "il.tversky_loss(x, y, alpha=b, beta=a, smooth=0.0)", ("default", "recall"),
         lambda keras, x, y, o: keras.losses.Tversky(alpha=o["alpha"], beta=o["beta"], **_dtype(x))(y, _sigmoid(x)),
         convention=Convention(
             "il.tversky_loss(x, y, alpha=b, beta=a, smooth=0.0)",
             "α weights the false negatives and β the false positives, swapped against Salehi et al. "
             "(keras#23333, fixed after 3.15); no smoothing term",
             options=lambda o: {**o, "alpha": o.get("beta", 0.5), "beta": o.get("alpha", 0.5), "smooth": 0.0},
             against_paper=True),
         known={row: EPSILON for row in ("default", "recall")}),
))


def _sparse(keras, x, y, o):
    """Keras' own reduction for our "mean" (what a Keras user gets), per sample otherwise."""
    keep = {} if o["reduction"] == "mean" else {"reduction": None}
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=o["ignore_index"], **keep,
                                                      **_dtype(x))
    return loss(y, x) if keep == {} else _reduced(loss(y, x), o)
