"""Errors raised by symhard.

Every invalid input raises a :class:`SymhardError` subclass whose message says what was
wrong and what is allowed. The command line prints it as one line and exits with status 2.
:class:`InvalidParameterError` inherits from ``ValueError`` and ``TypeError`` so that callers
that catch either keep working (the scikit-learn convention).
"""

from __future__ import annotations

import numbers
from typing import Any


class SymhardError(Exception):
    """Base class of every error that symhard raises on purpose."""


class InvalidParameterError(SymhardError, ValueError, TypeError):
    """A parameter has a wrong type or a value outside its allowed range."""


class GroupSpecError(InvalidParameterError):
    """A group specification string could not be parsed."""


class EnumerationLimitError(SymhardError, ValueError):
    """An enumeration was refused because it would exceed a size cap."""


class DegenerateMemberError(InvalidParameterError):
    """A requested family member is degenerate (constant, or zero) and carries no hardness."""


class InstanceFormatError(SymhardError, ValueError):
    """A file (DIMACS, spec, data set) is malformed; the message names the line."""


def check_int(value: Any, name: str, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking its type and range.

    >>> check_int(3, "n", min_value=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an integer, not {type(value).__name__} ({value!r}).")
    value = int(value)
    if min_value is not None and value < min_value:
        raise InvalidParameterError(f"{name} == {value}, must be >= {min_value}.")
    if max_value is not None and value > max_value:
        raise InvalidParameterError(f"{name} == {value}, must be <= {max_value}.")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a ``float`` after checking that it is finite and in the interval.

    The interval is ``[low, high]``; ``low_open`` / ``high_open`` make either end open.

    >>> check_float(0.5, "tau", low=0, high=1, low_open=True)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a real number, not {type(value).__name__} ({value!r}).")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidParameterError(f"{name} must be finite, got {value}.")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise InvalidParameterError(f"{name} == {value:g}, must lie in {left}{lo}, {hi}{right}.")
    return value


def check_tau(tau: Any) -> float:
    """Validate a query tolerance: a real number in (0, 1]."""
    return check_float(tau, "tau", low=0.0, high=1.0, low_open=True)
