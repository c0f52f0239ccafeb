r"""The experiment part of the report, as data: one :class:`~symhard.sections.Section` per spec folder.

For a spec folder (``<root>/<spec>/``) the section holds three figures, a table and the text
that says how to read them:

1. **error** (``exp-<spec>-error``): per series, the normalized test error
   :math:`\mathrm{MSE}/E[y^2]` (zero predictor = 1) against the hardness parameter, hard class
   and control in the same panel: per seed the test error of the lr chosen on validation data; the line is the
   mean over seeds, the band the min–max over seeds, the dots every seed; below, the success
   rate (fraction of seeds with error below the threshold). The error axis is logarithmic
   between ``FLOOR`` and ``CEIL``: smaller errors are drawn at the floor, diverged runs at the
   ceiling, and the panel says how many were;
2. **curves** (``exp-<spec>-curves``): test error against the optimizer step, mean over seeds of
   each seed's best-lr member, one colour per value, solid hard and dashed control. A series
   without curves (a sample learner such as the SQ learner, which takes no steps) gets no panel,
   and the caption says so;
3. **bound** (``exp-<spec>-bound``): ``log10`` of the family's CSQ lower bound at tolerance
   :math:`\tau` next to ``log10`` of the run's budget as a CSQ algorithm (gradient descent:
   steps × parameters queries of tolerance :math:`\approx 1/\sqrt{b}`,
   :func:`symhard.queries.bounds.gd_as_csq`; the SQ learner: the statistical queries it asked,
   which are not correlational, so the CSQ bound does not bind it).

Every figure title names the family, the roles, the group and the budget; every comparison
says what it holds fixed. Nothing is drawn here (:mod:`symhard.report.render` draws).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..sections import Figure, Panel, Section, Series, Table
from ._experiment_data import ExperimentData, SeriesInfo, load_experiment, spec_folders

__all__ = ["spec_folders", "experiment_section", "experiment_sections", "error_figure", "curves_figure",
           "bound_figure", "results_table", "comparisons", "FLOOR", "CEIL"]

#: The normalized-error axis: errors below FLOOR are drawn at FLOOR, diverged runs at CEIL.
FLOOR, CEIL = 1e-4, 10.0
COLORS = {"hard": "tab:red", "control": "tab:blue"}
STYLES = {"hard": "o-", "control": "s--"}
ERROR_LABEL = "normalized test error (MSE / E[y²], dimensionless)"


def _clip(errors: list[float]) -> tuple[np.ndarray, int, int]:
    """Errors for a log axis in [FLOOR, CEIL] (inf = diverged -> CEIL) and how many were clipped below/above."""
    e = np.asarray(errors, dtype=float)
    low = int((e < FLOOR).sum())
    high = int((e > CEIL).sum())
    return np.clip(e, FLOOR, CEIL), low, high


def _clip_note(low: int, high: int) -> str:
    parts = []
    if low:
        parts.append(f"{low} seed error(s) below {FLOOR:g} drawn at {FLOOR:g} (the axis floor)")
    if high:
        parts.append(f"{high} error(s) above {CEIL:g} or diverged drawn at {CEIL:g}")
    return "Clipped: " + "; ".join(parts) + "." if parts else ""


def _title(d: ExperimentData, what: str, roles: str, series: list[SeriesInfo] | None = None) -> str:
    """``<spec>: <what>. Family ...; <roles>; group ...; budget ...`` over ``series`` (default: all)."""
    series = d.series if series is None else series
    fams = ", ".join(dict.fromkeys(s.task for s in series))
    groups = ", ".join(dict.fromkeys(s.group_text for s in series))
    budgets = list(dict.fromkeys(d.budget(s) for s in series))
    budget = budgets[0] if len(budgets) == 1 else "; ".join(f"'{s.name}': {d.budget(s)}" for s in series)
    return f"{d.name}: {what}. Family {fams}; {roles}; {groups}; budget {budget}"


def _roles_phrase(d: ExperimentData) -> str:
    roles = {r for s in d.series for r in d.roles(s.name)}
    return "hard class vs control" if roles == {"hard", "control"} else f"{'hard class' if 'hard' in roles else 'control'} only"


def _error_panels(d: ExperimentData, s: SeriesInfo) -> tuple[Panel, Panel, int, int, float]:
    """The error panel and the success panel of one series (plus clipped counts and the largest mean)."""
    err = Panel(title=f"'{s.name}': {s.task} ({'gradient descent' if s.is_gd else s.learner})", xlabel=s.xlabel,
                ylabel=ERROR_LABEL, yscale="log", ylim=(FLOOR / 2, CEIL * 1.5),
                hlines=[(1.0, "zero predictor (error 1)"), (d.threshold, f"success threshold {d.threshold:g}")])
    ok = Panel(title=f"'{s.name}': success rate", xlabel=s.xlabel, ylim=(-0.05, 1.05),
               ylabel=f"success rate (fraction of seeds, error < {d.threshold:g})")
    n_low = n_high = 0
    worst = 0.0
    for role in d.roles(s.name):
        vals = d.values(s.name, role)
        clipped = []
        for v in vals:
            c, lo, hi = _clip(d.settings[(s.name, role, v)].errors())
            clipped.append(c)
            n_low, n_high = n_low + lo, n_high + hi
        mean = [float(c.mean()) for c in clipped]
        worst = max([worst, *mean])
        label = s.role_label(role)
        err.series.append(Series(vals, mean, f"{label} (mean over seeds)", STYLES[role], COLORS[role],
                                 band=([float(c.min()) for c in clipped], [float(c.max()) for c in clipped])))
        xs = [v for v, c in zip(vals, clipped) for _ in c]
        err.series.append(Series(xs, [float(x) for c in clipped for x in c], f"{role}: each seed", ".", COLORS[role]))
        rate = [float(np.mean([e < d.threshold for e in d.settings[(s.name, role, v)].errors()])) for v in vals]
        ok.series.append(Series(vals, rate, label, STYLES[role], COLORS[role]))
    err.note = _clip_note(n_low, n_high)
    return err, ok, n_low, n_high, worst


def error_figure(d: ExperimentData) -> Figure:
    """Figure 1: error and success rate against the hardness parameter, one column per series."""
    tops, bottoms, worst = [], [], 0.0
    for s in d.series:
        err, ok, _, _, w = _error_panels(d, s)
        tops.append(err)
        bottoms.append(ok)
        worst = max(worst, w)
    cap = ["Top: normalized test error = test MSE / E[y²] (the zero predictor scores 1) against the hardness "
           "parameter. Per seed the test error of the learning rate chosen on validation data; line: mean over seeds; band: min–max "
           "over seeds; dots: each seed. Bottom: fraction of seeds whose error is below "
           f"{d.threshold:g}. The error axis is logarithmic from {FLOOR:g} to {CEIL:g}: smaller errors are drawn at "
           f"{FLOOR:g} and diverged runs at {CEIL:g}; each panel says how many were clipped."]
    if worst > 1.0:
        cap.append(f"Mean errors above 1 (up to {worst:.3g} here) mean a prediction worse than the constant 0: the "
                   "network's output still carries its random initial scale, or it fit its training sample and "
                   "not the target.")
    cap += comparisons(d)
    return Figure(name=f"exp-{d.name}-error", title=_title(d, "test error against the hardness parameter",
                                                           _roles_phrase(d)),
                  panels=tops + bottoms, columns=len(tops), caption=" ".join(cap))


def _curve_index(d: ExperimentData) -> dict[tuple, list[tuple[int, float]]]:
    c = d.curves
    out: dict[tuple, list[tuple[int, float]]] = {}
    for i in range(len(c["step"])):
        key = (c["series"][i], c["role"][i], int(c["param_value"][i]), int(c["seed"][i]), float(c["lr"][i]))
        out.setdefault(key, []).append((int(c["step"][i]), float(c["test_error"][i])))
    return out


def _curve_panel(d: ExperimentData, s: SeriesInfo, index: dict) -> tuple[Panel, float]:
    p = Panel(title=f"'{s.name}': {s.task}, solid hard, dashed control", xlabel="optimizer step (count)",
              ylabel=ERROR_LABEL, yscale="log", hlines=[(1.0, "zero predictor (error 1)")])
    vals = d.values(s.name)
    cmap = _viridis(len(vals))
    step0 = 0.0
    n_low = n_high = 0
    for vi, v in enumerate(vals):
        for role in d.roles(s.name):
            st = d.settings.get((s.name, role, v))
            if st is None:
                continue
            by_step: dict[int, list[float]] = {}
            for seed, (_, lr) in st.best.items():
                for step, e in index.get((s.name, role, v, seed, lr), []):
                    by_step.setdefault(step, []).append(e)
            if not by_step:
                continue
            steps = sorted(by_step)
            raw = [float(np.mean(by_step[t])) if np.isfinite(by_step[t]).all() else math.inf for t in steps]
            shown, lo, hi = _clip(raw)
            n_low, n_high = n_low + lo, n_high + hi
            step0 = max(step0, raw[0] if math.isfinite(raw[0]) else 0.0)
            p.series.append(Series(steps, shown.tolist(), f"{s.param_name}={v} {role}", "-" if role == "hard" else "--",
                                   cmap[vi]))
    p.note = _clip_note(n_low, n_high).replace("seed error(s)", "mean error(s)")
    if not p.series:
        p.note = f"No learning curve was recorded for '{s.name}'."
    return p, step0


def _viridis(n: int) -> list[str]:
    """``n`` colours along viridis, as hex strings (no matplotlib needed)."""
    stops = ["#440154", "#3b528b", "#21918c", "#5ec962", "#b5de2b", "#fde725"]
    if n <= 1:
        return [stops[0]]
    return [stops[round(i * (len(stops) - 1) / (n - 1))] for i in range(n)]


def curves_figure(d: ExperimentData) -> Figure | None:
    """Figure 2: learning curves of the series that have them (``None`` if none has)."""
    with_curves = set(d.curves["series"]) if d.curves.get("step") else set()
    shown = [s for s in d.series if s.name in with_curves]
    if not shown:
        return None
    index = _curve_index(d)
    panels, step0 = [], 0.0
    for s in shown:
        p, s0 = _curve_panel(d, s, index)
        panels.append(p)
        step0 = max(step0, s0)
    cap = ["Test error against the optimizer step: mean over seeds of each seed's best-lr member (the member of "
           "figure 1), one colour per value of the hardness parameter, solid the hard class, dashed the control."]
    if step0 > 1.0:
        cap.append(f"At step 0 the error is that of the untrained network: a wide network's random output has a "
                   f"scale of its own, so the curves start near {step0:.3g}, above the zero predictor's 1; this is "
                   "the initial output scale, not a failure.")
    missing = [s for s in d.series if s.name not in with_curves]
    if missing:
        cap.append("No panel for " + ", ".join(f"'{s.name}' ({s.learner})" for s in missing)
                   + ": it is not trained step by step, so it has no learning curve.")
    return Figure(name=f"exp-{d.name}-curves", title=_title(d, "learning curves", _roles_phrase(d), shown),
                  panels=panels, caption=" ".join(cap))


def _bound_panel(d: ExperimentData, s: SeriesInfo) -> Panel:
    vals = d.values(s.name, "hard")
    sts = [d.settings[(s.name, "hard", v)] for v in vals]
    taus = sorted({round(st.bound_tau, 6) for st in sts if math.isfinite(st.bound_tau)})
    ttxt = ", ".join(f"{t:.3g}" for t in taus) or "?"
    p = Panel(title=f"'{s.name}': {s.task}, hard class", xlabel=s.xlabel, ylabel="log10 number of queries (count)")
    if s.is_gd:
        p.series.append(Series(vals, [st.log10_budget for st in sts], "GD run as CSQ: log10(steps × parameters)",
                               "o-", "black"))
    else:
        p.series.append(Series(vals, [math.log10(st.queries) if st.queries > 0 else math.nan for st in sts],
                               f"{s.learner}: log10 statistical queries asked (not correlational)", "D-", "tab:purple"))
    p.series.append(Series(vals, [st.bound_log10 for st in sts], f"CSQ lower bound of the hard class (τ = {ttxt})",
                           "s-", "tab:red"))
    vac = [v for v, st in zip(vals, sts) if not math.isfinite(st.bound_log10)]
    if vac:
        p.note = (f"The certified CSQ bound is vacuous (zero queries) at τ = {ttxt} for {s.param_name} in {vac}: the "
                  "class is too small or too correlated at these sizes for the bound to say anything.")
    return p


def bound_figure(d: ExperimentData) -> Figure | None:
    """Figure 3: the lower bound next to each hard series' budget (``None`` without a hard series)."""
    shown = [s for s in d.series if "hard" in d.roles(s.name)]
    if not shown:
        return None
    cap = ["log10 of the family's CSQ lower bound for the hard class at tolerance τ, next to the run counted as "
           "queries: gradient descent with p parameters for T steps of batch b is T·p correlational queries of "
           "tolerance ≈ 1/√b (square loss, one standard deviation: a heuristic correspondence, "
           "symhard.queries.bounds.gd_as_csq). Where the bound is above the budget, no CSQ algorithm with that "
           "budget learns the whole class; where it is below, the theory does not forbid learning and a failure "
           "is empirical."]
    if any(not s.is_gd for s in shown):
        cap.append("The SQ learner asks statistical queries that are not correlational: the CSQ bound does not "
                   "apply to it, which is the SQ/CSQ separation.")
    return Figure(name=f"exp-{d.name}-bound",
                  title=_title(d, "lower bound against the budget", "hard class", shown),
                  panels=[_bound_panel(d, s) for s in shown], caption=" ".join(cap))


def _width(d: ExperimentData, s: SeriesInfo) -> str:
    w = s.width if s.width is not None else d.learner.get("width")
    return f"width {w}" if w else f"width {d.learner.get('width_multiple', 0):g} x hidden units"


def _opts(o: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in o.items()) or "none"


def comparisons(d: ExperimentData) -> list[str]:
    """One sentence per comparison of the spec, saying what it changes and what it holds fixed."""
    lrn = d.learner
    steps, batch = int(lrn["steps"]), int(lrn["batch_size"])
    out = []
    if any(len(d.roles(s.name)) == 2 for s in d.series):
        out.append("Hard against control (within a panel): the same training and test inputs, initialization, width, "
                   "steps, batch size and lr grid; only the target differs.")
    refs: dict[str, SeriesInfo] = {}
    for s in d.series:
        ref = refs.setdefault(s.task, s)
        if ref is s:
            continue
        diff, fixed = [], []
        if s.options == ref.options:
            fixed.append(f"task options ({_opts(s.options)})")
        else:
            diff.append(f"task options {_opts(s.options)} instead of {_opts(ref.options)}")
        if s.learner != ref.learner:
            diff.append(f"the learner ({s.learner} instead of {ref.learner})")
        if s.train_size != ref.train_size:
            diff.append(f"{s.train_size} training samples instead of {ref.train_size}")
        else:
            fixed.append(f"{s.train_size} training samples")
        if s.is_gd and ref.is_gd:
            (fixed if _width(d, s) == _width(d, ref) else diff).append(_width(d, s))
            fixed.append(f"{steps} steps × batch {batch}")
        text = f"'{s.name}' against '{ref.name}': changes {', '.join(diff) or 'nothing'}; holds fixed {', '.join(fixed)}."
        if s.is_gd and ref.is_gd and s.train_size != ref.train_size:
            text += (f" With the steps fixed, gradient descent processes at most {steps} × {batch} = {steps * batch} "
                     "examples either way: more data changes how often each is reused, not how many gradient "
                     "steps are taken, so the error need not improve.")
        elif s.is_gd != ref.is_gd:
            sq = ref if s.is_gd else s
            text += (f" The sample learner sees {sq.train_size} samples; gradient descent processes {steps} × {batch} "
                     f"= {steps * batch} examples.")
        out.append(text)
    return out


def results_table(d: ExperimentData) -> Table:
    """One row per (series, role, value): errors, success, budget, the budget as CSQ queries and the bound."""
    head = ["series", "role", "param", "mean error", "spread [min, max]", "success", "budget",
            "log10 budget as CSQ (τ)", "log10 CSQ bound", "bound > budget"]
    rows = []
    lrn = d.learner
    for s in d.series:
        for role in d.roles(s.name):
            for v in d.values(s.name, role):
                st = d.settings[(s.name, role, v)]
                e = np.asarray(st.errors(), dtype=float)
                fin = e[np.isfinite(e)]
                lb = "vacuous" if not math.isfinite(st.bound_log10) else f"{st.bound_log10:.2f}"
                if s.is_gd:
                    budget = f"{lrn['steps']} × {lrn['batch_size']}, N = {st.train_size or 'fresh'}, {st.params} params"
                    as_csq = f"{st.log10_budget:.2f} ({st.tau:.3g})"
                    above = "yes" if math.isfinite(st.bound_log10) and st.bound_log10 > st.log10_budget else "no"
                else:
                    budget = f"{st.train_size} samples, {st.queries:.3g} SQ queries"
                    as_csq, above = "– (SQ, not CSQ)", "n/a (SQ learner)"
                if role != "hard":  # the bound is a statement about the hard class
                    lb, above = "– (bound of the hard class)", "–"
                rows.append([s.name, role, f"{s.param_name}={v}", f"{fin.mean():.3g}" if fin.size else "diverged",
                             f"[{fin.min():.3g}, {fin.max():.3g}]" if fin.size else "–",
                             f"{(e < d.threshold).mean():.0%} of {e.size}", budget, as_csq, lb, above])
    return Table(head, rows, caption="Per seed the test error of the lr chosen on validation data; mean and spread over seeds.")


def _text(d: ExperimentData) -> str:
    spec, man, lrn = d.spec, d.manifest, d.learner
    width = f"width {lrn['width']}" if lrn.get("width") else f"width {lrn['width_multiple']:g} x target hidden units"
    data = f"{lrn['train_size']} training samples" if lrn["train_size"] else "fresh samples every step"
    lines = [spec.get("description", "")] if spec.get("description") else []
    lines.append(f"Gradient descent: {lrn['optimizer']} over lrs {lrn['lrs']}, {width}, {lrn['steps']} steps of batch "
                 f"{lrn['batch_size']}, {data}; {spec['test_size']} test samples; seeds {spec['seeds']}. "
                 f"Error = test MSE / E[y²] (zero predictor = 1); per seed the error of the lr chosen on "
                 f"a validation split of the training data (never on the test set); success = error < {d.threshold:g}. "
                 f"Spec hash {man['spec_hash']}, git {str(man.get('git_commit'))[:10]}.")
    for s in d.series:
        if not s.is_gd:
            lines.append(f"Series '{s.name}' runs {s.learner} instead: its budget is {s.train_size} samples and the "
                         "statistical queries it asks (table), not steps.")
    lines.append("Series: " + "; ".join(f"'{s.name}': task {s.task}, {s.group_text}, control = "
                                        f"{s.control or 'the task control target'}" for s in d.series) + ".")
    comp = comparisons(d)
    if comp:
        lines.append("What each comparison holds fixed:\n\n" + "\n".join(f"- {c}" for c in comp))
    formulas = sorted({st.bound_formula for k, st in d.settings.items() if k[1] == "hard" and st.bound_formula})
    if formulas:
        lines.append("Lower bound formula(s): " + "; ".join(formulas))
    return "\n\n".join(lines)


def experiment_section(folder: str | Path) -> Section:
    """The section of one spec folder: text, the results table and the figures (data only)."""
    d = load_experiment(folder)
    quick = " (quick)" if d.manifest.get("quick") else ""
    title = f"Experiment `{d.manifest.get('spec_name', d.name)}`{quick}"
    sec = Section(title=title, anchor=f"experiment-{d.name}")
    if not d.settings:
        sec.text = "No finished chunk yet."
        return sec
    sec.text = _text(d)
    sec.tables.append(results_table(d))
    figs = [error_figure(d), curves_figure(d), bound_figure(d)]
    sec.figures = [f for f in figs if f is not None]
    if figs[1] is None:
        sec.text += "\n\nNo learning curves: no series of this spec is trained step by step."
    return sec


def experiment_sections(root: str | Path) -> list[Section]:
    """One section per spec folder under ``root`` (or of ``root`` itself)."""
    return [experiment_section(f) for f in spec_folders(root)]
