r"""Certified packings by the probabilistic method, and the best counting-lemma bound over a grid.

A CSQ lower bound for a sub-class is a lower bound for the class, so a bound for a whole class
of frames needs only a *certified* set of ``m`` members whose pairwise correlations are at most
``γ``. This module certifies the existence of such sets without listing them.

The probabilistic method
------------------------
Draw ``m`` members independently from a distribution on the class. Suppose that for two
independent draws the *bad* event (their overlap exceeds ``s``) has probability at most ``p``.
The expected number of bad unordered pairs is at most :math:`m(m-1)p/2`; when that is below 1,
some outcome has no bad pair, so there **exist** ``m`` members with all pairwise overlaps at
most ``s``. :func:`packing_size` returns the largest such ``m`` (a Python int of any size).

Lemma (Stiefel tail)
--------------------
Let :math:`V \in St(d, 2)` be fixed and ``U`` uniform on :math:`St(d, 2)` (``d ≥ 3``; at ``d = 2`` the bound is trivial). For
:math:`0 \le s \le \sqrt 2`,

.. math:: P(\|V^\top U\|_{op} > s) \le 2\,(1 - s^2/2)^{(d-2)/2}.

*Proof.* :math:`\|V^\top U\|_{op}^2 \le \|V^\top U\|_F^2 = \|P_V u_1\|^2 + \|P_V u_2\|^2`. Each column
:math:`u_j` is uniform on :math:`S^{d-1}`: write :math:`u = g/\|g\|`, ``g ~ N(0, I_d)``; then
:math:`\|P_V g\|^2 \sim \chi^2_2` and :math:`\|P_V^\perp g\|^2 \sim \chi^2_{d-2}` are independent and
:math:`\|P_V u\|^2 = x/(x+y) \sim \mathrm{Beta}(1, (d-2)/2)`, whose survival function is
:math:`(1-t)^{(d-2)/2}`. If both squared projections are at most :math:`s^2/2`, the Frobenius
norm is at most ``s``; a union bound over the two columns gives the claim. ∎

Lemma (Hoeffding, Rademacher sums)
----------------------------------
For :math:`X = \sum_i \varepsilon_i c_i` with independent uniform signs :math:`\varepsilon_i`,
:math:`P(|X| \ge t) \le 2\exp(-t^2 / (2\sum_i c_i^2))` (Hoeffding 1963; :math:`\cosh x \le e^{x^2/2}`).

Together with :func:`symhard.queries.bounds.csq_pairwise_bound`: if ``m(s)`` members with
pairwise overlap at most ``s`` exist and every such pair has correlation at most ``γ(s)``, then
:math:`q \ge (m(s)-1)(\tau^2-\gamma(s))/(1-\gamma(s))` for every ``s``; :func:`best_packing_bound`
takes the largest over a grid of ``s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidParameterError, check_int, check_tau
from .bounds import LowerBound, csq_pairwise_bound

__all__ = [
    "stiefel_overlap_log_tail", "rademacher_log_tail", "packing_size", "PackingBound", "best_packing_bound",
    "choose_bound",
]

_LN10 = math.log(10.0)
#: Packing sizes are capped at 10^MAX_DIGITS (building larger integers costs time and changes nothing).
MAX_DIGITS = 4000


def stiefel_overlap_log_tail(d: int, s) -> np.ndarray:
    r"""Natural log of :math:`2(1 - s^2/2)^{(d-2)/2}`, the bound of P(‖VᵀU‖_op > s) (module docstring).

    ``s`` in ``[0, √2)`` (array or scalar); ``d ≥ 2`` (at ``d = 2`` the bound is 2: trivial, as
    every pair of 2-frames of R² has overlap 1). Returns ``log p`` with the same shape.
    """
    d = check_int(d, "d", min_value=2)
    s = np.asarray(s, dtype=np.float64)
    if (s < 0).any() or (s >= math.sqrt(2)).any():
        raise InvalidParameterError("overlap levels s must lie in [0, sqrt(2)).")
    return math.log(2.0) + 0.5 * (d - 2) * np.log1p(-0.5 * s**2)


def rademacher_log_tail(c_sq_sum, t) -> np.ndarray:
    r"""Natural log of :math:`2\exp(-t^2/(2\sum c_i^2))`, Hoeffding's bound of P(|Σ ε_i c_i| ≥ t).

    ``c_sq_sum = Σ c_i²`` (array, broadcast with ``t``); a zero sum gives ``-inf`` (X ≡ 0) for ``t > 0``.
    """
    c2 = np.asarray(c_sq_sum, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(c2 > 0, math.log(2.0) - t**2 / (2 * np.where(c2 > 0, c2, 1.0)), -np.inf)


def packing_size(log_pair_prob: float, cap: int | None = None) -> int:
    r"""The largest ``m`` with :math:`m(m-1)\,p/2 < 1`, where ``p = exp(log_pair_prob)`` bounds P(bad pair).

    By the probabilistic method (module docstring) a packing of this size exists. Always ≥ 1.
    Beyond ``m ≈ 10^7`` the result is ``⌊√(2/p)(1 − 10⁻⁹)⌋`` (valid within a relative 10⁻⁹ of the
    largest); for astronomically small ``p`` (``m`` beyond 10^130) it is the power of ten
    :math:`10^{\min(\lfloor \log_{10}(2/p)/2\rfloor - 1,\ 4000)}`, a valid (smaller) size. ``cap`` bounds
    the result (e.g. the number of distinct members the distribution can produce).

    >>> packing_size(math.log(0.5))  # m(m-1) < 4: m = 2
    2
    """
    if math.isnan(log_pair_prob):
        raise InvalidParameterError("log_pair_prob is NaN.")
    L = math.log(2.0) - log_pair_prob  # m(m-1) < e^L
    if L <= math.log(2.0):  # p >= 1: no pair can be guaranteed
        m = 1
    elif L < 36:  # x < 2^52: exact integer adjustment of the float estimate
        x = math.exp(L) * (1 - 1e-12)  # safety margin against round-off
        m = int((1 + math.sqrt(1 + 4 * x)) // 2)
        while m > 1 and m * (m - 1) >= x:
            m -= 1
        while (m + 1) * m < x:
            m += 1
    elif L < 600:  # floor(sqrt(x)(1 - 1e-9)): m^2 < x, a valid size within a relative 1e-9 of the largest
        m = int(math.exp(L / 2) * (1 - 1e-9))
    else:  # a power of ten, at most 10^MAX_DIGITS (a smaller packing is still a packing)
        m = 10 ** min(int(L / _LN10 // 2) - 1, MAX_DIGITS)
    if cap is not None:
        m = min(m, check_int(cap, "cap", min_value=1))
    return max(1, m)


@dataclass
class PackingBound:
    """The counting-lemma bound of a certified packing at its best overlap level.

    Attributes
    ----------
    s : float            overlap level (pairs of the packing have overlap ≤ s)
    m : int              certified packing size m(s)
    gamma : float        certified correlation bound γ(s) of two members of overlap ≤ s
    log_pair_prob : float  log of the bound on P(bad pair) used for m(s)
    bound : LowerBound   csq_pairwise_bound(m, γ, τ)
    """

    s: float
    m: int
    gamma: float
    log_pair_prob: float
    bound: LowerBound
    note: str = ""

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers (``m`` as an int, with its log10) and, when vacuous, why."""
        out = {"s": self.s, "m": self.m, "log10_m": math.log10(self.m) if self.m < 10**300 else None,
               "gamma": self.gamma, "pair_prob_bound": math.exp(self.log_pair_prob) if self.log_pair_prob < 700
               else math.inf, "queries": self.bound.queries, "log10_queries": self.bound.log10_queries}
        if self.note:
            out["note"] = self.note
        return out


def _why_vacuous(s_grid, sizes, gammas, tau: float) -> str:
    """One line: where gamma(s) < tau^2 the packing has one member, and where it has two gamma(s) >= tau^2."""
    below = [i for i, g in enumerate(gammas) if g < tau**2]
    two = [i for i, m in enumerate(sizes) if m >= 2]
    parts = ["vacuous at every overlap level s"]
    if below:
        i = below[-1]
        parts.append(f"gamma(s) < tau^2 = {tau**2:.3g} needs s <= {s_grid[i]:.3g}, where the certified packing has "
                     f"m(s) = {sizes[i]}")
    if two:
        i = two[0]
        parts.append(f"m(s) >= 2 needs s >= {s_grid[i]:.3g}, where gamma(s) = {min(1.0, gammas[i]):.3g}")
    else:
        parts.append("no level certifies two members")
    return "; ".join(parts) + "."


def best_packing_bound(s_grid: Sequence[float], sizes: Sequence[int], gammas: Sequence[float],
                       log_pair_probs: Sequence[float], tau: float) -> PackingBound:
    """The largest :func:`~symhard.queries.bounds.csq_pairwise_bound` ``(m(s), min(1, γ(s)), τ)`` over the grid.

    Ties (in particular when every level is vacuous) go to the smallest ``s``.
    """
    tau = check_tau(tau)
    if not (len(s_grid) == len(sizes) == len(gammas) == len(log_pair_probs)) or len(s_grid) == 0:
        raise InvalidParameterError("s_grid, sizes, gammas and log_pair_probs must be non-empty and of equal length.")
    best = None
    for s, m, g, lp in zip(s_grid, sizes, gammas, log_pair_probs):
        b = csq_pairwise_bound(int(m), float(min(1.0, max(0.0, g))), tau)
        key = -math.inf if b.log10_queries is None else b.log10_queries
        if best is None or key > best[0]:
            best = (key, PackingBound(float(s), int(m), float(min(1.0, max(0.0, g))), float(lp), b))
    chosen = best[1]
    if chosen.bound.log10_queries is None:
        chosen.note = _why_vacuous(list(s_grid), list(sizes), list(gammas), tau)
    else:
        chosen.bound.formula += (f"; whole class: m = certified packing at overlap s = {chosen.s:.3g} "
                                 "(probabilistic method), gamma = gamma(s)")
    return chosen


def choose_bound(sampled: LowerBound, packing: LowerBound) -> str:
    """Which of two valid bounds to report: ``"packing"`` (the whole-class one) when it is non-vacuous
    and at least as large as the ``sampled`` one, else ``"sampled"`` (also when both are vacuous)."""
    if packing.log10_queries is None:
        return "sampled"
    if sampled.log10_queries is None or packing.log10_queries >= sampled.log10_queries:
        return "packing"
    return "sampled"
