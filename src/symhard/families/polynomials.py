r"""Invariant polynomials of Gaussian inputs: the CSQ-hard orbit sums (paper §2.6, digest [I]).

Setting
-------
Inputs :math:`x \sim N(0, I_n)`; a group :math:`G \le S_n` permutes coordinates,
:math:`(g·x)_{g(i)} = x_i`. It acts on multi-indices :math:`\alpha \in \mathbb{N}^n` the same way,
:math:`(g·\alpha)_{g(i)} = \alpha_i`, so that :math:`He_\alpha(g^{-1}·x) = He_{g·\alpha}(x)` with
the probabilists' Hermite monomials (:mod:`symhard.families._hermite`)

.. math::

    He_\alpha(x) = \prod_{i=1}^n He_{\alpha_i}(x_i), \qquad
    \mathbb{E}[He_\alpha He_\beta] = \alpha!\,\delta_{\alpha\beta}, \quad \alpha! = \prod_i \alpha_i! .

Members
-------
The *orbit sum* of :math:`\alpha` is

.. math::

    p_{[\alpha]} = \bigl(|\mathrm{orb}(\alpha)|\,\alpha!\bigr)^{-1/2} \sum_{\beta \in \mathrm{orb}(\alpha)} He_\beta .

It is :math:`G`-invariant (g permutes the orbit) and has unit norm: the
:math:`|\mathrm{orb}(\alpha)|` monomials are orthogonal, each with :math:`\mathbb{E}[He_\beta^2] =
\beta! = \alpha!`. Orbit sums of different orbits share no monomial, so they are orthogonal:
*the Gram matrix of any set of orbit sums of distinct orbits is the identity, exactly*
(:func:`gram_matrix` computes it from the Hermite expansions, never by sampling).

The hard class
--------------
The multilinear degree-:math:`k` orbit sums: :math:`\alpha = 1_S` with :math:`|S| = k`, so
:math:`He_\alpha = x_S = \prod_{i\in S} x_i` and
:math:`p_{[S]} = |\mathrm{orb}(S)|^{-1/2} \sum_{T \in \mathrm{orb}(S)} x_T`: one member per orbit
of :math:`G` on :math:`k`-subsets, all of them, pairwise orthogonal (γ = 0 for the whole class by
the argument above). By Burnside's lemma (exact integers,
:meth:`PermutationGroup.orbit_count_subsets`) their number is

.. math::

    m = N_k(G) = \frac{1}{|G|}\sum_{g\in G} \#\{k\text{-subsets fixed by } g\} \;\ge\; \binom{n}{k}\Big/|G| .

**Theorem (CSQ lower bound; the counting lemma of** :mod:`symhard.queries.bounds` **with γ = 0).**
Any deterministic CSQ learner that learns every member to squared error below 1/2 (in
particular, identifies it) with queries :math:`\|h\| \le 1` of tolerance τ needs at least

.. math:: q \ge (N_k(G) - 1)\,\tau^2

queries (:func:`symhard.queries.bounds.csq_pairwise_bound` with m = N_k(G), γ = 0). *Proof
sketch*: the adversary answers 0; by Bessel's inequality on the orthonormal class a query is
off by more than τ for fewer than :math:`1/\tau^2` members; while two members survive, a learner
outputs the same :math:`\hat f` for both and errs by at least :math:`\|f_a - f_b\|^2/4 = 1/2` on one.
For :math:`|G| = \mathrm{poly}(n)` and :math:`k \approx \log n` the bound is :math:`n^{\Omega(\log n)}\tau^2`.

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
evaluates this architecture (:func:`power_network_forward`: the activation :math:`t^k` is not one of
:mod:`symhard.models`, whose networks take ReLU and |·|) and reports
:math:`\max|\text{network} - p_{[S]}|` on Gaussian samples, against the Hermite expansion of
:math:`p_{[S]}`.

The SQ/CSQ separation (an SQ learner that learns this class from poly(n) queries) lives in the
learners layer: :mod:`symhard.learners.sq_polynomial` and :mod:`symhard.learners.separation`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random import as_generator
from ..errors import check_int, check_tau
from ..groups import PermutationGroup
from ..parameters import Param
from ..queries.bounds import LowerBound, csq_pairwise_bound
from ..queries.gram import exact_gram
from ..sections import Figure, Panel, Section, Series, Table
from ._hermite import HermitePolynomial, gram_matrix, hermite_e_table, hermite_monomial
from ._orbit_sums import (
    ELEMENT_CANON_CAP,
    canonical_subsets,
    check_degree,
    hard_class_size,
    invariant_polynomial,
    multi_index_orbit,
    multilinear_orbit_sum,
    orbit_sum,
    power_network_forward,
    power_network_weights,
    random_hard_member,
    random_invariant_multilinear,
    random_subset_orbits,
    resolve_group,
)
from .base import Certificate, ContractCase, Family, TaskSpec, check_role

__all__ = [
    "hermite_e_table", "hermite_monomial", "HermitePolynomial", "multi_index_orbit", "orbit_sum",
    "multilinear_orbit_sum", "invariant_polynomial", "gram_matrix", "hard_class_size", "class_bound",
    "canonical_subsets", "random_subset_orbits", "random_hard_member", "random_invariant_multilinear",
    "power_network_weights", "power_network_forward", "resolve_group", "check_degree",
    "PolynomialsFamily", "PolynomialTask", "POLYNOMIALS_TASK",
]

#: Older private name of :func:`check_degree` (the learners used it).
_check_k = check_degree


def class_bound(group: PermutationGroup, k: int, tau: float) -> LowerBound:
    r"""The whole-class CSQ bound of the degree-k orbit sums: the counting lemma
    :math:`(m-1)(\tau^2-\gamma)/(1-\gamma)` with :math:`m = N_k(G)` (Burnside) and γ = 0 (Hermite
    orthogonality), i.e. :math:`(N_k(G) - 1)\tau^2` (:func:`~symhard.queries.bounds.csq_pairwise_bound`)."""
    N = hard_class_size(group, k)
    lb = csq_pairwise_bound(N, 0.0, check_tau(tau))
    lb.formula += f"; m = N_{k}({group.name}) = #orbits on {k}-subsets (Burnside), gamma = 0 (Hermite orthogonality)"
    return lb


# ------------------------------------------------------------------------------ the family
class PolynomialsFamily(Family):
    """Multilinear degree-k orbit sums p_[S] of Gaussian inputs under a permutation group."""

    name = "polynomials"
    summary = "G-invariant polynomials p_[S] = |orb S|^(-1/2) Σ_{T∈orb S} x_T of x ~ N(0, I_n), |S| = k"
    theorem = ("CSQ: ≥ (N_k(G) − 1)·τ² queries, N_k(G) = #orbits on k-subsets ≥ C(n,k)/|G| (counting lemma, γ = 0); "
               "SQ: poly(n) queries")

    symmetry = "G <= S_n permuting the n coordinates of x ~ N(0, I_n)"
    bound = "csq-counting"
    params = (
        Param("group", "group", "cyclic:16", "permutation group acting on the n coordinates"),
        Param("k", "int", 3, "degree of the multilinear orbit sums", low=1, aliases=("degree",)),
        Param("members", "int", 16, "orbit sums whose Gram matrix and realization are checked", low=1),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("samples", "int", 2000, "inputs of the realization check", low=1),
        Param("seed", "int", 0, "seed of the members and inputs", low=0),
    )

    def estimate(self, group: Any, k: int, members: int, samples: int, **_: Any) -> Any:
        """Orbit sums of up to ``O = min(|G|, C(n, k))`` monomials each (``members × O × n`` int64 exponents,
        found by search over the generators), ``samples × n`` Gaussian inputs, and, when ``|G| ≤ 50000``,
        the G-averaged power network: ``members · |G| · samples · n · 2^(k-1)`` multiply-adds."""
        from ..resources import PY_OPS_PER_S, Estimate, array_estimate

        G = resolve_group(group)
        n, k = G.degree, check_degree(k, G.degree)
        orbit = min(G.order, math.comb(n, k))
        lower = "lower --members, --samples or k, or use a smaller group"
        sums = Estimate(f"the {members} orbit sums of degree {k} under {G.name} (orbits of up to {orbit:.3g} subsets)",
                        bytes=16.0 * members * orbit * n, lower=lower,
                        seconds=2.0 * members * orbit * max(1, len(G.generators)) * (20 + n / 100 + k) / PY_OPS_PER_S)
        net = array_estimate(f"the realization check of {samples} inputs in dimension {n}", samples, n, copies=3,
                             flops_per_item=members * orbit * k / n, lower=lower)
        if G.order <= ELEMENT_CANON_CAP:
            net = net + array_estimate(f"the {G.name}-averaged power network (σ(t) = t^{k}) on {samples} inputs",
                                       members, G.order, samples, copies=0, flops_per_item=2.0 * n * 2 ** (k - 1),
                                       lower=lower)
        return sums.peak(net)

    def _certify(self, group: Any, k: int, members: int, tau: float, samples: int, seed: int) -> Certificate:
        """Certificate of the hard class at (group, k): the bound for all N_k(G) orbit sums, the exact
        Gram matrix of ``members`` distinct random ones, and the realization error of their weights."""
        G = resolve_group(group)
        k = check_degree(k, G.degree)
        check_int(members, "members", min_value=1)
        check_int(samples, "samples", min_value=1)
        rng = as_generator(seed)
        reps = random_subset_orbits(G, k, members, seed=rng)
        polys = [multilinear_orbit_sum(G, r) for r in reps]
        gram = exact_gram(gram_matrix(polys))
        x = rng.standard_normal((samples, G.degree))
        real_err: float | None = None
        if G.order <= ELEMENT_CANON_CAP:
            real_err = max(float(np.abs(_power_network(G, r, x) - p(x)).max()) for r, p in zip(reps, polys))
        N = hard_class_size(G, k)
        return Certificate(
            family=self.name,
            params={"group": G.name, "k": k, "members": members, "tau": tau, "samples": samples, "seed": seed},
            method="exact",
            members=N,
            realization_error=real_err,
            max_offdiag_corr=gram.max_offdiag_corr,
            max_offdiag_corr_stderr=0.0,
            min_norm=gram.min_norm,
            lower_bound=class_bound(G, k, tau),
            extra={
                "n": G.degree,
                "group_order": G.order,
                "orbits": N,
                "orbits_lower_estimate": math.comb(G.degree, k) / G.order,
                "members_checked": len(polys),
                "gamma_proof": "distinct orbit sums share no Hermite monomial: E[p_[S] p_[T]] = 0 exactly",
                "architecture": f"G-averaged one-hidden-layer network, σ(t)=t^{k}, width 2^(k-1) = {2 ** (k - 1)}",
                "realization_samples": samples,
                **({} if real_err is not None else
                   {"realization_skipped": f"|G| = {G.order} > {ELEMENT_CANON_CAP}: the group average is not enumerated"}),
            },
        )

    def report_section(self, quick: bool = True) -> Section:
        """The family's own data: certificates, the class size N_k(G) and the bound against n.

        (The SQ-versus-gradient-descent experiment is :func:`symhard.learners.separation.separation_section`.)
        """
        ks = (2, 3, 4)
        ns = [8, 12, 16, 24, 32, 48, 64] + ([] if quick else [96, 128, 192, 256])
        tau = 0.05
        certs = [self.certificate(group=g, k=k, members=8, samples=500)
                 for g, k in (("cyclic:12", 4), ("dihedral:12", 3), ("cyclic:16", 3))]
        sizes = {(kind, k): [hard_class_size(_group(kind, n), k) for n in ns] for kind in ("cyclic", "dihedral") for k in ks}
        rows = [[str(n), str(2 * n)] + [f"{sizes[('cyclic', k)][i]} / {sizes[('dihedral', k)][i]}" for k in ks]
                + [f"{class_bound(_group('cyclic', n), 4, tau).queries:.3g}"] for i, n in enumerate(ns)]
        table = Table(header=["n", "order of D_n"] + [f"N_{k}(Z_n) / N_{k}(D_n)" for k in ks] + [f"bound, Z_n, k = 4, τ = {tau}"],
                      rows=rows, caption="Size of the hard class (Burnside, exact) and the whole-class CSQ bound (N_k − 1)τ².")
        text = (
            "Hard class: all multilinear degree-k orbit sums p_[S] = |orb S|^(-1/2) Σ_{T∈orb S} x_T of x ~ N(0, I_n), "
            "one per orbit of G on k-subsets, pairwise orthogonal by Hermite orthogonality (γ = 0, exact). "
            "Any CSQ learner that identifies the member needs (N_k(G) − 1)·τ² queries of tolerance τ "
            "(counting lemma). Each member is a G-averaged network with σ(t) = t^k and 2^(k−1) hidden units "
            "(realization error in the certificates).")
        return Section(title="polynomials: invariant orbit sums of Gaussian inputs (hard class)", text=text,
                       certificates=certs, tables=[table], figures=[_class_figure(ns, ks, sizes, tau)],
                       anchor="polynomials")

    def contract_case(self, seed: int = 0) -> ContractCase:
        """All N_3(Z_8) = 7 orbit sums of degree 3 under Z_8: Hermite expansion (target) against the
        power-network weights evaluated by the G-averaged architecture (network)."""
        G, k = PermutationGroup.cyclic(8), 3
        reps = [tuple(int(i) for i in r) for r in G.subset_orbit_representatives(k)]
        polys = [multilinear_orbit_sum(G, r) for r in reps]
        weights = [power_network_weights(G, r) for r in reps]
        (x,) = _gaussian_numpy(G.degree, 64, seed)

        def target(inputs: tuple) -> np.ndarray:
            return np.stack([p(np.asarray(inputs[0], dtype=float)) for p in polys])

        def network(inputs: tuple) -> np.ndarray:
            xs = np.asarray(inputs[0], dtype=float)
            return np.stack([power_network_forward(G, W, a, k, xs) for W, a in weights])

        cert = self.certificate(group=G.name, k=k, members=len(reps), tau=0.5, samples=64, seed=seed)
        return ContractCase(members=[f"p_[{set(r)}]" for r in reps], group=G, input_actions=("rows",), inputs=(x,),
                            target=target, network=network, gram=exact_gram(gram_matrix(polys)), certificate=cert,
                            atol=1e-9)


def _group(kind: str, n: int) -> PermutationGroup:
    return PermutationGroup.cyclic(n) if kind == "cyclic" else PermutationGroup.dihedral(n)


def _gaussian_numpy(n: int, m: int, seed: int) -> tuple[np.ndarray, ...]:
    from ..queries.distributions import Gaussian

    return Gaussian(n).sample_numpy(m, seed)


def _power_network(G: PermutationGroup, subset: Any, x: np.ndarray) -> np.ndarray:
    W, a = power_network_weights(G, subset)
    return power_network_forward(G, W, a, len(subset), x)


def _class_figure(ns: list[int], ks: tuple[int, ...], sizes: dict, tau: float) -> Figure:
    """Panels: log10 N_k(G) against n (Z_n solid, D_n dashed, C(n,k)/n dotted); log10 of the bound."""
    size_series, bound_series = [], []
    for k in ks:
        for kind, style, sym in (("cyclic", "o-", "Z_n"), ("dihedral", "s--", "D_n")):
            logs = [math.log10(v) for v in sizes[(kind, k)]]
            size_series.append(Series(ns, logs, f"N_{k}({sym}), k = {k}", style=style))
            bounds = [csq_pairwise_bound(v, 0.0, tau).log10_queries for v in sizes[(kind, k)]]
            bound_series.append(Series(ns, [math.nan if b is None else b for b in bounds],
                                       f"(N_{k}({sym}) − 1)τ², k = {k}", style=style))
        size_series.append(Series(ns, [math.log10(math.comb(n, k) / n) for n in ns], f"C(n,{k})/n, k = {k}", style=":"))
    sizes_panel = Panel(title="size of the hard class (Burnside, exact)", xlabel="n (input dimension)",
                        ylabel="log10(number of members)", series=size_series, xscale="log")
    bound_panel = Panel(title=f"whole-class CSQ bound at τ = {tau}", xlabel="n (input dimension)",
                        ylabel="log10(queries of tolerance τ)", series=bound_series, xscale="log",
                        hlines=[(0.0, "one query")],
                        note="below the 'one query' line the bound asks for less than one query (vacuous)")
    return Figure(name="polynomials-class-size",
                  title=f"polynomials (hard class): degree-k orbit sums under Z_n and D_n, n = {ns[0]}…{ns[-1]}, k = {', '.join(map(str, ks))}",
                  panels=[sizes_panel, bound_panel],
                  caption="Exact orbit counts (Burnside) and the counting-lemma bound (N_k − 1)τ² (γ = 0).")


# ------------------------------------------------------------------------------ learning task
class PolynomialTask:
    """Learning task: a (multilinear) invariant polynomial of x ~ N(0, I_n) under Z_n.

    ``hard``: a random degree-k orbit sum p_[S]; ``control``: a random degree-``control_k`` one.
    Inputs ``x [m, n]`` (``Gaussian(n)``, float32, from the generator given); the target has unit
    norm exactly (Hermite orthonormality).
    """

    family = "polynomials"
    param_name = "n"
    input_actions = ("rows",)

    def __init__(self, n: int, role: str, seed: int, k: int = 4, control_k: int = 2) -> None:
        from ..queries.distributions import Gaussian

        self.param_value = check_int(n, "n", min_value=2)
        self.role = check_role(role)
        self.k = check_degree(k, self.param_value)
        self.group = PermutationGroup.cyclic(self.param_value)
        degree = self.k if role == "hard" else check_degree(control_k, self.param_value)
        self.subset, self.poly = random_hard_member(self.group, degree, seed=seed)
        self.hidden_units = 2 ** (degree - 1)
        self.distribution = Gaussian(self.param_value)

    def sample_inputs(self, m: int, generator: Any) -> tuple[Any, ...]:
        from .._random import torch_generator

        return self.distribution.sample(check_int(m, "m", min_value=1), torch_generator(generator), dtype="float32")

    def target(self, x: Any) -> Any:
        return self.poly(x.double()).to(x.dtype)

    def make_model(self, ensemble: int, width: int, generator: Any) -> Any:
        from .._random import torch_generator
        from ..models.cnn import GroupAveragedNetwork, VectorInput

        net = GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble, activation="relu",
                                   form="circular", generator=torch_generator(generator))
        return VectorInput(net)

    def lower_bound(self, tau: float) -> LowerBound:
        """The whole-class bound (N_k(Z_n) − 1)τ² of the hard degree k (:func:`class_bound`)."""
        return class_bound(self.group, self.k, tau)


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
