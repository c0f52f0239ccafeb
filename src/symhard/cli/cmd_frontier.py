"""``symhard frontier FAMILY``: the largest size learned at each budget, fitted against the budget (docs/frontier.md)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Optional

import typer

from ._choices import PRECISION_HELP, Device, Executor, Precision
from ._common import apply_limits, max_memory_option, print_json


class Axis(str, enum.Enum):
    """The budget axis of a frontier."""

    steps = "steps"
    batch = "batch"
    samples = "samples"
    width = "width"


def _losses(values: Optional[list[str]]) -> Optional[tuple[str, ...]]:
    if not values:
        return None
    return tuple(t.strip() for v in values for t in v.split(",") if t.strip())


def _print_result(result: dict, figures: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    c = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    t = Table(title=f"frontier of {result['family']} along {result['axis']}: largest size learned by half of "
                    f"{len(result['seeds'])} seeds (error < {result['error_threshold']:g})")
    for col in ("learner", "k", "budget", "threshold", "95% CI", "sizes tried"):
        t.add_column(col)
    for r in sorted(result["thresholds"], key=lambda r: (r["learner"], r["loss"], r["k"], r["budget"])):
        who = "SQ learner" if r["learner"] == "sq-polynomial" else f"GD {r['loss']}"
        thr = "–" if r["threshold"] is None else str(r["threshold"])
        thr += {"above": " (≥, censored)", "below": " (< smallest)"}.get(r["censored"], "")
        ci = "–" if r["ci_low"] != r["ci_low"] else f"[{r['ci_low']:.0f}, {r['ci_high']:.0f}]"
        t.add_row(who, str(r["k"]), str(r["budget"]), thr, ci, str(r["evaluated"]))
    c.print(t)
    for f in result["fits"]:
        who = "SQ learner" if f["learner"] == "sq-polynomial" else f"GD {f['loss']}"
        slope = "not enough uncensored budgets" if f["slope"] is None else f"{f['slope']:.2f}"
        if f["slope_ci_low"] is not None:
            slope += f" [{f['slope_ci_low']:.2f}, {f['slope_ci_high']:.2f}]"
        pred = "none" if f["predicted_slope"] is None else f"<= {f['predicted_slope']:.3g}"
        c.print(f"{who}, k = {f['k']}: fitted slope {slope}; CSQ-predicted {pred} ({f['predicted_formula']})")
    c.print(f"{result['computed_points']} points computed, {result['reused_points']} reused, {result['seconds']:.0f} s; "
            f"results: {result['out_dir']}/frontier.json" + (f", figures: {', '.join(map(str, figures))}" if figures else ""))


def _plan(family: str, axis: str, quick: bool, losses: Optional[tuple[str, ...]], out: Path, device: str,
          precision: str, threads: int, as_json: bool) -> None:
    from ..frontier import frontier_dir
    from ..frontier.config import plan_for
    from ..frontier.runner import plan_points
    from ._plan import print_plan

    plan = plan_for(family, axis, quick, losses)
    folder = frontier_dir(out, plan.task, plan.axis, quick)
    print_plan(plan_points(plan, folder, device=device, precision=precision, threads=threads), as_json)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("frontier")
    def frontier(
        family: str = typer.Argument(..., help="boolean, gnn-features, gnn-degree-parity or polynomials."),
        quick: bool = typer.Option(True, "--quick/--full", help="Quick (minutes on a CPU) or full (sized for a GPU)."),
        axis: Axis = typer.Option(Axis.steps, "--axis", help="The budget that varies; the others stay at their base."),
        loss: Optional[list[str]] = typer.Option(None, "--loss", help="Training loss(es): square, l1, huber "
                                                 "(comma-separated or repeated; default square, and square,l1 for polynomials)."),
        out: Path = typer.Option(Path("symhard-results"), "--out", help="Results root; writes OUT/frontier/<family>-<axis>[-quick]/."),
        executor: Executor = typer.Option(Executor.serial, "--executor", help="Where the points run."),
        address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address (with --executor ray)."),
        device: Device = typer.Option(Device.cpu, "--device", help="auto | cpu | cuda."),
        precision: Precision = typer.Option(Precision.fp32, "--precision", help=PRECISION_HELP),
        workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes (or local Ray CPUs)."),
        threads: int = typer.Option(1, "--threads", min=1, help="Torch threads per point."),
        force: bool = typer.Option(False, "--force", help="Recompute every point (old results moved aside)."),
        repair: bool = typer.Option(False, "--repair", help="Move files that fail the integrity check aside, recompute them."),
        plan: bool = typer.Option(False, "--plan", help="Print the points, their estimated time and memory on this machine "
                                  "(a short calibration) and what OUT already holds; run nothing, write nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (nothing else on stdout)."),
        max_memory: Optional[float] = max_memory_option(),
    ) -> None:
        """Measure the learnability frontier: per k and budget, the largest size learned by half of the seeds
        (bisection on the size, bootstrap intervals over seeds), the fitted slope of log threshold against log
        budget, and the slope the CSQ bound allows. Resumable; parallel through --executor."""
        from ..frontier import run_frontier
        from ..frontier.section import frontier_section

        if plan:
            return _plan(family, axis.value, quick, _losses(loss), out, device.value, precision.value, threads, as_json)
        from ..report.render import render_figure

        from ._progress import reporter

        apply_limits(max_memory)
        with reporter("frontier") as progress:
            result = run_frontier(family, axis=axis.value, quick=quick, losses=_losses(loss), out=out,
                                  executor=executor.value, workers=workers, address=address, device=device.value,
                                  threads=threads, force=force, repair=repair, progress=progress,
                                  precision=precision.value)
        section = frontier_section(result)
        figures = [p for fig in section.figures for p in render_figure(fig, result["out_dir"])]
        if as_json:
            keys = ("family", "axis", "thresholds", "fits", "quick", "out_dir", "seeds", "error_threshold",
                    "computed_points", "reused_points", "seconds")
            print_json({k: result[k] for k in keys} | {"figures": [str(p) for p in figures]})
        else:
            _print_result(result, figures)
