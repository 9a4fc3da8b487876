"""optax (JAX): its classification and segmentation losses, on our rows they express."""

from __future__ import annotations

from . import Convention, Library, Port
from ._mapping import moved, reduce_like_ours


def _jnp():
    import jax.numpy as jnp

    return jnp


def _reduced(losses, o):
    return reduce_like_ours(losses, o, _jnp().sum)


def _one_hot(y, x, o):
    """Integer labels one-hot on the class axis; dense targets as given."""
    import jax

    jnp = _jnp()
    if jnp.issubdtype(y.dtype, jnp.floating):
        return y
    axis = o.get("axis", -1)
    return jnp.moveaxis(jax.nn.one_hot(y, x.shape[axis], dtype=x.dtype), -1, axis)


def _smoothed(t, o):
    """optax.smooth_labels on the class axis: (1 - ε) t + ε / C, as our label_smoothing."""
    import optax

    axis = o.get("axis", -1)
    jnp = _jnp()
    return jnp.moveaxis(optax.smooth_labels(jnp.moveaxis(t, axis, -1), o["label_smoothing"]), -1, axis)


def _per_image(x, t, o):
    """(N, ..., C) images, class axis last, for optax's segmentation losses."""
    jnp = _jnp()
    return moved(x, o, jnp.moveaxis), moved(t, o, jnp.moveaxis)


def _dice(optax, x, y, o, smooth, alpha=0.5, beta=0.5):
    x, t = _per_image(x, _one_hot(y, x, o), o)
    if x.ndim == 2:  # (N, C): each sample one image of one pixel
        x, t = x[:, None], t[:, None]
    return optax.losses.dice_loss(x, t, alpha=alpha, beta=beta, smooth=smooth, reduction="none")


def _binary_dice(optax, x, y, smooth):
    n = x.shape[0]
    return optax.losses.binary_dice_loss(x.reshape(n, -1), y.reshape(n, -1), smooth=smooth)


SMOOTH_NOTE = ("optax's Dice is its Tversky index at α = β = 0.5, (I + s)/(I + (P − I)/2 + (T − I)/2 + s) = "
               "(2I + 2s)/(P + T + 2s): its smooth s is our smooth=2s")

LIBRARY = Library("optax", "optax", "jax", ports=(
    Port("optax.sigmoid_binary_cross_entropy(x, y)", "sigmoid_cross_entropy",
         "il.sigmoid_cross_entropy(x, y, reduction='none')", ("default", "weights_none", "soft_sum", "extreme"),
         lambda optax, x, y, o: _reduced(optax.sigmoid_binary_cross_entropy(x, y), o)),
    Port("optax.sigmoid_focal_loss(x, y, alpha=a, gamma=g)", "sigmoid_focal_loss",
         "il.sigmoid_focal_loss(x, y, alpha=a, gamma=g, reduction='none')",
         ("default", "alpha_off_gamma_half", "weights", "soft_none", "extreme"),
         lambda optax, x, y, o: _reduced(optax.sigmoid_focal_loss(x, y, alpha=o["alpha"], gamma=o["gamma"]), o)),
    Port("optax.softmax_cross_entropy_with_integer_labels(x, labels, axis=k)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, labels, axis=k, reduction='none')", ("default", "extreme"),
         lambda optax, x, y, o: _reduced(optax.softmax_cross_entropy_with_integer_labels(x, y, axis=o["axis"]), o)),
    Port("optax.softmax_cross_entropy(x, optax.smooth_labels(t, e), axis=k)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, t, label_smoothing=e, axis=k, reduction='none')", ("soft_smoothing",),
         lambda optax, x, y, o: _reduced(optax.softmax_cross_entropy(x, _smoothed(y, o), axis=o["axis"]), o)),
    Port("optax.losses.poly_loss_cross_entropy(x, t, epsilon=e, axis=k)", "poly1_cross_entropy",
         "il.poly1_cross_entropy(x, t, epsilon=e, axis=k, reduction='none')",
         ("default", "weights", "soft", "extreme", "epsilon2_smoothing"),
         lambda optax, x, y, o: _reduced(optax.losses.poly_loss_cross_entropy(
             x, _smoothed(_one_hot(y, x, o), o), epsilon=o["epsilon"], axis=o["axis"]), o)),
    Port("optax.losses.dice_loss(x, t, alpha=a, beta=b, smooth=s, reduction='none')", "softmax_tversky_loss",
         "il.softmax_tversky_loss(x, labels, alpha=a, beta=b, smooth=s, per_image=True, reduction='none')",
         ("per_image_ignore_empty_none",),
         lambda optax, x, y, o: _dice(optax, x, y, o, o["smooth"], o["alpha"], o["beta"]),
         convention=Convention(
             "il.softmax_tversky_loss(x, labels, alpha=a, beta=b, smooth=s, per_image=True, reduction='none')",
             "optax has no ignore_empty: an image's absent class counts as a set of loss 1 - s/(P_c + s)",
             options=lambda o: {**o, "ignore_empty": False})),
    Port("optax.losses.dice_loss(x, t, smooth=s, reduction='none')", "softmax_dice_loss",
         "il.softmax_dice_loss(x, labels, smooth=2 * s, per_image=True, reduction='none')", ("per_image_none",),
         lambda optax, x, y, o: _dice(optax, x, y, o, o["smooth"]),
         convention=Convention("il.softmax_dice_loss(x, labels, smooth=2 * s, per_image=True, reduction='none')",
                               SMOOTH_NOTE, theirs=lambda optax, x, y, o: _dice(optax, x, y, o, o["smooth"] / 2))),
    Port("optax.losses.binary_dice_loss(x.reshape(n, -1), y.reshape(n, -1), smooth=s)", "dice_loss",
         "il.dice_loss(x, y, smooth=2 * s, per_image=True, reduction='none')", ("per_image_none",),
         lambda optax, x, y, o: _binary_dice(optax, x, y, o["smooth"]), shapes=("NC", "NCHW"),
         convention=Convention("il.dice_loss(x, y, smooth=2 * s, per_image=True, reduction='none')", SMOOTH_NOTE,
                               theirs=lambda optax, x, y, o: _binary_dice(optax, x, y, o["smooth"] / 2))),
))
