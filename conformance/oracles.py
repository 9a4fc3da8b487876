"""Independent float64 references, written straight from the formulas.

Nothing here calls imbalance_losses. The code is deliberately plain: explicit
per-class loops and textbook formulas in NumPy float64, stable only where the
formula itself needs it (``np.logaddexp`` for log-sigmoid, a max shift for
log-sum-exp). Each oracle takes the arguments of the public function it checks
and applies the reduction rules of SPEC §3 literally.
"""

from __future__ import annotations

import numpy as np


def _lse(v, axis=-1):
    m = np.max(v, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m + np.log(np.sum(np.exp(v - m), axis=axis, keepdims=True)), axis)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _reduce(numerator, denominator, reduction):
    """SPEC: none -> numerator terms; sum -> their sum; mean -> sum / sum of weights (0 if 0)."""
    if reduction == "none":
        return numerator
    total = np.sum(numerator)
    if reduction == "sum":
        return total
    norm = np.sum(denominator)
    return total / norm if norm != 0 else 0.0


def _as_float(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


# --- sigmoid family -----------------------------------------------------------


def sigmoid_cross_entropy(logits, targets, *, pos_weight=None, label_smoothing=0.0, weights=None, reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    y = y * (1 - label_smoothing) + label_smoothing / 2
    pw = 1.0 if pos_weight is None else _as_float(pos_weight)
    loss = -(pw * y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    w = np.ones_like(loss) if weights is None else np.broadcast_to(_as_float(weights), loss.shape)
    return _reduce(w * loss, w, reduction)


def sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, weights=None, reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    log_p, log_q = _log_sigmoid(x), _log_sigmoid(-x)  # log p, log (1 - p)
    bce = -(y * log_p + (1 - y) * log_q)
    # 1 - p_t = y (1 - p) + (1 - y) p, summed in log space term by term.
    with np.errstate(divide="ignore"):
        log_one_minus_pt = np.logaddexp(np.log(y) + log_q, np.log(1 - y) + log_p)
    loss = np.exp(gamma * log_one_minus_pt) * bce if gamma else bce
    if alpha is not None:
        a = _as_float(alpha)
        loss = (a * y + (1 - a) * (1 - y)) * loss
    w = np.ones_like(loss) if weights is None else np.broadcast_to(_as_float(weights), loss.shape)
    return _reduce(w * loss, w, reduction)


# --- softmax family -------------------------------------------------------------


def _softmax_setup(logits, labels, axis, ignore_index):
    """Logits (N, C) float64, one-hot/soft targets (N, C), valid mask (N,), element shape."""
    x = np.moveaxis(_as_float(logits), axis, -1)
    labels = np.asarray(labels)
    element_shape = x.shape[:-1]
    C = x.shape[-1]
    if labels.dtype.kind in "iu":
        valid = np.ones(element_shape, bool) if ignore_index is None else labels != ignore_index
        t = np.zeros(x.shape)
        for c in range(C):
            t[..., c] = (labels == c) & valid
    else:
        valid = np.ones(element_shape, bool)
        t = np.moveaxis(labels.astype(np.float64), axis, -1)
    return x.reshape(-1, C), t.reshape(-1, C), valid.reshape(-1), element_shape


def _log_softmax(x):
    return x - _lse(x)[:, None]


def _log_one_minus_softmax(x):
    """log(1 - p_c) = LSE_{j != c} x_j - LSE_j x_j, by deleting column c."""
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        rest = np.delete(x, c, axis=1)
        out[:, c] = (_lse(rest) if C > 1 else -np.inf) - _lse(x)
    return out


def _finish_softmax(loss, t, valid, element_shape, weights, class_weights, reduction):
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(_as_float(weights), element_shape).reshape(-1)
    norm = w if class_weights is None else w * (t @ _as_float(class_weights))
    return _reduce((w * loss).reshape(element_shape), norm, reduction)


def _smooth(t, eps):
    return t * (1 - eps) + eps / t.shape[1]


def softmax_cross_entropy(logits, labels, *, class_weights=None, label_smoothing=0.0, ignore_index=None,
                          axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    cw = np.ones(x.shape[1]) if class_weights is None else _as_float(class_weights)
    loss = -np.sum(cw * _smooth(t, label_smoothing) * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, class_weights, reduction)


def softmax_focal_loss(logits, labels, *, alpha=None, gamma=2.0, label_smoothing=0.0, ignore_index=None,
                       axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    a = np.ones(x.shape[1]) if alpha is None else np.broadcast_to(_as_float(alpha), (x.shape[1],))
    factor = np.exp(gamma * _log_one_minus_softmax(x)) if gamma else 1.0
    loss = -np.sum(a * _smooth(t, label_smoothing) * factor * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)


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
