"""A user's own PyTorch Geometric GIN, benchmarked on the GNN feature family with ``symhard bench``.

The model is ordinary PyG code. The only symhard-specific part is the factory
``make_model(info)``: the harness hands over the task's inputs as a dense batch (node features
``X[B, n, d]`` and adjacency ``A[B, n, n]``, the order given by ``info.input_actions``) and
expects one prediction per graph, ``[B]``. The dense batch is converted to a PyG ``Batch`` with
:func:`symhard.models.pyg.dense_to_batch` (a nonzero ``A[b, v, u]`` becomes the edge ``u -> v``),
then

.. math:: h_v^{(l+1)} = \\mathrm{MLP}^{(l)}\\bigl((1 + \\epsilon^{(l)})\\, h_v^{(l)} + \\textstyle\\sum_{u \\to v} h_u^{(l)}\\bigr),
          \\qquad f(X, A) = w^\\top \\textstyle\\sum_v h_v^{(L)} + c

(Xu et al. 2019, GINConv with a trainable ε, sum pooling). Sum aggregation and sum pooling make
``f(PX, PAPᵀ) = f(X, A)`` for every node permutation ``P``, which the harness checks before it
trains.

    symhard bench --model examples/gin_model.py:make_model --family gnn-features --sweep d=8,16,32
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GINConv, global_add_pool

from symhard.models.pyg import dense_to_batch


class GIN(nn.Module):
    """GIN with ``layers`` GINConv layers of width ``hidden`` and a linear head on the summed nodes.

    Shapes: ``forward(X[B, n, d], A[B, n, n]) -> [B]``.
    """

    def __init__(self, in_features: int, hidden: int = 32, layers: int = 2) -> None:
        super().__init__()
        dims = [in_features] + [hidden] * layers
        self.convs = nn.ModuleList(
            GINConv(nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, b)), train_eps=True)
            for a, b in zip(dims[:-1], dims[1:])
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        batch = dense_to_batch(X.contiguous(), A.contiguous())
        h = batch.x
        for conv in self.convs:
            h = torch.relu(conv(h, batch.edge_index))
        return self.head(global_add_pool(h, batch.batch, size=X.shape[0])).squeeze(-1)


class _Reorder(nn.Module):
    """Call ``model(X, A)`` whatever order the task's inputs come in."""

    def __init__(self, model: nn.Module, graph_index: int) -> None:
        super().__init__()
        self.model = model
        self.graph_index = graph_index

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        A = inputs[self.graph_index]
        X = inputs[1 - self.graph_index]
        return self.model(X, A)


def make_model(info) -> nn.Module:
    """symhard bench factory: ``info.input_actions`` says which input is the graph."""
    g = info.input_actions.index("graph")
    d = info.input_shapes[1 - g][-1]
    return _Reorder(GIN(d, hidden=32, layers=2), g)
