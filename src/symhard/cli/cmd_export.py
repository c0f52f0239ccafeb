"""``symhard export``: a hard class and its control as a dataset for PyTorch Geometric, Parquet or NumPy."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from ._common import apply_limits, console, max_memory_option, print_json


class Format(str, Enum):
    pyg = "pyg"
    parquet = "parquet"
    npz = "npz"


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        task: str = typer.Argument(..., help="A task or family, e.g. gnn-features, cnn, boolean-parity."),
        size: int = typer.Option(..., "--size", min=1, help="The task's hardness parameter (d for gnn-features, n otherwise)."),
        members: int = typer.Option(4, "--members", min=1, help="M hard members and M controls (seeds 0..M-1)."),
        samples: int = typer.Option(8000, "--samples", min=2, help="Training samples; 20% of them form the validation split."),
        n_test: int = typer.Option(2048, "--n-test", min=2, help="Test samples."),
        fmt: Format = typer.Option(..., "--format", help="pyg (graph tasks), parquet or npz."),
        out: Path = typer.Option(..., "--out", help="An empty or new folder."),
        option: list[str] = typer.Option([], "--option", help="Task option key=value (repeatable), e.g. --option k=4."),
        seed: int = typer.Option(0, "--seed", min=0, help="Harness seed of the data streams (the bench's --seed)."),
        max_memory: Optional[float] = max_memory_option(),
        force: bool = typer.Option(False, "--force", help="Overwrite a non-empty --out folder."),
        as_json: bool = typer.Option(False, "--json", help="Print the metadata as JSON."),
    ) -> None:
        """Write the training, validation and test sets of M hard members and M controls.

        The sets are exactly those `symhard bench` uses for the same task, size, samples and
        seed; the metadata carries the generating parameters and the family's certificate.
        """
        from ..export import export
        from ..export._collect import resolve_task
        from ._task_options import parse_task_options

        from ..resources import current_limits

        apply_limits(max_memory)
        options = parse_task_options(option, resolve_task(task)[0])
        meta = export(task, size=size, members=members, samples=samples, fmt=fmt.value, out=out, n_test=n_test,
                      options=options, harness_seed=seed, force=force, max_bytes=current_limits().max_memory)
        if as_json:
            print_json(meta)
            return
        from rich.markup import escape

        cert = meta.get("certificate")
        bound = (cert["lower_bound"]["formula"] if cert else f"not computed: {meta.get('reason')}")
        c = console()
        c.print(escape(f"exported {meta['task']} {meta['param_name']}={meta['param_value']}: {members} hard members and "
                       f"{members} controls; train {meta['n_train']}, val {meta['n_val']}, test {meta['n_test']} samples"))
        c.print(escape(f"certificate: {bound}"))
        c.print(escape(f"files in {meta['out']}/: {', '.join(meta['files'])}"))
