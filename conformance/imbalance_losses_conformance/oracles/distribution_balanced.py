"""Distribution-Balanced loss: the reference ``ResampleLoss`` (rebalance weights, logit
regularisation, focal term) for one sample and class at a time."""

from __future__ import annotations

import numpy as np

from ._common import as_float, log_sigmoid, reduce


def distribution_balanced_loss(logits, targets, counts, *, num_samples, map_alpha=0.1, map_beta=10.0, map_mu=0.2,
                               neg_scale=2.0, init_bias=0.05, gamma=2.0, balance=2.0, weights=None,
                               reduction="mean"):
    x, y = as_float(logits), as_float(targets)
    num_classes = x.shape[-1]
    x2, y2 = x.reshape(-1, num_classes), y.reshape(-1, num_classes)
    n = np.clip(as_float(counts), 1, num_samples - 1)
    bias = -np.log(num_samples / n - 1) * init_bias / neg_scale
    loss = np.zeros_like(x2)
    for i in range(x2.shape[0]):
        repeat_rate = np.sum(y2[i] / n)
        for k in range(num_classes):
            r = (1 / n[k]) / repeat_rate if repeat_rate > 0 else np.inf
            weight = map_alpha + 1 / (1 + np.exp(-map_beta * (r - map_mu)))
            z = x2[i, k] + bias[k]
            t = y2[i, k]
            z = z * (1 - t) * neg_scale + z * t
            weight = weight / neg_scale * (1 - t) + weight * t
            bce = -(t * log_sigmoid(z) + (1 - t) * log_sigmoid(-z))
            pt = np.exp(-bce)
            loss[i, k] = balance * (1 - pt) ** gamma * weight * bce
    loss = loss.reshape(x.shape)
    w = np.ones_like(x) if weights is None else np.broadcast_to(as_float(weights), x.shape)
    return reduce(w * loss, w, reduction)
