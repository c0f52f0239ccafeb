"""The frozen benchmark suites of ``symhard bench --suite``: their definition files, loading and hashing.

A suite is a TOML file in ``symhard/bench/suites/`` (``v1.toml``): fixed tasks (a family's task,
its role — hard class or control —, the swept value and the options), a fixed budget (samples,
steps, batch size, learning-rate grid, baseline width, validation fraction), locked seeds (the
family members, and the harness seed that fixes the training, validation and test sets), the
metric (normalized test error; a seed succeeds when its error is below ``success_threshold``)
and the invariance check (inputs, tolerance). The SHA-256 of the file's bytes identifies the
suite: it is printed on every scorecard, and changing a task makes a new version (a new file).

Schema (every key required unless marked)::

    version = "v1"                      # must match the file name
    description = "..."
    seeds = [0, 1, 2]                   # family members (and init streams)
    harness_seed = 0                    # data streams
    n_test = 2048                       # fresh test inputs per task
    success_threshold = 0.1             # a seed succeeds when its normalized test error < this
    [budget]  samples, steps, batch_size, lrs, baseline_width, val_fraction
    [invariance]  samples, tol
    [[task]]  id, task, role, value, options (optional), quick (optional, default false),
              note (optional)
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from ..errors import InstanceFormatError, InvalidParameterError, check_float, check_int

__all__ = ["SuiteTask", "Suite", "load_suite", "suite_names"]

_BUDGET_KEYS = ("samples", "steps", "batch_size", "lrs", "baseline_width", "val_fraction")
_TOP_KEYS = {"version", "description", "seeds", "harness_seed", "n_test", "success_threshold", "budget",
             "invariance", "task"}
_TASK_KEYS = {"id", "task", "role", "value", "options", "quick", "note"}


@dataclass(frozen=True)
class SuiteTask:
    """One task of a suite: ``task(value, role, seed, **options)`` for every seed of the suite."""

    id: str
    task: str
    role: str
    value: int
    param_name: str
    options: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    note: str = ""


@dataclass(frozen=True)
class Suite:
    """A loaded suite file (see the module docstring); ``sha256`` is the hash of its bytes."""

    version: str
    description: str
    path: str
    sha256: str
    seeds: tuple[int, ...]
    harness_seed: int
    n_test: int
    success_threshold: float
    budget: dict[str, Any]
    invariance: dict[str, Any]
    tasks: tuple[SuiteTask, ...]

    def selected(self, quick: bool, only: Sequence[str] | None = None) -> tuple[SuiteTask, ...]:
        """The quick subset (tasks marked ``quick = true``) or every task; with ``only``, the tasks whose
        id matches one of the shell patterns (``gnn-*``) or whose task is named (``cnn``).

        A model made for some tasks only (a GIN for the graph tasks) is scored on those; the scorecard
        records the selection. A pattern that matches no task is an error.
        """
        tasks = tuple(t for t in self.tasks if t.quick) if quick else self.tasks
        if not only:
            return tasks
        for pat in only:
            if not any(fnmatch.fnmatchcase(t.id, pat) or t.task == pat for t in self.tasks):
                raise InvalidParameterError(f"--tasks {pat!r} matches no task of suite {self.version}; give task ids "
                                            f"(shell patterns such as 'gnn-*') or task names: "
                                            f"{', '.join(sorted({t.task for t in self.tasks}))}.")
        return tuple(t for t in tasks if any(fnmatch.fnmatchcase(t.id, p) or t.task == p for p in only))

    def describe(self) -> dict[str, Any]:
        return {"version": self.version, "sha256": self.sha256, "seeds": list(self.seeds),
                "harness_seed": self.harness_seed, "n_test": self.n_test, "success_threshold": self.success_threshold,
                "budget": dict(self.budget), "invariance": dict(self.invariance)}


def suite_names() -> list[str]:
    """The suites shipped with symhard (``v1``, ...)."""
    return sorted(p.name[:-5] for p in resources.files(__package__).joinpath("suites").iterdir()
                  if p.name.endswith(".toml"))


def _read(name_or_path: str) -> tuple[bytes, str, str]:
    if name_or_path in suite_names():
        ref = resources.files(__package__).joinpath("suites", f"{name_or_path}.toml")
        return ref.read_bytes(), str(ref), name_or_path
    path = Path(name_or_path).expanduser()
    if not name_or_path.endswith(".toml") or not path.is_file():
        raise InvalidParameterError(f"unknown suite {name_or_path!r}; allowed: {', '.join(suite_names())} "
                                    "or the path of a suite .toml file.")
    return path.read_bytes(), str(path), path.stem


def load_suite(name_or_path: str) -> Suite:
    """Load and validate a suite by name (``"v1"``) or path; every task is checked against its declaration."""
    raw, where, stem = _read(name_or_path)
    try:
        d = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InstanceFormatError(f"suite {where}: not valid UTF-8 TOML ({err}).") from None
    unknown = set(d) - _TOP_KEYS
    missing = _TOP_KEYS - set(d)
    if unknown or missing:
        raise InstanceFormatError(f"suite {where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}; "
                                  f"allowed: {sorted(_TOP_KEYS)}.")
    if d["version"] != stem:
        raise InstanceFormatError(f"suite {where}: version {d['version']!r} does not match the file name {stem!r}.")
    seeds = tuple(check_int(s, f"suite {where}: seed", min_value=0) for s in d["seeds"])
    if not seeds or len(set(seeds)) != len(seeds):
        raise InstanceFormatError(f"suite {where}: seeds must be a non-empty list of distinct integers.")
    tasks = tuple(_task(t, where) for t in d["task"])
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        raise InstanceFormatError(f"suite {where}: task ids must be unique; repeated: {sorted({i for i in ids if ids.count(i) > 1})}.")
    return Suite(version=d["version"], description=str(d["description"]), path=where,
                 sha256=hashlib.sha256(raw).hexdigest(), seeds=seeds,
                 harness_seed=check_int(d["harness_seed"], "harness_seed", min_value=0),
                 n_test=check_int(d["n_test"], "n_test", min_value=2),
                 success_threshold=check_float(d["success_threshold"], "success_threshold", low=0.0, low_open=True),
                 budget=_budget(d["budget"], where), invariance=_invariance(d["invariance"], where), tasks=tasks)


def _budget(b: dict[str, Any], where: str) -> dict[str, Any]:
    if set(b) != set(_BUDGET_KEYS):
        raise InstanceFormatError(f"suite {where}: [budget] needs exactly the keys {', '.join(_BUDGET_KEYS)}.")
    lrs = [check_float(x, "lr", low=0.0, low_open=True) for x in b["lrs"]]
    if not lrs:
        raise InstanceFormatError(f"suite {where}: [budget] lrs is empty.")
    return {"samples": check_int(b["samples"], "samples", min_value=2), "steps": check_int(b["steps"], "steps", min_value=1),
            "batch_size": check_int(b["batch_size"], "batch_size", min_value=1), "lrs": lrs,
            "baseline_width": check_int(b["baseline_width"], "baseline_width", min_value=1),
            "val_fraction": check_float(b["val_fraction"], "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)}


def _invariance(inv: dict[str, Any], where: str) -> dict[str, Any]:
    if set(inv) != {"samples", "tol"}:
        raise InstanceFormatError(f"suite {where}: [invariance] needs exactly the keys samples, tol.")
    return {"samples": check_int(inv["samples"], "invariance samples", min_value=1),
            "tol": check_float(inv["tol"], "invariance tol", low=0.0)}


def _task(t: dict[str, Any], where: str) -> SuiteTask:
    from ..families.base import check_role, get_task

    unknown = set(t) - _TASK_KEYS
    if unknown or not {"id", "task", "role", "value"} <= set(t):
        raise InstanceFormatError(f"suite {where}: a [[task]] has keys {sorted(t)}; needs id, task, role, value "
                                  f"and allows {sorted(_TASK_KEYS)}.")
    tid = str(t["id"])
    if not tid.replace("-", "").replace("_", "").isalnum():
        raise InstanceFormatError(f"suite {where}: task id {tid!r} must be letters, digits, '-' and '_' only.")
    spec = get_task(t["task"])
    role = check_role(t["role"])
    options = spec.validate_options(dict(t.get("options") or {}), where=f"suite task {tid}: option ")
    value = spec.validate_value(t["value"], f"suite task {tid}: ")
    pname = spec.param.name if spec.param is not None else str(spec(value, role, 0, **options).param_name)
    return SuiteTask(id=tid, task=spec.name, role=role, value=value, param_name=pname,
                     options={k: v for k, v in options.items() if v is not None},
                     quick=bool(t.get("quick", False)), note=str(t.get("note", "")))
