"""segmentation_models_pytorch's loss files (PyTorch), loaded without smp's ``__init__``
(which needs torchvision and timm's models).

smp's losses take a ``mode``: "binary" (one channel, pooled over the batch), "multiclass"
(class indices, softmax over axis 1) or "multilabel"; Dice, Tversky and Jaccard form one
set per class pooled over the batch.
"""

from __future__ import annotations

from . import Convention, Library, Port
from ._mapping import torch_reduced

IMAGES = ("NCHW",)
ABSENT = ("a class absent from the batch's targets gets loss 0 but stays in the mean over classes (ours with "
          "ignore_empty=True leaves it out; without, counts its loss)")
DICE_SMOOTH = ("smp's Dice is its Tversky score at α = β = 0.5, (I + s)/(I + (P − I)/2 + (T − I)/2 + s) = "
               "(2I + 2s)/(P + T + 2s): its smooth s is our smooth=2s")


def _absent_as_zero(oracle, x, labels, o):
    """Ours per class (pooled, reduction="none"), a class absent from the labels counted as 0, averaged."""
    import numpy as np

    per_class = oracle(x, labels, **{**o, "reduction": "none"})
    present = np.bincount(np.ravel(labels), minlength=x.shape[1]) > 0
    return np.mean(per_class * present)


def _focal_of_mean(oracle, x, labels, o):
    """smp's focal Tversky: the class mean (absent classes as 0) of ours at γ = 1, to the power γ."""
    from .. import oracles

    tversky = {k: v for k, v in o.items() if k != "gamma"}
    return _absent_as_zero(oracles.ORACLES["softmax_tversky_loss"], x, labels, tversky) ** o.get("gamma", 4 / 3)


def _absent(code, note="", theirs=None):
    return Convention(f"(il.{code}(..., reduction='none') * present).mean()", (note + "; " if note else "") + ABSENT,
                      theirs=theirs, composed=_absent_as_zero)


def _multiclass(smp, cls, x, y, o, **kwargs):
    return cls("multiclass", from_logits=True, smooth=o["smooth"], **kwargs)(x, y)


def _binary_dice(smp, x, y, o, smooth):
    return smp.DiceLoss("binary", from_logits=True, smooth=smooth)(x.reshape(x.shape[0], 1, -1),
                                                                    y.reshape(y.shape[0], 1, -1))


LIBRARY = Library("segmentation_models_pytorch", "segmentation_models_pytorch", "torch", subpackage="losses", ports=(
    Port("smp.losses.DiceLoss('binary', smooth=s)", "dice_loss", "il.dice_loss(x, y, smooth=2 * s)", ("default",),
         lambda smp, x, y, o: _binary_dice(smp, x, y, o, o["smooth"]),
         convention=Convention("il.dice_loss(x, y, smooth=2 * s)", DICE_SMOOTH,
                               theirs=lambda smp, x, y, o: _binary_dice(smp, x, y, o, o["smooth"] / 2))),
    Port("smp.losses.DiceLoss('multiclass', smooth=s)", "softmax_dice_loss",
         "(il.softmax_dice_loss(x, labels, smooth=2 * s, axis=1, reduction='none') * present).mean()", ("default",),
         lambda smp, x, y, o: _multiclass(smp, smp.DiceLoss, x, y, o), shapes=IMAGES,
         convention=_absent("softmax_dice_loss", DICE_SMOOTH, theirs=lambda smp, x, y, o: _multiclass(
             smp, smp.DiceLoss, x, y, {**o, "smooth": o["smooth"] / 2}))),
    Port("smp.losses.TverskyLoss('multiclass', alpha=a, beta=b, gamma=1.0, smooth=s)", "softmax_tversky_loss",
         "(il.softmax_tversky_loss(x, labels, alpha=a, beta=b, smooth=s, axis=1, reduction='none') * present).mean()",
         ("default",),
         lambda smp, x, y, o: _multiclass(smp, smp.TverskyLoss, x, y, o, alpha=o["alpha"], beta=o["beta"]),
         shapes=IMAGES, convention=_absent("softmax_tversky_loss")),
    Port("smp.losses.TverskyLoss('multiclass', alpha=a, beta=b, gamma=g, smooth=s)", "softmax_focal_tversky_loss",
         "(il.softmax_focal_tversky_loss(x, labels, alpha=a, beta=b, gamma=1/g, smooth=s, axis=1, reduction='none') "
         "* present).mean()", ("default",),
         lambda smp, x, y, o: _multiclass(smp, smp.TverskyLoss, x, y, o, alpha=o["alpha"], beta=o["beta"],
                                          gamma=o["gamma"]), shapes=IMAGES,
         convention=Convention(
             "(il.softmax_tversky_loss(x, labels, alpha=a, beta=b, smooth=s, axis=1, reduction='none') * present)"
             ".mean() ** g", "smp raises the mean over classes of 1 - TI to γ; Abraham and Khan (and ours) raise each "
             "class's 1 - TI to 1/γ, then average; " + ABSENT, composed=_focal_of_mean, against_paper=True)),
    Port("smp.losses.MCCLoss()(sigmoid(x), y)", "mcc_loss", "il.mcc_loss(x, y)", ("default", "soft"),
         lambda smp, x, y, o: smp.MCCLoss()(x.sigmoid(), y),
         known={row: "smp adds eps = 1e-5 to each of the four counts (ours: smooth under the root): a "
                     "relative difference of order 1e-8" for row in ("default", "soft")}),
    Port("smp.losses.FocalLoss('binary', alpha=a, gamma=g, reduction=r)", "sigmoid_focal_loss",
         "il.sigmoid_focal_loss(x, y, alpha=a, gamma=g, reduction=r)", ("default", "alpha_off_gamma_half", "extreme"),
         lambda smp, x, y, o: smp.FocalLoss("binary", alpha=o["alpha"], gamma=o["gamma"], reduction=o["reduction"])(
             x.reshape(-1, 1), y.reshape(-1, 1)).reshape(x.shape if o["reduction"] == "none" else ()),
         known={"alpha_off_gamma_half": "(1 - p_t)^γ with γ < 1 is differentiated as written: an infinite "
                                        "derivative where p_t rounds to 1 (ours differentiates it in log space)"}),
    Port("smp.losses.LovaszLoss('binary', per_image=p)", "lovasz_hinge_loss", "il.lovasz_hinge_loss(x, y, per_image=p)",
         ("default", "pooled"),
         lambda smp, x, y, o: smp.LovaszLoss("binary", per_image=o["per_image"])(x, y),
         known={row: "raises in float64: the Lovász gradient is built in float32" for row in ("default", "pooled")}),
    Port("smp.losses.LovaszLoss('multiclass', per_image=p)", "lovasz_softmax_loss",
         "il.lovasz_softmax_loss(x, labels, per_image=p, axis=1)", ("default",),
         lambda smp, x, y, o: smp.LovaszLoss("multiclass", per_image=o["per_image"])(x, y), shapes=IMAGES,
         known={"default": "raises for every dtype but float32: the Lovász gradient is built in float32"}),
    Port("smp.losses.SoftBCEWithLogitsLoss(smooth_factor=e, pos_weight=w, reduction='none')", "sigmoid_cross_entropy",
         "il.sigmoid_cross_entropy(x, y, label_smoothing=2 * e, pos_weight=w, reduction='none')",
         ("default", "pos_weight", "label_smoothing", "weights_none", "extreme"),
         lambda smp, x, y, o: _soft_bce(smp, x, y, o, o["label_smoothing"]),
         convention=Convention("il.sigmoid_cross_entropy(x, y, label_smoothing=2 * e, ...)",
                               "smp smooths targets to (1 - y) e + y (1 - e), towards 1/2 by e; ours (as Keras and "
                               "PyTorch) to y (1 - ε) + ε/2: smp's e is our ε/2",
                               theirs=lambda smp, x, y, o: _soft_bce(smp, x, y, o, o["label_smoothing"] / 2))),
    Port("smp.losses.SoftCrossEntropyLoss(smooth_factor=e, ignore_index=i, dim=k)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, labels, label_smoothing=e, ignore_index=i, axis=k)",
         ("default", "ignore_index_only", "extreme"),
         lambda smp, x, y, o: _soft_ce(smp, x, y, o),
         convention=Convention("il.softmax_cross_entropy(x, labels, ignore_index=i, reduction='sum') / labels.size",
                               "smp's mean divides by every element, ignored ones included (ours, as PyTorch, by the "
                               "elements kept)", composed=lambda oracle, x, labels, o: oracle(
                                   x, labels, **{**o, "reduction": "sum"}) / labels.size)),
))


def _soft_bce(smp, x, y, o, smoothing):
    import torch

    pos_weight = None if o["pos_weight"] is None else torch.as_tensor(o["pos_weight"], dtype=x.dtype)
    loss = smp.SoftBCEWithLogitsLoss(smooth_factor=smoothing or None, pos_weight=pos_weight, reduction="none")
    return torch_reduced(loss(x, y), o)


def _soft_ce(smp, x, y, o):
    ignore = -100 if o["ignore_index"] is None else o["ignore_index"]
    loss = smp.SoftCrossEntropyLoss(smooth_factor=o["label_smoothing"], ignore_index=ignore,
                                    dim=o["axis"] % x.ndim, reduction="none" if o["reduction"] == "none" else "mean")
    return loss(x, y).squeeze(o["axis"] % x.ndim) if o["reduction"] == "none" else loss(x, y)
