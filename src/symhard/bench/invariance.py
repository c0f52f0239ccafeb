r"""The invariance check of ``symhard bench``: how far a model is from invariant under the task's group.

Before training, each model is evaluated on random task inputs ``x_i`` and on ``g_i·x_i`` for one
uniformly random element ``g_i`` of the task's group per input
(:meth:`~symhard.groups.PermutationGroup.random_elements`):

.. math:: v = \max_i |f(g_i·x_i) − f(x_i)|, \qquad \text{relative violation} = v / \mathrm{RMS}_i f(x_i).

Node permutations act on adjacency matrices and node features together (``A ↦ PAPᵀ``,
``X ↦ PX``), point permutations on axis 1 of every input (rows of ``X[B, n, d]``, coordinates of
``x[B, n]``). A model is labelled invariant when the relative violation is at most ``tol``
(default ``1e-4``: float32 round-off of sums reordered by the permutation is about ``1e-7``).
Models run in evaluation mode for the check (BatchNorm uses its running statistics, dropout is
off), as PyTorch users evaluate a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..errors import InvalidParameterError
from ..groups import PermutationGroup, act_on_graphs, act_on_rows, act_on_vectors

__all__ = ["TASK_ACTIONS", "InvarianceReport", "task_symmetry", "invariance_check", "act"]

#: How the group of each built-in task acts when the task does not say so itself: ``"nodes"``
#: (graph tasks: a node permutation acts on every adjacency ``[B, n, n]`` by ``A ↦ PAPᵀ`` and on
#: every node-feature tensor ``[B, n, d]`` by ``X ↦ PX``) or ``"points"`` (axis 1 of every input).
#: A task's own ``group`` and ``input_actions`` attributes take precedence.
TASK_ACTIONS: dict[str, str] = {
    "gnn-features": "nodes",        # (X, A)
    "gnn-degree-parity": "nodes",   # graphs (with constant node features)
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
    for point tasks (for a task built on a larger group containing ``Z_n`` the check is weaker,
    never wrong).
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


def act(perms: torch.Tensor, inputs: tuple[torch.Tensor, ...], actions: tuple[str, ...]) -> tuple[torch.Tensor, ...]:
    """``g_i·x_i`` for one permutation per sample: ``perms [B, n]``, inputs ``[B, ...]``."""
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
    (then the maximum runs over members too). A module passed as ``forward`` is evaluated as the
    caller left it; :func:`symhard.bench.run` puts models in evaluation mode first.

    Shapes: each input ``[B, ...]`` (``[B, n, n]`` for ``"graph"``, ``[B, n, ...]`` for ``"rows"``).
    """
    B = int(inputs[0].shape[0])
    perms = torch.as_tensor(group.random_elements(B, seed=seed), dtype=torch.long, device=inputs[0].device)
    moved = act(perms, inputs, actions)
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
