r"""An efficient SQ learner for sparse G-invariant multilinear polynomials, and a CSQ baseline.

Target class
------------
:math:`y = f(x) = \sum_T c_T\, x_T` with :math:`x \sim N(0, I_n)`, :math:`x_T = \prod_{i\in T} x_i`,
:math:`|T| \le k`, :math:`f` invariant under :math:`G \le S_n` (so :math:`c_{gT} = c_T`: the support is
a union of :math:`s` orbits), i.e. :math:`f = \sum_V a_V p_{[V]}` over orbit representatives, with
:math:`|a_V| \ge w` on the support. Then :math:`|c_T| = |a_V|/\sqrt{|\mathrm{orb} V|} \ge c_{\min} :=
w/\sqrt{|G|}`. The hard class of :mod:`symhard.families.polynomials` (one orbit sum
:math:`p_{[S]}`) has :math:`w = 1`.

Support identity
----------------
For :math:`U \subseteq [n]`,

.. math::

    \mathbb{E}\Bigl[y^2 \prod_{j\in U}(x_j^2 - 1)\Bigr] = 2^{|U|} \sum_{T \supseteq U} c_T^2 .

*Proof.* Expand :math:`y^2 = \sum_{T,T'} c_T c_{T'} x_T x_{T'}` and factor over coordinates. A
coordinate in exactly one of :math:`T, T'` contributes :math:`\mathbb{E}[x_i] = 0` or
:math:`\mathbb{E}[x_i(x_i^2-1)] = 0`, so only :math:`T = T'` survives. Then a coordinate
:math:`j \in U \setminus T` gives :math:`\mathbb{E}[x_j^2 - 1] = 0`, a coordinate :math:`j\in U\cap T`
gives :math:`\mathbb{E}[x_j^4 - x_j^2] = 2`, the rest give 1. ∎

The learner uses the *Reynolds-averaged* query
:math:`\varphi_U(x, y) = y^2\, \frac{1}{|G|}\sum_{g\in G}\prod_{j \in gU}(x_j^2 - 1)`. Since
:math:`y` is invariant, every term has the same expectation, so :math:`\mathbb{E}\varphi_U` is given by
the identity, while the variance drops (for :math:`G = \mathbb{Z}_{64}`, :math:`k = 4` the second
moment at :math:`|U| = 2` falls from about 90 to about 1.3). Coefficients are read with
:math:`\psi_V(x, y) = y\, p_{[V]}(x)`, :math:`\mathbb{E}\psi_V = \sqrt{|\mathrm{orb}(V)|}\, c_V =: a_V`
(Hermite orthonormality), also Reynolds-averaged since
:math:`p_{[V]} = \sqrt{|\mathrm{orb} V|}\,\frac{1}{|G|}\sum_g x_{gV}`.

Algorithm (support growth over orbit representatives)
-----------------------------------------------------
:math:`A_0 = \{\emptyset\}`. For :math:`\ell = 1, \dots, k-1`: the candidates :math:`C_\ell` are the
orbit representatives of :math:`\{U \cup \{i\} : U \in A_{\ell-1}, i \notin U\}` (one query per
orbit: the statistic is :math:`G`-invariant) whose every :math:`(\ell-1)`-subset lies in an orbit of
:math:`A_{\ell-1}` (*Apriori filter*: every subset of a subset of a support set is itself a subset
of that support set, so the filter drops no set the learner must find); keep
:math:`A_\ell = \{U \in C_\ell : \hat\varphi_U > 2^{\ell} c_{\min}^2 / 2\}`. **Level 1 of a transitive
group** is a single orbit :math:`\{(0,)\}` and is accepted without a query: if the target has a
non-constant term, every point lies in a support set, so :math:`(0,)` is correct; if not, all
level-2 statistics are 0, the growth stops, and only :math:`\emptyset, (0,)` reach the coefficient
queries, which decide correctly. This removes the smallest tolerance :math:`0.45\cdot 2c_{\min}^2`.
The level-:math:`k` candidates :math:`C_k` are built the same way from :math:`A_{k-1}`. Then for every
:math:`V \in \{\emptyset\} \cup A_1 \cup \dots \cup A_{k-1} \cup C_k` one coefficient query gives
:math:`\hat a_V`; keep :math:`V` iff :math:`|\hat a_V| \ge w/2`. Output
:math:`\hat f = \sum_{V\text{ kept}} \hat a_V\, p_{[V]}`. (For :math:`\mathbb{Z}_{64}`, k = 4 the filter
cuts the level-3 candidates from 315 orbits to a handful and the queries from 601 to 54.)

**Untested levels (default).** Only levels :math:`\ell \le` ``support_levels`` = 2 are tested with
support queries; for :math:`\ell \ge 3` the learner sets :math:`A_\ell = C_\ell` (every candidate that
passes the Apriori filter, i.e. every orbit of ℓ-cliques of the *pair graph* whose edges are the
pairs in :math:`A_2`-orbits) and lets the coefficient queries decide. This is still correct: each
:math:`A_\ell` contains every support orbit of level ℓ (a support set is a clique), and a candidate
outside the support has :math:`a_V = 0`, so its estimate stays below :math:`w/2`. It removes the
level-3 support statistics :math:`y^2 R_U`, :math:`|U| = 3`, whose plug-in sample requirement was
the largest and the least stable (at :math:`\mathbb{Z}_{64}`, k = 4: up to 1.5·10⁶ on a 4.9·10⁵ sample,
against about 1.3·10⁵ for level 2); the price is a few more coefficient queries (the false
triangles) and the clique term of the query bound (:func:`query_bound`). ``support_levels=None``
restores the test of every level.


*Correctness.* The true statistic of a level-ℓ set is 0 or at least :math:`2^\ell c_{\min}^2`; with
tolerance :math:`t_\ell = 0.45 \cdot 2^\ell c_{\min}^2` the threshold :math:`2^\ell c_{\min}^2/2` separates
them, so :math:`A_\ell` is exactly the set of orbits of ℓ-subsets of support sets, and every support
orbit of size :math:`\le k` is among the coefficient candidates (a support set :math:`T` of size
:math:`\ell` is reached from :math:`T\setminus\{i\} \in A_{\ell-1}`). With coefficient tolerance
:math:`t_c = w\min(0.45, \sqrt{\varepsilon})` exactly the support orbits are kept and
:math:`\mathbb{E}(\hat f - f)^2 = \sum_V (\hat a_V - a_V)^2 \le \varepsilon\, s\, w^2 \le
\varepsilon\, \mathbb{E} f^2`. With the exact oracle the recovery is exact.

*Cost (stated bound, checked by the tests).* With every level tested, :math:`|A_\ell| \le s\binom{k}{\ell}`,
so at most :math:`s\,2^k n` support queries and :math:`s\,2^k (n+1)` coefficient queries: in total

.. math::

    Q \le s \cdot 2^{k+1} (n + 1).

With the default ``support_levels = 2`` the bound is the clique bound of :func:`query_bound`; for
:math:`\mathbb{Z}_n`, s = 1, k = 4 it is :math:`n + 293` (pair-graph degree at most 12). Raw
tolerances are at least :math:`0.9\,c_{\min}^2 = 0.9\,w^2/|G|` (:math:`1.8\,c_{\min}^2` for a
transitive group) and :math:`\min(0.45,\sqrt\varepsilon)\,w`: polynomial in :math:`n` for fixed
:math:`k, s` when :math:`c_{\min}^{-2} \le |G| = \mathrm{poly}(n)`.
Any CSQ learner that identifies a member of the hard class needs :math:`(N_k(G) - 1)\,\tau^2` queries
instead (the counting lemma with γ = 0, :func:`symhard.families.polynomials.class_bound`).

Modules
-------
This module holds the learner, its result and the CSQ baseline. The queries, the Reynolds
products, their per-oracle cache and the fixed-sample oracle are in
:mod:`symhard.learners._sq_queries`; the clipping levels, Bernstein sample sizes and the query
bound (with their proofs and caveats) in :mod:`symhard.learners._sq_samples`. Everything is
re-exported here.

"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._random import SeedLike
from ..errors import InvalidParameterError, check_float, check_int
from ..families.polynomials import (
    HermitePolynomial,
    canonical_subsets,
    check_degree,
    invariant_polynomial,
    random_subset_orbits,
    resolve_group,
)
from ..queries.oracles import Oracle, Query
from ._sq_queries import (
    EmpiricalOracle,
    ReynoldsCache,
    adversarial_expectation,
    as_numpy,
    correlation_query,
    exact_expectation,
    reynolds_products,
    support_query,
)
from ._sq_samples import (
    TOL_FRACTION,
    TRUNC_FRACTION,
    InsufficientSamplesError,
    clip_level,
    query_bound,
    required_samples,
)

__all__ = [
    "InsufficientSamplesError", "reynolds_products", "ReynoldsCache", "support_query", "correlation_query",
    "exact_expectation", "adversarial_expectation", "EmpiricalOracle", "required_samples", "clip_level",
    "query_bound", "SQPolynomialLearner", "SQLearnerResult", "csq_baseline", "fit_from_samples",
]


@dataclass
class SQLearnerResult:
    """Outcome of :meth:`SQPolynomialLearner.fit`."""

    predictor: HermitePolynomial
    support: list[tuple[tuple[int, ...], float]]  # (orbit representative V, â_V)
    queries: int
    support_queries: int
    correlation_queries: int
    query_bound: int
    tolerances: dict[str, float]  # smallest raw tolerance per query kind
    min_sq_tau: float  # smallest tolerance in SQ units (queries scaled to [-1, 1])
    samples_required: int | None
    seconds: float
    levels: list[int] = field(default_factory=list)  # |A_l| per level
    sample_needs: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)  # (kind, V, m needed)

    def predict(self, x: Any) -> Any:
        return self.predictor(x)


@dataclass
class _FitState:
    """What one run of :meth:`SQPolynomialLearner.fit` accumulates."""

    check: bool
    need: int = 0
    needs: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)
    min_tau: float = math.inf
    support_queries: int = 0
    tolerances: dict[str, float] = field(default_factory=lambda: {"support": math.inf, "correlation": math.inf})


def _alpha(V: tuple[int, ...], n: int) -> np.ndarray:
    """The multi-index 1_V of length n."""
    al = np.zeros(n, dtype=np.int64)
    al[list(V)] = 1
    return al


def _zero_polynomial(n: int) -> HermitePolynomial:
    return HermitePolynomial(np.zeros((1, n), dtype=np.int64), np.zeros(1))


def _canonical_keys(G: Any, sets: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The canonical orbit representative of each set, as tuples."""
    canon = canonical_subsets(G, np.sort(np.array(sets, dtype=np.int64), axis=1))
    return [tuple(int(i) for i in r) for r in canon]


class SQPolynomialLearner:
    """The support-growth SQ learner (see the module docstring for the algorithm and its bounds).

    Parameters
    ----------
    group : PermutationGroup or spec string
    k : int
        Degree bound, 1 ≤ k ≤ n.
    min_weight : float
        Lower bound w on the weight |a_V| of every support orbit sum p_[V] (default 1: the hard
        class). Then every monomial has |c_T| = |a_V|/sqrt(|orb V|) ≥ c_min = w/sqrt(|G|).
    sparsity : int
        Number s of orbits in the support (only used for the stated query bound).
    eps : float
        Target normalized squared error of the coefficients (sets the coefficient tolerance).
    delta : float
        Failure probability of a sampled oracle (in the union bound).
    safety : float
        Factor on the plug-in second moments of a sampled oracle.
    support_levels : int or None
        Highest level ℓ that is tested with support queries (default 2); the candidates of the
        levels above are accepted through the Apriori filter alone (the cliques of the pair
        graph) and decided by the coefficient queries. ``None``: test every level ≤ k − 1.
    """

    def __init__(self, group: Any, k: int, *, min_weight: float = 1.0,
                 sparsity: int = 1, eps: float = 0.01, delta: float = 0.05, safety: float = 1.25,
                 support_levels: int | None = 2) -> None:
        self.group = resolve_group(group)
        self.k = check_degree(k, self.group.degree)
        self.min_weight = check_float(min_weight, "min_weight", low=0.0, low_open=True)
        self.min_coef = self.min_weight / math.sqrt(self.group.order)
        self.sparsity = check_int(sparsity, "sparsity", min_value=1)
        self.eps = check_float(eps, "eps", low=0.0, high=1.0, low_open=True)
        self.delta = check_float(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
        self.safety = check_float(safety, "safety", low=1.0)
        self.support_levels = (self.k - 1 if support_levels is None
                               else check_int(support_levels, "support_levels", min_value=2))

    @property
    def distinct_queries(self) -> int:
        r""":math:`Q_{\rm all} = \sum_{\ell=1}^{k-1} N_\ell(G) + \sum_{\ell=0}^{k} N_\ell(G)`: the number of
        distinct query functions the learner could ever ask (Reynolds-averaged queries of sets in
        one orbit are the same function), with :math:`N_\ell(G)` the orbits on ℓ-subsets (Burnside)."""
        G, k = self.group, self.k
        counts = [G.orbit_count_subsets(l) for l in range(k + 1)]
        return sum(counts[1:k]) + sum(counts)

    @property
    def log_term(self) -> float:
        r""":math:`L = \ln(2 Q_{\rm all}/\delta)` of the union bound."""
        return math.log(2 * self.distinct_queries / self.delta)

    @property
    def transitive(self) -> bool:
        n = self.group.degree
        return n > 1 and len(self.group.orbit_of_subset((0,))) == n

    def query_bound(self) -> int:
        """:func:`query_bound` for this learner's group and ``support_levels``."""
        G, n = self.group, self.group.degree
        transitive = self.transitive
        stab = G.order // len(G.orbit_of_subset((0,))) if transitive else G.order
        return query_bound(n, self.k, self.sparsity, support_levels=self.support_levels,
                           transitive=transitive, max_stabilizer=stab)

    def support_tolerance(self, level: int) -> float:
        """Raw tolerance :math:`t_\\ell = 0.45\\cdot 2^\\ell c_{\\min}^2` of a level-ℓ support query."""
        return TOL_FRACTION * 2**level * self.min_coef**2

    # ------------------------------------------------------------------ one query
    def _ask(self, oracle: Oracle, make: Callable[[float, float, float], Query], t: float, threshold: float,
             state: _FitState) -> float:
        """Choose B, check the sample size, ask, and return the raw answer.

        With a fixed-sample oracle (``raw_values``): B and the plug-in second moment V from
        :func:`clip_level`; otherwise V = 1 and B = 10/t (B then only rescales the query).
        """
        m = getattr(oracle, "n_samples", None)
        sampled = hasattr(oracle, "raw_values") and m is not None
        V, B = 1.0, 10.0 / t
        if sampled:
            B, V = clip_level(oracle.raw_values(make(1.0, 0.0, 0.0)), t, self.safety)
        tau = min((1.0 - TRUNC_FRACTION) * t / B, 1.0)
        q = make(B, tau, threshold / B)
        if sampled:
            need = required_samples(t, V, B, self.log_term)
            state.need = max(state.need, need)
            state.needs.append((q.key[0], q.key[1], need))
            if state.check and m < need:
                raise InsufficientSamplesError(
                    f"{m} samples are too few: the {q.key[0]} query for V={q.key[1]} needs tolerance {t:.3g} "
                    f"(plug-in second moment {V:.3g}), which takes at least {need} samples by Bernstein's "
                    f"inequality (δ = {self.delta}); give at least {need} samples."
                )
        state.min_tau = min(state.min_tau, tau)
        return B * oracle(q, tau)

    # ------------------------------------------------------------------ the algorithm
    def _extend(self, reps: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """One set U + (i,) per orbit of {U ∪ {i}} whose every (ℓ−1)-subset lies in an orbit of
        ``reps`` (the Apriori filter: a subset of a support set has all its subsets in the
        support's downward closure, so no support orbit is lost). A set is kept in its (unsorted)
        grown form, not as the canonical representative: the Reynolds-averaged queries take the
        same value on every member of an orbit, and a shared prefix U lets the oracle reuse work."""
        G, n = self.group, self.group.degree
        cand = [U + (i,) for U in reps for i in range(n) if i not in U]
        if not cand:
            return []
        first: dict[tuple[int, ...], tuple[int, ...]] = {}
        for c, key in zip(cand, _canonical_keys(G, cand)):
            first.setdefault(key, c)
        out = list(first.values())
        size = len(out[0])
        if size < 2 or not reps or not reps[0]:
            return out
        allowed = set(_canonical_keys(G, reps))
        C = np.sort(np.array(out, dtype=np.int64), axis=1)
        drop = np.array([[j for j in range(size) if j != d] for d in range(size)])  # (size, size-1)
        subs = canonical_subsets(G, C[:, drop].reshape(-1, size - 1)).reshape(len(out), size, size - 1)
        ok = [all(tuple(int(i) for i in r) in allowed for r in row) for row in subs]
        return [c for c, good in zip(out, ok) if good]

    def _grow_support(self, oracle: Oracle, state: _FitState) -> list[list[tuple[int, ...]]]:
        """A_0 = {∅}, A_1, …, A_{k−1}: the accepted orbits per level (module docstring)."""
        G = self.group
        accepted: list[list[tuple[int, ...]]] = [[()]]
        for level in range(1, self.k):
            t = self.support_tolerance(level)
            thr = 2**level * self.min_coef**2 / 2
            cands = self._extend(accepted[-1])
            if (level == 1 and self.transitive) or level > self.support_levels:
                # one orbit of points / an untested level: accept every candidate (module docstring)
                accepted.append(cands)
                if not cands:
                    break
                continue
            keep = []
            for V in cands:
                val = self._ask(oracle, lambda B, tau, th, V=V: support_query(G, V, B, tau, th), t, thr, state)
                state.support_queries += 1
                if val > thr:
                    keep.append(V)
            state.tolerances["support"] = min(state.tolerances["support"], t)
            accepted.append(keep)
            if not keep:
                break
        return accepted

    def _coefficients(self, oracle: Oracle, candidates: list[tuple[int, ...]],
                      state: _FitState) -> list[tuple[tuple[int, ...], float]]:
        """One coefficient query â_V per candidate; keep V iff |â_V| ≥ w/2."""
        G, w = self.group, self.min_weight
        t = w * min(TOL_FRACTION, math.sqrt(self.eps))
        support = []
        for V in candidates:
            state.tolerances["correlation"] = min(state.tolerances["correlation"], t)
            a = self._ask(oracle, lambda B, tau, th, V=V: correlation_query(G, V, B, tau, th), t, w / 2, state)
            if abs(a) >= w / 2:
                support.append((tuple(sorted(V)), a))
        return support

    def fit(self, oracle: Oracle, *, check_samples: bool = True) -> SQLearnerResult:
        """Run the learner against ``oracle`` (an SQ oracle) and return the recovered polynomial."""
        if getattr(oracle, "kind", "sq") != "sq":
            raise InvalidParameterError("the SQ learner needs an oracle of kind 'sq' (it asks non-correlational queries).")
        t0 = time.perf_counter()
        n = self.group.degree
        state = _FitState(check=check_samples)
        accepted = self._grow_support(oracle, state)
        candidates = [V for level in accepted for V in level]
        if len(accepted) == self.k and accepted[-1]:
            candidates += self._extend(accepted[-1])
        support = self._coefficients(oracle, candidates, state)
        predictor = (invariant_polynomial(self.group, [_alpha(V, n) for V, _ in support], [a for _, a in support])
                     if support else _zero_polynomial(n))
        return SQLearnerResult(
            predictor=predictor, support=support, queries=state.support_queries + len(candidates),
            support_queries=state.support_queries, correlation_queries=len(candidates),
            query_bound=self.query_bound(), tolerances=state.tolerances, min_sq_tau=state.min_tau,
            samples_required=state.need or None, seconds=time.perf_counter() - t0,
            levels=[len(a) for a in accepted], sample_needs=state.needs,
        )
# ------------------------------------------------------------------------------ CSQ baseline
def csq_baseline(group: Any, k: int, oracle: Oracle, budget: int, tolerance: float, *, min_weight: float = 1.0,
                 seed: SeedLike = 0, exclude: Any = ()) -> tuple[HermitePolynomial, int]:
    r"""A CSQ-only learner with ``budget`` correlational queries of raw tolerance ``tolerance``.

    It correlates y with ``budget`` distinct random degree-k orbit sums,
    :math:`h = \mathrm{clip}(p_{[V]}, \pm B)/B` with :math:`B = 8` (the clip changes
    :math:`\mathbb{E}[y h]` by at most :math:`\mathbb{E}[|y\,p|\,1\{|p|>8\}]`, negligible here), and keeps
    the orbits whose estimated weight exceeds ``min_weight``/2. For a single hidden orbit sum it finds
    it with probability about ``budget`` / :math:`N_k(G)`; the CSQ lower bound says no CSQ learner
    does much better. Returns ``(predictor, queries asked)``. ``exclude`` lists orbit
    representatives it must not try (to measure the unlucky case honestly, pass nothing).
    """
    G = resolve_group(group)
    k = check_degree(k, G.degree)
    budget = check_int(budget, "budget", min_value=0)
    if getattr(oracle, "kind", "csq") != "csq":
        raise InvalidParameterError("csq_baseline needs an oracle of kind 'csq'.")
    B = 8.0
    reps = random_subset_orbits(G, k, budget, seed=seed, exclude=exclude)
    kept, weights = [], []
    for V in reps:
        V = tuple(int(i) for i in V)
        a = B * oracle(correlation_query(G, V, B, tolerance / B, min_weight / (2 * B), csq=True), min(1.0, tolerance / B))
        if abs(a) >= min_weight / 2:
            kept.append(_alpha(V, G.degree))
            weights.append(a)
    pred = invariant_polynomial(G, kept, weights) if kept else _zero_polynomial(G.degree)
    return pred, len(reps)


def fit_from_samples(group: Any, k: int, x: Any, y: Any) -> tuple[Callable[[Any], Any], dict[str, Any]]:
    """Run :class:`SQPolynomialLearner` on one fixed sample (an :class:`EmpiricalOracle`).

    The learner answers whatever the sample size (``check_samples=False``): at a fixed budget a
    too-small sample should show up as a failure, not as a refusal. Returns ``(predict, info)``
    where ``predict(x [B, n]) -> [B]`` (torch, float64) and ``info`` has ``queries``,
    ``samples_required`` (the documented requirement of the queries asked) and ``support``.
    """
    result = SQPolynomialLearner(group, k).fit(EmpiricalOracle(x, y), check_samples=False)

    def predict(x_new: Any) -> Any:
        import torch

        return torch.as_tensor(result.predict(as_numpy(x_new)), dtype=torch.float64)

    info = {"queries": result.queries, "samples_required": result.samples_required,
            "support": [list(V) for V, _ in result.support]}
    return predict, info
