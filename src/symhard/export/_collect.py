"""What ``symhard export`` writes: the harness's sets of M hard members and M controls, with their metadata.

The inputs of every split are exactly those of :func:`symhard.bench.data.harness_data` (the
training, validation and test sets ``symhard bench`` trains and scores on, for the same task,
size, seeds, sample counts and harness seed); the targets are one column per member, first the
``M`` hard members (seeds ``0..M−1``) then the ``M`` controls (the same seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidParameterError, SymhardError, check_int

__all__ = ["ExportData", "collect", "resolve_task", "SPLITS"]

SPLITS = ("train", "val", "test")
_MAX_BYTES = 4 << 30


@dataclass
class ExportData:
    """``splits[name] = (inputs, targets)``: inputs a list of float32 arrays ``[n, ...]``, targets ``[n, 2M]``."""

    splits: dict[str, tuple[list[np.ndarray], np.ndarray]]
    input_names: list[str]
    input_actions: list[str]
    target_names: list[str]
    metadata: dict[str, Any]

    @property
    def is_graph(self) -> bool:
        return "graph" in self.input_actions


def resolve_task(name: str) -> tuple[str, str | None]:
    """``(task, family)``: a task name, or the task of a family (``boolean-parity`` -> ``boolean``)."""
    from ..families.base import all_tasks, family_names, get_family

    if name in family_names():
        fam = get_family(name)
        if fam.task is not None:
            return fam.task.name, name
    if name in all_tasks():
        return name, None
    if name in family_names():
        raise InvalidParameterError(f"family {name!r} has no learning task to export.")
    raise InvalidParameterError(f"unknown task or family {name!r}; allowed tasks: {', '.join(all_tasks())}.")


def _names(actions: tuple[str, ...], inputs: tuple[Any, ...]) -> list[str]:
    names = []
    for a, t in zip(actions, inputs):
        base = "A" if a == "graph" else ("X" if t.dim() == 3 else "x")
        name, i = base, 1
        while name in names:
            name, i = f"{base}{i}", i + 1
        names.append(name)
    return names


def _certificate(task: str, obj: Any, size: int, options: dict[str, Any], family: str | None) -> dict[str, Any]:
    """The family's certificate at this size, or the one-line reason it cannot be computed.

    The family's declared parameters are filled from the task: its swept parameter, its group
    (``task.group.name``), the degree ``k`` of the hard member, and the options the family also
    declares; the family's defaults do the rest. ``family`` picks among families sharing the task.
    """
    from ..families.base import all_families

    fams = [f for f in all_families().values() if f.task is not None and f.task.name == task]
    fams.sort(key=lambda f: f.name != family)
    if not fams:
        return {"certificate": None, "reason": f"no family declares the task {task!r}."}
    fam = fams[0]
    declared = {p.name for p in fam.params}
    params = {k: v for k, v in options.items() if k in declared and v is not None and k != "group"}
    if obj.param_name in declared:
        params[obj.param_name] = size
    if "group" in declared and getattr(obj, "group", None) is not None:
        params["group"] = obj.group.name
    k = getattr(obj, "k_hard", None) or getattr(obj, "k", None)
    if k is None and getattr(obj, "kind", None) == "parity":
        k = len(obj.subset)
    if "k" in declared and k is not None:
        params["k"] = int(k)
    try:
        cert = fam().certificate(**params)
    except (SymhardError, MemoryError) as err:
        return {"certificate": None, "family": fam.name, "params": params,
                "reason": " ".join(str(err).split()) or type(err).__name__}
    return {"certificate": cert.to_dict(), "family": fam.name, "params": params, "reason": None}


def _estimate_bytes(obj: Any, samples: int, n_test: int, members: int) -> int:
    import torch

    x = obj.sample_inputs(1, torch.Generator().manual_seed(0))
    per = sum(int(t.numel()) for t in x) + 2 * members
    return 4 * per * (samples + n_test)


def _protocol(harness_seed: int, value: int) -> dict[str, Any]:
    """How ``symhard bench`` trains on these sets, so that a run elsewhere can match it step for step."""
    from ..bench.data import ROLE_INIT, batch_seed

    return {
        "batch_seed": batch_seed(harness_seed, value),
        "batches": "step t trains on rows torch.randint(n_train, (batch_size,), generator=g) of the train split, the "
                   "t-th draw of g = torch.Generator().manual_seed(batch_seed), the same rows for every member",
        "init_seed": f"make_model(info) of member (seed, lr) runs under torch.manual_seed(int(numpy.random.SeedSequence("
                     f"[{harness_seed}, {value}, {ROLE_INIT}, seed, int(lr * 1e12)]).generate_state(1, dtype=numpy.uint64)[0] "
                     f"% 2**62))",
        "lr_choice": "per seed, the lr with the smallest normalized error on the val split",
        "metric": "normalized test error mean((f(x) - y)^2) / mean(y^2) on the test split (zero predictor = 1)",
    }


def collect(name: str, *, size: int, members: int, samples: int, n_test: int, options: dict[str, Any] | None = None,
            harness_seed: int = 0, val_fraction: float | None = None, max_bytes: int = _MAX_BYTES) -> ExportData:
    """The splits and metadata of an export (see the module docstring); validated before any work."""
    from .. import __version__
    from ..bench.data import VAL_FRACTION, harness_data
    from ..bench.invariance import task_symmetry
    from ..families.base import get_task

    task, family = resolve_task(name)
    spec = get_task(task)
    opts = spec.validate_options(dict(options or {}), where=f"task {task}: option ")
    size = spec.validate_value(size, f"task {task}: --size ")
    members = check_int(members, "members", min_value=1, max_value=4096)
    samples = check_int(samples, "samples", min_value=2)
    probe = spec(size, "hard", 0, **opts)
    from ..resources import Estimate, Limits, current_limits, require

    require(Estimate(f"the export of {task} at size {size} ({members} hard members and {members} controls)",
                     bytes=_estimate_bytes(probe, samples, n_test, members), lower="lower --samples or --members"),
            Limits(max_bytes, current_limits().max_time))
    seeds = list(range(members))
    vf = VAL_FRACTION if val_fraction is None else val_fraction
    kw = dict(seeds=seeds, samples=samples, n_test=n_test, harness_seed=harness_seed, options=opts, val_fraction=vf)
    hard = harness_data(task, size, role="hard", **kw)
    ctrl = harness_data(task, size, role="control", **kw)
    splits = {}
    for split in SPLITS:
        xs = getattr(hard, f"{split}_x")
        if not all(bool((a == b).all()) for a, b in zip(xs, getattr(ctrl, f"{split}_x"))):
            raise SymhardError(f"bug: the {split} inputs of the hard and control roles differ (one stream serves both).")
        y = torch_cat_targets(getattr(hard, f"{split}_y"), getattr(ctrl, f"{split}_y"))
        splits[split] = ([t.detach().cpu().numpy().astype(np.float32) for t in xs], y)
    group, actions = task_symmetry(hard.tasks[0], hard.train_x)
    names = _names(actions, hard.train_x)
    targets = [f"y_{role}_s{s}" for role in ("hard", "control") for s in seeds]
    gen = hard.describe()
    del gen["role"]
    meta = {"format_version": 1, "symhard_version": __version__, **gen, "family": family, "members": members, "roles": ["hard", "control"], "targets": targets,
            "target_rows": "column j of y: the member named targets[j] (hard seeds 0..M-1, then the controls)",
            "inputs": [{"name": n, "shape": list(t.shape[1:]), "dtype": "float32", "action": a}
                       for n, t, a in zip(names, hard.train_x, actions)],
            "group": group.name, "val_fraction": vf, "training_protocol": _protocol(harness_seed, size),
            **_certificate(task, probe, size, opts, family)}
    return ExportData(splits=splits, input_names=names, input_actions=list(actions), target_names=targets, metadata=meta)


def torch_cat_targets(hard: Any, control: Any) -> np.ndarray:
    """``[S, n]`` hard and ``[S, n]`` control targets -> one float32 array ``[n, 2S]``."""
    return np.concatenate([hard.detach().cpu().numpy().T, control.detach().cpu().numpy().T], axis=1).astype(np.float32)
