"""The array API compatibility layer, with a hook for vendored copies.

A project that vendors ``imbalance_losses`` next to its own copy of
``array_api_compat`` places a module ``_array_api_compat_vendor`` beside the
vendored package that re-exports the names below; it is used in preference to
the installed ``array_api_compat`` (the hook array-api-extra and scikit-learn use).
"""

try:  # DO NOT RENAME: the vendoring hook looks for this exact module name.
    from ..._array_api_compat_vendor import (  # type: ignore[import-not-found]
        array_namespace,
        device,
        is_array_api_obj,
        is_jax_array,
        is_numpy_array,
        is_torch_array,
    )
except ImportError:
    from array_api_compat import (
        array_namespace,
        device,
        is_array_api_obj,
        is_jax_array,
        is_numpy_array,
        is_torch_array,
    )

__all__ = [
    "array_namespace",
    "device",
    "is_array_api_obj",
    "is_jax_array",
    "is_numpy_array",
    "is_torch_array",
]
