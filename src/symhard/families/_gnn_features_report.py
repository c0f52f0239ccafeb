"""Report data of the ``gnn-features`` family (figures as :mod:`symhard.sections` data; nothing is drawn here)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..queries import gram as qgram
from ..queries.bounds import csq_pairwise_bound
from ..queries.packing import choose_bound, packing_size, stiefel_overlap_log_tail
from ..sections import Figure, Panel, Section, Series, Table
from . import _alternating_relu as ar
from ._gnn_features_gram import (
    S_GRID, class_bound, correlation_bound, dimension_for_queries, gamma_constant, overlap_curve, overlap_measure,
    raw_gram,
)

NODES = 4
TAU = 0.1
KS = (2, 4, 6)
COLORS = {2: "C0", 4: "C1", 6: "C2"}
HARD = f"hard class, S_{NODES} on the nodes of G({NODES}, 1/2) + I"


def _overlap_figure(measure) -> tuple[Figure, dict[int, float]]:
    s_values = np.geomspace(0.05, 0.6, 10)
    series, slopes = [], {}
    for k in KS:
        s, c = overlap_curve(k, measure, d=16, s_values=s_values, seed=k)
        slopes[k] = float(np.polyfit(np.log(s[:5]), np.log(np.abs(c[:5])), 1)[0])
        series += [
            Series(s.tolist(), np.abs(c).tolist(), f"k = {k}: exact |corr| (fitted slope {slopes[k]:.2f})", "o-", COLORS[k]),
            Series(s.tolist(), (abs(c[0]) * (s / s[0]) ** k).tolist(), f"k = {k}: slope-{k} guide", ":", COLORS[k]),
            Series(s.tolist(), correlation_bound(k, measure, s).tolist(), f"k = {k}: Hermite bound C_k s^k", "--",
                   COLORS[k]),
        ]
    panel = Panel(title="exact correlation of f_V and f_U with V^T U = s I",
                  xlabel="frame overlap s = ||V^T U||_op (dimensionless)",
                  ylabel="|corr(f_V, f_U)| (exact, dimensionless)", series=series, xscale="log", yscale="log")
    fig = Figure(name="gnn_features_overlap",
                 title=f"gnn-features ({HARD}, d = 16, k = 2, 4, 6): correlation against frame overlap",
                 panels=[panel],
                 caption="Exact arc-cosine correlations; dotted: slope k; dashed: the certified inequality "
                         "|corr| <= C_k s^k (Mehler's formula, no Hermite component of degree < k).")
    return fig, slopes


def _vs_d_rows(measure, ds: list[int], members: int) -> list[dict[str, Any]]:
    rows = []
    for k in KS:
        for d in ds:
            frames = ar.random_orthonormal_frame(d, d, count=members)
            raw, se = raw_gram(frames, k, measure)
            gamma = qgram.exact_gram(raw, stderr=se).max_offdiag_corr
            sampled = csq_pairwise_bound(members, gamma, TAU)
            packing = class_bound(d, k, measure, TAU)
            used = choose_bound(sampled, packing.bound)
            rows.append({"k": k, "d": d, "gamma": gamma, "sampled": sampled, "packing": packing, "used": used,
                         "best": packing.bound if used == "packing" else sampled})
    return rows


def _vs_d_figure(rows: list[dict[str, Any]], members: int) -> Figure:
    corr, bound = [], []
    for k in KS:
        sel = [r for r in rows if r["k"] == k]
        x = [r["d"] for r in sel]
        corr.append(Series(x, [r["gamma"] for r in sel], f"k = {k}", "o-", COLORS[k]))
        bound.append(Series(x, [r["best"].queries if r["best"].queries > 0 else math.nan for r in sel],
                            f"k = {k}", "o-", COLORS[k]))
    missing = sum(1 for r in rows if r["best"].queries <= 0)
    note = ""
    if missing:
        note = (f"{missing} of {len(rows)} (k, d) points have no certified bound at tau = {TAU}: tau^2 <= gamma for "
                "the sampled frames and for every certified packing level (the whole-class bound needs larger d).")
    panels = [
        Panel(title=f"largest correlation among {members} sampled frames (exact)", xlabel="feature dimension d",
              ylabel="max off-diagonal |corr| (dimensionless)", series=corr, xscale="log", yscale="log"),
        Panel(title=f"certified CSQ lower bound at tau = {TAU} (best of whole-class packing and sampled frames)",
              xlabel="feature dimension d", ylabel="queries (count)", series=bound, xscale="log", yscale="log",
              hlines=[(1.0, "one query")], note=note),
    ]
    return Figure(name="gnn_features_vs_d",
                  title=f"gnn-features ({HARD}, k = 2, 4, 6): correlation and certified bound against d",
                  panels=panels, caption="Bounds below one query say that one query might suffice: they are honest, "
                                         "and small at these sizes; the hardness is asymptotic in d.")


def _ingredients_figure(measure) -> Figure:
    sizes = []
    for d, color in ((32, "C0"), (128, "C1"), (1024, "C2"), (8192, "C3")):
        logm = [math.log10(packing_size(float(lp))) for lp in stiefel_overlap_log_tail(d, S_GRID)]
        sizes.append(Series(S_GRID.tolist(), logm, f"d = {d}", "-", color))
    gammas = [Series(S_GRID.tolist(), correlation_bound(k, measure, S_GRID).tolist(),
                     f"k = {k}: gamma(s) = {gamma_constant(k, measure)[0]:.3g} s^{k}", "-", COLORS[k]) for k in KS]
    panels = [
        Panel(title="certified packing of St(d, 2): m(s)(m(s) - 1)(1 - s^2/2)^((d-2)/2) < 1",
              xlabel="overlap level s (dimensionless)", ylabel="log10 m(s) (log10 of a count)", series=sizes),
        Panel(title="certified correlation bound of two frames with overlap <= s",
              xlabel="overlap level s (dimensionless)", ylabel="gamma(s) (dimensionless)", series=gammas,
              xscale="log", yscale="log", hlines=[(TAU**2, f"tau^2, tau = {TAU}")]),
    ]
    return Figure(name="gnn_features_packing",
                  title=f"gnn-features ({HARD}): the two ingredients of the whole-class bound",
                  panels=panels, caption="The bound at level s is (m(s) - 1)(tau^2 - gamma(s))/(1 - gamma(s)): it needs "
                                         "gamma(s) < tau^2 (small s) and m(s) >= 2 (large d s^2).")


def _table(rows: list[dict[str, Any]], members: int) -> Table:
    def q(b):
        return "0 (vacuous)" if b.log10_queries is None else f"{b.queries:.3g}"

    body = [[str(r["k"]), str(r["d"]), f"{r['gamma']:.3g}", q(r["sampled"]), f"{r['packing'].s:.3g}",
             str(r["packing"].m), f"{r['packing'].gamma:.3g}", q(r["packing"].bound), r["used"]] for r in rows]
    return Table(header=["k", "d", f"max corr ({members} frames)", "sampled bound", "packing s", "packing m(s)",
                         "gamma(s)", "whole-class bound", "used"], rows=body,
                 caption=f"Certified CSQ bounds at tau = {TAU}: sampled frames (exact gamma) and the whole-class packing.")


def report_section(family, quick: bool = True) -> Section:
    """The ``gnn-features`` section: three figures, one table, one certificate (all data)."""
    measure = overlap_measure(NODES, 0.5)
    ds = [8, 16, 32, 64] if quick else [8, 16, 32, 64, 128, 256]
    members = 32 if quick else 64
    fig1, slopes = _overlap_figure(measure)
    rows = _vs_d_rows(measure, ds, members)
    cert = family.certificate(d=32, k=4, n=NODES, members=members, tau=TAU)
    best = max((r["best"].queries for r in rows), default=0.0)
    text = (
        f"DKKZ alternating-ReLU targets on graphs, f_V = 1^T ReLU(A_hat X W) a, with correlations exact from the "
        f"arc-cosine kernel averaged over all G({NODES}, 1/2) graphs (self-loops added). Fitted log-log slopes of "
        "correlation against ||V^T U|| at small overlap: " + ", ".join(f"k = {k}: {v:.2f}" for k, v in slopes.items())
        + " (the theory says k).\n\n"
        "The bound is certified for the whole class St(d, 2): a packing of m(s) frames with pairwise overlap <= s "
        "exists by the probabilistic method, and two such frames have |corr| <= gamma(s) = C_k s^k. "
        f"At the sizes shown the certified bound is small: the largest is {best:.3g} queries at tau = {TAU}, "
        "so these numbers do not by themselves explain a failure of gradient descent. The packing grows like "
        "exp(Theta(d s^2)); the whole-class bound reaches one query at tau = " + f"{TAU} at "
        + ", ".join(f"d = {dimension_for_queries(k, measure, TAU)} (k = {k})" for k in KS) + "."
    )
    return Section(title="GNN hardness in the feature dimension (DKKZ on graphs)", text=text, certificates=[cert],
                   tables=[_table(rows, members)],
                   figures=[fig1, _vs_d_figure(rows, members), _ingredients_figure(measure)], anchor="gnn-features")
