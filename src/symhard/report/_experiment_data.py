r"""What the experiment report reads from a results folder, aggregated once.

For one spec folder (``<root>/<spec>/``, see :mod:`symhard.experiments.store`) this module reads
the manifest, the run table and the learning curves, and reduces them to

* per (series, role, value) and per seed the *best* normalized test error over the lr grid
  (a diverged member counts as ``inf``), with the lr that reached it (:class:`Setting`);
* per series what the reader needs to name it (:class:`SeriesInfo`): its task, its learner
  (gradient descent or a sample learner such as the SQ learner), the group, what the control
  target is, the units of the hardness parameter and the budget.

The budget of a gradient-descent series is ``steps × batch`` on ``train_size`` samples at a
width; the budget of a sample learner (``lr`` NaN in the store) is its number of samples and
the statistical queries it asked (``csq_queries``), never a step count.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from ..experiments.store import read_curves, read_manifest, read_runs

__all__ = ["spec_folders", "SeriesInfo", "Setting", "ExperimentData", "load_experiment"]

ROLE_ORDER = ("hard", "control")


def spec_folders(root: str | Path) -> list[Path]:
    """``root`` itself if it is a spec folder, else its sub-folders holding a ``manifest.json``."""
    root = Path(root)
    if not root.exists():
        raise InvalidParameterError(f"results folder {str(root)!r} does not exist; run 'symhard run SPEC' first.")
    if (root / "manifest.json").exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "manifest.json").exists())


@dataclass
class Setting:
    """One (series, role, value): per seed the test error of the lr chosen on validation data, and the budget."""

    best: dict[int, tuple[float, float]]  # seed -> (error of the chosen lr, that lr); diverged = inf
    log10_budget: float  # log10 of the GD run's CSQ-equivalent queries (NaN for sample learners)
    tau: float  # tolerance of those queries
    queries: float  # GD: steps x params; sample learner: statistical queries asked (mean over seeds)
    bound_log10: float  # log10 of the lower bound at bound_tau (NaN: vacuous)
    bound_tau: float
    bound_formula: str
    train_size: int
    params: int

    def errors(self) -> list[float]:
        return [e for e, _ in self.best.values()]


@dataclass
class SeriesInfo:
    """How to name a series in titles and legends."""

    name: str
    task: str
    learner: str  # "gd" or a sample learner ("sq-polynomial")
    roles: tuple[str, ...]
    options: dict[str, Any]
    width: int | None
    train_size: int
    param_name: str = "param"
    param_help: str = ""
    group: str = ""
    control: str = ""

    @property
    def is_gd(self) -> bool:
        return self.learner == "gd"

    @property
    def group_text(self) -> str:
        return f"group {self.group}" if self.group else "group not stated by the task"

    @property
    def xlabel(self) -> str:
        return f"{self.param_name} ({self.param_help})" if self.param_help else f"{self.param_name} (hardness parameter)"

    def role_label(self, role: str) -> str:
        """Legend label of a role: the hard class by its series name, the control by what it is."""
        if role == "hard":
            return f"hard: {self.name}" if self.name != self.task else "hard class"
        return f"control: {self.control}" if self.control else "control target"


@dataclass
class ExperimentData:
    """Everything the experiment section shows, read once from a spec folder."""

    folder: Path
    manifest: dict[str, Any]
    series: list[SeriesInfo]
    settings: dict[tuple[str, str, int], Setting]
    curves: dict[str, list[Any]]
    threshold: float
    learner: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def spec(self) -> dict[str, Any]:
        return self.manifest["spec"]

    def values(self, series: str, role: str | None = None) -> list[int]:
        return sorted({k[2] for k in self.settings if k[0] == series and (role is None or k[1] == role)})

    def roles(self, series: str) -> list[str]:
        present = {k[1] for k in self.settings if k[0] == series}
        return [r for r in ROLE_ORDER if r in present]

    def gd_budget(self, s: SeriesInfo) -> str:
        """``600 steps × batch 128 on 8000 samples, width 64`` (a GD series)."""
        lrn = self.learner
        data = f"{s.train_size} samples" if s.train_size else "fresh samples every step"
        width = s.width if s.width is not None else lrn.get("width")
        wtxt = f"width {width}" if width else f"width {lrn.get('width_multiple', 0):g} x hidden units"
        return f"{lrn['steps']} steps × batch {lrn['batch_size']} on {data}, {wtxt}"

    def budget(self, s: SeriesInfo) -> str:
        """The budget of a series in words (a sample learner: samples and statistical queries)."""
        if s.is_gd:
            return self.gd_budget(s)
        qs = [st.queries for k, st in self.settings.items() if k[0] == s.name and math.isfinite(st.queries)]
        qtxt = (f"{min(qs):.3g}–{max(qs):.3g} statistical queries (mean over seeds)" if qs
                else "statistical queries not recorded")
        return f"{s.learner} on {s.train_size} samples, {qtxt}"


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def _settings(runs: dict[str, list[Any]]) -> dict[tuple[str, str, int], Setting]:
    out: dict[tuple[str, str, int], Setting] = {}
    qsum: dict[tuple[str, str, int], list[float]] = {}
    for i in range(len(runs["seed"])):
        key = (runs["series"][i], runs["role"][i], int(runs["param_value"][i]))
        e = runs["test_error"][i]
        e = math.inf if runs["diverged"][i] or e is None or e != e else float(e)
        if key not in out:
            out[key] = Setting(best={}, log10_budget=_float(runs["log10_csq_queries"][i]), tau=_float(runs["csq_tau"][i]),
                               queries=math.nan, bound_log10=_float(runs["bound_log10_queries"][i]),
                               bound_tau=_float(runs["bound_tau"][i]),
                               bound_formula=str(runs["bound_formula"][i] or ""), train_size=int(runs["train_size"][i]),
                               params=int(runs["params_per_member"][i] or 0))
        st = out[key]
        s = int(runs["seed"][i])
        if runs["chosen"][i]:  # the member of the lr grid chosen on validation data (never on the test set)
            st.best[s] = (e, _float(runs["lr"][i]))
        q = _float(runs["csq_queries"][i])
        if math.isfinite(q):  # GD: steps x params (constant); a sample learner's count varies by seed
            qsum.setdefault(key, []).append(q)
    for key, qs in qsum.items():
        out[key].queries = sum(qs) / len(qs)
    return out


def _task_facts(task: str, options: dict[str, Any], values: list[int]) -> dict[str, str]:
    """The task's parameter help, its control (from its declared summary 'hard vs control') and
    its group: the task built (seed 0) at the two smallest values; when the group's name follows
    the value (``cyclic:8``, ``cyclic:16``) it is written with the parameter (``cyclic:n``), when it
    does not (``symmetric:4`` on the nodes of a feature-dimension sweep) as it is."""
    from ..families.base import get_task

    facts = {"param_help": "", "control": "", "group": ""}
    try:
        spec = get_task(task)
    except Exception:  # noqa: BLE001 - a task the report cannot import is named, not fatal
        return facts
    if spec.param is not None:
        facts["param_help"] = spec.param.help
    if " vs " in spec.summary:
        facts["control"] = spec.summary.rpartition(" vs ")[2].strip()
    try:
        built = [(v, spec(v, "hard", 0, **options)) for v in sorted(values)[:2]]
        names = [_group_name(t) for _, t in built]
    except Exception:  # noqa: BLE001 - the group is a label; its absence is stated instead
        return facts
    if not built:
        return facts
    pname = str(getattr(built[0][1], "param_name", "")) or "param"
    heads = {name[: -len(f":{v}")] for (v, _), name in zip(built, names) if name.endswith(f":{v}")}
    if len(built) == 2 and len(heads) == 1 and names[0] != names[1]:
        facts["group"] = f"{heads.pop()}:{pname}"
    elif len(set(names)) == 1:
        facts["group"] = names[0] + ("" if len(built) == 2 else f" (at {pname}={built[0][0]})")
    else:
        facts["group"] = ", ".join(f"{name} at {pname}={v}" for (v, _), name in zip(built, names))
    return facts


def _group_name(task: Any) -> str:
    """The name of the task's group (``task.group``, else the one :func:`symhard.bench.task_symmetry`
    derives from a small sample of the task's inputs)."""
    group = getattr(task, "group", None)
    if group is None:
        from .._random import torch_generator
        from ..bench import task_symmetry

        group, _ = task_symmetry(task, tuple(task.sample_inputs(4, torch_generator(0))))
    return str(getattr(group, "name", ""))


def _series_infos(spec: dict[str, Any], runs: dict[str, list[Any]]) -> list[SeriesInfo]:
    for mod in spec.get("imports") or ():
        try:
            importlib.import_module(mod)
        except Exception:  # noqa: BLE001 - the tasks then lack a group and a control description
            pass
    pnames = {runs["series"][i]: runs["param_name"][i] for i in range(len(runs["seed"]))}
    out = []
    for s in spec["series"]:
        name = s.get("label") or s["task"]
        train = s.get("train_size")
        info = SeriesInfo(name=name, task=s["task"], learner=s.get("learner", "gd"), roles=tuple(s.get("roles", ROLE_ORDER)),
                          options=dict(s.get("options") or {}), width=s.get("width"),
                          train_size=int(spec["learner"]["train_size"] if train is None else train))
        facts = _task_facts(s["task"], info.options, list(s.get("values") or []))
        info.param_name = str(pnames.get(name, "param"))
        info.param_help, info.control = facts["param_help"], facts["control"]
        info.group = facts["group"]
        out.append(info)
    return out


def load_experiment(folder: str | Path) -> ExperimentData:
    """Read one spec folder (manifest, runs, curves) into :class:`ExperimentData`."""
    folder = Path(folder)
    man = read_manifest(folder)
    spec = man["spec"]
    runs = read_runs(folder).to_pydict()
    curves = read_curves(folder).to_pydict()
    series = _series_infos(spec, runs)
    present = set(runs["series"])
    series = [s for s in series if s.name in present]
    return ExperimentData(folder=folder, manifest=man, series=series, settings=_settings(runs), curves=curves,
                          threshold=float(spec.get("success_threshold", 0.1)), learner=dict(spec["learner"]))
