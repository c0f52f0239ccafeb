"""``symhard bench``: benchmark your own model or learner against a hard family, or score it on a frozen suite.

The library (:mod:`symhard.bench`) trains and returns data; this command validates the flags,
picks the output folder (``symhard-results/bench/<family>-<hash>`` by default; a finished result
there is reused unless ``--force``), prints the results table with the budget, and has the report
layer draw the figure.
"""

from __future__ import annotations

import hashlib
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from ..errors import InvalidParameterError
from ._choices import PRECISION_HELP, Executor, Precision
from ._common import apply_limits, console, max_memory_option, parse_lr_grid, print_json

DEFAULT_ROOT = Path("symhard-results")


class Role(str, Enum):
    hard = "hard"
    control = "control"


class EnsembleMode(str, Enum):
    auto = "auto"
    vmap = "vmap"
    loop = "loop"


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


def _say(as_json: bool):
    return None if as_json else (lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True))


def _write_figure(res: Any, out: Path) -> None:
    """Draw ``out/bench.png`` and ``out/bench.svg`` (the report layer draws; the library only writes data)."""
    from ..report.bench import bench_figure
    from ..report.render import render_figure

    png, _svg = render_figure(bench_figure(res), out)
    res.figure = png


def _seed(seed: Optional[int], harness_seed: Optional[int]) -> int:
    if seed is not None and harness_seed is not None and seed != harness_seed:
        raise InvalidParameterError(f"--seed {seed} and --harness-seed {harness_seed} disagree; give --seed only.")
    return seed if seed is not None else (harness_seed if harness_seed is not None else 0)


def _key(kw: dict[str, Any], user_spec: str | None) -> str:
    """Hash of everything that determines a bench result (the user's source file included)."""
    from .. import __version__
    from ..bench._loading import spec_fingerprint

    kw = {k: v for k, v in kw.items() if not (k == "precision" and v == "fp32")}  # keys from before --precision hold
    blob = {**kw, "user": user_spec, "user_sha256": spec_fingerprint(user_spec) if user_spec else None,
            "symhard": __version__}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


def _reuse(out: Path, key: str, force: bool, explicit: bool) -> Any:
    """The stored result in ``out`` when it was made with the same key (and not ``force``), else None."""
    from ..bench import BenchResult

    path = out / "bench.json"
    if force or not path.is_file():
        return None
    res = BenchResult.load(path)
    if res.config.get("key") == key:
        return res
    if explicit:
        raise InvalidParameterError(f"{str(out)!r} holds a bench result of another configuration; give another "
                                    "--out, or --force to overwrite it.")
    return None


def _budget_line(cfg: dict[str, Any]) -> str:
    lrs = ",".join(f"{x:g}" for x in cfg["lrs"])
    return (f"budget: {cfg['budget_samples']} samples ({cfg['n_train']} training + {cfg['n_val']} validation), "
            f"{cfg['budget_steps']} {cfg['optimizer']} steps × batch {cfg['batch_size']}, lr grid {lrs} "
            f"(chosen per seed on validation), {len(cfg['seeds'])} seeds, {cfg['n_test']} test inputs; "
            f"baseline width {cfg['baseline_width']}")


def _print_table(res: Any, out: Path, reused: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    cfg = res.config
    table = Table(title=escape(f"symhard bench: {res.family}, role {cfg['role']}"))
    for col in ("learner", res.param_name, "error", "success", "invariant", "log10 LB"):
        table.add_column(col, no_wrap=True)
    for r in res.summary:
        lb = r["lower_bound_log10_queries"]
        table.add_row(
            r["learner"], str(r["param_value"]),
            f"{r['median_test_error']:.3f} [{r['q25_test_error']:.2f}, {r['q75_test_error']:.2f}]",
            f"{round(r['success_rate'] * r['seeds'])}/{r['seeds']}",
            f"{'yes' if r['invariant'] else 'NO'} ({r['invariance_rel_violation']:.0e})",
            "vacuous" if lb is None else (lb if isinstance(lb, str) else f"{lb:.1f}"),
        )
    c = console()
    c.print(table)
    c.print(escape(_budget_line(cfg)))
    c.print(escape("; ".join(f"{r['learner']} = {r['name']}" for r in res.summary if r["param_value"] == res.summary[0]["param_value"])))
    modes = sorted({r["ensemble_mode"] for r in res.records if r["learner"] == "user" and r["ensemble_mode"]})
    c.print(escape(f"{'user ensemble: ' + ', '.join(modes) + '; ' if modes else ''}error = median over seeds [q25, q75]; success = seeds with test error "
                   f"< 0.1; invariant = relative violation <= 1e-4; LB = the family's CSQ lower bound at tau = "
                   f"{cfg['tau']:.3g}"))
    c.print(escape(f"results {'reused from' if reused else 'written to'} {out}/ (bench.json, runs.jsonl, bench.png, bench.svg)"
                   + ("; --force recomputes" if reused else "")))


def _run_bench(family: Optional[str], sweep: Optional[str], user_spec: Optional[str], kind: str,
               kw: dict[str, Any], out: Optional[Path], force: bool, as_json: bool) -> None:
    from .. import bench as _bench
    from ..bench.results import check_out_dir, write_result
    from ._task_options import parse_task_options

    if family is None or sweep is None:
        raise InvalidParameterError("give --family and --sweep (e.g. --family cnn --sweep n=8,16), or --suite v1.")
    sweep_d = _bench.parse_sweep(sweep)
    kw["task_options"] = parse_task_options(kw.pop("option"), family)
    key = _key({"family": family, "sweep": sweep_d, "kind": kind, **kw}, user_spec)
    explicit = out is not None
    out = check_out_dir(out if explicit else DEFAULT_ROOT / "bench" / f"{family}-{key[:12]}")
    res = _reuse(out, key, force, explicit)
    reused = res is not None
    if not reused:
        user = _bench.load_object(user_spec, kind) if user_spec else None
        res = _bench.run(family, sweep_d, model=user if kind == "model" else None,
                         learner=user if kind == "learner" else None, progress=_say(as_json), name=user_spec, **kw)
        res.config["key"] = key
        out.mkdir(parents=True, exist_ok=True)
        _write_figure(res, out)
        write_result(res, out)
    if as_json:
        print_json({**res.to_dict(), "out_dir": str(out), "reused": reused})
    else:
        _print_table(res, out, reused)


def _run_suite(name: str, quick: bool, only: list[str], user_spec: Optional[str], kind: str, device: str,
               out: Optional[Path], force: bool, as_json: bool, executor: str = "serial",
               address: Optional[str] = None, precision: str = "fp32", plan: bool = False) -> None:
    from ..bench.scorecard import run_suite, submission_fingerprint
    from ..bench.suite import load_suite

    suite = load_suite(name)
    only = [p.strip() for item in only for p in item.split(",") if p.strip()]
    suite.selected(quick, only)  # an unknown task pattern is refused before anything runs
    user = None
    if user_spec:
        from ..bench import load_object

        user = load_object(user_spec, kind)  # loaded here first: a bad file is one line before anything runs
        user = user if executor == "serial" else user_spec  # other processes load it themselves
    sub = submission_fingerprint(model=user_spec if kind == "model" else None,
                                 learner=user_spec if kind == "learner" else None)
    folder = out if out is not None else DEFAULT_ROOT / "suite" / f"{suite.version}-{sub['kind']}-{sub['sha256'][:12]}"
    if plan:
        from ..bench.scorecard import plan_suite
        from ._plan import print_plan

        return print_plan(plan_suite(suite, quick=quick, out_dir=folder, submission=sub, device=device,
                                     precision=precision, only=only or None), as_json)
    card = run_suite(suite, model=user if kind == "model" else None, learner=user if kind == "learner" else None,
                     quick=quick, out_dir=folder, force=force, device=device, progress=_say(as_json), submission=sub,
                     only=only or None, executor=executor, address=address, precision=precision)
    if as_json:
        print_json(card)
    else:
        from ._scorecard_table import print_scorecard

        print_scorecard(card)


_BUDGET_FLAGS = ("--budget-samples", "--budget-steps", "--seeds", "--batch-size", "--lr", "--role", "--option",
                 "--baseline-width", "--n-test", "--seed", "--family", "--sweep")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    @app.command("bench")
    def bench(
        family: Optional[str] = typer.Option(None, "--family", help="Learning task of a hard family, e.g. gnn-features, cnn, polynomials."),
        sweep: Optional[str] = typer.Option(None, "--sweep", help="The family's hardness parameter and its distinct values, e.g. d=8,16,32."),
        model: Optional[str] = typer.Option(None, "--model", help="make_model(info) -> torch module: 'pkg.mod:fn' or 'path/file.py:fn' (runs that Python code)."),
        learner: Optional[str] = typer.Option(None, "--learner", help="learn(sample, budget) -> predict: 'pkg.mod:fn' or 'path/file.py:fn' (runs that Python code)."),
        baseline_only: bool = typer.Option(False, "--baseline", help="Run the built-in GD baseline alone (with --suite: score it)."),
        suite: Optional[str] = typer.Option(None, "--suite", help="Score on a frozen suite (e.g. v1) with its fixed tasks, budget and seeds."),
        quick: bool = typer.Option(False, "--quick", help="With --suite: the quick subset (minutes on a CPU)."),
        tasks: list[str] = typer.Option([], "--tasks", help="With --suite: only these task ids (shell patterns, e.g. 'gnn-*') or task names, comma separated or repeated."),
        budget_samples: Optional[int] = typer.Option(None, "--budget-samples", min=2, help="Samples N, 20% held out for validation (default 8000)."),
        budget_steps: Optional[int] = typer.Option(None, "--budget-steps", min=1, help="Optimizer steps of every network (default 600)."),
        seeds: Optional[int] = typer.Option(None, "--seeds", min=1, help="Number of random family members, seeds 0..S-1 (default 3)."),
        batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Mini-batch size; also sets tau = 1/sqrt(b) (default 128)."),
        lr: Optional[list[str]] = typer.Option(None, "--lr", help="Learning-rate grid, comma separated or repeated (default 1e-3,3e-3,1e-2,3e-2); chosen per seed on validation."),
        role: Optional[Role] = typer.Option(None, "--role", help="hard (a member of the hard class) or control (default hard)."),
        option: list[str] = typer.Option([], "--option", help="Task option key=value (repeatable), e.g. --option k=4."),
        baseline_width: Optional[int] = typer.Option(None, "--baseline-width", min=1, help="Width of the GD baseline (default 64)."),
        n_test: Optional[int] = typer.Option(None, "--n-test", min=2, help="Fresh test inputs per swept value (default 2048)."),
        ensemble_mode: EnsembleMode = typer.Option(EnsembleMode.auto, "--ensemble-mode", help="How copies of your model are batched."),
        device: Device = typer.Option(Device.cpu, "--device", help="Where the networks train."),
        precision: Precision = typer.Option(Precision.fp32, "--precision", help=PRECISION_HELP),
        seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seeds the train/validation/test/init/batch streams (default 0)."),
        harness_seed: Optional[int] = typer.Option(None, "--harness-seed", min=0, hidden=True),
        out: Optional[Path] = typer.Option(None, "--out", help="Results folder (default symhard-results/bench/<family>-<hash> or symhard-results/suite/...)."),
        executor: Executor = typer.Option(Executor.serial, "--executor", help="With --suite: where the tasks run (serial, process or ray)."),
        address: Optional[str] = typer.Option(None, "--address", help="With --suite --executor ray: the Ray cluster address ('auto' joins a running cluster)."),
        force: bool = typer.Option(False, "--force", help="Recompute even when the folder holds a finished result."),
        plan: bool = typer.Option(False, "--plan", help="With --suite: print the tasks, their estimated time and memory on "
                                  "this machine and what OUT already holds; run nothing, write nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the full result (or scorecard) as JSON."),
        max_memory: Optional[float] = max_memory_option(),
    ) -> None:
        """Train your model (or run your learner) on a hard family beside the built-in GD baseline.

        The harness is locked: the same training set and step budget for everyone, 20% of the
        samples held out to choose the learning rate, a fresh test set, normalized test error
        (zero predictor = 1), several family members (seeds), an invariance check of your model
        under the family's group before training, and the family's query lower bound. --model
        and --learner import and run your Python file. With --suite v1 the tasks, budget and
        seeds are fixed and a scorecard is written.
        """
        from ..bench.defaults import DEFAULTS

        apply_limits(max_memory)
        if sum(x is not None for x in (model, learner)) + baseline_only != 1:
            raise InvalidParameterError("give exactly one of --model module:make_model, --learner module:learn or --baseline.")
        kind = "model" if model else "learner" if learner else "baseline"
        user_spec = model or learner
        if suite is not None:
            given = [f for f, v in zip(_BUDGET_FLAGS, (budget_samples, budget_steps, seeds, batch_size, lr, role, option or None,
                                                      baseline_width, n_test, seed if seed is not None else harness_seed, family, sweep))
                     if v is not None]
            if given:
                raise InvalidParameterError(f"--suite fixes the tasks, budget and seeds; drop {', '.join(given)}.")
            return _run_suite(suite, quick, list(tasks), user_spec, kind, device.value, out, force, as_json,
                              executor.value, address, precision.value, plan)
        if quick or tasks or plan:
            raise InvalidParameterError("--quick and --tasks go with --suite (e.g. --suite v1 --quick), and so does --plan.")
        if executor != Executor.serial or address:
            raise InvalidParameterError("--executor and --address go with --suite (e.g. --suite v1 --executor ray --address auto).")
        kw = dict(budget_samples=budget_samples or DEFAULTS["budget_samples"],
                  budget_steps=budget_steps or DEFAULTS["budget_steps"], seeds=seeds or DEFAULTS["seeds"],
                  batch_size=batch_size or DEFAULTS["batch_size"], lrs=list(parse_lr_grid(lr, DEFAULTS["lrs"])),
                  role=(role or Role.hard).value, option=list(option),
                  baseline_width=baseline_width or DEFAULTS["baseline_width"], n_test=n_test or DEFAULTS["n_test"],
                  ensemble_mode=ensemble_mode.value, harness_seed=_seed(seed, harness_seed), device=device.value,
                  precision=precision.value)
        _run_bench(family, sweep, user_spec, kind, kw, out, force, as_json)
