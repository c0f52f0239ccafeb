"""``symhard check cnn`` and ``symhard check frames``: certificates of the CNN and frame families."""

from __future__ import annotations

from typing import Optional

import typer

from ._common import emit_certificate


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @check_app.command("cnn")
    def check_cnn(
        n: int = typer.Option(16, "--n", help="Number of input rows n."),
        group: Optional[str] = typer.Option(None, "--group", help="Group spec acting on n points (default cyclic:N)."),
        k: int = typer.Option(4, "--k", help="Even order k of F_k, 2 <= k <= n."),
        members: int = typer.Option(32, "--members", help="Number of random members V."),
        d: int = typer.Option(1, "--d", help="Number of input columns d."),
        activation: str = typer.Option("relu", "--activation", help="relu or abs (the sign-invariant |z|)."),
        tau: Optional[float] = typer.Option(None, "--tau", help="Query tolerance (default sqrt(2 gamma))."),
        seed: int = typer.Option(0, "--seed", help="Seed of the members and of the realization check."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """DKKZ class on group-averaged networks / circular CNNs: exact Gram, nu, norm bound, CSQ bound."""
        from ..families.cnn import certify

        emit_certificate(certify(n=n, group=group, k=k, members=members, d=d, activation=activation,
                                 tau=tau, seed=seed), as_json)

    @check_app.command("frames")
    def check_frames(
        n: int = typer.Option(12, "--n", help="Dimension n of the Gaussian input."),
        group: Optional[str] = typer.Option(None, "--group", help="Group spec acting on n points (default cyclic:N)."),
        k: int = typer.Option(2, "--k", help="Even subset size k, 2 <= k <= n."),
        members: int = typer.Option(16, "--members", help="Orbit representatives checked pairwise."),
        abs_samples: int = typer.Option(64, "--abs-samples", help="Samples of |x| for the exact orthogonality check."),
        norm_samples: int = typer.Option(4000, "--norm-samples", help="Monte Carlo samples of |x| for the norms."),
        tau: Optional[float] = typer.Option(None, "--tau", help="Query tolerance (default n^-c)."),
        c: float = typer.Option(1.0, "--c", help="Exponent c of the default tolerance n^-c."),
        seed: int = typer.Option(0, "--seed", help="Seed of the samples."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Frame-averaged Goel et al. sign networks: exact orthogonality given |x|, MC norms, CSQ bound."""
        from ..families.frames import certify

        emit_certificate(certify(n=n, group=group, k=k, members=members, abs_samples=abs_samples,
                                 norm_samples=norm_samples, tau=tau, c=c, seed=seed), as_json)
