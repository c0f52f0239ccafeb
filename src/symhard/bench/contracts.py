"""What the harness hands to a user's model factory or learner: :class:`ModelInfo`, :class:`Budget`, ``sample``.

``make_model(info: ModelInfo) -> torch.nn.Module`` and ``learn(sample, budget: Budget) -> predict``
are the two contracts of ``symhard bench`` (see :mod:`symhard.bench`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import SymhardError, check_int
from ..groups import PermutationGroup

__all__ = ["ModelInfo", "Budget", "BudgetExceededError", "Sampler"]


class BudgetExceededError(SymhardError, RuntimeError):
    """A learner asked ``sample`` for more samples than the harness's budget allows."""


@dataclass(frozen=True)
class ModelInfo:
    """What a user's ``make_model(info)`` is told about the task.

    Attributes
    ----------
    task : str                      task (family) name, e.g. ``"gnn-features"``
    param_name, param_value         the swept hardness parameter, e.g. ``("d", 16)``
    input_shapes : tuple of tuples  per-sample shape of each input (no batch axis), e.g.
                                    ``((4, 16), (4, 4))`` for ``(X, A)`` of the GNN task
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
    ``steps`` iterations/queries (the networks' optimizer steps; advisory).

    ``samples`` is the training part of the budget, ``N − N_val``: the validation samples are
    held out by the harness for every learner alike.
    """

    samples: int
    steps: int
    batch_size: int
    seed: int
    info: ModelInfo


class Sampler:
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
        return tuple(t[sl].clone() for t in self._inputs), self._y[sl].clone()
