"""``symhard run SPEC``: a resumable sweep into the result store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ._choices import PRECISION_HELP, Precision
from ._common import apply_limits, max_memory_option, print_json


def _fmt(v: object, nan: str = "nan") -> str:
    if isinstance(v, float) and v != v:
        return nan
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def print_summary(summary, as_json: bool) -> None:
    """Print a :class:`~symhard.experiments.runner.RunSummary` as JSON or as a table."""
    if as_json:
        print_json(summary.to_dict())
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{summary.spec}: best test error over the lr grid, per seed (zero predictor = 1)")
    for col in ("series", "role", "param", "mean", "min", "max", "success", "log10 GD-CSQ", "log10 bound"):
        t.add_column(col)
    for r in summary.table:
        t.add_row(r["series"], r["role"], f"{r['param_name']}={r['param_value']}", _fmt(r["mean_error"]),
                  _fmt(r["min_error"]), _fmt(r["max_error"]), f"{r['success_rate']:.0%}",
                  _fmt(r["log10_csq_queries"]), _fmt(r["bound_log10_queries"], nan="vacuous"))
    c = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    c.print(t)
    c.print(f"{summary.ran} chunk(s) run, {summary.skipped} already finished, {summary.seconds:.1f}s.")
    from ._plan import estimate_line

    if (line := estimate_line(summary.estimate)) is not None:
        c.print(line)
    c.print(f"results: {summary.out_dir / 'runs'} (runs), {summary.out_dir / 'curves'} (curves)")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("run")
    def run(
        spec: str = typer.Argument(..., help="A built-in spec name (boolean, gnn-degree-parity, gnn-features, cnn, frames, polynomials) or a TOML file."),
        quick: bool = typer.Option(False, "--quick", help="Use the spec's [quick] overrides (small sweep, minutes on a CPU)."),
        out: Path = typer.Option(Path("symhard-results"), "--out", help="Results root; the run writes into OUT/<spec>[-quick]/."),
        executor: str = typer.Option("serial", "--executor", help="serial | process | ray."),
        address: str = typer.Option(None, "--address", help="Ray cluster address ('auto' joins a running cluster); without it Ray starts locally."),
        device: str = typer.Option("cpu", "--device", help="auto | cpu | cuda."),
        precision: Precision = typer.Option(Precision.fp32, "--precision", help=PRECISION_HELP),
        workers: int = typer.Option(None, "--workers", min=1, help="Processes (or local Ray CPUs); default: all cores, at most the CPU count."),
        threads: int = typer.Option(1, "--threads", min=1, help="Torch threads per chunk (1 is fastest for these small ensembles); at most the CPU count."),
        repair: bool = typer.Option(False, "--repair", help="Move files that fail the folder's integrity check into <folder>/quarantine/ and recompute exactly what is missing."),
        force: bool = typer.Option(False, "--force", help="Move every result of the folder into <folder>/quarantine/ and recompute everything."),
        plan: bool = typer.Option(False, "--plan", help="Print the chunks, their estimated time and memory on this machine "
                                  "(a short calibration) and what OUT already holds; run nothing, write nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        max_memory: Optional[float] = max_memory_option(),
    ) -> None:
        """Run (or resume) a sweep: every chunk is one ensemble of seeds x learning rates.

        Resumable and idempotent: a rerun verifies the folder (checksums in its manifest) and
        computes only the chunks it lacks. Ctrl-C stops cleanly; rerun the same command to resume.
        """
        from ..experiments.runner import default_out_dir, run_spec
        from ..experiments.spec import load_spec
        from ..experiments.store import read_manifest

        apply_limits(max_memory)
        spec_obj = load_spec(spec, quick=quick)
        folder = default_out_dir(spec_obj, out)
        if plan:
            from ..experiments.executors import check_executor
            from ..experiments.plan import plan_run
            from ._plan import print_plan

            check_executor(executor, workers=workers, threads=threads, address=address)
            return print_plan(plan_run(spec_obj, out_dir=folder, device=device, precision=precision.value,
                                       threads=threads), as_json)
        try:
            summary = run_spec(spec_obj, out_dir=folder, executor=executor, device=device, workers=workers,
                               address=address, threads=threads, progress=not as_json, repair=repair, force=force,
                               precision=precision.value, estimate=True)
        except KeyboardInterrupt:
            from . import note_interrupt

            try:
                kept = len(read_manifest(folder)["chunks"])
            except Exception:  # noqa: BLE001 - the note is a courtesy; the interrupt must go on
                kept = None
            if kept is not None:
                note_interrupt(f"{kept} finished chunk(s) are saved in {folder}; rerun the same command to resume")
            raise
        for q in summary.quarantined:
            print(f"symhard: moved files that failed the integrity check (or --force) aside into {q}", file=sys.stderr)
        print_summary(summary, as_json)
