r"""From the evaluated points to thresholds with intervals, slope fits, predictions and the bound-vs-budget table.

Per line: the evaluated sizes and, at each, the per-seed errors of the learning rate chosen on
validation data; success = error below the threshold (0.1). The threshold is the monotone
envelope of :func:`symhard.frontier.stats.line_threshold`; the interval a percentile bootstrap
over seeds, with the **same** seed resamples for every budget of one (learner, loss, k), so that
the slope's interval (:func:`symhard.frontier.stats.fit_slope`) sees how the thresholds move
together. Censored lines are reported with their side and left out of the fit.

The JSON (``frontier.json``) has the keys the CLI prints with ``--json``::

    {"family", "axis", "thresholds": [{"k", "budget", "threshold", "ci_low", "ci_high", "seeds", ...}],
     "fits": [{"k", "slope", "slope_ci_low", "slope_ci_high", "predicted_slope", ...}], ...}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import Line, Plan
from .predict import predicted_slope
from .runner import FrontierRun
from .stats import bootstrap_thresholds, fit_slope, line_threshold, percentile_interval, seed_resamples

__all__ = ["analyze"]

_BOOT = 2000


def _censored(sizes: list[int], success: np.ndarray, lo: int, hi: int) -> str | None:
    rates = success.mean(axis=1)
    if sizes and sizes[0] == lo and rates[0] < 0.5:
        return "below"
    if sizes and sizes[-1] == hi and (rates >= 0.5).all():
        return "above"
    return None


def _line_data(run: FrontierRun, plan: Plan, label: str) -> tuple[list[int], np.ndarray, np.ndarray]:
    search = run.searches[label]
    sizes = sorted(search.outcomes)
    errors = np.array([search.outcomes[s] for s in sizes], dtype=float).reshape(len(sizes), -1)
    success = np.where(np.isfinite(errors), errors, np.inf) < plan.error_threshold
    return sizes, errors, success


def _bound_at(run: FrontierRun, plan: Plan, line: Line, size: int | None) -> dict[str, Any]:
    """The certified bound of the class and the run's CSQ budget at ``size`` (from the stored rows)."""
    if size is None:
        return {}
    chunk_rows = [rows for rows in run.rows.values() if rows and rows[0]["series"] == line.label
                  and rows[0]["param_value"] == size]
    if not chunk_rows:
        return {}
    r = chunk_rows[0][0]
    log_q = r["log10_csq_queries"]
    return {"bound_log10_queries": r["bound_log10_queries"], "bound_tau": r["bound_tau"],
            "budget_log10_queries": log_q if log_q == log_q else None,
            "budget_queries_asked": r["csq_queries"], "budget_tau": r["csq_tau"]}


def analyze(run: FrontierRun, plan: Plan) -> dict[str, Any]:
    """Thresholds (with bootstrap intervals), fits with predicted slopes, and the evaluated points."""
    resamples = seed_resamples(len(plan.seeds), _BOOT, seed=0)
    thresholds, points = [], []
    groups: dict[tuple[str, str, int], list[tuple[Line, Any, np.ndarray, str | None]]] = {}
    for label, line in run.lines.items():
        sizes, errors, success = _line_data(run, plan, label)
        lo, hi = plan.bracket(line.k)
        t = line_threshold(sizes, success) if sizes else None
        cens = _censored(sizes, success, lo, hi)
        boot = bootstrap_thresholds(sizes, success, resamples) if sizes else np.full(_BOOT, np.nan)
        ci = percentile_interval(boot)
        thresholds.append({
            "k": line.k, "budget": line.budget, "threshold": t, "ci_low": ci[0], "ci_high": ci[1],
            "seeds": len(plan.seeds), "learner": line.learner, "loss": line.loss, "censored": cens,
            "bracket": [lo, hi], "evaluated": len(sizes), **_bound_at(run, plan, line, t),
        })
        groups.setdefault((line.learner, line.loss, line.k), []).append((line, t, boot, cens))
        for s, e, ok in zip(sizes, errors, success):
            points.append({"k": line.k, "budget": line.budget, "learner": line.learner, "loss": line.loss, "size": s,
                           "errors": [None if not math.isfinite(x) else float(x) for x in e],
                           "success_rate": float(ok.mean()), "median_error": float(np.median(e))})
    fits = []
    for (learner, loss, k), items in sorted(groups.items()):
        items.sort(key=lambda it: it[0].budget)
        budgets = [it[0].budget for it in items]
        fit = fit_slope(budgets, [it[1] for it in items], np.stack([it[2] for it in items], axis=1),
                        censored=[it[3] for it in items])
        pred = predicted_slope(plan.task, k, plan.axis, learner=learner, loss=loss)
        fits.append({"k": k, "slope": fit.slope, "slope_ci_low": fit.slope_ci_low, "slope_ci_high": fit.slope_ci_high,
                     "predicted_slope": pred.slope, "predicted_formula": pred.formula, "regime": pred.regime,
                     "learner": learner, "loss": loss, "points": fit.points, "intercept": fit.intercept})
    return {"family": plan.task, "axis": plan.axis, "thresholds": thresholds, "fits": fits, "points": points,
            "error_threshold": plan.error_threshold, "seeds": list(plan.seeds), "lrs": list(plan.lrs),
            "base_budget": {"steps": plan.steps, "batch_size": plan.batch_size, "train_size": plan.train_size,
                            "width_multiple": plan.width_multiple}, "k_option": plan.k_option,
            "computed_points": run.computed, "reused_points": run.reused, "seconds": round(run.seconds, 2)}
