r"""The contract every hard family implements, and the registry that the CLI, specs, bench and docs read.

A *family* (one module per result of the paper in :mod:`symhard.families`) is a set of target
functions that a symmetric architecture expresses. Its class declares, once:

* ``params``: the certificate's parameters (:class:`~symhard.parameters.Param`), from which
  ``symhard check FAMILY`` builds its flags and ``symhard families --json`` its description;
* ``symmetry`` and ``bound``: the group and how it acts, and which bound of
  :mod:`symhard.queries.bounds` the certificate computes;
* ``task``: the experiment task (:class:`TaskSpec`: the hardness parameter, the options and a
  factory), validated against its declaration by the spec loader and ``symhard bench``;

and implements

* ``_certify(**params) -> Certificate``: the machine-checked evidence (``certificate()`` validates
  the parameters first);
* ``report_section(quick) -> Section``: text, certificates, tables and figure *data*
  (:mod:`symhard.sections`; only the report layer draws);
* ``contract_case(seed) -> ContractCase``: a small instance on which the registry-wide contract
  tests check that the network built from the weights equals the target, that the target is
  invariant under the group, that the Gram matrix is a correlation matrix and that the bound is
  the documented formula.

Adding a family is one module and one line of :data:`symhard.families.REGISTRY`.
"""

from __future__ import annotations

import abc
import importlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol, Sequence

from .._json import jsonable
from ..errors import InvalidParameterError
from ..parameters import Param, resolve_params
from ..queries.bounds import LowerBound
from ..sections import Section

if TYPE_CHECKING:
    from ..resources import Estimate
    from ..groups import PermutationGroup
    from ..queries.gram import GramSummary

__all__ = [
    "ROLES", "check_role", "Certificate", "LowerBound", "Section", "ReportSection", "TaskSpec", "LearningTask",
    "ContractCase", "Family", "register_family", "unregister_family", "all_families", "family_names", "get_family", "register_task",
    "unregister_task", "all_tasks", "get_task",
]

_jsonable = jsonable  # the name older modules import

#: The two roles of a learning task: a member of the hard class, or a control the same learner learns.
ROLES = ("hard", "control")

#: How a permutation acts on one input of a task (axis 0 is the batch): ``"rows"`` permutes axis 1
#: (coordinates of ``x[B, n]``, rows of ``X[B, n, d]``), ``"graph"`` permutes axes 1 and 2 together
#: (adjacency ``A[B, n, n]``).
INPUT_ACTIONS = ("rows", "graph")


def check_role(role: Any) -> str:
    """``role`` if it is ``"hard"`` or ``"control"``, else :class:`InvalidParameterError`."""
    if role not in ROLES:
        raise InvalidParameterError(f"role must be one of {', '.join(ROLES)}; got {role!r}.")
    return role


# ------------------------------------------------------------------------------ certificates
CERTIFICATE_METHODS = ("exact", "mc", "mixed")


@dataclass
class Certificate:
    """Machine-checked evidence for one family at given sizes (the common JSON format).

    Common keys, with the same meaning in every family:

    ``members``
        the number of class members the certificate (and its bound) covers: the class size m;
        ``extra["members_checked"]`` says how many were checked numerically when fewer;
    ``realization_error``
        max |network built from the weights − target| over the inputs tried (``None`` when not
        evaluated, with the reason in ``extra``);
    ``max_offdiag_corr`` ± ``max_offdiag_corr_stderr``
        the largest normalized correlation between two distinct members (γ);
    ``min_norm``
        the smallest norm among the members as the certified weights compute them, in units where
        the un-symmetrized building block has norm 1 (the parity χ_S, the monomial x_T, the sign
        network f_S, F_k per node or column): how much of the norm survives the averaging over the
        group. 1 for orbit sums normalized by construction; a degenerate member shows as 0;
    ``method``
        ``"exact"``, ``"mc"`` (Monte Carlo with standard errors) or ``"mixed"`` (then
        ``extra["methods"]`` says which quantity used which);
    ``lower_bound``
        the bound the theorem gives for the whole class at tolerance τ.

    ``extra`` holds the family's own keys; they are written beside the common ones.
    """

    family: str
    params: dict[str, Any]
    method: str
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
        if self.method not in CERTIFICATE_METHODS:
            raise InvalidParameterError(
                f"certificate method must be one of {', '.join(CERTIFICATE_METHODS)}, got {self.method!r}.")
        clash = set(self.extra) & set(self.COMMON_KEYS)
        if clash:
            raise InvalidParameterError(f"extra keys {sorted(clash)} clash with the common certificate keys.")

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.COMMON_KEYS}
        d["lower_bound"] = asdict(self.lower_bound)
        d.update(self.extra)
        return jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Certificate":
        """Inverse of :meth:`to_dict` (``Certificate.from_dict(c.to_dict()).to_dict() == c.to_dict()``)."""
        missing = [k for k in cls.COMMON_KEYS if k not in d]
        if missing:
            raise InvalidParameterError(f"a certificate needs the keys {', '.join(missing)}.")

        def number(v: Any) -> Any:
            return float(v) if v in ("inf", "-inf") else (float("nan") if v is None else v)

        lb = dict(d["lower_bound"])
        lb["queries"] = number(lb["queries"])
        bound = LowerBound(**lb)
        if lb.get("log10_queries") is None:
            bound.log10_queries = None
        extra = {k: v for k, v in d.items() if k not in cls.COMMON_KEYS}
        return cls(family=d["family"], params=dict(d["params"]), method=d["method"], members=d["members"],
                   realization_error=d["realization_error"], max_offdiag_corr=number(d["max_offdiag_corr"]),
                   max_offdiag_corr_stderr=number(d["max_offdiag_corr_stderr"]), min_norm=number(d["min_norm"]),
                   lower_bound=bound, extra=extra)

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
        if lb.get("condition"):
            rows.append(("lower_bound.condition", lb["condition"]))
        return rows


#: Older name of :class:`~symhard.sections.Section`.
ReportSection = Section


# ------------------------------------------------------------------------------ learning tasks
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
    group : PermutationGroup      the symmetry group of the task (optional for plugin tasks)
    input_actions : tuple of str  how the group acts on each input, ``"rows"`` or ``"graph"``

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


@dataclass(frozen=True)
class TaskSpec:
    """The declaration of a learning task: its name, hardness parameter, options and factory.

    ``param`` validates the swept value (``None``: any positive integer, for plugin tasks);
    ``options`` validates the keyword options (``None``: passed through unchecked, for plugin
    tasks that declare nothing). Calling the spec, ``spec(value, role, seed, **options)``,
    validates everything and then calls ``factory``.
    """

    name: str
    factory: TaskFactory
    param: Param | None = None
    options: tuple[Param, ...] | None = None
    summary: str = ""

    def validate_options(self, options: dict[str, Any], where: str = "", defaults: bool = True) -> dict[str, Any]:
        """The options checked against the declaration, with the declared defaults filled in."""
        if self.options is None:
            return dict(options)
        return resolve_params(self.options, options, where=where or f"task {self.name}: option ", defaults=defaults)

    def validate_value(self, value: Any, where: str = "") -> int:
        if self.param is None:
            return Param("value", "int", low=1).validate(value, where or f"task {self.name}: ")
        return self.param.validate(value, where or f"task {self.name}: ")

    def __call__(self, value: Any, role: str, seed: int, **options: Any) -> LearningTask:
        value = self.validate_value(value)
        check_role(role)
        opts = self.validate_options(options)
        return self.factory(value, role, seed, **opts)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary,
                "param": None if self.param is None else self.param.to_dict(),
                "options": None if self.options is None else [p.to_dict() for p in self.options]}


# ------------------------------------------------------------------------------ contract cases
@dataclass
class ContractCase:
    """A small instance of a family, for the registry-wide contract tests (``tests/test_family_contract.py``).

    Attributes
    ----------
    members : list of str        readable ids of the m members checked
    group : PermutationGroup     the symmetry group
    input_actions : tuple of str how the group acts on each input (:data:`INPUT_ACTIONS`)
    inputs : tuple of arrays     ``B`` samples, leading axis ``B`` (numpy, float64)
    target : callable            the members' formula: ``target(inputs) -> [m, B]`` (numpy), written
                                 independently of the network code
    network : callable           the family's architecture with the members' weights:
                                 ``network(inputs) -> [m, B]``
    gram : GramSummary           normalized Gram matrix of the members (:mod:`symhard.queries.gram`)
    certificate : Certificate    the certificate at the same sizes
    atol : float                 allowed |network − target| (float64 round-off of the architecture)
    """

    members: list[str]
    group: "PermutationGroup"
    input_actions: tuple[str, ...]
    inputs: tuple[Any, ...]
    target: Callable[[tuple[Any, ...]], Any]
    network: Callable[[tuple[Any, ...]], Any]
    gram: "GramSummary"
    certificate: Certificate
    atol: float = 1e-9


# ------------------------------------------------------------------------------ families
class Family(abc.ABC):
    """Base class of the hard families (subclass, then add one line to :data:`symhard.families.REGISTRY`).

    Class attributes
    ----------------
    name : str        the registry and CLI name, e.g. ``"boolean-parity"``
    summary : str     one line: the class of functions
    theorem : str     one line: the theorem and its bound as a formula
    symmetry : str    one line: the group and how it acts
    bound : str       which bound the certificate computes (a ``kind`` of :mod:`symhard.queries.bounds`)
    params : tuple of Param   the certificate's parameters
    task : TaskSpec or None   the experiment task
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    theorem: ClassVar[str] = ""
    symmetry: ClassVar[str] = ""
    bound: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    task: ClassVar[TaskSpec | None] = None

    def certificate(self, **params: Any) -> Certificate:
        """The certificate at ``params`` (validated against :attr:`params` first; defaults filled in).

        Its memory and time are estimated first (:meth:`estimate`) and refused beyond the limits in
        force (:func:`symhard.resources.require`, one line naming ``--max-memory`` / ``--max-time``).
        """
        from ..resources import require

        values = resolve_params(self.params, params, where=f"{self.name}: ")
        est = self.estimate(**values)
        if est is not None:
            require(est)
        return self._certify(**values)

    def estimate(self, **params: Any) -> "Estimate | None":
        """Closed-form memory and time of :meth:`_certify` at validated parameters (``None``: bounded by
        the parameter ranges alone). Families whose arrays grow with a parameter override it."""
        return None

    @abc.abstractmethod
    def _certify(self, **params: Any) -> Certificate:
        """The certificate at validated parameters (every declared parameter is given)."""

    @abc.abstractmethod
    def report_section(self, *args: Any, **kwargs: Any) -> Section:
        """Text, certificates, tables and figure data for the report."""

    @abc.abstractmethod
    def contract_case(self, seed: int = 0) -> ContractCase:
        """A small instance for the registry-wide contract tests (``tests/test_family_contract.py``)."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """JSON-ready declaration (``symhard families --json``)."""
        return {"name": cls.name, "summary": cls.summary, "theorem": cls.theorem, "symmetry": cls.symmetry,
                "bound": cls.bound, "params": [p.to_dict() for p in cls.params],
                "task": None if cls.task is None else cls.task.describe()}


_EXTRA_FAMILIES: dict[str, type[Family]] = {}
_LOADED: dict[str, type[Family]] = {}
_EXTRA_TASKS: dict[str, TaskSpec] = {}


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator for families outside :mod:`symhard.families` (built-ins are in its ``REGISTRY``)."""
    from . import REGISTRY

    if not cls.name:
        raise InvalidParameterError(f"family class {cls.__name__} needs a non-empty name.")
    if cls.name not in REGISTRY:
        _EXTRA_FAMILIES[cls.name] = cls
    return cls


def unregister_family(name: str) -> None:
    """Remove a family registered with :func:`register_family` (tests, interactive sessions)."""
    _EXTRA_FAMILIES.pop(name, None)


def family_names() -> list[str]:
    """Names of every family, built-in and registered, sorted (imports nothing)."""
    from . import REGISTRY

    return sorted(set(REGISTRY) | set(_EXTRA_FAMILIES))


def get_family(name: str) -> type[Family]:
    """The family class ``name`` (imports its module only)."""
    from . import REGISTRY

    if name in _EXTRA_FAMILIES:
        return _EXTRA_FAMILIES[name]
    if name not in REGISTRY:
        raise InvalidParameterError(f"unknown family {name!r}; allowed: {', '.join(family_names())}.")
    if name not in _LOADED:
        module, _, attr = REGISTRY[name].partition(":")
        _LOADED[name] = getattr(importlib.import_module(module), attr)
    return _LOADED[name]


def all_families() -> dict[str, type[Family]]:
    """Every family by name (imports every family module)."""
    return {name: get_family(name) for name in family_names()}


def register_task(name: str, *, param: Param | None = None, options: Sequence[Param] | None = None,
                  summary: str = "") -> Callable[[TaskFactory], TaskFactory]:
    """Decorator for task factories outside the built-in families (plugins, tests).

    ``factory(param_value, role, seed, **options) -> LearningTask``; ``param`` and ``options``
    declare what is validated (nothing when omitted).
    """

    def deco(factory: TaskFactory) -> TaskFactory:
        _EXTRA_TASKS[name] = TaskSpec(name=name, factory=factory, param=param,
                                      options=None if options is None else tuple(options), summary=summary)
        return factory

    return deco


def unregister_task(name: str) -> None:
    """Remove a task registered with :func:`register_task` (tests, interactive sessions)."""
    _EXTRA_TASKS.pop(name, None)


def all_tasks() -> dict[str, TaskSpec]:
    """Every learning task by name: the built-in families' tasks and the registered ones."""
    tasks = {}
    for fam in all_families().values():
        if fam.task is not None:
            tasks.setdefault(fam.task.name, fam.task)
    tasks.update(_EXTRA_TASKS)
    return dict(sorted(tasks.items()))


def get_task(name: str) -> TaskSpec:
    """The :class:`TaskSpec` ``name`` (callable like a factory)."""
    if name in _EXTRA_TASKS:
        return _EXTRA_TASKS[name]
    tasks = all_tasks()
    if name not in tasks:
        raise InvalidParameterError(f"unknown task {name!r}; allowed: {', '.join(tasks)}.")
    return tasks[name]
