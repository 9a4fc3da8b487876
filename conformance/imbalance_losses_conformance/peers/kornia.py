"""kornia (PyTorch): its focal, Dice, Tversky and Lovász losses, on our rows they express.

kornia's segmentation losses take (B, C, H, W) logits and (B, H, W) labels and return
the mean over images; its focal losses return per-element values with reduction="none".
"""

from __future__ import annotations

from . import Convention, Library, Port
from ._mapping import linear_in_targets, torch_reduced

PER_IMAGE_PRESENT = ("kornia forms one set per image and class, averages each image over the classes present in "
                     "its target, then averages the images (ours with per_image=True, ignore_empty=True averages "
                     "over every present image-class set at once); no smoothing")

SOFT_TERMS = ("with soft targets kornia weights each term of the binary formula by y and 1 - y; ours (as torchvision "
              "and optax) applies the focal factor to p_t = p y + (1 - p)(1 - y). Equal for 0/1 targets")


def _image_by_image(oracle, x, labels, o):
    """Ours on each image alone (its present classes), averaged over the images."""
    o = {**o, "smooth": 0.0, "ignore_empty": True, "per_image": False}
    return sum(oracle(x[i:i + 1], labels[i:i + 1], **o) for i in range(len(x))) / len(x)


def _per_image(call):
    return Convention(f"mean over images i of {call}", PER_IMAGE_PRESENT, composed=_image_by_image)

LIBRARY = Library("kornia", "kornia", "torch", subpackage="losses", ports=(
    Port("kornia.losses.binary_focal_loss_with_logits(x, y, alpha=a, gamma=g, reduction='none')", "sigmoid_focal_loss",
         "il.sigmoid_focal_loss(x, y, alpha=a, gamma=g, reduction='none')",
         ("default", "alpha_off_gamma_half", "weights", "soft_none", "extreme"),
         lambda kornia, x, y, o: torch_reduced(kornia.binary_focal_loss_with_logits(
             x, y, alpha=o["alpha"], gamma=o["gamma"], reduction="none"), o), shapes=("NC", "NCHW", "extreme"),
         convention=Convention("y * il.sigmoid_focal_loss(x, 1, ...) + (1 - y) * il.sigmoid_focal_loss(x, 0, ...)",
                               SOFT_TERMS, composed=linear_in_targets)),
    Port("kornia.losses.focal_loss(x, labels, alpha=None, gamma=g, reduction='none').sum(1)", "softmax_focal_loss",
         "il.softmax_focal_loss(x, labels, gamma=g, axis=1, reduction='none')", ("default", "extreme"),
         lambda kornia, x, y, o: torch_reduced(kornia.focal_loss(
             x, y, alpha=o["alpha"], gamma=o["gamma"], reduction="none").sum(1), o)),
    Port("kornia.losses.dice_loss(x, labels, average='macro', eps=0.0)", "softmax_dice_loss",
         "mean over images i of il.softmax_dice_loss(x[i:i+1], labels[i:i+1], smooth=0.0, ignore_empty=True, axis=1)",
         ("default",),
         lambda kornia, x, y, o: kornia.dice_loss(x, y, average="macro", eps=0.0), shapes=("NCHW",),
         convention=_per_image("il.softmax_dice_loss(x[i:i+1], labels[i:i+1], smooth=0.0, ignore_empty=True, axis=1)")),
    Port("kornia.losses.tversky_loss(x, labels, alpha=a, beta=b, eps=0.0)", "softmax_tversky_loss",
         "mean over images i of il.softmax_tversky_loss(x[i:i+1], labels[i:i+1], alpha=a, beta=b, smooth=0.0, "
         "ignore_empty=True, axis=1)", ("default",), lambda kornia, x, y, o: kornia.tversky_loss(x, y, alpha=o["alpha"], beta=o["beta"], eps=0.0),
         shapes=("NCHW",),
         convention=_per_image("il.softmax_tversky_loss(x[i:i+1], labels[i:i+1], alpha=a, beta=b, smooth=0.0, "
                               "ignore_empty=True, axis=1)")),
    Port("kornia.losses.lovasz_softmax_loss(x, labels)", "lovasz_softmax_loss",
         "il.lovasz_softmax_loss(x, labels, per_image=True, classes='all', axis=1)", ("default",),
         lambda kornia, x, y, o: kornia.lovasz_softmax_loss(x, y), shapes=("NCHW",),
         convention=Convention("il.lovasz_softmax_loss(x, labels, per_image=True, classes='all', axis=1)",
                               "kornia's Lovász-Softmax is per image and averages over every class, present or not",
                               options=lambda o: {**o, "per_image": True, "classes": "all"})),
    Port("kornia.losses.lovasz_hinge_loss(x.reshape(n, 1, -1, 1), y.reshape(n, -1, 1))", "lovasz_hinge_loss",
         "il.lovasz_hinge_loss(x, y)", ("default",),
         lambda kornia, x, y, o: kornia.lovasz_hinge_loss(x.reshape(x.shape[0], 1, -1, 1),
                                                          y.reshape(y.shape[0], -1, 1))),
))
