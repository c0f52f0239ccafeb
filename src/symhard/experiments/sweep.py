r"""Sweep expansion and the work of one chunk.

A spec expands to chunks, one per (series, role, value). A chunk is one ensemble: every seed
(one random member of the class each) times every learning rate of the grid, ``M = |seeds|
\cdot |lrs|`` members trained at once by :func:`symhard.learners.gd.train_ensemble`. The chunk is
the unit of work (one executor task) and of storage (one Parquet file).

Determinism: everything a chunk draws comes from ``numpy.random.SeedSequence([data_seed,
crc32(series name), value])``, spawned into independent streams for the training inputs, the test
inputs, the network initialization and the mini-batches. The stream does not depend on the role,
so the hard and the control task of a setting see the same inputs and the same initialization
(a paired comparison), nor on which other chunks run, so a chunk computed alone, in a pool, on a
Ray worker or after a resume gives the same numbers (bit-identical on CPU with the same number of
torch threads).

Member ``j`` of a chunk has seed ``seeds[j // |lrs|]`` and lr ``lrs[j % |lrs|]``.
"""

from __future__ import annotations

import math
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..errors import InvalidParameterError
from ..learners.device import device_label
from .spec import ExperimentSpec, LearnerSpec, SeriesSpec

__all__ = ["Chunk", "ChunkResult", "expand", "run_chunk", "chunk_estimate", "plan_estimate", "task_estimate", "RUN_COLUMNS",
           "CURVE_COLUMNS"]

#: Columns of the run table (one row per setting, seed and lr), in order.
RUN_COLUMNS = (
    "spec", "series", "task", "role", "param_name", "param_value", "seed", "lr", "test_error", "val_error",
    "chosen", "diverged", "final_train_loss", "steps_run", "stopped_at", "width", "hidden_units",
    "params_per_member", "train_size", "val_size", "test_size", "batch_size", "steps", "optimizer", "loss",
    "csq_queries", "csq_tau",
    "log10_csq_queries", "bound_queries", "bound_log10_queries", "bound_tau", "bound_formula",
    "chunk_id", "seconds", "device",
)
#: Columns of the long-format learning curves.
CURVE_COLUMNS = ("spec", "series", "role", "param_name", "param_value", "seed", "lr", "step",
                 "train_loss", "test_error", "val_error", "chunk_id")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "-", text).strip("-") or "x"


@dataclass(frozen=True)
class Chunk:
    """One ensemble: a (series, role, value) setting with all seeds x lrs of the spec."""

    spec_name: str
    spec_hash: str
    series: SeriesSpec
    role: str
    value: int
    seeds: tuple[int, ...]
    learner: LearnerSpec
    test_size: int
    data_seed: int
    index: int = 0
    precision: str = "fp32"  # how the chunk trains (learners.device), not what: not part of the chunk id

    @property
    def chunk_id(self) -> str:
        """``<spec hash>__<series slug>__<role>__<value>``: a file name, unique within the spec.

        The spec hash (16 hex digits) comes first, so a chunk file written for another spec can
        never be taken for one of this spec, and no id starts with a dot (a hidden file).
        """
        return f"{self.spec_hash}__{_slug(self.series.name)}__{self.role}__{self.value}"

    @property
    def members(self) -> int:
        return len(self.seeds) * len(self.learner.lrs)

    @property
    def expected_rows(self) -> int:
        """Rows of the chunk's run table: one per member (gd), one per seed (a sample learner)."""
        return self.members if self.series.learner == "gd" else len(self.seeds)

    def streams(self) -> list[int]:
        """Four 63-bit seeds: training inputs, test inputs, initialization, mini-batches."""
        ss = np.random.SeedSequence([self.data_seed, zlib.crc32(self.series.name.encode()), int(self.value)])
        return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in ss.spawn(4)]


@dataclass
class ChunkResult:
    """What a chunk sends back: its run rows and curve rows as column lists."""

    chunk_id: str
    runs: dict[str, list[Any]]
    curves: dict[str, list[Any]]
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


def expand(spec: ExperimentSpec) -> list[Chunk]:
    """All chunks of a spec, in a fixed order: series, then value, then role."""
    h = spec.hash()
    chunks: list[Chunk] = []
    seen: dict[str, Chunk] = {}
    for s in spec.series:
        for v in s.values:
            for r in s.roles:
                c = Chunk(spec.name, h, s, r, int(v), tuple(spec.seeds), s.learner_for(spec.learner),
                          spec.test_size, spec.data_seed, index=len(chunks))
                if c.chunk_id in seen:
                    raise InvalidParameterError(
                        f"spec {spec.name!r}: series {seen[c.chunk_id].series.name!r} and {s.name!r} map to the same "
                        f"chunk file name {_slug(s.name)!r}; give them labels that differ in letters or digits.")
                seen[c.chunk_id] = c
                chunks.append(c)
    if not chunks:
        raise InvalidParameterError(f"spec {spec.name!r} expands to no chunk; give every series values and roles.")
    return chunks


def _gen(seed: int) -> torch.Generator:
    g = torch.Generator(device="cpu")
    g.manual_seed(seed)
    return g


def _csq_budget(params: int, steps: int, batch: int) -> tuple[float, float]:
    """(queries, tolerance) of a GD run as a CSQ algorithm, from ``queries.bounds.gd_as_csq``.

    Square loss: each step asks one correlational query per parameter, answered by a mini-batch
    of size ``b`` to tolerance about ``1/sqrt(b)``, so ``T`` steps are ``T * p`` queries of tolerance
    ``1/sqrt(b)``.
    """
    from ..queries.bounds import gd_as_csq
    out = gd_as_csq(params, steps, batch)
    if isinstance(out, dict):
        return float(out["queries"]), float(out["tau"])
    if isinstance(out, tuple):
        return float(out[0]), float(out[1])
    return float(out.queries), float(out.tau)


def _sq_polynomial_learner(task: Any, train_x: tuple[torch.Tensor, ...], train_y: torch.Tensor):
    """The SQ learner of :mod:`symhard.learners.sq_polynomial` on the task's group and degree bound."""
    from ..learners.sq_polynomial import fit_from_samples

    if not hasattr(task, "group") or not hasattr(task, "k"):
        raise InvalidParameterError(f"learner 'sq-polynomial' needs a task with a group and a degree k; "
                                    f"task {task.family!r} has none.")
    return fit_from_samples(task.group, task.k, train_x[0], train_y)


#: Learners that are not networks: ``fit(task, train_inputs, train_y) -> (predict, info)`` where
#: ``predict(*inputs) -> [B]`` and ``info`` holds ``queries`` (the number of statistical queries).
SAMPLE_LEARNERS: dict[str, Callable[..., Any]] = {"sq-polynomial": _sq_polynomial_learner}


def _run_sample_learner_chunk(chunk: Chunk, t0: float) -> ChunkResult:
    """One row per seed for a series whose learner is not gradient descent (``lr`` is NaN)."""
    from ..families.base import get_task

    factory = get_task(chunk.series.task)
    tasks = [factory(chunk.value, chunk.role, seed, **chunk.series.options) for seed in chunk.seeds]
    t = tasks[0]
    s_train, s_test, _, _ = chunk.streams()
    lrn = chunk.learner
    train_size = lrn.train_size if chunk.series.train_size is None else chunk.series.train_size
    train_x = t.sample_inputs(train_size, _gen(s_train))
    test_x = t.sample_inputs(chunk.test_size, _gen(s_test))
    fit = SAMPLE_LEARNERS[chunk.series.learner]
    runs: dict[str, list[Any]] = {c: [] for c in RUN_COLUMNS}
    _, tau = _csq_budget(1, lrn.steps, lrn.batch_size)  # the tolerance of the gradient-descent series
    bound = t.lower_bound(min(1.0, tau))
    for seed, task in zip(chunk.seeds, tasks):
        s0 = time.perf_counter()
        y_train = task.target(*train_x)
        predict, info = fit(task, train_x, y_train)
        y_test = task.target(*test_x).double()
        err = float(((predict(*test_x).double() - y_test) ** 2).mean() / (y_test**2).mean())
        train_err = float(((predict(*train_x).double() - y_train.double()) ** 2).mean())
        row = {
            "spec": chunk.spec_name, "series": chunk.series.name, "task": chunk.series.task, "role": chunk.role,
            "param_name": str(t.param_name), "param_value": int(chunk.value), "seed": int(seed), "lr": math.nan,
            "test_error": err, "val_error": math.nan, "chosen": True, "diverged": not math.isfinite(err),
            "final_train_loss": train_err, "steps_run": 0, "stopped_at": 0, "width": 0,
            "hidden_units": int(t.hidden_units), "params_per_member": 0, "train_size": int(train_size),
            "val_size": 0, "test_size": int(chunk.test_size), "batch_size": 0, "steps": 0,
            "optimizer": chunk.series.learner, "loss": "none",
            "csq_queries": float(info.get("queries", math.nan)), "csq_tau": math.nan,
            "log10_csq_queries": math.nan, "bound_queries": float(bound.queries),
            "bound_log10_queries": math.nan if bound.log10_queries is None else float(bound.log10_queries),
            "bound_tau": float(bound.tau), "bound_formula": str(bound.formula), "chunk_id": chunk.chunk_id,
            "seconds": time.perf_counter() - s0, "device": "cpu",
        }
        for c in RUN_COLUMNS:
            runs[c].append(row[c])
    curves: dict[str, list[Any]] = {c: [] for c in CURVE_COLUMNS}
    return ChunkResult(chunk.chunk_id, runs, curves, seconds=time.perf_counter() - t0)


def run_chunk(chunk: Chunk, device: str = "cpu") -> ChunkResult:
    """Train the chunk's ensemble and return its rows (see :data:`RUN_COLUMNS`, :data:`CURVE_COLUMNS`).

    Validation: with a finite training set, its last ``⌈val_fraction · train_size⌉`` samples are
    held out (the members train on the rest); with fresh samples every step, a validation set of
    ``test_size`` samples is drawn from the training stream. Per seed, the member of the lr grid
    with the smallest validation error is marked ``chosen``; summaries and the report use the
    test error of the chosen member only (hyperparameters are never chosen on the test set).

    A series with ``learner != "gd"`` runs that sample learner once per seed instead
    (:data:`SAMPLE_LEARNERS`); its rows have ``lr`` NaN, no curves, ``chosen`` true, and
    ``csq_queries`` holds the number of statistical queries the learner asked (they need not be
    correlational).

    ``chunk.precision`` (fp32, tf32, bf16) sets the arithmetic of the gradient steps
    (:mod:`symhard.learners.device`); the bound and CSQ columns do not depend on it, and the
    ``device`` column records it when it is not fp32 (``"cuda+bf16"``).
    """
    if chunk.series.learner != "gd":
        return _run_sample_learner_chunk(chunk, time.perf_counter())
    from ..families.base import get_task
    from ..learners.gd import TrainConfig, choose_by_validation, train_ensemble

    t0 = time.perf_counter()
    factory = get_task(chunk.series.task)
    tasks = [factory(chunk.value, chunk.role, seed, **chunk.series.options) for seed in chunk.seeds]
    t = tasks[0]
    _, _, s_init, s_batch = chunk.streams()
    lrn = chunk.learner
    data = _chunk_data(chunk, tasks)
    width = chunk.series.width if chunk.series.width is not None else lrn.width_for(t.hidden_units)
    M = chunk.members
    model = t.make_model(M, width, _gen(s_init))
    params_per_member = int(sum(p.numel() for p in model.parameters() if p.requires_grad) // M)
    lrs = [lr for _ in chunk.seeds for lr in lrn.lrs]
    cfg = TrainConfig(optimizer=lrn.optimizer, lr=lrs, steps=lrn.steps, batch_size=lrn.batch_size,
                      weight_decay=lrn.weight_decay, patience=lrn.patience, eval_every=lrn.eval_every,
                      device=device, seed=s_batch % (2**31), loss=lrn.loss, precision=chunk.precision)
    res = train_ensemble(model, data["train_x"], data["train_y"], test_inputs=data["test_x"], test_y=data["test_y"],
                         config=cfg, sampler=data["sampler"], val_inputs=data["val_x"], val_y=data["val_y"])
    seeds_m = [s for s in chunk.seeds for _ in lrn.lrs]
    chosen = set(choose_by_validation(res.val_error, seeds_m).values())
    q, tau = _csq_budget(params_per_member, lrn.steps, lrn.batch_size)
    bound = t.lower_bound(min(1.0, tau))
    b_log = float("nan") if bound.log10_queries is None else float(bound.log10_queries)
    const = {
        "spec": chunk.spec_name, "series": chunk.series.name, "task": chunk.series.task, "role": chunk.role,
        "param_name": str(t.param_name), "param_value": int(chunk.value), "width": int(width),
        "hidden_units": int(t.hidden_units), "params_per_member": params_per_member,
        "train_size": int(data["train_size"]), "val_size": int(data["val_size"]), "test_size": int(chunk.test_size),
        "batch_size": int(lrn.batch_size), "steps": int(lrn.steps), "optimizer": lrn.optimizer, "loss": lrn.loss,
        "csq_queries": q, "csq_tau": tau, "log10_csq_queries": math.log10(q) if q > 0 else float("nan"),
        "bound_queries": float(bound.queries), "bound_log10_queries": b_log, "bound_tau": float(bound.tau),
        "bound_formula": str(bound.formula), "chunk_id": chunk.chunk_id, "seconds": float(res.seconds),
        "device": device_label(device, chunk.precision),
    }
    runs: dict[str, list[Any]] = {c: [] for c in RUN_COLUMNS}
    for j in range(M):
        row = dict(const, seed=int(seeds_m[j]), lr=float(lrs[j]), test_error=float(res.test_error[j]),
                   val_error=float(res.val_error[j]), chosen=j in chosen, diverged=bool(res.diverged[j]),
                   final_train_loss=float(res.final_train_loss[j]), steps_run=int(res.steps_run),
                   stopped_at=int(res.stopped_at[j]))
        for c in RUN_COLUMNS:
            runs[c].append(row[c])
    curves = _curve_rows(chunk, t, res.curves, seeds_m, lrs)
    return ChunkResult(chunk.chunk_id, runs, curves, seconds=time.perf_counter() - t0)


def _probe(task: Any, width: int, batch: int = 2) -> tuple[int, float]:
    """(trainable parameters, numbers saved for the backward pass per sample) of one width-``width`` network."""
    model = task.make_model(1, width, _gen(0))
    xs = task.sample_inputs(batch, _gen(0))
    saved = [0]

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved[0] += t.numel()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(*xs)
    return sum(p.numel() for p in model.parameters() if p.requires_grad), saved[0] / batch


def task_estimate(task: Any, what: str, *, members: int, width: int | None, batch: int, samples: int, steps: int,
                  lower: str) -> Any:
    """Memory and time of training ``members`` networks of ``width`` on ``samples`` inputs of ``task``, in
    closed form (:func:`symhard.resources.ensemble_estimate`); ``width=None``: the data alone.

    A probe of the task gives the numbers of one input sample and, for a width-1 and a width-2
    network, the trainable parameters and the numbers autograd saves per sample for the backward
    pass (its activations); both are affine in the width, so width w has ``P(1) + (P(2) - P(1))(w - 1)``.
    """
    from ..resources import array_estimate, ensemble_estimate

    numel = sum(int(x.numel()) for x in task.sample_inputs(1, _gen(0)))
    if width is None:
        return array_estimate(what, samples, numel, copies=3, lower=lower)
    try:
        (p1, a1), (p2, a2) = _probe(task, 1), _probe(task, 2)
    except Exception:  # noqa: BLE001 - a task's model at width 1 may not exist: every hidden unit sees every input
        (p1, a1), (p2, a2) = (numel + 1, numel), (2 * (numel + 1), 2 * numel)
    return ensemble_estimate(what, members=members, params_per_member=p1 + (p2 - p1) * (width - 1),
                             activations_per_sample=a1 + (a2 - a1) * (width - 1), input_numel=numel, batch=batch,
                             samples=samples, steps=steps, lower=lower)


def chunk_estimate(chunk: Chunk) -> Any:
    """Memory and time of :func:`run_chunk` (:func:`task_estimate`): the training set (or one batch of fresh
    samples), the validation and the test sets, and the ensemble of the chunk."""
    from ..families.base import get_task

    t = get_task(chunk.series.task)(chunk.value, chunk.role, chunk.seeds[0], **chunk.series.options)
    lrn = chunk.learner
    size = lrn.train_size if chunk.series.train_size is None else chunk.series.train_size
    width = chunk.series.width if chunk.series.width is not None else lrn.width_for(t.hidden_units)
    return task_estimate(t, f"the chunk {chunk.series.name} {t.param_name}={chunk.value} ({chunk.members} networks)",
                         members=chunk.members, width=width if chunk.series.learner == "gd" else None,
                         batch=lrn.batch_size, samples=(size or lrn.batch_size) + 2 * chunk.test_size, steps=lrn.steps,
                         lower="lower the spec's width, train_size, test_size, batch_size, seeds or lrs")


def plan_estimate(chunks: list[Chunk], parallel: int = 1) -> Any:
    """The largest :func:`chunk_estimate` among ``chunks`` times the chunks that run at once (``parallel``).

    One probe per series, at its largest value (memory grows with the hardness parameter); the time
    is that chunk's time for every chunk of the series (an upper bound), divided by ``parallel``.
    """
    from ..resources import Estimate

    top: dict[str, Chunk] = {}
    count: dict[str, int] = {}
    for c in chunks:
        count[c.series.name] = count.get(c.series.name, 0) + 1
        if c.series.name not in top or c.value > top[c.series.name].value:
            top[c.series.name] = c
    if not top:
        return Estimate("no chunks")
    ests = {name: chunk_estimate(c) for name, c in top.items()}
    big = max(ests.values(), key=lambda e: e.bytes)
    seconds = sum(e.seconds * count[name] for name, e in ests.items()) / max(1, parallel)
    at_once = f", {parallel} at once" if parallel > 1 else ""
    return Estimate(big.what + at_once, bytes=big.bytes * max(1, parallel), seconds=seconds, lower=big.lower)


def _chunk_data(chunk: Chunk, tasks: list[Any]) -> dict[str, Any]:
    """Test set, training set (or a fresh-sample sampler) and the validation split of one chunk."""
    t = tasks[0]
    s_train, s_test, _, _ = chunk.streams()
    L = len(chunk.learner.lrs)

    def targets(xs: tuple) -> torch.Tensor:
        return torch.stack([task.target(*xs) for task in tasks]).repeat_interleave(L, dim=0)

    test_x = t.sample_inputs(chunk.test_size, _gen(s_test))
    out: dict[str, Any] = {"test_x": test_x, "test_y": targets(test_x), "sampler": None}
    size = chunk.learner.train_size if chunk.series.train_size is None else chunk.series.train_size
    if size > 0:
        n_val = max(1, math.ceil(chunk.learner.val_fraction * size)) if size > 1 else 0
        xs = t.sample_inputs(size, _gen(s_train))
        fit = tuple(x[: size - n_val] for x in xs)
        val = tuple(x[size - n_val:] for x in xs)
        out.update(train_x=fit, train_y=targets(fit), train_size=size, val_size=n_val,  # fit on size - n_val
                   val_x=val if n_val else None, val_y=targets(val) if n_val else None)
        return out
    val_x = t.sample_inputs(chunk.test_size, _gen(s_train))  # fresh samples: a validation draw of the stream

    def sampler(b: int, gen: torch.Generator):  # fresh samples every step
        xb = t.sample_inputs(b, gen)
        return xb, targets(xb)

    out.update(train_x=None, train_y=None, sampler=sampler, train_size=0, val_size=chunk.test_size,
               val_x=val_x, val_y=targets(val_x))
    return out


def _curve_rows(chunk: Chunk, t: Any, points: list[dict[str, Any]], seeds_m: list[int],
                lrs: list[float]) -> dict[str, list[Any]]:
    curves: dict[str, list[Any]] = {c: [] for c in CURVE_COLUMNS}
    for pt in points:
        j = pt["member"]
        row = {"spec": chunk.spec_name, "series": chunk.series.name, "role": chunk.role,
               "param_name": str(t.param_name), "param_value": int(chunk.value), "seed": int(seeds_m[j]),
               "lr": float(lrs[j]), "step": int(pt["step"]), "train_loss": float(pt["train_loss"]),
               "test_error": float(pt["test_error"]), "val_error": float(pt["val_error"]), "chunk_id": chunk.chunk_id}
        for c in CURVE_COLUMNS:
            curves[c].append(row[c])
    return curves
