r"""The figure of a ``symhard bench`` result, as data (:class:`~symhard.sections.Figure`).

Two panels over the swept hardness parameter:

1. the normalized test error (MSE / E[y²], zero predictor = 1) of the user's model or learner and
   of the built-in gradient-descent baseline: median over seeds, error bars to the quartiles
   (per seed the lr with the smallest validation error, as :mod:`symhard.bench` chooses it);
2. ``log10`` of the family's lower bound at :math:`\tau = 1/\sqrt{b}` and ``log10`` of the
   baseline's budget as CSQ queries (steps × parameters), since a :class:`~symhard.sections.Panel`
   has one y axis. Where the bound is vacuous at every value and no budget was recorded, the
   panel says so instead of drawing an empty axis.

The CLI (``symhard bench --out``) renders it with :func:`symhard.report.render.render_figure`.
"""

from __future__ import annotations

import math
from typing import Any

from ..sections import Figure, Panel, Series

__all__ = ["bench_figure"]

_STYLE = {"user": ("o-", "tab:blue"), "baseline": ("s--", "tab:gray")}


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _group(result: Any) -> str:
    """The group of the records, with ``:<value>`` written ``:<param>`` when it follows the sweep.

    It follows the sweep only when every record's group ends with that record's value and the values
    differ (``symmetric:4``, ``symmetric:6`` at n = 4, 6 -> ``symmetric:n``); a group that merely happens
    to end with the value at one size (``symmetric:4`` on the nodes at d = 4) keeps its number.
    """
    pairs = [(str(r.get("group", "")), str(r.get("param_value"))) for r in result.records]
    follows = len({v for _, v in pairs}) > 1 and all(g.endswith(f":{v}") for g, v in pairs)
    names = [g[: -len(v)] + result.param_name if follows else g for g, v in pairs]
    return ", ".join(dict.fromkeys(n for n in names if n)) or "not stated by the task"


def _xlabel(result: Any) -> str:
    """``d (feature dimension)``: the task's declared help for its hardness parameter, when it has one."""
    from ..families.base import get_task

    try:
        spec = get_task(result.family)
    except Exception:  # noqa: BLE001 - a plugin task may be gone; the label falls back
        spec = None
    help_ = spec.param.help if spec is not None and spec.param is not None else "hardness parameter"
    return f"{result.param_name} ({help_})"


def _error_panel(result: Any) -> Panel:
    p = Panel(title="test error: your model against the GD baseline", xlabel=_xlabel(result),
              ylabel="normalized test error (MSE / E[y²], dimensionless)", hlines=[(1.0, "zero predictor (error 1)")])
    top = 1.1
    for who in ("user", "baseline"):
        rows = [r for r in result.summary if r["learner"] == who]
        if not rows:
            continue
        med = [_num(r["median_test_error"]) for r in rows]
        q25 = [_num(r["q25_test_error"]) for r in rows]
        q75 = [_num(r["q75_test_error"]) for r in rows]
        top = max([top] + [q * 1.05 for q in q75 if math.isfinite(q)])
        names = list(dict.fromkeys(str(r["name"]) for r in rows))  # the baseline's width may follow the value
        name = " / ".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]}"
        if who == "user" and not all(r["invariant"] for r in rows):
            name += " (NOT invariant)"
        label = f"{'yours' if who == 'user' else 'baseline'}: {name} (median, quartiles over seeds)"
        style, color = _STYLE[who]
        p.series.append(Series([r["param_value"] for r in rows], med, label, style, color,
                               yerr=([m - lo for m, lo in zip(med, q25)], [hi - m for m, hi in zip(med, q75)])))
    p.ylim = (0.0, top)
    if not p.has_data():
        p.note = "No finite test error: every run diverged."
    return p


def _bound_panel(result: Any) -> Panel:
    tau = _num(result.config.get("tau"))
    p = Panel(title=f"lower bound and the baseline's budget (τ = {tau:.3g})",
              xlabel=_xlabel(result), ylabel="log10 number of queries (count)")
    bounds: dict[int, float] = {}
    for r in result.records:
        lb = r.get("lower_bound") or {}
        bounds[int(r["param_value"])] = _num(lb.get("log10_queries"))
    xs = sorted(bounds)
    p.series.append(Series(xs, [bounds[x] for x in xs], f"family lower bound, log10 queries at τ = {tau:.3g}",
                           "^--", "tab:red"))
    spent = {int(k): _num(v) for k, v in (result.config.get("baseline_queries_spent") or {}).items()}
    if spent:
        sx = sorted(spent)
        p.series.append(Series(sx, [math.log10(spent[x]) if spent[x] > 0 else math.nan for x in sx],
                               "baseline GD as CSQ: log10(steps × parameters)", "o:", "black"))
    vac = [x for x in xs if not math.isfinite(bounds[x])]
    if vac:
        p.note = (f"The family's bound is vacuous (zero queries) at τ = {tau:.3g} for {result.param_name} in {vac}: "
                  "at these sizes it does not forbid learning.")
    return p


def bench_figure(result: Any) -> Figure:
    """The figure of a :class:`symhard.bench.BenchResult` (data; file stem ``bench``)."""
    cfg = result.config
    role = cfg.get("role", "hard")
    budget = (f"{cfg['budget_samples']} samples, {cfg['budget_steps']} steps × batch {cfg['batch_size']}, "
              f"{len(cfg['seeds'])} seed(s)")
    title = (f"symhard bench: family {result.family}; role {role} ({'hard class' if role == 'hard' else 'control'}); "
             f"group {_group(result)}; budget {budget}")
    caption = ("Left: median over seeds of the normalized test error (zero predictor = 1), error bars to the "
               "quartiles; per seed the learning rate with the smallest validation error. Both learners get the same "
               "training set, steps and batch size; only the model differs. Right: the family's lower bound at "
               "τ = 1/√batch next to the baseline's budget counted as correlational queries (steps × parameters, "
               "a heuristic correspondence); where the bound is above the budget, no CSQ algorithm with that "
               "budget learns the whole class.")
    return Figure(name="bench", title=title, panels=[_error_panel(result), _bound_panel(result)], caption=caption)
