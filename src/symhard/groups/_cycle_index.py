"""Cycle types and the cycle index of permutation groups (closed forms and enumeration).

The cycle index ``{cycle type: number of elements}`` is what Burnside's lemma turns into orbit
counts (:meth:`symhard.groups.PermutationGroup.orbit_count_subsets`). Closed forms: cyclic
(Euler's φ), symmetric and alternating (partitions of n, the number of elements of a type being
n!/Π k^{m_k} m_k!), direct products on blocks (types concatenated, counts multiplied).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from sympy.utilities.iterables import partitions

CycleType = tuple[int, ...]  # sorted cycle lengths, longest first, summing to n


def cycle_type(g: np.ndarray) -> CycleType:
    """Cycle lengths of one permutation, longest first (fixed points count as 1-cycles)."""
    g = np.asarray(g)
    n = g.size
    seen = np.zeros(n, dtype=bool)
    lengths = []
    for start in range(n):
        if seen[start]:
            continue
        length = 0
        i = start
        while not seen[i]:
            seen[i] = True
            i = g[i]
            length += 1
        lengths.append(length)
    return tuple(sorted(lengths, reverse=True))


def _cycle_counts_batched(elements: np.ndarray) -> Counter:
    """Cycle types of many permutations at once (vectorized over the batch)."""
    m, n = elements.shape
    # cycle length of point i under g = smallest L >= 1 with g^L(i) = i
    length = np.zeros((m, n), dtype=np.int64)
    power = elements.copy()
    idx = np.arange(n)
    for L in range(1, n + 1):
        hit = (power == idx) & (length == 0)
        length[hit] = L
        if L < n:
            power = np.take_along_axis(elements, power, axis=-1)
    counts: Counter = Counter()
    for row in length:
        lens, mult = np.unique(row, return_counts=True)
        ct: list[int] = []
        for L, c in zip(lens.tolist(), mult.tolist()):
            ct.extend([L] * (c // L))
        counts[tuple(sorted(ct, reverse=True))] += 1
    return counts


def _euler_phi(d: int) -> int:
    result = d
    p = 2
    m = d
    while p * p <= m:
        if m % p == 0:
            while m % p == 0:
                m //= p
            result -= result // p
        p += 1
    if m > 1:
        result -= result // m
    return result


def _cyclic_cycle_counts(n: int) -> Counter:
    """Cycle index of Z_n: φ(d) rotations of cycle type (d, ..., d) for each divisor d of n."""
    out: Counter = Counter()
    for d in range(1, n + 1):
        if n % d == 0:
            out[(d,) * (n // d)] += _euler_phi(d)
    return out


def _dihedral_cycle_counts(n: int) -> Counter:
    """Cycle index of D_n (n ≥ 3): the rotations, then n reflections (through vertices and edges)."""
    out = _cyclic_cycle_counts(n)
    if n % 2:
        out[tuple(sorted([2] * ((n - 1) // 2) + [1], reverse=True))] += n
    else:
        out[tuple([2] * ((n - 2) // 2) + [1, 1])] += n // 2
        out[(2,) * (n // 2)] += n // 2
    return out


def _combine_cycle_counts(a: Counter, b: Counter) -> Counter:
    out: Counter = Counter()
    for ta, ca in a.items():
        for tb, cb in b.items():
            out[tuple(sorted(ta + tb, reverse=True))] += ca * cb
    return out


def _symmetric_cycle_counts(n: int, even_only: bool) -> Counter:
    counts: Counter = Counter()
    fact = math.factorial(n)
    for part in partitions(n):
        ct = tuple(sorted((k for k, m in part.items() for _ in range(m)), reverse=True))
        z = 1
        for k, m in part.items():
            z *= k ** m * math.factorial(m)
        number = fact // z
        if even_only:
            # sign = (-1)^{n - #cycles}
            if (n - len(ct)) % 2:
                continue
        counts[ct] += number
    return counts
