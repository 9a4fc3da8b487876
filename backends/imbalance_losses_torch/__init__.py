"""PyTorch adapter of imbalance_losses.

``imbalance_losses_torch._adapter`` holds the primitives the core calls for
``torch.Tensor`` inputs (found lazily by the array's type). The ``torch.nn``
loss modules, a layer above the core, live in ``imbalance_losses_torch.nn``.
"""

from ._adapter import replica_sum

__all__ = ["replica_sum"]
