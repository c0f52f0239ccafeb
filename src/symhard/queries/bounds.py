r"""Statistical-query lower bounds, each a documented formula with its source.

All functions return a :class:`~symhard.families.base.LowerBound` (``queries`` necessary
queries of tolerance ``tau``, the ``formula`` in words, and ``log10_queries``). Class sizes
may be astronomically large (2^n for n in the hundreds): pass them as Python ints (exact) or
give ``log10_m``; ``log10_queries`` is always finite-precision exact enough to plot, while
``queries`` becomes ``inf`` beyond float range.

=================================  ==============================================================
function                            bound
=================================  ==============================================================
:func:`csq_pairwise_bound`          q ≥ m(τ² − γ)/2  (m unit-norm functions, |corr| ≤ γ)
:func:`sq_dimension_bound`          q ≥ (dτ² − 1)/2  (SQ-DIM d of a ±1 class)
:func:`pairwise_independence_bound` q ≥ δ·τ²/Σ_O P(O)²  (random invariant ±1 functions)
:func:`queries_or_tolerance`        q ≥ √m/2, or some query has τ ≤ √(γ + m^{−1/2})
:func:`gd_as_csq`                   T steps of mini-batch GD on p parameters = T·p CSQ queries
                                    of tolerance ≈ B/√b
=================================  ==============================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InvalidParameterError, check_float, check_int, check_tau
from ..families.base import LowerBound


def _log10_int(m) -> float:
    """log10 of a positive (possibly huge) int or float."""
    if isinstance(m, int) and m > 10**300:
        return math.log10(m >> (m.bit_length() - 60)) + (m.bit_length() - 60) * math.log10(2)
    return math.log10(m)


def _check_size(m, name: str = "m"):
    if isinstance(m, bool) or not isinstance(m, (int, float)) or isinstance(m, float) and not math.isfinite(m):
        raise InvalidParameterError(f"{name} must be a positive integer (a class size), got {m!r}.")
    if m < 1:
        raise InvalidParameterError(f"{name} == {m}, must be >= 1.")
    return m


def _fmt_size(m) -> str:
    """A class size for formulas: exact when short, else 10^x."""
    return str(m) if m < 10**15 else f"10^{_log10_int(m):.3f}"


def _bound(log10_q: float | None, tau: float, formula: str, direct: float | None = None) -> LowerBound:
    """A LowerBound from log10 of the number of queries (None means the bound is vacuous: 0).

    ``direct`` is the value computed in floating point when it does not overflow.
    """
    if log10_q is None:
        return LowerBound(queries=0.0, tau=tau, formula=formula + " (vacuous)", log10_queries=None)
    if direct is not None and math.isfinite(direct) and direct > 0:
        q = direct
    else:
        q = 10.0 ** log10_q if log10_q < 308 else math.inf
    return LowerBound(queries=q, tau=tau, formula=formula, log10_queries=log10_q)


def _float_or_none(x) -> float | None:
    try:
        return float(x)
    except OverflowError:
        return None


def csq_pairwise_bound(m, gamma: float, tau: float) -> LowerBound:
    r"""CSQ lower bound for a class of m unit-norm functions with pairwise |correlation| ≤ γ.

    Any CSQ algorithm that, with queries of tolerance τ, learns C = {f_1, …, f_m}
    (E f_i² = 1, |E f_i f_j| ≤ γ for i ≠ j) to squared error below that of the zero predictor
    needs at least

        q ≥ m (τ² − γ) / 2

    queries (Szörényi 2009, "Characterizing statistical query learning: simplified notions and
    proofs"; Feldman 2017, "A general characterization of the statistical query complexity";
    in this form in Goel–Gollakota–Jin–Karmalkar–Klivans 2020 and
    Diakonikolas–Kane–Kontonis–Zarifis 2020). Vacuous (0) when τ² ≤ γ.

    Proof sketch: the adversary answers 0. A query h (E h² ≤ 1) rules out f_i only if
    |⟨h, f_i⟩| > τ; for the set B it rules out, with s_i = sign⟨h, f_i⟩,
    |B|τ < ⟨h, Σ_B s_i f_i⟩ ≤ √(|B| + |B|²γ), so |B| < 1/(τ² − γ). After q queries fewer than
    q/(τ² − γ) members are ruled out; while two nearly orthogonal members survive, one output
    cannot be close to both, which costs the factor ½.

    Parameters
    ----------
    m : int
        Class size (Python ints of any size are exact).
    gamma : float in [0, 1]
    tau : float in (0, 1]
    """
    m = _check_size(m)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    tau = check_tau(tau)
    formula = (f"m(tau^2 - gamma)/2 with m={_fmt_size(m)}, gamma={gamma:.3g}, tau={tau:g} "
               "[Szorenyi 2009; Feldman 2017]")
    gap = tau**2 - gamma
    if gap <= 0:
        return _bound(None, tau, formula)
    mf = _float_or_none(m)
    return _bound(_log10_int(m) + math.log10(gap / 2), tau, formula, None if mf is None else mf * gap / 2)


def sq_dimension_bound(d, tau: float) -> LowerBound:
    r"""SQ lower bound from the SQ dimension d of a class of ±1 functions.

    SQ-DIM_D(C) = d means there are f_1, …, f_d ∈ C with |E_D f_i f_j| ≤ 1/d for i ≠ j
    (Blum–Furst–Jackson–Kearns–Mansour–Rudich 1994). For ±1 labels every SQ query splits as
    φ(x, y) = φ₀(x) + y φ₁(x) with φ₀ = (φ(x,1) + φ(x,−1))/2, φ₁ = (φ(x,1) − φ(x,−1))/2,
    |φ₁| ≤ 1, and φ₀ does not depend on the target; so an SQ query is one correlational query
    and :func:`csq_pairwise_bound` with m = d, γ = 1/d gives

        q ≥ d (τ² − 1/d) / 2 = (d τ² − 1) / 2

    (Szörényi 2009; Feldman 2017). For the parities on m uniform bits d = 2^m (they are
    orthogonal), so q ≥ (2^m τ² − 1)/2 = Ω(2^m τ²).
    """
    d = _check_size(d, "d")
    tau = check_tau(tau)
    formula = f"(d tau^2 - 1)/2 with SQ-DIM d={_fmt_size(d)}, tau={tau:g} [Blum et al. 1994; Szorenyi 2009]"
    log_dt2 = _log10_int(d) + 2 * math.log10(tau)
    if log_dt2 <= 0:
        return _bound(None, tau, formula)
    # log10((d tau^2 - 1)/2) computed stably for huge d tau^2
    val = log_dt2 + math.log10(-math.expm1(-log_dt2 * math.log(10))) - math.log10(2)
    df = _float_or_none(d)
    return _bound(val, tau, formula, None if df is None else (df * tau**2 - 1) / 2)


def pairwise_independence_bound(sum_mass_sq: float, tau: float, advantage: float = 0.5) -> LowerBound:
    r"""SQ lower bound for random invariant ±1 functions (one independent fair label per orbit).

    Let G act on the domain and f(x) = s_{O(x)} with independent uniform signs s_O, one per
    orbit O. For any query φ: X × {±1} → [−1, 1],

        Var_f E_x[φ(x, f(x))] ≤ Σ_O P(O)².

    Proof: E_x φ(x, f(x)) = Σ_O a_O(s_O) with a_O(s) = Σ_{x∈O} p(x) φ(x, s); the terms are
    independent, and Var a_O(s_O) = ((a_O(1) − a_O(−1))/2)² ≤ P(O)² since |φ| ≤ 1. Pairwise
    independence of the labels is all that is used.

    An adversary answering the mean E_f E_x φ is wrong for a given f with probability at most
    Σ_O P(O)²/τ² per query (Chebyshev). Against a fixed (deterministic) learner the queries are
    then fixed too, and by a union bound all q answers are valid for f except with probability
    q·Σ_O P(O)²/τ²; on those f the learner's output does not depend on f. So raising the
    success probability by ``advantage`` δ over a learner that asks nothing needs

        q ≥ δ τ² / Σ_O P(O)².

    For the uniform distribution on {±1}^n, Σ_O P(O)² ≤ max_O P(O) ≤ |G|/2^n.
    """
    s = check_float(sum_mass_sq, "sum_mass_sq", low=0.0, high=1.0, low_open=True)
    tau = check_tau(tau)
    delta = check_float(advantage, "advantage", low=0.0, high=1.0, low_open=True)
    formula = (f"delta tau^2 / sum_O P(O)^2 with sum_O P(O)^2={s:.6g}, delta={delta:g}, tau={tau:g} "
               "[pairwise independence + Chebyshev + union bound]")
    return _bound(math.log10(delta) + 2 * math.log10(tau) - math.log10(s), tau, formula, delta * tau**2 / s)


def queries_or_tolerance(m, gamma: float) -> LowerBound:
    r"""The "queries or tolerance" form of the pairwise bound (as in DKKZ 2020).

    From :func:`csq_pairwise_bound` at τ_* = √(γ + m^{−1/2}): q ≥ m(τ_*² − γ)/2 = √m/2. So
    any CSQ learner of the class either makes at least √m/2 queries, or asks at least one
    query with tolerance below τ_* = √(γ + m^{−1/2}). Returns ``LowerBound(queries=√m/2,
    tau=τ_*)``. With m = 2^{n^{Ω(1)}} and γ = n^{−Ω(k)} this is the paper's
    "2^{n^{Ω(1)}} queries or tolerance n^{−Ω(k)}".
    """
    m = _check_size(m)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    log_m = _log10_int(m)
    tau_star = math.sqrt(min(1.0, gamma + 10.0 ** (-log_m / 2)))
    formula = (f"either >= sqrt(m)/2 queries or a query of tolerance <= sqrt(gamma + m^-1/2) "
               f"with m={_fmt_size(m)}, gamma={gamma:.3g}")
    mf = _float_or_none(m)
    return _bound(log_m / 2 - math.log10(2), tau_star, formula, None if mf is None else math.sqrt(mf) / 2)


@dataclass(frozen=True)
class GDQueryBudget:
    """What a gradient-descent run amounts to in the CSQ model.

    ``queries`` = steps × params correlational queries of tolerance ``tau`` = grad_bound/√batch.
    """

    queries: int
    tau: float
    params: int
    steps: int
    batch: int
    formula: str

    @property
    def log10_queries(self) -> float:
        return math.log10(self.queries) if self.queries > 0 else -math.inf

    def insufficient_for(self, bound: LowerBound) -> bool:
        """True when the bound proves this run cannot learn the class.

        Bounds are monotone in τ (coarser queries need at least as many of them), so a run
        whose tolerance is no finer than the bound's (self.tau ≥ bound.tau) and whose query
        count is below the bound's is provably insufficient.
        """
        if bound.log10_queries is None:
            return False
        return self.tau >= bound.tau and self.log10_queries < bound.log10_queries


def gd_as_csq(params: int, steps: int, batch: int, grad_bound: float = 1.0) -> GDQueryBudget:
    r"""The CSQ budget of T steps of mini-batch gradient descent with p parameters.

    For the square loss, ½∇_θ E[(f_θ(x) − y)²] = E[f_θ ∇_θ f_θ] − E[y ∇_θ f_θ(x)]. The first
    term does not involve the target; the second is p correlational queries, one per
    parameter, with h_j = ∂_j f_θ / B where B bounds the derivatives (``grad_bound``). A
    mini-batch of b fresh samples estimates each to about B/√b (one standard deviation).
    Hence T steps = T·p CSQ queries of tolerance ≈ B/√b (Goel et al. 2020; Abbe et al. 2021).
    This is a heuristic correspondence (standard error, not a worst-case guarantee), stated
    as such in the returned ``formula``.
    """
    p = check_int(params, "params", min_value=1)
    t = check_int(steps, "steps", min_value=1)
    b = check_int(batch, "batch", min_value=1)
    B = check_float(grad_bound, "grad_bound", low=0.0, low_open=True)
    tau = min(1.0, B / math.sqrt(b))
    return GDQueryBudget(queries=p * t, tau=tau, params=p, steps=t, batch=b,
                         formula=f"T*p = {t}*{p} CSQ queries of tolerance ~ B/sqrt(b) = {B:g}/sqrt({b})")
