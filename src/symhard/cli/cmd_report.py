"""``symhard report DIR``: report.md and a self-contained report.html for a results folder."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import print_json, print_table


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("report")
    def report(
        directory: Path = typer.Argument(Path("symhard-results"), help="A results root (holding <spec>/ folders) or one spec folder."),
        families: bool = typer.Option(False, "--families/--no-families", help="Also compute every family's certificate section (slower)."),
        full: bool = typer.Option(False, "--full", help="With --families: the families' full sizes instead of the quick ones."),
        as_json: bool = typer.Option(False, "--json", help="Print the written paths as JSON."),
    ) -> None:
        """Write report.md and report.html (one self-contained file; figures as PNG and SVG in DIR/figures)."""
        from ..report.document import FIGURE_DIR, collect_sections, write_experiment_report
        from ..report.experiments import spec_folders

        spec_folders(directory)  # a clear error if the folder does not exist
        sections, errors = (collect_sections(quick=not full, out_dir=Path(directory) / FIGURE_DIR)
                            if families else ([], []))
        paths = write_experiment_report(directory, sections, errors)
        if as_json:
            print_json({k: str(v) for k, v in paths.items()})
        else:
            print_table("report", [(k, str(v)) for k, v in paths.items()])
