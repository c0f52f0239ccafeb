r"""Benchmark your own model or learner against the hard families: a locked harness.

``symhard.bench.run`` trains a user's model (or runs a user's learner) on the learning task of
a hard family, swept over the family's hardness parameter, under exactly the conditions of the
built-in gradient-descent baseline, and reports both beside the family's query lower bound.

The harness is *locked*: for every swept value ``v`` and every seed ``s``

* the target is the member of the family that ``factory(v, role, s)`` draws (``role = "hard"``
  by default), normalized by the task to unit second moment;
* the training set is ``N = budget_samples`` inputs drawn once from the task's distribution,
  shared by every learner and every seed (so only the target differs between seeds), and the
  test set is ``n_test`` *fresh* inputs from an independent stream, never shown to a learner;
* every network (the user's and the baseline) is trained by :func:`symhard.learners.gd.train_ensemble`
  with the same optimizer, ``budget_steps`` steps, ``batch_size`` and learning-rate grid ``lrs``;
  a learner gets the same ``N`` samples and the same step budget;
* the score is the normalized test error

  .. math:: \mathrm{err} = \frac{\frac1{n}\sum_i (\hat f(x_i) - y_i)^2}{\frac1{n}\sum_i y_i^2},

  so the zero predictor scores 1 and a perfect one 0.

Per seed, the learning rate reported in the summary is the one with the smallest *training*
loss (never chosen on the test set). Every (value, seed, lr) run is also kept as its own record.

User models
-----------
``make_model(info: ModelInfo) -> torch.nn.Module`` returns one plain module mapping the task's
inputs, batched ``[B, ...]`` (the same tuple as ``LearningTask.sample_inputs``), to ``[B]`` (or
``[B, 1]``). It is called once per (seed, lr) member inside :func:`torch.random.fork_rng` seeded
with a per-member seed, so PyTorch's default initializations are reproducible and the caller's
global random state is untouched. The ``M = seeds × lrs`` copies are trained together as one
ensemble: their parameters are stacked (:func:`torch.func.stack_module_state`) into ``[M, ...]``
tensors and evaluated with :func:`torch.func.functional_call` under :func:`torch.func.vmap`; when
``vmap`` fails on the module (data-dependent control flow, in-place buffer updates, unsupported
operators) or disagrees with the plain call, the harness falls back to a Python loop over the
``M`` members (still one optimizer over the stacked parameters). The record says which was used.

Learners
--------
``learn(sample, budget) -> predict`` for learners that are not networks:

* ``sample(m) -> (inputs, y)`` returns the next ``m`` training samples: ``inputs`` a tuple of
  tensors ``[m, ...]`` (as ``sample_inputs``), ``y`` a float tensor ``[m]``. The samples are
  consecutive slices of the same training set the networks see; asking for more than
  ``budget.samples`` in total raises :class:`BudgetExceededError`. ``sample.remaining`` tells
  how many are left.
* ``budget`` is a :class:`Budget`: ``samples`` (N), ``steps`` (the networks' optimizer steps; a
  learner may read it as its number of queries or iterations, it is not enforced), ``seed`` and
  ``info`` (the :class:`ModelInfo`).
* ``predict(*inputs) -> [B]`` (tensor or array) is scored on the fresh test set.

Invariance check
----------------
Before training, each model is evaluated on ``invariance_samples`` random inputs ``x`` and on
``g·x`` for one random element ``g`` of the family's group per input, drawn with
:meth:`PermutationGroup.random_elements`. Node permutations act on adjacency matrices and node
features together (``A ↦ PAPᵀ``, ``X ↦ PX``), row permutations on CNN / frame / polynomial inputs,
coordinate permutations on Boolean inputs (see :func:`task_symmetry`). The record reports the
largest violation ``max_i |f(g_i·x_i) − f(x_i)|``, also relative to the root mean square of
``f(x)``; a model is labelled invariant when the relative violation is at most
``invariance_tol`` (default ``1e-4``, float32 round-off of sums reordered by the permutation).
A non-invariant model is still trained, and labelled ``invariant: false``.

Lower bound
-----------
The figure (data from :func:`symhard.report.bench.bench_figure`, drawn by ``symhard bench --out``;
this module draws nothing) carries the family's lower bound ``LearningTask.lower_bound(tau)`` at the tolerance
``tau = 1/sqrt(batch_size)`` that a mini-batch gradient answers its correlational queries with
(DESIGN.md: T steps of mini-batch GD with p parameters are T·p CSQ queries of tolerance about
1/√b), beside the number of queries the baseline spent, ``budget_steps × params``.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from .errors import InvalidParameterError, SymhardError, check_float, check_int
from .groups import PermutationGroup, act_on_graphs, act_on_rows, act_on_vectors

__all__ = [
    "ModelInfo", "Budget", "BudgetExceededError", "InvarianceReport", "BenchResult", "StackedEnsemble",
    "run", "load_object", "parse_sweep", "task_symmetry", "invariance_check", "TASK_ACTIONS",
]


class BudgetExceededError(SymhardError, RuntimeError):
    """A learner asked ``sample`` for more samples than the harness's budget allows."""


# ------------------------------------------------------------------------------ symmetry of tasks
#: How the group of each built-in task acts: ``"nodes"`` (graph tasks: a node permutation acts on
#: every adjacency matrix ``[B, n, n]`` by ``A ↦ PAPᵀ`` and on every node-feature tensor ``[B, n, d]``
#: by ``X ↦ PX``) or ``"points"`` (a permutation of the ``n`` points acts on axis 1 of every input:
#: rows of ``X[B, n, d]``, coordinates of ``x[B, n]``). A task may instead expose the attributes
#: ``group`` (a PermutationGroup) and ``input_actions`` (``"graph"`` or ``"rows"`` per input),
#: which take precedence.
TASK_ACTIONS: dict[str, str] = {
    "gnn-features": "nodes",        # (X, A)
    "gnn-degree-parity": "nodes",   # graphs (with constant or no node features)
    "cnn": "points",                # X [B, n, d]: rows
    "frames": "points",             # x [B, n] (or [B, n, 1]): coordinates
    "polynomials": "points",        # x [B, n] (or [B, n, 1]): coordinates
    "boolean": "points",            # x ∈ {±1}^n [B, n]: coordinates
}
_ACTION_KINDS = ("graph", "rows")


def _is_adjacency(t: torch.Tensor) -> bool:
    """A ``[B, n, n]`` tensor with 0/1 entries, symmetric: an adjacency batch."""
    if t.dim() != 3 or t.shape[1] != t.shape[2]:
        return False
    return bool(((t == 0) | (t == 1)).all()) and bool((t == t.transpose(1, 2)).all())


def task_symmetry(task: Any, inputs: tuple[torch.Tensor, ...]) -> tuple[PermutationGroup, tuple[str, ...]]:
    """The group of ``task`` and how it acts on each of its inputs (``"graph"`` or ``"rows"``).

    Uses the task's own ``group`` / ``input_actions`` attributes when present. Otherwise
    :data:`TASK_ACTIONS` says whether the task is a graph task (then every 0/1 symmetric
    ``[B, n, n]`` input is an adjacency batch, permuted on rows and columns, and the other
    inputs are node features, permuted on rows; a constant all-ones feature matrix is fixed by
    both actions, so the guess is harmless) or a point task (axis 1 of every input). The group
    then defaults to ``S_n`` on the nodes for graph tasks and to the cyclic shift group ``Z_n``
    for point tasks (the default group of those tasks; for a task built on a larger group
    containing ``Z_n`` the check is weaker, never wrong).
    """
    family = getattr(task, "family", "")
    actions = getattr(task, "input_actions", None)
    if actions is None:
        kind = TASK_ACTIONS.get(family)
        if kind is None:
            raise InvalidParameterError(
                f"task {family!r} states no group action; give it the attributes 'group' and "
                f"'input_actions' (one of {_ACTION_KINDS} per input) or add it to symhard.bench.TASK_ACTIONS."
            )
        actions = tuple("graph" if kind == "nodes" and _is_adjacency(t) else "rows" for t in inputs)
    actions = tuple(actions)
    if len(actions) != len(inputs) or any(a not in _ACTION_KINDS for a in actions):
        raise InvalidParameterError(
            f"input_actions {actions} must give one of {_ACTION_KINDS} for each of the {len(inputs)} inputs."
        )
    n = int(inputs[0].shape[1])
    group = getattr(task, "group", None)
    if group is None:
        group = PermutationGroup.symmetric(n) if "graph" in actions else PermutationGroup.cyclic(n)
    if not isinstance(group, PermutationGroup) or group.degree != n:
        raise InvalidParameterError(f"the task's group must be a PermutationGroup on {n} points, got {group!r}.")
    return group, actions


def _act(perms: torch.Tensor, inputs: tuple[torch.Tensor, ...], actions: tuple[str, ...]) -> tuple[torch.Tensor, ...]:
    out = []
    for t, kind in zip(inputs, actions):
        if kind == "graph":
            out.append(act_on_graphs(perms, t).contiguous())
        elif t.dim() == 2:
            out.append(act_on_vectors(perms, t))
        else:  # [B, n, ...]: permute axis 1
            flat = t.reshape(t.shape[0], t.shape[1], -1)
            out.append(act_on_rows(perms, flat).reshape(t.shape))
    return tuple(out)


@dataclass
class InvarianceReport:
    """Result of :func:`invariance_check`: ``max|f(g·x) − f(x)|`` absolute and relative to RMS f(x)."""

    group: str
    samples: int
    max_abs_violation: float
    rms_output: float
    max_rel_violation: float
    tol: float
    invariant: bool


def invariance_check(
    forward: Callable[..., torch.Tensor],
    inputs: tuple[torch.Tensor, ...],
    group: PermutationGroup,
    actions: tuple[str, ...],
    *,
    seed: int = 0,
    tol: float = 1e-4,
) -> InvarianceReport:
    r"""Measure how far ``forward`` is from ``G``-invariant on the given inputs.

    ``v = max_i |f(g_i·x_i) − f(x_i)|`` with one uniformly random ``g_i ∈ G`` per input;
    relative violation ``v / RMS_i f(x_i)``. ``forward(*inputs)`` returns ``[B]`` or ``[M, B]``
    (then the maximum runs over members too).

    Shapes: each input ``[B, ...]`` (``[B, n, n]`` for ``"graph"``, ``[B, n, ...]`` for ``"rows"``).
    """
    B = int(inputs[0].shape[0])
    perms = torch.as_tensor(group.random_elements(B, seed=seed), dtype=torch.long, device=inputs[0].device)
    moved = _act(perms, inputs, actions)
    with torch.no_grad():
        f0 = forward(*inputs).detach().double()
        f1 = forward(*moved).detach().double()
    v = float((f1 - f0).abs().max()) if f0.numel() else 0.0
    rms = float(f0.pow(2).mean().sqrt()) if f0.numel() else 0.0
    rel = v / rms if rms > 0 else (0.0 if v == 0 else math.inf)
    if not math.isfinite(v):
        rel = math.inf
    return InvarianceReport(group=group.name, samples=B, max_abs_violation=v, rms_output=rms,
                            max_rel_violation=rel, tol=tol, invariant=bool(rel <= tol))


# ------------------------------------------------------------------------------ user contracts
@dataclass(frozen=True)
class ModelInfo:
    """What a user's ``make_model(info)`` is told about the task.

    Attributes
    ----------
    task : str                      task (family) name, e.g. ``"gnn-features"``
    param_name, param_value         the swept hardness parameter, e.g. ``("d", 16)``
    input_shapes : tuple of tuples  per-sample shape of each input (no batch axis), e.g.
                                    ``((4, 4), (4, 16))`` for ``(A, X)`` of the GNN task
    input_dtypes : tuple of str     dtype name of each input, e.g. ``("float32", "float32")``
    input_actions : tuple of str    how the group acts on each input (``"graph"`` or ``"rows"``)
    group : PermutationGroup        the symmetry group of the task
    hidden_units : int              hidden units of the target network
    seed : int                      seed of this member (the family member and the init stream)
    lr : float                      learning rate this member will be trained with
    options : dict                  task options (e.g. ``{"k": 4}``)
    """

    task: str
    param_name: str
    param_value: int
    input_shapes: tuple[tuple[int, ...], ...]
    input_dtypes: tuple[str, ...]
    input_actions: tuple[str, ...]
    group: PermutationGroup
    hidden_units: int
    seed: int = 0
    lr: float = 1e-3
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    """What a learner may use: ``samples`` training samples (enforced by ``sample``) and
    ``steps`` iterations/queries (the networks' optimizer steps; advisory)."""

    samples: int
    steps: int
    batch_size: int
    seed: int
    info: ModelInfo


class _Sampler:
    """``sample(m) -> (inputs, y)``: consecutive slices of the training set, at most ``budget`` in total."""

    def __init__(self, inputs: tuple[torch.Tensor, ...], y: torch.Tensor) -> None:
        self._inputs, self._y = inputs, y
        self.used = 0
        self.budget = int(y.shape[0])

    @property
    def remaining(self) -> int:
        return self.budget - self.used

    def __call__(self, m: int) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        if m > self.remaining:
            raise BudgetExceededError(
                f"the learner asked for {m} samples but only {self.remaining} of the budget of "
                f"{self.budget} are left; raise budget_samples or ask for fewer."
            )
        sl = slice(self.used, self.used + m)
        self.used += m
        return tuple(t[sl] for t in self._inputs), self._y[sl]


# ------------------------------------------------------------------------------ loading
def load_object(spec: str, what: str = "model") -> Callable[..., Any]:
    """Load ``"package.module:attr"`` or ``"path/to/file.py:attr"`` and return the attribute.

    Raises :class:`InvalidParameterError` naming the problem (bad syntax, module not importable,
    attribute missing or not callable).
    """
    if not isinstance(spec, str) or spec.count(":") < 1:
        raise InvalidParameterError(f"{what} spec must look like 'package.module:function' or 'file.py:function', got {spec!r}.")
    left, _, attr = spec.rpartition(":")
    if not left or not attr.isidentifier():
        raise InvalidParameterError(f"{what} spec must look like 'package.module:function' or 'file.py:function', got {spec!r}.")
    if left.endswith(".py") or "/" in left or "\\" in left:
        path = Path(left).expanduser()
        if not path.is_file():
            raise InvalidParameterError(f"{what} file {str(path)!r} does not exist.")
        name = f"_symhard_user_{abs(hash(str(path.resolve())))}"
        spec_obj = importlib.util.spec_from_file_location(name, path)
        if spec_obj is None or spec_obj.loader is None:
            raise InvalidParameterError(f"cannot import {what} file {str(path)!r} (is it a .py file?).")
        module = importlib.util.module_from_spec(spec_obj)
        sys.modules[name] = module
        try:
            spec_obj.loader.exec_module(module)
        except Exception as err:  # the user's file failed at import: report it in one line
            sys.modules.pop(name, None)
            raise InvalidParameterError(f"importing {what} file {str(path)!r} failed: {type(err).__name__}: {err}") from err
    else:
        try:
            module = importlib.import_module(left)
        except Exception as err:
            raise InvalidParameterError(f"cannot import {what} module {left!r}: {type(err).__name__}: {err}") from err
    if not hasattr(module, attr):
        raise InvalidParameterError(f"{what} module {left!r} has no attribute {attr!r}.")
    obj = getattr(module, attr)
    if not callable(obj):
        raise InvalidParameterError(f"{what} {spec!r} is not callable.")
    return obj


def parse_sweep(text: str) -> dict[str, list[int]]:
    """``"d=8,16,32"`` -> ``{"d": [8, 16, 32]}`` (positive integers, at least one)."""
    if not isinstance(text, str) or text.count("=") != 1:
        raise InvalidParameterError(f"sweep must look like 'name=v1,v2,...' (e.g. 'd=8,16,32'), got {text!r}.")
    name, _, values = text.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise InvalidParameterError(f"sweep parameter name {name!r} is not a valid name (e.g. 'd' or 'n').")
    out = []
    for tok in values.split(","):
        tok = tok.strip()
        try:
            v = int(tok)
        except ValueError:
            raise InvalidParameterError(f"sweep value {tok!r} of {name!r} is not an integer; give e.g. '{name}=8,16,32'.") from None
        if v < 1:
            raise InvalidParameterError(f"sweep value {v} of {name!r} must be a positive integer.")
        out.append(v)
    return {name: out}


# ------------------------------------------------------------------------------ ensembles of user modules
def _as_vector(out: Any, B: int) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise InvalidParameterError(f"the user model must return a tensor [B] or [B, 1], got {type(out).__name__}.")
    if out.dim() == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.dim() != 1 or out.shape[0] != B:
        raise InvalidParameterError(f"the user model must return shape [B] or [B, 1] with B = {B}, got {tuple(out.shape)}.")
    return out


class StackedEnsemble(nn.Module):
    r"""``M`` copies of one plain module trained as one ensemble: ``f_m(x) = module(x; θ_m)``.

    Parameters are stacked by :func:`torch.func.stack_module_state` into ``[M, ...]`` tensors
    (the contract of :func:`symhard.learners.gd.train_ensemble`); ``forward`` evaluates all
    members with ``vmap(functional_call)`` (``mode="vmap"``) or a loop over members
    (``mode="loop"``). ``mode="auto"`` tries ``vmap`` on ``probe`` inputs (forward and backward,
    compared with the loop to ``1e-4`` relative) and falls back to the loop; ``mode_reason``
    says why.

    Shapes: ``forward(*inputs)`` with inputs ``[B, ...]`` → ``[M, B]``.
    """

    def __init__(self, modules: Sequence[nn.Module], mode: str = "auto",
                 probe: tuple[torch.Tensor, ...] | None = None) -> None:
        super().__init__()
        if not modules:
            raise InvalidParameterError("StackedEnsemble needs at least one module.")
        if mode not in ("auto", "vmap", "loop"):
            raise InvalidParameterError(f"mode must be 'auto', 'vmap' or 'loop', got {mode!r}.")
        for m in modules:
            if not isinstance(m, nn.Module):
                raise InvalidParameterError(f"make_model must return a torch.nn.Module, got {type(m).__name__}.")
        names = [tuple(n for n, _ in m.named_parameters()) for m in modules]
        if any(nm != names[0] for nm in names):
            raise InvalidParameterError("make_model returned modules with different parameter names across members.")
        if not names[0]:
            raise InvalidParameterError("the user model has no parameters to train.")
        params, buffers = torch.func.stack_module_state(list(modules))
        self.M = len(modules)
        self._pnames = list(params)
        self._bnames = list(buffers)
        for i, k in enumerate(self._pnames):
            self.register_parameter(f"p{i}", nn.Parameter(params[k].detach().clone()))
        for i, k in enumerate(self._bnames):
            self.register_buffer(f"b{i}", buffers[k].detach().clone())
        self._base = [copy.deepcopy(modules[0]).to("meta")]  # a list hides it from nn.Module
        self.mode = "loop" if mode == "loop" else "vmap"
        self.mode_reason = "requested" if mode != "auto" else ""
        if mode == "auto":
            self._choose_mode(probe)

    # parameter / buffer dicts with the module's own names
    def _param_dict(self) -> dict[str, torch.Tensor]:
        return {k: getattr(self, f"p{i}") for i, k in enumerate(self._pnames)}

    def _buffer_dict(self) -> dict[str, torch.Tensor]:
        return {k: getattr(self, f"b{i}") for i, k in enumerate(self._bnames)}

    def _forward_loop(self, *xs: torch.Tensor) -> torch.Tensor:
        base = self._base[0]
        P, Bf = self._param_dict(), self._buffer_dict()
        B = xs[0].shape[0]
        outs = [_as_vector(torch.func.functional_call(base, ({k: v[m] for k, v in P.items()}, {k: v[m] for k, v in Bf.items()}), xs), B)
                for m in range(self.M)]
        return torch.stack(outs)

    def _forward_vmap(self, *xs: torch.Tensor) -> torch.Tensor:
        base = self._base[0]
        B = xs[0].shape[0]

        def one(p, b, *x):
            return _as_vector(torch.func.functional_call(base, (p, b), x), B)

        in_dims = (0, 0) + (None,) * len(xs)
        return torch.func.vmap(one, in_dims=in_dims, randomness="different")(self._param_dict(), self._buffer_dict(), *xs)

    def _choose_mode(self, probe: tuple[torch.Tensor, ...] | None) -> None:
        if probe is None:
            self.mode, self.mode_reason = "loop", "no probe inputs to test vmap on"
            return
        try:
            out_v = self._forward_vmap(*probe)
            out_v.double().pow(2).sum().backward()
            grads_ok = all(p.grad is not None and torch.isfinite(p.grad).all() for p in self.parameters())
        except SymhardError:
            raise
        except Exception as err:  # vmap could not trace the module
            self.mode, self.mode_reason = "loop", f"vmap failed: {type(err).__name__}: {str(err).splitlines()[0][:160]}"
            return
        finally:
            for p in self.parameters():
                p.grad = None
        with torch.no_grad():
            out_l = self._forward_loop(*probe)
        scale = float(out_l.abs().max()) + 1e-12
        if not grads_ok or float((out_v.detach() - out_l).abs().max()) > 1e-4 * scale:
            self.mode, self.mode_reason = "loop", "vmap output or gradients differ from the plain call"
            return
        self.mode, self.mode_reason = "vmap", "vmap forward and backward agree with the plain call"

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self._forward_vmap(*xs) if self.mode == "vmap" else self._forward_loop(*xs)


# ------------------------------------------------------------------------------ result
@dataclass
class BenchResult:
    """Output of :func:`run`.

    ``records``: one JSON-able dict per (learner, value, seed, lr) run; ``summary``: one dict per
    (learner, value) with the median and quartiles over seeds of the per-seed error (lr chosen by
    training loss); ``invariance``: the checks, per (learner, value); ``figure``: the PNG path once the report layer has drawn the figure (``symhard bench --out``
    does), else None; :func:`run` itself never draws.
    """

    family: str
    param_name: str
    records: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    config: dict[str, Any]
    figure: Path | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        from .families.base import _jsonable

        return _jsonable({"family": self.family, "param_name": self.param_name, "config": self.config,
                          "summary": self.summary, "records": self.records,
                          "figure": str(self.figure) if self.figure else None, "seconds": self.seconds})

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


# ------------------------------------------------------------------------------ harness
def _gen(seed: int) -> torch.Generator:
    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed) % (2**63))
    return g


def _stream(base: int, *words: int) -> int:
    """An integer seed for one role (spawned from a SeedSequence, never ``seed + i``)."""
    return int(np.random.SeedSequence([int(base), *[int(w) for w in words]]).generate_state(1, dtype=np.uint64)[0] % (2**62))


_ROLE_TRAIN, _ROLE_TEST, _ROLE_INIT, _ROLE_BATCH, _ROLE_INV = 1, 2, 3, 4, 5


def _predict_all(predict: Callable[..., Any], inputs: tuple[torch.Tensor, ...], chunk: int = 4096) -> torch.Tensor:
    outs = []
    B = int(inputs[0].shape[0])
    for s in range(0, B, chunk):
        xs = tuple(t[s:s + chunk] for t in inputs)
        with torch.no_grad():
            out = predict(*xs)
        out = out.detach().cpu() if isinstance(out, torch.Tensor) else torch.as_tensor(np.asarray(out))
        outs.append(_as_vector(out.double(), int(xs[0].shape[0])))
    return torch.cat(outs)


def _choose_by_train(recs: list[dict[str, Any]]) -> dict[str, Any]:
    finite = [r for r in recs if r["final_train_loss"] is not None and math.isfinite(r["final_train_loss"]) and not r["diverged"]]
    pool = finite or recs
    return min(pool, key=lambda r: (r["final_train_loss"] if r["final_train_loss"] is not None and math.isfinite(r["final_train_loss"]) else math.inf))


def run(
    family: str,
    sweep: dict[str, list[int]] | str,
    model: Callable[[ModelInfo], nn.Module] | str | None = None,
    learner: Callable[..., Callable[..., Any]] | str | None = None,
    *,
    budget_samples: int = 2048,
    budget_steps: int = 300,
    seeds: int | Sequence[int] = 3,
    batch_size: int = 128,
    lrs: Sequence[float] = (1e-3,),
    optimizer: str = "adam",
    role: str = "hard",
    task_options: dict[str, Any] | None = None,
    baseline: bool = True,
    baseline_width: int | None = None,
    n_test: int = 2048,
    invariance_samples: int = 64,
    invariance_tol: float = 1e-4,
    ensemble_mode: str = "auto",
    harness_seed: int = 0,
    device: str = "cpu",
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    name: str | None = None,
) -> BenchResult:
    """Benchmark a user model (or learner) on a family's learning task beside the GD baseline.

    Parameters
    ----------
    family : str
        A registered learning task (``symhard.families.base.all_tasks()``), e.g. ``"gnn-features"``.
    sweep : dict ``{param_name: [values]}`` or ``"d=8,16,32"``
        The task's hardness parameter and the values to run.
    model : ``make_model(info) -> nn.Module`` or ``"module:function"`` / ``"file.py:function"``
    learner : ``learn(sample, budget) -> predict`` or a spec string (exclusive with ``model``)
    budget_samples : int   training-set size N, shared by everyone (>= batch_size for networks)
    budget_steps : int     optimizer steps for every network (and ``budget.steps`` for learners)
    seeds : int or list of int
        Number of family members (seeds ``0..seeds-1``) or the explicit member seeds.
    batch_size : int       mini-batch size b of every network
    lrs : sequence of float
        Learning-rate grid, shared by the user model and the baseline; each (seed, lr) is a member.
    optimizer : {"adam", "sgd"}
    role : {"hard", "control"}   which target of the task
    task_options : dict    options passed to the task factory (e.g. ``{"k": 4}``)
    baseline : bool        run the built-in GD baseline (the task's own architecture) beside it
    baseline_width : int   width of the baseline (default ``max(16, 4·hidden_units)``)
    n_test : int           fresh test inputs per swept value
    invariance_samples, invariance_tol : the invariance check (see the module docstring)
    ensemble_mode : {"auto", "vmap", "loop"}   how the user's copies are evaluated
    harness_seed : int     seeds the train/test/init/batch streams
    device : {"cpu", "cuda", "auto"}
    out_dir : path, optional
        Writes ``runs.jsonl`` (one record per run) and ``bench.json`` (everything); no figure (the
        report layer draws it: :func:`symhard.report.bench.bench_figure`).
    progress : callable, optional   called with one line per stage
    name : str, optional   label of the user's model in records and figure (default: the spec
        string, or ``module.qualname`` of the callable)

    Returns
    -------
    BenchResult
    """
    from .families.base import get_task
    from .learners.gd import TrainConfig, resolve_device, train_ensemble

    t_start = time.perf_counter()
    if (model is None) == (learner is None):
        raise InvalidParameterError("give exactly one of model (make_model(info) -> nn.Module) or learner (learn(sample, budget) -> predict).")
    if name is None:
        spec = model if model is not None else learner
        name = spec if isinstance(spec, str) else f"{getattr(spec, '__module__', '')}.{getattr(spec, '__qualname__', 'user')}".lstrip(".")
    if isinstance(model, str):
        model = load_object(model, "model")
    if isinstance(learner, str):
        learner = load_object(learner, "learner")
    if model is not None and not callable(model):
        raise InvalidParameterError(f"model must be callable as make_model(info), got {type(model).__name__}.")
    if learner is not None and not callable(learner):
        raise InvalidParameterError(f"learner must be callable as learn(sample, budget), got {type(learner).__name__}.")
    factory = get_task(family)
    if isinstance(sweep, str):
        sweep = parse_sweep(sweep)
    if not isinstance(sweep, dict) or len(sweep) != 1:
        raise InvalidParameterError(f"sweep must name exactly one parameter, e.g. {{'d': [8, 16]}}; got {sweep!r}.")
    (pname, values), = sweep.items()
    values = [check_int(v, f"sweep value of {pname!r}", min_value=1) for v in values]
    if not values:
        raise InvalidParameterError(f"sweep of {pname!r} has no values.")
    budget_samples = check_int(budget_samples, "budget_samples", min_value=1)
    budget_steps = check_int(budget_steps, "budget_steps", min_value=1)
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    n_test = check_int(n_test, "n_test", min_value=2)
    invariance_samples = check_int(invariance_samples, "invariance_samples", min_value=1)
    invariance_tol = check_float(invariance_tol, "invariance_tol", low=0.0)
    harness_seed = check_int(harness_seed, "harness_seed", min_value=0)
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seed_list = list(range(check_int(seeds, "seeds", min_value=1)))
    else:
        seed_list = [check_int(s, "seed", min_value=0) for s in seeds]
        if not seed_list or len(set(seed_list)) != len(seed_list):
            raise InvalidParameterError(f"seeds must be a positive count or a list of distinct non-negative ints, got {seeds!r}.")
    lrs = [check_float(lr, "lr", low=0.0, low_open=True) for lr in ([lrs] if isinstance(lrs, (int, float)) else list(lrs))]
    if not lrs:
        raise InvalidParameterError("lrs must hold at least one learning rate.")
    if optimizer not in ("adam", "sgd"):
        raise InvalidParameterError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    if role not in ("hard", "control"):
        raise InvalidParameterError(f"role must be 'hard' or 'control', got {role!r}.")
    if ensemble_mode not in ("auto", "vmap", "loop"):
        raise InvalidParameterError(f"ensemble_mode must be 'auto', 'vmap' or 'loop', got {ensemble_mode!r}.")
    if baseline_width is not None:
        baseline_width = check_int(baseline_width, "baseline_width", min_value=1)
    resolve_device(device)
    options = dict(task_options or {})
    say = progress or (lambda _msg: None)
    tau = min(1.0, 1.0 / math.sqrt(batch_size))
    S, L = len(seed_list), len(lrs)
    M = S * L
    member_seed = [s for s in seed_list for _ in lrs]
    member_lr = [lr for _ in seed_list for lr in lrs]
    user_name = str(name)
    user_kind = "model" if model is not None else "learner"

    records: list[dict[str, Any]] = []
    invariance: list[dict[str, Any]] = []
    bounds: dict[int, dict[str, Any]] = {}
    spent: dict[int, float] = {}

    for v in values:
        tasks = [factory(v, role, s, **options) for s in seed_list]
        t0 = tasks[0]
        if getattr(t0, "param_name", pname) != pname:
            raise InvalidParameterError(f"task {family!r} sweeps {t0.param_name!r}, not {pname!r}; use --sweep {t0.param_name}=...")
        train_x = tuple(t0.sample_inputs(budget_samples, _gen(_stream(harness_seed, v, _ROLE_TRAIN))))
        test_x = tuple(t0.sample_inputs(n_test, _gen(_stream(harness_seed, v, _ROLE_TEST))))
        inv_x = tuple(t0.sample_inputs(invariance_samples, _gen(_stream(harness_seed, v, _ROLE_INV))))
        train_y = torch.stack([t.target(*train_x) for t in tasks]).to(torch.float32)  # [S, N]
        test_y = torch.stack([t.target(*test_x) for t in tasks]).to(torch.float32)
        group, actions = task_symmetry(t0, train_x)
        lb = t0.lower_bound(tau)
        bounds[v] = {"queries": lb.queries, "log10_queries": lb.log10_queries, "tau": lb.tau, "formula": lb.formula}
        base_info = ModelInfo(task=family, param_name=pname, param_value=v,
                              input_shapes=tuple(tuple(int(s) for s in t.shape[1:]) for t in train_x),
                              input_dtypes=tuple(str(t.dtype).replace("torch.", "") for t in train_x),
                              input_actions=actions, group=group, hidden_units=int(t0.hidden_units),
                              options=options)
        common = {"family": family, "param_name": pname, "param_value": v, "role": role,
                  "budget_samples": budget_samples, "budget_steps": budget_steps, "batch_size": batch_size,
                  "optimizer": optimizer, "n_test": n_test, "group": group.name, "lower_bound": bounds[v]}
        cfg = TrainConfig(optimizer=optimizer, lr=member_lr, steps=budget_steps, batch_size=batch_size,
                          eval_every=max(1, budget_steps // 10), device=device,
                          seed=_stream(harness_seed, v, _ROLE_BATCH) % (2**31))
        y_train_m = train_y.repeat_interleave(L, dim=0)
        y_test_m = test_y.repeat_interleave(L, dim=0)

        # ---- the user's model or learner
        if model is not None:
            say(f"{pname}={v}: building {M} copies of {user_name}")
            mods = []
            for s, lr in zip(member_seed, member_lr):
                info = replace(base_info, seed=s, lr=lr)
                with torch.random.fork_rng():
                    torch.manual_seed(_stream(harness_seed, v, _ROLE_INIT, s, int(lr * 1e12)))
                    mods.append(model(info))
            probe = tuple(t[: min(4, budget_samples)] for t in train_x)
            ens = StackedEnsemble(mods, mode=ensemble_mode, probe=probe)
            inv = invariance_check(ens, inv_x, group, actions, seed=_stream(harness_seed, v, _ROLE_INV, 1), tol=invariance_tol)
            invariance.append({"learner": "user", "param_value": v, **asdict(inv)})
            say(f"{pname}={v}: invariance max|f(gx)-f(x)| = {inv.max_abs_violation:.3g} (relative {inv.max_rel_violation:.3g}); training ({ens.mode})")
            n_params = sum(p.numel() for p in ens.parameters()) // M
            res = train_ensemble(ens, train_x, y_train_m, test_inputs=test_x, test_y=y_test_m, config=cfg)
            for m in range(M):
                records.append({**common, "learner": "user", "kind": "model", "name": user_name, "seed": member_seed[m],
                                "lr": member_lr[m], "test_error": float(res.test_error[m]),
                                "final_train_loss": float(res.final_train_loss[m]), "diverged": bool(res.diverged[m]),
                                "params": int(n_params), "ensemble_mode": ens.mode, "ensemble_mode_reason": ens.mode_reason,
                                "invariant": inv.invariant, "invariance_violation": inv.max_abs_violation,
                                "invariance_rel_violation": inv.max_rel_violation, "seconds": res.seconds / M})
        else:
            for s, task, yt, ytest in zip(seed_list, tasks, train_y, test_y):
                info = replace(base_info, seed=s, lr=float("nan"))
                sampler = _Sampler(train_x, yt)
                budget = Budget(samples=budget_samples, steps=budget_steps, batch_size=batch_size, seed=s, info=info)
                ts = time.perf_counter()
                with torch.random.fork_rng():
                    torch.manual_seed(_stream(harness_seed, v, _ROLE_INIT, s))
                    predict = learner(sampler, budget)
                if not callable(predict):
                    raise InvalidParameterError(f"the learner must return a callable predict(*inputs) -> [B], got {type(predict).__name__}.")
                inv = invariance_check(lambda *x: _predict_all(predict, x), inv_x, group, actions,
                                       seed=_stream(harness_seed, v, _ROLE_INV, 1), tol=invariance_tol)
                pred = _predict_all(predict, test_x)
                err = float(((pred - ytest.double()) ** 2).mean() / (ytest.double() ** 2).mean())
                invariance.append({"learner": "user", "param_value": v, "seed": s, **asdict(inv)})
                records.append({**common, "learner": "user", "kind": "learner", "name": user_name, "seed": s,
                                "lr": None, "test_error": err, "final_train_loss": None,
                                "diverged": not math.isfinite(err), "samples_used": sampler.used, "params": None,
                                "ensemble_mode": None, "ensemble_mode_reason": None, "invariant": inv.invariant,
                                "invariance_violation": inv.max_abs_violation,
                                "invariance_rel_violation": inv.max_rel_violation, "seconds": time.perf_counter() - ts})

        # ---- the built-in gradient-descent baseline
        if baseline:
            width = baseline_width or max(16, 4 * int(t0.hidden_units))
            say(f"{pname}={v}: baseline {family} architecture, width {width}, {M} members")
            bmodel = t0.make_model(M, width, _gen(_stream(harness_seed, v, _ROLE_INIT, 10**6)))
            inv = invariance_check(bmodel, inv_x, group, actions, seed=_stream(harness_seed, v, _ROLE_INV, 1), tol=invariance_tol)
            invariance.append({"learner": "baseline", "param_value": v, **asdict(inv)})
            n_params = sum(p.numel() for p in bmodel.parameters() if p.requires_grad) // M
            spent[v] = float(n_params) * budget_steps
            res = train_ensemble(bmodel, train_x, y_train_m, test_inputs=test_x, test_y=y_test_m, config=cfg)
            for m in range(M):
                records.append({**common, "learner": "baseline", "kind": "model", "name": f"{family} GD (width {width})",
                                "seed": member_seed[m], "lr": member_lr[m], "test_error": float(res.test_error[m]),
                                "final_train_loss": float(res.final_train_loss[m]), "diverged": bool(res.diverged[m]),
                                "params": int(n_params), "ensemble_mode": "native", "ensemble_mode_reason": "task.make_model",
                                "invariant": inv.invariant, "invariance_violation": inv.max_abs_violation,
                                "invariance_rel_violation": inv.max_rel_violation, "seconds": res.seconds / M})

    summary = _summarize(records, values)
    config = {"family": family, "sweep": {pname: values}, "user": user_name, "user_kind": user_kind,
              "budget_samples": budget_samples, "budget_steps": budget_steps, "seeds": seed_list,
              "batch_size": batch_size, "lrs": lrs, "optimizer": optimizer, "role": role, "task_options": options,
              "baseline": baseline, "n_test": n_test, "tau": tau, "harness_seed": harness_seed, "device": device,
              "invariance": invariance, "baseline_queries_spent": spent,
              "lr_selection": "per seed, the lr with the smallest final training loss"}
    result = BenchResult(family=family, param_name=pname, records=records, summary=summary, config=config,
                         seconds=time.perf_counter() - t_start)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        d = result.to_dict()
        with open(out / "runs.jsonl", "w") as fh:
            for rec in d["records"]:
                fh.write(json.dumps(rec) + "\n")
        (out / "bench.json").write_text(json.dumps(d, indent=2))
    return result


def _summarize(records: list[dict[str, Any]], values: list[int]) -> list[dict[str, Any]]:
    out = []
    for who in ("user", "baseline"):
        for v in values:
            rs = [r for r in records if r["learner"] == who and r["param_value"] == v]
            if not rs:
                continue
            per_seed = []
            for s in sorted({r["seed"] for r in rs}):
                per_seed.append(_choose_by_train([r for r in rs if r["seed"] == s]))
            errs = np.array([r["test_error"] for r in per_seed], dtype=float)
            q = np.nanpercentile(errs, [25, 50, 75]) if np.isfinite(errs).any() else [math.nan] * 3
            out.append({"learner": who, "name": rs[0]["name"], "param_value": v, "seeds": len(per_seed),
                        "median_test_error": float(q[1]), "q25_test_error": float(q[0]), "q75_test_error": float(q[2]),
                        "chosen_lrs": [r["lr"] for r in per_seed], "invariant": bool(rs[0]["invariant"]),
                        "invariance_rel_violation": max(r["invariance_rel_violation"] for r in rs),
                        "lower_bound_log10_queries": rs[0]["lower_bound"]["log10_queries"]})
    return out
