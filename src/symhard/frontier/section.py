"""The frontier as report data: the threshold-vs-budget figure, a phase diagram, and the tables.

Figure 1 (log–log): per (learner, loss, k) the threshold against the budget with its bootstrap
interval (error bars), the fitted line (dashed) and a line of the predicted slope through the
first uncensored point (dotted); censored thresholds are drawn apart (▲: still learned at the
largest size, ▼: not learned at the smallest). Figure 2: the phase diagram of one k — colour =
median error over seeds at every (budget, size) the bisections evaluated; blank where none did.
"""

from __future__ import annotations

import math
from typing import Any

from ..sections import Figure, Heatmap, Panel, Section, Series, Table

__all__ = ["frontier_section"]

_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")
_SIZE = {"boolean": "n (bits)", "gnn-features": "d (feature dimension)", "gnn-degree-parity": "n (nodes)",
         "polynomials": "n (coordinates)"}
_AXIS = {"steps": "optimizer steps", "batch": "batch size (samples per step)", "samples": "training samples",
         "width": "network width (hidden units)"}


def _who(learner: str, loss: str) -> str:
    return "SQ learner" if learner == "sq-polynomial" else f"GD ({loss} loss)"


def _fit_series(fit: dict[str, Any], budgets: list[int], rows: list[dict[str, Any]], color: str,
                name: str) -> list[Series]:
    out = []
    if fit["slope"] is not None:
        xs = [min(budgets), max(budgets)]
        ys = [math.exp(fit["intercept"]) * x ** fit["slope"] for x in xs]
        ci = "" if fit["slope_ci_low"] is None else f" [{fit['slope_ci_low']:.2f}, {fit['slope_ci_high']:.2f}]"
        out.append(Series(xs, ys, f"{name} fit {fit['slope']:.2f}{ci}", style="--", color=color))
    pred = fit["predicted_slope"]
    anchor = next((r for r in rows if r["threshold"] is not None and r["censored"] is None), None)
    if pred is not None and math.isfinite(pred) and anchor is not None:
        xs = [anchor["budget"], max(budgets)]
        ys = [anchor["threshold"] * (x / anchor["budget"]) ** pred for x in xs]
        out.append(Series(xs, ys, f"{name} CSQ slope ≤ {pred:.2f}", style=":", color=color))
    return out


def _threshold_panel(result: dict[str, Any]) -> Panel:
    series: list[Series] = []
    single = len({(f["learner"], f["loss"]) for f in result["fits"]}) == 1
    for i, fit in enumerate(result["fits"]):
        color = _COLORS[i % len(_COLORS)]
        rows = sorted((t for t in result["thresholds"] if (t["k"], t["learner"], t["loss"]) ==
                       (fit["k"], fit["learner"], fit["loss"])), key=lambda t: t["budget"])
        name = f"k={fit['k']}" if single else f"{_who(fit['learner'], fit['loss'])}, k={fit['k']}"
        ok = [t for t in rows if t["threshold"] is not None and t["censored"] is None]
        if ok:
            below = [max(0.0, t["threshold"] - t["ci_low"]) for t in ok]
            above = [max(0.0, t["ci_high"] - t["threshold"]) for t in ok]
            series.append(Series([t["budget"] for t in ok], [t["threshold"] for t in ok], f"{name} threshold",
                                 style="o-", color=color, yerr=(below, above)))
        up = [t for t in rows if t["censored"] == "above"]
        if up:
            series.append(Series([t["budget"] for t in up], [t["bracket"][1] for t in up],
                                 f"{name} ≥ largest size", style="^", color=color))
        down = [t for t in rows if t["censored"] == "below"]
        if down:
            series.append(Series([t["budget"] for t in down], [t["bracket"][0] for t in down],
                                 f"{name} < smallest size", style="v", color=color))
        series += _fit_series(fit, [t["budget"] for t in rows], rows, color, name)
    who = "" if not single else f" ({_who(result['fits'][0]['learner'], result['fits'][0]['loss'])})"
    panel = Panel(title=f"largest size learned by half of the seeds{who}", xlabel=f"budget: {_AXIS[result['axis']]}",
                  ylabel=f"threshold size: {_SIZE.get(result['family'], 'size')}", series=series, xscale="log",
                  yscale="log")
    if not panel.has_data():
        panel.note = "no threshold inside the size bracket at any budget (see the table)"
    return panel


def _phase_panel(result: dict[str, Any]) -> Panel | None:
    pts = [p for p in result["points"] if p["learner"] == "gd"]
    if not pts:
        return None
    k, loss = pts[0]["k"], pts[0]["loss"]
    pts = [p for p in pts if p["k"] == k and p["loss"] == loss]
    return Panel(title=f"phase diagram, GD ({loss} loss), k = {k}", xlabel=f"budget: {_AXIS[result['axis']]}",
                 ylabel=f"size: {_SIZE.get(result['family'], 'size')}", xscale="log", yscale="log",
                 heatmap=Heatmap([p["budget"] for p in pts], [p["size"] for p in pts],
                                 [min(p["median_error"], 2.0) for p in pts], "median normalized test error",
                                 cmap="viridis_r", vmin=0.0, vmax=1.2, points=True), legend=False)


def _tables(result: dict[str, Any]) -> list[Table]:
    fits = Table(["learner", "k", "fitted slope", "95% CI", "CSQ-predicted slope (upper bound)", "why"],
                 [[_who(f["learner"], f["loss"]), str(f["k"]),
                   "–" if f["slope"] is None else f"{f['slope']:.2f}",
                   "–" if f["slope_ci_low"] is None else f"[{f['slope_ci_low']:.2f}, {f['slope_ci_high']:.2f}]",
                   "none" if f["predicted_slope"] is None else f"{f['predicted_slope']:.3g}", f["predicted_formula"]]
                  for f in result["fits"]], caption="Slope of log threshold against log budget (fit over uncensored budgets).")
    rows = []
    for t in sorted(result["thresholds"], key=lambda t: (t["learner"], t["loss"], t["k"], t["budget"])):
        thr = "–" if t["threshold"] is None else str(t["threshold"])
        cens = {"above": " (≥, censored)", "below": " (< smallest size)"}.get(t["censored"], "")
        b = t.get("bound_log10_queries")
        q = t.get("budget_log10_queries")
        rows.append([_who(t["learner"], t["loss"]), str(t["k"]), str(t["budget"]), thr + cens,
                     "–" if t["ci_low"] != t["ci_low"] else f"[{t['ci_low']:.0f}, {t['ci_high']:.0f}]",
                     "vacuous" if b is None or b != b else f"{b:.2f}", "–" if q is None else f"{q:.2f}"])
    bounds = Table(["learner", "k", "budget", "threshold", "95% CI", "log10 certified bound at the threshold",
                    "log10 GD budget (T·p CSQ queries)"], rows,
                   caption="The certified whole-class bound at the threshold size, at the run's tolerance 1/√b, next to "
                           "what the run spent in CSQ units. A bound below the budget does not say the run must fail "
                           "(the bound is a lower bound for learning the whole class).")
    return [fits, bounds]


def frontier_section(result: dict[str, Any]) -> Section:
    """The report section of one frontier result (``frontier.json``)."""
    fam, axis = result["family"], result["axis"]
    base = result["base_budget"]
    title = (f"Frontier of {fam} (hard class) along {axis}: seeds {len(result['seeds'])}, lrs {result['lrs']}, "
             f"base {base['steps']} steps × batch {base['batch_size']}")
    panels = [_threshold_panel(result)]
    phase = _phase_panel(result)
    figures = [Figure(f"frontier-{fam}-{axis}", title, panels[:1],
                      caption="Threshold = largest size at which at least half of the seeds reach normalized test error "
                              f"< {result['error_threshold']:g} (lr chosen on validation data); bars: bootstrap 95% "
                              "interval over seeds; dotted: the slope the CSQ bound allows at most.")]
    if phase is not None:
        figures.append(Figure(f"frontier-{fam}-{axis}-phase", title, [phase],
                              caption="Colour: median normalized test error over seeds at each point the bisections "
                                      "evaluated (blank: not evaluated)."))
    text = (f"`symhard frontier {fam} --axis {axis}{' --quick' if result.get('quick') else ''}`: "
            f"{result['computed_points']} points computed, {result['reused_points']} read back from the store. "
            "How the largest learnable size grows with the budget is the measured counterpart of the CSQ lower "
            "bound; the predicted slopes and their assumptions are in docs/frontier.md.")
    return Section(title=f"Theory meets experiment: {fam} along {axis}", text=text, tables=_tables(result),
                   figures=figures, anchor=f"frontier-{fam}-{axis}")
