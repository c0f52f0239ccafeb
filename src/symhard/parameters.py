r"""Declared parameters: one declaration per parameter, read by the CLI, the spec validator and the docs.

A family (or a learning task) states its parameters once as a tuple of :class:`Param`::

    PARAMS = (
        Param("group", "group", "cyclic:10", "group acting on the n bits"),
        Param("k", "int", 3, "degree: parities of k-subsets", low=0, aliases=("degree",)),
        Param("tau", "float", 0.01, "query tolerance", low=0, high=1, low_open=True),
    )

and everything else is generated from it: ``symhard check FAMILY`` (one ``--flag`` per
parameter, old names kept as hidden aliases), spec validation of task options (an unknown or
out-of-range option names the allowed ones), ``symhard families --json`` and the family table of
the docs. Validation follows scikit-learn's habit: the message names the parameter, says what is
allowed, and shows what was given (:class:`~symhard.errors.InvalidParameterError`, a ``ValueError``
and a ``TypeError``).

Only constraints on one parameter live here (type, range, choices, parity); constraints between
parameters (``k <= n``) are checked by the family, which knows them.
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .errors import InvalidParameterError

__all__ = ["Param", "KINDS", "resolve_params", "params_table"]

#: Value kinds a parameter may declare.
KINDS = ("int", "float", "str", "bool", "group", "ints")


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes
    ----------
    name : str
        Python name (``k``, ``abs_samples``); the CLI flag is ``--k``, ``--abs-samples``.
    kind : {"int", "float", "str", "bool", "group", "ints"}
        ``"group"`` is a group spec string (``cyclic:12``), checked by the family when parsed;
        ``"ints"`` a list of integers (or a comma-separated string such as ``"3,4"``).
    default : any
        Default value (``None`` with ``optional=True`` means "derived from the others").
    help : str
        One line for ``--help`` and the docs.
    low, high, low_open, high_open :
        Closed (or open) range of numeric kinds; ``None`` is unbounded.
    choices : tuple or None
        The closed set of allowed values (a ``typer`` choice on the command line).
    multiple_of : int or None
        Integers only: the value must be a multiple of it (``2`` for "even").
    optional : bool
        ``None`` is allowed.
    aliases : tuple of str
        Older names accepted as hidden flags and as spec keys.
    negation : str or None
        Booleans only: the name of the "off" flag (``--mc/--exact``); default ``--no-NAME``.
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] | None = None
    multiple_of: int | None = None
    optional: bool = False
    aliases: tuple[str, ...] = ()
    negation: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidParameterError(f"Param {self.name!r}: kind must be one of {', '.join(KINDS)}; got {self.kind!r}.")
        if not self.name.isidentifier():
            raise InvalidParameterError(f"Param name {self.name!r} must be a Python identifier.")

    # ------------------------------------------------------------------ text
    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--abs-samples``."""
        return "--" + self.name.replace("_", "-")

    def allowed(self) -> str:
        """What is allowed, in words: ``an even integer >= 2``, ``one of relu, abs``."""
        if self.choices is not None:
            text = "one of " + ", ".join(str(c) for c in self.choices)
        elif self.kind == "group":
            text = "a group spec such as cyclic:12, dihedral:8 or symmetric:6"
        elif self.kind == "ints":
            text = "a list of integers such as 3,4"
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "str":
            text = "a string"
        else:
            noun = "integer" if self.kind == "int" else "number"
            if self.multiple_of == 2:
                noun = "even integer"
            elif self.multiple_of:
                noun = f"integer multiple of {self.multiple_of}"
            text = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}{self._range_text()}"
        return text + (" (or none)" if self.optional else "")

    def _range_text(self) -> str:
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return ""
        if hi is None:
            return f" {'>' if self.low_open else '>='} {_num(lo)}"
        if lo is None:
            return f" {'<' if self.high_open else '<='} {_num(hi)}"
        return f" in {'(' if self.low_open else '['}{_num(lo)}, {_num(hi)}{')' if self.high_open else ']'}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``symhard families --json``)."""
        return {"name": self.name, "flag": self.flag, "type": self.kind, "default": self.default,
                "allowed": self.allowed(), "help": self.help, "choices": list(self.choices) if self.choices else None,
                "low": self.low, "high": self.high, "aliases": list(self.aliases)}

    # ------------------------------------------------------------------ validation
    def validate(self, value: Any, where: str = "") -> Any:
        """``value`` converted to the declared kind, or :class:`InvalidParameterError`.

        ``where`` prefixes the message (``"check cnn: "``, ``"spec.toml: series[0].options."``).

        >>> Param("k", "int", 4, low=2, multiple_of=2).validate(6)
        6
        """
        if value is None:
            if self.optional:
                return None
            self._fail(value, where)
        if self.choices is not None:
            v = value.value if hasattr(value, "value") and not isinstance(value, (str, int, float)) else value
            if v not in self.choices:
                self._fail(value, where)
            return v
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                self._fail(value, where)
            value = int(value)
            if self.multiple_of and value % self.multiple_of:
                self._fail(value, where)
        elif self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
                self._fail(value, where)
            value = float(value)
        elif self.kind == "bool":
            if not isinstance(value, bool):
                self._fail(value, where)
            return value
        elif self.kind in ("str", "group"):
            if not isinstance(value, str) or not value.strip():
                self._fail(value, where)
            return value.strip()
        elif self.kind == "ints":
            return self._ints(value, where)
        if not self._in_range(value):
            self._fail(value, where)
        return value

    def _ints(self, value: Any, where: str) -> tuple[int, ...]:
        items = value
        if isinstance(value, str):
            items = [t for t in value.replace(" ", "").split(",") if t]
            try:
                items = [int(t) for t in items]
            except ValueError:
                self._fail(value, where)
        if not isinstance(items, (list, tuple)) or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in items):
            self._fail(value, where)
        out = tuple(int(i) for i in items)
        if not all(self._in_range(i) for i in out):
            self._fail(value, where)
        return out

    def _in_range(self, v: float) -> bool:
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return not (self.high is not None and (v >= self.high if self.high_open else v > self.high))

    def _fail(self, value: Any, where: str) -> None:
        raise InvalidParameterError(f"{where}{self.name} must be {self.allowed()}; got {value!r}.")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def resolve_params(params: Sequence[Param], given: Mapping[str, Any], *, where: str = "",
                   defaults: bool = True) -> dict[str, Any]:
    """Validate ``given`` against the declaration and return every declared value.

    Aliases map to their parameter; giving a parameter twice (by name and alias) or a name that
    is not declared raises :class:`InvalidParameterError` naming the allowed ones (and the
    closest match). With ``defaults=False`` only the given parameters are returned.

    >>> resolve_params((Param("k", "int", 3, aliases=("degree",)),), {"degree": 5})
    {'k': 5}
    """
    by_name = {p.name: p for p in params}
    alias = {a: p.name for p in params for a in p.aliases}
    out: dict[str, Any] = {}
    for key, value in given.items():
        name = key if key in by_name else alias.get(key)
        if name is None:
            allowed = ", ".join(by_name) or "(none)"
            close = difflib.get_close_matches(str(key), list(by_name) + list(alias), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidParameterError(f"{where}unknown parameter {key!r}{hint}; allowed: {allowed}.")
        if name in out:
            raise InvalidParameterError(f"{where}{name} is given twice (as {name!r} and as its alias {key!r}).")
        out[name] = by_name[name].validate(value, where)
    if defaults:
        for p in params:
            out.setdefault(p.name, p.default)
    return out


def params_table(params: Iterable[Param]) -> str:
    """A Markdown table of the declaration (flag, type, default, allowed, help)."""
    rows = ["| flag | default | allowed | meaning |", "|---|---|---|---|"]
    for p in params:
        rows.append(f"| `{p.flag}` | {p.default!s} | {p.allowed()} | {p.help} |")
    return "\n".join(rows)
