"""LibAUC (PyTorch): its AUC-margin loss, ``AUCMLoss`` (version v1), on our rows.

LibAUC holds a, b and alpha as float32 parameters starting at 0; a port sets them to
the case's values in the scores' dtype. Its loss takes scores and labels of shape
(N, 1) (a port flattens them: an (N, C) input raises) and reads the prior from the
batch (``auto=True``), as our ``positive_rate=None``.
"""

from __future__ import annotations

from . import Library, Port

# LibAUC's and MONAI's batch prior: (target == 1).float() summed or averaged in float32.
FLOAT32_PRIOR = "the batch's prior is computed in float32 ((target == 1).float()), float64 inputs too"


def auc_variables(loss, x, o):
    """The peer's a, b, alpha parameters replaced by the case's values in the scores' dtype."""
    import torch

    for name in ("a", "b", "alpha"):
        setattr(loss, name, torch.nn.Parameter(torch.tensor(o[name], dtype=x.dtype, device=x.device)))
    return loss


LIBRARY = Library("LibAUC", "libauc", "torch", subpackage="losses", ports=(
    Port("libauc.losses.AUCMLoss(margin=m) with parameters a, b, alpha", "auc_margin_loss",
         "il.auc_margin_loss(x, y, a, b, alpha, margin=m)", ("default",),
         lambda libauc, x, y, o: auc_variables(libauc.AUCMLoss(margin=o["margin"]), x, o)(
             x.reshape(-1, 1), y.reshape(-1, 1)).reshape(()),
         float64_note=FLOAT32_PRIOR),
))
