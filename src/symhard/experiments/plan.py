r"""The cost of a run before it starts: every chunk's estimated time and memory on this machine.

``symhard run SPEC --plan`` (and ``frontier --plan``, ``bench --suite v1 --plan``) prints the
chunks, their estimates, the total and what the output folder already holds, and writes nothing.
A real run prints the estimate beside the measured time at its end.

Calibration (a few seconds, on the device and precision of the run, with the current number of
torch threads): for a chunk's task at a size ``v``, one mini-batch of the chunk's batch size is
drawn and an ensemble of the chunk's members ``M`` and width is trained for :data:`CAL_STEPS`
steps on it (after one warm-up step; the best of three timings), giving the step time ``t(M)``
(measured at the real ``M`` and width: a two-point fit in ``M`` proved too noisy on a shared
machine); the time to draw inputs and compute one target is measured per sample; the training memory per member is
:func:`symhard.learners.device.measure_member_bytes`. Sizes are calibrated at the smallest and the
largest value of each series and interpolated as a power law in ``v`` between them (every
calibration is cached by task, options, size, members, width and batch; the role is assumed not to change
the cost, and the hard role's model stands for both). The estimate of a chunk with
``M`` members, ``T`` steps, batch ``B``, evaluation sets of ``N_e`` samples (test + validation)
evaluated ``⌊T / eval_every⌋ + 1`` times, and ``N_in`` input samples drawn (the training set, or
``T·B`` fresh samples) is

.. math::

    \hat t = T\,t(M) + \frac{t(M)}{3}\cdot\frac{E\,N_e + N_{\text{train}}}{B}
             + N_{in}\,(c_{in} + S\,c_{target}),

with ``E`` the number of evaluations, ``S`` the number of seeds (one target per seed), and the
final evaluation on the training set ``N_train`` (finite training sets only); a forward pass
costs about a third of a training step. It scales linearly in the steps and the samples; the
members, the width and the size enter through the calibration. Early stopping (``patience``) can
only make a chunk shorter, so the estimate is then an upper bound. Series whose learner is not
gradient descent (the SQ learner) are not estimated (``seconds`` is ``None``). The memory of a
chunk is ``M·bytes_per_member`` plus its data (inputs and ``M`` target rows).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import torch

from .sweep import Chunk

__all__ = ["Workload", "Estimate", "Calibrator", "RunPlan", "workload_of", "estimate_workloads", "estimate_chunks",
           "plan_run", "stored_chunks", "CAL_STEPS"]

#: Timed steps of each calibration ensemble (after one warm-up step).
CAL_STEPS = 4


@dataclass(frozen=True)
class Workload:
    """What a chunk trains, in the terms of the cost model (see the module docstring)."""

    task: str
    value: int
    role: str
    options: tuple[tuple[str, Any], ...]
    members: int
    seeds: int
    width: int | None  # None: the learner's width rule (``width_multiple * hidden_units``)
    width_multiple: float
    batch_size: int
    steps: int
    eval_every: int
    train_size: int  # 0: fresh samples every step
    eval_samples: int  # test + validation samples per evaluation
    optimizer: str = "adam"
    loss: str = "square"
    learner: str = "gd"


@dataclass
class Estimate:
    """The estimate of one chunk: ``seconds`` (None when not estimated) and ``bytes`` (training memory)."""

    chunk_id: str
    label: str
    members: int
    steps: int
    batch_size: int
    width: int | None
    seconds: float | None
    bytes: int | None
    stored: bool = False


def workload_of(chunk: Chunk) -> Workload:
    """The :class:`Workload` of an experiment chunk."""
    lrn, s = chunk.learner, chunk.series
    train = lrn.train_size if s.train_size is None else s.train_size
    n_val = (max(1, math.ceil(lrn.val_fraction * train)) if train > 1 else 0) if train > 0 else chunk.test_size
    return Workload(task=s.task, value=int(chunk.value), role=chunk.role, options=tuple(sorted(s.options.items())),
                    members=chunk.members, seeds=len(chunk.seeds), width=s.width if s.width is not None else lrn.width,
                    width_multiple=lrn.width_multiple, batch_size=lrn.batch_size, steps=lrn.steps,
                    eval_every=lrn.eval_every, train_size=max(0, train - n_val) if train > 0 else 0,
                    eval_samples=chunk.test_size + n_val, optimizer=lrn.optimizer, loss=lrn.loss, learner=s.learner)


@dataclass
class _Cal:
    step: float  # seconds per training step of the whole ensemble
    c_in: float  # seconds per input sample drawn
    c_target: float  # seconds per target value
    member_bytes: int
    sample_bytes: int
    width: int


class Calibrator:
    """Short timed trainings on this machine, cached; :meth:`estimate` applies the cost model."""

    def __init__(self, device: str = "cpu", precision: str = "fp32", threads: int = 1) -> None:
        from ..learners.device import check_precision, resolve_device

        self.device = str(resolve_device(device))
        self.precision = check_precision(precision)
        self.threads = threads  # torch threads while calibrating: those of a chunk (executors' --threads)
        self.cache: dict[tuple, _Cal] = {}
        self.seconds = 0.0  # time spent calibrating

    def _measure(self, w: Workload, value: int) -> _Cal:
        from ..families.base import get_task
        from ..learners.device import measure_member_bytes
        from ..learners.gd import TrainConfig, train_ensemble

        t0 = time.perf_counter()
        task = get_task(w.task)(value, w.role, 0, **dict(w.options))
        width = w.width if w.width is not None else max(1, int(round(w.width_multiple * int(task.hidden_units))))
        g = torch.Generator().manual_seed(0)
        s0 = time.perf_counter()
        xb = tuple(task.sample_inputs(w.batch_size, g))
        s1 = time.perf_counter()
        task.target(*xb)
        s2 = time.perf_counter()
        yb = torch.randn(w.batch_size, generator=g)
        small = tuple(x[: min(8, w.batch_size)] for x in xb)
        model = task.make_model(w.members, width, torch.Generator().manual_seed(1))
        cfg = dict(optimizer=w.optimizer, lr=1e-3, batch_size=w.batch_size, device=self.device, loss=w.loss,
                   precision=self.precision)
        common = dict(test_inputs=small, test_y=torch.ones(len(small[0])), sampler=lambda b, gen: (xb, yb))
        train_ensemble(model, None, None, config=TrainConfig(steps=1, eval_every=1, **cfg), **common)  # warm-up
        step = min(train_ensemble(model, None, None, **common,
                                  config=TrainConfig(steps=CAL_STEPS, eval_every=CAL_STEPS, **cfg)).seconds
                   for _ in range(3)) / CAL_STEPS  # the best of three: robust to a busy machine
        sample_bytes = sum(x[:1].numel() * x.element_size() for x in xb)
        per_member = measure_member_bytes(model, tuple(x.to(self.device) for x in xb))
        cal = _Cal(step=step, c_in=(s1 - s0) / w.batch_size, c_target=(s2 - s1) / w.batch_size,
                   member_bytes=per_member, sample_bytes=sample_bytes, width=width)
        self.seconds += time.perf_counter() - t0
        return cal

    def calibration(self, w: Workload, value: int) -> _Cal:
        key = (w.task, w.options, value, w.members, w.width, w.width_multiple, w.batch_size, w.optimizer, w.loss)
        if key not in self.cache:
            previous = torch.get_num_threads()
            torch.set_num_threads(self.threads)
            try:
                self.cache[key] = self._measure(w, value)
            finally:
                torch.set_num_threads(previous)
        return self.cache[key]

    def estimate(self, w: Workload, lo: int | None = None, hi: int | None = None) -> tuple[float | None, int | None, int | None]:
        """``(seconds, bytes, width)`` of a workload; sizes between ``lo`` and ``hi`` are interpolated."""
        if w.learner != "gd":
            return None, None, None
        lo = w.value if lo is None else lo
        hi = w.value if hi is None else hi
        cal = _interpolate(self.calibration(w, lo), self.calibration(w, hi), lo, hi, w.value)
        t_step = cal.step
        evals = w.steps // w.eval_every + 1
        forward = t_step / 3 * (evals * w.eval_samples + w.train_size) / w.batch_size
        drawn = (w.train_size if w.train_size > 0 else w.steps * w.batch_size) + w.eval_samples
        data = drawn * (cal.c_in + w.seeds * cal.c_target)
        seconds = w.steps * t_step + forward + data
        data_bytes = (w.train_size + w.eval_samples) * (cal.sample_bytes + 4 * w.members)
        return seconds, int(w.members * cal.member_bytes + data_bytes), cal.width


def _interpolate(c_lo: _Cal, c_hi: _Cal, lo: int, hi: int, v: int) -> _Cal:
    """Power-law (log-log linear) interpolation of the calibrated costs between sizes ``lo`` and ``hi``."""
    if lo == hi or c_lo is c_hi:
        return c_lo
    f = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))

    def mix(x: float, y: float) -> float:
        if x <= 0 or y <= 0:
            return x + f * (y - x)
        return math.exp(math.log(x) + f * (math.log(y) - math.log(x)))

    return _Cal(step=mix(c_lo.step, c_hi.step), c_in=mix(c_lo.c_in, c_hi.c_in),
                c_target=mix(c_lo.c_target, c_hi.c_target), member_bytes=int(mix(c_lo.member_bytes, c_hi.member_bytes)),
                sample_bytes=int(round(mix(c_lo.sample_bytes, c_hi.sample_bytes))), width=int(round(mix(c_lo.width, c_hi.width))))


@dataclass
class RunPlan:
    """What a run would compute and what it would cost: one :class:`Estimate` per chunk, and the totals."""

    what: str
    out_dir: str
    device: str
    precision: str
    threads: int
    chunks: list[Estimate]
    calibration_seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def todo(self) -> list[Estimate]:
        return [c for c in self.chunks if not c.stored]

    def totals(self) -> dict[str, Any]:
        todo = self.todo
        secs = [c.seconds for c in todo if c.seconds is not None]
        mem = [c.bytes for c in todo if c.bytes is not None]
        return {"chunks": len(self.chunks), "stored": len(self.chunks) - len(todo), "to_compute": len(todo),
                "seconds": float(sum(secs)), "not_estimated": len(todo) - len(secs),
                "peak_bytes": max(mem) if mem else 0}

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "out_dir": self.out_dir, "device": self.device, "precision": self.precision,
                "threads": self.threads, "calibration_seconds": round(self.calibration_seconds, 3),
                "chunks": [asdict(c) for c in self.chunks], "total": self.totals(), "notes": list(self.notes)}


def stored_chunks(folder: str | Path, spec_hash: str) -> tuple[set[str], str | None]:
    """Chunk ids the folder's manifest records for this spec (read only, no lock, nothing written),
    and a note when the folder cannot be resumed by this spec."""
    from .store import StoreIntegrityError, read_manifest

    path = Path(folder)
    if not (path / "manifest.json").is_file():
        return set(), None
    try:
        m = read_manifest(path)
    except StoreIntegrityError as err:
        return set(), f"the folder fails its check ({err}); the run would refuse it without --repair or --force"
    if m["spec_hash"] != spec_hash:
        return set(), (f"the folder holds results of another spec (hash {m['spec_hash']}); the run would refuse "
                       "it without --force")
    return set(m["chunks"]), None


def estimate_workloads(items: Iterable[tuple[str, str, Workload, bool]], cal: Calibrator) -> list[Estimate]:
    """One :class:`Estimate` per ``(chunk_id, label, workload, stored)``; stored ones are not calibrated.

    Sizes are calibrated at the smallest and the largest value of each (task, options) and
    interpolated between them.
    """
    items = list(items)
    bounds: dict[tuple, tuple[int, int]] = {}
    for _, _, w, stored in items:
        if not stored:
            lo, hi = bounds.get((w.task, w.options), (w.value, w.value))
            bounds[(w.task, w.options)] = (min(lo, w.value), max(hi, w.value))
    out = []
    for cid, label, w, stored in items:
        secs, nbytes, width = (None, None, w.width) if stored else cal.estimate(w, *bounds[(w.task, w.options)])
        out.append(Estimate(cid, label, w.members, w.steps, w.batch_size, width, secs, nbytes, stored))
    return out


def estimate_chunks(chunks: Iterable[Chunk], cal: Calibrator, stored: set[str] = frozenset()) -> list[Estimate]:
    """:func:`estimate_workloads` of experiment chunks (``stored``: the ids already in the folder)."""
    return estimate_workloads(((c.chunk_id, f"{c.series.name} {c.role} {c.value}", workload_of(c),
                                c.chunk_id in stored) for c in chunks), cal)


def plan_run(spec: Any, *, out_dir: str | Path, device: str = "cpu", precision: str = "fp32",
             threads: int = 1) -> RunPlan:
    """The :class:`RunPlan` of ``symhard run`` for a validated spec into ``out_dir`` (nothing is written)."""
    import sys

    from ._worker import prepare
    from .sweep import expand

    prepare(spec.imports, [p for p in sys.path if p])
    cal = Calibrator(device, precision, threads)
    h = spec.hash()
    stored, note = stored_chunks(out_dir, h)
    est = estimate_chunks(expand(spec), cal, stored)
    return RunPlan(what=f"run {spec.name}" + (" (quick)" if spec.quick else ""), out_dir=str(out_dir),
                   device=cal.device, precision=cal.precision, threads=threads, chunks=est,
                   calibration_seconds=cal.seconds, notes=[note] if note else [])
