"""The ``symhard`` command line (typer).

Commands live in modules ``symhard/cli/cmd_*.py``; each defines ``register(app, check_app)``
and is discovered automatically, so a new command is a new module.

Exit statuses of :func:`main` (see ``docs/reliability.md``):

* 0: success;
* 2: a :class:`~symhard.errors.SymhardError` (bad input, a results folder that fails its check)
  or a usage error, printed as one line ``symhard: error: ...``;
* 1: any other exception, which is a bug: one line says so and where to report it;
* 130: interrupted (Ctrl-C).

No traceback is printed unless the global option ``--debug`` is given
(``symhard --debug run ...``); then the full traceback precedes the one-line message.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import typer

try:  # typer >= 0.20 vendors its own copy of click
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _click_exc

from ..errors import SymhardError
from ._generated import LazyFamilyGroup

#: Where a user reports a bug (the section of docs/reliability.md that says what to include).
BUG_REPORT = "the issue tracker of the symhard repository (see docs/reliability.md, 'Reporting a bug')"
_STATE = {"debug": False, "interrupt_note": ""}


def note_interrupt(text: str) -> None:
    """A command's last word on Ctrl-C (e.g. how to resume), printed by :func:`main` on the same line."""
    _STATE["interrupt_note"] = text

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
    debug: bool = typer.Option(False, "--debug", help="Print the full traceback of any error (give it before the command)."),
) -> None:
    """Hard function classes, SQ/CSQ lower bounds and experiments for learning under symmetries."""
    from ..resources import set_limits

    _STATE["debug"] = debug
    set_limits()  # the defaults; a command's --max-memory / --max-time replace them


def _register_commands() -> None:
    from .. import cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            module.register(app, check_app)


_register_commands()


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(message: str, status: int, err: BaseException | None = None) -> None:
    if err is not None and _STATE["debug"]:
        traceback.print_exception(err, file=sys.stderr)
    print(message, file=sys.stderr, flush=True)
    sys.exit(status)


def _interrupted() -> None:
    note = _STATE["interrupt_note"]
    _fail("symhard: interrupted" + (f"; {note}." if note else "."), 130)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``symhard`` console script (exit statuses: see the module docstring)."""
    _STATE.update(debug="--debug" in (sys.argv[1:] if argv is None else argv)[:1], interrupt_note="")
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="symhard")
    except SymhardError as err:
        _fail(f"symhard: error: {_one_line(err)}", 2, err)
    except _click_exc.NoArgsIsHelpError as err:
        print(err.format_message())
        return
    except _click_exc.UsageError as err:
        where = f" (see 'symhard {err.ctx.command_path.partition(' ')[2]} --help')".replace("  ", " ") if err.ctx else ""
        _fail(f"symhard: error: {_one_line(err.format_message())}{where}", 2, err)
    except _click_exc.ClickException as err:  # e.g. a file argument that cannot be opened
        _fail(f"symhard: error: {_one_line(err.format_message())}", 2, err)
    except (KeyboardInterrupt, typer.Abort):
        _interrupted()
    except MemoryError as err:  # the estimate before the work was too low: a bug in the estimate, said in one line
        _fail(f"symhard: error: ran out of memory although the estimate fitted the limit; lower the sizes, or run with "
              f"a smaller --max-memory; please report it at {BUG_REPORT} (the estimate should have refused).", 1, err)
    except Exception as err:  # noqa: BLE001 - the last line of defence: a bug, said plainly
        _fail(f"symhard: internal error ({type(err).__name__}: {_one_line(err)[:300]}); this is a bug, please report "
              f"it at {BUG_REPORT}, with the output of the same command run as 'symhard --debug ...'.", 1, err)
    if rv == 130:  # typer turns a KeyboardInterrupt inside a command into exit code 130
        _interrupted()
    if isinstance(rv, int) and rv:
        sys.exit(rv)
