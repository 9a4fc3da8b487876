"""Primitives the core needs for torch tensors beyond the array API standard."""

import types

import array_api_compat.torch as _torch_namespace
import torch

name = "torch"


def _take_along_axis(x, indices, /, *, axis=-1):
    # torch.take_along_dim accepts only int64 indices; the standard allows any integer dtype.
    return _torch_namespace.take_along_axis(x, indices.long(), axis=axis)


# array_api_compat's torch namespace, with the deviation above corrected.
namespace = types.SimpleNamespace(**{**vars(_torch_namespace), "take_along_axis": _take_along_axis})


def stop_gradient(x):
    return x.detach()


def device(x):
    return x.device
