"""What the device tests share: every public function's case, and every class's arguments.

A class is tried on its function's conformance case (``tests/_cases.py``): the case's
options become construction options, except the call-time ``weights`` and the
``state`` that a stateful class keeps itself; a class's own size option (Seesaw's and
EQLv2's ``num_classes``) is read off the logits; softmax-layout classes get the case's
class axis (the last unless the case says otherwise).
"""

import numpy as np

from imbalance_losses import _layers

from ._cases import CASES

ROWS = {row.name: row for row in _layers.LOSSES}


def case_of(row):
    return CASES[row.function.__name__]


def class_arguments(row, case):
    """``(construction options, call options)`` of ``row``'s class on ``case``."""
    options = {k: v for k, v in case.options.items() if k not in ("weights", "state")}
    if row.layout == _layers.CLASSES:
        options.setdefault("axis", -1)
    for name in row.class_options:
        options[name] = case.logits.shape[options.get("axis", -1)]
    call = {"weights": case.options["weights"]} if "weights" in case.options else {}
    return options, call


def as_float32(value):
    """A case's float64 arrays in float32 (a device without float64), other values as given."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    return value


COUNTS = np.array([40.0, 12.0, 5.0, 0.0])
HELPER_LOGITS = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
HELPER_LABELS = np.array([0, 3, 1])


def helper_calls(counts, logits, labels):
    """Every public helper on arrays of one device, by name: ``{name: thunk}`` (each
    returning an array that must live on that device). ``labels`` serve as integer counts too."""
    import imbalance_losses as il
    from imbalance_losses.core.class_weights import METHODS

    calls = {f"class_weights[{method}]": (lambda m=method: il.class_weights(counts, method=m)) for method in METHODS}
    calls.update({
        "adjust_logits": lambda: il.adjust_logits(logits, counts),
        "class_prior": lambda: il.class_prior(counts),
        "class_prior[integer counts]": lambda: il.class_prior(labels),
        "class_weights[integer counts]": lambda: il.class_weights(labels),
        "deferred_reweighting": lambda: il.deferred_reweighting(counts, 5, start_epoch=3),
        "lds_weights": lambda: il.lds_weights(logits, bin_edges=[-3.0, -1.0, 0.0, 1.0, 3.0]),
        "loss_derivatives": lambda: il.loss_derivatives(il.softmax_focal_loss, logits, labels)[1],
        "prior_margin": lambda: il.prior_margin(counts),
        "prior_margin[num_samples]": lambda: il.prior_margin(counts, num_samples=60),
        "sampling_weights": lambda: il.sampling_weights(labels, 4),
    })
    return calls


HELPERS = sorted(helper_calls(None, None, None))
