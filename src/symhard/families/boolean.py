r"""The Boolean warm-up: invariant parities and random invariant functions on {±1}^n.

Setting. A permutation group G ≤ S_n acts on x ∈ {±1}^n by permuting coordinates
((g·x)_{g(i)} = x_i); x is uniform. A function is G-invariant iff it is constant on the orbits
of G on the cube.

**Class 1 — invariant parities (``boolean-parity``).** For a subset S ⊆ [n] let
orb(S) = {g(S) : g ∈ G} and

    χ̃_[S](x) = |orb(S)|^{−1/2} Σ_{T ∈ orb(S)} χ_T(x),      χ_T(x) = Π_{i∈T} x_i.

*Theorem.* The N_k(G) functions χ̃_[S], [S] an orbit of k-subsets, are orthonormal and
G-invariant, so by the counting lemma (γ = 0) any CSQ learner that identifies the member needs

    q ≥ (N_k(G) − 1) τ²,     N_k(G) = #orbits of G on k-subsets ≥ C(n, k)/|G|

queries of tolerance τ. *Proof sketch.* The parities χ_T are orthonormal under the uniform
distribution (E χ_T χ_U = [T = U]); distinct orbits are disjoint sets of T's, so
E[χ̃_[S] χ̃_[S']] = |orb S ∩ orb S'| / √(|orb S||orb S'|) = [[S] = [S']]. Each orbit has at
most |G| members, hence N_k ≥ C(n, k)/|G|; apply
:func:`~symhard.queries.bounds.csq_pairwise_bound` with m = N_k, γ = 0. The bound covers the
whole class: m = N_k(G) is exact (Burnside, equal to the enumeration) and γ = 0 is exact for
every pair. Summed over all k the number of orbits is the number of orbits of G on the cube
(Burnside), ≥ 2^n/|G|: for the cyclic group that is ≈ 2^n/n, exponential; for S_n it is n + 1.

*Certificate.* Orbit counts by enumeration and by Burnside (they must agree); the integer
truth tables t_[S] = Σ_{T∈orb S} χ_T, their exact Walsh–Hadamard spectra (which must equal
2^n·1[U ∈ orb S]), the Gram matrix from them by Parseval in integer arithmetic, and the
realization of χ̃_[S] as a G-averaged one-hidden-layer ReLU network (:func:`parity_network`)
with its max error on the whole cube, for every member.

**Class 2 — random invariant functions (``boolean-random``).** f(x) = s_{O(x)} with an
independent uniform sign s_O for every orbit O of G on the cube (2^{#orbits} functions).

*Theorem.* For every SQ query φ: {±1}^n × {±1} → [−1, 1],

    Var_f E_x[φ(x, f(x))] ≤ Σ_O P(O)²  ≤ |G| / 2^n,

so q queries of tolerance τ succeed with probability at most (that of a learner asking
nothing) + q·Σ_O P(O)²/τ², i.e. q ≥ δτ²/Σ_O P(O)² for a gain δ.
*Proof sketch.* E_x φ(x, f(x)) = Σ_O a_O(s_O) with a_O(s) = Σ_{x∈O} 2^{−n} φ(x, s): a sum of
independent terms with Var a_O(s_O) = ((a_O(1) − a_O(−1))/2)² ≤ P(O)². Chebyshev per query
and a union bound over the (fixed) queries of the adversary that answers the mean give the
claim; Σ_O P(O)² ≤ max_O P(O) ≤ |G|/2^n. See
:func:`~symhard.queries.bounds.pairwise_independence_bound`. Every member is a G-averaged
one-hidden-layer ReLU network: the point indicators ReLU(⟨x, p⟩ − (n − 1)) = 1[x = p] on the
cube, with coefficients f(p) (:func:`point_indicator_network`, width 2^n) or one unit per orbit
with coefficient f(p_O)·|O| (:func:`orbit_indicator_network`).

*Contrast.* For S_n the orbits are the Hamming-weight levels, Σ_O P(O)² = C(2n, n)/4^n
≈ 1/√(πn): the bound is void and indeed :func:`learn_symmetric_sq` learns every symmetric
function with n + 1 SQ queries (one per level). For the cyclic group Σ_O P(O)² ≈ n/2^n
(most orbits have n points): exponentially many queries are needed.

Learning task ``"boolean"`` (for the experiments): inputs uniform on {±1}^n
(:class:`~symhard.queries.distributions.BooleanCube`), the architecture is the G-averaged
one-hidden-layer network of :class:`symhard.models.cnn.GroupAveragedNetwork` with d = 1. Hard:
the degree-k orbit parity χ̃_[S] of a random k-subset S (k = n//2 by default) or a random
invariant function; control: a degree-2 orbit parity (k = 2).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._random import as_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup, as_group, parse_group, pm1_to_masks
from ..parameters import Param
from ..queries.bounds import csq_pairwise_bound, pairwise_independence_bound
from ..queries.distributions import MAX_CUBE_POINTS, BooleanCube
from ..queries.gram import exact_gram, finite_gram
from ..sections import Section
from ._boolean_parity import (
    MAX_REALIZATION_WORK, MAX_TABLE_ENTRIES, check_cube, group_averaged_relu, invariant_parity_tables,
    orbit_parity_values, parity_evidence, parity_network, subset_orbits,
)
from ._boolean_random import (
    SymmetricHypothesis, bound_curves, hamming_weight, hashed_invariant_signs, learn_symmetric_sq,
    orbit_indicator_network, point_indicator_network, random_invariant_tables, sum_orbit_mass_sq,
    symmetric_learner_error_bound, symmetric_sum_orbit_mass_sq,
)
from ._boolean_report import parity_section, random_section
from .base import Certificate, ContractCase, Family, LowerBound, TaskSpec, check_role

__all__ = [
    "BooleanParity", "BooleanRandom", "BooleanTask", "boolean_task", "BOOLEAN_TASK", "subset_orbits",
    "invariant_parity_tables", "parity_network", "group_averaged_relu", "orbit_parity_values",
    "point_indicator_network", "orbit_indicator_network", "random_invariant_tables", "sum_orbit_mass_sq",
    "symmetric_sum_orbit_mass_sq", "hamming_weight", "SymmetricHypothesis", "learn_symmetric_sq",
    "symmetric_learner_error_bound", "bound_curves", "MAX_TABLE_ENTRIES", "MAX_REALIZATION_WORK",
]

#: Largest |G|·2^n·(#orbits)·n for which boolean-random evaluates its members' networks.
MAX_RANDOM_REALIZATION_WORK = 2**30
#: Largest log2 of a class size written as an exact integer (JSON cannot carry ints of more than
#: 4300 digits without changing Python's global limit); larger classes report ``members = inf``
#: and their exact size in ``extra["class_size_log2"]``.
MAX_EXACT_CLASS_BITS = 13_000

TAU = Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True)


def _common_extra(group: PermutationGroup) -> dict[str, Any]:
    return {"group": group.name, "n": group.degree, "group_order": group.order}


def _group_averaged_model(G: PermutationGroup, W: np.ndarray, a: np.ndarray, b: np.ndarray):
    """The real model class (:class:`~symhard.models.cnn.GroupAveragedNetwork`, float64) with members' weights.

    ``W (M, n, P)``, ``a (M, P)``, ``b (M, P)``; returns ``x [B, n] (numpy) -> [M, B]`` (numpy).
    """
    import torch

    from ..models.cnn import GroupAveragedNetwork, VectorInput

    model = VectorInput(GroupAveragedNetwork.from_weights(G, torch.as_tensor(W), torch.as_tensor(a),
                                                          torch.as_tensor(b)))

    def network(inputs):
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(inputs[0]), dtype=torch.float64)).numpy()

    return network


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

    def estimate(self, group: Any, k: int, **_: Any) -> Any:
        """The parity tables of one orbit at a time: ``|orb S| × 2^n`` int64, ``|orb S| ≤ min(|G|, C(n, k))``."""
        from ..resources import array_estimate

        G = as_group(group)
        n = G.degree
        if n > MAX_CUBE_POINTS or not 0 <= k <= n:
            return None  # refused by the certificate's own checks
        orbit = min(G.order, math.comb(n, k))
        return array_estimate(f"the parity tables of an orbit of up to {orbit} {k}-subsets under {G.name} on the "
                              f"2^{n} cube points", orbit, 2**n, copies=2, flops_per_item=n,
                              lower="lower k or use a smaller group")

    def _certify(self, group: str | PermutationGroup, k: int, tau: float) -> Certificate:
        G = as_group(group)
        n = G.degree
        tau = check_tau(tau)
        k = check_int(k, "k", min_value=0, max_value=n)
        check_cube(n)
        burnside = G.orbit_count_subsets(k)
        ev = parity_evidence(G, k)
        if len(ev.orbits) != burnside:
            raise AssertionError(f"{G.name}: {len(ev.orbits)} orbits of {k}-subsets enumerated, Burnside says {burnside}")
        lb = csq_pairwise_bound(burnside, ev.gram.max_offdiag_corr, tau)
        extra = _common_extra(G) | {
            "degree": k,
            "orbit_count": len(ev.orbits),
            "orbit_count_burnside": burnside,
            "members_checked": len(ev.orbits),
            "realization_members_checked": ev.realization_members,
            "orbit_sizes_max": int(ev.sizes.max()),
            "subsets": int(ev.sizes.sum()),
            "walsh_support_exact": ev.walsh_exact,
            "offdiag_inner_products_zero": ev.offdiag_zero,
            "sum_orbit_mass_sq": float(sum_orbit_mass_sq(G)),
            "realization_note": None if ev.realization is not None else
            f"|G|*2^n*n = {ev.work} > {MAX_REALIZATION_WORK}: network not evaluated on the cube",
        }
        return Certificate(
            family=self.name, params={"group": G.name, "k": k, "tau": tau}, method="exact",
            members=burnside, realization_error=ev.realization,
            max_offdiag_corr=ev.gram.max_offdiag_corr, max_offdiag_corr_stderr=0.0, min_norm=ev.gram.min_norm,
            lower_bound=lb, extra=extra,
        )

    def report_section(self, quick: bool = True) -> Section:
        """Certificates, their table and the whole-class bound (N_k − 1)τ² against n (figure data)."""
        return parity_section(self, quick)

    def contract_case(self, seed: int = 0) -> ContractCase:
        """The 4 orbit parities of degree 3 under Z_6 on the whole cube, through GroupAveragedNetwork."""
        G, k = PermutationGroup.cyclic(6), 3
        orbits = subset_orbits(G, k)
        weights = [parity_network(G, [i for i in range(6) if orb[0] >> i & 1]) for orb in orbits]
        W, a, b = (np.stack([w[j] for w in weights]) for j in range(3))
        x, probs = BooleanCube(6).support_numpy()

        def target(inputs):
            return orbit_parity_values(orbits, inputs[0])

        return ContractCase(
            members=[f"chi~_[{orb[0]:06b}]" for orb in orbits], group=G, input_actions=("rows",), inputs=(x,),
            target=target, network=_group_averaged_model(G, W, a, b), gram=finite_gram(target((x,)), probs),
            certificate=self.certificate(group=G.name, k=k), atol=1e-10,
        )


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
        Param("members_checked", "int", 32, "random members whose Gram matrix and network are computed", low=2,
              high=4096, aliases=("members",)),
        Param("seed", "int", 0, "seed of the random members", low=0),
    )

    def estimate(self, group: Any, members_checked: int, **_: Any) -> Any:
        """``members_checked`` truth tables on the 2^n cube points (int8, then float64) and their Gram matrix."""
        from ..resources import array_estimate

        n = as_group(group).degree
        if n > MAX_CUBE_POINTS:
            return None  # refused by the certificate's own checks
        return array_estimate(f"{members_checked} random invariant truth tables on the 2^{n} cube points",
                              members_checked, 2**n, itemsize=9, copies=1, flops_per_item=2 * members_checked,
                              lower="lower --members-checked or use a group on fewer points")

    def _certify(self, group: str | PermutationGroup, tau: float, members_checked: int, seed: int) -> Certificate:
        """The class is every G-invariant ±1 function (``members = 2^{#orbits}``, exact up to
        2^MAX_EXACT_CLASS_BITS); ``members_checked`` random ones get their Gram matrix and, when
        small enough, their network evaluated."""
        G = as_group(group)
        n = G.degree
        tau = check_tau(tau)
        checked = check_int(members_checked, "members_checked", min_value=2, max_value=4096)
        seed = check_int(seed, "seed", min_value=0)
        check_cube(n)
        tables, labels = random_invariant_tables(G, checked, seed)
        orbit_count = int(np.unique(labels).size)
        burnside = G.orbit_count_boolean()
        smsq = sum_orbit_mass_sq(G)
        F = tables.astype(np.float64)
        gram = exact_gram(F @ F.T / 2.0**n)  # integer sums, exact in float64 for n <= 20
        realization, work = self._realization(G, F, orbit_count)
        extra = _common_extra(G) | {
            "orbit_count": orbit_count,
            "orbit_count_burnside": burnside,
            "members_checked": checked,
            "class_size_log2": burnside,
            "sum_orbit_mass_sq": float(smsq),
            "sum_orbit_mass_sq_exact": f"{smsq.numerator}/{smsq.denominator}",
            "group_bound": G.order / 2.0**n,
            "symmetric_reference": float(symmetric_sum_orbit_mass_sq(n)),
            "symmetric_asymptotic": 1.0 / math.sqrt(math.pi * n),
            "cyclic_asymptotic": n / 2.0**n,
            "seed": seed,
            "realization_note": "orbit-indicator network: one unit ReLU(<x, p_O> - (n-1)) per orbit, a = f(p_O)|O|"
            if realization is not None else f"|G|*2^n*orbits*n = {work} > {MAX_RANDOM_REALIZATION_WORK}: not evaluated",
        }
        return Certificate(
            family=self.name, params={"group": G.name, "tau": tau, "members_checked": checked, "seed": seed},
            method="exact", members=2**burnside if burnside <= MAX_EXACT_CLASS_BITS else math.inf,
            realization_error=realization,
            max_offdiag_corr=gram.max_offdiag_corr, max_offdiag_corr_stderr=0.0, min_norm=gram.min_norm,
            lower_bound=pairwise_independence_bound(float(smsq), tau), extra=extra,
        )

    @staticmethod
    def _realization(G: PermutationGroup, F: np.ndarray, orbits: int) -> tuple[float | None, int]:
        """max |network − f| over the cube for the orbit-indicator networks of the tables ``F (M, 2^n)``."""
        n = G.degree
        work = G.order * 2**n * orbits * n
        if work > MAX_RANDOM_REALIZATION_WORK:
            return None, work
        W, a, b = orbit_indicator_network(F, G)
        x = BooleanCube(n).support_numpy()[0]
        out = group_averaged_relu(G.elements(), W, a, b, x)  # (2^n, M): the members share W and b
        return float(np.max(np.abs(out.T - F))), work

    def report_section(self, quick: bool = True) -> Section:
        """Certificates, the S_n SQ learner against a cyclic target (table), bounds against n (figure data)."""
        return random_section(self, quick)

    def contract_case(self, seed: int = 0) -> ContractCase:
        """8 random Z_6-invariant functions on the whole cube, as point-indicator networks (width 2^6)."""
        G, count = PermutationGroup.cyclic(6), 8
        tables, _ = random_invariant_tables(G, count, seed)
        x, probs = BooleanCube(6).support_numpy()
        W, a, b = point_indicator_network(tables, 6)

        def target(inputs):
            return tables[:, pm1_to_masks(inputs[0])].astype(np.float64)

        return ContractCase(
            members=[f"random #{i}" for i in range(count)], group=G, input_actions=("rows",), inputs=(x,),
            target=target, network=_group_averaged_model(G, np.stack([W] * count), a.T, np.stack([b] * count)),
            gram=finite_gram(target((x,)), probs),
            certificate=self.certificate(group=G.name, members_checked=count, seed=seed), atol=1e-10,
        )


# ------------------------------------------------------------------------- learning task
@functools.lru_cache(maxsize=32)
def _random_class_mass(spec: str) -> tuple[float, bool]:
    """Σ_O P(O)² of the group ``spec`` (exact when its cube can be enumerated, else |G|/2^n), cached."""
    G = parse_group(spec)
    n = G.degree
    if n <= 20:
        return float(sum_orbit_mass_sq(G)), True
    return min(1.0, G.order / 2.0**n), False


@dataclass
class BooleanTask:
    """Learning task on {±1}^n with a G-averaged one-hidden-layer ReLU network (d = 1).

    ``kind``: ``"parity"`` (χ̃_[S] for the k-subset S picked by the seed) or ``"random"``
    (random invariant ±1 function, sign of orbit O = a hash of (seed, min mask of O)). Inputs are
    drawn by :class:`~symhard.queries.distributions.BooleanCube` with the given torch.Generator;
    the group acts on them by permuting coordinates (``input_actions = ("rows",)``).
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
    input_actions: tuple[str, ...] = ("rows",)
    _orbit_index: np.ndarray | None = field(default=None, repr=False)

    def sample_inputs(self, m: int, generator: Any) -> tuple[Any, ...]:
        m = check_int(m, "m", min_value=1)
        return BooleanCube(self.param_value).sample(m, generator, dtype="float32")

    def target(self, x) -> Any:
        import torch

        xn = x.detach().to("cpu", torch.float64).numpy()
        if self.kind == "parity":
            idx = self._orbit_index  # (|orb|, k)
            vals = np.prod(xn[:, idx], axis=-1).sum(axis=-1) / math.sqrt(idx.shape[0])
        else:
            vals = hashed_invariant_signs(self.group.elements(), pm1_to_masks(xn), self.seed)
        return torch.as_tensor(vals, dtype=x.dtype, device=x.device)

    def make_model(self, ensemble: int, width: int, generator: Any) -> Any:
        from ..models.cnn import GroupAveragedNetwork, VectorInput

        inner = GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble, activation="relu",
                                     bias=True, form="auto", generator=generator)
        return VectorInput(inner)

    def lower_bound(self, tau: float) -> LowerBound:
        """The certificate's whole-class bound: (N_k(G) − 1)τ² (Burnside), or δτ²/Σ_O P(O)² (cached;
        through Σ_O P(O)² ≤ |G|/2^n when the cube is too large to enumerate, n > 20)."""
        tau = check_tau(tau)
        if self.kind == "parity":
            return csq_pairwise_bound(self.group.orbit_count_subsets(len(self.subset)), 0.0, tau)
        s, exact = _random_class_mass(self.group.name)
        lb = pairwise_independence_bound(s, tau)
        if not exact:
            lb.formula += "; sum_O P(O)^2 <= |G|/2^n (the cube is not enumerated)"
        return lb


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
    if kind != "parity":
        raise InvalidParameterError(f"hard must be 'parity' or 'random', got {hard!r}.")
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
