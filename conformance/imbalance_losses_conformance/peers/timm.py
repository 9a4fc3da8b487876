"""timm's loss files (PyTorch), loaded without timm's ``__init__`` (which needs torchvision).

timm's losses take (N, C) logits with classes on the last axis; multi-label ones dense
targets, single-label ones class indices.
"""

from __future__ import annotations

from . import Convention, Library, Port
from ._mapping import torch_reduced

ROWS_NC = ("NC", "extreme")
FLOAT32 = "timm computes its losses in float32 (x.float()), float64 inputs too"
CLAMP = ("log p and log(1 - p) clamped at 1e-8 (loss at most 18.4 per term, zero gradient beyond): saturated "
         "logits give another value")


def _asl(timm, x, y, o):
    return torch_reduced(timm.AsymmetricLossMultiLabel(
        gamma_neg=o["gamma_neg"], gamma_pos=o["gamma_pos"], clip=o["clip"], reduction="none")(x, y), o)


LIBRARY = Library("timm", "timm", "torch", subpackage="loss", ports=(
    Port("timm.loss.AsymmetricLossMultiLabel(gamma_neg=gn, gamma_pos=gp, clip=c, reduction='none')",
         "asymmetric_loss", "il.asymmetric_loss(x, y, gamma_neg=gn, gamma_pos=gp, clip=c, reduction='none')",
         ("default", "gamma_pos1_no_clip", "gamma_half_weights", "soft_none", "extreme"), _asl, shapes=ROWS_NC, float64_note=FLOAT32,
         known={"extreme": CLAMP, "soft_none": "for soft targets timm mixes p_t and the exponent with the target "
                                              "(γ = γ+ t + γ- (1 - t)); ours is linear in the target, "
                                              "t ℓ(x, 1) + (1 - t) ℓ(x, 0): equal for 0/1 targets"}),
    Port("timm.loss.AsymmetricLossSingleLabel(gamma_pos=gp, gamma_neg=gn, eps=e, reduction='none')",
         "softmax_asymmetric_loss", "il.softmax_asymmetric_loss(x, labels, gamma_pos=gp, gamma_neg=gn, "
         "label_smoothing=e, reduction='none')", ("default", "gamma_pos1_no_smoothing", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.AsymmetricLossSingleLabel(
             gamma_pos=o["gamma_pos"], gamma_neg=o["gamma_neg"], eps=o["label_smoothing"], reduction="none")(x, y), o),
         shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.BinaryCrossEntropy(smoothing=e, smooth_dense=True, reduction='none')", "sigmoid_cross_entropy",
         "il.sigmoid_cross_entropy(x, y, label_smoothing=e, reduction='none')",
         ("default", "label_smoothing", "weights_none", "soft_sum", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.BinaryCrossEntropy(
             smoothing=o["label_smoothing"], smooth_dense=True, reduction="none")(x, y), o), shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.LabelSmoothingCrossEntropy(smoothing=e)", "softmax_cross_entropy",
         "il.softmax_cross_entropy(x, labels, label_smoothing=e)", ("default",),
         lambda timm, x, y, o: timm.LabelSmoothingCrossEntropy(smoothing=o["label_smoothing"])(x, y), shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.PolyCrossEntropy(epsilon=e, smoothing=s, reduction='none')", "poly1_cross_entropy",
         "il.poly1_cross_entropy(x, labels, epsilon=e, label_smoothing=s, reduction='none')",
         ("default", "epsilon2_smoothing", "weights", "soft", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.PolyCrossEntropy(
             epsilon=o["epsilon"], smoothing=o["label_smoothing"], reduction="none")(x, y), o), shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.PolyBinaryCrossEntropy(epsilon=e, smoothing=s, reduction='none')", "poly1_sigmoid_cross_entropy",
         "il.poly1_sigmoid_cross_entropy(x, y, epsilon=e, label_smoothing=s, reduction='none')",
         ("default", "negative_epsilon_smoothing", "weights_none", "soft_sum", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.PolyBinaryCrossEntropy(
             epsilon=o["epsilon"], smoothing=o["label_smoothing"], reduction="none")(x, y), o), shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.PolyBinaryCrossEntropy(epsilon=e, gamma=g, alpha=a, reduction='none')", "poly1_focal_loss",
         "il.poly1_focal_loss(x, y, epsilon=e, gamma=g, alpha=a, reduction='none')",
         ("default", "negative_epsilon_alpha_off_gamma_half", "soft_none", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.PolyBinaryCrossEntropy(
             epsilon=o["epsilon"], gamma=o["gamma"], alpha=o["alpha"], reduction="none")(x, y), o), shapes=ROWS_NC, float64_note=FLOAT32),
    Port("timm.loss.DistributionBalancedLoss(counts, num_samples, map_alpha, map_beta, map_mu, neg_scale, init_bias, "
         "focal_gamma=g, focal_balance=b, reduction='none')", "distribution_balanced_loss",
         "il.distribution_balanced_loss(x, y, counts, num_samples=n, ..., gamma=g, balance=b, reduction='none')",
         ("default", "voc_lt", "no_focal_weights", "none", "extreme"),
         lambda timm, x, y, o: torch_reduced(timm.DistributionBalancedLoss(
             o["counts"], o["num_samples"], map_alpha=o["map_alpha"], map_beta=o["map_beta"], map_mu=o["map_mu"],
             neg_scale=o["neg_scale"], init_bias=o["init_bias"], focal_gamma=o["gamma"], focal_balance=o["balance"],
             reduction="none").to(x.dtype)(x, y), o), shapes=ROWS_NC, float64_note=FLOAT32,
         convention=Convention("il.distribution_balanced_loss(x, y, counts, ..., gamma=0.0, balance=1.0)",
                               "focal_gamma=0 turns off timm's focal factor and its balance factor together; ours at "
                               "γ = 0 keeps the balance factor (the reference's focal=True with γ = 0)",
                               options=lambda o: {**o, "balance": 1.0} if o.get("gamma") == 0 else o)),
    Port("timm.loss.ZlprLoss()", "multilabel_categorical_crossentropy", "il.multilabel_categorical_crossentropy(x, y)",
         ("default", "soft"), lambda timm, x, y, o: timm.ZlprLoss()(x, y), shapes=("NC",), float64_note=FLOAT32,
         known={"soft": "timm's ZLPR is the 0/1-target formula; ours has Su's soft-target extension (the optimum "
                        "at t = sigmoid(2 s)): equal for 0/1 targets"}),
))

