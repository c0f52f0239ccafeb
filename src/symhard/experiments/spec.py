"""Experiment specs: which learning tasks to sweep, with which learner and budget.

A spec is a TOML file (or the equivalent :class:`ExperimentSpec` dataclass)::

    name = "gnn-features"                 # also the results folder name
    description = "one line for the report"
    imports = []                          # modules to import first (e.g. your own register_task)
    seeds = [0, 1, 2]                     # one random member of the class per seed
    test_size = 4000                      # fresh test samples per setting
    success_threshold = 0.1               # a seed succeeds when its best error is below this
    data_seed = 0                         # seeds inputs, initialization and mini-batches

    [learner]                             # ensemble gradient descent (symhard.learners.gd)
    optimizer = "adam"                    # "adam" | "sgd"
    lrs = [1e-3, 3e-3]                    # the lr grid: one ensemble member per (seed, lr)
    width_multiple = 16                   # network width = width_multiple x target hidden units
    # width = 128                         # ... or a fixed width (overrides width_multiple)
    batch_size = 256
    steps = 3000
    train_size = 20000                    # finite training set; 0 = fresh samples every step
    eval_every = 100
    # patience = 5                        # early stopping on a training-loss plateau
    weight_decay = 0.0

    [[series]]                            # one curve of the report: a task swept over a grid
    task = "gnn-features"                 # a name registered with families.base.register_task
    label = "k=8"                         # defaults to the task name
    values = [4, 8, 16, 32, 64]           # the hardness parameter (the task names it: n, d, ...)
    roles = ["hard", "control"]
    options = { k = 8 }                   # keyword options passed to the task factory
    # width = 256                         # network width for this series (overrides the learner's)
    # train_size = 80000                   # training-set size for this series (overrides the learner's)
    # learner = "sq-polynomial"            # a sample learner instead of gradient descent ("gd")

    [quick]                               # overrides for --quick: same keys, merged into the above
    seeds = [0, 1]
    learner = { steps = 600 }
    # a [[quick.series]] list replaces the series list as a whole

Validation is strict and whole: an unknown key, an unknown task or role, an empty grid, a negative
size, a repeated sweep value, seed, lr or role, an integer outside ``[0, 2^63 - 1]`` (the store's
int64), a spec name that is not a plain file name (letters, digits, ``-``, ``_``, single ``.``
inside; it names the results folder) or a series label with path syntax (``/``, backslash, ``..``, a
leading dot) raises :class:`~symhard.errors.InvalidParameterError` with one line naming the key
and what is allowed. The ``[quick]`` variant is validated on every load, with or without
``--quick``. A module in ``imports`` is user code: whatever it raises becomes one such line naming
its file and line. The built-in specs live in ``symhard/experiments/specs/*.toml`` and are
addressed by name (``symhard run gnn-features``).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import numbers
import re
import tomllib
import traceback
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InstanceFormatError, InvalidParameterError

__all__ = [
    "LearnerSpec",
    "SeriesSpec",
    "ExperimentSpec",
    "load_spec",
    "spec_from_dict",
    "builtin_spec_names",
    "spec_hash",
    "check_plain_name",
    "INT_MAX",
]

ROLES = ("hard", "control")
OPTIMIZERS = ("adam", "sgd")

_TOP_KEYS = ("name", "description", "imports", "seeds", "test_size", "success_threshold", "data_seed", "learner", "series", "quick")
_LEARNER_KEYS = ("optimizer", "lrs", "width_multiple", "width", "batch_size", "steps", "train_size",
                 "eval_every", "patience", "weight_decay", "loss", "val_fraction")
#: Training losses a spec may name (see :data:`symhard.learners.gd.LOSSES`).
LOSSES = ("square", "l1", "huber")
_SERIES_KEYS = ("task", "label", "values", "roles", "options", "width", "train_size", "learner", "steps",
                "batch_size", "loss")
#: Learners a series may use instead of gradient descent (see ``sweep.SAMPLE_LEARNERS``).
SERIES_LEARNERS = ("gd", "sq-polynomial")


@dataclass(frozen=True)
class LearnerSpec:
    """The ensemble gradient-descent learner and its budget (see :class:`symhard.learners.gd.TrainConfig`)."""

    optimizer: str = "adam"
    lrs: tuple[float, ...] = (1e-3, 3e-3)
    width_multiple: float = 16.0
    width: int | None = None
    batch_size: int = 256
    steps: int = 3000
    train_size: int = 20000
    eval_every: int = 100
    patience: int | None = None
    weight_decay: float = 0.0
    loss: str = "square"
    val_fraction: float = 0.2

    def width_for(self, hidden_units: int) -> int:
        """Network width: ``width`` if set, else ``max(1, round(width_multiple * hidden_units))``."""
        if self.width is not None:
            return int(self.width)
        return max(1, int(round(self.width_multiple * int(hidden_units))))


@dataclass(frozen=True)
class SeriesSpec:
    """One task swept over its hardness parameter, for the given roles."""

    task: str
    values: tuple[int, ...]
    roles: tuple[str, ...] = ROLES
    label: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    width: int | None = None  # overrides the learner's width for this series
    train_size: int | None = None  # overrides the learner's training-set size (0 = fresh samples)
    learner: str = "gd"  # "gd" (the ensemble trainer) or a sample learner such as "sq-polynomial"
    steps: int | None = None  # overrides the learner's steps for this series
    batch_size: int | None = None  # overrides the learner's batch size
    loss: str | None = None  # overrides the learner's loss

    @property
    def name(self) -> str:
        return self.label or self.task

    def learner_for(self, base: "LearnerSpec") -> "LearnerSpec":
        """The spec's learner with this series' overrides (steps, batch size, loss) applied."""
        over = {k: v for k, v in (("steps", self.steps), ("batch_size", self.batch_size), ("loss", self.loss))
                if v is not None}
        return replace(base, **over) if over else base


@dataclass(frozen=True)
class ExperimentSpec:
    """A whole sweep: series x values x roles settings, each trained on all seeds x lrs at once."""

    name: str
    series: tuple[SeriesSpec, ...]
    learner: LearnerSpec = LearnerSpec()
    seeds: tuple[int, ...] = (0, 1, 2)
    test_size: int = 4000
    success_threshold: float = 0.1
    data_seed: int = 0
    description: str = ""
    imports: tuple[str, ...] = ()
    quick: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["series"] = [asdict(s) for s in self.series]
        return json.loads(json.dumps(d))  # tuples -> lists

    def hash(self) -> str:
        return spec_hash(self)

    def validate(self, check_tasks: bool = True) -> "ExperimentSpec":
        """Check every field; ``check_tasks`` also checks the task names against the registry."""
        d = self.to_dict()
        d.pop("quick")
        spec_from_dict(d, source=f"spec {self.name!r}", check_tasks=check_tasks, quick=False)
        return self


def spec_hash(spec: ExperimentSpec | dict[str, Any]) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of the resolved spec.

    ``spec`` may also be the mapping :meth:`ExperimentSpec.to_dict` returns (as a store's
    manifest records it), so that a manifest can be checked against its own hash.
    """
    d = spec.to_dict() if isinstance(spec, ExperimentSpec) else spec
    blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------ validation
#: Largest integer the store can hold (its integer columns are int64).
INT_MAX = 2**63 - 1
#: A spec name is a plain file name: it becomes the results folder ``<out>/<name>[-quick]``.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
#: A series label is shown in the report; it may hold spaces and ``=,+()`` but no path syntax.
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .,=+()-]*")
_NAME_RULE = "letters, digits, '-', '_' and single '.' inside (no path separators, no '..', no leading dot)"
_LABEL_RULE = "letters, digits, spaces and - _ . , = + ( ) (no path separators, no '..', no leading dot or space)"


def check_plain_name(name: Any, key: str, source: str, max_len: int = 100) -> str:
    """Return ``name`` if it is a plain name (see ``_PLAIN_NAME``), else raise one line."""
    if not isinstance(name, str) or len(name) > max_len or not _PLAIN_NAME.fullmatch(name):
        raise InvalidParameterError(f"{source}: {key} must be a plain name of at most {max_len} characters: "
                                    f"{_NAME_RULE}; got {name!r}.")
    return name


def _check_label(label: Any, key: str, source: str) -> str:
    ok = isinstance(label, str) and (label == "" or (len(label) <= 64 and _LABEL.fullmatch(label) is not None
                                                     and ".." not in label and label == label.rstrip()))
    if not ok:
        raise InvalidParameterError(f"{source}: {key} must be empty or a label of at most 64 characters: "
                                    f"{_LABEL_RULE}; got {label!r}.")
    return label


def _unknown(keys: Any, allowed: tuple[str, ...], where: str, source: str) -> None:
    for k in keys:
        if k not in allowed:
            raise InvalidParameterError(f"{source}: unknown key {where}{k!r}; allowed: {', '.join(allowed)}.")


def _int(v: Any, key: str, source: str, min_value: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not min_value <= v <= INT_MAX:
        raise InvalidParameterError(f"{source}: {key} == {v!r}, must be an integer in [{min_value}, 2^63 - 1].")
    return int(v)


def _pos_float(v: Any, key: str, source: str, allow_zero: bool = False) -> float:
    ok = not isinstance(v, bool) and isinstance(v, numbers.Real) and (v >= 0 if allow_zero else v > 0) and v == v and v != float("inf")
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidParameterError(f"{source}: {key} must be a finite number {bound}; got {v!r}.")
    return float(v)


def _unique(out: tuple, key: str, source: str) -> tuple:
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"{source}: {key} has repeated entries {list(out)}; give each value once "
                                    "(a repeated value would double its rows).")
    return out


def _int_list(v: Any, key: str, source: str, min_value: int) -> tuple[int, ...]:
    if not isinstance(v, list) or not v:
        raise InvalidParameterError(f"{source}: {key} must be a non-empty list of integers >= {min_value}; got {v!r}.")
    return _unique(tuple(_int(x, key, source, min_value) for x in v), key, source)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "options":
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def spec_from_dict(data: dict[str, Any], *, source: str = "spec", quick: bool = False,
                   check_tasks: bool = True) -> ExperimentSpec:
    """Validate a spec mapping (the parsed TOML) and build the :class:`ExperimentSpec`.

    With ``quick`` the ``[quick]`` table is merged over the rest first (tables merge key by key,
    lists and values replace). Both variants are validated whatever ``quick`` says, so a broken
    ``[quick]`` section is reported on a full run too (and the other way round).
    """
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{source}: a spec must be a table (mapping), not {type(data).__name__}.")
    _unknown(data, _TOP_KEYS, "", source)
    quick_over = data.get("quick", {})
    if not isinstance(quick_over, dict):
        raise InvalidParameterError(f"{source}: quick must be a table of overrides.")
    _unknown(quick_over, tuple(k for k in _TOP_KEYS if k != "quick"), "quick.", source)
    base = {k: v for k, v in data.items() if k != "quick"}
    full = _build(base, source, check_tasks, quick=False)
    if not quick_over and not quick:
        return full
    fast = _build(_merge(base, quick_over), f"{source} [quick]", check_tasks, quick=True)
    return fast if quick else full


def _build(data: dict[str, Any], source: str, check_tasks: bool, quick: bool) -> ExperimentSpec:
    """One resolved variant (full, or quick already merged) of a spec mapping."""
    name = check_plain_name(data.get("name"), "name", source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidParameterError(f"{source}: description must be a string.")
    imports = data.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(m, str) and m for m in imports):
        raise InvalidParameterError(f"{source}: imports must be a list of module names; got {imports!r}.")
    for mod in imports:
        _import_user_module(mod, source)
    return ExperimentSpec(
        name=name, description=description, series=_series_list(data.get("series"), source, check_tasks),
        learner=_learner(data.get("learner", {}), source),
        seeds=_int_list(data.get("seeds", [0, 1, 2]), "seeds", source, 0),
        test_size=_int(data.get("test_size", 4000), "test_size", source, 1),
        success_threshold=_pos_float(data.get("success_threshold", 0.1), "success_threshold", source),
        data_seed=_int(data.get("data_seed", 0), "data_seed", source, 0), imports=tuple(imports), quick=bool(quick),
    )


def _import_user_module(mod: str, source: str) -> None:
    """Import a spec's module (user code): any failure becomes one line naming the file and line."""
    try:
        importlib.import_module(mod)
    except ImportError as err:
        raise InvalidParameterError(f"{source}: imports: cannot import module {mod!r} ({err}).") from None
    except (Exception, SystemExit) as err:  # noqa: BLE001 - user code may raise anything
        tb = traceback.extract_tb(err.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        raise InvalidParameterError(f"{source}: imports: importing {mod!r} raised {type(err).__name__}{where}: "
                                    f"{' '.join(str(err).split())[:200]}") from None


def _learner(lrn: Any, source: str) -> LearnerSpec:
    if not isinstance(lrn, dict):
        raise InvalidParameterError(f"{source}: learner must be a table.")
    _unknown(lrn, _LEARNER_KEYS, "learner.", source)
    opt = lrn.get("optimizer", "adam")
    if opt not in OPTIMIZERS:
        raise InvalidParameterError(f"{source}: learner.optimizer == {opt!r}; allowed: {', '.join(OPTIMIZERS)}.")
    lrs = lrn.get("lrs", [1e-3, 3e-3])
    if not isinstance(lrs, list) or not lrs:
        raise InvalidParameterError(f"{source}: learner.lrs must be a non-empty list of learning rates > 0; got {lrs!r}.")
    lrs = _unique(tuple(_pos_float(x, "learner.lrs", source) for x in lrs), "learner.lrs", source)
    width = lrn.get("width")
    patience = lrn.get("patience")
    return LearnerSpec(
        optimizer=opt,
        lrs=lrs,
        width_multiple=_pos_float(lrn.get("width_multiple", 16.0), "learner.width_multiple", source),
        width=None if width is None else _int(width, "learner.width", source, 1),
        batch_size=_int(lrn.get("batch_size", 256), "learner.batch_size", source, 1),
        steps=_int(lrn.get("steps", 3000), "learner.steps", source, 1),
        train_size=_int(lrn.get("train_size", 20000), "learner.train_size", source, 0),
        eval_every=_int(lrn.get("eval_every", 100), "learner.eval_every", source, 1),
        patience=None if patience is None else _int(patience, "learner.patience", source, 1),
        weight_decay=_pos_float(lrn.get("weight_decay", 0.0), "learner.weight_decay", source, allow_zero=True),
        loss=_choice(lrn.get("loss", "square"), LOSSES, "learner.loss", source),
        val_fraction=_fraction(lrn.get("val_fraction", 0.2), "learner.val_fraction", source),
    )


def _choice(v: Any, allowed: tuple[str, ...], key: str, source: str) -> str:
    if v not in allowed:
        raise InvalidParameterError(f"{source}: {key} == {v!r}; allowed: {', '.join(allowed)}.")
    return v


def _fraction(v: Any, key: str, source: str) -> float:
    f = _pos_float(v, key, source)
    if not f < 1:
        raise InvalidParameterError(f"{source}: {key} == {v!r}, must lie in (0, 1): the validation share of the training set.")
    return f


def _series_list(series_raw: Any, source: str, check_tasks: bool) -> tuple[SeriesSpec, ...]:
    if not isinstance(series_raw, list) or not series_raw:
        raise InvalidParameterError(f"{source}: series must be a non-empty list of [[series]] tables.")
    tasks: dict[str, Any] | None = None
    if check_tasks:
        from ..families.base import all_tasks

        tasks = all_tasks()
    series: list[SeriesSpec] = []
    for i, s in enumerate(series_raw):
        ser = _one_series(s, f"series[{i}]", source, tasks)
        if any(ser.name == other.name for other in series):
            raise InvalidParameterError(f"{source}: series[{i}] repeats the series name {ser.name!r}; "
                                        "give each a distinct label.")
        series.append(ser)
    return tuple(series)


def _one_series(s: Any, where: str, source: str, tasks: dict[str, Any] | None) -> SeriesSpec:
    if not isinstance(s, dict):
        raise InvalidParameterError(f"{source}: {where} must be a table.")
    _unknown(s, _SERIES_KEYS, f"{where}.", source)
    task = s.get("task")
    if not isinstance(task, str) or not task:
        raise InvalidParameterError(f"{source}: {where}.task must name a registered task.")
    if tasks is not None and task not in tasks:
        allowed = ", ".join(tasks) or "(none registered yet)"
        raise InvalidParameterError(f"{source}: {where}.task == {task!r} is unknown; allowed: {allowed}.")
    values = _int_list(s.get("values"), f"{where}.values", source, 1)
    roles = s.get("roles", list(ROLES))
    if not isinstance(roles, list) or not roles:
        raise InvalidParameterError(f"{source}: {where}.roles must be a non-empty list; allowed: {', '.join(ROLES)}.")
    for r in roles:
        if r not in ROLES:
            raise InvalidParameterError(f"{source}: {where}.roles has {r!r}; allowed: {', '.join(ROLES)}.")
    _unique(tuple(roles), f"{where}.roles", source)
    label = _check_label(s.get("label", ""), f"{where}.label", source)
    if not label:
        check_plain_name(task, f"{where}.task (the series name when no label is given)", source)
    options = s.get("options", {})
    if not isinstance(options, dict):
        raise InvalidParameterError(f"{source}: {where}.options must be a table of keyword options.")
    if tasks is not None:  # the task's declaration checks names, types and ranges
        spec_task = tasks[task]
        options = spec_task.validate_options(options, where=f"{source}: {where}.options.", defaults=False)
        for v in values:
            spec_task.validate_value(v, where=f"{source}: {where}.values: ")
    w = s.get("width")
    n_train = s.get("train_size")
    kind = s.get("learner", "gd")
    if kind not in SERIES_LEARNERS:
        raise InvalidParameterError(f"{source}: {where}.learner == {kind!r} is unknown; allowed: {', '.join(SERIES_LEARNERS)}.")
    if kind != "gd" and n_train == 0:
        raise InvalidParameterError(f"{source}: {where}.train_size must be > 0 for learner {kind!r} (it learns from a fixed sample).")
    steps, batch, loss = s.get("steps"), s.get("batch_size"), s.get("loss")
    return SeriesSpec(task=task, values=values, roles=tuple(roles), label=label, options=dict(options),
                      width=None if w is None else _int(w, f"{where}.width", source, 1),
                      train_size=None if n_train is None else _int(n_train, f"{where}.train_size", source, 0),
                      learner=kind, steps=None if steps is None else _int(steps, f"{where}.steps", source, 1),
                      batch_size=None if batch is None else _int(batch, f"{where}.batch_size", source, 1),
                      loss=None if loss is None else _choice(loss, LOSSES, f"{where}.loss", source))


# ------------------------------------------------------------------------------ loading
def builtin_spec_names() -> list[str]:
    """Names of the built-in specs (``symhard/experiments/specs/*.toml``)."""
    folder = resources.files("symhard.experiments") / "specs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _read_toml(raw: bytes, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InstanceFormatError(f"{source}: not UTF-8 text (byte {err.start}); save the spec as UTF-8.") from None
    except tomllib.TOMLDecodeError as err:
        raise InstanceFormatError(f"{source}: not valid TOML: {err}.") from None


def load_spec(spec: str | Path | dict[str, Any] | ExperimentSpec, *, quick: bool = False,
              check_tasks: bool = True) -> ExperimentSpec:
    """Load a spec from a built-in name, a TOML path, a mapping or an :class:`ExperimentSpec`.

    >>> load_spec("boolean", quick=True, check_tasks=False).name
    'boolean'
    """
    if isinstance(spec, ExperimentSpec):  # already resolved: ``quick`` has nothing left to merge
        return spec.validate(check_tasks=check_tasks)
    if isinstance(spec, dict):
        return spec_from_dict(spec, quick=quick, check_tasks=check_tasks)
    if not isinstance(spec, (str, Path)):
        raise InvalidParameterError(f"spec must be a built-in name, a .toml path, a mapping or an ExperimentSpec; "
                                    f"got {type(spec).__name__}.")
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise InvalidParameterError(f"spec file {str(path)!r} does not exist or is not a file.")
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise InvalidParameterError(f"spec file {str(path)!r} cannot be read ({err.strerror}).") from None
        return spec_from_dict(_read_toml(raw, str(path)), source=str(path), quick=quick, check_tasks=check_tasks)
    names = builtin_spec_names()
    if str(spec) not in names:
        raise InvalidParameterError(f"unknown spec {str(spec)!r}; allowed: a .toml path or one of {', '.join(names)}.")
    raw = (resources.files("symhard.experiments") / "specs" / f"{spec}.toml").read_bytes()
    return spec_from_dict(_read_toml(raw, f"built-in spec {spec!r}"), source=f"built-in spec {spec!r}",
                          quick=quick, check_tasks=check_tasks)
