r"""What a frontier measures for each family: the hardness parameters k, the budgets per axis, the size bracket.

A frontier is a set of *lines*: (learner, loss, k, budget). On a line every other budget is held
at its base value (:class:`Plan`), and the bisection looks for the largest size learned. Budgets
of the quick runs span 1.5 decades (a factor √1000 ≈ 31.6) with four points; the full runs span
two or more decades and are sized for a GPU.

==================== ========= ===================== ====================================================
task                 size      k (option)            lines
==================== ========= ===================== ====================================================
``boolean``          n bits    parity degree ``k``   gradient descent (Z_n-averaged ReLU net)
``gnn-features``     d         frequency ``k``       gradient descent (one-hidden-layer GNN)
``gnn-degree-parity`` n nodes  ``max_subset``        gradient descent (dense GNN)
``polynomials``      n         degree ``k``          gradient descent with the square and the ℓ1 loss,
                                                     and the SQ learner on the samples axis
==================== ========= ===================== ====================================================

Axes: ``steps`` and ``width`` train on fresh samples every step (online: every gradient is
answered by new samples, the cleanest CSQ correspondence); ``batch`` too; ``samples`` trains on a
finite training set of the budgeted size (a validation share of it is held out for choosing the
learning rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InvalidParameterError
from .predict import AXES

__all__ = ["Plan", "Line", "FAMILY_TASKS", "plan_for"]

#: Family or task name -> the task a frontier trains.
FAMILY_TASKS = {
    "boolean": "boolean", "boolean-parity": "boolean", "boolean-random": "boolean",
    "gnn-features": "gnn-features", "gnn-degree-parity": "gnn-degree-parity", "polynomials": "polynomials",
}


@dataclass(frozen=True)
class Line:
    """One bisection: a learner (``gd`` or ``sq-polynomial``), its loss, k and a budget on the axis."""

    learner: str
    loss: str
    k: int
    budget: int

    @property
    def label(self) -> str:
        who = self.learner if self.learner != "gd" else f"gd-{self.loss}"
        return f"k={self.k} {who} budget={self.budget}"


@dataclass(frozen=True)
class Plan:
    """The base budgets and the lines of one frontier (one family, one axis, quick or full)."""

    task: str
    axis: str
    k_option: str
    ks: tuple[int, ...]
    budgets: tuple[int, ...]
    lo: int | dict[int, int]
    hi: int | dict[int, int]
    steps: int
    batch_size: int
    train_size: int
    width_multiple: float
    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    test_size: int
    losses: tuple[str, ...] = ("square",)
    sq_learner: bool = False
    rel_tol: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    error_threshold: float = 0.1

    def bracket(self, k: int) -> tuple[int, int]:
        """The size bracket of ``k``, within the sizes the task accepts (its parameter's ``low``..``high``)."""
        from ..families.base import get_task

        lo = self.lo[k] if isinstance(self.lo, dict) else self.lo
        hi = self.hi[k] if isinstance(self.hi, dict) else self.hi
        param = get_task(self.task).param
        if param is not None and param.low is not None:
            lo = max(lo, int(param.low))
        if param is not None and param.high is not None:
            hi = min(hi, int(param.high))
        return lo, hi

    def lines(self) -> list[Line]:
        out = [Line("gd", loss, k, b) for loss in self.losses for k in self.ks for b in self.budgets]
        if self.sq_learner and self.axis == "samples":
            out += [Line("sq-polynomial", "none", k, b) for k in self.ks for b in self.budgets]
        return out

    def series_overrides(self, line: Line) -> dict[str, Any]:
        """The spec keys of a line's series: its budget on the axis, and its learner and loss."""
        over: dict[str, Any] = {"learner": line.learner}
        if line.learner == "gd":
            over["loss"] = line.loss
        if self.axis == "steps":
            over["steps"] = line.budget
        elif self.axis == "batch":
            over["batch_size"] = line.budget
        elif self.axis == "samples":
            over["train_size"] = line.budget
        else:
            over["width"] = line.budget
        return over


# name -> (quick plan, full plan) for the steps axis; the other axes are derived in plan_for
def _base(task: str) -> tuple[Plan, Plan]:
    if task == "boolean":
        # measured (2 cores, shared): k = 4 learns n = 12 at 190 steps, n = 24 at 600, n = 48 at 1900
        quick = Plan(task, "steps", "k", (4, 6), (60, 190, 600, 1900), lo={4: 5, 6: 7}, hi={4: 64, 6: 48}, steps=600,
                     batch_size=64, train_size=0, width_multiple=4.0, lrs=(3e-3, 1e-2, 3e-2), seeds=(0, 1, 2, 3),
                     test_size=500, options={"group": "cyclic"}, rel_tol=0.1)
        full = replace(quick, ks=(4, 6, 8), budgets=(100, 300, 1000, 3000, 10000), lo={4: 5, 6: 7, 8: 9}, hi=128,
                       steps=2000, batch_size=256, width_multiple=16.0, test_size=4000, rel_tol=0.0)
    elif task == "gnn-features":
        # measured: k = 4 learns d = 16 at 600 steps (2/4 seeds), d = 32 at 1900; k = 6 fails d = 16 at 1900
        quick = Plan(task, "steps", "k", (4, 6), (120, 380, 1200, 3800), lo=3, hi={4: 96, 6: 40}, steps=1200,
                     batch_size=128, train_size=0, width_multiple=8.0, lrs=(3e-3, 1e-2, 3e-2), seeds=(0, 1, 2, 3),
                     test_size=500, options={"n": 4}, rel_tol=0.15)
        full = replace(quick, ks=(4, 6, 8), budgets=(250, 1000, 4000, 16000), hi=512, steps=4000, batch_size=512,
                       width_multiple=16.0, lrs=(1e-3, 3e-3), test_size=4000)
    elif task == "gnn-degree-parity":
        # measured: at n = 48 one point of the quick plan took more than 10 minutes on 2 CPU cores
        quick = Plan(task, "steps", "max_subset", (1, 2), (50, 150, 500, 1600), lo=6, hi=20, steps=500,
                     batch_size=128, train_size=0, width_multiple=1.0, lrs=(3e-3, 1e-2, 3e-2), seeds=(0, 1, 2, 3),
                     test_size=1000)
        full = replace(quick, budgets=(100, 300, 1000, 3000, 10000), hi=96, steps=3000, batch_size=256,
                       test_size=4000)
    elif task == "polynomials":
        # quick: one k and sizes up to 32 (the plan with k = 3, 4 up to n = 96 is estimated at hours on 2 CPU cores)
        quick = Plan(task, "steps", "k", (3,), (50, 150, 500, 1600), lo={3: 5, 4: 6}, hi=32, steps=500,
                     batch_size=128, train_size=0, width_multiple=8.0, lrs=(3e-3, 1e-2, 3e-2), seeds=(0, 1, 2, 3),
                     test_size=1000, losses=("square", "l1"), sq_learner=True, rel_tol=0.1)
        full = replace(quick, ks=(3, 4), budgets=(100, 300, 1000, 3000, 10000), hi=256, steps=3000, batch_size=256,
                       width_multiple=16.0, test_size=4000)
    else:
        raise InvalidParameterError(f"no frontier is defined for task {task!r}; allowed: {', '.join(sorted(set(FAMILY_TASKS)))}.")
    return quick, full


#: Budgets of the other axes, quick and full (the steps axis is in each family's base plan).
_AXIS_BUDGETS = {
    "batch": ((16, 48, 160, 512), (16, 64, 256, 1024, 4096)),
    "samples": ((500, 1600, 5000, 16000), (1000, 4000, 16000, 64000, 256000)),
    "width": ((8, 24, 80, 256), (8, 32, 128, 512, 2048)),
}


def plan_for(family: str, axis: str = "steps", quick: bool = True, losses: tuple[str, ...] | None = None) -> Plan:
    """The :class:`Plan` of a frontier (``family`` may be a family or a task name)."""
    if family not in FAMILY_TASKS:
        raise InvalidParameterError(
            f"no frontier is defined for {family!r}; allowed: {', '.join(sorted(FAMILY_TASKS))}.")
    if axis not in AXES:
        raise InvalidParameterError(f"axis must be one of {', '.join(AXES)}; got {axis!r}.")
    quick_plan, full_plan = _base(FAMILY_TASKS[family])
    plan = quick_plan if quick else full_plan
    if axis != "steps":
        plan = replace(plan, axis=axis, budgets=_AXIS_BUDGETS[axis][0 if quick else 1])
    if losses is not None:
        bad = [x for x in losses if x not in ("square", "l1", "huber")]
        if bad or not losses:
            raise InvalidParameterError(f"loss must be one of square, l1, huber; got {', '.join(bad) or 'none'}.")
        plan = replace(plan, losses=tuple(dict.fromkeys(losses)))
    return plan
