"""``symhard separate``: the SQ/CSQ separation for invariant polynomials, end to end."""

from __future__ import annotations

from typing import Optional

import typer

from ._common import apply_limits, max_memory_option, print_json, print_table


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("separate")
    def separate(
        group: str = typer.Option("cyclic:64", "--group", help="Permutation group, e.g. cyclic:64."),
        k: int = typer.Option(4, "--k", "--degree", help="Degree k of the hidden orbit sum (1 ≤ k ≤ n); --degree is its old name."),
        samples: Optional[int] = typer.Option(
            None, "--samples", help="Training samples m shared by both learners (default: the SQ learner's need)."),
        steps: int = typer.Option(1000, "--steps", help="Adam steps of gradient descent."),
        lr: Optional[list[str]] = typer.Option(
            None, "--lr", help="Adam learning-rate grid trained as one ensemble: 1e-3,3e-3 (comma-separated or repeated)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the target and the samples."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON with keys sq and gd."),
        max_memory: Optional[float] = max_memory_option(),
    ) -> None:
        """Learn a random degree-k orbit sum with the SQ learner and with gradient descent."""
        from ._common import parse_lr_grid
        from ._progress import reporter

        from ..errors import check_int
        from ..families.polynomials import check_degree, resolve_group

        apply_limits(max_memory)
        lrs = parse_lr_grid(lr, (1e-3, 3e-3))
        check_degree(k, resolve_group(group).degree)  # bad input: one line before anything runs (torch is not loaded yet)
        for name, value in (("steps", steps), ("seed", seed)):
            check_int(value, name, min_value=1 if name == "steps" else 0)
        with reporter("separate") as progress:
            progress(0, None, "loading the learners (torch)")
            from ..learners.separation import run_separation

            out = run_separation(group, k, samples, seed=seed, steps=steps, lrs=lrs,
                                 progress=progress)
        if as_json:
            print_json(out)
            return
        rows = [("group", out["group"]), ("k", str(out["k"])), ("samples", str(out["samples"])),
                ("orbits N_k", str(out["orbits"]))]
        for name in ("sq", "gd"):
            r = out[name]
            used = (f"{r['queries']} queries (bound {r['query_bound']})" if name == "sq"
                    else f"{r['steps']} steps, best lr {r['lr']:g}")
            rows.append((name, f"test error {r['test_error']:.4g}, {used}, {r['seconds']:.1f} s"))
        print_table("symhard separate", rows)
