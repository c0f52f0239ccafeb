r"""Orbits of multi-indices and subsets, orbit sums, random members, and the power-network weights.

A group :math:`G \le S_n` acts on multi-indices by :math:`(g·\alpha)_{g(i)} = \alpha_i`, so that
:math:`He_\alpha(g^{-1}·x) = He_{g·\alpha}(x)`. The *orbit sum*

.. math::

    p_{[\alpha]} = \bigl(|\mathrm{orb}(\alpha)|\,\alpha!\bigr)^{-1/2} \sum_{\beta \in \mathrm{orb}(\alpha)} He_\beta

is :math:`G`-invariant with unit norm (:mod:`symhard.families._hermite`). The orbit of a
multi-index is enumerated by breadth-first search over the generators and refused
(:class:`EnumerationLimitError`) above ``cap`` members; orbits of subsets are named by their
canonical representative (the lexicographically smallest sorted image), found without
enumerating the :math:`\binom nk` subsets.

:func:`power_network_weights` writes :math:`p_{[S]}` as the weights of a :math:`G`-averaged
one-hidden-layer network with :math:`\sigma(t) = t^k` (polarization, see
:mod:`symhard.families.polynomials`); :func:`power_network_forward` evaluates that architecture.
"""

from __future__ import annotations

import math
from itertools import product
from typing import Any, Sequence

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import EnumerationLimitError, InvalidParameterError, check_int
from ..groups import PermutationGroup, as_group
from ._hermite import HermitePolynomial

__all__ = [
    "resolve_group", "check_degree", "multi_index_orbit", "orbit_sum", "multilinear_orbit_sum",
    "invariant_polynomial", "canonical_subsets", "hard_class_size", "random_subset_orbits",
    "random_hard_member", "random_invariant_multilinear", "power_network_weights", "power_network_forward",
]

#: Refuse to enumerate orbits larger than this.
DEFAULT_ORBIT_CAP = 200_000
#: Groups up to this order are canonicalized through their element list (else by orbit search).
ELEMENT_CANON_CAP = 50_000


# ------------------------------------------------------------------------------ validation
def resolve_group(group: Any, n: int | None = None, name: str = "group") -> PermutationGroup:
    """Accept a :class:`PermutationGroup` or a spec string (``"cyclic:12"``); check its degree.

    Raises :class:`InvalidParameterError` when ``n`` is given and the group acts on another
    number of points.
    """
    return as_group(group, n, name=name, acting_on="coordinates")


def check_degree(k: Any, n: int) -> int:
    """The degree k of a multilinear orbit sum on n coordinates: an integer in [1, n]."""
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
    if group.order <= ELEMENT_CANON_CAP:
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
    return group.orbit_count_subsets(check_degree(k, group.degree))


def random_subset_orbits(group: PermutationGroup, k: int, count: int, seed: SeedLike = None,
                         exclude: Sequence[Sequence[int]] = (), max_tries: int = 50) -> np.ndarray:
    """Up to ``count`` distinct orbits of k-subsets (canonical representatives), found by drawing
    uniform random k-subsets; never enumerates the C(n, k) subsets. Shapes: → ``(≤ count, k)``.

    A uniform k-subset lands in an orbit with probability proportional to the orbit's size.
    """
    n = group.degree
    k = check_degree(k, n)
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
    k = check_degree(k, group.degree)
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
    k = check_degree(k, n)
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
