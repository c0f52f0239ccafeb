"""``symhard groups info GROUP`` and ``symhard groups orbits GROUP --on boolean|subsets``."""

from __future__ import annotations

import enum
from typing import Any

import typer

from ._common import apply_limits, max_memory_option, max_time_option, print_json, print_table

#: Enumerate orbits (besides Burnside) only up to this many points on the cube / subsets.
ENUMERATION_POINTS = 16
ENUMERATION_SUBSETS = 200_000


class OrbitDomain(str, enum.Enum):
    """What the group acts on in ``symhard groups orbits``."""

    boolean = "boolean"
    subsets = "subsets"


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    groups_app = typer.Typer(help="Permutation groups: order, generators, orbit counts.", no_args_is_help=True,
                             rich_markup_mode=None)
    app.add_typer(groups_app, name="groups")

    @groups_app.command("info")
    def info(
        group: str = typer.Argument(..., help="Group spec, e.g. cyclic:12, dihedral:8, gens:12:(0 1 2)(3 4)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        max_memory: float = max_memory_option(),
        max_time: float = max_time_option(),
    ) -> None:
        """Order (closed form for named groups, else Schreier–Sims), degree and generators in cycle notation."""
        from ..groups import PermutationGroup, parse_group
        from ._progress import reporter

        apply_limits(max_memory, max_time)
        with reporter("groups info") as progress:
            progress(0, None, f"order of {group} (Schreier–Sims)")
            G = parse_group(group)
            data = {"group": G.name, "degree": G.degree, "order": G.order,
                    "generators": [PermutationGroup._cycle_string(g) for g in G.generators]}
        if as_json:
            print_json(data)
        else:
            print_table(f"group {G.name}", [(k, _short(v)) for k, v in data.items()])

    @groups_app.command("orbits")
    def orbits(
        group: str = typer.Argument(..., help="Group spec, e.g. cyclic:12."),
        on: OrbitDomain = typer.Option(OrbitDomain.boolean, "--on", help="What G acts on: boolean ({±1}^n) or subsets (k-subsets)."),
        k: int = typer.Option(None, "--k", help="Subset size for --on subsets."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        max_memory: float = max_memory_option(),
        max_time: float = max_time_option(),
    ) -> None:
        """Orbit count by Burnside (exact integers), and by enumeration where small enough.

        The cost of the Burnside sum and of any enumeration is estimated first (closed forms) and
        refused beyond --max-memory / --max-time in one line."""
        from ..groups import parse_group
        from ._progress import reporter

        apply_limits(max_memory, max_time)
        with reporter("groups orbits") as progress:
            progress(0, None, f"orbits of {group} on {on.value} (Burnside, then enumeration where small)")
            data = orbit_data(parse_group(group), on.value, k)
        if as_json:
            print_json(data)
        else:
            print_table(f"orbits of {data['group']} on {data['on']}", [(key, _short(v)) for key, v in data.items()])


def _short(v: Any) -> Any:
    """A table cell: an integer of more than 60 digits as ``d.dddddde+N (N+1 digits)`` (--json prints it whole)."""
    if isinstance(v, int) and not isinstance(v, bool) and v >= 10**60:
        import math

        digits = int(v.bit_length() * math.log10(2)) + 1
        digits += (10**digits <= v) - (10 ** (digits - 1) > v)
        return f"{v / 10 ** (digits - 1):.6f}e+{digits - 1} ({digits} digits; --json prints every digit)"
    return v


def orbit_data(G: Any, on: str, k: int | None = None) -> dict[str, Any]:
    """The orbit counts of ``symhard groups orbits``: Burnside, checked by enumeration where small enough."""
    import math

    from ..errors import InvalidParameterError, check_int

    n = G.degree
    data: dict[str, Any] = {"group": G.name, "degree": n, "order": G.order, "on": on}
    if on == "boolean":
        data["orbit_count"] = G.orbit_count_boolean()
        data["orbit_count_burnside"] = data["orbit_count"]
        data["orbit_count_enumerated"] = int(len(G.boolean_orbit_sizes())) if n <= ENUMERATION_POINTS else None
    elif on == "subsets":
        if k is None:
            raise InvalidParameterError("--on subsets needs --k K (the subset size, 0..n).")
        k = check_int(k, "k", min_value=0, max_value=n)
        data["k"] = k
        data["orbit_count"] = G.orbit_count_subsets(k)
        data["orbit_count_burnside"] = data["orbit_count"]
        data["orbit_count_enumerated"] = (
            len(G.subset_orbit_representatives(k)) if math.comb(n, k) <= ENUMERATION_SUBSETS else None)
    else:
        raise InvalidParameterError(f"--on must be 'boolean' or 'subsets', got {on!r}.")
    if data["orbit_count_enumerated"] is not None and data["orbit_count_enumerated"] != data["orbit_count"]:
        raise InvalidParameterError(f"internal check failed: enumeration gives {data['orbit_count_enumerated']} "
                                    f"orbits, Burnside {data['orbit_count']}.")
    return data
