"""Class priors, class weights and per-sample sampling weights from label counts.

These helpers take counts (or labels) rather than logits and carry no gradient.
Arrays come back in the namespace and on the device of their input; Python
sequences are read with NumPy (float64).
"""

from __future__ import annotations

import math

from .common import LossCall, gather_classes, histogram, safe_divide
from .dispatch import array_function, resolve_backend
from .validation import check_array_values, check_choice, check_integer, check_number, invalid_argument

__all__ = ["class_prior", "class_weights", "deferred_reweighting", "sampling_weights"]

METHODS = ("inverse", "inverse_sqrt", "effective_number", "balanced")


def host_array(name, value):
    if isinstance(value, (list, tuple)):
        try:
            import numpy as np
        except ImportError as error:  # pragma: no cover - numpy is in every test environment
            raise TypeError(f"`{name}` given as a Python sequence needs NumPy; pass an array instead.") from error
        return np.asarray(value)
    return value


def float_dtype(backend, array):
    """Floating input keeps its dtype; integers become float32 on the autodiff frameworks
    (their default float) and the default floating dtype of their device elsewhere (float64
    for NumPy; float32 on a device without float64)."""
    xp = backend.xp
    if xp.isdtype(array.dtype, "real floating"):
        return array.dtype
    if backend.framework in {"torch", "jax", "tensorflow"}:
        return xp.float32
    return xp.__array_namespace_info__().default_dtypes(device=backend.adapter.device(array))["real floating"]


def _counts_call(name, counts):
    counts = host_array(name, counts)
    backend = resolve_backend(counts)
    dtype = float_dtype(backend, counts)
    call = LossCall(backend, dtype, dtype, backend.adapter.device(counts))
    c = call.asarray(counts)
    if c.ndim != 1:
        raise invalid_argument(name, "a 1-D array of one value per class", f"array of shape {tuple(c.shape)}")
    check_array_values(backend.xp, name, lambda: c >= 0, "non-negative values")
    return call, c


@array_function
def class_prior(counts):
    r"""The class prior :math:`\pi_c = n_c / \sum_k n_k` from counts (or unnormalised probabilities).

    Parameters
    ----------
    counts : array or sequence of shape ``(C,)``, non-negative

    Returns
    -------
    array of shape ``(C,)``, floating, summing to 1 (all zeros if every count is 0).
    """
    call, c = _counts_call("counts", counts)
    return safe_divide(call.xp, c, call.xp.sum(c))


@array_function
def class_weights(counts, *, method="inverse", beta=0.999):
    r"""Per-class loss weights from class counts, normalised to sum to :math:`C`.

    ========================  ==========================================================
    ``method``                weight before normalisation
    ========================  ==========================================================
    ``"inverse"``             :math:`1 / n_c`
    ``"inverse_sqrt"``        :math:`1 / \sqrt{n_c}`
    ``"effective_number"``    :math:`(1 - \beta) / (1 - \beta^{n_c})` (Cui et al. 2019)
    ``"balanced"``            :math:`N / (C\, n_c)` (scikit-learn); the ratios of ``"inverse"``
    ========================  ==========================================================

    Every method is normalised so that the weights sum to :math:`C` (as in the
    class-balanced loss). A class with zero count gets weight 0 and the others
    share the sum :math:`C`. Count over the whole training set, not per batch.

    Parameters
    ----------
    counts : array or sequence of shape ``(C,)``, non-negative
    method : str, default="inverse"
    beta : float in [0, 1), default=0.999
        Only for ``"effective_number"``: 0 gives uniform weights, values near 1
        approach ``"inverse"``. The paper uses 0.9999 for long-tailed CIFAR.

    Returns
    -------
    array of shape ``(C,)``

    References
    ----------
    Cui et al., `Class-Balanced Loss Based on Effective Number of Samples
    <https://arxiv.org/abs/1901.05555>`_, CVPR 2019.
    """
    check_choice("method", method, METHODS)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    call, c = _counts_call("counts", counts)
    xp = call.xp
    present = c > 0
    safe = xp.where(present, c, xp.ones_like(c))
    if method in ("inverse", "balanced"):
        raw = 1 / safe
    elif method == "inverse_sqrt":
        raw = 1 / xp.sqrt(safe)
    elif beta == 0:
        raw = xp.ones_like(safe)
    else:
        # (1 - beta) / (1 - beta^n) through expm1, exact for beta near 1.
        log_beta = math.log(beta)
        raw = -math.expm1(log_beta) / -xp.expm1(log_beta * safe)
    raw = xp.where(present, raw, xp.zeros_like(raw))
    return safe_divide(xp, raw * c.shape[0], xp.sum(raw))


@array_function
def deferred_reweighting(counts, epoch, *, start_epoch, beta=0.9999):
    r"""Deferred re-weighting (DRW): class weights that switch on at ``start_epoch``.

    Ones before ``start_epoch``, then the effective-number weights
    :math:`(1 - \beta)/(1 - \beta^{n_c})` normalised to sum to :math:`C`
    (:func:`class_weights` with ``method="effective_number"``). Train the
    representation on the plain loss first, then re-weight: the schedule of
    LDAM-DRW (``start_epoch=160`` of 200 epochs, :math:`\beta = 0.9999`), also used
    with VS and plain CE. Pass the result as ``class_weights``.

    Parameters
    ----------
    counts : array or sequence of shape ``(C,)``, non-negative
    epoch : int >= 0
        The current epoch (0-based, as the reference's ``epoch // start_epoch``).
    start_epoch : int >= 0
    beta : float in [0, 1), default=0.9999

    Returns
    -------
    array of shape ``(C,)``, in the namespace and on the device of ``counts``.

    References
    ----------
    Cao et al., `Learning Imbalanced Datasets with Label-Distribution-Aware Margin
    Loss <https://arxiv.org/abs/1906.07413>`_, NeurIPS 2019.
    """
    epoch = check_integer("epoch", epoch, low=0)
    start_epoch = check_integer("start_epoch", start_epoch, low=0)
    if epoch >= start_epoch:
        return class_weights(counts, method="effective_number", beta=beta)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    call, c = _counts_call("counts", counts)
    return call.xp.ones_like(c)


@array_function
def sampling_weights(labels, num_classes, *, power=1.0):
    r"""Per-sample weights for a weighted sampler: :math:`w_i \propto n_{y_i}^{-p}`, mean 1.

    Over-samples rare classes without copying data, e.g.
    ``torch.utils.data.WeightedRandomSampler(sampling_weights(labels, C), N)``.
    ``power=1`` balances the classes in expectation, ``power=0.5`` is square-root
    sampling, ``power=0`` uniform.

    Parameters
    ----------
    labels : integer array or sequence of shape ``(N,)``
    num_classes : int
    power : float >= 0, default=1.0

    Returns
    -------
    array of shape ``(N,)``, floating, with mean 1.
    """
    num_classes = check_integer("num_classes", num_classes, low=1)
    power = check_number("power", power, low=0)
    labels = host_array("labels", labels)
    backend = resolve_backend(labels)
    xp = backend.xp
    if not xp.isdtype(labels.dtype, "integral") or labels.ndim != 1:
        raise invalid_argument("labels", "a 1-D array of integer class indices", f"array of shape {tuple(labels.shape)} and dtype {labels.dtype}")
    dtype = float_dtype(backend, labels)
    call = LossCall(backend, dtype, dtype, backend.adapter.device(labels))
    labels = call.labels(labels)  # the indexing dtype: uint8 labels with more than 255 classes count right
    check_array_values(xp, "labels", lambda: (labels >= 0) & (labels < num_classes), lambda: f"class indices in [0, {num_classes})")
    in_range = (labels >= 0) & (labels < num_classes)
    counts = histogram(call, xp.where(in_range, labels, num_classes), num_classes)
    # A label out of range counts in no class: its weight is 0^-power, inf (checks off).
    per_sample = xp.where(in_range, gather_classes(call, counts, xp.where(in_range, labels, 0)), 0.0)
    raw = xp.exp(-power * xp.log(per_sample))
    # The mean is taken on device (a batch size unknown until run time still normalises).
    return safe_divide(xp, raw, xp.mean(raw))
