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


# --- truncated losses -------------------------------------------------------------


def _binary_weighted(loss, weights, reduction):
    w = np.ones_like(loss) if weights is None else np.broadcast_to(_as_float(weights), loss.shape)
    return _reduce(w * loss, w, reduction)


def hard_truncated_loss(logits, targets, *, margin=0.5, weights=None, reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    p = np.exp(_log_sigmoid(x))
    keep_pos, keep_neg = (p <= margin), (p >= 1 - margin)
    loss = -(y * keep_pos * _log_sigmoid(x) + (1 - y) * keep_neg * _log_sigmoid(-x))
    return _binary_weighted(loss, weights, reduction)


def soft_truncated_loss(logits, targets, *, k=1.0, weights=None, reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    sig = lambda v: np.exp(_log_sigmoid(v))  # noqa: E731
    loss = -(y * sig(-k * x) * _log_sigmoid(x) + (1 - y) * sig(k * x) * _log_sigmoid(-x))
    return _binary_weighted(loss, weights, reduction)


def soft_truncated_softmax_loss(logits, labels, *, k=1.0, label_smoothing=0.0, ignore_index=None, axis=-1,
                                weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    weight = np.exp(_log_softmax(-k * x))
    loss = -np.sum(_smooth(t, label_smoothing) * weight * _log_softmax(x), axis=1)
    return _finish_softmax(loss, t, valid, shape, weights, None, reduction)


# --- GHM: mmdetection's algorithm, written out -------------------------------------


def _ghm_beta(g, valid, *, bins, momentum, state, bias_correction, last_edge):
    """mmdetection's GHMC/GHMR weights: loop over half-open bins [e_i, e_i+1)."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    edges[-1] = last_edge
    tot = max(int(valid.sum()), 1)
    counts = np.array([np.sum((g >= edges[i]) & (g < edges[i + 1]) & valid) for i in range(bins)], dtype=np.float64)
    acc = np.zeros(bins) if state is None else np.array(state, dtype=np.float64)
    if bias_correction and not np.any(acc):  # a state that has seen nothing starts from this batch
        acc = counts.copy()
    beta = np.zeros_like(g)
    n = 0
    for i in range(bins):
        inds = (g >= edges[i]) & (g < edges[i + 1]) & valid
        if counts[i] > 0:
            if momentum > 0:
                acc[i] = momentum * acc[i] + (1 - momentum) * counts[i]
                beta[inds] = tot / acc[i]
            else:
                beta[inds] = tot / counts[i]
            n += 1
    if n > 0:
        beta = beta / n
    return beta, (acc if momentum > 0 else counts)


def _ghm_valid(weights, shape):
    if weights is None:
        return np.ones(shape, bool), None
    w = np.broadcast_to(_as_float(weights), shape)
    return w > 0, w


def ghm_c_loss(logits, targets, *, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None,
               reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    valid, w = _ghm_valid(weights, x.shape)
    p = np.exp(_log_sigmoid(x))
    beta, new_state = _ghm_beta(np.abs(p - y), valid, bins=bins, momentum=momentum, state=state,
                                bias_correction=bias_correction, last_edge=1 + 1e-6)
    loss = beta * -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    return _binary_weighted(loss, w, reduction), new_state


def ghm_r_loss(pred, target, *, mu=0.02, bins=10, momentum=0.0, state=None, bias_correction=False, weights=None,
               reduction="mean"):
    d = _as_float(pred) - _as_float(target)
    valid, w = _ghm_valid(weights, d.shape)
    root = np.sqrt(d * d + mu * mu)
    beta, new_state = _ghm_beta(np.abs(d) / root, valid, bins=bins, momentum=momentum, state=state,
                                bias_correction=bias_correction, last_edge=1e3)
    return _binary_weighted(beta * (root - mu), w, reduction), new_state


def _mean_norm(weights, shape, reduction):
    """d(reduced)/d(element) scale: 1/sum(w) for mean (0 if the sum is 0), else 1."""
    if reduction != "mean":
        return 1.0
    total = np.sum(np.broadcast_to(_as_float(weights), shape)) if weights is not None else float(np.prod(shape))
    return 1 / total if total else 0.0


def _weights_or_one(weights, shape):
    return np.ones(shape) if weights is None else np.broadcast_to(_as_float(weights), shape)


def ghm_c_loss_gradient(cotangent, logits, targets, *, weights=None, reduction="mean", **options):
    """beta and g carry no gradient: d/dx = beta * w * (sigmoid(x) - y) (times the mean's 1/sum w)."""
    x, y = _as_float(logits), _as_float(targets)
    valid, _ = _ghm_valid(weights, x.shape)
    p = np.exp(_log_sigmoid(x))
    beta, _ = _ghm_beta(np.abs(p - y), valid, last_edge=1 + 1e-6,
                        **{k: options.get(k, d) for k, d in (("bins", 10), ("momentum", 0.0), ("state", None), ("bias_correction", False))})
    scale = _mean_norm(weights, x.shape, reduction)
    return cotangent * scale * beta * _weights_or_one(weights, x.shape) * (p - y)


def ghm_r_loss_gradient(cotangent, pred, target, *, weights=None, reduction="mean", mu=0.02, **options):
    d = _as_float(pred) - _as_float(target)
    valid, _ = _ghm_valid(weights, d.shape)
    root = np.sqrt(d * d + mu * mu)
    beta, _ = _ghm_beta(np.abs(d) / root, valid, last_edge=1e3,
                        **{k: options.get(k, v) for k, v in (("bins", 10), ("momentum", 0.0), ("state", None), ("bias_correction", False))})
    scale = _mean_norm(weights, d.shape, reduction)
    return cotangent * scale * beta * _weights_or_one(weights, d.shape) * d / root


def hard_truncated_loss_gradient(cotangent, logits, targets, *, margin=0.5, weights=None, reduction="mean"):
    """The mask is constant: d/dx = w (y [p<=m] (p - 1) + (1 - y) [p >= 1-m] p)."""
    x, y = _as_float(logits), _as_float(targets)
    p = np.exp(_log_sigmoid(x))
    grad = y * (p <= margin) * (p - 1) + (1 - y) * (p >= 1 - margin) * p
    return cotangent * _mean_norm(weights, x.shape, reduction) * _weights_or_one(weights, x.shape) * grad


# Oracles whose gradient is analytic because part of the loss is piecewise constant
# (a finite difference would jump across a bin edge or the truncation threshold).
ANALYTIC_GRADIENTS = {
    "ghm_c_loss": ghm_c_loss_gradient,
    "ghm_r_loss": ghm_r_loss_gradient,
    "hard_truncated_loss": hard_truncated_loss_gradient,
}


# --- Dice ----------------------------------------------------------------------------


def _dice(q, y, smooth, square):
    num = 2 * np.sum(q * y) + smooth
    den = (np.sum(q**2) + np.sum(y**2) if square else np.sum(q) + np.sum(y)) + smooth
    return 1 - (num / den if den > 0 else 1.0)


def dice_loss(logits, targets, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
              ignore_empty=False, weights=None, reduction="mean"):
    x, y = _as_float(logits), _as_float(targets)
    p = np.exp(_log_sigmoid(x))
    q = (1 - p) ** alpha * p
    w = _weights_or_one(weights, x.shape)
    if per_sample:
        loss = np.vectorize(lambda qi, yi: _dice(qi, yi, smooth, square_denominator))(q, y)
        return _reduce(w * loss, w, reduction)
    if ignore_empty and np.sum(w * y) == 0:
        return 0.0
    return _dice(w * q, w * y, smooth, square_denominator)


def softmax_dice_loss(logits, labels, *, alpha=0.0, smooth=1.0, square_denominator=False, per_sample=False,
                      ignore_empty=False, ignore_index=None, axis=-1, weights=None, reduction="mean"):
    x, t, valid, shape = _softmax_setup(logits, labels, axis, ignore_index)
    p = np.exp(_log_softmax(x))
    q = np.exp(alpha * np.log1p(-np.minimum(p, 1.0)) + np.log(p)) if alpha else p
    w = valid.astype(np.float64)
    if weights is not None:
        w = w * np.broadcast_to(_as_float(weights), shape).reshape(-1)
    C = x.shape[1]
    if per_sample:
        loss = np.array([np.mean([_dice(q[i, c], t[i, c], smooth, square_denominator) for c in range(C)])
                         for i in range(x.shape[0])])
        return _reduce((w * loss).reshape(shape), w, reduction)
    per_class = np.array([_dice(w * q[:, c], w * t[:, c], smooth, square_denominator) for c in range(C)])
    present = np.ones(C)
    if ignore_empty:
        present = np.array([float(np.sum(w * t[:, c]) > 0) for c in range(C)])
    return _reduce(present * per_class, present, reduction)


# --- logit adjustment ------------------------------------------------------------------


def _log_prior(prior):
    p = _as_float(prior)
    return np.log(p / p.sum())


def logit_adjusted_cross_entropy(logits, labels, prior, *, tau=1.0, axis=-1, **options):
    x = np.moveaxis(_as_float(logits), axis, -1) + tau * _log_prior(prior)
    return softmax_cross_entropy(np.moveaxis(x, -1, axis), labels, axis=axis, **options)


def adjust_logits(logits, prior, *, tau=1.0, axis=-1):
    x = np.moveaxis(_as_float(logits), axis, -1) - tau * _log_prior(prior)
    return np.moveaxis(x, -1, axis)


# --- ZLPR ----------------------------------------------------------------------------------


def multilabel_categorical_crossentropy(logits, targets, *, weights=None, reduction="mean"):
    s, t = _as_float(logits), _as_float(targets)
    flat_s, flat_t = s.reshape(-1, s.shape[-1]), t.reshape(-1, s.shape[-1])
    loss = np.empty(flat_s.shape[0])
    for i, (si, ti) in enumerate(zip(flat_s, flat_t)):
        pos = np.logaddexp.reduce(np.concatenate([[0.0], -si[ti > 0] + np.log(ti[ti > 0])]))
        neg = np.logaddexp.reduce(np.concatenate([[0.0], si[ti < 1] + np.log(1 - ti[ti < 1])]))
        loss[i] = pos + neg
    loss = loss.reshape(s.shape[:-1])
    w = _weights_or_one(weights, loss.shape)
    return _reduce(w * loss, w, reduction)


def sparse_multilabel_categorical_crossentropy(logits, label_indices, *, mask_zero=False, weights=None,
                                               reduction="mean"):
    s = _as_float(logits)
    idx = np.asarray(label_indices).reshape(-1, np.shape(label_indices)[-1])
    flat_s = s.reshape(-1, s.shape[-1])
    loss = np.empty(flat_s.shape[0])
    for i, (si, ki) in enumerate(zip(flat_s, idx)):
        positives = {int(k) for k in ki if not (mask_zero and k == 0)}
        negatives = [j for j in range(si.size) if j not in positives and not (mask_zero and j == 0)]
        pos = np.logaddexp.reduce(np.concatenate([[0.0], [-si[j] for j in sorted(positives)]]))
        neg = np.logaddexp.reduce(np.concatenate([[0.0], si[negatives]]))
        loss[i] = pos + neg
    loss = loss.reshape(s.shape[:-1])
    w = _weights_or_one(weights, loss.shape)
    return _reduce(w * loss, w, reduction)


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
