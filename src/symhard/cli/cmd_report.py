"""``symhard report DIR``: report.md and a self-contained report.html for a results folder."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ._common import print_json


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("report")
    def report(
        directory: Path = typer.Argument(Path("symhard-results"), help="A results root (holding <spec>/ folders) or one spec folder."),
        families: bool = typer.Option(False, "--families/--no-families", help="Also compute every family's certificate section (slower)."),
        quick: bool = typer.Option(True, "--quick/--full", help="With --families: the families' quick sizes or the full ones (as in 'symhard reproduce')."),
        as_json: bool = typer.Option(False, "--json", help="Print the written paths as JSON."),
    ) -> int:
        """Write report.md and report.html (one self-contained file; figures as PNG and SVG in DIR/figures)."""
        from ..report.document import FIGURE_DIR, collect_sections, write_experiment_report
        from ..report.experiments import spec_folders
        from ._progress import reporter

        from .._files import check_output_dir

        check_output_dir(directory, "results folder")  # a file, a path below a file, a read-only folder: one line
        check_output_dir(Path(directory) / FIGURE_DIR, "figures folder")
        spec_folders(directory)  # a clear error if the folder does not exist
        with reporter("report") as progress:
            progress(0, None, "starting")
            sections, errors = (collect_sections(quick=quick, out_dir=Path(directory) / FIGURE_DIR, progress=progress)
                                if families else ([], []))
            paths = write_experiment_report(directory, sections, errors, progress=progress)
        if as_json:
            print_json({k: str(v) for k, v in paths.items()})
        else:
            print(f"symhard report: {paths['report.html']} (self-contained HTML) and {paths['report.md']}; "
                  f"figures (PNG and SVG) in {paths['figures']}")
        for e in errors:
            print(f"symhard: error in {e.family}: {e.error}", file=sys.stderr)
        return 1 if errors else 0
