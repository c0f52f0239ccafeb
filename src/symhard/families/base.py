"""The contracts every hard family implements: certificates, report sections and learning tasks.

A *family* (one module per result of the paper in :mod:`symhard.families`) is a set of target
functions that a symmetric architecture expresses. It provides

* ``certificate(**params) -> Certificate``: the machine-checked evidence (realization error of
  the network weights, normalized Gram summary, the lower bound it implies);
* ``report_section(out_dir, quick) -> ReportSection``: tables and figures for the report;
* learning tasks (:class:`LearningTask`) for the experiments, registered by name with
  :func:`register_task`.

Families register themselves with :func:`register_family`; the registry is filled by
importing every module of :mod:`symhard.families` (:func:`all_families`), so a new family is
a new module and nothing else needs editing.
"""

from __future__ import annotations

import abc
import importlib
import json
import math
import pkgutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol

import numpy as np

from ..errors import InvalidParameterError


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, Fractions and Paths into JSON-friendly values."""
    from fractions import Fraction

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else (None if v != v else ("inf" if v > 0 else "-inf"))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass
class LowerBound:
    """A query lower bound: ``queries`` queries of tolerance ``tau`` are necessary.

    ``queries`` may be astronomically large; it is a float (``inf`` allowed) so that it
    survives JSON. ``formula`` states, in words and symbols, how it was computed.
    """

    queries: float
    tau: float
    formula: str
    log10_queries: float | None = None

    def __post_init__(self) -> None:
        if self.log10_queries is None:
            q = float(self.queries)
            self.log10_queries = math.log10(q) if q > 0 and math.isfinite(q) else (None if q <= 0 else math.inf)


@dataclass
class Certificate:
    """Machine-checked evidence for one family at given sizes (the common JSON format).

    Every ``symhard check FAMILY --json`` prints :meth:`to_dict` of one certificate. The
    ``extra`` mapping holds the family's own keys; they are written beside the common ones.
    """

    family: str
    params: dict[str, Any]
    method: str  # "exact" or "mc"
    members: int
    realization_error: float | None
    max_offdiag_corr: float
    max_offdiag_corr_stderr: float
    min_norm: float
    lower_bound: LowerBound
    extra: dict[str, Any] = field(default_factory=dict)

    COMMON_KEYS: ClassVar[tuple[str, ...]] = (
        "family", "params", "method", "members", "realization_error",
        "max_offdiag_corr", "max_offdiag_corr_stderr", "min_norm", "lower_bound",
    )

    def __post_init__(self) -> None:
        if self.method not in ("exact", "mc"):
            raise InvalidParameterError(f"certificate method must be 'exact' or 'mc', got {self.method!r}.")
        clash = set(self.extra) & set(self.COMMON_KEYS)
        if clash:
            raise InvalidParameterError(f"extra keys {sorted(clash)} clash with the common certificate keys.")

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.COMMON_KEYS}
        d["lower_bound"] = asdict(self.lower_bound)
        d.update(self.extra)
        return _jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def rows(self) -> list[tuple[str, str]]:
        """(key, value) rows for a readable table."""

        def fmt(v: Any) -> str:
            if isinstance(v, float):
                return f"{v:.6g}"
            if isinstance(v, dict):
                return ", ".join(f"{k}={fmt(x)}" for k, x in v.items())
            return str(v)

        d = self.to_dict()
        lb = d.pop("lower_bound")
        rows = [(k, fmt(v)) for k, v in d.items()]
        rows.append(("lower_bound.queries", fmt(lb["queries"])))
        rows.append(("lower_bound.log10_queries", fmt(lb["log10_queries"])))
        rows.append(("lower_bound.tau", fmt(lb["tau"])))
        rows.append(("lower_bound.formula", lb["formula"]))
        return rows


@dataclass
class ReportSection:
    """What one family contributes to ``report.md``: Markdown text, certificates, figures."""

    title: str
    text: str
    certificates: list[Certificate] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)  # PNG files written into the report folder


class Family(abc.ABC):
    """Base class of the hard families (subclass and decorate with :func:`register_family`).

    Class attributes
    ----------------
    name : str
        The registry and CLI name, e.g. ``"boolean-parity"``.
    summary : str
        One line: the class of functions.
    theorem : str
        One line: the theorem and its bound as a formula.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    theorem: ClassVar[str] = ""

    @abc.abstractmethod
    def certificate(self, **params: Any) -> Certificate:
        """The certificate of the family at the sizes in ``params``."""

    @abc.abstractmethod
    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        """Certificates and figures for the report, written into ``out_dir``."""


_FAMILIES: dict[str, type[Family]] = {}


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: add a :class:`Family` subclass to the registry under ``cls.name``."""
    if not cls.name:
        raise InvalidParameterError(f"family class {cls.__name__} needs a non-empty name.")
    _FAMILIES[cls.name] = cls
    return cls


def _import_family_modules() -> None:
    from .. import families as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{pkg.__name__}.{info.name}")


def all_families() -> dict[str, type[Family]]:
    """Every registered family, by name (imports all family modules once)."""
    _import_family_modules()
    return dict(sorted(_FAMILIES.items()))


def get_family(name: str) -> type[Family]:
    families = all_families()
    if name not in families:
        raise InvalidParameterError(f"unknown family {name!r}; allowed: {', '.join(families)}.")
    return families[name]


# ---------------------------------------------------------------------------- learning tasks
class LearningTask(Protocol):
    """One target function with its input distribution and a model of its own architecture.

    Attributes
    ----------
    family : str       task name (the registry key), e.g. ``"gnn-features"``
    role : str         ``"hard"`` (a member of the hard class) or ``"control"`` (a target the
                       same learner is expected to learn at the same budget)
    param_name : str   the hardness parameter swept, e.g. ``"d"``
    param_value : int  its value
    hidden_units : int number of hidden units of the target network (width multiples refer to it)

    Methods
    -------
    sample_inputs(m, generator) -> tuple of tensors, each with leading batch axis ``m``
    target(*inputs) -> tensor ``[m]``: the target, normalized to unit variance (E[y²] = 1 up to
        the stated precision), so that the zero predictor has normalized error 1
    make_model(ensemble, width, generator) -> torch.nn.Module whose ``forward(*inputs)`` returns
        ``[ensemble, m]``; inputs may be shared (``[m, ...]``) or per member (``[ensemble, m, ...]``)
    lower_bound(tau) -> LowerBound: the family's CSQ/SQ lower bound at tolerance tau
    """

    family: str
    role: str
    param_name: str
    param_value: int
    hidden_units: int

    def sample_inputs(self, m: int, generator: Any) -> tuple[Any, ...]: ...

    def target(self, *inputs: Any) -> Any: ...

    def make_model(self, ensemble: int, width: int, generator: Any) -> Any: ...

    def lower_bound(self, tau: float) -> LowerBound: ...


TaskFactory = Callable[..., LearningTask]
_TASKS: dict[str, TaskFactory] = {}


def register_task(name: str) -> Callable[[TaskFactory], TaskFactory]:
    """Decorator: register ``factory(param_value, role, seed, **options) -> LearningTask``."""

    def deco(factory: TaskFactory) -> TaskFactory:
        _TASKS[name] = factory
        return factory

    return deco


def all_tasks() -> dict[str, TaskFactory]:
    _import_family_modules()
    return dict(sorted(_TASKS.items()))


def get_task(name: str) -> TaskFactory:
    tasks = all_tasks()
    if name not in tasks:
        raise InvalidParameterError(f"unknown task {name!r}; allowed: {', '.join(tasks)}.")
    return tasks[name]
