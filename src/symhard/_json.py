"""Conversion of numpy scalars and arrays, Fractions and Paths into JSON values (one place)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, Fractions, tuples and Paths turned into JSON values.

    Non-finite floats become ``None`` (NaN) or the strings ``"inf"`` / ``"-inf"``, so the output
    of :func:`json.dumps` is strict JSON. Python ints of any size stay exact.

    >>> jsonable({"a": np.float64(0.5), "b": (1, np.int64(2)), "c": float("nan")})
    {'a': 0.5, 'b': [1, 2], 'c': None}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else (None if v != v else ("inf" if v > 0 else "-inf"))
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    return value
