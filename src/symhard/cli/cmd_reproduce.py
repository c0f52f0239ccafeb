"""``symhard reproduce``: every built-in experiment, then every family's certificates, into one report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from ._choices import Device, Executor
from ._common import apply_limits, max_memory_option, print_json


def _run_experiments(names: list[str], quick: bool, out: Path, options: dict[str, Any], progress: Any,
                     ) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run (or resume) every named built-in spec into ``out``; one failing spec does not stop the others.

    Returns one record per finished spec (its folder and what was run) and the errors."""
    from ..errors import SymhardError
    from ..experiments.runner import default_out_dir, run_spec
    from ..experiments.spec import load_spec
    from ..report.document import SectionError

    done, errors = [], []
    for i, name in enumerate(names):
        progress(i, len(names), f"experiment {name}: checking the stored results, running what is missing")
        try:
            spec = load_spec(name, quick=quick)
            with progress.paused():  # the runner draws its own bar over the chunks
                summary = run_spec(spec, out_dir=default_out_dir(spec, out), **options)
        except SymhardError as err:
            errors.append(SectionError(family=f"experiment {name}", error=" ".join(str(err).split())))
            continue
        except Exception as err:  # noqa: BLE001 - one failing spec must not stop the others
            errors.append(SectionError(family=f"experiment {name}", error=f"{type(err).__name__}: {err}"))
            continue
        for q in summary.quarantined:
            print(f"symhard: moved files that failed the integrity check (or --force) aside into {q}", file=sys.stderr)
        done.append({"spec": summary.spec, "out_dir": str(summary.out_dir), "chunks": summary.chunks,
                     "ran": summary.ran, "skipped": summary.skipped, "seconds": round(summary.seconds, 2)})
    progress(len(names), len(names), "experiments: every chunk is stored")
    return done, errors


#: The frontiers `reproduce` measures (issue 14: the quick frontiers of boolean and gnn-features).
FRONTIERS = ("boolean", "gnn-features")


def _run_frontiers(quick: bool, out: Path, options: dict[str, Any], progress: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Measure (or resume) the frontiers of :data:`FRONTIERS` along the steps axis into ``out/frontier``."""
    from ..errors import SymhardError
    from ..frontier import run_frontier
    from ..progress import nested
    from ..report.document import SectionError

    done, errors = [], []
    for i, fam in enumerate(FRONTIERS):
        progress(i, len(FRONTIERS), f"frontier of {fam}: bisection on the size at each budget")
        try:
            r = run_frontier(fam, quick=quick, out=out, progress=nested(progress, f"frontier {fam}"), **options)
        except SymhardError as err:
            errors.append(SectionError(family=f"frontier {fam}", error=" ".join(str(err).split())))
            continue
        done.append({"frontier": fam, "out_dir": r["out_dir"], "computed": r["computed_points"],
                     "reused": r["reused_points"], "seconds": r["seconds"]})
    return done, errors


def _check_options(options: dict[str, Any], out: Path, names: list[str], quick: bool) -> None:
    """The output folder, the spec names and the executor options, checked once before anything runs (one
    line, exit 2): every named spec must load (a built-in name or a TOML file), with its quick variant."""
    from .._files import check_output_dir
    from ..errors import InvalidParameterError
    from ..experiments.executors import check_executor
    from ..experiments.spec import load_spec

    check_output_dir(out)
    for name in names:
        load_spec(name, quick=quick)
    if options["repair"] and options["force"]:
        raise InvalidParameterError("--repair and --force exclude each other: --force already recomputes everything.")
    check_executor(options["executor"], workers=options["workers"], threads=options["threads"],
                   address=options["address"])


def _say_where(paths: dict[str, Path], runs: list[dict[str, Any]], sections: int, figures: int) -> None:
    """The last words of the command: where every result is (plain lines, so that paths are never folded)."""
    print("symhard reproduce: the results are in")
    for r in runs:
        if "frontier" in r:
            print(f"  frontier {r['frontier']}: {r['out_dir']} ({r['computed']} point(s) computed, {r['reused']} reused, "
                  f"{r['seconds']:.0f} s)")
            continue
        print(f"  experiment {r['spec']}: {r['out_dir']} ({r['ran']} chunk(s) run, {r['skipped']} reused, "
              f"{r['seconds']:.0f} s)")
    print(f"  report: {paths['report.html']} (self-contained HTML) and {paths['report.md']}")
    print(f"  figures: {paths['figures']} (PNG and SVG; {sections} family sections with {figures} figures)")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("reproduce")
    def reproduce(
        quick: bool = typer.Option(True, "--quick/--full", help="Small sweeps and sizes (minutes on a CPU) or the full ones (a GPU or a cluster)."),
        out: Path = typer.Option(Path("symhard-results"), "--out", help="Results root: OUT/report.md, OUT/report.html, OUT/figures/ and one OUT/<spec>[-quick]/ folder per experiment."),
        experiments: bool = typer.Option(True, "--experiments/--no-experiments", help="Run the built-in experiment specs (resumable) before the report."),
        specs: str = typer.Option("", "--specs", help="Comma-separated built-in spec names or TOML files to run (default: every built-in spec)."),
        executor: Executor = typer.Option(Executor.serial, "--executor", help="Where the experiments' chunks run."),
        address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address ('auto' joins a running cluster); only with --executor ray."),
        device: Device = typer.Option(Device.cpu, "--device", help="Device of the experiments (auto: CUDA when available)."),
        workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes (or local Ray CPUs); default: all cores."),
        threads: int = typer.Option(1, "--threads", min=1, help="Torch threads per chunk (1 is fastest for these small ensembles)."),
        repair: bool = typer.Option(False, "--repair", help="Move stored files that fail their integrity check aside and recompute exactly what is missing."),
        force: bool = typer.Option(False, "--force", help="Recompute every experiment instead of reusing its stored chunks (the old files are moved into <folder>/quarantine/)."),
        frontiers: Optional[bool] = typer.Option(None, "--frontiers/--no-frontiers", help="Also measure the frontiers of boolean and gnn-features (symhard frontier; resumable). Default: yes, unless --specs picks experiments."),
        as_json: bool = typer.Option(False, "--json", help="Print the written paths, the experiment folders and the errors as JSON (nothing else on stdout)."),
        max_memory: Optional[float] = max_memory_option(),
    ) -> int:
        """Write OUT/report.md and OUT/report.html: every built-in experiment (hard class against
        its control, error against the hardness parameter, learning curves, bound against the
        run's CSQ budget) and every family's certificate table, text and figures.

        Experiments are resumable: a rerun reuses the finished chunks (after checking their
        checksums) unless --force. A spec or family that fails is reported as an error line; the
        command then exits with status 1. Progress goes to stderr.
        """
        from ..report.document import FIGURE_DIR, collect_sections, write_experiment_report
        from ._progress import reporter

        errors: list[Any] = []
        runs: list[dict[str, Any]] = []
        from ..experiments.spec import builtin_spec_names

        apply_limits(max_memory)
        options = dict(executor=executor.value, device=device.value, workers=workers, address=address,
                       threads=threads, repair=repair, force=force)
        names = builtin_spec_names() if not specs else [s.strip() for s in specs.split(",") if s.strip()]
        _check_options(options, out, names if experiments else [], quick)
        with reporter("reproduce") as progress:
            progress(0, None, "loading symhard (torch, the families)")
            if experiments:
                runs, errors = _run_experiments(names, quick, out, options, progress)
                if frontiers if frontiers is not None else not specs:
                    fronts, f_errors = _run_frontiers(quick, out, options, progress)
                    runs += fronts
                    errors += f_errors
            sections, fam_errors = collect_sections(quick=quick, out_dir=Path(out) / FIGURE_DIR, progress=progress)
            errors.extend(fam_errors)
            paths = write_experiment_report(out, sections, errors, progress=progress)
        figures = sum(len(s.figures) for s in sections)
        if as_json:
            print_json({**{k: str(v) for k, v in paths.items()}, "experiments": runs,
                        "errors": [{"section": e.family, "error": e.error} for e in errors]})
        else:
            _say_where(paths, runs, len(sections), figures)
        for e in errors:
            print(f"symhard: error in {e.family}: {e.error}", file=sys.stderr)
        return 1 if errors else 0
