"""Class-imbalance losses written once against the Python array API.

The same functions run on NumPy, PyTorch, JAX and TensorFlow arrays (and any
other array API library) and return arrays of the input's framework, device and
dtype. Importing this package imports no framework.
"""

from .core.asymmetric import asymmetric_loss, softmax_asymmetric_loss
from .core.auc import auc_margin_loss
from .core.class_weights import class_prior, class_weights, deferred_reweighting, sampling_weights
from .core.compound import (
    asymmetric_unified_focal_loss,
    dice_cross_entropy_loss,
    dice_focal_loss,
    softmax_dice_cross_entropy_loss,
    softmax_dice_focal_loss,
)
from .core.derivatives import loss_derivatives, prior_margin
from .core.detection import distribution_focal_loss, quality_focal_loss, varifocal_loss
from .core.dice import dice_loss, generalized_dice_loss, softmax_dice_loss
from .core.distribution_balanced import distribution_balanced_loss
from .core.eqlv2 import eqlv2_loss, equalized_focal_loss
from .core.equalization import equalization_loss
from .core.ghm import ghm_c_loss, ghm_r_loss
from .core.logit_adjust import (
    adjust_logits,
    balanced_softmax_cross_entropy,
    ldam_loss,
    logit_adjusted_cross_entropy,
    vector_scaling_loss,
)
from .core.lovasz import lovasz_hinge_loss, lovasz_softmax_loss
from .core.mcc import mcc_loss
from .core.multilabel import (
    multilabel_categorical_crossentropy,
    sparse_multilabel_categorical_crossentropy,
)
from .core.poly import poly1_cross_entropy, poly1_focal_loss, poly1_sigmoid_cross_entropy
from .core.regression import balanced_mse_loss, focal_regression_loss, lds_weights, regression_errors
from .core.seesaw import seesaw_loss
from .core.sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from .core.softmax import softmax_cross_entropy, softmax_focal_loss
from .core.truncated import hard_truncated_loss, soft_truncated_loss, soft_truncated_softmax_loss
from .core.tversky import (
    focal_tversky_loss,
    softmax_focal_tversky_loss,
    softmax_tversky_loss,
    tversky_loss,
)
from .core.validation import check_values, value_checks_enabled

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "adjust_logits",
    "asymmetric_loss",
    "asymmetric_unified_focal_loss",
    "auc_margin_loss",
    "balanced_mse_loss",
    "balanced_softmax_cross_entropy",
    "check_values",
    "class_prior",
    "class_weights",
    "deferred_reweighting",
    "dice_cross_entropy_loss",
    "dice_focal_loss",
    "dice_loss",
    "distribution_balanced_loss",
    "distribution_focal_loss",
    "eqlv2_loss",
    "equalization_loss",
    "equalized_focal_loss",
    "focal_regression_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "ghm_c_loss",
    "ghm_r_loss",
    "hard_truncated_loss",
    "ldam_loss",
    "lds_weights",
    "logit_adjusted_cross_entropy",
    "loss_derivatives",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "mcc_loss",
    "multilabel_categorical_crossentropy",
    "poly1_cross_entropy",
    "poly1_focal_loss",
    "poly1_sigmoid_cross_entropy",
    "prior_margin",
    "quality_focal_loss",
    "regression_errors",
    "sampling_weights",
    "seesaw_loss",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
    "soft_truncated_loss",
    "soft_truncated_softmax_loss",
    "softmax_asymmetric_loss",
    "softmax_cross_entropy",
    "softmax_dice_cross_entropy_loss",
    "softmax_dice_focal_loss",
    "softmax_dice_loss",
    "softmax_focal_loss",
    "softmax_focal_tversky_loss",
    "softmax_tversky_loss",
    "sparse_multilabel_categorical_crossentropy",
    "tversky_loss",
    "value_checks_enabled",
    "varifocal_loss",
    "vector_scaling_loss",
]
