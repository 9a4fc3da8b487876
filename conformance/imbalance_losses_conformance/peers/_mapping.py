"""Steps the option mappings share: our weights and reduction applied to a peer's
per-element losses, and integer labels as one-hot rows on the class axis."""

from __future__ import annotations


def reduce_like_ours(losses, o, total):
    """Our ``weights`` and ``reduction`` on per-element ``losses`` (``total`` sums an array
    of the peer's framework): "mean" is Σ w·ℓ / Σ w, as SPEC §3."""
    weights = o.get("weights")
    weighted = losses if weights is None else losses * weights
    if o["reduction"] == "none":
        return weighted
    if o["reduction"] == "sum":
        return total(weighted)
    return total(weighted) / total(losses * 0 + 1 if weights is None else weights)


def moved(x, o, moveaxis):
    """The class axis last, as the channels-last peers want it."""
    return moveaxis(x, o.get("axis", -1), -1)


def torch_reduced(losses, o):
    import torch

    return reduce_like_ours(losses, o, torch.sum)


def torch_one_hot(y, x, axis=1):
    """Integer labels as one-hot rows on ``axis`` in the logits' dtype; dense targets as given."""
    import torch

    if y.is_floating_point():
        return y
    return torch.nn.functional.one_hot(y.long(), x.shape[axis]).movedim(-1, axis).to(x.dtype)


def linear_in_targets(oracle, x, y, o):
    """Ours on hard targets 1 and 0, mixed by the soft target: y ℓ(x, 1) + (1 - y) ℓ(x, 0),
    the soft-target convention of libraries that weight each term of the binary formula."""
    import numpy as np

    none = {**o, "reduction": "none"}
    mixed = y * oracle(x, np.ones_like(y), **none) + (1 - y) * oracle(x, np.zeros_like(y), **none)
    reduction, weights = o.get("reduction", "mean"), o.get("weights")
    if reduction == "none":
        return mixed
    total = mixed.sum()
    return total if reduction == "sum" else total / (mixed.size if weights is None else weights.sum())
