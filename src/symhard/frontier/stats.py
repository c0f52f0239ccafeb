r"""Thresholds with bootstrap intervals over seeds, and the fit of log threshold against log budget.

Threshold of one line, from its evaluated sizes :math:`s_1 < \dots < s_r` and the per-seed
outcomes at each (the same seed indices at every size):

.. math:: \hat s = \max\{\, s_j : \text{rate}(s_i) \ge 1/2 \text{ for every } i \le j \,\},

the largest size before the first size that fails (the monotone envelope), ``None`` when the
smallest size already fails. Its interval is a percentile bootstrap over seeds: resample the
seed indices with replacement (the same indices at every size of the line, and across the lines
of one k, so that the slope's interval sees the seed-to-seed correlation), recompute
:math:`\hat s` from the resampled rates, and take the 2.5 % and 97.5 % quantiles. A resample
whose threshold falls below the smallest size counts at the smallest size minus one.

Fit: ordinary least squares of :math:`\log s^\star` on :math:`\log B` over the budgets whose
threshold is not censored (at least two), slope :math:`\hat\beta`; its interval is the percentile
bootstrap of the slope over the same seed resamples. With four seeds a bootstrap interval is
coarse; it is what the data support and is reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._random import as_generator
from ..errors import InvalidParameterError

__all__ = ["line_threshold", "bootstrap_thresholds", "fit_slope", "SlopeFit"]


def line_threshold(sizes: Sequence[int], success: np.ndarray, seeds_idx: np.ndarray | None = None) -> int | None:
    """The monotone-envelope threshold of one line.

    ``sizes [r]`` increasing, ``success [r, S]`` booleans (size × seed); ``seeds_idx`` selects
    (with repetition) the seeds of a bootstrap resample.
    """
    succ = np.asarray(success, dtype=bool)
    if seeds_idx is not None:
        succ = succ[:, seeds_idx]
    best = None
    for s, row in zip(sizes, succ):
        if row.mean() < 0.5:
            break
        best = int(s)
    return best


def bootstrap_thresholds(sizes: Sequence[int], success: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Thresholds of one line for each bootstrap resample ``resamples [B, S]`` (seed indices).

    Returns ``[B]`` floats; a resample that fails at the smallest size gives ``sizes[0] − 1``.
    """
    out = np.empty(resamples.shape[0])
    for b, idx in enumerate(resamples):
        t = line_threshold(sizes, success, idx)
        out[b] = sizes[0] - 1 if t is None else t
    return out


def seed_resamples(n_seeds: int, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """``[n_boot, n_seeds]`` seed indices drawn with replacement (one fixed stream)."""
    if n_seeds < 1:
        raise InvalidParameterError("a bootstrap needs at least one seed.")
    return as_generator(seed).integers(0, n_seeds, size=(n_boot, n_seeds))


@dataclass
class SlopeFit:
    """``log threshold = intercept + slope · log budget``, with a bootstrap interval of the slope."""

    slope: float | None
    intercept: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    points: int


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    A = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(coef[1]), float(coef[0])


def fit_slope(budgets: Sequence[float], thresholds: Sequence[float | None],
              boot_thresholds: np.ndarray | None = None, censored: Sequence[str | None] | None = None,
              level: float = 0.95) -> SlopeFit:
    """Least-squares slope of log threshold on log budget, over the uncensored budgets.

    ``boot_thresholds [B, len(budgets)]`` (same resamples for every budget) gives the interval;
    a resample's thresholds below 1 are dropped from its fit.
    """
    budgets = np.asarray(budgets, dtype=float)
    keep = np.array([t is not None and t >= 1 and (censored is None or censored[i] is None)
                     for i, t in enumerate(thresholds)])
    if keep.sum() < 2:
        return SlopeFit(None, None, None, None, int(keep.sum()))
    x = np.log(budgets[keep])
    y = np.log(np.array([thresholds[i] for i in np.flatnonzero(keep)], dtype=float))
    slope, intercept = _ols(x, y)
    lo = hi = None
    if boot_thresholds is not None:
        bt = np.asarray(boot_thresholds, dtype=float)[:, keep]
        slopes = [_ols(x[row >= 1], np.log(row[row >= 1]))[0] for row in bt if (row >= 1).sum() >= 2]
        if slopes:
            a = (1 - level) / 2
            lo, hi = (float(v) for v in np.quantile(slopes, [a, 1 - a]))
    return SlopeFit(slope, intercept, lo, hi, int(keep.sum()))


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap values (NaN-free)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    a = (1 - level) / 2
    lo, hi = np.quantile(v, [a, 1 - a])
    return float(lo), float(hi)
