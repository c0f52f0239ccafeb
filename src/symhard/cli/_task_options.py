"""``--option key=value`` for the commands that build a task (``bench``, ``export``), converted by the
task's declaration (:attr:`symhard.families.base.TaskSpec.options`) and validated by it."""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import InvalidParameterError

__all__ = ["parse_task_options"]


def _convert(text: str, kind: str | None) -> Any:
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text  # the declaration's validation names what is allowed
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "bool":
        low = text.strip().lower()
        return True if low in ("true", "1", "yes") else False if low in ("false", "0", "no") else text
    if kind in ("str", "group", "ints"):
        return text
    for cast in (int, float):  # an undeclared option (a plugin task that declares nothing)
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def parse_task_options(items: Iterable[str], task: str) -> dict[str, Any]:
    """``["k=4", "group=cyclic:8"]`` -> ``{"k": 4, "group": "cyclic:8"}``, validated by the task's declaration."""
    from ..families.base import get_task

    spec = get_task(task)
    kinds: dict[str, str] = {}
    for p in spec.options or ():
        for name in (p.name, *p.aliases):
            kinds[name] = p.kind
    opts: dict[str, Any] = {}
    for item in items:
        key, sep, val = str(item).partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InvalidParameterError(f"--option must look like key=value (e.g. k=4), got {item!r}.")
        if key in opts:
            raise InvalidParameterError(f"--option {key} is given twice; give each option once.")
        opts[key] = _convert(val.strip(), kinds.get(key))
    spec.validate_options(opts, where=f"task {spec.name}: option ")
    return opts
