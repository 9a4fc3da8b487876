"""MONAI (PyTorch): its Dice family and focal losses, on our (N, C, H, W) rows.

MONAI takes (N, C, H, W) logits and (N, 1, H, W) labels with ``to_onehot_y=True``;
``batch=True`` pools the batch into one set per class (our default), ``batch=False``
forms one set per image and class (our ``per_image=True``).
"""

from __future__ import annotations

from . import Convention, Library, Port
from ._mapping import torch_reduced
from .libauc import FLOAT32_PRIOR, auc_variables

IMAGES = ("NCHW",)


def _labels(y):
    """Integer labels as MONAI's (N, 1, H, W) channel, for ``to_onehot_y``; dense targets as given."""
    return y if y.is_floating_point() else y[:, None]


def _onehot(y):
    return {} if y.is_floating_point() else {"to_onehot_y": True}


def _sets(monai, cls, x, y, o, **kwargs):
    """A Dice-family loss: pooled (batch=True) or per image, smoothing s in numerator and denominator."""
    per_image = o["per_image"]
    loss = cls(softmax=True, batch=not per_image, smooth_nr=o["smooth"], smooth_dr=o["smooth"],
               reduction="none" if o["reduction"] == "none" else "mean", **_onehot(y), **kwargs)
    out = loss(x, _labels(y))
    if o["reduction"] == "none":  # (N, C, 1, 1) per image and class, or (C,) pooled: as ours
        return out.reshape(x.shape[0], x.shape[1]) if per_image else out.reshape(-1)
    return out


def _tversky(monai, x, y, o, **kwargs):
    ignore = {} if o["ignore_index"] is None else {"ignore_index": o["ignore_index"]}
    return _sets(monai, monai.TverskyLoss, x, y, o, alpha=o["alpha"], beta=o["beta"], **ignore, **kwargs)


def _softmax_focal(monai, x, y, o, scale=1.0):
    loss = monai.FocalLoss(use_softmax=True, gamma=o["gamma"], **_onehot(y))
    return scale * loss(x, _labels(y))


LIBRARY = Library("MONAI", "monai", "torch", subpackage="losses", ports=(
    Port("monai.losses.DiceLoss(softmax=True, to_onehot_y=True, batch=not per_image, smooth_nr=s, smooth_dr=s)",
         "softmax_dice_loss", "il.softmax_dice_loss(x, labels, smooth=s, per_image=per_image, axis=1)",
         ("default", "per_image_none"),
         lambda monai, x, y, o: _sets(monai, monai.DiceLoss, x, y, o), shapes=IMAGES),
    Port("monai.losses.TverskyLoss(softmax=True, to_onehot_y=True, alpha=a, beta=b, batch=not per_image, "
         "smooth_nr=s, smooth_dr=s, ignore_index=i)", "softmax_tversky_loss",
         "il.softmax_tversky_loss(x, labels, alpha=a, beta=b, smooth=s, per_image=per_image, ignore_index=i, axis=1)",
         ("default", "recall_ignore_index_none", "soft_smooth"),
         lambda monai, x, y, o: _tversky(monai, x, y, o), shapes=IMAGES,
         convention=Convention("monai.losses.TverskyLoss(..., soft_label=True)",
                               "for soft targets ours takes TP = Σ min(p, t), MONAI's soft_label=True (its default "
                               "multiplies p t)", theirs=lambda monai, x, y, o: _tversky(monai, x, y, o, soft_label=True))),
    Port("monai.losses.GeneralizedDiceLoss(softmax=True, to_onehot_y=True, w_type=w, batch=not per_image)",
         "generalized_dice_loss", "il.generalized_dice_loss(x, labels, weight_type=w, per_image=per_image, axis=1)",
         ("default", "soft"),
         lambda monai, x, y, o: monai.GeneralizedDiceLoss(
             softmax=True, w_type=o["weight_type"], batch=not o["per_image"], smooth_nr=o["smooth"],
             smooth_dr=o["smooth"], **_onehot(y))(x, _labels(y)), shapes=IMAGES,
         float64_note="MONAI computes the class weights in float32 (ground_o.float()), for float64 inputs too"),
    Port("monai.losses.FocalLoss(use_softmax=True, to_onehot_y=True, gamma=g)", "softmax_focal_loss",
         "il.softmax_focal_loss(x, labels, gamma=g, axis=1) / C", ("default",), _softmax_focal, shapes=IMAGES,
         float64_note="MONAI's focal loss computes in float32, float64 inputs too",
         convention=Convention("C * monai.losses.FocalLoss(use_softmax=True, to_onehot_y=True, gamma=g)(x, y)",
                               "MONAI's mean runs over the class axis too: ours is C times it",
                               theirs=lambda monai, x, y, o: _softmax_focal(monai, x, y, o, scale=x.shape[1]))),
    Port("monai.losses.FocalLoss(gamma=g, alpha=a, reduction='none')", "sigmoid_focal_loss",
         "il.sigmoid_focal_loss(x, y, gamma=g, alpha=a, reduction='none')",
         ("default", "alpha_off_gamma_half", "weights", "soft_none"),
         lambda monai, x, y, o: torch_reduced(monai.FocalLoss(gamma=o["gamma"], alpha=o["alpha"], reduction="none")(
             x, y), o), shapes=("NC", "NCHW"),
         float64_note="MONAI's sigmoid focal loss computes in float32, float64 inputs too",
         known={"soft_none": "for soft targets MONAI's focal factor is sigmoid(-x (2t - 1))^γ; ours (as torchvision "
                             "and optax) is (1 - p_t)^γ with p_t = p t + (1 - p)(1 - t): equal for 0/1 targets"}),
    Port("monai.losses.AUCMLoss(margin=m) with parameters a, b, alpha", "auc_margin_loss",
         "il.auc_margin_loss(x, y, a, b, alpha, margin=m)", ("default",),
         lambda monai, x, y, o: auc_variables(monai.AUCMLoss(margin=o["margin"]), x, o)(
             x.reshape(-1, 1), y.reshape(-1, 1)), float64_note=FLOAT32_PRIOR),
    Port("monai.losses.MCCLoss(sigmoid=True, batch=True, smooth_dr=s, reduction='none')", "mcc_loss",
         "il.mcc_loss(x, y, smooth=s, class_axis=1, reduction='none')", ("class_axis_none",),
         lambda monai, x, y, o: monai.MCCLoss(sigmoid=True, batch=True, smooth_dr=o["smooth"], reduction="none")(
             x, y).reshape(-1)),
    Port("monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, batch=not per_image, smooth_nr=s, smooth_dr=s, "
         "lambda_dice=d, lambda_ce=c)", "softmax_dice_cross_entropy_loss",
         "il.softmax_dice_cross_entropy_loss(x, labels, smooth=s, per_image=per_image, dice_weight=d, "
         "cross_entropy_weight=c, axis=1)", ("default",),
         lambda monai, x, y, o: monai.DiceCELoss(
             softmax=True, to_onehot_y=True, batch=not o["per_image"], smooth_nr=o["smooth"], smooth_dr=o["smooth"],
             lambda_dice=o["dice_weight"], lambda_ce=o["cross_entropy_weight"])(x, y[:, None]), shapes=IMAGES),
    Port("monai.losses.DiceFocalLoss(softmax=True, to_onehot_y=True, gamma=g, batch=not per_image, smooth_nr=s, "
         "smooth_dr=s)", "softmax_dice_focal_loss",
         "il.softmax_dice_focal_loss(x, labels, gamma=g, smooth=s, per_image=per_image, axis=1)", ("default",),
         lambda monai, x, y, o: monai.DiceFocalLoss(
             softmax=True, to_onehot_y=True, gamma=o["gamma"], batch=not o["per_image"], smooth_nr=o["smooth"],
             smooth_dr=o["smooth"], lambda_dice=o["dice_weight"], lambda_focal=o["focal_weight"])(x, y[:, None]),
         shapes=IMAGES,
         known={"default": "with softmax=True the focal term is a sigmoid focal loss of the one-hot channels, not "
                           "the softmax focal loss (MONAI#8242)"}),
))
