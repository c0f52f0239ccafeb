r"""The Boolean warm-up: invariant parities and random invariant functions on {±1}^n.

Setting. A permutation group G ≤ S_n acts on x ∈ {±1}^n by permuting coordinates
((g·x)_{g(i)} = x_i); x is uniform. A function is G-invariant iff it is constant on the orbits
of G on the cube.

**Class 1 — invariant parities (``boolean-parity``).** For a subset S ⊆ [n] let
orb(S) = {g(S) : g ∈ G} and

    χ̃_[S](x) = |orb(S)|^{−1/2} Σ_{T ∈ orb(S)} χ_T(x),      χ_T(x) = Π_{i∈T} x_i.

*Theorem.* {χ̃_[S] : [S] an orbit of k-subsets} is an orthonormal family of G-invariant
functions, so by the pairwise CSQ bound (γ = 0) any CSQ learner of the degree-k class needs

    q ≥ N_k(G) · τ² / 2,     N_k(G) = #orbits of G on k-subsets ≥ C(n, k)/|G|

queries of tolerance τ. *Proof sketch.* The parities χ_T are orthonormal under the uniform
distribution (E χ_T χ_U = [T = U]); distinct orbits are disjoint sets of T's, so
E[χ̃_[S] χ̃_[S']] = |orb S ∩ orb S'| / √(|orb S||orb S'|) = [[S] = [S']]. Each orbit has at
most |G| members, hence N_k ≥ C(n, k)/|G|; apply
:func:`~symhard.queries.bounds.csq_pairwise_bound` with m = N_k, γ = 0. Summed over all k the
number of orbits is the number of orbits of G on the cube (Burnside), ≥ 2^n/|G|: for the
cyclic group that is ≈ 2^n/n, exponential; for S_n it is n + 1.

*Certificate.* Orbit counts by enumeration and by Burnside (they must agree); the integer
truth tables t_[S] = Σ_{T∈orb S} χ_T, their exact Walsh–Hadamard spectra (which must equal
2^n·1[U ∈ orb S]), the Gram matrix from them by Parseval in integer arithmetic, and the
realization of χ̃_[S] as a G-averaged one-hidden-layer ReLU network (:func:`parity_network`)
with its max error on the whole cube.

**Class 2 — random invariant functions (``boolean-random``).** f(x) = s_{O(x)} with an
independent uniform sign s_O for every orbit O of G on the cube.

*Theorem.* For every SQ query φ: {±1}^n × {±1} → [−1, 1],

    Var_f E_x[φ(x, f(x))] ≤ Σ_O P(O)²  ≤ |G| / 2^n,

so q queries of tolerance τ succeed with probability at most (that of a learner asking
nothing) + q·Σ_O P(O)²/τ², i.e. q ≥ δτ²/Σ_O P(O)² for a gain δ.
*Proof sketch.* E_x φ(x, f(x)) = Σ_O a_O(s_O) with a_O(s) = Σ_{x∈O} 2^{−n} φ(x, s): a sum of
independent terms with Var a_O(s_O) = ((a_O(1) − a_O(−1))/2)² ≤ P(O)². Chebyshev per query
and a union bound over the (fixed) queries of the adversary that answers the mean give the
claim; Σ_O P(O)² ≤ max_O P(O) ≤ |G|/2^n. See
:func:`~symhard.queries.bounds.pairwise_independence_bound`.

*Contrast.* For S_n the orbits are the Hamming-weight levels, Σ_O P(O)² = C(2n, n)/4^n
≈ 1/√(πn): the bound is void and indeed :func:`learn_symmetric_sq` learns every symmetric
function with n + 1 SQ queries (one per level). For the cyclic group Σ_O P(O)² ≈ n/2^n
(most orbits have n points): exponentially many queries are needed.

Learning task ``"boolean"`` (for the experiments): inputs uniform on {±1}^n, the architecture
is the G-averaged one-hidden-layer network of :class:`symhard.models.cnn.GroupAveragedNetwork`
with d = 1. Hard: the degree-k orbit parity χ̃_[S] of a random k-subset S (k = n//2 by
default) or a random invariant function; control: a degree-2 orbit parity (k = 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import EnumerationLimitError, InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup, parse_group
from ..queries.bounds import csq_pairwise_bound, pairwise_independence_bound
from ..queries.distributions import MAX_CUBE_POINTS, BooleanCube
from ..queries.gram import exact_gram
from ..queries.oracles import Oracle, Query
from ..queries.walsh import fwht, parity_tables
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role

#: Largest number of table entries (orbits × 2^n) the parity certificate builds.
MAX_TABLE_ENTRIES = 2**25
#: Largest |G|·2^n·n for which the network realization is evaluated on the whole cube.
MAX_REALIZATION_WORK = 2**28


def _group(group: str | PermutationGroup) -> PermutationGroup:
    if isinstance(group, PermutationGroup):
        return group
    if isinstance(group, str):
        return parse_group(group)
    raise InvalidParameterError(f"group must be a spec string like 'cyclic:10' or a PermutationGroup, not {type(group).__name__}.")


def _check_cube(n: int) -> None:
    if n > MAX_CUBE_POINTS:
        raise EnumerationLimitError(
            f"the Boolean cube {{±1}}^{n} has 2^{n} points, above the enumeration limit 2^{MAX_CUBE_POINTS}; "
            f"use a group on at most {MAX_CUBE_POINTS} points."
        )


def _mask(S) -> int:
    return sum(1 << int(i) for i in S)


# ------------------------------------------------------------------------- invariant parities
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
    Shapes: elements (|G|, n), W (n, P), a (P,), b (P,), x (B, n) → (B,).
    """
    xg = np.asarray(x, dtype=np.float64)[:, elements]  # (B, |G|, n)
    pre = xg @ np.asarray(W, dtype=np.float64) + np.asarray(b, dtype=np.float64)
    return (np.maximum(pre, 0.0) @ np.asarray(a, dtype=np.float64)).mean(axis=1)


# ------------------------------------------------------------------------- random invariant
def sum_orbit_mass_sq(group: PermutationGroup) -> Fraction:
    """Σ_O P(O)² for the uniform distribution on {±1}^n, exact (enumerates the cube)."""
    _check_cube(group.degree)
    return group.sum_orbit_mass_squared(exact=True)


def symmetric_sum_orbit_mass_sq(n: int) -> Fraction:
    """Σ_O P(O)² for S_n in closed form: Σ_w C(n, w)²/4^n = C(2n, n)/4^n ≈ 1/√(πn)."""
    n = check_int(n, "n", min_value=1)
    return Fraction(math.comb(2 * n, n), 4**n)


def random_invariant_tables(group: PermutationGroup, count: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random invariant ±1 functions as truth tables (one uniform sign per orbit).

    Returns (tables (count, 2^n) int8, orbit labels (2^n,)).
    """
    _check_cube(group.degree)
    count = check_int(count, "count", min_value=1)
    labels = group.boolean_orbit_labels()
    uniq, inverse = np.unique(labels, return_inverse=True)
    rng = as_generator(seed)
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(count, uniq.size))
    return signs[:, inverse], labels


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


# ------------------------------------------------------------------------- families
def _common_extra(group: PermutationGroup) -> dict[str, Any]:
    return {"group": group.name, "n": group.degree, "group_order": group.order}


TAU = Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True)


class BooleanParity(Family):
    """Invariant parities χ̃_[S] of degree k on {±1}^n (orthonormal; CSQ bound (N_k − 1)τ²)."""

    name = "boolean-parity"
    summary = "G-invariant parities chi~_[S] = |orb S|^(-1/2) sum_{T in orb S} prod_{i in T} x_i, |S| = k, x uniform on {±1}^n"
    theorem = "orthonormal => any CSQ learner needs >= (N_k(G) - 1) tau^2 queries, N_k(G) = #orbits of k-subsets >= C(n,k)/|G|"
    symmetry = "G <= S_n permuting the n coordinates of x in {±1}^n"
    bound = "csq-counting"
    params = (
        Param("group", "group", "cyclic:10", "group acting on the n bits (n <= 20: the cube is enumerated)"),
        Param("k", "int", 3, "degree: parities of k-subsets", low=0, aliases=("degree",)),
        TAU,
    )

    def _certify(self, group: str | PermutationGroup, k: int, tau: float) -> Certificate:
        G = _group(group)
        n = G.degree
        tau = check_tau(tau)
        k = check_int(k, "k", min_value=0, max_value=n)
        _check_cube(n)
        burnside = G.orbit_count_subsets(k)
        orbits = subset_orbits(G, k)
        sizes = np.array([len(o) for o in orbits])
        tables = invariant_parity_tables(orbits, n)
        N = 2**n
        spectra = fwht(tables)  # exact int64
        expected = np.zeros_like(spectra)
        for r, orb in enumerate(orbits):
            expected[r, orb] = N
        walsh_exact = bool(np.array_equal(spectra, expected))
        # Parseval in integers: E[t_a t_b] = Σ_U t̂_a(U) t̂_b(U) with t̂ = spectrum / N.
        from scipy import sparse

        sp = sparse.csr_matrix(spectra // N if walsh_exact else spectra)
        raw_int = (sp @ sp.T).toarray().astype(np.int64)
        raw = raw_int.astype(np.float64) if walsh_exact else raw_int / float(N) ** 2
        gram = exact_gram(raw / np.sqrt(np.outer(sizes, sizes)))
        off = raw_int - np.diag(np.diag(raw_int))
        realization = None
        work = G.order * N * n
        if work <= MAX_REALIZATION_WORK:
            elements = G.elements()
            x = BooleanCube(n).support_numpy()[0]
            errs = []
            for r, orb in enumerate(orbits):  # one network per member
                rep = [i for i in range(n) if (orb[0] >> i) & 1]
                W, a, b = parity_network(G, rep)
                net = group_averaged_relu(elements, W, a, b, x)
                errs.append(np.max(np.abs(net - tables[r] / math.sqrt(sizes[r]))))
            realization = float(max(errs))
        lb = csq_pairwise_bound(len(orbits), gram.max_offdiag_corr, tau)
        extra = _common_extra(G) | {
            "degree": k,
            "orbit_count": len(orbits),
            "orbit_count_burnside": burnside,
            "orbit_sizes_max": int(sizes.max()),
            "subsets": int(sizes.sum()),
            "walsh_support_exact": walsh_exact,
            "offdiag_inner_products_zero": bool(not off.any()),
            "sum_orbit_mass_sq": float(sum_orbit_mass_sq(G)),
            "realization_note": None if realization is not None else
            f"|G|*2^n*n = {work} > {MAX_REALIZATION_WORK}: network not evaluated on the cube",
        }
        return Certificate(
            family=self.name, params={"group": G.name, "degree": k, "tau": tau}, method="exact",
            members=len(orbits), realization_error=realization,
            max_offdiag_corr=gram.max_offdiag_corr, max_offdiag_corr_stderr=0.0, min_norm=gram.min_norm,
            lower_bound=lb, extra=extra,
        )

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        specs = [("cyclic:10", 3), ("dihedral:10", 3), ("symmetric:8", 3)] if quick else \
            [("cyclic:16", 4), ("dihedral:16", 4), ("symmetric:12", 4), ("cyclic:20", 3)]
        certs = [self.certificate(group=g, degree=k) for g, k in specs]
        text = (
            "Invariant parities of degree k: orthonormal (off-diagonal inner products are exactly 0, "
            "from integer Walsh–Hadamard spectra), realized exactly by a G-averaged ReLU network with "
            "k+1 hidden units. CSQ bound N_k(G)·τ²/2 with N_k(G) the number of orbits of k-subsets "
            "(enumerated and by Burnside)."
        )
        return ReportSection(title="Boolean warm-up: invariant parities", text=text, certificates=certs)


class BooleanRandom(Family):
    """Random G-invariant ±1 functions (one uniform sign per orbit): SQ bound δτ²/Σ_O P(O)²."""

    name = "boolean-random"
    summary = "random G-invariant ±1 functions on {±1}^n: one independent uniform sign per orbit of G"
    theorem = "Var_f E[phi(x,f(x))] <= sum_O P(O)^2 <= |G|/2^n => SQ needs >= delta tau^2 / sum_O P(O)^2 queries"
    symmetry = "G <= S_n permuting the n coordinates of x in {±1}^n"
    bound = "sq-pairwise-independence"
    params = (
        Param("group", "group", "cyclic:12", "group acting on the n bits (n <= 20: the cube is enumerated)"),
        TAU,
        Param("members", "int", 32, "random members whose Gram matrix is computed", low=2, high=4096),
        Param("seed", "int", 0, "seed of the random members", low=0),
    )

    def _certify(self, group: str | PermutationGroup, tau: float, members: int, seed: int) -> Certificate:
        G = _group(group)
        n = G.degree
        tau = check_tau(tau)
        members = check_int(members, "members", min_value=2, max_value=4096)
        seed = check_int(seed, "seed", min_value=0)
        _check_cube(n)
        tables, labels = random_invariant_tables(G, members, seed)
        orbit_count = int(np.unique(labels).size)
        burnside = G.orbit_count_boolean()
        smsq = sum_orbit_mass_sq(G)
        F = tables.astype(np.float64)
        gram = exact_gram(F @ F.T / 2.0**n)  # integer sums, exact in float64 for n <= 20
        lb = pairwise_independence_bound(float(smsq), tau)
        extra = _common_extra(G) | {
            "orbit_count": orbit_count,
            "orbit_count_burnside": burnside,
            "sum_orbit_mass_sq": float(smsq),
            "sum_orbit_mass_sq_exact": f"{smsq.numerator}/{smsq.denominator}",
            "group_bound": G.order / 2.0**n,
            "symmetric_reference": float(symmetric_sum_orbit_mass_sq(n)),
            "symmetric_asymptotic": 1.0 / math.sqrt(math.pi * n),
            "cyclic_asymptotic": n / 2.0**n,
            "seed": seed,
        }
        return Certificate(
            family=self.name, params={"group": G.name, "tau": tau, "members": members, "seed": seed},
            method="exact", members=members, realization_error=None,
            max_offdiag_corr=gram.max_offdiag_corr, max_offdiag_corr_stderr=0.0, min_norm=gram.min_norm,
            lower_bound=lb, extra=extra,
        )

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        from ..queries.oracles import ExactOracle

        n = 12 if quick else 16
        certs = [self.certificate(group=f"{kind}:{n}") for kind in ("cyclic", "dihedral", "symmetric")]
        # The contrast, run: the n+1-query learner on a symmetric target and on a cyclic one.
        cube = BooleanCube(n)
        tau = 0.01
        sym_tab, _ = random_invariant_tables(PermutationGroup.symmetric(n), 1, seed=1)
        cyc_tab, _ = random_invariant_tables(PermutationGroup.cyclic(n), 1, seed=1)
        rows = []
        for label, tab in (("symmetric", sym_tab[0]), ("cyclic", cyc_tab[0])):
            lookup = tab.astype(np.float64)
            target = _table_target(lookup, n)
            h = learn_symmetric_sq(ExactOracle(target, cube, kind="sq"), n, tau)
            rows.append(f"| {label}:{n} | {h.queries} | {h.error_on_table(tab):.4f} |")
        fig = Path(out_dir) / "boolean_sq_bound_vs_n.png"
        plot_bound_vs_n(fig, tau=tau, n_max=40 if quick else 64)
        text = (
            "Random invariant ±1 functions: Σ_O P(O)² is computed exactly from the orbit partition; "
            "the SQ bound is δτ²/Σ_O P(O)² (δ = 1/2). For S_n it is ≈ 1/√(πn) and the class is easy; "
            f"the SQ learner with n + 1 = {n + 1} queries (τ = {tau}, exact oracle) gives:\n\n"
            "| target | queries | error Pr[h ≠ f] |\n|---|---|---|\n" + "\n".join(rows) +
            f"\n\n(guaranteed error on symmetric targets ≤ {symmetric_learner_error_bound(n, tau):.4f}; "
            "on the cyclic target the same learner is at chance.)\n\n"
            "The figure shows log10 of the lower bounds against n for the cyclic, dihedral and symmetric "
            "groups: the CSQ bound (#orbits on the cube)·τ²/2 from the invariant parity basis (Burnside), "
            "and the SQ bound δτ²/Σ_O P(O)² (exact up to n = 16, then through Σ_O P(O)² ≤ |G|/2^n; "
            "closed form C(2n,n)/4^n for S_n)."
        )
        return ReportSection(title="Boolean warm-up: random invariant functions", text=text,
                             certificates=certs, figures=[fig])


def _table_target(table: np.ndarray, n: int):
    """A target callable f(x) reading a truth table (x ∈ {±1}^n, bitmask convention)."""
    import torch

    weights = torch.tensor([1 << i for i in range(n)], dtype=torch.int64)

    def target(x):
        idx = ((x < 0).to(torch.int64) * weights).sum(-1)
        return torch.as_tensor(table, dtype=torch.float64)[idx]

    return target


def bound_curves(ns, tau: float = 0.01, exact_up_to: int = 16) -> dict[str, dict[str, list]]:
    """log10 of the CSQ parity bound and of the SQ random-function bound for cyclic, dihedral, symmetric.

    Returns {group kind: {"n": [...], "csq_log10": [...], "sq_log10": [...], "sq_exact": [bool, ...]}}.
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


def plot_bound_vs_n(path: Path, tau: float = 0.01, n_max: int = 40) -> Path:
    """Write the figure: log10 lower bound against n for cyclic, dihedral and symmetric groups."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_max = check_int(n_max, "n_max", min_value=4, max_value=200)
    curves = bound_curves(range(3, n_max + 1), tau)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = {"cyclic": "tab:blue", "dihedral": "tab:orange", "symmetric": "tab:green"}
    for kind, rec in curves.items():
        ax.plot(rec["n"], rec["csq_log10"], "-", color=colors[kind], label=f"{kind}: CSQ, parity basis")
        ax.plot(rec["n"], rec["sq_log10"], "--", color=colors[kind], label=f"{kind}: SQ, random invariant")
    ax.set_xlabel("n (number of bits)")
    ax.set_ylabel(f"log10 queries needed (tau = {tau:g})")
    ax.set_title("Lower bounds on {±1}^n under symmetry")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------- learning task
def _splitmix64(z: np.ndarray) -> np.ndarray:
    z = (z + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass
class BooleanTask:
    """Learning task on {±1}^n with a G-averaged one-hidden-layer ReLU network (d = 1).

    ``kind``: ``"parity"`` (χ̃_[S] for the k-subset S picked by the seed) or ``"random"``
    (random invariant ±1 function, sign of orbit O = a hash of (seed, min mask of O)).
    """

    family: str
    role: str
    param_name: str
    param_value: int
    hidden_units: int
    group: PermutationGroup
    kind: str
    subset: tuple[int, ...] = ()
    seed: int = 0
    _orbit_index: np.ndarray | None = field(default=None, repr=False)

    def sample_inputs(self, m: int, generator: Any) -> tuple[Any, ...]:
        import torch

        m = check_int(m, "m", min_value=1)
        bits = torch.randint(0, 2, (m, self.param_value), generator=generator)
        return (1.0 - 2.0 * bits.to(torch.float32),)

    def target(self, x) -> Any:
        import torch

        xn = x.detach().to("cpu", torch.float64).numpy()
        if self.kind == "parity":
            idx = self._orbit_index  # (|orb|, k)
            vals = np.prod(xn[:, idx], axis=-1).sum(axis=-1) / math.sqrt(idx.shape[0])
        else:
            masks = ((xn < 0).astype(np.int64) << np.arange(self.param_value)).sum(-1)
            canon = np.min(_act_masks(self.group.elements(), masks), axis=0)
            h = _splitmix64(canon.astype(np.uint64) ^ _splitmix64(np.array([self.seed], dtype=np.uint64)))
            vals = np.where((h >> np.uint64(63)) == 1, 1.0, -1.0)
        return torch.as_tensor(vals, dtype=x.dtype, device=x.device)

    def make_model(self, ensemble: int, width: int, generator: Any) -> Any:
        from ..models.cnn import GroupAveragedNetwork

        inner = GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble, activation="relu",
                                     bias=True, form="auto", generator=generator)
        return _VectorInput(inner)

    def lower_bound(self, tau: float) -> LowerBound:
        tau = check_tau(tau)
        if self.kind == "parity":
            return csq_pairwise_bound(self.group.orbit_count_subsets(len(self.subset)), 0.0, tau)
        n = self.param_value
        s = float(self.group.sum_orbit_mass_squared()) if n <= 16 else min(1.0, self.group.order / 2.0**n)
        return pairwise_independence_bound(s, tau)


def _act_masks(elements: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Images of masks under every element: (|G|, B)."""
    out = np.zeros((elements.shape[0], masks.size), dtype=np.int64)
    for i in range(elements.shape[1]):  # loop over the n bits
        out |= ((masks[None, :] >> i) & 1) << elements[:, i:i + 1]
    return out


def _vector_input_module():
    import torch

    class VectorInput(torch.nn.Module):
        """Adapter: x [B, n] (or [M, B, n]) → X = x[..., None] for a d = 1 group-averaged network."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x.unsqueeze(-1))

    return VectorInput


def _VectorInput(inner):
    return _vector_input_module()(inner)


def boolean_task(param_value: int, role: str, seed: int, *, group: str = "cyclic", k: int | None = None,
                 hard: str = "parity") -> BooleanTask:
    """Factory of the ``"boolean"`` learning task (param ``n``, the number of bits).

    hard: ``hard="parity"`` — χ̃_[S] of degree ``k`` (default n//2) for a seed-chosen
    k-subset S under ``group`` ("cyclic" or "dihedral" on n points); ``hard="random"`` — a
    random invariant ±1 function. control: the degree-2 orbit parity of a seed-chosen pair,
    which the same network learns. Targets have unit second moment.
    """
    n = check_int(param_value, "n", min_value=3, max_value=62)
    check_role(role)
    seed = check_int(seed, "seed", min_value=0)
    degree = k
    G = parse_group(f"{group}:{n}")
    kind = "parity" if role == "control" else hard
    if kind == "random":
        return BooleanTask("boolean", role, "n", n, G.orbit_count_boolean(), G, "random", (), seed)
    k = 2 if role == "control" else (n // 2 if degree is None else check_int(degree, "degree", min_value=1, max_value=n))
    rng = as_generator(seed)
    S = tuple(sorted(rng.choice(n, size=k, replace=False).tolist()))
    orbit = G.orbit_of_subset(S)
    idx = np.array([sorted(T) for T in orbit], dtype=np.int64)
    return BooleanTask("boolean", role, "n", n, k + 1, G, "parity", S, seed, _orbit_index=idx)


#: The ``boolean`` learning task: invariant sparse parities of degree k (or random invariant functions).
BOOLEAN_TASK = TaskSpec(
    name="boolean",
    factory=boolean_task,
    param=Param("n", "int", None, "number of bits", low=3, high=62),
    options=(
        Param("group", "str", "cyclic", "the group on the n bits", choices=("cyclic", "dihedral")),
        Param("k", "int", None, "degree of the hard parity (default n // 2)", low=1, optional=True,
              aliases=("degree",)),
        Param("hard", "str", "parity", "the hard target", choices=("parity", "random")),
    ),
    summary="G-invariant sparse parities of degree k (or random invariant functions) on {±1}^n vs a degree-2 control",
)
BooleanParity.task = BOOLEAN_TASK
BooleanRandom.task = BOOLEAN_TASK
