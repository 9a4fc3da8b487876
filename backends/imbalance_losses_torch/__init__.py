"""PyTorch primitives of imbalance_losses: the layer below the core.

``imbalance_losses_torch._adapter`` holds what the core calls for
``torch.Tensor`` inputs (found lazily by the array's type). The ``torch.nn``
loss modules, a layer above the core, are ``imbalance_losses.torch``.
"""

from ._adapter import replica_gather, replica_sum

__all__ = ["replica_gather", "replica_sum"]
