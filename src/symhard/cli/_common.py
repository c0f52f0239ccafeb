"""Helpers shared by the CLI commands: certificate output, JSON output, group parsing, resource limits."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import typer
from rich.console import Console
from rich.table import Table

from ..families.base import Certificate, _jsonable
from ..resources import DEFAULT_CLI_MAX_TIME, set_limits

#: Exact integers print in full (an orbit count of Z_100000 has 30103 digits; Python's default cap is 4300).
_MAX_DIGITS = 200_000


def max_memory_option() -> Any:
    """The ``--max-memory GiB`` option of every command that enumerates or allocates (docs/reliability.md)."""
    return typer.Option(None, "--max-memory", min=0.0001, max=2.0**40, metavar="GIB",
                        help="Refuse work estimated to need more memory than this (GiB; default: half of this "
                             "machine's memory). The estimate comes first, in one line.")


def max_time_option(default: float | None = DEFAULT_CLI_MAX_TIME) -> Any:
    """The ``--max-time SECONDS`` option of the commands that compute without a progress bar."""
    return typer.Option(default, "--max-time", min=0.001, max=1e12, metavar="SECONDS",
                        help="Refuse work estimated to take longer than this (seconds).")


def apply_limits(max_memory: float | None, max_time: float | None = None) -> None:
    """Put ``--max-memory`` / ``--max-time`` in force for the rest of the command (symhard.resources)."""
    set_limits(max_memory, max_time)


@contextmanager
def _long_ints() -> Iterator[None]:
    old = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if old:
        sys.set_int_max_str_digits(max(old, _MAX_DIGITS))
    try:
        yield
    finally:
        if old:
            sys.set_int_max_str_digits(old)


def parse_lr_grid(values: Iterable[str] | None, default: tuple[float, ...]) -> tuple[float, ...]:
    """The learning-rate grid of ``--lr``: comma-separated, repeatable (``--lr 1e-3,3e-3`` or ``--lr 1e-3 --lr 3e-3``).

    Every command that trains takes its grid this one way; each value must be a number > 0.
    """
    from ..errors import InvalidParameterError

    if not values:
        return default
    out = []
    for item in values:
        for tok in str(item).split(","):
            tok = tok.strip()
            if not tok:
                continue
            try:
                v = float(tok)
            except ValueError:
                raise InvalidParameterError(f"--lr value {tok!r} is not a number; give e.g. --lr 1e-3,3e-3.") from None
            if not v > 0 or v != v or v == float("inf"):
                raise InvalidParameterError(f"--lr value {tok!r} must be a finite number > 0.")
            out.append(v)
    if not out:
        raise InvalidParameterError("--lr needs at least one learning rate, e.g. --lr 1e-3,3e-3.")
    return tuple(out)


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (numpy values converted; exact integers in full)."""
    with _long_ints():
        sys.stdout.write(json.dumps(_jsonable(obj), indent=2) + "\n")


def print_table(title: str, rows: Iterable[tuple[str, str]]) -> None:
    """A two-column table; cells are escaped, so text in [brackets] prints as written."""
    from rich.markup import escape

    table = Table(title=escape(title), show_header=True, header_style="bold")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    with _long_ints():
        for k, v in rows:
            table.add_row(escape(str(k)), escape(str(v)))
    console().print(table)


def emit_certificate(cert: Certificate, as_json: bool) -> None:
    """Print a certificate as JSON (``--json``) or as a readable table."""
    if as_json:
        print_json(cert.to_dict())
    else:
        print_table(f"certificate: {cert.family}", cert.rows())
