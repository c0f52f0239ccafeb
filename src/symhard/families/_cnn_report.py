"""Report data of the ``cnn`` family (figures as :mod:`symhard.sections` data; nothing is drawn here)."""

from __future__ import annotations

import math
from typing import Any

from ..sections import Figure, Panel, Section, Series, Table

K = 4
KINDS = (("cyclic", "o-", "C0"), ("dihedral", "s--", "C1"))


def _rows(ns: list[int], members: int) -> tuple[list[dict[str, Any]], list[Any]]:
    from .cnn import certify

    rows, certs = [], []
    for kind, _, _ in KINDS:
        for n in ns:
            c = certify(n=n, group=f"{kind}:{n}", k=K, members=members, seed=0, samples=16)
            certs.append(c)
            e = c.extra
            rows.append({"kind": kind, "n": n, "order": e["group_order"], "nu": e["nu_max"], "min_norm": c.min_norm,
                         "norm_lb": e["norm_sq_lower_bound_min"], "gamma": e["sampled"]["gamma"],
                         "realization": c.realization_error, "tau": c.lower_bound.tau,
                         "queries": c.lower_bound.queries, "used": e["bound_used"],
                         "packing_vacuous": e["packing"].get("log10_queries") is None})
    return rows, certs


def _figure(rows: list[dict[str, Any]], members: int) -> Figure:
    nu, norm, corr, bound, lower = [], [], [], [], []
    for kind, style, color in KINDS:
        sel = [r for r in rows if r["kind"] == kind]
        x = [r["n"] for r in sel]
        nu.append(Series(x, [r["nu"] for r in sel], kind, style, color))
        norm.append(Series(x, [r["min_norm"] for r in sel], f"{kind}: min ||f_V|| / sqrt(d ||F_k||^2)", style, color))
        norm.append(Series(x, [1 / math.sqrt(r["order"]) for r in sel], f"{kind}: 1/sqrt(|G|)", ":", color))
        lower.append(Series(x, [r["norm_lb"] for r in sel], f"{kind}: Hermite lower bound on min ||f_V||^2",
                            style, color))
        corr.append(Series(x, [r["gamma"] for r in sel], kind, style, color))
        bound.append(Series(x, [r["queries"] if r["queries"] > 0 else math.nan for r in sel], kind, style, color))
    missing = sum(1 for r in rows if r["queries"] <= 0)
    packed = [f"{r['kind']}:{r['n']}" for r in rows if not r["packing_vacuous"]]
    packing_note = ("the whole-class packing is vacuous at every n shown (no overlap level has gamma(s) < tau^2 and "
                    "m(s) >= 2), so the bound is that of the sampled frames" if not packed
                    else f"the whole-class packing is non-vacuous at {', '.join(packed)}")
    negative = sum(1 for r in rows if r["norm_lb"] <= 0)
    lower_note = (f"{negative} of {len(rows)} points are <= 0: the Hermite norm bound is vacuous there (nu is far "
                  "from 0 for random frames); the exact norms in the previous panel certify non-degeneracy"
                  if negative else "")
    panels = [
        Panel(title="nu = max_{g != e} ||V^T P_g V||_op (max over members)", xlabel="number of rows n",
              ylabel="nu (dimensionless)", series=nu),
        Panel(title="normalized norm of the members (exact)", xlabel="number of rows n",
              ylabel="norm relative to the un-averaged block", series=norm, yscale="log"),
        Panel(title="Hermite lower bound d||F_k||^2 (1 - (|G|-1) nu^k)/|G| (d = 1)", xlabel="number of rows n",
              ylabel="lower bound on ||f_V||^2 (raw units)", series=lower, hlines=[(0.0, "zero")], note=lower_note),
        Panel(title=f"largest correlation among {members} sampled frames (exact)", xlabel="number of rows n",
              ylabel="max off-diagonal |corr| (dimensionless)", series=corr, yscale="log"),
        Panel(title="certified CSQ lower bound at tau = sqrt(2 gamma)", xlabel="number of rows n",
              ylabel="queries (count)", series=bound, yscale="log", hlines=[(1.0, "one query")],
              note=(f"{missing} of {len(rows)} points are vacuous; " if missing else "") + packing_note),
    ]
    return Figure(name="cnn_nu_norm_corr",
                  title=f"cnn (hard class, cyclic and dihedral groups on the n rows, k = {K}, d = 1, {members} "
                        "random frames): overlap, norm, correlation and certified bound against n",
                  panels=panels, columns=3)


def _table(rows: list[dict[str, Any]]) -> Table:
    body = [[r["kind"], str(r["n"]), str(r["order"]), f"{r['nu']:.3f}", f"{r['min_norm']:.4f}", f"{r['norm_lb']:.3g}",
             f"{r['gamma']:.3g}", f"{r['tau']:.3g}", f"{r['queries']:.3g}", r["used"], f"{r['realization']:.1e}"]
            for r in rows]
    return Table(header=["group", "n", "|G|", "nu max", "min norm (normalized)", "Hermite norm^2 lower bound",
                         "max corr", "tau", "bound (queries)", "bound from", "realization error"], rows=body,
                 caption="Exact Gram by the arc-cosine kernel; the bound is the larger of the whole-class packing "
                         "(vacuous here) and the sampled frames.")


def report_section(quick: bool = True) -> Section:
    """The ``cnn`` section: one figure, one table, the certificates (all data)."""
    from .cnn import PAPER_BOUND

    ns = [8, 12, 16, 24] if quick else [8, 12, 16, 24, 32, 48, 64]
    members = 12 if quick else 32
    rows, certs = _rows(ns, members)
    used = sorted({r["used"] for r in rows})
    negative = sum(1 for r in rows if r["norm_lb"] <= 0)
    text = (
        f"k = {K}, d = 1, {members} random V per size, exact Gram by the arc-cosine kernel. Paper bound: {PAPER_BOUND}.\n\n"
        "The whole-class bound uses a certified packing of the sub-class of sign-flipped Fourier components of one "
        "frame (equal norms; Hoeffding and a union bound over the group). "
        f"Bound used at the sizes shown: {', '.join(used)}; the largest certified bound is "
        f"{max(r['queries'] for r in rows):.3g} queries. These sizes are far from the asymptotic regime of the "
        "theorem: by an estimate with the same formulas, the packing bound becomes positive near n = 10^4 and "
        f"reaches one query near n = 2 10^4 (k = 4, tau = 0.5). The Hermite lower bound on the norm is <= 0 (vacuous) at {negative} of {len(rows)} "
        "points; the exact norms are what certify that no member degenerates."
    )
    return Section(title="CNN / group-averaged networks (DKKZ class)", text=text, certificates=certs,
                   tables=[_table(rows)], figures=[_figure(rows, members)], anchor="cnn")
