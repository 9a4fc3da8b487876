"""torchvision (PyTorch): ``torchvision.ops.sigmoid_focal_loss``, where torchvision is installed
(the CPU-only environments of this project have none: it pins its own torch build)."""

from __future__ import annotations

from . import Library, Port
from ._mapping import torch_reduced

LIBRARY = Library("torchvision", "torchvision", "torch", ports=(
    Port("torchvision.ops.sigmoid_focal_loss(x, y, alpha=a, gamma=g, reduction='none')", "sigmoid_focal_loss",
         "il.sigmoid_focal_loss(x, y, alpha=a, gamma=g, reduction='none')",
         ("default", "alpha_off_gamma_half", "weights", "soft_none", "extreme"),
         lambda torchvision, x, y, o: torch_reduced(torchvision.ops.sigmoid_focal_loss(
             x, y, alpha=-1 if o["alpha"] is None else o["alpha"], gamma=o["gamma"], reduction="none"), o)),
))
