"""Run a spec end to end: validate, expand, check the folder, execute, store, summarize.

:func:`run_spec` is what ``symhard run SPEC`` calls. Everything that can be checked is checked
before the first byte is written: the spec (both its full and its ``[quick]`` variant), the
executor arguments, the device, the chunk ids and the output folder. A failed validation leaves
no trace on disk.

It is resumable and idempotent: rerunning it on the same folder skips every chunk the manifest
records (after verifying its checksums), so a sweep that was killed (SIGKILL or Ctrl-C) and
rerun ends with exactly the rows of an uninterrupted run, and rerunning a finished sweep
computes and writes nothing (see :mod:`symhard.experiments.store`).
"""

from __future__ import annotations

import sys
import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..learners.device import device_label, require_on_device
from ..resources import available_cpus
from .executors import check_cluster, check_device, check_executor, execute
from .spec import ExperimentSpec, load_spec
from .store import ResultStore, check_output_dir, read_runs
from .sweep import ChunkResult, expand, plan_estimate

__all__ = ["RunSummary", "run_spec", "default_out_dir", "summarize_runs"]

DEFAULT_ROOT = Path("symhard-results")


def default_out_dir(spec: ExperimentSpec, root: str | Path = DEFAULT_ROOT) -> Path:
    """``<root>/<name>`` for a full run, ``<root>/<name>-quick`` for a quick one."""
    return Path(root) / (f"{spec.name}-quick" if spec.quick else spec.name)


@dataclass
class RunSummary:
    """Where a run wrote its results and what it did."""

    spec: str
    out_dir: Path
    spec_hash: str
    chunks: int
    skipped: int
    ran: int
    seconds: float
    table: list[dict[str, Any]]
    quarantined: list[Path] = field(default_factory=list)  # where --repair / --force moved files aside
    estimate: dict[str, Any] | None = None  # estimated against measured seconds (run_spec(estimate=True))

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "out_dir": str(self.out_dir), "runs": str(self.out_dir / "runs"),
                "curves": str(self.out_dir / "curves"), "spec_hash": self.spec_hash, "chunks": self.chunks,
                "skipped": self.skipped, "ran": self.ran, "seconds": round(self.seconds, 2),
                "quarantined": [str(q) for q in self.quarantined], "estimate": self.estimate, "summary": self.table}


def summarize_runs(table: Any, threshold: float = 0.1) -> list[dict[str, Any]]:
    """Per (series, role, value): per seed the test error of the member chosen on validation data
    (``chosen``), then mean, min, max and success rate (error < ``threshold``) over seeds.
    ``table`` is a pyarrow Table of runs."""
    cols = {c: table.column(c).to_pylist() for c in ("series", "role", "param_name", "param_value", "seed",
                                                     "test_error", "diverged", "log10_csq_queries",
                                                     "bound_log10_queries", "chosen")}
    best: dict[tuple, dict[int, float]] = {}
    meta: dict[tuple, tuple] = {}
    for i in range(len(cols["seed"])):
        if not cols["chosen"][i]:
            continue
        key = (cols["series"][i], cols["role"][i], cols["param_value"][i])
        err = cols["test_error"][i]
        err = float("inf") if (cols["diverged"][i] or err is None or err != err) else err
        per = best.setdefault(key, {})
        per[cols["seed"][i]] = min(per.get(cols["seed"][i], float("inf")), err)
        meta[key] = (cols["param_name"][i], cols["log10_csq_queries"][i], cols["bound_log10_queries"][i])
    out = []
    for key in sorted(best, key=lambda k: (k[0], k[1] != "hard", k[2])):
        errs = np.array(list(best[key].values()), dtype=float)
        fin = errs[np.isfinite(errs)]
        out.append({
            "series": key[0], "role": key[1], "param_name": meta[key][0], "param_value": key[2],
            "seeds": int(errs.size),
            "mean_error": float(fin.mean()) if fin.size else float("nan"),
            "min_error": float(fin.min()) if fin.size else float("nan"),
            "max_error": float(fin.max()) if fin.size else float("nan"),
            "success_rate": float((errs < threshold).mean()),
            "log10_csq_queries": meta[key][1], "bound_log10_queries": meta[key][2],
        })
    return out


class _Progress:
    """A rich progress bar over chunks on a terminal, plain log lines otherwise."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.enabled = enabled
        self.total = total
        self.done = 0
        self.label = label
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)

    def advance(self, res: ChunkResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{self.label} {res.chunk_id}")
        elif self.enabled:
            errs = [e for e in res.runs.get("test_error", []) if e == e]
            best = min(errs) if errs else float("nan")
            print(f"[{self.label}] chunk {self.done}/{self.total} {res.chunk_id}: best test error {best:.3g} "
                  f"({res.seconds:.1f}s)", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_spec(
    spec: str | Path | ExperimentSpec,
    *,
    quick: bool = False,
    out_dir: str | Path | None = None,
    executor: str = "serial",
    device: str = "cpu",
    workers: int | None = None,
    address: str | None = None,
    threads: int = 1,
    progress: bool = True,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    repair: bool = False,
    force: bool = False,
    precision: str = "fp32",
    estimate: bool = False,
) -> RunSummary:
    """Run every unfinished chunk of ``spec`` and return a :class:`RunSummary`.

    Parameters
    ----------
    spec : built-in name, TOML path or :class:`ExperimentSpec`
    quick : use the spec's ``[quick]`` overrides
    out_dir : results folder (default ``symhard-results/<name>[-quick]``)
    executor : ``"serial"``, ``"process"`` or ``"ray"``; device: ``"cpu"``, ``"cuda"`` or ``"auto"``
    workers : processes / local Ray CPUs (default: all cores); address: Ray cluster address
    threads : torch threads per chunk (default 1; see :mod:`symhard.experiments.executors`)
    repair : move files that fail the folder's integrity check aside and recompute their chunks
    force : move every result of the folder aside and recompute everything
    precision : ``"fp32"``, ``"tf32"`` or ``"bf16"``: the arithmetic of the gradient steps only
        (:mod:`symhard.learners.device`); recorded in the rows' ``device`` column (``"cuda+bf16"``)
    estimate : calibrate before running (:mod:`symhard.experiments.plan`) and record the estimated
        against the measured chunk seconds in ``RunSummary.estimate``

    Raises :class:`~symhard.errors.InvalidParameterError` (nothing written) for a bad spec or
    argument, :class:`~symhard.experiments.store.StoreIntegrityError` for a folder that fails its
    check without ``repair``/``force``. ``KeyboardInterrupt`` stops the workers and propagates;
    every chunk committed before it stays, and a rerun resumes.
    """
    from ..errors import InvalidParameterError
    from ..learners.device import check_precision

    t0 = time.perf_counter()
    spec_obj = spec.validate() if isinstance(spec, ExperimentSpec) else load_spec(spec, quick=quick)
    if repair and force:
        raise InvalidParameterError("--repair and --force exclude each other: --force already recomputes everything.")
    check_executor(executor, workers=workers, threads=threads, address=address)
    check_device(device, executor, address)
    check_cluster(executor, address, device, threads)  # before the first write
    chunks = [replace(c, precision=check_precision(precision)) for c in expand(spec_obj)]
    out = check_output_dir(out_dir if out_dir is not None else default_out_dir(spec_obj))
    parallel = min(len(chunks), workers or available_cpus()) if executor == "process" else 1
    require_on_device(plan_estimate(chunks, parallel), device if executor != "ray" else "cpu")  # memory (and time) in closed form, before the first write
    store = ResultStore(out)
    store.open(spec_obj, device=device_label(device, precision), repair=repair, force=force)  # the first write
    try:
        done = store.finished()
        todo = [c for c in chunks if c.chunk_id not in done]
        cost = _Cost(todo, device, precision, threads) if estimate and todo else None
        _execute_into(store, todo, spec_obj, progress, cost.wrap(on_chunk) if cost else on_chunk,
                      dict(executor=executor, device=device, workers=workers, address=address, threads=threads))
    finally:
        store.close()
    table = read_runs(out)
    return RunSummary(spec=spec_obj.name, out_dir=out, spec_hash=spec_obj.hash(), chunks=len(chunks),
                      skipped=len(chunks) - len(todo), ran=len(todo), seconds=time.perf_counter() - t0,
                      table=summarize_runs(table, spec_obj.success_threshold), quarantined=store.quarantined,
                      estimate=cost.result(time.perf_counter() - t0) if cost else None)


class _Cost:
    """The estimate of the chunks to run (calibrated before they run) and their measured seconds."""

    def __init__(self, todo: list, device: str, precision: str, threads: int) -> None:
        from .plan import Calibrator, estimate_chunks

        cal = Calibrator(device, precision, threads)
        est = estimate_chunks(todo, cal)
        self.chunks = len(todo)
        self.estimated = sum(e.seconds for e in est if e.seconds is not None)
        self.not_estimated = sum(e.seconds is None for e in est)
        self.calibration = cal.seconds
        self.measured = 0.0

    def wrap(self, on_chunk: Callable[[ChunkResult], None] | None) -> Callable[[ChunkResult], None]:
        def seen(res: ChunkResult) -> None:
            self.measured += float(res.seconds)
            if on_chunk is not None:
                on_chunk(res)
        return seen

    def result(self, wall: float) -> dict[str, Any]:
        return {"chunks": self.chunks, "estimated_seconds": round(self.estimated, 2),
                "not_estimated": self.not_estimated, "measured_seconds": round(self.measured, 2),
                "wall_seconds": round(wall, 2), "calibration_seconds": round(self.calibration, 2)}


def _execute_into(store: ResultStore, todo: list, spec: ExperimentSpec, progress: bool,
                  on_chunk: Callable[[ChunkResult], None] | None, options: dict[str, Any]) -> None:
    """Run ``todo`` and commit each result as it arrives; the executor is closed on any exit."""
    if not todo:
        return
    rows = {c.chunk_id: c.expected_rows for c in todo}
    bar = _Progress(len(todo), spec.name, progress)
    try:
        with closing(execute(todo, imports=spec.imports, sys_path=[p for p in sys.path if p], **options)) as results:
            for res in results:
                store.write(res, expected_rows=rows.get(res.chunk_id))
                bar.advance(res)
                if on_chunk is not None:
                    on_chunk(res)
    finally:
        bar.close()
