"""``symhard reproduce``: every built-in experiment, then every family's certificates, into one report."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from ._common import print_json


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("reproduce")
    def reproduce(
        quick: bool = typer.Option(True, "--quick/--full", help="Small sweeps and sizes (minutes on a CPU) or the full ones (a GPU or a cluster)."),
        out: Path = typer.Option(Path("symhard-results"), "--out", help="Output folder for report.md, report.html, figures and results."),
        experiments: bool = typer.Option(True, "--experiments/--no-experiments", help="Run the built-in experiment specs (resumable) before the report."),
        specs: str = typer.Option("", "--specs", help="Comma-separated built-in specs to run (default: all)."),
        executor: str = typer.Option("serial", "--executor", help="serial | process | ray (for the experiments)."),
        address: str = typer.Option(None, "--address", help="Ray cluster address ('auto' joins a running cluster)."),
        device: str = typer.Option("cpu", "--device", help="auto | cpu | cuda (for the experiments)."),
        workers: int = typer.Option(None, "--workers", min=1, help="Processes (or local Ray CPUs); default: all cores."),
        as_json: bool = typer.Option(False, "--json", help="Print the written paths and the errors as JSON (nothing else on stdout)."),
    ) -> int:
        """Write OUT/report.md and OUT/report.html: every built-in experiment (hard class against
        its control, error against the hardness parameter, learning curves, bound against the
        run's CSQ budget) and every family's certificate table, text and figures.

        Experiments are resumable: a rerun skips finished chunks. A spec or family that fails is
        reported as an error line; the command then exits with status 1.
        """
        from ..errors import SymhardError
        from ..report.document import FIGURE_DIR, SectionError, collect_sections, write_experiment_report
        from ..experiments.runner import default_out_dir, run_spec
        from ..experiments.spec import builtin_spec_names, load_spec

        def say(msg: str) -> None:  # progress: stdout normally, stderr with --json (stdout is the JSON)
            print(msg, file=sys.stderr if as_json else sys.stdout, flush=True)

        errors = []
        if experiments:
            names = builtin_spec_names() if not specs else [s.strip() for s in specs.split(",") if s.strip()]
            for name in names:
                t0 = time.perf_counter()
                try:
                    spec = load_spec(name, quick=quick)
                    summary = run_spec(spec, out_dir=default_out_dir(spec, out), executor=executor, device=device,
                                       workers=workers, address=address)
                except SymhardError as err:
                    errors.append(SectionError(family=f"experiment {name}", error=" ".join(str(err).split())))
                    continue
                except Exception as err:  # noqa: BLE001 - one failing spec must not stop the others
                    errors.append(SectionError(family=f"experiment {name}", error=f"{type(err).__name__}: {err}"))
                    continue
                say(f"experiment {name}: {summary.ran} chunk(s) run, {summary.skipped} resumed, "
                    f"{time.perf_counter() - t0:.0f}s -> {summary.out_dir}")
        say("computing the families' certificate sections")
        sections, fam_errors = collect_sections(quick=quick, out_dir=Path(out) / FIGURE_DIR)
        errors.extend(fam_errors)
        say("drawing the figures and writing the report")
        paths = write_experiment_report(out, sections, errors)
        figures = sum(len(s.figures) for s in sections)
        if as_json:
            print_json({**{k: str(v) for k, v in paths.items()},
                        "errors": [{"section": e.family, "error": e.error} for e in errors]})
        else:
            print(f"wrote {paths['report.md']} and {paths['report.html']} ({len(sections)} family sections, "
                  f"{figures} family figures)")
        for e in errors:
            print(f"symhard: error in {e.family}: {e.error}", file=sys.stderr)
        return 1 if errors else 0
