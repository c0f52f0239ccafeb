"""``symhard check gnn-degree-parity`` and ``symhard check gnn-features``: GNN certificates."""

from __future__ import annotations

import typer

from ._common import emit_certificate


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @check_app.command("gnn-degree-parity")
    def gnn_degree_parity(
        n: int = typer.Option(8, "--n", help="Number of nodes (>= 4)."),
        window: int = typer.Option(None, "--window", help="Number of central degrees in W (default min(4, max))."),
        subset: str = typer.Option(None, "--subset", help="Certify one member f_S, e.g. '3,4'."),
        tau: float = typer.Option(0.01, "--tau", help="Query tolerance in (0, 1]."),
        samples: int = typer.Option(20000, "--samples", help="Monte-Carlo graphs when n > 7."),
        seed: int = typer.Option(0, "--seed", help="Seed of the Monte-Carlo and realization samples."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Degree-histogram parities on G(n,1/2): exact GNN weights, biases, SQ bound."""
        from ..families.gnn_degree_parity import GNNDegreeParity

        cert = GNNDegreeParity().certificate(n=n, window=window, subset=subset, tau=tau, samples=samples, seed=seed)
        emit_certificate(cert, as_json)

    @check_app.command("gnn-features")
    def gnn_features(
        d: int = typer.Option(32, "--d", help="Feature dimension (>= 2)."),
        k: int = typer.Option(4, "--k", help="Frequency of F_k (even, >= 2)."),
        nodes: int = typer.Option(6, "--nodes", help="Nodes of the G(n,p) graphs (self-loops added)."),
        members: int = typer.Option(64, "--members", help="Random frames V certified."),
        p: float = typer.Option(0.5, "--p", help="Edge probability."),
        exact: bool = typer.Option(True, "--exact/--mc", help="Exact arc-cosine Gram, or Monte Carlo over (X, A)."),
        samples: int = typer.Option(20000, "--samples", help="Monte-Carlo samples with --mc."),
        tau: float = typer.Option(0.01, "--tau", help="Query tolerance in (0, 1]."),
        seed: int = typer.Option(0, "--seed", help="Seed of the frames and samples."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """DKKZ alternating-ReLU targets on graphs: exact correlations, overlap slope, CSQ bound."""
        from ..families.gnn_features import GNNFeatures

        cert = GNNFeatures().certificate(d=d, k=k, nodes=nodes, members=members, p=p, mc=not exact,
                                         samples=samples, tau=tau, seed=seed)
        emit_certificate(cert, as_json)
