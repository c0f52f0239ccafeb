"""``symhard families``: list the hard families with their theorem and bound."""

from __future__ import annotations

import typer

from ..families.base import all_families
from ._common import print_json, print_table


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("families")
    def families(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """List every hard family with its class and theorem."""
        fams = all_families()
        if as_json:
            print_json({name: {"summary": f.summary, "theorem": f.theorem} for name, f in fams.items()})
        else:
            print_table("symhard families", [(name, f"{f.summary}\n{f.theorem}") for name, f in fams.items()])
