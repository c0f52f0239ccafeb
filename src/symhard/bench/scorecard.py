"""Running a suite and its scorecard: per-task results stored for resume, the machine, the JSON.

:func:`run_suite` runs every task of a :class:`~symhard.bench.suite.Suite` (or its quick subset)
for one submission — the user's model, the user's learner or the built-in baseline — through
:func:`symhard.bench.run` with the suite's fixed budget, seeds and invariance check. Each task's
result is written atomically to ``OUT/tasks/<id>.json`` with a key (the suite hash, the task id,
the submission's fingerprint, the device); a rerun reuses every task whose key matches and
computes only the others (``force=True`` recomputes everything). The tasks to compute go through
:func:`symhard.experiments.executors.execute` (serial, a process pool or Ray, one task per chunk);
the driver alone writes the results, as each task comes back. The scorecard
(``OUT/scorecard.json``, ``OUT/scorecard-quick.json`` for the quick subset) carries the suite hash,
the symhard version and the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import InstanceFormatError, InvalidParameterError
from .results import atomic_write_text, check_out_dir
from .suite import Suite, SuiteTask

__all__ = ["run_suite", "plan_suite", "machine_info", "submission_fingerprint"]


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Platform, CPU, core count, torch version and threads, and the device the networks trained on."""
    import torch

    from ..learners.gd import resolve_device

    dev = resolve_device(device)
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "device": "cpu" if dev.type == "cpu" else f"cuda ({torch.cuda.get_device_name(dev)})"}


def submission_fingerprint(model: Any = None, learner: Any = None) -> dict[str, str]:
    """What was scored: ``kind`` (model, learner, baseline), ``spec`` and a SHA-256 of its source file."""
    from ._loading import spec_fingerprint

    if model is None and learner is None:
        return {"kind": "baseline", "spec": "the task's own architecture (symhard GD baseline)", "sha256": "baseline"}
    kind, obj = ("model", model) if model is not None else ("learner", learner)
    if isinstance(obj, str):
        return {"kind": kind, "spec": obj, "sha256": spec_fingerprint(obj)}
    from ._guest import source_file

    path = source_file(obj)
    h = hashlib.sha256(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}".encode())
    if path and os.path.isfile(path):
        h.update(Path(path).read_bytes())
    return {"kind": kind, "spec": f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '?')}",
            "sha256": h.hexdigest()}


def _task_key(suite: Suite, task: SuiteTask, submission: dict[str, str], device: str) -> str:
    blob = json.dumps([suite.sha256, task.id, submission["kind"], submission["sha256"], device], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _load_task(path: Path, key: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InstanceFormatError(f"task result {str(path)!r} is corrupt ({type(err).__name__}); delete it or "
                                  "rerun with --force.") from None
    return d if isinstance(d, dict) and d.get("key") == key else None


def _run_task(suite: Suite, task: SuiteTask, model: Any, learner: Any, device: str,
              progress: Callable[[str], None] | None, name: str, precision: str = "fp32") -> dict[str, Any]:
    from .harness import run

    b = suite.budget
    res = run(task.task, {task.param_name: [task.value]}, model=model, learner=learner,
              baseline=model is None and learner is None, role=task.role, task_options=task.options,
              seeds=list(suite.seeds), budget_samples=b["samples"], budget_steps=b["steps"], batch_size=b["batch_size"],
              lrs=b["lrs"], val_fraction=b["val_fraction"], baseline_width=b["baseline_width"], n_test=suite.n_test,
              invariance_samples=suite.invariance["samples"], invariance_tol=suite.invariance["tol"],
              harness_seed=suite.harness_seed, device=device, progress=progress, name=name,
              precision=precision)
    who = "baseline" if model is None and learner is None else "user"
    row = next(r for r in res.summary if r["learner"] == who)
    recs = [r for r in res.records if r["learner"] == who]
    errs = row["test_errors"]
    return {"id": task.id, "task": task.task, "role": task.role, "param_name": task.param_name, "value": task.value,
            "options": task.options, "note": task.note, "name": row["name"], "seeds": list(suite.seeds),
            "test_errors": errs, "mean_test_error": row["mean_test_error"], "median_test_error": row["median_test_error"],
            "success_rate": sum(e < suite.success_threshold for e in errs) / len(errs),
            "chosen_lrs": row["chosen_lrs"], "chosen_val_errors": row["chosen_val_errors"],
            "invariant": row["invariant"], "invariance_rel_violation": row["invariance_rel_violation"],
            "budget": {"samples": b["samples"], "n_train": res.config["n_train"], "n_val": res.config["n_val"],
                       "steps": b["steps"], "batch_size": b["batch_size"], "lrs": b["lrs"],
                       "params": recs[0]["params"], "samples_used": recs[0].get("samples_used"),
                       "queries": (recs[0]["params"] * b["steps"]) if recs[0]["params"] else None},
            "lower_bound": recs[0]["lower_bound"], "seconds": res.seconds}


@dataclass(frozen=True)
class _Job:
    """One suite task for an executor: what to run and how the driver files the result."""

    chunk_id: str
    suite: Suite
    task: SuiteTask
    key: str
    model: Any
    learner: Any
    name: str
    progress: Callable[[str], None] | None = None
    label: str = ""
    precision: str = "fp32"


def _work(job: _Job, device: str) -> dict[str, Any]:
    """Run one suite task (in whichever process the executor chose); returns its row with its key."""
    if job.progress is not None:
        job.progress(f"{job.label} {job.task.id}: {job.task.task} {job.task.param_name}={job.task.value} ({job.task.role})")
    row = _run_task(job.suite, job.task, job.model, job.learner, device, job.progress, job.name, job.precision)
    return {"key": job.key, **row}


def _portable(obj: Any) -> Any:
    """A model/learner for other processes: a spec string with an absolute file path, or the object itself."""
    from ._loading import absolute_spec

    return absolute_spec(obj) if isinstance(obj, str) else obj


def run_suite(suite: Suite, *, model: Any = None, learner: Any = None, quick: bool = False,
              out_dir: str | Path, force: bool = False, device: str = "cpu",
              progress: Callable[[str], None] | None = None, submission: dict[str, str] | None = None,
              only: list[str] | None = None, executor: str = "serial", address: str | None = None,
              workers: int | None = None, threads: int | None = None, precision: str = "fp32") -> dict[str, Any]:
    """Run ``suite`` (its quick subset with ``quick``) for one submission; returns the scorecard dict.

    ``model``/``learner``: as for :func:`symhard.bench.run` (a callable or a spec string); with
    neither, the built-in baseline is scored. Per-task results in ``out_dir/tasks/`` are reused
    when their key matches (unless ``force``); the scorecard is written to ``out_dir``.
    ``submission`` overrides :func:`submission_fingerprint` (the CLI hashes the spec string's file);
    ``only`` restricts the tasks (:meth:`Suite.selected`), for a model made for some tasks only.
    ``executor``/``address``/``workers``: where the tasks run (:func:`~symhard.experiments.executors.execute`;
    off ``serial``, give the model or learner as a spec string, which each worker loads);
    ``threads``: torch threads per task (default: left as it is when serial, 1 elsewhere).
    ``precision`` (fp32, tf32, bf16): the arithmetic of the gradient steps (:mod:`symhard.learners.device`);
    it enters the task keys and the scorecard's machine when it is not fp32.
    """
    from ..learners.device import device_label
    from .. import __version__
    from ..experiments.executors import check_cluster, check_device, check_executor, execute

    if model is not None and learner is not None:
        raise InvalidParameterError("give at most one of model or learner (neither scores the built-in baseline).")
    threads = threads if threads is not None or executor == "serial" else 1
    check_executor(executor, workers=workers, threads=threads, address=address)
    check_device(device, executor, address)
    selected = suite.selected(quick, only)
    out = check_out_dir(out_dir)
    submission = submission or submission_fingerprint(model, learner)
    on_cluster = executor == "ray" and address
    machine = machine_info("cpu" if on_cluster else device) | (
        {"device": f"{device} on the Ray cluster at {address}"} if on_cluster else {}) | (
        {"torch_threads": threads} if threads else {}) | (  # what each task ran with
        {"precision": precision} if precision != "fp32" else {})
    say = progress or (lambda _m: None)
    rows: dict[str, dict[str, Any]] = {}
    todo: list[_Job] = []
    serial, t0 = executor == "serial", time.perf_counter()
    for i, task in enumerate(selected, 1):
        key = _task_key(suite, task, submission, device_label(device, precision))
        path = out / "tasks" / f"{task.id}.json"
        row = None if force else _load_task(path, key)
        if row is not None:
            say(f"[{i}/{len(selected)}] {task.id}: stored result reused ({path})")
            rows[task.id] = row
        else:
            todo.append(_Job(task.id, suite, task, key, model if serial else _portable(model),
                             learner if serial else _portable(learner), submission["spec"],
                             progress if serial else None, f"[{i}/{len(selected)}]", precision))
    check_cluster(executor, address, device, threads)  # a cluster that cannot hold a task: one line, nothing written
    (out / "tasks").mkdir(parents=True, exist_ok=True)
    if todo and not serial:
        say(f"{len(todo)} task(s) on the {executor} executor" + (f" at {address}" if address else ""))
    for row in execute(todo, executor=executor, device=device, workers=workers, address=address, threads=threads,
                       sys_path=[p for p in sys.path if p] if not serial else (), work=_work):
        atomic_write_text(out / "tasks" / f"{row['id']}.json", json.dumps(_jsonable(row), indent=2))
        rows[row["id"]] = row
        if not serial:
            say(f"{row['id']}: finished ({row['seconds']:.1f} s)")
    ordered = [rows[t.id] for t in selected]
    card = {"suite": suite.version, "suite_sha256": suite.sha256, "quick": quick, "only": list(only or []),
            "symhard_version": __version__, "executor": executor,
            "machine": machine, "submission": submission, "definition": suite.describe(),
            "tasks": ordered, "totals": _totals(ordered), "seconds": time.perf_counter() - t0}
    card = _jsonable(card)
    stem = "scorecard" + ("-quick" if quick else "") + ("-" + "-".join(_slug(p) for p in only) if only else "")
    card["file"] = str(out / f"{stem}.json")
    atomic_write_text(card["file"], json.dumps(card, indent=2))
    return card


def plan_suite(suite: Suite, *, quick: bool = False, out_dir: str | Path, submission: dict[str, str],
               device: str = "cpu", precision: str = "fp32", only: list[str] | None = None) -> Any:
    """The cost of :func:`run_suite` before it starts (:class:`~symhard.experiments.plan.RunPlan`; nothing written).

    One entry per selected task: the built-in baseline's ensemble (seeds × lrs members of width
    ``baseline_width``) on the suite's budget; a task whose stored result matches its key is marked
    stored. A user's model or learner cannot be timed before it runs: its plan shows the baseline's cost.
    """
    import torch

    from ..experiments.plan import Calibrator, RunPlan, Workload, estimate_workloads
    from ..learners.device import device_label
    from .data import split_sizes

    b, out, notes = suite.budget, Path(out_dir), []
    n_train, n_val = split_sizes(b["samples"], b["val_fraction"])
    items = []
    for task in suite.selected(quick, only):
        key = _task_key(suite, task, submission, device_label(device, precision))
        try:
            stored = _load_task(out / "tasks" / f"{task.id}.json", key) is not None
        except InstanceFormatError as err:
            stored = False
            notes.append(str(err))
        w = Workload(task=task.task, value=task.value, role=task.role, options=tuple(sorted(task.options.items())),
                     members=len(suite.seeds) * len(b["lrs"]), seeds=len(suite.seeds), width=b["baseline_width"],
                     width_multiple=1.0, batch_size=b["batch_size"], steps=b["steps"], eval_every=b["steps"],
                     train_size=n_train, eval_samples=n_val + suite.n_test, optimizer="adam")
        items.append((task.id, f"{task.id} ({task.task} {task.param_name}={task.value}, {task.role})", w, stored))
    if submission["kind"] != "baseline":
        notes.append(f"your {submission['kind']}'s cost is unknown before it runs; the estimates are those of the "
                     f"built-in baseline (width {b['baseline_width']}) on the same budget")
    cal = Calibrator(device, precision, torch.get_num_threads())
    return RunPlan(what=f"bench --suite {suite.version}" + (" --quick" if quick else ""), out_dir=str(out),
                   device=cal.device, precision=cal.precision, threads=cal.threads,
                   chunks=estimate_workloads(items, cal), calibration_seconds=cal.seconds, notes=notes)


def _slug(pattern: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in pattern)


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for role in ("hard", "control"):
        rs = [r for r in rows if r["role"] == role]
        out[role] = {"tasks": len(rs), "solved": sum(r["success_rate"] == 1.0 for r in rs),
                     "mean_success_rate": (sum(r["success_rate"] for r in rs) / len(rs)) if rs else None}
    return out


def _jsonable(obj: Any) -> Any:
    from .._json import jsonable

    return jsonable(obj)
