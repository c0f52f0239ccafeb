"""``symhard bench``: benchmark your own model or learner against a hard family (see :mod:`symhard.bench`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import InvalidParameterError
from ._common import console, print_json


def _parse_lrs(text: str) -> list[float]:
    out = []
    for tok in text.split(","):
        try:
            v = float(tok)
        except ValueError:
            raise InvalidParameterError(f"--lr value {tok.strip()!r} is not a number; give e.g. --lr 1e-3,3e-3.") from None
        out.append(v)
    return out


def _parse_options(items: list[str]) -> dict[str, object]:
    opts: dict[str, object] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise InvalidParameterError(f"--option must look like key=value (e.g. k=4), got {item!r}.")
        for cast in (int, float):
            try:
                opts[key.strip()] = cast(val)
                break
            except ValueError:
                continue
        else:
            opts[key.strip()] = val
    return opts


def _write_figure(res, out: Path) -> None:
    """Draw the result's figure into ``out/bench.png`` and ``out/bench.svg`` (the report layer draws;
    :func:`symhard.bench.run` only writes the records) and record its path in ``bench.json``."""
    from ..report.bench import bench_figure
    from ..report.render import render_figure

    png, _svg = render_figure(bench_figure(res), out)
    res.figure = png
    (Path(out) / "bench.json").write_text(res.to_json(), encoding="utf-8")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("bench")
    def bench(
        family: str = typer.Option(..., "--family", help="Learning task of a hard family, e.g. gnn-features, cnn, polynomials."),
        sweep: str = typer.Option(..., "--sweep", help="The family's hardness parameter and its values, e.g. d=8,16,32."),
        model: Optional[str] = typer.Option(None, "--model", help="make_model(info) -> torch module: 'pkg.mod:fn' or 'path/file.py:fn'."),
        learner: Optional[str] = typer.Option(None, "--learner", help="learn(sample, budget) -> predict: 'pkg.mod:fn' or 'path/file.py:fn'."),
        budget_samples: int = typer.Option(2048, "--budget-samples", min=1, help="Training samples N (shared by everyone)."),
        budget_steps: int = typer.Option(300, "--budget-steps", min=1, help="Optimizer steps of every network."),
        seeds: int = typer.Option(3, "--seeds", min=1, help="Number of random family members (seeds 0..S-1)."),
        batch_size: int = typer.Option(128, "--batch-size", min=1, help="Mini-batch size (also sets tau = 1/sqrt(b))."),
        lr: str = typer.Option("1e-3", "--lr", help="Learning-rate grid, comma separated (shared with the baseline)."),
        role: str = typer.Option("hard", "--role", help="'hard' (a member of the hard class) or 'control'."),
        option: list[str] = typer.Option([], "--option", help="Task option key=value (repeatable), e.g. --option k=4."),
        baseline_width: Optional[int] = typer.Option(None, "--baseline-width", min=1, help="Width of the GD baseline (default max(16, 4*hidden units))."),
        n_test: int = typer.Option(2048, "--n-test", min=2, help="Fresh test inputs per swept value."),
        ensemble_mode: str = typer.Option("auto", "--ensemble-mode", help="auto | vmap | loop: how copies of the user model are batched."),
        device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto."),
        seed: int = typer.Option(0, "--harness-seed", min=0, help="Seeds the train/test/init/batch streams."),
        out: Optional[Path] = typer.Option(None, "--out", help="Folder for runs.jsonl, bench.json and the figure bench.png / bench.svg."),
        as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
    ) -> None:
        """Train your model (or run your learner) on a hard family beside the built-in GD baseline.

        The harness is locked: the same training set and step budget for everyone, a fresh test
        set, normalized test error (zero predictor = 1), several family members (seeds), an
        invariance check of your model under the family's group before training, and the
        family's query lower bound on the figure.
        """
        from .. import bench as _bench

        if (model is None) == (learner is None):
            raise InvalidParameterError("give exactly one of --model module:make_model or --learner module:learn.")
        sweep_d = _bench.parse_sweep(sweep)
        lrs = _parse_lrs(lr)
        user = _bench.load_object(model, "model") if model else _bench.load_object(learner, "learner")
        say = None if as_json else (lambda msg: print(f"[bench] {msg}", file=sys.stderr))
        res = _bench.run(
            family, sweep_d, model=user if model else None, learner=user if learner else None,
            budget_samples=budget_samples, budget_steps=budget_steps, seeds=seeds, batch_size=batch_size,
            lrs=lrs, role=role, task_options=_parse_options(option), baseline_width=baseline_width,
            n_test=n_test, ensemble_mode=ensemble_mode, harness_seed=seed, device=device, out_dir=out,
            progress=say, name=model or learner,
        )
        if out is not None:
            _write_figure(res, out)
        if as_json:
            print_json(res.to_dict())
            return
        from rich.table import Table

        table = Table(title=f"symhard bench: {family} ({res.config['budget_samples']} samples, "
                            f"{res.config['budget_steps']} steps, {len(res.config['seeds'])} seeds)")
        for col in ("learner", res.param_name, "error: median [q25, q75]", "invariant (rel. viol.)", "log10 LB"):
            table.add_column(col)
        for r in res.summary:
            lb = r["lower_bound_log10_queries"]
            table.add_row(
                r["learner"], str(r["param_value"]),
                f"{r['median_test_error']:.3f} [{r['q25_test_error']:.3f}, {r['q75_test_error']:.3f}]",
                f"{'yes' if r['invariant'] else 'NO'} ({r['invariance_rel_violation']:.1e})",
                "vacuous" if lb is None else (lb if isinstance(lb, str) else f"{lb:.1f}"),
            )
        c = console()
        c.print(table)
        names = {r["learner"]: r["name"] for r in res.summary}
        c.print("; ".join(f"{k} = {v}" for k, v in names.items()))
        modes = sorted({r["ensemble_mode"] for r in res.records if r["learner"] == "user" and r["ensemble_mode"]})
        if modes:
            c.print(f"user ensemble: {', '.join(modes)}; lr per seed chosen by training loss; tau = {res.config['tau']:.3g}")
        if out is not None:
            c.print(f"figure: {res.figure} (and .svg)   records: {Path(out) / 'runs.jsonl'}, {Path(out) / 'bench.json'}")
