"""Group specification strings for the command line and configs.

Grammar::

    trivial:N | cyclic:N | dihedral:N | symmetric:N | alternating:N
    gens:N:CYCLES;CYCLES;...          e.g. gens:12:(0 1 2)(3 4);(0 5)
    blocks:SPEC+SPEC+...              direct product on consecutive blocks, e.g. blocks:cyclic:4+symmetric:3
"""

from __future__ import annotations

from ..errors import GroupSpecError, InvalidParameterError
from ._permutation import PermutationGroup, parse_cycles

NAMED = ("trivial", "cyclic", "dihedral", "symmetric", "alternating")
ALLOWED = "trivial:N, cyclic:N, dihedral:N, symmetric:N, alternating:N, gens:N:(0 1 2)(3 4);(0 5), blocks:SPEC+SPEC"
#: Largest number of points a spec may name (bitmask and enumeration routines assume far fewer).
MAX_POINTS = 100_000


def _parse_n(text: str, spec: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise GroupSpecError(f"malformed group spec {spec!r}: {text!r} is not an integer number of points; allowed: {ALLOWED}.") from None
    if not 1 <= n <= MAX_POINTS:
        raise GroupSpecError(f"malformed group spec {spec!r}: number of points must be in 1..{MAX_POINTS}, got {n}.")
    return n


def parse_group(spec: str) -> PermutationGroup:
    """Build a :class:`PermutationGroup` from a spec string (see module docstring)."""
    if isinstance(spec, PermutationGroup):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise GroupSpecError(f"group spec must be a non-empty string; allowed: {ALLOWED}.")
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    kind = kind.lower()
    if not sep:
        raise GroupSpecError(f"malformed group spec {spec!r}: missing ':'; allowed: {ALLOWED}.")
    if kind in NAMED:
        n = _parse_n(rest, spec)
        return getattr(PermutationGroup, kind)(n)
    if kind == "gens":
        n_text, sep2, gens_text = rest.partition(":")
        n = _parse_n(n_text, spec)
        if not sep2:
            raise GroupSpecError(f"malformed group spec {spec!r}: expected gens:N:CYCLES;CYCLES.")
        try:
            gens = [parse_cycles(g, n) for g in gens_text.split(";") if g.strip()]
        except InvalidParameterError as err:
            raise GroupSpecError(f"malformed group spec {spec!r}: {err}") from None
        return PermutationGroup(gens, n, name=spec)
    if kind == "blocks":
        parts = [p for p in rest.split("+") if p.strip()]
        if not parts:
            raise GroupSpecError(f"malformed group spec {spec!r}: blocks needs SPEC+SPEC.")
        return PermutationGroup.on_blocks([parse_group(p) for p in parts])
    raise GroupSpecError(f"unknown group kind {kind!r} in {spec!r}; allowed: {ALLOWED}.")


def as_group(group: object, n: int | None = None, *, name: str = "group", acting_on: str = "points") -> PermutationGroup:
    """A :class:`PermutationGroup` from a group or a spec string, checked to act on exactly ``n`` points.

    ``acting_on`` names what the points are in the error message (e.g. ``"input rows"``).
    Raises :class:`~symhard.errors.InvalidParameterError` (a spec error for malformed strings).
    """
    G = parse_group(group) if isinstance(group, str) else group
    if not isinstance(G, PermutationGroup):
        example = f"cyclic:{n}" if n is not None else "cyclic:12"
        raise InvalidParameterError(
            f"{name} must be a PermutationGroup or a spec string such as {example!r}, not {type(group).__name__}."
        )
    if n is not None and G.degree != n:
        raise InvalidParameterError(
            f"{name} {G.name} acts on {G.degree} points, but n == {n}; the group must act on the n {acting_on} "
            f"(e.g. cyclic:{n} or dihedral:{n})."
        )
    return G
