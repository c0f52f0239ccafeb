"""``symhard check FAMILY``: one command per registered family, generated from its declared parameters.

Each :class:`~symhard.parameters.Param` of a family becomes one ``--flag`` (a ``typer`` choice for a
closed set, ``--name/--no-name`` or a declared negation for booleans); the parameter's older names
become hidden flags. The commands are built lazily (:class:`LazyFamilyGroup`): ``symhard --help``
imports no family, and ``symhard check boolean-parity`` imports that family's module only.
"""

from __future__ import annotations

import enum
import inspect
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from ..errors import InvalidParameterError
from ..parameters import Param

_PY_TYPES = {"int": int, "float": float, "str": str, "group": str, "ints": str, "bool": bool}


def _annotation(p: Param) -> Any:
    if p.choices is not None:
        return enum.Enum(f"{p.name}_choices", {str(c): str(c) for c in p.choices}, type=str)
    base = _PY_TYPES[p.kind]
    return Optional[base] if p.optional or p.default is None else base


def _option(p: Param, hidden: bool = False, flag: str | None = None) -> Any:
    flag = flag or p.flag
    if p.kind == "bool" and not hidden:
        off = f"--{p.negation}" if p.negation else f"--no-{p.name.replace('_', '-')}"
        return typer.Option(p.default, f"{flag}/{off}", help=p.help)
    default = None if hidden else p.default
    return typer.Option(default, flag, help=None if hidden else f"{p.help} [{p.allowed()}]", hidden=hidden,
                        show_default=not hidden)


def _alias_key(param: Param, alias: str) -> str:
    return f"alias__{param.name}__{alias}"


def command_for(family: type) -> Any:
    """A click command for ``symhard check <family.name>`` built from ``family.params``."""
    params: list[inspect.Parameter] = []
    for p in family.params:
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=_option(p),
                                        annotation=_annotation(p)))
        for alias in p.aliases:
            ann = Optional[_PY_TYPES[p.kind]] if p.choices is None else _annotation(p)
            params.append(inspect.Parameter(_alias_key(p, alias), inspect.Parameter.KEYWORD_ONLY,
                                            default=_option(p, hidden=True, flag="--" + alias.replace("_", "-")),
                                            annotation=Optional[ann] if p.choices is not None else ann))
    params.append(inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY,
                                    default=typer.Option(False, "--json", help="Print the certificate as JSON."),
                                    annotation=bool))
    from ._common import max_memory_option, max_time_option

    params += [inspect.Parameter("max_memory", inspect.Parameter.KEYWORD_ONLY, default=max_memory_option(),
                                 annotation=Optional[float]),
               inspect.Parameter("max_time", inspect.Parameter.KEYWORD_ONLY, default=max_time_option(),
                                 annotation=Optional[float])]

    def callback(**kwargs: Any) -> None:
        from ._common import apply_limits, emit_certificate
        from ._progress import reporter

        as_json = kwargs.pop("as_json")
        apply_limits(kwargs.pop("max_memory"), kwargs.pop("max_time"))
        given: dict[str, Any] = {}
        for p in family.params:
            value = kwargs.pop(p.name)
            for alias in p.aliases:
                alias_value = kwargs.pop(_alias_key(p, alias))
                if alias_value is not None:
                    if value != p.default:
                        raise InvalidParameterError(f"{p.flag} and its old name --{alias} are both given; give one.")
                    value = alias_value
            given[p.name] = value.value if isinstance(value, enum.Enum) else value
        with reporter(f"check {family.name}") as progress:
            progress(0, None, f"computing the certificate of {family.name}")
            cert = family().certificate(**given)
        emit_certificate(cert, as_json)

    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__doc__ = f"{family.summary}\n\n{family.theorem}"
    app = typer.Typer(add_completion=False, rich_markup_mode=None)
    app.command(family.name)(callback)
    return typer.main.get_command(app)


class LazyFamilyGroup(TyperGroup):
    """The ``check`` group: its subcommands are the registered families, built on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        from ..families.base import family_names

        return sorted(set(super().list_commands(ctx)) | set(family_names()))

    def get_command(self, ctx: Any, name: str) -> Any:
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        from ..families.base import family_names, get_family

        if name not in family_names():
            return None
        return command_for(get_family(name))
