"""Class-imbalance losses written once against the Python array API.

The same functions run on NumPy, PyTorch, JAX and TensorFlow arrays (and any
other array API library) and return arrays of the input's framework, device and
dtype. Importing this package imports no framework.
"""

from ._sigmoid import sigmoid_cross_entropy, sigmoid_focal_loss
from ._softmax import softmax_cross_entropy, softmax_focal_loss
from ._validation import check_values, value_checks_enabled

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "check_values",
    "sigmoid_cross_entropy",
    "sigmoid_focal_loss",
    "softmax_cross_entropy",
    "softmax_focal_loss",
    "value_checks_enabled",
]
