"""``symhard reproduce``: certificates and figures of every family into ``report.md``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("reproduce")
    def reproduce(
        quick: bool = typer.Option(True, "--quick/--full", help="Small sizes (seconds) or the full sizes."),
        out: Path = typer.Option(Path("symhard-results"), "--out", help="Output folder for report.md and figures."),
    ) -> int:
        """Write OUT/report.md: every family's certificate table, text and figures.

        A family that fails is reported as an error line; the command then exits with status 1.
        """
        from ..experiments.report import collect_sections, write_report

        sections, errors = collect_sections(out, quick=quick)
        path = write_report(out, sections, errors=errors)
        figures = sum(len(s.figures) for s in sections)
        print(f"wrote {path} ({len(sections)} family sections, {figures} figures)")
        for e in errors:
            print(f"symhard: error in family {e.family}: {e.error}", file=sys.stderr)
        return 1 if errors else 0
