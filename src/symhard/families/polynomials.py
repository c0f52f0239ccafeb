r"""Invariant polynomials of Gaussian inputs: the CSQ-hard orbit sums (paper §2.6, digest [I]).

Setting
-------
Inputs :math:`x \sim N(0, I_n)`; a group :math:`G \le S_n` permutes coordinates,
:math:`(g·x)_{g(i)} = x_i`. It acts on multi-indices :math:`\alpha \in \mathbb{N}^n` the same way,
:math:`(g·\alpha)_{g(i)} = \alpha_i`, so that :math:`He_\alpha(g^{-1}·x) = He_{g·\alpha}(x)` with
the probabilists' Hermite monomials

.. math::

    He_\alpha(x) = \prod_{i=1}^n He_{\alpha_i}(x_i), \qquad
    \mathbb{E}[He_\alpha He_\beta] = \alpha!\,\delta_{\alpha\beta}, \quad \alpha! = \prod_i \alpha_i!

(one-dimensional orthogonality :math:`\mathbb{E}[He_a(z) He_b(z)] = a!\,\delta_{ab}` and independence
of the coordinates).

Members
-------
The *orbit sum* of :math:`\alpha` is

.. math::

    p_{[\alpha]} = \bigl(|\mathrm{orb}(\alpha)|\,\alpha!\bigr)^{-1/2} \sum_{\beta \in \mathrm{orb}(\alpha)} He_\beta .

It is :math:`G`-invariant (g permutes the orbit) and has unit norm: the
:math:`|\mathrm{orb}(\alpha)|` monomials are orthogonal, each with :math:`\mathbb{E}[He_\beta^2] =
\beta! = \alpha!`. Orbit sums of different orbits share no monomial, so they are orthogonal:
*the Gram matrix of any set of orbit sums of distinct orbits is the identity, exactly*
(:func:`gram_matrix` computes it from the Hermite expansions, never by sampling). Sparse invariant
polynomials are combinations :math:`\sum_j w_j p_{[\alpha_j]}`, with norm :math:`\sum_j w_j^2`.

The hard sub-class
------------------
The multilinear degree-:math:`k` orbit sums: :math:`\alpha = 1_S` with :math:`|S| = k`, so
:math:`He_\alpha = x_S = \prod_{i\in S} x_i` and
:math:`p_{[S]} = |\mathrm{orb}(S)|^{-1/2} \sum_{T \in \mathrm{orb}(S)} x_T`. There is one member per
orbit of :math:`G` on :math:`k`-subsets; they are orthonormal. By Burnside's lemma (exact integers,
:meth:`PermutationGroup.orbit_count_subsets`) their number is

.. math::

    N_k(G) = \frac{1}{|G|}\sum_{g\in G} \#\{k\text{-subsets fixed by } g\} \;\ge\; \binom{n}{k}\Big/|G| .

**Theorem (CSQ lower bound, from (L1) with** :math:`\gamma = 0` **).** Any CSQ learner that learns
the class to squared error below that of the zero predictor with queries of tolerance :math:`\tau`
needs at least :math:`N_k(G)\,\tau^2/2` queries. *Proof sketch*: an adversary answers 0; a query
:math:`h` with :math:`\|h\| \le 1` is off by more than :math:`\tau` for fewer than
:math:`1/\tau^2` members (Bessel's inequality on an orthonormal family); after :math:`q` queries
more than :math:`N_k - q/\tau^2` members are consistent with every answer, and two orthonormal
survivors cannot both be approximated, which costs the factor 1/2. For :math:`|G| = \mathrm{poly}(n)`
and :math:`k \approx \log n` the bound is :math:`n^{\Omega(\log n)}`.

Realization in the architecture
-------------------------------
A member is written exactly as a :math:`G`-averaged one-hidden-layer network with activation
:math:`\sigma(t) = t^k` (:func:`power_network_weights`). By polarization,
:math:`\sum_{\varepsilon \in \{\pm1\}^k,\ \varepsilon_1 = 1} (\prod_j \varepsilon_j)
(\varepsilon \cdot z)^k = 2^{k-1} k!\, z_1 \cdots z_k`, so :math:`x_S` is a sum of
:math:`2^{k-1}` powers of linear forms; averaging over :math:`G` gives
:math:`\frac{1}{|G|}\sum_g x_S(g^{-1}·x) = \frac{1}{|\mathrm{orb}(S)|}\sum_{T\in\mathrm{orb}(S)} x_T`
(each :math:`T` is hit :math:`|\mathrm{Stab}(S)|` times), hence
:math:`p_{[S]} = \sqrt{|\mathrm{orb}(S)|}\cdot\frac{1}{|G|}\sum_g x_S(g^{-1}·x)`. The certificate
evaluates this network and reports :math:`\max|\text{network} - p_{[S]}|` on Gaussian samples.

Notes
-----
Hermite values are computed by the three-term recurrence :math:`He_{j+1} = z He_j - j He_{j-1}` in
float64 (or the input's torch dtype); they are exact up to round-off for the degrees used here
(≤ 10). The orbit of a multi-index is enumerated by breadth-first search over the generators, so
it is refused (:class:`EnumerationLimitError`) above ``orbit_cap`` members.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .._random import SeedLike, as_generator
from ..errors import (
    EnumerationLimitError,
    GroupSpecError,
    InvalidParameterError,
    check_float,
    check_int,
    check_tau,
)
from ..groups import PermutationGroup, as_group
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role

__all__ = [
    "hermite_e_table", "hermite_monomial", "HermitePolynomial", "multi_index_orbit", "orbit_sum",
    "multilinear_orbit_sum", "invariant_polynomial", "gram_matrix", "hard_class_size",
    "csq_lower_bound", "canonical_subsets", "random_subset_orbits", "random_hard_member",
    "random_invariant_multilinear", "power_network_weights", "power_network_forward",
    "resolve_group", "PolynomialsFamily",
]

#: Refuse to enumerate orbits larger than this.
DEFAULT_ORBIT_CAP = 200_000
#: Groups up to this order are canonicalized through their element list (else by orbit search).
_ELEMENT_CANON_CAP = 50_000


# ------------------------------------------------------------------------------ validation
def resolve_group(group: Any, n: int | None = None, name: str = "group") -> PermutationGroup:
    """Accept a :class:`PermutationGroup` or a spec string (``"cyclic:12"``); check its degree.

    Raises :class:`InvalidParameterError` when ``n`` is given and the group acts on another
    number of points.
    """
    return as_group(group, n, name=name, acting_on="coordinates")


def _check_k(k: Any, n: int) -> int:
    k = check_int(k, "k", min_value=1)
    if k > n:
        raise InvalidParameterError(f"k == {k} exceeds the number of coordinates n == {n}; the degree k must be in [1, n].")
    return k


def _check_alpha(alpha: Any, n: int) -> np.ndarray:
    a = np.asarray(alpha)
    if a.ndim != 1 or a.shape[0] != n or not np.issubdtype(a.dtype, np.integer) or np.any(a < 0):
        raise InvalidParameterError(
            f"a multi-index must be a length-{n} vector of non-negative integers, got {np.asarray(alpha).tolist()!r}."
        )
    return a.astype(np.int64)


# ------------------------------------------------------------------------------ Hermite
def hermite_e_table(z: Any, degree: int) -> Any:
    r"""Probabilists' Hermite values :math:`He_0(z), \dots, He_D(z)` by the recurrence
    :math:`He_{j+1}(z) = z\,He_j(z) - j\,He_{j-1}(z)`.

    Shapes: ``z (...)`` (numpy or torch) → ``(..., D + 1)``.
    """
    degree = check_int(degree, "degree", min_value=0)
    is_torch = isinstance(z, torch.Tensor)
    cols = [torch.ones_like(z) if is_torch else np.ones_like(z, dtype=float)]
    if degree >= 1:
        cols.append(z if is_torch else np.asarray(z, dtype=float))
    for j in range(1, degree):
        cols.append(z * cols[j] - j * cols[j - 1])
    return torch.stack(cols, dim=-1) if is_torch else np.stack(cols, axis=-1)


def hermite_monomial(x: Any, alpha: Any) -> Any:
    r""":math:`He_\alpha(x) = \prod_i He_{\alpha_i}(x_i)`.  Shapes: ``x (m, n)``, ``alpha (n,)`` → ``(m,)``."""
    return HermitePolynomial(np.asarray(alpha)[None, :], np.ones(1))(x)


@dataclass(frozen=True)
class HermitePolynomial:
    r"""A sparse polynomial :math:`f = \sum_t c_t\, He_{\beta_t}` in the Hermite basis.

    Parameters
    ----------
    exponents : int array ``(T, n)``
        Distinct multi-indices :math:`\beta_t`.
    coefs : float array ``(T,)``
        Coefficients :math:`c_t`.

    Exact second moments follow from orthogonality:
    :math:`\mathbb{E}[f g] = \sum_\beta f_\beta g_\beta \beta!`.
    """

    exponents: np.ndarray
    coefs: np.ndarray

    def __post_init__(self) -> None:
        e = np.asarray(self.exponents, dtype=np.int64)
        c = np.asarray(self.coefs, dtype=float)
        if e.ndim != 2 or c.shape != (e.shape[0],):
            raise InvalidParameterError(
                f"exponents must have shape (T, n) and coefs shape (T,), got {e.shape} and {c.shape}."
            )
        if np.any(e < 0):
            raise InvalidParameterError("exponents must be non-negative integers.")
        if len({r.tobytes() for r in e}) != e.shape[0]:
            raise InvalidParameterError("exponents must be distinct multi-indices (merge repeated terms first).")
        object.__setattr__(self, "exponents", e)
        object.__setattr__(self, "coefs", c)

    @property
    def n(self) -> int:
        return int(self.exponents.shape[1])

    @property
    def degree(self) -> int:
        return int(self.exponents.sum(axis=1).max()) if self.exponents.size else 0

    @property
    def is_multilinear(self) -> bool:
        return bool(np.all(self.exponents <= 1))

    def as_dict(self) -> dict[bytes, float]:
        return {r.tobytes(): float(c) for r, c in zip(self.exponents, self.coefs)}

    def factorials(self) -> np.ndarray:
        r""":math:`\beta_t! = \prod_i \beta_{t,i}!` for every term, shape ``(T,)``."""
        from scipy.special import factorial

        return factorial(self.exponents, exact=False).prod(axis=1)

    def inner(self, other: "HermitePolynomial") -> float:
        r"""Exact :math:`\mathbb{E}[f g] = \sum_\beta f_\beta g_\beta \beta!` (Hermite orthogonality)."""
        if other.n != self.n:
            raise InvalidParameterError(f"polynomials on {self.n} and {other.n} variables cannot be paired.")
        od = other.as_dict()
        fact = self.factorials()
        return float(sum(c * od.get(r.tobytes(), 0.0) * f for r, c, f in zip(self.exponents, self.coefs, fact)))

    def norm_sq(self) -> float:
        r"""Exact :math:`\mathbb{E}[f^2] = \sum_t c_t^2 \beta_t!`."""
        return float(np.sum(self.coefs**2 * self.factorials()))

    def scaled(self, factor: float) -> "HermitePolynomial":
        return HermitePolynomial(self.exponents, self.coefs * factor)

    def __call__(self, x: Any, chunk: int = 8192) -> Any:
        r"""Evaluate :math:`f(x)`. Shapes: ``x (m, n)`` (numpy or torch) → ``(m,)``.

        The terms are gathered on their supports: for each term only the (at most ``degree``)
        coordinates with :math:`\beta_i > 0` are multiplied, so the cost is ``m·T·degree``.
        """
        is_torch = isinstance(x, torch.Tensor)
        if x.ndim != 2 or x.shape[1] != self.n:
            raise InvalidParameterError(
                f"Expected x to have shape (m, n) = (m, {self.n}), got {tuple(x.shape)}."
            )
        e = self.exponents
        T = e.shape[0]
        width = max(int((e > 0).sum(axis=1).max()) if T else 0, 1)
        idx = np.zeros((T, width), dtype=np.int64)
        deg = np.zeros((T, width), dtype=np.int64)
        for t in range(T):  # loop over terms (not samples) to build the gather plan
            nz = np.flatnonzero(e[t])
            idx[t, : nz.size] = nz
            deg[t, : nz.size] = e[t, nz]
        D = int(e.max()) if e.size else 0
        if is_torch:
            idx_t, deg_t = torch.as_tensor(idx, device=x.device), torch.as_tensor(deg, device=x.device)
            coefs = torch.as_tensor(self.coefs, dtype=x.dtype, device=x.device)
            outs = []
            for s in range(0, x.shape[0], chunk):
                H = hermite_e_table(x[s:s + chunk], D)  # (b, n, D+1)
                outs.append(H[:, idx_t, deg_t].prod(dim=-1) @ coefs)
            return torch.cat(outs) if outs else x.new_zeros(0)
        x = np.asarray(x, dtype=float)
        outs = []
        for s in range(0, x.shape[0], chunk):
            H = hermite_e_table(x[s:s + chunk], D)
            outs.append(H[:, idx, deg].prod(axis=-1) @ self.coefs)
        return np.concatenate(outs) if outs else np.zeros(0)


def gram_matrix(polys: Sequence[HermitePolynomial]) -> np.ndarray:
    r"""Exact Gram matrix :math:`K_{ij} = \mathbb{E}[f_i f_j]` from Hermite orthogonality.

    Shapes: ``P`` polynomials → ``(P, P)``.
    """
    P = len(polys)
    K = np.empty((P, P))
    for i in range(P):
        for j in range(i, P):
            K[i, j] = K[j, i] = polys[i].inner(polys[j])
    return K


# ------------------------------------------------------------------------------ orbits
def multi_index_orbit(group: PermutationGroup, alpha: Any, cap: int = DEFAULT_ORBIT_CAP) -> np.ndarray:
    r"""The orbit :math:`\{g·\alpha : g \in G\}`, :math:`(g·\alpha)_{g(i)} = \alpha_i`, by breadth-first
    search over the generators. Shapes: ``alpha (n,)`` → ``(|orb|, n)``, rows sorted lexicographically.
    """
    alpha = _check_alpha(alpha, group.degree)
    seen = {alpha.tobytes(): alpha}
    frontier = [alpha]
    while frontier:
        new = []
        for a in frontier:
            for g in group.generators:
                b = np.empty_like(a)
                b[g] = a
                key = b.tobytes()
                if key not in seen:
                    seen[key] = b
                    new.append(b)
                    if len(seen) > cap:
                        raise EnumerationLimitError(
                            f"the orbit of {alpha.tolist()} under {group.name} exceeds {cap} members."
                        )
        frontier = new
    rows = np.array(list(seen.values()), dtype=np.int64)
    return rows[np.lexsort(rows.T[::-1])]


def orbit_sum(group: PermutationGroup, alpha: Any, weight: float = 1.0) -> HermitePolynomial:
    r"""``weight`` · :math:`p_{[\alpha]} = (|\mathrm{orb}(\alpha)|\alpha!)^{-1/2}\sum_{\beta\in\mathrm{orb}(\alpha)} He_\beta`."""
    orbit = multi_index_orbit(group, alpha)
    fact = float(np.prod([math.factorial(int(a)) for a in orbit[0]]))
    c = weight / math.sqrt(orbit.shape[0] * fact)
    return HermitePolynomial(orbit, np.full(orbit.shape[0], c))


def _subset_to_alpha(subset: Sequence[int], n: int) -> np.ndarray:
    s = [int(i) for i in subset]
    if len(set(s)) != len(s) or any(not 0 <= i < n for i in s):
        raise InvalidParameterError(f"subset {list(subset)} must list distinct points in 0..{n - 1}.")
    a = np.zeros(n, dtype=np.int64)
    a[s] = 1
    return a


def multilinear_orbit_sum(group: PermutationGroup, subset: Sequence[int], weight: float = 1.0) -> HermitePolynomial:
    r""":math:`p_{[S]} = |\mathrm{orb}(S)|^{-1/2}\sum_{T\in\mathrm{orb}(S)} x_T` (times ``weight``)."""
    return orbit_sum(group, _subset_to_alpha(subset, group.degree), weight)


def invariant_polynomial(group: PermutationGroup, alphas: Sequence[Any], weights: Sequence[float]) -> HermitePolynomial:
    r"""The sparse invariant polynomial :math:`\sum_j w_j\, p_{[\alpha_j]}` (orbits must be distinct)."""
    if len(alphas) != len(weights) or not alphas:
        raise InvalidParameterError("alphas and weights must be non-empty and of equal length.")
    parts = [orbit_sum(group, a, float(w)) for a, w in zip(alphas, weights)]
    exps = np.concatenate([p.exponents for p in parts])
    if len({r.tobytes() for r in exps}) != exps.shape[0]:
        raise InvalidParameterError("two of the multi-indices lie in the same orbit; give one per orbit.")
    return HermitePolynomial(exps, np.concatenate([p.coefs for p in parts]))


def canonical_subsets(group: PermutationGroup, subsets: Any) -> np.ndarray:
    r"""Canonical representative of the orbit of each subset: the lexicographically smallest sorted
    tuple among :math:`\{g·S : g\in G\}`. Shapes: ``subsets (C, l)`` → ``(C, l)`` (rows sorted).

    Vectorized over the subsets and the group elements when :math:`|G| \le 50000`; orbit search
    over the generators otherwise.
    """
    S = np.asarray(subsets, dtype=np.int64)
    if S.ndim != 2:
        raise InvalidParameterError(f"subsets must have shape (C, l), got {S.shape}.")
    C, l = S.shape
    if l == 0 or C == 0:
        return S.copy()
    n = group.degree
    if group.order <= _ELEMENT_CANON_CAP:
        elems = group.elements()
        out = np.empty_like(S)
        weights = n ** np.arange(l - 1, -1, -1, dtype=np.int64)
        step = max(1, (1 << 22) // (len(elems) * l))
        for s in range(0, C, step):
            imgs = np.sort(elems[:, S[s:s + step]], axis=-1)  # (|G|, c, l)
            keys = imgs @ weights  # lexicographic order of sorted tuples
            best = np.argmin(keys, axis=0)
            out[s:s + step] = imgs[best, np.arange(imgs.shape[1])]
        return out
    return np.array([sorted(min(tuple(sorted(T)) for T in group.orbit_of_subset(row))) for row in S], dtype=np.int64)


def hard_class_size(group: PermutationGroup, k: int) -> int:
    r"""Exact number :math:`N_k(G)` of orbits of :math:`G` on :math:`k`-subsets (Burnside)."""
    return group.orbit_count_subsets(_check_k(k, group.degree))


def csq_lower_bound(group: PermutationGroup, k: int, tau: float) -> LowerBound:
    r"""The CSQ bound :math:`N_k(G)\,\tau^2/2` of the multilinear degree-k orbit sums."""
    tau = check_tau(tau)
    N = hard_class_size(group, k)
    log10 = math.log10(N) + 2 * math.log10(tau) - math.log10(2)
    return LowerBound(
        queries=N * tau**2 / 2,
        tau=tau,
        formula=f"N_k(G)·τ²/2 with N_k(G) = #orbits of {group.name} on {k}-subsets = {N} (Burnside)",
        log10_queries=log10,
    )


def random_subset_orbits(group: PermutationGroup, k: int, count: int, seed: SeedLike = None,
                         exclude: Sequence[Sequence[int]] = (), max_tries: int = 50) -> np.ndarray:
    """Up to ``count`` distinct orbits of k-subsets (canonical representatives), found by drawing
    uniform random k-subsets; never enumerates the C(n, k) subsets. Shapes: → ``(≤ count, k)``.

    A uniform k-subset lands in an orbit with probability proportional to the orbit's size.
    """
    n = group.degree
    k = _check_k(k, n)
    count = check_int(count, "count", min_value=0)
    rng = as_generator(seed)
    total = group.orbit_count_subsets(k)
    excluded = {tuple(int(i) for i in r) for r in canonical_subsets(group, np.asarray(exclude, dtype=np.int64).reshape(-1, k))} if len(exclude) else set()
    want = min(count, total - len(excluded))
    found: dict[tuple[int, ...], None] = {}
    for _ in range(max_tries):
        if len(found) >= want:
            break
        draw = max(2 * (want - len(found)), 16)
        subs = np.argsort(rng.random((draw, n)), axis=1)[:, :k]
        for row in canonical_subsets(group, subs):
            t = tuple(int(i) for i in row)
            if t not in excluded and t not in found:
                found[t] = None
                if len(found) >= want:
                    break
    return np.array(list(found), dtype=np.int64).reshape(-1, k)


def random_hard_member(group: PermutationGroup, k: int, seed: SeedLike = None) -> tuple[tuple[int, ...], HermitePolynomial]:
    r"""A random member :math:`p_{[S]}` of the hard class: S a uniform random k-subset.

    Returns ``(canonical S, p_[S])``.
    """
    rng = as_generator(seed)
    k = _check_k(k, group.degree)
    S = np.sort(rng.permutation(group.degree)[:k])
    rep = canonical_subsets(group, S[None, :])[0]
    return tuple(int(i) for i in rep), multilinear_orbit_sum(group, rep)


def random_invariant_multilinear(group: PermutationGroup, k: int, sparsity: int, seed: SeedLike = None,
                                 min_weight: float = 0.5) -> HermitePolynomial:
    r"""A random sparse invariant multilinear polynomial :math:`\sum_{j=1}^{s} w_j p_{[S_j]}`.

    The degrees :math:`|S_j|` are drawn from ``1..k`` (one of them equals k), the orbits are
    distinct, and :math:`|w_j| \in [\text{min\_weight}, 1]` with random signs.
    """
    rng = as_generator(seed)
    n = group.degree
    k = _check_k(k, n)
    sparsity = check_int(sparsity, "sparsity", min_value=1)
    degrees = np.concatenate([[k], rng.integers(1, k + 1, size=sparsity - 1)])
    reps: list[np.ndarray] = []
    for d in sorted(set(degrees.tolist())):
        need = int((degrees == d).sum())
        reps.extend(random_subset_orbits(group, d, need, seed=rng))
    weights = rng.uniform(min_weight, 1.0, size=len(reps)) * rng.choice([-1.0, 1.0], size=len(reps))
    return invariant_polynomial(group, [_subset_to_alpha(r, n) for r in reps], weights.tolist())


# ------------------------------------------------------------------------------ realization
def power_network_weights(group: PermutationGroup, subset: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    r"""Weights of a :math:`G`-averaged network with :math:`\sigma(t) = t^k` that equals :math:`p_{[S]}`.

    :math:`W_{:,\varepsilon} = \sum_{j} \varepsilon_j e_{S_j}` for :math:`\varepsilon\in\{\pm1\}^k`,
    :math:`\varepsilon_1 = 1`, and
    :math:`a_\varepsilon = \sqrt{|\mathrm{orb}(S)|}\,\prod_j\varepsilon_j / (2^{k-1} k!)`
    (polarization; see the module docstring). Shapes: → ``W (n, 2^{k-1})``, ``a (2^{k-1},)``.
    """
    n = group.degree
    S = sorted(int(i) for i in subset)
    _subset_to_alpha(S, n)
    k = len(S)
    eps = np.array([(1,) + e for e in product((1, -1), repeat=k - 1)], dtype=float)  # (2^{k-1}, k)
    W = np.zeros((n, eps.shape[0]))
    W[S, :] = eps.T
    orb = len(group.orbit_of_subset(S))
    a = math.sqrt(orb) * eps.prod(axis=1) / (2 ** (k - 1) * math.factorial(k))
    return W, a


def power_network_forward(group: PermutationGroup, W: np.ndarray, a: np.ndarray, power: int, x: np.ndarray) -> np.ndarray:
    r""":math:`f(x) = \frac{1}{|G|}\sum_{g\in G} a^\top \sigma(W^\top g^{-1}x)`, :math:`\sigma(t)=t^{power}`,
    with :math:`(g^{-1}x)_i = x_{g(i)}`. Shapes: ``x (m, n)`` → ``(m,)``.
    """
    elems = group.elements()
    out = np.zeros(x.shape[0])
    for g in elems:  # loop over group elements, vectorized over samples
        out += (x[:, g] @ W) ** power @ a
    return out / len(elems)


# ------------------------------------------------------------------------------ the family
class PolynomialsFamily(Family):
    """Multilinear degree-k orbit sums p_[S] of Gaussian inputs under a permutation group."""

    name = "polynomials"
    summary = "G-invariant polynomials p_[S] = |orb S|^(-1/2) Σ_{T∈orb S} x_T of x ~ N(0, I_n), |S| = k"
    theorem = "CSQ: ≥ N_k(G)·τ²/2 queries, N_k(G) = #orbits on k-subsets ≥ C(n,k)/|G|; SQ: poly(n) queries"

    symmetry = "G <= S_n permuting the n coordinates of x ~ N(0, I_n)"
    bound = "csq-counting"
    params = (
        Param("group", "group", "cyclic:16", "permutation group acting on the n coordinates"),
        Param("k", "int", 3, "degree of the multilinear orbit sums", low=1, aliases=("degree",)),
        Param("members", "int", 16, "orbit sums whose Gram matrix is computed", low=1),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("samples", "int", 2000, "inputs of the realization check", low=1),
        Param("seed", "int", 0, "seed of the members and inputs", low=0),
    )

    def _certify(self, group: Any, k: int, members: int, tau: float, samples: int, seed: int) -> Certificate:
        """Certificate of the hard class at (group, k): exact Gram of ``members`` distinct orbit
        sums, the realization error of their power-network weights, and the CSQ bound."""
        G = resolve_group(group)
        k = _check_k(k, G.degree)
        members = check_int(members, "members", min_value=1)
        samples = check_int(samples, "samples", min_value=1)
        tau = check_tau(tau)
        rng = as_generator(seed)
        reps = random_subset_orbits(G, k, members, seed=rng)
        polys = [multilinear_orbit_sum(G, r) for r in reps]
        K = gram_matrix(polys)
        off = np.abs(K - np.diag(np.diag(K)))
        x = rng.standard_normal((samples, G.degree))
        real_err = 0.0
        if G.order <= _ELEMENT_CANON_CAP:
            for r, p in zip(reps, polys):
                W, a = power_network_weights(G, r)
                real_err = max(real_err, float(np.max(np.abs(power_network_forward(G, W, a, k, x) - p(x)))))
        else:
            real_err = None
        N = hard_class_size(G, k)
        return Certificate(
            family=self.name,
            params={"group": G.name, "n": G.degree, "k": k, "members": len(polys), "seed": seed},
            method="exact",
            members=len(polys),
            realization_error=real_err,
            max_offdiag_corr=float(off.max()) if len(polys) > 1 else 0.0,
            max_offdiag_corr_stderr=0.0,
            min_norm=float(np.sqrt(np.diag(K)).min()),
            lower_bound=csq_lower_bound(G, k, tau),
            extra={
                "group_order": G.order,
                "orbits": N,
                "orbits_lower_estimate": math.comb(G.degree, k) / G.order,
                "architecture": f"G-averaged one-hidden-layer network, σ(t)=t^{k}, width 2^(k-1) = {2 ** (k - 1)}",
                "realization_samples": samples,
            },
        )

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        """SQ vs GD on random degree-4 orbit sums under Z_n (figure ``polynomials_separation.png``).

        Quick: n = 16, 32, GD 150 steps (one ensemble of lrs 1e-3, 3e-3); full: n = 16, 32, 64, 128
        with the default GD budget of ``symhard separate`` (1000 steps).
        """
        from ..learners.separation import plot_separation, separation_sweep

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        k = 4
        ns = [16, 32] if quick else [16, 32, 64, 128]
        steps = 150 if quick else 1000
        rows = separation_sweep(ns, k=k, seed=0, steps=steps, evals=2 if quick else 4)
        caption = (f"GD: Z_n-averaged ReLU net (width 256, circular form), Adam, best of lr 1e-3 / 3e-3, "
                   f"{steps} steps of batch 256 from the same m samples as the SQ learner"
                   + (" (quick budget; `symhard separate` uses 1000 steps)." if quick else "."))
        fig = plot_separation(rows, out_dir / "polynomials_separation.png", k=k, caption=caption)
        certs = [self.certificate(group=f"cyclic:{n}", k=k, members=8) for n in ns[:2]]
        lines = [
            f"Random multilinear degree-{k} orbit sums under Z_n (x ~ N(0, I_n)). "
            "The SQ learner (support growth with E[y² Π(x_j²−1)], then E[y·p_[U]]) runs from the same "
            f"m samples as gradient descent. {caption}",
            "",
            "| n | orbits N_k | samples m | SQ error | SQ queries | GD error | GD steps |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['n']} | {r['orbits']} | {r['samples']} | {r['sq']['test_error']:.3g} | {r['sq']['queries']} | "
                f"{r['gd']['test_error']:.3g} | {r['gd']['steps']} |"
            )
        return ReportSection(title="Invariant polynomials: CSQ-hard, SQ-easy", text="\n".join(lines),
                             certificates=certs, figures=[fig])


# ------------------------------------------------------------------------------ learning task
class PolynomialTask:
    """Learning task: a (multilinear) invariant polynomial of x ~ N(0, I_n) under Z_n."""

    family = "polynomials"
    param_name = "n"

    def __init__(self, n: int, role: str, seed: int, k: int = 4, control_k: int = 2) -> None:
        self.param_value = check_int(n, "n", min_value=2)
        self.role = check_role(role)
        self.k = _check_k(k, self.param_value)
        self.group = PermutationGroup.cyclic(self.param_value)
        degree = self.k if role == "hard" else _check_k(control_k, self.param_value)
        self.subset, self.poly = random_hard_member(self.group, degree, seed=seed)
        self.hidden_units = 2 ** (degree - 1)

    def sample_inputs(self, m: int, generator: torch.Generator) -> tuple[torch.Tensor]:
        return (torch.randn(m, self.param_value, generator=generator),)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return self.poly(x.double()).to(x.dtype)

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> torch.nn.Module:
        from ..models.cnn import GroupAveragedNetwork

        net = GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble, activation="relu",
                                   form="circular", generator=generator)
        return _VectorInput(net)

    def lower_bound(self, tau: float) -> LowerBound:
        return csq_lower_bound(self.group, self.k, tau)


class _VectorInput(torch.nn.Module):
    """Adapts a model on ``X [B, n, 1]`` to vector inputs ``x [B, n]`` (d = 1)."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.unsqueeze(-1))


def polynomials_task(param_value: int, role: str, seed: int, **options: Any) -> PolynomialTask:
    """``hard``: a random multilinear degree-k (default 4) orbit sum under Z_n; ``control``: a random
    degree-``control_k`` (default 2) orbit sum, learned by the same network at the same budget."""
    return PolynomialTask(param_value, role, seed, **options)


#: The ``polynomials`` learning task: a degree-k orbit sum under Z_n (hard) against a degree-2 one (control).
POLYNOMIALS_TASK = TaskSpec(
    name="polynomials",
    factory=polynomials_task,
    param=Param("n", "int", None, "dimension of the Gaussian input", low=2),
    options=(
        Param("k", "int", 4, "degree of the hard orbit sum", low=1),
        Param("control_k", "int", 2, "degree of the control orbit sum", low=1),
    ),
    summary="random multilinear degree-k orbit sum under Z_n of Gaussian x vs a degree-2 orbit sum",
)
PolynomialsFamily.task = POLYNOMIALS_TASK
