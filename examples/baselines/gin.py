r"""GIN baseline (PyTorch Geometric ``GINConv``, sum readout) for the graph tasks of ``symhard bench``.

Tasks: ``gnn-features`` (inputs ``X[B, n, d]`` Gaussian, ``A[B, n, n]`` a G(n, ½) graph with
self-loops) and ``gnn-degree-parity`` (``X = 1 [B, n, 1]``, ``A`` a G(n, ½) graph). The dense
batch is converted by :func:`symhard.models.pyg.dense_to_batch` (a nonzero ``A[b, v, u]`` is the
edge ``u → v``; a self-loop of ``A`` is an edge ``v → v``), then (Xu et al. 2019)

.. math::

    h_v^{(0)} = x_v, \qquad
    h_v^{(l)} = \mathrm{ReLU}\Bigl(\mathrm{MLP}^{(l)}\bigl((1 + \epsilon^{(l)})\, h_v^{(l-1)}
                + \textstyle\sum_{u \to v} h_u^{(l-1)}\bigr)\Bigr), \quad l = 1, \dots, L,

    f(X, A) = \rho\bigl([\textstyle\sum_v h_v^{(1)}; \dots; \sum_v h_v^{(L)}]\bigr),

with trainable ε (``GINConv(train_eps=True)``), a two-layer ``MLP^{(l)}`` of width ``hidden``,
the GIN paper's readout (sum pooling of every layer, concatenated) and a two-layer head ρ.

*Invariance.* For a node permutation P, every layer is equivariant (sums over the neighbours
do not depend on their order) and the readout sums over the nodes, so
``f(PX, PAPᵀ) = f(X, A)`` exactly in real arithmetic; in float32 only the order of the sums
changes (violations ~1e-7 relative), which :func:`symhard.bench.invariance_check` measures.

*Why it learns the controls.* ``gnn-features`` (k = 2): the target is
``Σ_v Σ_j a_j ReLU(w_j·(AX)_v)``; with ε = −1 the first aggregation is ``(AX)_v`` (A carries the
self-loops) and the sum readout and head give the outer sum. ``gnn-degree-parity``: with
constant features the first aggregation is ``1 + ε + deg(v)``, the MLP can turn it into the
indicator of ``deg(v) ∈ S`` and the sum readout counts those nodes: the control is the
standardized count.

    symhard bench --model examples/baselines/gin.py:make_model --family gnn-features --sweep d=4,8 --role control
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GINConv, global_add_pool

from symhard.errors import InvalidParameterError, check_int
from symhard.models.pyg import dense_to_batch

#: The tasks this baseline accepts: graphs given as node features and a dense adjacency.
TASKS = ("gnn-features", "gnn-degree-parity")


def graph_inputs(info, baseline: str = "gin") -> tuple[int, int, int]:
    """``(graph_index, n, d)`` of a graph task's two inputs ``(X[n, d], A[n, n])`` in ``info``, or a one-line error."""
    if info.task not in TASKS:
        raise InvalidParameterError(f"the {baseline} baseline supports the graph tasks {', '.join(TASKS)}, not {info.task!r}.")
    actions = tuple(info.input_actions)
    if sorted(actions) != ["graph", "rows"]:
        raise InvalidParameterError(
            f"the {baseline} baseline needs two inputs, node features ('rows') and an adjacency ('graph'); "
            f"task {info.task!r} has input_actions {actions}."
        )
    g = actions.index("graph")
    a_shape, x_shape = tuple(info.input_shapes[g]), tuple(info.input_shapes[1 - g])
    if len(a_shape) != 2 or a_shape[0] != a_shape[1] or len(x_shape) != 2 or x_shape[0] != a_shape[0]:
        raise InvalidParameterError(
            f"the {baseline} baseline needs per-sample shapes X (n, d) and A (n, n); task {info.task!r} gives "
            f"X {x_shape} and A {a_shape}."
        )
    return g, a_shape[0], x_shape[1]


class Reorder(nn.Module):
    """Call ``model(X, A)`` whatever order the task's two inputs come in (``graph_index`` is A's)."""

    def __init__(self, model: nn.Module, graph_index: int) -> None:
        super().__init__()
        self.model = model
        self.graph_index = graph_index

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs[1 - self.graph_index], inputs[self.graph_index])


class GIN(nn.Module):
    """GIN with ``layers`` GINConv layers of width ``hidden``, per-layer sum readout and a two-layer head.

    Shapes: ``forward(X[B, n, d], A[B, n, n]) -> [B]``.
    """

    def __init__(self, in_features: int, hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        hidden = check_int(hidden, "hidden", min_value=1)
        layers = check_int(layers, "layers", min_value=1)
        dims = [in_features] + [hidden] * layers
        self.convs = nn.ModuleList(
            GINConv(nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, b)), train_eps=True)
            for a, b in zip(dims[:-1], dims[1:])
        )
        self.head = nn.Sequential(nn.Linear(hidden * layers, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        batch = dense_to_batch(X.contiguous(), A.contiguous())
        h, pooled = batch.x, []
        for conv in self.convs:
            h = torch.relu(conv(h, batch.edge_index))
            pooled.append(global_add_pool(h, batch.batch, size=X.shape[0]))
        return self.head(torch.cat(pooled, dim=-1)).squeeze(-1)


def make_model(info, *, hidden: int = 64, layers: int = 2) -> nn.Module:
    """symhard bench factory: a GIN on the task's ``(X, A)`` (``info.input_actions`` says which is A)."""
    g, _n, d = graph_inputs(info, "gin")
    return Reorder(GIN(d, hidden=hidden, layers=layers), g)
