"""The report section of ``gnn-degree-parity`` as data (private; only the report layer draws).

Two panels against the number of nodes ``n``: the largest bias ``max_U |E f_U|`` of the windows
of 2 and 3 degrees (= the largest pairwise correlation of those classes; exact for ``n ≤ 7``,
Monte Carlo with ±2 standard-error bars beyond), and the certified whole-class bound at τ = 0.1
(spectral form, default window) beside the γ form of the counting lemma and the ceiling
``(m − 1)τ²`` that a uniform window code would give.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..sections import Figure, Panel, Section, Series, Table
from ._degree_histogram import MAX_EXACT_N, central_window, max_window, window_biases
from ._degree_parity_bound import window_spectrum

if TYPE_CHECKING:
    from .gnn_degree_parity import GNNDegreeParity

#: Tolerance of the bound panel.
REPORT_TAU = 0.1


def _bias_rows(ns: list[int], samples: int) -> list[tuple[int, int, float, float, str]]:
    rows = []
    for w in (2, 3):
        for n in ns:
            if w > max_window(n):
                continue
            bias, se, method = window_biases(n, central_window(n, w), samples=samples, seed=n)
            k = 1 + int(abs(bias[1:]).argmax())
            rows.append((w, n, float(abs(bias[k])), float(se[k]), method))
    return rows


def _bound_rows(ns: list[int], samples: int) -> list[dict[str, Any]]:
    rows = []
    for n in ns:
        spec = window_spectrum(n, None, samples=samples, seed=n)
        lb, counting = spec.lower_bound(REPORT_TAU), spec.counting_lower_bound(REPORT_TAU)
        rows.append({"n": n, "w": len(spec.window), "method": spec.method, "p_max": spec.p_max,
                     "p_max_upper": spec.p_max_upper, "spectral": lb.queries,
                     "counting": counting.queries if counting.queries > 0 else math.nan,
                     "ceiling": (spec.members - 1) * REPORT_TAU**2})
    return rows


def _figure(bias_rows: list, bound_rows: list[dict[str, Any]], ns: list[int], samples: int) -> Figure:
    bias_series = []
    for w, style in ((2, "o-"), (3, "s-")):
        pts = [r for r in bias_rows if r[0] == w]
        bias_series.append(Series(x=[r[1] for r in pts], y=[r[2] for r in pts], yerr=[2 * r[3] for r in pts],
                                  label=f"|W| = {w} (±2 se)", style=style))
    bias_panel = Panel(
        title="largest bias = largest pairwise correlation", xlabel="n (nodes)",
        ylabel="max over U of |E f_U| (dimensionless)", series=bias_series, yscale="log",
        hlines=[(3 / math.sqrt(samples), f"3/sqrt(N), N = {samples} graphs")],
        vlines=[(MAX_EXACT_N + 0.5, "exact (left) | Monte Carlo (right)")],
    )
    x = [r["n"] for r in bound_rows]
    counting = [r["counting"] for r in bound_rows]
    series = [Series(x=x, y=[r["spectral"] for r in bound_rows], label="spectral: (m-1) tau^2 / (2^w p_max_upper)"),
              Series(x=x, y=[r["ceiling"] for r in bound_rows], label="(m-1) tau^2 (uniform code)", style=":")]
    note = ""
    if all(math.isnan(v) for v in counting):
        note = "the gamma form (m-1)(tau^2-gamma)/(1-gamma) is vacuous (tau^2 <= gamma) at every n: not drawn"
    else:
        series.insert(1, Series(x=x, y=counting, label="gamma form: (m-1)(tau^2-gamma)/(1-gamma)", style="s--"))
        if any(math.isnan(v) for v in counting):
            note = "the gamma form is vacuous (tau^2 <= gamma) where its points are missing"
    bound_panel = Panel(title=f"certified whole-class bound, tau = {REPORT_TAU:g}", xlabel="n (nodes)",
                        ylabel=f"queries of tolerance {REPORT_TAU:g} (count)", yscale="log", series=series, note=note)
    return Figure(
        name="gnn_degree_parity_bias",
        title=(f"gnn-degree-parity, hard class {{f_S : S in central window W}}: group S_n on G(n, 1/2) graphs, "
               f"n = {ns[0]}..{ns[-1]}"),
        panels=[bias_panel, bound_panel],
        caption=("Left: exact for n <= 7 (every graph), Monte Carlo beyond. Right: default window (the best "
                 "certified bound); p_max exact for n <= 7, a 95% Clopper-Pearson/Bonferroni upper bound beyond."),
    )


def degree_parity_section(family: "GNNDegreeParity", quick: bool = True) -> Section:
    """The section: text, the two tables, the figure data and the certificate at n = 8."""
    samples = 20000 if quick else 200000
    ns = list(range(4, 8)) + ([8, 10, 12, 16, 20, 28] if quick else [8, 10, 12, 16, 20, 24, 32, 48, 64])
    bias_rows = _bias_rows(ns, samples)
    bound_rows = _bound_rows(ns, samples)
    cert = family.certificate(n=8, samples=samples)
    bias_table = Table(header=["|W|", "n", "method", "max abs bias", "stderr"],
                       rows=[[str(w), str(n), m, f"{g:.4g}", f"{s:.2g}"] for w, n, g, s, m in bias_rows],
                       caption="largest bias over the class (= largest pairwise correlation)")
    bound_table = Table(
        header=["n", "|W|", "method", "p_max", "p_max (certified)", f"spectral bound @ tau={REPORT_TAU:g}",
                "gamma-form bound"],
        rows=[[str(r["n"]), str(r["w"]), r["method"], f"{r['p_max']:.4g}", f"{r['p_max_upper']:.4g}",
               f"{r['spectral']:.4g}", "vacuous" if math.isnan(r["counting"]) else f"{r['counting']:.4g}"]
              for r in bound_rows],
        caption="whole-class bounds at the default (best certified) window",
    )
    text = (
        "Parities f_S(A) = (-1)^{sum_{i in S} h_i} of the degree histogram of G(n,1/2) graphs, S in a "
        "central window W. Each f_S is an exact two-layer GNN (realization error "
        f"{cert.realization_error:g} on {cert.extra['realization_graphs']} graphs at n = 8). "
        "E[f_S f_T] = b(S xor T), and the matrix [b(S xor T)] has eigenvalues 2^w P(c = v) (c the window "
        "parity code), so the whole class of m = 2^w - 1 members needs at least (m-1) tau^2 / (2^w p_max) "
        "CSQ queries for every tau. The largest bias shrinks with n, and the certified bound grows with the "
        "window the sample supports."
    )
    return Section(title="GNN hardness in the number of nodes (degree parities)", text=text,
                   certificates=[cert], tables=[bias_table, bound_table],
                   figures=[_figure(bias_rows, bound_rows, ns, samples)], anchor="gnn-degree-parity")
