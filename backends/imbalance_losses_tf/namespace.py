"""An array API namespace over TensorFlow ops: the subset imbalance_losses uses.

Each function follows the array API standard's signature and semantics for the
arguments the core passes. Everything stays a TF op (usable under
``tf.function(jit_compile=True)``, no host synchronisation, no NumPy round trip).
"""

import builtins
import math

import ml_dtypes
import tensorflow as tf

__array_api_version__ = "2024.12"

bool = tf.bool  # noqa: A001 - the standard's dtype name
int32 = tf.int32
int64 = tf.int64
float16 = tf.float16
bfloat16 = tf.bfloat16
float32 = tf.float32
float64 = tf.float64
inf = math.inf
nan = math.nan

_KINDS = {
    "bool": lambda d: d == tf.bool,
    "signed integer": lambda d: d.is_integer and not d.is_unsigned,
    "unsigned integer": lambda d: d.is_integer and d.is_unsigned,
    "integral": lambda d: d.is_integer,
    "real floating": lambda d: d.is_floating,
    "complex floating": lambda d: d.is_complex,
    "numeric": lambda d: d.is_integer or d.is_floating or d.is_complex,
}


def isdtype(dtype, kind):
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        return _KINDS[kind](tf.as_dtype(dtype))
    return tf.as_dtype(dtype) == tf.as_dtype(kind)


def finfo(dtype):
    return ml_dtypes.finfo(tf.as_dtype(dtype).as_numpy_dtype)


def on_device(device):
    """A scope placing operations on ``device`` (none for a symbolic tensor's empty one)."""
    return tf.device(device) if device else _NullContext()


class _NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    if isinstance(obj, (tf.Tensor, tf.Variable)):
        return obj if dtype is None or obj.dtype == dtype else tf.cast(obj, dtype)
    with on_device(device):
        return tf.constant(obj, dtype=dtype)


def astype(x, dtype, /, *, copy=True, device=None):
    return tf.cast(x, dtype)


def _as_operands(a, b):
    """Python scalars take the dtype of the other operand (array API scalar rules)."""
    if not isinstance(a, (tf.Tensor, tf.Variable)):
        a = tf.constant(a, dtype=b.dtype)
    if not isinstance(b, (tf.Tensor, tf.Variable)):
        b = tf.constant(b, dtype=a.dtype)
    return a, b


def where(condition, x1, x2, /):
    x1, x2 = _as_operands(x1, x2)
    return tf.where(condition, x1, x2)


def zeros(shape, *, dtype=None, device=None):
    with on_device(device):
        return tf.zeros(shape, dtype=dtype or tf.float32)


def ones(shape, *, dtype=None, device=None):
    with on_device(device):
        return tf.ones(shape, dtype=dtype or tf.float32)


def full(shape, fill_value, *, dtype=None, device=None):
    with on_device(device):
        return tf.fill(shape, tf.constant(fill_value, dtype=dtype))


def zeros_like(x, /, *, dtype=None, device=None):
    return tf.zeros_like(x, dtype=dtype)


def ones_like(x, /, *, dtype=None, device=None):
    return tf.ones_like(x, dtype=dtype)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    if stop is None:
        start, stop = 0, start
    with on_device(device):
        return tf.range(start, stop, step, dtype=dtype or tf.int64)


def reshape(x, /, shape, *, copy=None):
    return tf.reshape(x, shape)


def broadcast_to(x, /, shape):
    return tf.broadcast_to(x, shape)


def expand_dims(x, /, *, axis=0):
    return tf.expand_dims(x, axis)


def squeeze(x, /, axis):
    return tf.squeeze(x, axis)


def moveaxis(x, source, destination, /):
    perm = [i for i in range(x.ndim) if i != source % x.ndim]
    perm.insert(destination % x.ndim, source % x.ndim)
    return tf.transpose(x, perm)


def concat(arrays, /, *, axis=0):
    return tf.concat(list(arrays), axis)


def stack(arrays, /, *, axis=0):
    return tf.stack(list(arrays), axis)


def unstack(x, /, *, axis=0):
    return tuple(tf.unstack(x, axis=axis))


def take(x, indices, /, *, axis=None):
    return tf.gather(x, indices, axis=0 if axis is None else axis)


def take_along_axis(x, indices, /, *, axis=-1):
    if axis % x.ndim != x.ndim - 1:
        x, indices = moveaxis(x, axis, -1), moveaxis(indices, axis, -1)
        return moveaxis(take_along_axis(x, indices), -1, axis)
    if builtins.all(d == 1 for d in x.shape[:-1]):
        # A per-class vector broadcast over the indices: one gather, no broadcast copy.
        return tf.gather(tf.reshape(x, [-1]), indices)
    if x.shape[:-1] != indices.shape[:-1] or None in x.shape[:-1]:
        batch = tf.broadcast_dynamic_shape(tf.shape(x)[:-1], tf.shape(indices)[:-1])
        x = tf.broadcast_to(x, tf.concat([batch, tf.shape(x)[-1:]], 0))
        indices = tf.broadcast_to(indices, tf.concat([batch, tf.shape(indices)[-1:]], 0))
    return tf.gather(x, indices, axis=-1, batch_dims=x.ndim - 1)


def _reduction(op):
    def reduce(x, /, *, axis=None, keepdims=False):
        return op(x, axis=axis, keepdims=keepdims)

    return reduce


sum = _reduction(tf.reduce_sum)  # noqa: A001
max = _reduction(tf.reduce_max)  # noqa: A001
min = _reduction(tf.reduce_min)  # noqa: A001
mean = _reduction(tf.reduce_mean)
all = _reduction(tf.reduce_all)  # noqa: A001
any = _reduction(tf.reduce_any)  # noqa: A001


def argmax(x, /, *, axis=None, keepdims=False):
    out = tf.argmax(tf.reshape(x, [-1]) if axis is None else x, axis=0 if axis is None else axis, output_type=tf.int64)
    return tf.expand_dims(out, axis) if keepdims and axis is not None else out


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    # tf.argsort is stable either way; int64 like the standard's default indexing dtype.
    return tf.cast(tf.argsort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING", stable=True),
                   tf.int64)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    out = tf.cumsum(x, axis=0 if axis is None else axis)
    if include_initial:
        zero = tf.zeros_like(tf.gather(out, [0], axis=axis))
        out = tf.concat([zero, out], axis)
    return out


def clip(x, /, min=None, max=None):  # noqa: A002
    if min is not None:
        x = tf.maximum(x, tf.cast(min, x.dtype))
    if max is not None:
        x = tf.minimum(x, tf.cast(max, x.dtype))
    return x


def maximum(x1, x2, /):
    return tf.maximum(*_as_operands(x1, x2))


def minimum(x1, x2, /):
    return tf.minimum(*_as_operands(x1, x2))


def logaddexp(x1, x2, /):
    # The gradient-stopped shift gives the symmetric gradient 1/2 at ties
    # (tf.maximum's gradient would send all of it to one side).
    x1, x2 = _as_operands(x1, x2)
    shift = tf.stop_gradient(tf.maximum(x1, x2))
    return shift + tf.math.log(tf.exp(x1 - shift) + tf.exp(x2 - shift))


abs = tf.abs  # noqa: A001
exp = tf.exp
tanh = tf.tanh
expm1 = tf.math.expm1
log = tf.math.log
log1p = tf.math.log1p
sqrt = tf.sqrt
square = tf.square
floor = tf.floor
sign = tf.sign
isfinite = tf.math.is_finite
isnan = tf.math.is_nan
logical_not = tf.logical_not


def matmul(x1, x2, /):
    return tf.linalg.matmul(x1, x2)


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    # tf.searchsorted searches the innermost axis of matching leading shapes: one sorted
    # sequence for every value, as the standard's 1-D x1.
    flat = tf.reshape(x2, [1, -1])
    index = tf.searchsorted(tf.reshape(x1, [1, -1]), flat, side=side, out_type=tf.int64)
    return tf.reshape(index, tf.shape(x2))


def full_like(x, /, fill_value, *, dtype=None, device=None):
    return tf.fill(tf.shape(x), tf.constant(fill_value, dtype=dtype or x.dtype))


def vecdot(x1, x2, /, *, axis=-1):
    x1, x2 = _as_operands(x1, x2)
    return tf.reduce_sum(x1 * x2, axis=axis)


def pow(x1, x2, /):  # noqa: A001
    return tf.pow(*_as_operands(x1, x2))


class _Info:
    """The inspection namespace: TensorFlow's default dtypes, as the standard describes them."""

    def default_dtypes(self, *, device=None):
        return {"real floating": tf.float32, "complex floating": tf.complex64, "integral": tf.int64,
                "indexing": tf.int64}


def __array_namespace_info__():
    return _Info()
