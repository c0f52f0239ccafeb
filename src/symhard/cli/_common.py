"""Helpers shared by the CLI commands: certificate output, JSON output, group parsing."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table

from ..families.base import Certificate, _jsonable


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (numpy values converted)."""
    sys.stdout.write(json.dumps(_jsonable(obj), indent=2) + "\n")


def print_table(title: str, rows: Iterable[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for k, v in rows:
        table.add_row(k, v)
    console().print(table)


def emit_certificate(cert: Certificate, as_json: bool) -> None:
    """Print a certificate as JSON (``--json``) or as a readable table."""
    if as_json:
        print_json(cert.to_dict())
    else:
        print_table(f"certificate: {cert.family}", cert.rows())
