"""Input checks, all with one message template.

Static checks (options, shapes, dtypes) are free and always run. Value checks
(labels in range, targets in [0, 1], finite logits, non-negative weights) need the
array's values on the host, a synchronisation that breaks ``jax.jit`` and
``torch.compile``; they run only when switched on with :func:`check_values` or
the environment variable ``IMBALANCE_LOSSES_CHECK_VALUES=1``.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os

__all__ = ["check_values", "value_checks_enabled"]

# A plain module global (not a ContextVar): torch.compile can read it and guards
# on it, so switching checks on recompiles instead of breaking the graph.
_value_checks = {"enabled": os.environ.get("IMBALANCE_LOSSES_CHECK_VALUES", "0").lower() in {"1", "true", "yes"}}

REDUCTIONS = ("mean", "sum", "none")


def format_value(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def invalid_argument(name: str, expected: str, received) -> ValueError:
    return ValueError(
        f"Invalid value for argument `{name}`. Expected {expected}. "
        f"Received: {name}={format_value(received)}"
    )


def unknown_options(owner: str, unknown: dict, missing: list, expected: list) -> TypeError:
    """A class built with options its function does not take, or without a required one."""
    received = ", ".join(f"{k}={format_value(v)}" for k, v in unknown.items())
    if missing:
        received = ", ".join(filter(None, [received, f"no value for {', '.join(missing)}"]))
    return TypeError(
        f"Invalid arguments for `{owner}`. Expected keyword options among {tuple(expected)}"
        f"{' (required: ' + ', '.join(missing) + ')' if missing else ''}. Received: {received}"
    )


def check_reduction(reduction) -> None:
    if reduction not in REDUCTIONS:
        raise invalid_argument("reduction", f"one of {REDUCTIONS}", reduction)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Check a Python real option against ``[low, high]`` (ends open when asked); return it as float."""
    # Comparisons rather than math.isfinite: torch.compile traces (and guards) them
    # when an option arrives as a symbolic float.
    in_range = _is_real(value) and -math.inf < value < math.inf
    if in_range and low is not None:
        in_range = value > low if low_open else value >= low
    if in_range and high is not None:
        in_range = value < high if high_open else value <= high
    if not in_range:
        if high is None:
            expected = f"a finite number {'>' if low_open else '>='} {low}" if low is not None else "a finite number"
        else:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            expected = f"a number in {left}{low}, {high}{right}"
        raise invalid_argument(name, expected, value)
    return float(value)


def check_integer(name, value, *, low):
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low):
        raise invalid_argument(name, f"an integer >= {low}", value)
    return int(value)


def check_ignore_index(ignore_index) -> None:
    if ignore_index is not None and (not isinstance(ignore_index, int) or isinstance(ignore_index, bool)):
        raise invalid_argument("ignore_index", "an integer or None", ignore_index)


def check_choice(name, value, choices):
    if value not in choices:
        raise invalid_argument(name, f"one of {tuple(choices)}", value)
    return value


def check_floating(xp, name, x) -> None:
    if not xp.isdtype(x.dtype, "real floating"):
        msg = (
            f"Invalid dtype for argument `{name}`. Expected a real floating-point dtype. "
            f"Received: {name}.dtype={x.dtype}"
        )
        raise TypeError(msg)


def _same_size(a, b) -> bool:
    """Sizes agree, or one is unknown until run time (``None``: e.g. a TF batch dimension)."""
    return a is None or b is None or a == b


def check_shape(name, shape, expected_shape, description) -> None:
    shape, expected_shape = tuple(shape), tuple(expected_shape)
    if len(shape) != len(expected_shape) or not all(map(_same_size, shape, expected_shape)):
        msg = (
            f"Invalid shape for argument `{name}`. Expected {description} {tuple(expected_shape)}. "
            f"Received: {name}.shape={tuple(shape)}"
        )
        raise ValueError(msg)


def check_broadcastable(name, shape, target_shape, description) -> None:
    shape, target_shape = tuple(shape), tuple(target_shape)
    ok = len(shape) <= len(target_shape) and all(
        s == 1 or _same_size(s, t) for s, t in zip(reversed(shape), reversed(target_shape))
    )
    if not ok:
        msg = (
            f"Invalid shape for argument `{name}`. Expected a shape broadcastable to "
            f"{description} {target_shape}. Received: {name}.shape={shape}"
        )
        raise ValueError(msg)


@contextlib.contextmanager
def check_values(enabled: bool = True):
    """Switch the value checks on (or off) inside a ``with`` block.

    With checks on, every loss verifies that labels are valid class indices,
    targets lie in [0, 1], logits are finite and weights are non-negative, and
    raises ``ValueError`` otherwise. Each check reads the values on the host (a
    device synchronisation), so they are off by default and must stay off inside
    ``jax.jit``, ``torch.compile`` and ``tf.function``.

    Examples
    --------
    >>> import numpy as np, imbalance_losses as il
    >>> with il.check_values():
    ...     il.sigmoid_cross_entropy(np.zeros(2), np.array([0.0, 2.0]))
    Traceback (most recent call last):
    ...
    ValueError: Invalid values in argument `targets`. Expected values in [0, 1]. Received: 1 of 2 values outside.
    """
    previous = _value_checks["enabled"]
    _value_checks["enabled"] = bool(enabled)
    try:
        yield
    finally:
        _value_checks["enabled"] = previous


def value_checks_enabled() -> bool:
    """Whether value checks are on (see :func:`check_values`)."""
    return _value_checks["enabled"]


def check_array_values(xp, name, valid, expected) -> None:
    """When value checks are on, raise if any entry of the boolean array ``valid()`` is false.

    ``valid`` is a function so that nothing is computed while checks are off, and
    ``expected`` may be one too (a message with option values in it is then never
    formatted on the loss path, where ``torch.compile`` may hold them as symbols).
    """
    if not value_checks_enabled():
        return
    ok = valid()
    bad = int(xp.sum(xp.astype(~ok, xp.int32)))
    if bad:
        total = math.prod(ok.shape)
        expected = expected() if callable(expected) else expected
        msg = (
            f"Invalid values in argument `{name}`. Expected {expected}. "
            f"Received: {bad} of {total} values outside."
        )
        raise ValueError(msg)
