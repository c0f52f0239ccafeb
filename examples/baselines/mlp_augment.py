r"""An MLP on the flattened inputs, trained with data augmentation by the task's group.

Tasks: every built-in task (``gnn-features``, ``gnn-degree-parity``, ``boolean``, ``polynomials``,
``frames``, ``cnn``). The network sees the inputs in their given order,

.. math:: f(x_1, \dots, x_r) = w_3^\top \mathrm{ReLU}(W_2\, \mathrm{ReLU}(W_1 [\mathrm{vec}\, x_1; \dots; \mathrm{vec}\, x_r] + b_1) + b_2) + b_3,

so it is **not** invariant. Invariance is only encouraged, by augmentation: in a training
forward, every sample ``b`` of the batch is replaced by ``g_b·x_b`` for an independent uniform
``g_b ∈ G`` (``info.group``), acting on each input as ``info.input_actions`` says (``"rows"``:
axis 1 by :func:`symhard.groups.act_on_rows` / ``act_on_vectors``; ``"graph"``: ``A ↦ PAPᵀ`` by
:func:`symhard.groups.act_on_graphs`). The same ``g_b`` acts on all inputs of sample b. On the
square loss this trains f towards the G-average of the target's fit, ``E_g f(g·x)``, but the
learned f itself stays non-invariant: the gap is what this baseline measures.

*When it augments.* In a forward that records gradients while the module is in training mode
(``self.training and torch.is_grad_enabled()``). ``symhard bench`` evaluates every model under
``torch.no_grad()`` (the invariance check, the test error, the final training loss) and its
ensemble keeps its own copy of the module, whose ``.train()`` / ``.eval()`` the harness never
calls, so grad mode is what tells a training step from an evaluation there. Outside the
harness, ``model.eval()`` also switches the augmentation off. (The harness's vmap probe compares
an augmented, gradient-recording forward with the plain no-grad call; they differ by design, so
this baseline is trained with the loop over members, ``ensemble_mode: loop``.)

*Evaluation: no averaging.* At evaluation the plain MLP is used, with no average over group
elements. Averaging over all of G would make it the group-averaged network (exactly invariant:
the family's own baseline architecture, not this one), and averaging over a small fixed subset
would be neither invariant nor the plain network; the plain MLP shows what augmentation alone
achieves, and the harness's invariance check reports its violation honestly (large before
training, by construction).

*Group elements.* Uniform on G: for S_n by a uniformly random permutation of ``arange(n)``
(``numpy.random.Generator.permuted``); for groups of order at most ``table_cap`` from the full
element table (``PermutationGroup.elements()``); for larger groups uniform on a pool of
``pool_size`` elements drawn once by ``PermutationGroup.random_elements`` (documented
approximation). The draws come from the module's own ``numpy.random.Generator``, seeded from
torch's random state when the factory is called (the harness seeds it per member), so a run
is reproducible. Under the harness's ensemble only the first member's copy of the module runs
the forward, so all members see the same augmented batch in a step (as they see the same
mini-batch indices).

    symhard bench --model examples/baselines/mlp_augment.py:make_model --family boolean --sweep n=6 --role control
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from symhard.errors import InvalidParameterError, check_int
from symhard.groups import act_on_graphs, act_on_rows, act_on_vectors

#: Every built-in task: the MLP flattens whatever inputs the task has.
TASKS = ("gnn-features", "gnn-degree-parity", "boolean", "polynomials", "frames", "cnn")
ACTIONS = ("rows", "graph")


def act(perms: torch.Tensor, inputs: tuple[torch.Tensor, ...], actions: tuple[str, ...]) -> tuple[torch.Tensor, ...]:
    """``g_b·x_b`` for every sample b and input: ``perms[B, n]``, inputs ``[B, n]``, ``[B, n, d]`` or ``[B, n, n]``."""
    out = []
    for t, kind in zip(inputs, actions):
        if kind == "graph":
            out.append(act_on_graphs(perms, t))
        elif t.dim() == 2:
            out.append(act_on_vectors(perms, t))
        else:
            out.append(act_on_rows(perms, t.reshape(t.shape[0], t.shape[1], -1)).reshape(t.shape))
    return tuple(out)


class GroupSampler:
    """Uniform random elements of a PermutationGroup, ``draw(B) -> int64 [B, n]`` (see the module docstring)."""

    def __init__(self, group, seed: int, *, table_cap: int = 5040, pool_size: int = 4096) -> None:
        self.n = int(group.degree)
        self.rng = np.random.default_rng(seed)
        self.symmetric = group.order == math.factorial(self.n)
        self.table = None
        if not self.symmetric:
            if group.order <= table_cap:
                self.table = group.elements()
            else:
                self.table = group.random_elements(pool_size, seed=self.rng)

    def draw(self, count: int) -> torch.Tensor:
        if self.symmetric:
            perms = self.rng.permuted(np.tile(np.arange(self.n), (count, 1)), axis=1)
        else:
            perms = self.table[self.rng.integers(len(self.table), size=count)]
        return torch.as_tensor(perms, dtype=torch.long)


class AugmentedMLP(nn.Module):
    """A two-hidden-layer ReLU MLP on the concatenated flattened inputs; augments by G in training forwards.

    Shapes: ``forward(*inputs)`` with inputs ``[B, ...]`` -> ``[B]``.
    """

    def __init__(self, in_features: int, sampler: GroupSampler, actions: tuple[str, ...], hidden: int = 256) -> None:
        super().__init__()
        hidden = check_int(hidden, "hidden", min_value=1)
        self.sampler = sampler
        self.actions = tuple(actions)
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.training and torch.is_grad_enabled():
            perms = self.sampler.draw(inputs[0].shape[0]).to(inputs[0].device)
            inputs = act(perms, inputs, self.actions)
        x = torch.cat([t.reshape(t.shape[0], -1) for t in inputs], dim=1)
        return self.net(x).squeeze(-1)


def make_model(info, *, hidden: int = 256) -> nn.Module:
    """symhard bench factory: an MLP on all inputs, augmented by ``info.group`` acting as ``info.input_actions`` say."""
    if info.task not in TASKS:
        raise InvalidParameterError(f"the mlp-augment baseline supports the tasks {', '.join(TASKS)}, not {info.task!r}.")
    actions = tuple(info.input_actions)
    shapes = [tuple(s) for s in info.input_shapes]
    n = int(info.group.degree)
    if len(actions) != len(shapes) or any(a not in ACTIONS for a in actions):
        raise InvalidParameterError(f"the mlp-augment baseline needs one of {ACTIONS} per input; got input_actions {actions} for {len(shapes)} inputs.")
    for a, s in zip(actions, shapes):
        if not s or s[0] != n or (a == "graph" and s != (n, n)):
            raise InvalidParameterError(
                f"the mlp-augment baseline needs every input's axis 1 to carry the {n} points of {info.group.name} "
                f"(and a graph input of shape ({n}, {n})); task {info.task!r} gives shapes {shapes} with actions {actions}."
            )
    seed = int(torch.randint(0, 2**62, ()).item())  # from the (per-member seeded) torch state
    sampler = GroupSampler(info.group, seed)
    return AugmentedMLP(sum(math.prod(s) for s in shapes), sampler, actions, hidden=hidden)
