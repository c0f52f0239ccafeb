r"""Statistical-query lower bounds: one formula per function, each with its exact condition of validity.

Every function returns a :class:`LowerBound`: ``queries`` necessary queries of tolerance ``tau``,
the ``formula`` in words, ``log10_queries`` (finite precision even for classes of 2^3000 members),
``kind`` (which formula), ``inputs`` (the numbers it was computed from, so that anyone can
recompute it) and ``condition`` (what the bound is a bound *for*).

======================================  ==========================================================
function                                bound
======================================  ==========================================================
:func:`csq_pairwise_bound`              q ≥ (m − 1)(τ² − γ)/(1 − γ)  (counting lemma; m unit-norm
                                        functions with |corr| ≤ γ; vacuous when τ² ≤ γ)
:func:`csq_spectral_bound`              q ≥ (m − 1) τ²/λ  (λ ≥ the largest eigenvalue of the
                                        normalized Gram matrix; valid for every τ)
:func:`sq_dimension_bound`              q ≥ dτ² − 1  (SQ dimension d of a ±1 class)
:func:`pairwise_independence_bound`     q ≥ δ τ²/Σ_O P(O)²  (random invariant ±1 functions)
:func:`queries_or_tolerance`            q ≥ (m − 1)/√m, or a query of tolerance ≤ √(γ + (1 − γ)/√m)
:func:`gd_as_csq`                       T steps of mini-batch GD on p parameters ≈ T·p CSQ queries
                                        of tolerance ≈ B/√b (a heuristic correspondence)
======================================  ==========================================================

The counting lemma
------------------
Let :math:`f_1, \dots, f_m` satisfy :math:`E f_i^2 = 1` and :math:`|E f_i f_j| \le \gamma` for
:math:`i \ne j`, and let a correlational query :math:`h` (:math:`E h^2 \le 1`) be answered with
tolerance :math:`\tau`. The query *rules out* :math:`f_i` when 0 is not a valid answer for it,
:math:`|E[h f_i]| > \tau`. Let :math:`B` be the ruled-out set and :math:`s_i = \mathrm{sign}\,E[h f_i]`:

.. math::

    |B|\tau < \Bigl\langle h, \sum_{i\in B} s_i f_i \Bigr\rangle \le
    \Bigl\| \sum_{i\in B} s_i f_i \Bigr\| \le \sqrt{|B| + |B|(|B|-1)\gamma},

so :math:`|B|(\tau^2 - \gamma) < 1 - \gamma`: a query rules out fewer than
:math:`(1-\gamma)/(\tau^2-\gamma)` members when :math:`\tau^2 > \gamma`. More generally
:math:`\|\sum_B s_i f_i\|^2 = s^\top C_B s \le \lambda |B|` for any :math:`\lambda` at least the
largest eigenvalue of the normalized Gram matrix :math:`C`, so :math:`|B| < \lambda/\tau^2` for
every :math:`\tau` (the *spectral* form; Gershgorin gives back the first form).

*The bound.* The adversary answers 0 to every query. After :math:`q` queries at most
:math:`q(1-\gamma)/(\tau^2-\gamma)` (resp. :math:`q\lambda/\tau^2`) members are ruled out; if that is
below :math:`m - 1`, two members :math:`f_a, f_b` are consistent with every answer, and a
deterministic learner outputs the same :math:`\hat f` for both. Since
:math:`\|\hat f - f_a\|^2 + \|\hat f - f_b\|^2 \ge \|f_a - f_b\|^2/2 = 1 - C_{ab} \ge 1 - \gamma`,
one of them is learned with squared error at least :math:`(1-\gamma)/2`. Hence any deterministic
CSQ learner that learns *every* member to squared error below :math:`(1-\gamma)/2` (in particular
one that identifies the member) needs

.. math::

    q \ge \frac{(m-1)(\tau^2-\gamma)}{1-\gamma} \qquad\text{resp.}\qquad q \ge \frac{(m-1)\tau^2}{\lambda}.

A class of one member needs no query. (Szörényi 2009; Feldman 2017; the constants here are the
ones proved above, not those of the literature's ``m(τ² − γ)/2``, which holds only for errors
below :math:`1 - 2/m - \gamma`.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterError, check_float, check_int, check_tau

__all__ = [
    "LowerBound", "GDQueryBudget", "csq_pairwise_bound", "csq_spectral_bound", "sq_dimension_bound",
    "pairwise_independence_bound", "queries_or_tolerance", "gd_as_csq", "log10_size",
]

#: What the CSQ bounds of this module bound (the condition under which they hold).
CSQ_CONDITION = ("deterministic CSQ learner that learns every member to squared error below (1 - gamma)/2 "
                 "(in particular, identifies the member), queries h with E h^2 <= 1 answered within tau")


@dataclass
class LowerBound:
    """A query lower bound: at least ``queries`` queries of tolerance ``tau`` are necessary.

    ``queries`` may be astronomically large; it is a float (``inf`` allowed) so that it survives
    JSON, and ``log10_queries`` keeps it exactly enough to plot (``None`` when the bound is
    vacuous, i.e. ``queries == 0``). ``formula`` states how it was computed, ``kind`` names the
    formula (``"csq-counting"``, ``"csq-spectral"``, ``"sq-dimension"``,
    ``"sq-pairwise-independence"``, ``"csq-queries-or-tolerance"``), ``inputs`` holds the numbers
    it was computed from and ``condition`` what it is a bound for.
    """

    queries: float
    tau: float
    formula: str
    log10_queries: float | None = None
    kind: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    condition: str = ""

    def __post_init__(self) -> None:
        if self.log10_queries is None:
            q = float(self.queries)
            self.log10_queries = math.log10(q) if q > 0 and math.isfinite(q) else (None if q <= 0 else math.inf)

    @property
    def vacuous(self) -> bool:
        """True when the bound says nothing (zero queries)."""
        return self.log10_queries is None


def log10_size(m: int | float) -> float:
    """log10 of a positive class size, exact enough for Python ints of any size."""
    if isinstance(m, int) and m > 10**300:
        shift = m.bit_length() - 60
        return math.log10(m >> shift) + shift * math.log10(2)
    return math.log10(m)


def _check_size(m: Any, name: str = "m") -> int | float:
    if isinstance(m, bool) or not isinstance(m, (int, float)) or isinstance(m, float) and not math.isfinite(m):
        raise InvalidParameterError(f"{name} must be a positive integer (a class size), got {m!r}.")
    if m < 1:
        raise InvalidParameterError(f"{name} == {m}, must be >= 1.")
    return m


def _fmt_size(m: int | float) -> str:
    """A class size for formulas: exact when short, else 10^x."""
    return str(m) if m < 10**15 else f"10^{log10_size(m):.3f}"


def _float_or_none(x: Any) -> float | None:
    try:
        return float(x)
    except OverflowError:
        return None


def _bound(log10_q: float | None, tau: float, formula: str, *, direct: float | None = None, kind: str,
           inputs: dict[str, Any], condition: str = CSQ_CONDITION) -> LowerBound:
    """A LowerBound from log10 of the number of queries (``None``: vacuous, 0 queries).

    ``direct`` is the value computed in floating point when it does not overflow.
    """
    if log10_q is None:
        return LowerBound(queries=0.0, tau=tau, formula=formula + " (vacuous)", log10_queries=None, kind=kind,
                          inputs=inputs, condition=condition)
    if direct is not None and math.isfinite(direct) and direct > 0:
        q = direct
    else:
        q = 10.0 ** log10_q if log10_q < 308 else math.inf
    return LowerBound(queries=q, tau=tau, formula=formula, log10_queries=log10_q, kind=kind, inputs=inputs,
                      condition=condition)


def _log10_m_minus_1(m: int | float) -> float | None:
    """log10(m - 1), or None when m == 1."""
    if m <= 1:
        return None
    if isinstance(m, int) and m > 10**15:
        return log10_size(m)  # m - 1 and m agree to 15 digits
    return math.log10(m - 1)


def csq_pairwise_bound(m: int | float, gamma: float, tau: float) -> LowerBound:
    r"""CSQ lower bound for m unit-norm functions with pairwise |correlation| ≤ γ (the counting lemma).

    .. math:: q \ge \frac{(m-1)(\tau^2-\gamma)}{1-\gamma}

    for any deterministic CSQ learner that learns every member to squared error below
    :math:`(1-\gamma)/2` (proof in the module docstring). Vacuous (0 queries) when
    :math:`\tau^2 \le \gamma` or m = 1.

    Parameters
    ----------
    m : int
        Class size (Python ints of any size are exact).
    gamma : float in [0, 1]
    tau : float in (0, 1]

    >>> csq_pairwise_bound(101, 0.0, 0.5).queries
    25.0
    """
    m = _check_size(m)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    tau = check_tau(tau)
    inputs = {"m": m, "gamma": gamma, "tau": tau}
    formula = (f"(m - 1)(tau^2 - gamma)/(1 - gamma) with m={_fmt_size(m)}, gamma={gamma:.3g}, tau={tau:g} "
               "[counting lemma; Szorenyi 2009, Feldman 2017]")
    gap = tau**2 - gamma
    log_m1 = _log10_m_minus_1(m)
    if gap <= 0 or log_m1 is None:
        why = "tau^2 <= gamma" if gap <= 0 else "a class of one member needs no query"
        return _bound(None, tau, f"{formula}: {why}", kind="csq-counting", inputs=inputs)
    factor = gap / (1.0 - gamma)
    mf = _float_or_none(m)
    return _bound(log_m1 + math.log10(factor), tau, formula, direct=None if mf is None else (mf - 1) * factor,
                  kind="csq-counting", inputs=inputs)


def csq_spectral_bound(m: int | float, lambda_max: float, tau: float, gamma: float | None = None) -> LowerBound:
    r"""CSQ lower bound from the spectrum of the normalized Gram matrix (the counting lemma, spectral form).

    .. math:: q \ge \frac{(m-1)\tau^2}{\lambda}, \qquad \lambda \ge \lambda_{\max}(C),

    valid for every τ (no ``τ² > γ`` condition). ``gamma`` (the largest off-diagonal |C|) only
    enters the condition: learning every member to squared error below :math:`(1-\gamma)/2`.
    Since :math:`\lambda_{\max} \le 1 + (m-1)\gamma`, this is never weaker than the γ form when
    λ is exact.
    """
    m = _check_size(m)
    lam = check_float(lambda_max, "lambda_max", low=1.0 - 1e-9)
    tau = check_tau(tau)
    inputs = {"m": m, "lambda_max": lam, "tau": tau}
    if gamma is not None:
        inputs["gamma"] = check_float(gamma, "gamma", low=0.0, high=1.0)
    formula = (f"(m - 1) tau^2 / lambda_max with m={_fmt_size(m)}, lambda_max={lam:.4g}, tau={tau:g} "
               "[counting lemma, spectral form]")
    log_m1 = _log10_m_minus_1(m)
    if log_m1 is None:
        return _bound(None, tau, formula + ": a class of one member needs no query", kind="csq-spectral", inputs=inputs)
    mf = _float_or_none(m)
    factor = tau**2 / lam
    return _bound(log_m1 + math.log10(factor), tau, formula, direct=None if mf is None else (mf - 1) * factor,
                  kind="csq-spectral", inputs=inputs)


def sq_dimension_bound(d: int | float, tau: float) -> LowerBound:
    r"""SQ lower bound from the SQ dimension d of a class of ±1 functions: :math:`q \ge d\tau^2 - 1`.

    SQ-DIM_D(C) = d means there are f_1, …, f_d ∈ C with |E_D f_i f_j| ≤ 1/d for i ≠ j
    (Blum–Furst–Jackson–Kearns–Mansour–Rudich 1994). For ±1 labels every SQ query splits as
    φ(x, y) = φ₀(x) + y φ₁(x) with φ₀ = (φ(x,1) + φ(x,−1))/2, φ₁ = (φ(x,1) − φ(x,−1))/2,
    |φ₁| ≤ 1, and φ₀ does not depend on the target; so an SQ query is one correlational query,
    and :func:`csq_pairwise_bound` with m = d, γ = 1/d gives
    :math:`(d-1)(\tau^2 - 1/d)/(1 - 1/d) = d\tau^2 - 1`.
    """
    d = _check_size(d, "d")
    tau = check_tau(tau)
    inputs = {"d": d, "tau": tau}
    formula = f"d tau^2 - 1 with SQ-DIM d={_fmt_size(d)}, tau={tau:g} [Blum et al. 1994; counting lemma]"
    log_dt2 = log10_size(d) + 2 * math.log10(tau)
    if log_dt2 <= 0:
        return _bound(None, tau, formula, kind="sq-dimension", inputs=inputs,
                      condition=CSQ_CONDITION.replace("CSQ", "SQ"))
    val = log_dt2 + math.log10(-math.expm1(-log_dt2 * math.log(10)))  # log10(d tau^2 - 1), stable
    df = _float_or_none(d)
    return _bound(val, tau, formula, direct=None if df is None else df * tau**2 - 1, kind="sq-dimension",
                  inputs=inputs, condition=CSQ_CONDITION.replace("CSQ", "SQ"))


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
    return _bound(math.log10(delta) + 2 * math.log10(tau) - math.log10(s), tau, formula, direct=delta * tau**2 / s,
                  kind="sq-pairwise-independence", inputs={"sum_mass_sq": s, "advantage": delta, "tau": tau},
                  condition=("deterministic SQ learner whose success probability over the random invariant "
                             f"function exceeds that of a learner asking nothing by delta = {delta:g}"))


def queries_or_tolerance(m: int | float, gamma: float) -> LowerBound:
    r"""The "queries or tolerance" form of the counting lemma (as in DKKZ 2020).

    At :math:`\tau_*^2 = \gamma + (1-\gamma)m^{-1/2}`, :func:`csq_pairwise_bound` gives
    :math:`q \ge (m-1)(\tau_*^2 - \gamma)/(1-\gamma) = (m-1)/\sqrt m`. So any CSQ learner of the
    class either makes at least :math:`(m-1)/\sqrt m \approx \sqrt m` queries, or asks a query of
    tolerance below :math:`\tau_*`. With m = 2^{n^{Ω(1)}} and γ = n^{−Ω(k)} this is the paper's
    "2^{n^{Ω(1)}} queries or tolerance n^{−Ω(k)}". Returns ``LowerBound(queries=(m−1)/√m, tau=τ_*)``.
    """
    m = _check_size(m)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    log_m = log10_size(m)
    tau_star = math.sqrt(min(1.0, gamma + (1.0 - gamma) * 10.0 ** (-log_m / 2)))
    formula = (f"either >= (m - 1)/sqrt(m) queries or a query of tolerance <= sqrt(gamma + (1 - gamma) m^-1/2) "
               f"with m={_fmt_size(m)}, gamma={gamma:.3g}")
    log_m1 = _log10_m_minus_1(m)
    inputs = {"m": m, "gamma": gamma}
    if log_m1 is None:
        return _bound(None, tau_star, formula, kind="csq-queries-or-tolerance", inputs=inputs)
    mf = _float_or_none(m)
    return _bound(log_m1 - log_m / 2, tau_star, formula, direct=None if mf is None else (mf - 1) / math.sqrt(mf),
                  kind="csq-queries-or-tolerance", inputs=inputs)


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
    r"""The CSQ budget of T steps of mini-batch gradient descent with p parameters, on the square loss.

    For the square loss, :math:`\tfrac12\nabla_\theta E[(f_\theta(x) - y)^2] = E[f_\theta\nabla_\theta f_\theta] - E[y\,\nabla_\theta f_\theta(x)]`.
    The first term does not involve the target; the second is p correlational queries, one per
    parameter, with :math:`h_j = \partial_j f_\theta / B` where B bounds the derivatives
    (``grad_bound``). A mini-batch of b fresh samples estimates each to about :math:`B/\sqrt b`
    (one standard deviation). Hence T steps = T·p CSQ queries of tolerance ≈ B/√b (Goel et al.
    2020; Abbe et al. 2021).

    Assumptions (stated, not checked): the loss is the square loss (with other losses, e.g. ℓ1,
    gradients are not correlational queries: Joshi, Misiakiewicz, Srebro 2024); the mini-batch
    error is taken at one standard deviation, not as a worst-case guarantee; B = 1 unless given
    (the derivatives of the trained networks are not bounded by 1 in general); a finite training
    set reused across steps answers later queries from the same samples (not fresh ones), which
    this accounting ignores. It is a heuristic correspondence for putting a run and a bound in
    the same units, and the returned ``formula`` says so.
    """
    p = check_int(params, "params", min_value=1)
    t = check_int(steps, "steps", min_value=1)
    b = check_int(batch, "batch", min_value=1)
    B = check_float(grad_bound, "grad_bound", low=0.0, low_open=True)
    tau = min(1.0, B / math.sqrt(b))
    return GDQueryBudget(queries=p * t, tau=tau, params=p, steps=t, batch=b,
                         formula=f"T*p = {t}*{p} CSQ queries of tolerance ~ B/sqrt(b) = {B:g}/sqrt({b}) "
                                 "(square loss, one standard deviation: a heuristic correspondence)")
