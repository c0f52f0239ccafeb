"""The ``symhard`` command line (typer).

Commands live in modules ``symhard/cli/cmd_*.py``; each defines ``register(app, check_app)``
and is discovered automatically, so a new command is a new module. :func:`main` turns every
:class:`~symhard.errors.SymhardError` and every usage error into one line on stderr and exit
status 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

try:  # typer >= 0.20 vendors its own copy of click
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _click_exc

from ..errors import SymhardError
from ._generated import LazyFamilyGroup

app = typer.Typer(
    name="symhard",
    help="Hard function classes, SQ/CSQ lower bounds and experiments for learning under symmetries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
check_app = typer.Typer(
    cls=LazyFamilyGroup,
    help="Print the machine-checked certificate of a hard family (--json for scripts).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(check_app, name="check")


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"symhard {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Hard function classes, SQ/CSQ lower bounds and experiments for learning under symmetries."""


def _register_commands() -> None:
    from .. import cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            module.register(app, check_app)


_register_commands()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``symhard`` console script."""
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="symhard")
    except SymhardError as err:
        print(f"symhard: error: {_one_line(err)}", file=sys.stderr)
        sys.exit(2)
    except _click_exc.NoArgsIsHelpError as err:
        print(err.format_message())
        return
    except _click_exc.UsageError as err:
        where = f" (see 'symhard {err.ctx.command_path.partition(' ')[2]} --help')".replace("  ", " ") if err.ctx else ""
        print(f"symhard: error: {_one_line(err.format_message())}{where}", file=sys.stderr)
        sys.exit(2)
    except _click_exc.Abort:
        print("symhard: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("symhard: interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(rv, int) and rv:
        sys.exit(rv)
