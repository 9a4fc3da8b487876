"""ZLPR, dense/soft and sparse, one row at a time."""

from __future__ import annotations

import numpy as np

from ._common import as_float, reduce, weights_or_one


def multilabel_categorical_crossentropy(logits, targets, *, weights=None, reduction="mean"):
    s, t = as_float(logits), as_float(targets)
    flat_s, flat_t = s.reshape(-1, s.shape[-1]), t.reshape(-1, s.shape[-1])
    loss = np.empty(flat_s.shape[0])
    for i, (si, ti) in enumerate(zip(flat_s, flat_t)):
        pos = np.logaddexp.reduce(np.concatenate([[0.0], -si[ti > 0] + np.log(ti[ti > 0])]))
        neg = np.logaddexp.reduce(np.concatenate([[0.0], si[ti < 1] + np.log(1 - ti[ti < 1])]))
        loss[i] = pos + neg
    loss = loss.reshape(s.shape[:-1])
    w = weights_or_one(weights, loss.shape)
    return reduce(w * loss, w, reduction)


def sparse_multilabel_categorical_crossentropy(logits, label_indices, *, mask_zero=False, weights=None,
                                               reduction="mean"):
    s = as_float(logits)
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
    w = weights_or_one(weights, loss.shape)
    return reduce(w * loss, w, reduction)
