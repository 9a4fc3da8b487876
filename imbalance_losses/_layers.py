"""The one table behind the framework classes (``imbalance_losses.torch``, ``.keras``).

A layer above the core. Each row names a class, the core function it wraps and
the layout of its arguments; every framework module builds its classes from
these rows, so a new loss is one row here. A class's options are the keyword
options of its function (everything after the two array arguments except
``weights`` and ``state``), shown in its signature with the function's
defaults, or the framework's where it has a convention of its own (class axis
1 and ``ignore_index=-100`` in torch). A stateful row gives the shape of its
state from its options; a size the function does not take (Seesaw's, EQLv2's and EFL's
``num_classes``) becomes a required option of the class alone.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import (
    asymmetric_loss,
    asymmetric_unified_focal_loss,
    auc_margin_loss,
    balanced_mse_loss,
    balanced_softmax_cross_entropy,
    dice_cross_entropy_loss,
    dice_focal_loss,
    dice_loss,
    distribution_balanced_loss,
    distribution_focal_loss,
    equalization_loss,
    equalized_focal_loss,
    eqlv2_loss,
    focal_regression_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    ghm_c_loss,
    ghm_r_loss,
    hard_truncated_loss,
    ldam_loss,
    logit_adjusted_cross_entropy,
    lovasz_hinge_loss,
    lovasz_softmax_loss,
    mcc_loss,
    multilabel_categorical_crossentropy,
    quality_focal_loss,
    poly1_cross_entropy,
    poly1_focal_loss,
    poly1_sigmoid_cross_entropy,
    seesaw_loss,
    sigmoid_cross_entropy,
    sigmoid_focal_loss,
    soft_truncated_loss,
    soft_truncated_softmax_loss,
    softmax_asymmetric_loss,
    softmax_cross_entropy,
    softmax_dice_cross_entropy_loss,
    softmax_dice_focal_loss,
    softmax_dice_loss,
    softmax_focal_loss,
    softmax_focal_tversky_loss,
    softmax_tversky_loss,
    sparse_multilabel_categorical_crossentropy,
    tversky_loss,
    varifocal_loss,
    vector_scaling_loss,
)
from .core.validation import check_integer, unknown_options

# Layouts: how the targets and the per-element weights relate to the predictions.
ELEMENTWISE = "elementwise"  # targets of the predictions' shape, one loss per element (sigmoid family)
CLASSES = "classes"  # a class axis: integer labels, or dense targets of the predictions' shape
MULTILABEL = "multilabel"  # one loss per sample over the last (class) axis, dense targets
MULTILABEL_INDICES = "multilabel_indices"  # as MULTILABEL, with positive class indices as targets
TARGET_VECTORS = "target_vectors"  # regression: one loss per sample over the last (target) axis
BINS = "bins"  # one loss per sample over the last (bin) axis, a real position per sample as its target

# Arguments a class supplies at call time, not at construction.
_CALL_ARGUMENTS = ("weights", "state")


def _always(options) -> bool:
    return True


@dataclass(frozen=True)
class Trainable:
    """An option that a class holds as a trainable weight named ``weight`` (a torch
    ``nn.Parameter``, a trainable ``keras.Variable``), starting from the option's value.

    ``squared``: the weight is the option's square root (Balanced MSE's noise variance,
    trained as sigma as the reference does: never negative). ``ascended``: a dual
    variable the loss is maximised in (AUC-margin's alpha): its gradient is reversed,
    so that a plain optimiser's descent step ascends it, and the weight is kept
    non-negative (projected, as LibAUC's PESG does). ``initial`` is the class's
    default where the function has none.
    """

    option: str
    weight: str
    squared: bool = False
    ascended: bool = False
    initial: float | None = None

    def initial_weight(self, value):
        """The weight's starting value (NumPy float64) from the option's."""
        start = np.asarray(value, dtype=np.float64)
        return np.sqrt(start) if self.squared else start

    def option_value(self, weight, stop_gradient):
        """The option the function receives from the weight: its square, or the weight with
        its gradient reversed (``2 sg(w) - w`` is ``w`` exactly, by Sterbenz's lemma, with
        derivative -1), or the weight itself."""
        if self.squared:
            return weight * weight
        return 2 * stop_gradient(weight) - weight if self.ascended else weight

    def config_value(self, weight):
        """The option's current value from the weight's (NumPy): for ``get_config``."""
        value = np.square(weight) if self.squared else weight
        return value.tolist()


@dataclass(frozen=True)
class LossClass:
    """One row: a class name, the core function it wraps and its layout.

    A stateful row (a function taking ``state`` and returning ``(loss, new_state)``)
    gives ``state_shape``: sizes and option names, e.g. ``("bins",)`` or
    ``(2, "num_classes")``; ``carries_state(options)`` says whether the state carries
    anything from one batch to the next (GHM without momentum does not).
    """

    name: str
    function: Callable
    layout: str
    state_shape: tuple = ()
    carries_state: Callable[[dict], bool] = _always
    trainable: tuple[Trainable, ...] = ()

    def __post_init__(self):
        takes_state = "state" in inspect.signature(self.function).parameters
        if takes_state != bool(self.state_shape):
            raise ValueError(f"{self.name}: a function with a `state` needs a state_shape, and only such a one")

    @property
    def stateful(self) -> bool:
        """Whether the function takes a ``state`` and returns ``(loss, new_state)``."""
        return bool(self.state_shape)

    @functools.cached_property
    def class_options(self) -> tuple[str, ...]:
        """Options of the class alone: state sizes that the function does not take (computed
        once per row: every forward call of a class reads it)."""
        taken = inspect.signature(self.function).parameters
        return tuple(d for d in self.state_shape if isinstance(d, str) and d not in taken)

    def state_size(self, options: dict) -> tuple[int, ...]:
        """The shape of the initial state for bound ``options``."""
        return tuple(options[d] if isinstance(d, str) else d for d in self.state_shape)

    def check_state_size(self, predictions, options: dict) -> None:
        """Raise the contract's ``ValueError`` naming the class's own size option (Seesaw's and
        EQLv2's ``num_classes``) when the predictions' class axis does not match it; the
        function would otherwise complain about a ``state`` the user never passed."""
        axis = options.get("axis", -1)
        shape = tuple(predictions.shape)
        for name in self.class_options:
            if shape[axis] is not None and shape[axis] != options[name]:
                msg = (f"Invalid shape for argument `input`. Expected {options[name]} classes along axis {axis}, "
                       f"as {self.name}({name}={options[name]}) was built for. Received: input.shape={shape}")
                raise ValueError(msg)

    def function_options(self, options: dict) -> dict:
        """Bound options without the class's own (what the function takes)."""
        return {k: v for k, v in options.items() if k not in self.class_options}

    @property
    def reduces_class_axis(self) -> bool:
        """Whether one loss value covers a whole class axis (the per-element weights then lack it)."""
        return self.layout != ELEMENTWISE

    @property
    def index_targets(self) -> bool:
        """Whether the targets may be integer indices (class labels or positive classes)."""
        return self.layout in (CLASSES, MULTILABEL_INDICES)

    def parameters(self, defaults=None) -> list[inspect.Parameter]:
        """The construction options, keyword-only, with ``defaults`` overriding the function's
        (and the trainable weights' initial values where the function has none)."""
        defaults = {**{t.option: t.initial for t in self.trainable if t.initial is not None}, **(defaults or {})}
        parameters = list(inspect.signature(self.function).parameters.values())[2:]
        own = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in self.class_options]
        return own + [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, default=defaults.get(p.name, p.default))
            for p in parameters
            if p.name not in _CALL_ARGUMENTS
        ]

    def bind(self, options: dict, defaults=None) -> dict:
        """Every option of a new instance: ``options`` over the defaults.

        Raises ``TypeError`` (the contract's template) for an unknown option or a
        missing required one (e.g. ``prior``), naming the class.
        """
        parameters = self.parameters(defaults)
        known = {p.name for p in parameters}
        unknown = {k: v for k, v in options.items() if k not in known}
        missing = [p.name for p in parameters if p.default is inspect.Parameter.empty and p.name not in options]
        if unknown or missing:
            raise unknown_options(self.name, unknown, missing, sorted(known))
        values = {**{p.name: p.default for p in parameters}, **options}
        for name in self.class_options:
            values[name] = check_integer(name, values[name], low=1)
        return values

    def signature(self, defaults=None, extra=()) -> inspect.Signature:
        """``(self, *, <options>, <extra>)``: the signature shown by ``help()`` and IDEs."""
        this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return inspect.Signature([this, *self.parameters(defaults), *extra])

    def docstring(self, framework: str, usage: str) -> str:
        """The class docstring: what it wraps, how it is called, then the function's own docstring."""
        header = (f"{framework} loss for :func:`imbalance_losses.{self.function.__name__}`.\n\n"
                  f"{usage}\n\nThe function's documentation follows.\n\n")
        return header + inspect.cleandoc(self.function.__doc__ or "")


def _with_momentum(options) -> bool:
    """GHM carries its bin counts from batch to batch only as a moving average."""
    return options["momentum"] > 0


LOSSES = (
    LossClass("SigmoidCrossEntropyLoss", sigmoid_cross_entropy, ELEMENTWISE),
    LossClass("SigmoidFocalLoss", sigmoid_focal_loss, ELEMENTWISE),
    LossClass("HardTruncatedLoss", hard_truncated_loss, ELEMENTWISE),
    LossClass("SoftTruncatedLoss", soft_truncated_loss, ELEMENTWISE),
    LossClass("GHMCLoss", ghm_c_loss, ELEMENTWISE, ("bins",), _with_momentum),
    LossClass("GHMRLoss", ghm_r_loss, ELEMENTWISE, ("bins",), _with_momentum),
    LossClass("DiceLoss", dice_loss, ELEMENTWISE),
    LossClass("MultilabelCategoricalCrossEntropyLoss", multilabel_categorical_crossentropy, MULTILABEL),
    LossClass("SparseMultilabelCategoricalCrossEntropyLoss", sparse_multilabel_categorical_crossentropy,
              MULTILABEL_INDICES),
    LossClass("SoftmaxCrossEntropyLoss", softmax_cross_entropy, CLASSES),
    LossClass("SoftmaxFocalLoss", softmax_focal_loss, CLASSES),
    LossClass("SoftTruncatedSoftmaxLoss", soft_truncated_softmax_loss, CLASSES),
    LossClass("LogitAdjustedCrossEntropyLoss", logit_adjusted_cross_entropy, CLASSES),
    LossClass("SoftmaxDiceLoss", softmax_dice_loss, CLASSES),
    LossClass("BalancedSoftmaxCrossEntropyLoss", balanced_softmax_cross_entropy, CLASSES),
    LossClass("VectorScalingLoss", vector_scaling_loss, CLASSES),
    LossClass("LDAMLoss", ldam_loss, CLASSES),
    LossClass("Poly1CrossEntropyLoss", poly1_cross_entropy, CLASSES),
    LossClass("Poly1SigmoidCrossEntropyLoss", poly1_sigmoid_cross_entropy, ELEMENTWISE),
    LossClass("Poly1FocalLoss", poly1_focal_loss, ELEMENTWISE),
    LossClass("AsymmetricLoss", asymmetric_loss, ELEMENTWISE),
    LossClass("SoftmaxAsymmetricLoss", softmax_asymmetric_loss, CLASSES),
    LossClass("SeesawLoss", seesaw_loss, CLASSES, ("num_classes",)),
    LossClass("EQLv2Loss", eqlv2_loss, ELEMENTWISE, (2, "num_classes")),
    LossClass("EqualizedFocalLoss", equalized_focal_loss, ELEMENTWISE, (2, "num_classes")),
    LossClass("DistributionBalancedLoss", distribution_balanced_loss, ELEMENTWISE),
    LossClass("EqualizationLoss", equalization_loss, ELEMENTWISE),
    LossClass("TverskyLoss", tversky_loss, ELEMENTWISE),
    LossClass("SoftmaxTverskyLoss", softmax_tversky_loss, CLASSES),
    LossClass("FocalTverskyLoss", focal_tversky_loss, ELEMENTWISE),
    LossClass("SoftmaxFocalTverskyLoss", softmax_focal_tversky_loss, CLASSES),
    LossClass("GeneralizedDiceLoss", generalized_dice_loss, CLASSES),
    LossClass("LovaszSoftmaxLoss", lovasz_softmax_loss, CLASSES),
    LossClass("LovaszHingeLoss", lovasz_hinge_loss, ELEMENTWISE),
    LossClass("MCCLoss", mcc_loss, ELEMENTWISE),
    LossClass("DiceCrossEntropyLoss", dice_cross_entropy_loss, ELEMENTWISE),
    LossClass("DiceFocalLoss", dice_focal_loss, ELEMENTWISE),
    LossClass("SoftmaxDiceCrossEntropyLoss", softmax_dice_cross_entropy_loss, CLASSES),
    LossClass("SoftmaxDiceFocalLoss", softmax_dice_focal_loss, CLASSES),
    LossClass("AsymmetricUnifiedFocalLoss", asymmetric_unified_focal_loss, CLASSES),
    LossClass("VarifocalLoss", varifocal_loss, ELEMENTWISE),
    LossClass("QualityFocalLoss", quality_focal_loss, ELEMENTWISE),
    LossClass("DistributionFocalLoss", distribution_focal_loss, BINS),
    LossClass("FocalRegressionLoss", focal_regression_loss, ELEMENTWISE),
    LossClass("BalancedMSELoss", balanced_mse_loss, TARGET_VECTORS,
              trainable=(Trainable("noise_variance", "noise_sigma", squared=True),)),
    LossClass("AUCMarginLoss", auc_margin_loss, ELEMENTWISE,
              trainable=(Trainable("a", "a", initial=0.0), Trainable("b", "b", initial=0.0),
                         Trainable("alpha", "alpha", ascended=True, initial=0.0))),
)


def build(make_class: Callable[[LossClass], type]) -> dict[str, type]:
    """``{name: class}`` for every row, each made by a framework's ``make_class``."""
    return {row.name: make_class(row) for row in LOSSES}
