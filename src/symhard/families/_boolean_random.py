r"""Random invariant functions on {±1}^n, their network, and the n + 1-query SQ learner for S_n.

(Private to :mod:`symhard.families.boolean`, whose docstring states the theorems.) numpy only,
except :func:`table_target`, which builds a torch callable for the oracles.

*Every invariant function is a G-averaged ReLU network* (:func:`point_indicator_network`). On the
cube, ⟨y, p⟩ = n − 2·d_H(y, p), so the unit ReLU(⟨y, p⟩ − (n − 1)) = ReLU(1 − 2 d_H(y, p)) is
1 if y = p and 0 otherwise. Hence Σ_p f(p) ReLU(⟨y, p⟩ − (n − 1)) = f(y) for every f (width 2^n),
and for a G-invariant f, (1/|G|) Σ_g f(g⁻¹x) = f(x): the G-averaged network equals f. With one
unit per orbit O (representative p_O) and coefficient f(p_O)·|O| (:func:`orbit_indicator_network`),
(1/|G|) Σ_g [g⁻¹x = p_O] = [x ∈ O]·|Stab x|/|G| = [x ∈ O]/|O|, so width #orbits suffices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup, act_on_masks, masks_to_pm1, parse_group
from ..queries.bounds import csq_pairwise_bound, pairwise_independence_bound
from ..queries.oracles import Oracle, Query
from ._boolean_parity import check_cube


def sum_orbit_mass_sq(group: PermutationGroup) -> Fraction:
    """Σ_O P(O)² for the uniform distribution on {±1}^n, exact (enumerates the cube)."""
    check_cube(group.degree)
    return group.sum_orbit_mass_squared(exact=True)


def symmetric_sum_orbit_mass_sq(n: int) -> Fraction:
    """Σ_O P(O)² for S_n in closed form: Σ_w C(n, w)²/4^n = C(2n, n)/4^n ≈ 1/√(πn)."""
    n = check_int(n, "n", min_value=1)
    return Fraction(math.comb(2 * n, n), 4**n)


def random_invariant_tables(group: PermutationGroup, count: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random invariant ±1 functions as truth tables (one uniform sign per orbit).

    Returns (tables (count, 2^n) int8, orbit labels (2^n,)).
    """
    check_cube(group.degree)
    count = check_int(count, "count", min_value=1)
    labels = group.boolean_orbit_labels()
    uniq, inverse = np.unique(labels, return_inverse=True)
    rng = as_generator(seed)
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(count, uniq.size))
    return signs[:, inverse], labels


def point_indicator_network(table, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (W, a, b) with Σ_p f(p) ReLU(⟨x, p⟩ − (n − 1)) = f(x) on the cube (module docstring).

    Point ``j`` is the x with x_i = −1 iff bit i of j is set. ``table``: ``(2^n,)`` or ``(M, 2^n)``.
    Shapes: W (n, 2^n) (column j = point j), a (2^n,) or (2^n, M) (a = f(p)), b (2^n,) = −(n − 1).
    """
    n = check_int(n, "n", min_value=1)
    table = np.asarray(table, dtype=np.float64)
    if table.shape[-1] != 2**n:
        raise InvalidParameterError(f"a truth table on {{±1}}^{n} has 2^{n} entries, got shape {table.shape}.")
    W = masks_to_pm1(np.arange(2**n), n).T.astype(np.float64)
    return W, table.T.copy(), np.full(2**n, -(n - 1.0))


def orbit_indicator_network(table, group: PermutationGroup) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same network with one unit per orbit O: point p_O (its smallest mask), a = f(p_O)·|O|.

    Shapes: table (2^n,) or (M, 2^n) → W (n, #orbits), a (#orbits,) or (#orbits, M), b (#orbits,).
    """
    n = group.degree
    table = np.asarray(table, dtype=np.float64)
    reps, sizes = np.unique(group.boolean_orbit_labels(), return_counts=True)
    W = masks_to_pm1(reps, n).T.astype(np.float64)
    return W, (table[..., reps] * sizes).T.copy(), np.full(reps.size, -(n - 1.0))


# ------------------------------------------------------------------------- task hash
def _splitmix64(z: np.ndarray) -> np.ndarray:
    z = (z + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hashed_invariant_signs(elements: np.ndarray, masks: np.ndarray, seed: int) -> np.ndarray:
    """±1 of a random invariant function at the points ``masks``: a SplitMix64 hash of (seed, orbit min).

    The orbit minimum min_g g·m (:func:`symhard.groups.act_on_masks`) labels the orbit, so the
    sign is constant on orbits and needs no enumeration of the cube (n ≤ 62). Shapes: masks (B,).
    """
    canon = np.min(act_on_masks(elements[:, None, :], np.asarray(masks, dtype=np.int64)[None, :]), axis=0)
    h = _splitmix64(canon.astype(np.uint64) ^ _splitmix64(np.array([seed], dtype=np.uint64)))
    return np.where((h >> np.uint64(63)) == 1, 1.0, -1.0)


# ------------------------------------------------------------------------- SQ learner for S_n
def hamming_weight(x):
    """Number of −1 coordinates of x ∈ {±1}^n (numpy or torch), shape (..., n) → (...)."""
    return ((1 - x) / 2).sum(-1)


@dataclass
class SymmetricHypothesis:
    """h(x) = signs[|x|], with |x| the number of −1 coordinates. ``answers`` are the oracle values."""

    n: int
    signs: np.ndarray
    answers: np.ndarray
    queries: int

    def predict(self, x):
        w = np.rint(np.asarray(hamming_weight(np.asarray(x, dtype=np.float64)))).astype(np.int64)
        return self.signs[w]

    def error_on_table(self, table) -> float:
        """Pr_x[h(x) ≠ f(x)] exactly, for a truth table f of length 2^n."""
        table = np.asarray(table)
        w = np.bitwise_count(np.arange(2**self.n, dtype=np.int64)).astype(np.int64)
        return float(np.mean(self.signs[w] != np.sign(table)))


def learn_symmetric_sq(oracle: Oracle, n: int, tau: float) -> SymmetricHypothesis:
    r"""Learn a symmetric (S_n-invariant) ±1 function with n + 1 statistical queries.

    A symmetric f is f(x) = g(|x|). For each level w = 0..n ask
    φ_w(x, y) = y · 1[|x| = w] ∈ [−1, 1]; E φ_w = g(w) P_w with P_w = C(n, w)/2^n. Predict
    sign(v_w) (+1 at 0). When |v_w − g(w)P_w| ≤ τ < P_w the sign is right, so the error is at
    most Σ_{w: P_w ≤ τ} P_w (:func:`symmetric_learner_error_bound`) — small for moderate τ —
    with only n + 1 queries, whereas the cyclic class needs ≈ τ²2^n/n. Works against any
    :class:`~symhard.queries.oracles.Oracle` of kind ``"sq"`` (exact, sampled, adversarial).
    """
    n = check_int(n, "n", min_value=1)
    tau = check_tau(tau)
    if oracle.kind != "sq":
        raise InvalidParameterError(f"learn_symmetric_sq needs an SQ oracle (kind='sq'), got kind={oracle.kind!r}.")
    answers = np.zeros(n + 1)
    for w in range(n + 1):  # one query per Hamming-weight level
        q = Query(fn=lambda x, y, w=w: y * (hamming_weight(x) == w), key=("hamming-level", w))
        answers[w] = oracle(q, tau)
    signs = np.where(answers >= 0, 1, -1).astype(np.int8)
    return SymmetricHypothesis(n=n, signs=signs, answers=answers, queries=n + 1)


def symmetric_learner_error_bound(n: int, tau: float) -> float:
    """Σ_{w : P_w ≤ τ} P_w with P_w = C(n, w)/2^n: the guaranteed error of :func:`learn_symmetric_sq`."""
    n = check_int(n, "n", min_value=1)
    tau = check_tau(tau)
    P = np.array([math.comb(n, w) for w in range(n + 1)], dtype=np.float64) / 2.0**n
    return float(P[P <= tau].sum())


def table_target(table: np.ndarray, n: int):
    """A target callable f(x) reading a truth table (x ∈ {±1}^n as a torch tensor, bitmask convention)."""
    import torch

    weights = torch.tensor([1 << i for i in range(n)], dtype=torch.int64)
    values = torch.as_tensor(np.asarray(table), dtype=torch.float64)

    def target(x):
        return values[((x < 0).to(torch.int64) * weights).sum(-1)]

    return target


# ------------------------------------------------------------------------- curves (data)
def bound_curves(ns, tau: float = 0.01, exact_up_to: int = 16) -> dict[str, dict[str, list]]:
    """log10 of the CSQ parity bound and of the SQ random-function bound for cyclic, dihedral, symmetric.

    CSQ: the orbit parities of all degrees are orthonormal, m = #orbits of G on the cube
    (Burnside); SQ: δτ²/Σ_O P(O)² (exact up to ``exact_up_to`` bits, then through
    Σ_O P(O)² ≤ |G|/2^n; closed form for S_n). Returns {group kind: {"n", "csq_log10", "sq_log10",
    "sq_exact"}}; a vacuous bound is ``None``.
    """
    tau = check_tau(tau)
    out: dict[str, dict[str, list]] = {}
    for kind in ("cyclic", "dihedral", "symmetric"):
        rec: dict[str, list] = {"n": [], "csq_log10": [], "sq_log10": [], "sq_exact": []}
        for n in ns:
            G = parse_group(f"{kind}:{n}")
            # S_n: the orbits are the n + 1 Hamming-weight levels (closed form; the cycle index
            # of S_n has p(n) terms, slow for n ≳ 35)
            orbits = n + 1 if kind == "symmetric" else G.orbit_count_boolean()
            rec["n"].append(n)
            rec["csq_log10"].append(csq_pairwise_bound(orbits, 0.0, tau).log10_queries)
            if kind == "symmetric":
                s, exact = float(symmetric_sum_orbit_mass_sq(n)), True
            elif n <= exact_up_to:
                s, exact = float(G.sum_orbit_mass_squared(exact=True)), True
            else:
                s, exact = min(1.0, G.order / 2.0**n), False
            rec["sq_log10"].append(pairwise_independence_bound(s, tau).log10_queries)
            rec["sq_exact"].append(exact)
        out[kind] = rec
    return out
