"""AUC-margin loss: Yuan et al.'s per-sample objective F(w, a, b, alpha; z), element by element."""

from __future__ import annotations

import numpy as np

from ._common import as_float, reduce


def auc_margin_loss(scores, targets, a, b, alpha, *, margin=1.0, positive_rate=None, weights=None, reduction="mean"):
    """Eq. 4 of the paper (LibAUC's AUCMLoss v1): (1-p)(h-a)^2 I[y=1] + p(h-b)^2 I[y=0]
    + 2 alpha (p(1-p)m + p h I[y=0] - (1-p) h I[y=1]) - p(1-p) alpha^2, p the positives' share
    (of each class when the variables are per class), weighted."""
    s, y = as_float(scores), as_float(targets)
    w = np.ones_like(s) if weights is None else np.broadcast_to(as_float(weights), s.shape)
    variables = [np.asarray(v, dtype=np.float64) for v in (a, b, alpha)]
    per_class = any(v.ndim == 1 for v in variables)
    columns = s.shape[-1] if per_class else 1
    s2, y2, w2 = (v.reshape(-1, columns) for v in (s, y, w))
    a2, b2, alpha2 = (np.broadcast_to(v, (columns,)) for v in variables)
    if positive_rate is None:
        p = np.array([np.sum(w2[:, c] * y2[:, c]) / np.sum(w2[:, c]) for c in range(columns)])
    else:
        p = np.broadcast_to(as_float(positive_rate), (columns,))
    loss = np.zeros_like(s2)
    for i in range(s2.shape[0]):
        for c in range(columns):
            h, pos, q = s2[i, c], y2[i, c], p[c]
            loss[i, c] = ((1 - q) * pos * (h - a2[c]) ** 2 + q * (1 - pos) * (h - b2[c]) ** 2
                          + 2 * alpha2[c] * (q * (1 - q) * margin + q * h * (1 - pos) - (1 - q) * h * pos)
                          - q * (1 - q) * alpha2[c] ** 2)
    return reduce(w * loss.reshape(s.shape), w, reduction)
