"""The report sections of ``boolean-parity`` and ``boolean-random`` as data (private; only the report layer draws)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..groups import PermutationGroup, parse_group
from ..queries.bounds import csq_pairwise_bound
from ..queries.distributions import BooleanCube
from ..sections import Figure, Panel, Section, Series, Table
from ._boolean_random import (
    bound_curves, learn_symmetric_sq, random_invariant_tables, symmetric_learner_error_bound, table_target,
)

if TYPE_CHECKING:
    from .boolean import BooleanParity, BooleanRandom

KINDS = ("cyclic", "dihedral", "symmetric")
COLORS = {"cyclic": "tab:blue", "dihedral": "tab:orange", "symmetric": "tab:green"}
REPORT_TAU = 0.01


def _orbits_of_k_subsets(kind: str, n: int, k: int) -> int:
    """N_k(G) by Burnside (S_n is k-homogeneous: one orbit, without building its cycle index)."""
    return 1 if kind == "symmetric" else parse_group(f"{kind}:{n}").orbit_count_subsets(k)


def _parity_panel(ns: list[int], degree, label: str) -> Panel:
    series = []
    for kind in KINDS:
        y = []
        for n in ns:
            q = csq_pairwise_bound(_orbits_of_k_subsets(kind, n, degree(n)), 0.0, REPORT_TAU).queries
            y.append(q if q > 0 else math.nan)
        series.append(Series(x=ns, y=y, label=f"{kind}:n", color=COLORS[kind]))
    return Panel(title=f"k = {label}", xlabel="n (number of bits)",
                 ylabel=f"(N_k(G) - 1) tau^2, queries of tolerance {REPORT_TAU:g} (count)", series=series,
                 yscale="log", note="S_n has a single orbit of k-subsets (m = 1): its bound is 0, not drawn")


def parity_section(family: "BooleanParity", quick: bool = True) -> Section:
    """Certificates, their table and the whole-class bound (N_k − 1)τ² against n for k = 3 and k = n/2."""
    specs = [("cyclic:10", 3), ("dihedral:10", 3), ("symmetric:8", 3)] if quick else \
        [("cyclic:16", 4), ("dihedral:16", 4), ("symmetric:12", 4), ("cyclic:20", 3)]
    certs = [family.certificate(group=g, k=k) for g, k in specs]
    table = Table(
        header=["group", "k", "N_k (enumerated)", "N_k (Burnside)", "max |corr|", "realization error",
                f"bound @ tau={REPORT_TAU:g}"],
        rows=[[c.params["group"], str(c.params["k"]), str(c.extra["orbit_count"]), str(c.extra["orbit_count_burnside"]),
               f"{c.max_offdiag_corr:g}", "–" if c.realization_error is None else f"{c.realization_error:.2g}",
               "vacuous" if c.lower_bound.vacuous else f"{c.lower_bound.queries:.4g}"] for c in certs],
        caption="exact certificates: every orbit parity checked (Walsh spectra, Gram matrix, network on the cube)",
    )
    ns = list(range(4, 41 if quick else 61))
    fig = Figure(
        name="boolean_parity_bound_vs_n",
        title=f"boolean-parity, hard class: orbit parities of degree k; groups cyclic, dihedral, symmetric; n = {ns[0]}..{ns[-1]}",
        panels=[_parity_panel(ns, lambda n: 3, "3"), _parity_panel(ns, lambda n: n // 2, "n // 2 (the task's default)")],
        caption="Whole-class CSQ bound: m = N_k(G) exact (Burnside), gamma = 0 exact (orthonormality).",
    )
    text = (
        "Invariant parities of degree k: orthonormal (off-diagonal inner products are exactly 0, "
        "from integer Walsh–Hadamard spectra), realized exactly by a G-averaged ReLU network with "
        "k+1 hidden units. Whole-class CSQ bound (N_k(G) - 1)·τ² (counting lemma, γ = 0) with N_k(G) the "
        "number of orbits of k-subsets (enumerated and by Burnside)."
    )
    return Section(title="Boolean warm-up: invariant parities", text=text, certificates=certs, tables=[table],
                   figures=[fig], anchor="boolean-parity")


def _contrast_table(n: int, tau: float) -> Table:
    """The n + 1-query SQ learner for S_n, run with an exact oracle on a symmetric and a cyclic target."""
    from ..queries.oracles import ExactOracle

    cube = BooleanCube(n)
    rows = []
    for kind in ("symmetric", "cyclic"):
        tab, _ = random_invariant_tables(getattr(PermutationGroup, kind)(n), 1, seed=1)
        target = table_target(tab[0].astype(np.float64), n)
        h = learn_symmetric_sq(ExactOracle(target, cube, kind="sq"), n, tau)
        rows.append([f"{kind}:{n}", str(h.queries), f"{h.error_on_table(tab[0]):.4f}"])
    return Table(header=["target", "queries", "error Pr[h != f]"], rows=rows,
                 caption=(f"SQ learner with n + 1 = {n + 1} queries, tau = {tau:g}, exact oracle; guaranteed error "
                          f"on symmetric targets <= {symmetric_learner_error_bound(n, tau):.4f}"))


def _bound_figure(n_max: int) -> Figure:
    curves = bound_curves(range(3, n_max + 1), REPORT_TAU)
    series = []
    for kind, rec in curves.items():
        for key, style, what in (("csq_log10", "-", "CSQ, parity basis"), ("sq_log10", "--", "SQ, random invariant")):
            y = [math.nan if v is None else 10.0**v for v in rec[key]]
            series.append(Series(x=rec["n"], y=y, label=f"{kind}: {what}", style=style, color=COLORS[kind]))
    panel = Panel(title="lower bounds on {±1}^n under symmetry", xlabel="n (number of bits)",
                  ylabel=f"queries of tolerance {REPORT_TAU:g} needed (count)", series=series, yscale="log")
    return Figure(
        name="boolean_sq_bound_vs_n",
        title=f"boolean-random and boolean-parity, hard classes on {{±1}}^n; groups cyclic, dihedral, symmetric; n = 3..{n_max}",
        panels=[panel],
        caption=("CSQ: (#orbits on the cube - 1) tau^2 from the orthonormal orbit parities of all degrees (Burnside). "
                 "SQ: delta tau^2 / sum_O P(O)^2, delta = 1/2 (exact up to n = 16, then through sum_O P(O)^2 <= |G|/2^n; "
                 "closed form C(2n, n)/4^n for S_n)."),
    )


def random_section(family: "BooleanRandom", quick: bool = True) -> Section:
    """Certificates, the SQ-learner contrast (table) and the bounds against n (figure data)."""
    n = 12 if quick else 16
    certs = [family.certificate(group=f"{kind}:{n}") for kind in KINDS]
    text = (
        "Random invariant ±1 functions (one fair sign per orbit; the class is all 2^#orbits of them): Σ_O P(O)² is "
        "computed exactly from the orbit partition and the SQ bound is δτ²/Σ_O P(O)² (δ = 1/2). Each member is a "
        "G-averaged ReLU network of point indicators ReLU(<x, p> - (n - 1)) = 1[x = p]. For S_n, Σ_O P(O)² ≈ 1/√(πn) "
        "and the class is easy: the SQ learner below uses n + 1 queries; on the cyclic target the same learner is "
        "at chance."
    )
    return Section(title="Boolean warm-up: random invariant functions", text=text, certificates=certs,
                   tables=[_contrast_table(n, REPORT_TAU)], figures=[_bound_figure(40 if quick else 64)],
                   anchor="boolean-random")
