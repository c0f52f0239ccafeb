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
Any CSQ learner needs :math:`N_k(G)\,\tau^2/2` queries instead (:func:`symhard.families.polynomials.csq_lower_bound`).

Bounded queries, truncation and samples
---------------------------------------
An SQ query must take values in :math:`[-1, 1]`: the learner asks
:math:`\mathrm{clip}(\varphi, -B, B)/B` with tolerance :math:`0.9\,t / B`. The truncation error is

.. math::

    \bigl|\mathbb{E}\varphi - \mathbb{E}\,\mathrm{clip}(\varphi, \pm B)\bigr|
    \le \mathbb{E}\bigl[|\varphi|\,1\{|\varphi| > B\}\bigr] \;(\le \mathbb{E}[\varphi^2]/B),

and B is chosen so that it is at most :math:`t/10`; the answer is then correct to :math:`t`
whenever the oracle is within its tolerance. For a sampled oracle (the mean of the clipped query
over :math:`m` samples) Bernstein's inequality with a union bound over the
:math:`Q_{\rm all} = \sum_{\ell=1}^{k-1} N_\ell(G) + \sum_{\ell=0}^{k} N_\ell(G)` distinct query
functions the learner could ever ask (Reynolds-averaged queries of sets in one orbit are the same
function; :math:`N_\ell(G)` = orbits on ℓ-subsets, Burnside; so adaptivity costs nothing) gives the
tolerance with probability :math:`1-\delta` once

.. math::

    \sqrt{2\sigma^2 L/m} + 2L/(3m) \le 0.9\, t/B,\qquad
    \sigma^2 = V/B^2,\ V \ge \mathbb{E}\,\mathrm{clip}(\varphi,\pm B)^2,\ L = \ln(2 Q_{\rm all}/\delta)

(:math:`L \approx 13.0` for :math:`\mathbb{Z}_{64}`, k = 4, δ = 0.05, against 17.8 for a union over all
:math:`2\sum_\ell\binom{n}{\ell}` subsets). Strictly, B is chosen from the same sample (below), so the
union bound is over the queries at the chosen clipping levels.

:func:`required_samples` solves this for :math:`m`. **Caveat**: no useful a-priori bound on
:math:`V = \mathbb{E}[y^4 R_U^2]` or on the tail is known to us (hypercontractivity gives
:math:`9^k`-type constants, three orders of magnitude too loose), so with a fixed-sample oracle
:math:`V` is the *plug-in* value ``safety`` × (empirical second moment of the clipped query), and B is
the smallest level whose empirical tail :math:`\mathbb{E}[|\varphi|1\{|\varphi|>B\}]` times
``safety`` is at most :math:`t/10`. ``safety`` = 1.25 (it was 2): measured on :math:`\mathbb{Z}_{64}`, k = 4,
three random targets, the largest plug-in requirement moved by −10 % … +16 % between 2·10⁴ and
1.5·10⁵ samples, so 1.25 covers the drift of the plug-in estimate at the sizes used (on heavier tails,
small n, it does not: at n = 12, k = 3 the requirement grows about 3× from 2·10⁴ to 1.5·10⁵ samples).
The sample requirement is therefore data-driven, not a
worst-case guarantee. Exact and adversarial oracles need neither (``B = 10/t`` only rescales the
query). A fixed-sample oracle with too few samples raises :class:`InsufficientSamplesError`, which
says how many samples the failing query needs.

Oracles
-------
The learner talks to any :class:`symhard.queries.oracles.Oracle` of kind ``"sq"`` through
:class:`~symhard.queries.oracles.Query` objects whose ``key`` is ``(kind, V, B)``:

* exact: ``ExactOracle(expectation=exact_expectation(target, group), kind="sq")`` — the closed forms
  above, computed from the target's coefficients (the unclipped expectation divided by B; it lies
  within :math:`t/(4B)` of the clipped one);
* sampled: :class:`EmpiricalOracle` (a fixed sample, the same one gradient descent trains on) or
  ``SampledOracle`` (fresh samples per query);
* adversarial: ``ExactOracle(expectation=adversarial_expectation(target, group))`` answers
  :math:`\mathbb{E} \pm 0.99\tau`, pushed toward the learner's decision threshold (the worst case the
  SQ model allows).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from .._random import SeedLike
from ..errors import InvalidParameterError, check_float, check_int
from ..families.polynomials import (
    HermitePolynomial,
    _check_k,
    canonical_subsets,
    invariant_polynomial,
    multilinear_orbit_sum,
    random_subset_orbits,
    resolve_group,
)
from ..groups import PermutationGroup
from ..queries.oracles import Answer, Oracle, Query

__all__ = [
    "InsufficientSamplesError", "reynolds_products", "support_query", "correlation_query",
    "exact_expectation", "adversarial_expectation", "EmpiricalOracle", "required_samples",
    "query_bound", "SQPolynomialLearner", "SQLearnerResult", "csq_baseline", "fit_from_samples",
]

_TOL_FRACTION = 0.45
_TRUNC_FRACTION = 0.1


class InsufficientSamplesError(InvalidParameterError):
    """The sample size is too small for the tolerance a query needs (the message says how many)."""


# ------------------------------------------------------------------------------ Reynolds products
def _is_shift_group(group: PermutationGroup) -> bool:
    n = group.degree
    return group.order == n and (n == 1 or group.contains(np.roll(np.arange(n), -1)))


def reynolds_products(Z: np.ndarray, group: PermutationGroup, prefix: tuple[int, ...]) -> np.ndarray:
    r"""For every point :math:`e`, :math:`R_e = \frac{1}{|G|}\sum_{g\in G}\prod_{j\in g(U\cup\{e\})} Z_j`.

    Shapes: ``Z (m, n)`` → ``(m, n)`` (column ``e``; columns ``e ∈ U`` are meaningless). For the
    shift group :math:`\mathbb{Z}_n` (:math:`g_s(i) = i+s`) it is the circular cross-correlation
    :math:`\frac1n\sum_s P_s Z_{e+s}` of :math:`P_s = \prod_{j\in U} Z_{j+s}` with Z, by real FFT in
    :math:`O(mn\log n)`; otherwise a gather over the enumerated elements, :math:`O(m|G|n)`.
    """
    m, n = Z.shape
    U = np.asarray(prefix, dtype=np.int64)
    if _is_shift_group(group):
        shifts = (U[None, :] + np.arange(n)[:, None]) % n  # (n shifts, |U|)
        P = Z[:, shifts].prod(axis=-1) if U.size else np.ones((m, n))
        return np.fft.irfft(np.conj(np.fft.rfft(P, axis=1)) * np.fft.rfft(Z, axis=1), n=n, axis=1) / n
    elems = group.elements()
    out = np.empty((m, n))
    step = max(1, (1 << 23) // (len(elems) * n))
    for s in range(0, m, step):
        Zs = Z[s:s + step]
        P = Zs[:, elems[:, U]].prod(axis=-1) if U.size else np.ones((Zs.shape[0], len(elems)))
        out[s:s + step] = np.einsum("mg,mge->me", P, Zs[:, elems]) / len(elems)
    return out


class _Cache:
    """Per-sample Reynolds products of the last prefixes, keyed by (id of x, transform, prefix)."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.store: dict[tuple, np.ndarray] = {}

    def get(self, x: np.ndarray, group: PermutationGroup, transform: str, prefix: tuple[int, ...]) -> np.ndarray:
        key = (id(x), x.shape, group.name, transform, prefix)
        if key not in self.store:
            Z = x * x - 1.0 if transform == "herm2" else x
            if len(self.store) >= self.size:
                self.store.pop(next(iter(self.store)))
            self.store[key] = reynolds_products(Z, group, prefix)
        return self.store[key]


_CACHE = _Cache()


def _np(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().to("cpu", torch.float64).numpy()
    return np.asarray(a, dtype=np.float64)


def _raw_support(group: PermutationGroup, V: tuple[int, ...]) -> Callable[[Any, Any], np.ndarray]:
    def raw(x: Any, y: Any) -> np.ndarray:
        x, y = _np(x), _np(y)
        R = _CACHE.get(x, group, "herm2", V[:-1])[:, V[-1]]
        return y * y * R
    return raw


def _raw_correlation(group: PermutationGroup, V: tuple[int, ...], with_y: bool = True) -> Callable[..., np.ndarray]:
    scale = math.sqrt(len(group.orbit_of_subset(V))) if V else 1.0

    def raw(x: Any, y: Any = None) -> np.ndarray:
        x = _np(x)
        h = scale * _CACHE.get(x, group, "x", V[:-1])[:, V[-1]] if V else np.ones(x.shape[0])
        return _np(y) * h if with_y else h
    return raw


def _clipped(raw: Callable[..., np.ndarray], B: float) -> Callable[..., np.ndarray]:
    def fn(*args: Any) -> np.ndarray:
        return np.clip(raw(*args), -B, B) / B
    return fn


def support_query(group: PermutationGroup, V: tuple[int, ...], B: float, tau: float = 0.0,
                  threshold: float = 0.0) -> Query:
    r"""SQ :math:`\mathrm{clip}(y^2 R_V(x), \pm B)/B`, :math:`R_V = \frac1{|G|}\sum_g \prod_{j\in gV}(x_j^2-1)`."""
    raw = _raw_support(group, V)
    return Query(fn=_clipped(raw, B), key=("support", V, B),
                 meta={"raw": raw, "tau": tau, "threshold": threshold})


def correlation_query(group: PermutationGroup, V: tuple[int, ...], B: float, tau: float = 0.0,
                      threshold: float = 0.0, csq: bool = False) -> Query:
    r"""SQ :math:`\mathrm{clip}(y\,p_{[V]}(x), \pm B)/B` (or, with ``csq``, the CSQ
    :math:`h = \mathrm{clip}(p_{[V]}, \pm B)/B`)."""
    raw = _raw_correlation(group, V, with_y=not csq)
    return Query(fn=_clipped(raw, B), key=("correlation", V, B),
                 meta={"raw": _raw_correlation(group, V), "tau": tau, "threshold": threshold})


# ------------------------------------------------------------------------------ exact / adversarial
def exact_expectation(target: HermitePolynomial, group: PermutationGroup) -> Callable[[Query], float]:
    r"""Closed-form expectations of the structured queries for a multilinear ``target``
    (the unclipped value divided by B):

    * support: :math:`\frac{2^{|V|}}{|G|}\sum_g \sum_{T\supseteq gV} c_T^2` (the identity, averaged);
    * correlation: :math:`\mathbb{E}[y\,p_{[V]}] = \sum_\beta y_\beta (p_{[V]})_\beta` (orthonormality).
    """
    if not target.is_multilinear:
        raise InvalidParameterError("exact_expectation needs a multilinear target (all exponents 0 or 1).")
    if target.n != group.degree:
        raise InvalidParameterError(f"the target has {target.n} variables but {group.name} acts on {group.degree} points.")
    E = target.exponents.astype(bool)
    c2 = target.coefs ** 2
    elems = group.elements() if group.order <= 50_000 else np.arange(group.degree)[None, :]

    def expectation(q: Query) -> float:
        kind, V, B = q.key
        if kind == "support":
            if not V:
                return float(c2.sum()) / B
            imgs = elems[:, list(V)]  # (|G|, l)
            contains = E[:, imgs].all(axis=-1)  # (T, |G|)
            return float(2 ** len(V) * (c2 @ contains).mean()) / B
        if kind == "correlation":
            p = multilinear_orbit_sum(group, V) if V else HermitePolynomial(np.zeros((1, group.degree), int), np.ones(1))
            return target.inner(p) / B
        raise InvalidParameterError(f"unknown structured query {q.key!r}.")

    return expectation


def adversarial_expectation(target: HermitePolynomial, group: PermutationGroup, slack: float = 0.99) -> Callable[[Query], float]:
    """Exact value moved by ``slack``·τ toward the query's decision threshold (``meta['tau']``,
    ``meta['threshold']`` in SQ units): the worst answers a valid SQ oracle may give."""
    exact = exact_expectation(target, group)

    def expectation(q: Query) -> float:
        v = exact(q)
        tau, thr = q.meta.get("tau", 0.0), q.meta.get("threshold", 0.0)
        if q.key[0] == "correlation":
            return v - slack * tau * math.copysign(1.0, v) if abs(v) > thr else v + slack * tau * math.copysign(1.0, v or 1.0)
        return v - slack * tau if v > thr else v + slack * tau

    return expectation


class EmpiricalOracle(Oracle):
    """SQ/CSQ oracle answering with the mean over one fixed sample ``(x, y)`` (with its standard error).

    This is the sampled oracle of the separation experiment: the SQ learner sees exactly the
    samples gradient descent trains on. Shapes: ``x (m, n)``, ``y (m,)``.
    """

    mode = "sampled"

    def __init__(self, x: Any, y: Any, *, kind: str = "sq") -> None:
        super().__init__(kind, out_of_range="reject")
        self.x = _np(x)
        self.y = _np(y)
        if self.x.ndim != 2 or self.y.shape != (self.x.shape[0],):
            raise InvalidParameterError(f"Expected x (m, n) and y (m,), got {self.x.shape} and {self.y.shape}.")
        self.n_samples = self.x.shape[0]

    def _answer(self, q: Query, tau: float) -> Answer:
        if self.kind == "csq":
            vals = self._check_range(_np(q.fn(self.x))) * self.y
        else:
            vals = self._check_range(_np(q.fn(self.x, self.y)))
        m = vals.size
        return Answer(value=float(vals.mean()), stderr=float(vals.std(ddof=1) / math.sqrt(m)) if m > 1 else math.inf,
                      n_samples=m)

    def raw_values(self, q: Query) -> np.ndarray:
        """Values of the unclipped query (``meta['raw']``) on the samples, shape ``(m,)``."""
        return q.meta["raw"](self.x, self.y)


# ------------------------------------------------------------------------------ sample sizes
def required_samples(tolerance: float, second_moment: float, B: float, log_term: float) -> int:
    r"""Smallest m with :math:`\sqrt{2\sigma^2L/m} + 2L/(3m) \le 0.9\, t/B`, :math:`\sigma^2 = V/B^2`
    (Bernstein for the clipped query in [−1, 1], truncation :math:`\le t/10` taken out)."""
    tau = (1.0 - _TRUNC_FRACTION) * tolerance / B
    a, b = 2.0 * log_term / 3.0, math.sqrt(2.0 * second_moment / B**2 * log_term)
    u = (-b + math.sqrt(b * b + 4 * a * tau)) / (2 * a)
    return int(math.ceil(1.0 / u**2))


def query_bound(n: int, k: int, sparsity: int = 1, *, support_levels: int | None = None,
                transitive: bool = False, max_stabilizer: int = 1) -> int:
    r"""The stated query bound (answers within tolerance).

    Every level tested (``support_levels`` None or :math:`\ge k-1`): :math:`s\,2^{k+1}(n+1)`.
    Otherwise (``2 ≤ support_levels = σ < k − 1``), with :math:`a_1 = 1` for a transitive group
    (else :math:`sk`) and :math:`D = \min(n-1,\ s\,k(k-1)\,\max_v|\mathrm{Stab}(v)|)`:

    .. math::

        Q \le [\text{not transitive}]\,n + a_1 (n-1) + \sum_{\ell=3}^{\sigma} a_1\binom{D}{\ell-1}
              + 1 + a_1 + s\binom k2 + a_1 \sum_{\ell=3}^{k} \binom{D}{\ell-1}.

    *Proof.* Level 2 has at most :math:`a_1(n-1)` candidate orbits and :math:`|A_2| \le s\binom k2`.
    Every candidate of level :math:`\ell \ge 3` passed the Apriori filter, so all its pairs lie in
    :math:`A_2`-orbits: it is an ℓ-clique of the pair graph, whose degree is at most
    :math:`D` (a pair orbit :math:`O` gives a point :math:`v` at most :math:`2|\mathrm{Stab}(v)|`
    neighbours). Each clique orbit has a member through one of the :math:`a_1` point
    representatives, whose other ℓ − 1 points are neighbours of it. For :math:`\mathbb{Z}_n`,
    :math:`D \le 2s\binom k2` does not grow with n, so :math:`Q = O(n)` for fixed s, k. ∎
    """
    if support_levels is None or support_levels >= k - 1:
        return sparsity * 2 ** (k + 1) * (n + 1)
    a1 = 1 if transitive else sparsity * k
    D = min(n - 1, sparsity * k * (k - 1) * max_stabilizer)
    cliques = [a1 * math.comb(D, l - 1) for l in range(3, k + 1)]  # levels 3..k
    return ((0 if transitive else n) + a1 * (n - 1) + sum(cliques[: max(support_levels - 2, 0)])
            + 1 + a1 + sparsity * math.comb(k, 2) + sum(cliques))


# ------------------------------------------------------------------------------ the learner
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
        self.k = _check_k(k, self.group.degree)
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

    def query_bound(self) -> int:
        """:func:`query_bound` for this learner's group and ``support_levels``."""
        G, n = self.group, self.group.degree
        transitive = n > 1 and len(G.orbit_of_subset((0,))) == n
        stab = G.order // len(G.orbit_of_subset((0,))) if transitive else G.order
        return query_bound(n, self.k, self.sparsity, support_levels=self.support_levels,
                           transitive=transitive, max_stabilizer=stab)

    def support_tolerance(self, level: int) -> float:
        """Raw tolerance :math:`t_\\ell = 0.45\\cdot 2^\\ell c_{\\min}^2` of a level-ℓ support query."""
        return _TOL_FRACTION * 2**level * self.min_coef**2

    def _ask(self, oracle: Oracle, make: Callable[[float, float, float], Query], t: float, threshold: float,
             state: dict) -> float:
        """Choose B, check the sample size, ask, and return the raw answer.

        With a fixed-sample oracle (``raw_values``): B = the smallest level whose empirical tail
        E[|φ| 1{|φ| > B}] × safety is at most t/10, and V = safety × empirical E[clip(φ, ±B)²]
        (plug-in; Bernstein needs the variance of the clipped query only);
        otherwise V = 1 and B = 10/t (B then only rescales the query).
        """
        m = getattr(oracle, "n_samples", None)
        sampled = hasattr(oracle, "raw_values") and m is not None
        V, B = 1.0, 10.0 / t
        if sampled:
            raw = np.abs(oracle.raw_values(make(1.0, 0.0, 0.0)))
            desc = np.sort(raw)[::-1]
            tail = (np.cumsum(desc) - desc) / raw.size  # tail[i] = E[|φ| 1{|φ| > desc[i]}] (ties aside)
            ok = np.flatnonzero(self.safety * tail <= _TRUNC_FRACTION * t)
            B = max(float(desc[ok[-1]]) if ok.size else float(desc[0]), 1e-12)
            clipped = np.minimum(raw, B)
            V = max(self.safety * float(np.mean(clipped * clipped)), 1e-300)
        tau = min((1.0 - _TRUNC_FRACTION) * t / B, 1.0)
        q = make(B, tau, threshold / B)
        if sampled:
            need = required_samples(t, V, B, self.log_term)
            state["need"] = max(state["need"], need)
            state["needs"].append((q.key[0], q.key[1], need))
            if state["check"] and m < need:
                raise InsufficientSamplesError(
                    f"{m} samples are too few: the {q.key[0]} query for V={q.key[1]} needs tolerance {t:.3g} "
                    f"(plug-in second moment {V:.3g}), which takes at least {need} samples by Bernstein's "
                    f"inequality (δ = {self.delta}); give at least {need} samples."
                )
        state["min_tau"] = min(state["min_tau"], tau)
        return B * oracle(q, tau)

    def fit(self, oracle: Oracle, *, check_samples: bool = True) -> SQLearnerResult:
        """Run the learner against ``oracle`` (an SQ oracle) and return the recovered polynomial."""
        if getattr(oracle, "kind", "sq") != "sq":
            raise InvalidParameterError("the SQ learner needs an oracle of kind 'sq' (it asks non-correlational queries).")
        t0 = time.perf_counter()
        G, n, k = self.group, self.group.degree, self.k
        state = {"need": 0, "check": check_samples, "min_tau": math.inf, "needs": []}
        tol = {"support": math.inf, "correlation": math.inf}
        accepted: list[list[tuple[int, ...]]] = [[()]]
        n_support = 0

        def extend(reps: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
            """One set U + (i,) per orbit of {U ∪ {i}} whose every (ℓ−1)-subset lies in an orbit of
            ``reps`` (the Apriori filter: a subset of a support set has all its subsets in the
            support's downward closure, so no support orbit is lost). A set is kept in its
            (unsorted) grown form, not as the canonical representative: the Reynolds-averaged
            queries take the same value on every member of an orbit, and a shared prefix U lets
            the sampled oracle reuse work."""
            cand = [U + (i,) for U in reps for i in range(n) if i not in U]
            if not cand:
                return []
            canon = canonical_subsets(G, np.sort(np.array(cand, dtype=np.int64), axis=1))
            first: dict[tuple[int, ...], tuple[int, ...]] = {}
            for c, r in zip(cand, canon):
                first.setdefault(tuple(int(i) for i in r), c)
            out = list(first.values())
            size = len(out[0])
            if size >= 2 and reps and reps[0]:
                allowed = {tuple(int(i) for i in r)
                           for r in canonical_subsets(G, np.sort(np.array(reps, dtype=np.int64), axis=1))}
                C = np.sort(np.array(out, dtype=np.int64), axis=1)
                drop = np.array([[j for j in range(size) if j != d] for d in range(size)])  # (size, size-1)
                subs = canonical_subsets(G, C[:, drop].reshape(-1, size - 1)).reshape(len(out), size, size - 1)
                ok = [all(tuple(int(i) for i in r) in allowed for r in row) for row in subs]
                out = [c for c, good in zip(out, ok) if good]
            return out

        transitive = n > 1 and len(G.orbit_of_subset((0,))) == n
        for level in range(1, k):
            t = self.support_tolerance(level)
            thr = 2**level * self.min_coef**2 / 2
            cands = extend(accepted[-1])
            if (level == 1 and transitive) or level > self.support_levels:
                # one orbit of points / an untested level: accept every candidate (module docstring)
                accepted.append(cands)
                if not cands:
                    break
                continue
            keep = []
            for V in cands:
                val = self._ask(oracle, lambda B, tau, th, V=V: support_query(G, V, B, tau, th), t, thr, state)
                n_support += 1
                if val > thr:
                    keep.append(V)
            tol["support"] = min(tol["support"], t)
            accepted.append(keep)
            if not keep:
                break
        candidates = [V for level in accepted for V in level]
        if len(accepted) == k and accepted[-1]:
            candidates += extend(accepted[-1])
        support: list[tuple[tuple[int, ...], float]] = []
        for V in candidates:
            a_min = self.min_weight
            t = a_min * min(_TOL_FRACTION, math.sqrt(self.eps))
            tol["correlation"] = min(tol["correlation"], t)
            a = self._ask(oracle, lambda B, tau, th, V=V: correlation_query(G, V, B, tau, th), t, a_min / 2, state)
            if abs(a) >= a_min / 2:
                support.append((tuple(sorted(V)), a))
        if support:
            alphas = []
            for V, _ in support:
                al = np.zeros(n, dtype=np.int64)
                al[list(V)] = 1
                alphas.append(al)
            predictor = invariant_polynomial(G, alphas, [a for _, a in support])
        else:
            predictor = HermitePolynomial(np.zeros((1, n), dtype=np.int64), np.zeros(1))
        return SQLearnerResult(
            predictor=predictor, support=support, queries=n_support + len(candidates),
            support_queries=n_support, correlation_queries=len(candidates),
            query_bound=self.query_bound(), tolerances=tol, min_sq_tau=state["min_tau"],
            samples_required=state["need"] or None, seconds=time.perf_counter() - t0,
            levels=[len(a) for a in accepted], sample_needs=state["needs"],
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
    k = _check_k(k, G.degree)
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
            al = np.zeros(G.degree, dtype=np.int64)
            al[list(V)] = 1
            kept.append(al)
            weights.append(a)
    pred = (invariant_polynomial(G, kept, weights) if kept
            else HermitePolynomial(np.zeros((1, G.degree), dtype=np.int64), np.zeros(1)))
    return pred, len(reps)


def fit_from_samples(group: Any, k: int, x: Any, y: Any) -> tuple[Callable[[Any], torch.Tensor], dict[str, Any]]:
    """Run :class:`SQPolynomialLearner` on one fixed sample (an :class:`EmpiricalOracle`).

    The learner answers whatever the sample size (``check_samples=False``): at a fixed budget a
    too-small sample should show up as a failure, not as a refusal. Returns ``(predict, info)``
    where ``predict(x [B, n]) -> [B]`` (torch, float64) and ``info`` has ``queries``,
    ``samples_required`` (the documented requirement of the queries asked) and ``support``.
    """
    result = SQPolynomialLearner(group, k).fit(EmpiricalOracle(_np(x), _np(y)), check_samples=False)

    def predict(x_new: Any) -> torch.Tensor:
        return torch.as_tensor(result.predict(_np(x_new)), dtype=torch.float64)

    info = {"queries": result.queries, "samples_required": result.samples_required,
            "support": [list(V) for V, _ in result.support]}
    return predict, info
