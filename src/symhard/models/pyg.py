r"""Interoperability with PyTorch Geometric (the optional ``pyg`` extra).

symhard's GNNs take dense batches, adjacency ``A[B, n, n]`` and node features ``X[B, n, d]``;
PyTorch Geometric takes sparse ``Data``/``Batch`` objects (``x[N, d]``, ``edge_index[2, E]``,
``batch[N]``). This module converts between the two and copies the weights of one ensemble
member of :class:`~symhard.models.gnn.GraphConvLayer` into PyG's ``GraphConv`` /
``DenseGraphConv``, so that

.. math:: \mathrm{GraphConv}(x)_v = W_{root} x_v + W_{rel} \textstyle\sum_{u \in N(v)} e_{uv} x_u + b_{rel}

equals our layer with ``activation="identity"`` (``W_root = W_selfᵀ``, ``W_rel = W_nbrᵀ``).

``torch_geometric`` is imported lazily: the rest of symhard works without it, and a call
here without it raises :class:`MissingDependencyError` saying how to install it.
"""

from __future__ import annotations

import torch

from ..errors import InvalidParameterError, SymhardError, check_int
from .gnn import GraphConvLayer

__all__ = [
    "MissingDependencyError",
    "require_pyg",
    "dense_to_batch",
    "dense_to_data_list",
    "batch_to_dense",
    "graphconv_from_layer",
    "dense_graphconv_from_layer",
]


class MissingDependencyError(SymhardError, ImportError):
    """An optional dependency (extra) needed for this call is not installed."""


def require_pyg():
    """Import and return ``torch_geometric``, or raise :class:`MissingDependencyError`."""
    try:
        import torch_geometric  # noqa: F401
        import torch_geometric.nn  # noqa: F401
        import torch_geometric.utils  # noqa: F401
    except ImportError as err:  # pragma: no cover - the CI installs every extra
        raise MissingDependencyError(
            "PyTorch Geometric is not installed; install the extra with "
            "`pip install 'symhard[pyg]'` (or `pip install torch-geometric`)."
        ) from err
    return torch_geometric


def _check_dense(X, A) -> None:
    if not isinstance(X, torch.Tensor) or not isinstance(A, torch.Tensor):
        raise InvalidParameterError("X and A must be torch tensors.")
    if X.ndim != 3 or A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[:2] != X.shape[:2]:
        raise InvalidParameterError(
            f"Expected X[B, n, d] and A[B, n, n] with matching B and n, got X{tuple(X.shape)} and "
            f"A{tuple(A.shape)}. Convert one ensemble member at a time (X[m], A[m])."
        )


def dense_to_batch(X: torch.Tensor, A: torch.Tensor):
    """A PyG ``Batch`` (``x``, ``edge_index``, ``edge_weight``, ``batch``, ``ptr``) from a dense batch.

    Vectorized over the graphs. Every node of the dense batch becomes a node (no masking); a
    nonzero ``A[b, v, u]`` becomes the edge ``u -> v`` with weight ``A[b, v, u]``, so PyG's
    aggregation ``Σ_{u -> v} e x_u`` equals ``(A X)_v``. The object feeds any PyG layer and
    pooling; it does not support ``to_data_list()`` (use :func:`dense_to_data_list`).

    Shapes: ``X[B, n, d]``, ``A[B, n, n]`` -> ``x[B·n, d]``, ``edge_index[2, E]``.
    """
    require_pyg()
    from torch_geometric.data import Batch
    from torch_geometric.utils import dense_to_sparse

    _check_dense(X, A)
    B, n, d = X.shape
    # dense_to_sparse gives (row, col) = (v, u) for A[b, v, u] != 0; PyG messages flow
    # edge_index[0] -> edge_index[1], i.e. source u to target v, so flip the rows.
    ei, w = dense_to_sparse(A.contiguous())  # PyG uses .view: needs a contiguous tensor
    edge_index = ei.flip(0)
    return Batch(
        x=X.reshape(B * n, d),
        edge_index=edge_index,
        edge_weight=w.to(X.dtype),
        batch=torch.arange(B, device=X.device).repeat_interleave(n),
        ptr=torch.arange(0, B * n + 1, n, device=X.device),
    )


def dense_to_data_list(X: torch.Tensor, A: torch.Tensor) -> list:
    """One PyG ``Data`` per graph of the dense batch (for ``Batch.from_data_list`` / loaders)."""
    require_pyg()
    from torch_geometric.data import Data
    from torch_geometric.utils import dense_to_sparse

    _check_dense(X, A)
    out = []
    for x, adj in zip(X, A):  # one object per graph is what a data list is
        ei, w = dense_to_sparse(adj.contiguous())
        out.append(Data(x=x, edge_index=ei.flip(0), edge_weight=w.to(X.dtype)))
    return out


def batch_to_dense(batch, max_num_nodes: int | None = None):
    """Dense ``(X[B, n, d], A[B, n, n], mask[B, n])`` from a PyG ``Batch`` (or ``Data``).

    Graphs with fewer than ``n`` nodes are padded with zero rows (``mask`` is False there);
    padding nodes have no edges, so sum readouts are unaffected. Edge weights are kept when the
    batch has ``edge_weight``.
    """
    require_pyg()
    from torch_geometric.utils import to_dense_adj, to_dense_batch

    if max_num_nodes is not None:
        max_num_nodes = check_int(max_num_nodes, "max_num_nodes", min_value=1)
    b = getattr(batch, "batch", None)
    X, mask = to_dense_batch(batch.x, b, max_num_nodes=max_num_nodes)
    # to_dense_adj puts edge (src, dst) at [src, dst]; our A[v, u] is the edge u -> v.
    A = to_dense_adj(batch.edge_index, b, edge_attr=getattr(batch, "edge_weight", None),
                     max_num_nodes=X.shape[1]).transpose(1, 2)
    return X, A.to(X.dtype), mask


def _member(layer: GraphConvLayer, member: int) -> int:
    if not isinstance(layer, GraphConvLayer):
        raise InvalidParameterError(f"layer must be a GraphConvLayer, not {type(layer).__name__}.")
    return check_int(member, "member", min_value=0, max_value=layer.ensemble - 1)


def _conv_from_layer(cls, layer: GraphConvLayer, member: int):
    """A PyG conv with ``lin_root`` = W_self and ``lin_rel`` = W_nbr (+ b) of one ensemble member."""
    m = _member(layer, member)
    conv = cls(layer.in_features, layer.out_features, aggr="add", bias=layer.b is not None)
    conv = conv.to(layer.W_self.dtype)
    with torch.no_grad():
        conv.lin_root.weight.copy_(layer.W_self[m].T)
        conv.lin_rel.weight.copy_(layer.W_nbr[m].T)
        if layer.b is not None:
            conv.lin_rel.bias.copy_(layer.b[m])
    return conv


def graphconv_from_layer(layer: GraphConvLayer, member: int = 0):
    """PyG ``GraphConv(aggr="add")`` holding member ``member`` of ``layer`` (pre-activation)."""
    require_pyg()
    from torch_geometric.nn import GraphConv

    return _conv_from_layer(GraphConv, layer, member)


def dense_graphconv_from_layer(layer: GraphConvLayer, member: int = 0):
    """PyG ``DenseGraphConv(aggr="add")`` holding member ``member`` of ``layer`` (pre-activation)."""
    require_pyg()
    from torch_geometric.nn import DenseGraphConv

    return _conv_from_layer(DenseGraphConv, layer, member)
