r"""Run a frontier: bisection lines evaluated in rounds through the experiment store and executors.

Every point (a line and a size) is one chunk of an ordinary experiment spec built from the
:class:`~symhard.frontier.config.Plan`: one series per line, its values the whole size bracket,
role ``hard``. So the frontier inherits the store (atomic, verified, resumable, ``--repair``,
``--force``), the executors (serial, process, Ray; CUDA when asked) and the validation-based
choice of the learning rate, and a point computed once is never computed again: a rerun replays
the bisections from the stored chunks and continues where it stopped.

A *round* asks every unfinished line for its next size; the points already stored are read
back, the others run together through one executor call (so lines progress in parallel). The
sequence of sizes of a line depends only on its outcomes, hence a resumed run asks for exactly
the same points as an uninterrupted one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..experiments.executors import check_cluster, execute
from ..progress import Progress, as_progress
from ..experiments.spec import ExperimentSpec, spec_from_dict
from ..experiments.store import ResultStore, read_runs
from ..experiments.sweep import Chunk, expand, plan_estimate
from ..learners.device import check_precision, device_label, require_on_device, resolve_device
from ..resources import available_cpus
from .config import Line, Plan
from .search import Bisection

__all__ = ["frontier_spec", "run_points", "plan_points", "FrontierRun"]

def frontier_spec(plan: Plan, name: str) -> ExperimentSpec:
    """The experiment spec whose chunks are every point the frontier may evaluate (validated)."""
    series = []
    for line in plan.lines():
        lo, hi = plan.bracket(line.k)
        series.append({"task": plan.task, "label": line.label, "values": list(range(lo, hi + 1)), "roles": ["hard"],
                       "options": {plan.k_option: line.k, **plan.options}, **plan.series_overrides(line)})
    data = {
        "name": name,
        "description": f"frontier of {plan.task} along {plan.axis}: the largest size learned by half of the seeds",
        "seeds": list(plan.seeds), "test_size": plan.test_size, "success_threshold": plan.error_threshold,
        "learner": {"lrs": list(plan.lrs), "width_multiple": plan.width_multiple, "batch_size": plan.batch_size,
                    "steps": plan.steps, "train_size": plan.train_size, "eval_every": 10**9},
        "series": series,
    }
    return spec_from_dict(data, source=f"frontier {name!r}")


@dataclass
class FrontierRun:
    """The evaluated points of every line: ``points[label][size] = per-seed test errors`` (seed order)."""

    spec: ExperimentSpec
    lines: dict[str, Line]
    searches: dict[str, Bisection]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # chunk id -> its run rows
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0


def _errors(rows: list[dict[str, Any]], seeds: tuple[int, ...]) -> list[float]:
    """Per seed (in ``seeds`` order) the test error of the member chosen on validation data."""
    by_seed = {}
    for r in rows:
        if r["chosen"]:
            e = r["test_error"]
            by_seed[r["seed"]] = math.inf if r["diverged"] or e is None or e != e else float(e)
    return [by_seed.get(s, math.inf) for s in seeds]


def run_points(plan: Plan, out_dir: str | Path, *, executor: str = "serial", workers: int | None = None,
               address: str | None = None, device: str = "cpu", threads: int = 1, force: bool = False,
               repair: bool = False, progress: Progress | None = None, precision: str = "fp32") -> FrontierRun:
    """Evaluate every line's bisection (resuming from ``out_dir``) and return the points.

    ``progress`` (:mod:`symhard.progress`) hears of every point: ``done`` = points evaluated so far,
    ``total`` = an estimate of the points still possible (each line needs at most its two ends and
    the halvings of its bracket), the label names the point and its outcome.
    """
    t0 = time.perf_counter()
    report = as_progress(progress)
    spec = frontier_spec(plan, Path(out_dir).name)
    precision = check_precision(precision)
    resolve_device(device)  # refused before the store is created
    chunks: dict[tuple[str, int], Chunk] = {(c.series.name, c.value): replace(c, precision=precision)
                                            for c in expand(spec)}
    lines = {line.label: line for line in plan.lines()}
    run = FrontierRun(spec, lines, {lab: Bisection(*plan.bracket(line.k), plan.error_threshold, plan.rel_tol)
                                    for lab, line in lines.items()})
    most = sum(3 + math.ceil(math.log2(max(2, b.hi - b.lo))) for b in run.searches.values())  # ends + halvings
    check_cluster(executor, address, device, threads)  # a cluster that cannot hold a point: one line, nothing written
    parallel = min(len(lines), workers or available_cpus()) if executor == "process" else 1
    require_on_device(plan_estimate(list(chunks.values()), parallel), device if executor != "ray" else "cpu")  # the largest point of every bracket, before writing
    store = ResultStore(out_dir)
    store.open(spec, device=device_label(device, precision), repair=repair, force=force)
    try:
        if store.finished():
            for r in read_runs(out_dir).to_pylist():
                run.rows.setdefault(r["chunk_id"], []).append(r)
        while True:
            want = {lab: s for lab, b in run.searches.items() if (s := b.next_size()) is not None}
            if not want:
                break
            todo = []
            for lab, size in want.items():
                c = chunks[(lab, size)]
                if c.chunk_id in run.rows:
                    run.searches[lab].record(size, _errors(run.rows[c.chunk_id], plan.seeds))
                    run.reused += 1
                else:
                    todo.append(c)
            if not todo:
                continue
            done = run.computed + run.reused
            report(done, max(most, done + len(todo)), f"{len(todo)} point(s) in parallel: {todo[0].series.name} "
                                                      f"size={todo[0].value}" + (", ..." if len(todo) > 1 else ""))
            for res in execute(todo, executor=executor, device=device, workers=workers, address=address,
                               threads=threads, imports=(), sys_path=()):
                c = next(x for x in todo if x.chunk_id == res.chunk_id)
                store.write(res, expected_rows=c.expected_rows)
                rows = [dict(zip(res.runs, vals)) for vals in zip(*res.runs.values())]
                run.rows[c.chunk_id] = rows
                errs = _errors(rows, plan.seeds)
                run.searches[c.series.name].record(c.value, errs)
                run.computed += 1
                ok = sum(e < plan.error_threshold for e in errs)
                done = run.computed + run.reused
                report(done, max(most, done), f"{c.series.name} size={c.value}: {ok}/{len(errs)} seeds learned "
                                              f"({res.seconds:.1f} s)")
    finally:
        store.close()
    run.seconds = time.perf_counter() - t0
    return run


def plan_points(plan: Plan, out_dir: str | Path, *, device: str = "cpu", precision: str = "fp32",
                threads: int = 1) -> Any:
    """The cost of :func:`run_points` before it starts (:class:`~symhard.experiments.plan.RunPlan`; nothing written).

    A bisection's later sizes depend on its outcomes, so per line the plan lists the two ends
    (evaluated first, exactly known) and one entry for the at most ``⌈log₂(hi − lo)⌉ + 1`` further
    points, estimated at the largest size (an upper bound). Points already stored are marked.
    """
    from ..experiments.plan import Calibrator, RunPlan, estimate_workloads, stored_chunks, workload_of

    spec = frontier_spec(plan, Path(out_dir).name)
    chunks = {(c.series.name, c.value): replace(c, precision=check_precision(precision)) for c in expand(spec)}
    stored, note = stored_chunks(out_dir, spec.hash())
    items, times = [], []
    for line in plan.lines():
        lo, hi = plan.bracket(line.k)
        for size in (lo, hi):
            c = chunks[(line.label, size)]
            items.append((c.chunk_id, f"{line.label} size={size}", workload_of(c), c.chunk_id in stored))
            times.append(1)
        more = math.ceil(math.log2(max(2, hi - lo))) + 1
        items.append(("", f"{line.label}: up to {more} bisection points in ({lo}, {hi})",
                      workload_of(chunks[(line.label, hi)]), False))
        times.append(more)
    cal = Calibrator(device, precision, threads)
    est = estimate_workloads(items, cal)
    for e, k in zip(est, times):
        e.seconds = None if e.seconds is None else e.seconds * k
    notes = ["a bisection's later sizes depend on its outcomes: each line's 'up to N bisection points' entry is an "
             "upper bound (every point at the largest size); stored points are reused"] + ([note] if note else [])
    return RunPlan(what=f"frontier {plan.task} along {plan.axis}", out_dir=str(out_dir), device=cal.device,
                   precision=cal.precision, threads=threads, chunks=est, calibration_seconds=cal.seconds, notes=notes)
