"""Equalization loss (EQL v1), sample by sample and class by class."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce


def equalization_loss(logits, targets, counts, *, num_samples, lambda_=1.76e-3, weights=None, reduction="mean"):
    """Tan et al., eq. 3-5: BCE with w_j = 1 - E(r) T_lambda(f_j) (1 - y_j), E(r) = 1 on a foreground
    sample, T_lambda(f) = [f < lambda], f_j = counts_j / num_samples."""
    x, y = as_float(logits), as_float(targets)
    rows, classes = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    loss = np.zeros_like(rows)
    for i in range(rows.shape[0]):
        foreground = 1.0 if np.any(classes[i] > 0) else 0.0
        for j in range(rows.shape[1]):
            rare = 1.0 if counts[j] / num_samples < lambda_ else 0.0
            weight = 1 - foreground * rare * (1 - classes[i, j])
            bce = -(classes[i, j] * log_sigmoid(rows[i, j]) + (1 - classes[i, j]) * log_sigmoid(-rows[i, j]))
            loss[i, j] = weight * bce
    loss = loss.reshape(x.shape)
    w = np.ones_like(loss) if weights is None else np.broadcast_to(as_float(weights), loss.shape)
    return reduce(w * loss, w, reduction)
