r"""Invariant parities on {±1}^n: orbits, truth tables, exact spectra and the G-averaged ReLU network.

(Private to :mod:`symhard.families.boolean`, whose docstring states the theorem.) numpy only: the
``symhard check boolean-*`` commands do not import torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import EnumerationLimitError, InvalidParameterError
from ..groups import PermutationGroup
from ..queries.distributions import MAX_CUBE_POINTS, BooleanCube
from ..queries.gram import GramSummary, exact_gram
from ..queries.walsh import fwht, parity_tables

#: Largest number of table entries (orbits × 2^n) the parity certificate builds.
MAX_TABLE_ENTRIES = 2**25
#: Largest |G|·2^n·n for which the networks are evaluated on the whole cube.
MAX_REALIZATION_WORK = 2**28


def check_cube(n: int) -> None:
    """Refuse a cube too large to enumerate (:class:`EnumerationLimitError`)."""
    if n > MAX_CUBE_POINTS:
        raise EnumerationLimitError(
            f"the Boolean cube {{±1}}^{n} has 2^{n} points, above the enumeration limit 2^{MAX_CUBE_POINTS}; "
            f"use a group on at most {MAX_CUBE_POINTS} points."
        )


def _mask(S) -> int:
    return sum(1 << int(i) for i in S)


def subset_orbits(group: PermutationGroup, k: int) -> list[list[int]]:
    """The orbits of G on k-subsets, each a sorted list of subset bitmasks (by enumeration).

    Ordered by their smallest member. Shapes: ``len = N_k(G)``; Σ lengths = C(n, k).
    """
    reps = group.subset_orbit_representatives(k)
    return [sorted(_mask(T) for T in group.orbit_of_subset(r)) for r in reps]


def invariant_parity_tables(orbits: list[list[int]], n: int) -> np.ndarray:
    """Integer truth tables t_[S] = Σ_{T ∈ orb S} χ_T on the 2^n points (unnormalized).

    Shapes: ``(len(orbits), 2^n)``, int32. χ̃_[S] = t_[S] / √|orb S|.
    """
    entries = len(orbits) * 2**n
    if entries > MAX_TABLE_ENTRIES:
        raise EnumerationLimitError(
            f"{len(orbits)} orbit tables on 2^{n} points ({entries} entries) exceed the limit of "
            f"{MAX_TABLE_ENTRIES}; use a smaller n or degree."
        )
    out = np.zeros((len(orbits), 2**n), dtype=np.int32)
    for r, orb in enumerate(orbits):  # loop over orbits (members), not samples
        out[r] = parity_tables(np.asarray(orb), n).sum(axis=0, dtype=np.int32)
    return out


def parity_network(group: PermutationGroup, S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Weights (W, a, b) of a G-averaged ReLU network equal to χ̃_[S] on {±1}^n.

    f(x) = (1/|G|) Σ_{g∈G} aᵀ ReLU(Wᵀ g⁻¹x + b). With k = |S| and s = ⟨1_S, x⟩ ∈
    {−k, −k+2, …, k}, χ_S(x) = (−1)^{(k−s)/2} = p(s), and the piecewise-linear interpolant of p
    through s_j = −k + 2j is

        p(s) = p_0 · ReLU(1) + σ_0 · ReLU(s + k) + Σ_{j=1}^{k−1} (σ_j − σ_{j−1}) ReLU(s − s_j),

    σ_j = (p_{j+1} − p_j)/2 (exact on the k + 1 values s_j, since s ≥ −k). Averaging over G,
    (1/|G|) Σ_g p(⟨1_S, g⁻¹x⟩) = (1/|orb S|) Σ_{T∈orb S} χ_T(x), because g ↦ g(S) hits each T
    exactly |Stab S| times; multiplying a by √|orb S| gives χ̃_[S].

    Shapes: W (n, k+1), a (k+1,), b (k+1,) (width 1 when k = 0: the constant 1).
    """
    S = sorted({int(i) for i in S})
    n = group.degree
    if any(not 0 <= i < n for i in S):
        raise InvalidParameterError(f"subset {S} has points outside 0..{n - 1}.")
    k = len(S)
    orbit_size = len(group.orbit_of_subset(S))
    one_S = np.zeros(n)
    one_S[S] = 1.0
    s_j = -k + 2 * np.arange(k + 1)
    p = (-1.0) ** (k - np.arange(k + 1))
    if k == 0:
        return np.zeros((n, 1)), np.array([math.sqrt(orbit_size)]), np.array([1.0])
    slopes = (p[1:] - p[:-1]) / 2
    W = np.zeros((n, k + 1))
    W[:, 1:] = one_S[:, None]
    b = np.concatenate([[1.0, float(k)], -s_j[1:k].astype(float)])
    a = np.concatenate([[p[0], slopes[0]], slopes[1:] - slopes[:-1]]) * math.sqrt(orbit_size)
    return W, a, b


def group_averaged_relu(elements: np.ndarray, W, a, b, x) -> np.ndarray:
    """Evaluate (1/|G|) Σ_g aᵀ ReLU(Wᵀ g⁻¹x + b) (numpy reference of the architecture).

    (g⁻¹·x)_i = x_{g(i)}, so g⁻¹·x = ``x[..., g]``.
    Shapes: elements (|G|, n), W (n, P), a (P,) or (P, M) (M networks sharing W and b), b (P,),
    x (B, n) → (B,) or (B, M).
    """
    x = np.asarray(x, dtype=np.float64)
    W, a, b = (np.asarray(t, dtype=np.float64) for t in (W, a, b))
    elements = np.asarray(elements)
    chunk = max(1, (1 << 22) // (elements.size + elements.shape[0] * W.shape[1]))
    out = np.empty((x.shape[0],) + a.shape[1:])
    for start in range(0, x.shape[0], chunk):  # chunks of points: memory O(chunk·|G|·(n + P))
        xg = x[start:start + chunk][:, elements]  # (b, |G|, n)
        out[start:start + chunk] = (np.maximum(xg @ W + b, 0.0) @ a).mean(axis=1)
    return out


def orbit_parity_values(orbits: list[list[int]], x: np.ndarray) -> np.ndarray:
    """χ̃_[S](x) = |orb S|^{−1/2} Σ_{T ∈ orb S} Π_{i∈T} x_i, from the formula (products of coordinates).

    Shapes: x (B, n) → (len(orbits), B).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    out = np.zeros((len(orbits), x.shape[0]))
    for r, orb in enumerate(orbits):  # one member at a time
        for T in orb:
            out[r] += np.prod(x[:, [i for i in range(n) if T >> i & 1]], axis=1)
        out[r] /= math.sqrt(len(orb))
    return out


@dataclass
class ParityEvidence:
    """What the boolean-parity certificate computes for the whole class of degree-k orbit parities."""

    orbits: list[list[int]]
    sizes: np.ndarray
    walsh_exact: bool
    offdiag_zero: bool
    gram: GramSummary
    realization: float | None
    realization_members: int
    work: int


def parity_evidence(G: PermutationGroup, k: int) -> ParityEvidence:
    """Orbits, exact Walsh spectra, the Gram matrix by Parseval in integers, and the network on the cube.

    The spectrum of t_[S] must be 2^n·1[U ∈ orb S]; then E[t_a t_b] = Σ_U t̂_a(U) t̂_b(U) is an
    integer matrix (the overlaps of the orbits), normalized by √(|orb a||orb b|). The network of
    :func:`parity_network` is evaluated on all 2^n points when |G|·2^n·n ≤ MAX_REALIZATION_WORK.
    """
    from scipy import sparse

    n = G.degree
    check_cube(n)
    orbits = subset_orbits(G, k)
    sizes = np.array([len(o) for o in orbits])
    tables = invariant_parity_tables(orbits, n)
    N = 2**n
    spectra = fwht(tables)  # exact int64
    expected = np.zeros_like(spectra)
    for r, orb in enumerate(orbits):
        expected[r, orb] = N
    walsh_exact = bool(np.array_equal(spectra, expected))
    sp = sparse.csr_matrix(spectra // N if walsh_exact else spectra)
    raw_int = (sp @ sp.T).toarray().astype(np.int64)
    raw = raw_int.astype(np.float64) if walsh_exact else raw_int / float(N) ** 2
    gram = exact_gram(raw / np.sqrt(np.outer(sizes, sizes)))
    off = raw_int - np.diag(np.diag(raw_int))
    work = G.order * N * n
    realization = None
    if work <= MAX_REALIZATION_WORK:
        elements = G.elements()
        x = BooleanCube(n).support_numpy()[0]
        errs = []
        for r, orb in enumerate(orbits):  # one network per member
            W, a, b = parity_network(G, [i for i in range(n) if (orb[0] >> i) & 1])
            errs.append(np.max(np.abs(group_averaged_relu(elements, W, a, b, x) - tables[r] / math.sqrt(sizes[r]))))
        realization = float(max(errs))
    return ParityEvidence(orbits, sizes, walsh_exact, bool(not off.any()), gram, realization,
                          len(orbits) if realization is not None else 0, work)
