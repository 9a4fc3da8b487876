"""What every oracle shares: stable log-sum-exp and log-sigmoid, the SPEC's reduction
rule, and fourth-order finite differences."""

from __future__ import annotations

import numpy as np


def lse(v, axis=-1):
    m = np.max(v, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m + np.log(np.sum(np.exp(v - m), axis=axis, keepdims=True)), axis)


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def reduce(numerator, denominator, reduction):
    """SPEC: none -> numerator terms; sum -> their sum; mean -> sum / sum of weights (0 if 0)."""
    if reduction == "none":
        return numerator
    total = np.sum(numerator)
    if reduction == "sum":
        return total
    norm = np.sum(denominator)
    return total / norm if norm != 0 else 0.0


def as_float(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def mean_norm(weights, shape, reduction):
    """d(reduced)/d(element) scale: 1/sum(w) for mean (0 if the sum is 0), else 1."""
    if reduction != "mean":
        return 1.0
    total = np.sum(np.broadcast_to(as_float(weights), shape)) if weights is not None else float(np.prod(shape))
    return 1 / total if total else 0.0


def weights_or_one(weights, shape):
    return np.ones(shape) if weights is None else np.broadcast_to(as_float(weights), shape)


def binary_weighted(loss, weights, reduction):
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)


def numerical_gradient(fn, x, step=1e-4):
    """Fourth-order central finite differences of the scalar ``fn`` at float64 ``x``.

    ``(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h`` with an absolute step ``h``
    (softmax losses depend on logit differences, which can be O(1) between logits
    of 1e4): truncation error O(h^4) and rounding error ~ eps |f| / h, both far
    below the 1e-6 relative tolerance for losses up to ~1e5.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        h = step
        values = []
        for k in (2, 1, -1, -2):
            flat[i] = orig + k * h
            values.append(fn(x))
        flat[i] = orig
        gflat[i] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return grad


def numerical_curvature(fn, x, step=1e-3):
    """The Hessian diagonal of the scalar ``fn`` at float64 ``x``, by fourth-order central
    second differences ``(-f(x+2h) + 16 f(x+h) - 30 f(x) + 16 f(x-h) - f(x-2h)) / 12h^2``:
    truncation error O(h^4), rounding error ~ eps |f| / h^2 (1e-10 |f| at the default step)."""
    x = np.array(x, dtype=np.float64)
    curvature = np.zeros_like(x)
    flat, cflat = x.reshape(-1), curvature.reshape(-1)
    center = fn(x)
    for i in range(flat.size):
        orig = flat[i]
        values = []
        for k in (2, 1, -1, -2):
            flat[i] = orig + k * step
            values.append(fn(x))
        flat[i] = orig
        cflat[i] = (-values[0] + 16 * values[1] - 30 * center + 16 * values[2] - values[3]) / (12 * step**2)
    return curvature
