"""``symhard families``: every hard family with its class, theorem, symmetry, bound, parameters and task."""

from __future__ import annotations

import typer

from ._common import print_json, print_table


def families_markdown() -> str:
    """The family table of the docs, generated from the registry (``symhard families --markdown``)."""
    from ..families.base import all_families

    lines = ["| family | class | symmetry | bound | `symhard check` flags | experiment task |", "|---|---|---|---|---|---|"]
    for name, fam in all_families().items():
        flags = ", ".join(f"`{p.flag}`" for p in fam.params)
        task = f"`{fam.task.name}` ({fam.task.param.name} swept)" if fam.task and fam.task.param else "–"
        lines.append(f"| `{name}` | {fam.summary} | {fam.symmetry} | {fam.bound} | {flags} | {task} |")
    return "\n".join(lines)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("families")
    def families(
        as_json: bool = typer.Option(False, "--json", help="Print JSON: every family's declaration (parameters, task)."),
        markdown: bool = typer.Option(False, "--markdown", help="Print the Markdown family table of the docs."),
    ) -> None:
        """List every hard family with its class, theorem and parameters."""
        from ..families.base import all_families

        fams = all_families()
        if as_json:
            print_json({name: f.describe() for name, f in fams.items()})
        elif markdown:
            print(families_markdown())
        else:
            print_table("symhard families", [(name, f"{f.summary}\n{f.theorem}") for name, f in fams.items()])
