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


def check_shape(name, shape, expected_shape, description) -> None:
    if tuple(shape) != tuple(expected_shape):
        msg = (
            f"Invalid shape for argument `{name}`. Expected {description} {tuple(expected_shape)}. "
            f"Received: {name}.shape={tuple(shape)}"
        )
        raise ValueError(msg)


def check_broadcastable(name, shape, target_shape, description) -> None:
    shape, target_shape = tuple(shape), tuple(target_shape)
    ok = len(shape) <= len(target_shape) and all(
        s in (1, t) for s, t in zip(reversed(shape), reversed(target_shape))
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

    ``valid`` is a function so that nothing is computed while checks are off.
    """
    if not value_checks_enabled():
        return
    ok = valid()
    bad = int(xp.sum(xp.astype(~ok, xp.int32)))
    if bad:
        total = math.prod(ok.shape)
        msg = (
            f"Invalid values in argument `{name}`. Expected {expected}. "
            f"Received: {bad} of {total} values outside."
        )
        raise ValueError(msg)


def loss_options(owner: str, function, options: dict, defaults: dict | None = None) -> dict:
    """The keyword options of a core loss ``function`` with ``options`` applied.

    For the framework-native classes (torch modules, Keras losses): everything after
    the two array arguments except ``weights`` and ``state``, with ``defaults``
    overriding the function's own; unknown or missing options raise ``TypeError``.
    """
    import inspect

    parameters = list(inspect.signature(function).parameters.items())[2:]
    values = {name: p.default for name, p in parameters if name not in ("weights", "state")}
    values.update({k: v for k, v in (defaults or {}).items() if k in values})
    unknown = set(options) - set(values)
    if unknown:
        raise TypeError(f"{owner} got unexpected option(s) {sorted(unknown)}; expected a subset of {sorted(values)}")
    missing = [k for k, v in values.items() if v is inspect.Parameter.empty and k not in options]
    if missing:
        raise TypeError(f"{owner} missing required option(s) {missing}")
    return {**values, **options}
