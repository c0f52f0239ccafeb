"""``symhard check boolean-parity`` and ``symhard check boolean-random``."""

from __future__ import annotations

import typer

from ._common import emit_certificate


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @check_app.command("boolean-parity")
    def boolean_parity(
        group: str = typer.Option("cyclic:10", "--group", help="Group spec, e.g. cyclic:10, dihedral:8, symmetric:6."),
        degree: int = typer.Option(3, "--degree", help="Degree k: parities of k-subsets."),
        tau: float = typer.Option(0.01, "--tau", help="Query tolerance in (0, 1]."),
        as_json: bool = typer.Option(False, "--json", help="Print the certificate as JSON."),
    ) -> None:
        """Invariant parities of degree k: orbit counts, exact orthonormality, CSQ bound."""
        from ..families.boolean import BooleanParity

        emit_certificate(BooleanParity().certificate(group=group, degree=degree, tau=tau), as_json)

    @check_app.command("boolean-random")
    def boolean_random(
        group: str = typer.Option("cyclic:12", "--group", help="Group spec, e.g. cyclic:12."),
        tau: float = typer.Option(0.01, "--tau", help="Query tolerance in (0, 1]."),
        members: int = typer.Option(32, "--members", help="Random members whose Gram matrix is computed."),
        seed: int = typer.Option(0, "--seed", help="Seed of the random members."),
        as_json: bool = typer.Option(False, "--json", help="Print the certificate as JSON."),
    ) -> None:
        """Random invariant ±1 functions: Σ_O P(O)², pairwise-independence SQ bound."""
        from ..families.boolean import BooleanRandom

        emit_certificate(BooleanRandom().certificate(group=group, tau=tau, members=members, seed=seed), as_json)
