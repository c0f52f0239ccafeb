r"""GCN baseline (PyTorch Geometric ``GCNConv``, sum or mean readout) for the graph tasks of ``symhard bench``.

Tasks: ``gnn-features`` (``X[B, n, d]`` Gaussian, ``A[B, n, n]`` a G(n, ½) graph with self-loops)
and ``gnn-degree-parity`` (``X = 1 [B, n, 1]``, ``A`` a G(n, ½) graph). The dense batch is
converted by :func:`symhard.models.pyg.dense_to_batch`; each layer is Kipf & Welling's

.. math::

    H^{(l)} = \mathrm{ReLU}\bigl(\tilde D^{-1/2} \tilde A \tilde D^{-1/2} H^{(l-1)} W^{(l)} + b^{(l)}\bigr),
    \qquad \tilde A = A + I \text{ (self-loops added where A has none)}, \quad \tilde D = \mathrm{diag}(\tilde A 1),

    f(X, A) = \rho\bigl(\textstyle\sum_v h_v^{(L)}\bigr) \quad\text{(or the mean over v)},

with ``GCNConv(normalize=True)`` (``add_remaining_self_loops``: the self-loops that
``gnn-features`` already has are kept with weight 1, not doubled) and a two-layer head ρ.

*Invariance.* ``P̃ Ã P̃ᵀ`` has the permuted degrees, so every layer is equivariant and the
readout is a sum (or mean) over the nodes: ``f(PX, PAPᵀ) = f(X, A)`` exactly in real
arithmetic, up to float32 reordering of the sums.

*What it can learn.* The symmetric normalization mixes each message with the degrees of both
endpoints, so a GCN computes neither ``(AX)_v`` nor ``deg(v)`` exactly. On ``gnn-features`` it
still fits the k = 2 control at small sizes (normalized test error 0.056 at d = 4, see
``examples/baselines/__init__.py``). On ``gnn-degree-parity`` it is not meant to: with constant features
``D̃^{-1/2} Ã D̃^{-1/2} 1 = 1`` on every regular graph (each row sums to ``(d+1)/(d+1)``), so
every layer, and the output, is the same on all regular graphs with n nodes, whatever their
degree, while the control (the standardized count of nodes with degree in S) differs between
them, so the control is not in its class; near-regular graphs are nearly collapsed as well, and
at small budgets it learns nothing of the control (normalized error 1.000 at n = 6, the zero
predictor's). This is the baseline that shows what the normalization costs.

    symhard bench --model examples/baselines/gcn.py:make_model --family gnn-features --sweep d=4,8 --role control
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GCNConv, global_add_pool, global_mean_pool

from symhard.errors import InvalidParameterError, check_int
from symhard.models.pyg import dense_to_batch

#: The tasks this baseline accepts: graphs given as node features and a dense adjacency.
TASKS = ("gnn-features", "gnn-degree-parity")
READOUTS = ("sum", "mean")


def graph_inputs(info, baseline: str = "gcn") -> tuple[int, int, int]:
    """``(graph_index, n, d)`` of a graph task's two inputs ``(X[n, d], A[n, n])`` in ``info``, or a one-line error.

    (The same check as ``gin.py``: the baseline files are loaded standalone by path, so they do
    not import each other.)
    """
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


class GCN(nn.Module):
    """``layers`` GCNConv layers of width ``hidden``, ``readout`` (sum or mean) over the nodes, a two-layer head.

    Shapes: ``forward(X[B, n, d], A[B, n, n]) -> [B]``.
    """

    def __init__(self, in_features: int, hidden: int = 64, layers: int = 3, readout: str = "sum") -> None:
        super().__init__()
        hidden = check_int(hidden, "hidden", min_value=1)
        layers = check_int(layers, "layers", min_value=1)
        if readout not in READOUTS:
            raise InvalidParameterError(f"readout must be one of {READOUTS}, got {readout!r}.")
        self.readout = readout
        dims = [in_features] + [hidden] * layers
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        batch = dense_to_batch(X.contiguous(), A.contiguous())
        h = batch.x
        for conv in self.convs:
            h = torch.relu(conv(h, batch.edge_index, batch.edge_weight))
        pool = global_add_pool if self.readout == "sum" else global_mean_pool
        return self.head(pool(h, batch.batch, size=X.shape[0])).squeeze(-1)


class Reorder(nn.Module):
    """Call ``model(X, A)`` whatever order the task's two inputs come in (``graph_index`` is A's)."""

    def __init__(self, model: nn.Module, graph_index: int) -> None:
        super().__init__()
        self.model = model
        self.graph_index = graph_index

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs[1 - self.graph_index], inputs[self.graph_index])


def make_model(info, *, hidden: int = 64, layers: int = 3, readout: str = "sum") -> nn.Module:
    """symhard bench factory: a GCN on the task's ``(X, A)`` with ``readout`` ``"sum"`` (default) or ``"mean"``."""
    g, _n, d = graph_inputs(info, "gcn")
    return Reorder(GCN(d, hidden=hidden, layers=layers, readout=readout), g)


def make_model_mean(info) -> nn.Module:
    """The same GCN with mean readout (``examples/baselines/gcn.py:make_model_mean``)."""
    return make_model(info, readout="mean")
