r"""Bisection on the size: the largest size at which at least half of the seeds learn.

For one *line* (a learner, a hardness parameter k and a budget) the size threshold is

.. math:: s^\star = \max\{\, s : \text{at least half of the seeds reach normalized test error} < \varepsilon \,\},

found by bisection on the integer sizes of a bracket ``[lo, hi]`` under the assumption that
success is monotone in the size (a larger instance of a hard class is no easier). The bisection
is geometric while the bracket spans a factor of two or more (the midpoint of ``good`` and
``bad`` is ``round(√(good·bad))``: thresholds span decades), then arithmetic, and it stops when ``bad − good ≤ max(1, ⌊rel_tol·good⌋)`` (``rel_tol = 0``:
the exact integer threshold). The ends are checked first: a line that fails already at ``lo`` is
*censored below* (threshold < lo), one that succeeds at ``hi`` is *censored above* (≥ hi); a
censored threshold is reported as such, never as a number it is not.

A :class:`Bisection` is a small state machine (``next_size`` → evaluate → ``record``) so that the
caller can evaluate the next sizes of many lines at once (one round of chunks per executor call)
and replay a stored sequence after a crash: the sequence of sizes depends only on the outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError, check_float, check_int

__all__ = ["Bisection", "success_rate"]


def success_rate(errors: np.ndarray | list[float], threshold: float) -> float:
    """Fraction of seeds whose error is below ``threshold`` (NaN/inf count as failures)."""
    e = np.asarray(errors, dtype=float)
    if e.size == 0:
        raise InvalidParameterError("success_rate needs at least one seed.")
    return float(np.mean(np.where(np.isfinite(e), e, np.inf) < threshold))


@dataclass
class Bisection:
    """Geometric bisection of one line on the integer sizes ``lo..hi`` (see the module docstring).

    ``outcomes`` maps each evaluated size to the per-seed errors recorded for it.
    """

    lo: int
    hi: int
    error_threshold: float = 0.1
    rel_tol: float = 0.0
    outcomes: dict[int, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lo = check_int(self.lo, "lo", min_value=1)
        self.hi = check_int(self.hi, "hi", min_value=self.lo + 1)
        self.error_threshold = check_float(self.error_threshold, "error_threshold", low=0.0, low_open=True)
        self.rel_tol = check_float(self.rel_tol, "rel_tol", low=0.0, high=1.0)

    # ------------------------------------------------------------------ state
    def learned(self, size: int) -> bool:
        """At least half of the seeds succeeded at ``size`` (which must have been evaluated)."""
        return success_rate(self.outcomes[size], self.error_threshold) >= 0.5

    def bracket(self) -> tuple[int | None, int | None]:
        """``(good, bad)``: the largest learned size and the smallest failed size above it, so far."""
        sizes = sorted(self.outcomes)
        good = max((s for s in sizes if self.learned(s)), default=None)
        bad = min((s for s in sizes if not self.learned(s) and (good is None or s > good)), default=None)
        return good, bad

    def next_size(self) -> int | None:
        """The next size to evaluate, or ``None`` when the line is finished."""
        if self.lo not in self.outcomes:
            return self.lo
        if not self.learned(self.lo):
            return None  # censored below
        if self.hi not in self.outcomes:
            return self.hi
        good, bad = self.bracket()
        if bad is None:
            return None  # censored above: learned at hi
        if bad - good <= max(1, math.floor(self.rel_tol * good)):
            return None
        # geometric while the bracket spans a factor of 2 or more (thresholds span decades), then arithmetic
        mid = int(round(math.sqrt(good * bad))) if bad >= 2 * good else (good + bad) // 2
        return min(max(mid, good + 1), bad - 1)

    def record(self, size: int, errors: list[float]) -> None:
        """Record the per-seed errors measured at ``size``."""
        if size in self.outcomes:
            raise InvalidParameterError(f"size {size} is already recorded on this line.")
        if not errors:
            raise InvalidParameterError("record needs the errors of at least one seed.")
        self.outcomes[int(size)] = [float(e) for e in errors]

    @property
    def done(self) -> bool:
        return self.next_size() is None

    @property
    def censored(self) -> str | None:
        """``"below"`` (fails at lo), ``"above"`` (learns at hi) or ``None`` (bracketed)."""
        if self.lo in self.outcomes and not self.learned(self.lo):
            return "below"
        if self.hi in self.outcomes and self.learned(self.hi):
            return "above"
        return None

    @property
    def threshold(self) -> int | None:
        """The bisection's estimate: the largest learned size of the final bracket (``None`` if censored below)."""
        if self.censored == "below":
            return None
        return self.bracket()[0]
