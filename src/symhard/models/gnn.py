r"""Dense graph neural networks with a leading ensemble axis ``M``.

Dimension letters: ``M`` ensemble members, ``B`` graphs in a batch, ``n`` nodes, ``d`` / ``F``
features. Graphs are dense: adjacency ``A[B, n, n]`` (or ``[M, B, n, n]`` per member), node
features ``X[B, n, d]`` (or ``[M, B, n, d]``). All members are evaluated by one batched
``einsum``; there is no loop over members.

Building blocks (all permutation invariant: relabelling the nodes, ``A -> ΠAΠᵀ``,
``X -> ΠX``, leaves every graph-level output unchanged, because sum aggregation and
sum/mean readout commute with permutations):

* message passing (sum aggregation, PyG's ``GraphConv``):

  .. math:: h'_v = \sigma\bigl(W_{self}^\top h_v + W_{nbr}^\top \textstyle\sum_{u} A_{vu} h_u + b\bigr)

  i.e. ``H' = σ(H W_self + A H W_nbr + b)``;
* node-wise MLPs (the same MLP on every node), sum or mean readout ``r = Σ_v h_v``, an MLP
  head ``R^F -> R``;
* the one-hidden-layer form of the paper, :math:`f(X, A) = 1^\top \sigma(A X W)\, a` with
  ``W[d, h]`` and ``a[h]``.

Activations: ``"relu"``, ``"abs"`` and ``"identity"``.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..errors import InvalidParameterError, check_int
from ..queries.activations import ACTIVATIONS, apply_activation, check_activation

__all__ = [
    "ACTIVATIONS",
    "activation_fn",
    "message_passing",
    "readout",
    "one_hidden_layer_gnn",
    "constant_features",
    "EnsembleLinear",
    "GraphConvLayer",
    "DenseGNN",
    "OneHiddenLayerGNN",
]

READOUTS = ("sum", "mean")


def activation_fn(name: str):
    """The elementwise activation ``name`` as a function of a tensor (:mod:`symhard.queries.activations`)."""
    name = check_activation(name, ACTIVATIONS)
    return lambda z: apply_activation(name, z)


def _check_tensor(t, name: str) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise InvalidParameterError(f"{name} must be a torch.Tensor, not {type(t).__name__}.")
    return t


def _check_graph_inputs(X, A) -> tuple[torch.Tensor, torch.Tensor]:
    """Check ``X[(M,) B, n, d]`` and ``A[(M,) B, n, n]`` agree on ``n`` (and ``B``)."""
    X = _check_tensor(X, "X")
    A = _check_tensor(A, "A")
    if X.ndim not in (3, 4):
        raise InvalidParameterError(
            f"Expected X to have shape (B, n, d) or (M, B, n, d), got {tuple(X.shape)}. "
            "For graphs without features pass constant_features(A)."
        )
    if A.ndim not in (3, 4) or A.shape[-1] != A.shape[-2]:
        raise InvalidParameterError(
            f"Expected A to have shape (B, n, n) or (M, B, n, n), got {tuple(A.shape)}."
        )
    if A.shape[-1] != X.shape[-2]:
        raise InvalidParameterError(
            f"A has {A.shape[-1]} nodes but X has {X.shape[-2]} rows; they must be equal."
        )
    if A.shape[-3] != X.shape[-3]:
        raise InvalidParameterError(
            f"A holds {A.shape[-3]} graphs but X holds {X.shape[-3]}; the batch sizes must be equal."
        )
    if A.dtype != X.dtype:
        A = A.to(X.dtype)
    return X, A


def _check_members(t: torch.Tensor, M: int, name: str) -> None:
    if t.ndim == 4 and t.shape[0] != M:
        raise InvalidParameterError(
            f"{name} has ensemble axis {t.shape[0]} but the model has M = {M} members; "
            f"pass {name} without the ensemble axis to share it, or with exactly M members."
        )


def constant_features(A: torch.Tensor, d: int = 1) -> torch.Tensor:
    """All-ones node features ``[..., n, d]`` for graphs without features (same dtype as ``A``)."""
    A = _check_tensor(A, "A")
    dtype = A.dtype if A.is_floating_point() else torch.get_default_dtype()
    return torch.ones(*A.shape[:-1], d, dtype=dtype, device=A.device)


def _nodewise(H: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """``H[(M,) B, n, f] @ W[M, f, g] -> [M, B, n, g]``."""
    if H.ndim == 3:
        return torch.einsum("bnf,mfg->mbng", H, W)
    return torch.einsum("mbnf,mfg->mbng", H, W)


def message_passing(X, A, W_self, W_nbr, b=None, activation: str = "relu") -> torch.Tensor:
    r"""One sum-aggregation message-passing layer for ``M`` members.

    .. math:: H' = \sigma(X W_{self} + A X W_{nbr} + b)

    Shapes: ``X[(M,) B, n, d]``, ``A[(M,) B, n, n]``, ``W_self[M, d, F]``, ``W_nbr[M, d, F]``,
    ``b[M, F]`` or ``None``  ->  ``[M, B, n, F]``.
    """
    X, A = _check_graph_inputs(X, A)
    M = W_self.shape[0]
    _check_members(X, M, "X")
    _check_members(A, M, "A")
    agg = torch.matmul(A, X)  # broadcasts the ensemble axis when one of them has it
    out = _nodewise(X, W_self) + _nodewise(agg, W_nbr)
    if b is not None:
        out = out + b[:, None, None, :]
    return activation_fn(activation)(out)


def readout(H: torch.Tensor, kind: str = "sum") -> torch.Tensor:
    r"""Graph readout ``r_b = Σ_v h_{b,v}`` (``"sum"``) or its mean over nodes (``"mean"``).

    Shapes: ``H[M, B, n, F] -> [M, B, F]``.
    """
    if kind == "sum":
        return H.sum(dim=-2)
    if kind == "mean":
        return H.mean(dim=-2)
    raise InvalidParameterError(f"readout must be one of {READOUTS}, got {kind!r}.")


def one_hidden_layer_gnn(X, A, W, a, activation: str = "relu") -> torch.Tensor:
    r"""The one-hidden-layer GNN of the paper, :math:`f(X, A) = 1^\top \sigma(A X W)\, a`.

    .. math:: f_m(X, A) = \sum_{v=1}^{n} \sum_{j=1}^{h} a_{m,j}\, \sigma\bigl((A X W_m)_{v j}\bigr)

    Shapes: ``X[(M,) B, n, d]``, ``A[(M,) B, n, n]``, ``W[M, d, h]``, ``a[M, h]``  ->
    ``[M, B]``. Without the ensemble axis (``W[d, h]``, ``a[h]``) the result is ``[B]``.
    """
    X, A = _check_graph_inputs(X, A)
    single = W.ndim == 2
    if single:
        W, a = W[None], a[None]
    if W.ndim != 3 or a.ndim != 2 or a.shape[0] != W.shape[0] or a.shape[1] != W.shape[2]:
        raise InvalidParameterError(
            f"Expected W[M, d, h] and a[M, h], got W{tuple(W.shape)} and a{tuple(a.shape)}."
        )
    if W.shape[1] != X.shape[-1]:
        raise InvalidParameterError(f"W expects d = {W.shape[1]} features, X has {X.shape[-1]}.")
    _check_members(X, W.shape[0], "X")
    _check_members(A, W.shape[0], "A")
    Z = torch.matmul(A, X)
    hidden = activation_fn(activation)(_nodewise(Z, W))  # [M, B, n, h]
    out = torch.einsum("mbnh,mh->mb", hidden, a)
    return out[0] if single else out


def _uniform(shape, bound: float, generator, dtype) -> torch.Tensor:
    u = torch.rand(*shape, generator=generator, dtype=dtype)
    return (2 * u - 1) * bound


class EnsembleLinear(nn.Module):
    r"""``M`` independent affine maps ``y = x W_m + b_m`` applied to the last axis.

    Fields: ``weight[M, in, out]``, ``bias[M, out]`` (or ``None``). Initialization as
    ``torch.nn.Linear``: uniform in ``±1/√in``, drawn from ``generator``.

    Shapes: ``x[M, ..., in] -> [M, ..., out]``.
    """

    def __init__(self, ensemble: int, in_features: int, out_features: int, bias: bool = True,
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        self.ensemble = check_int(ensemble, "ensemble", min_value=1)
        self.in_features = check_int(in_features, "in_features", min_value=1)
        self.out_features = check_int(out_features, "out_features", min_value=1)
        dtype = dtype or torch.get_default_dtype()
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(_uniform((ensemble, in_features, out_features), bound, generator, dtype))
        self.bias = nn.Parameter(_uniform((ensemble, out_features), bound, generator, dtype)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        y = torch.bmm(x.reshape(shape[0], -1, shape[-1]), self.weight)
        if self.bias is not None:
            y = y + self.bias[:, None, :]
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"ensemble={self.ensemble}, in_features={self.in_features}, out_features={self.out_features}"


class GraphConvLayer(nn.Module):
    r"""Sum-aggregation message passing for ``M`` members (PyG ``GraphConv`` + activation).

    .. math:: h'_v = \sigma\bigl(W_{self}^\top h_v + W_{nbr}^\top \textstyle\sum_{u \in N(v)} h_u + b\bigr)

    Fields: ``W_self[M, in, out]``, ``W_nbr[M, in, out]``, ``b[M, out]`` (or ``None``).
    With ``activation="identity"`` this equals PyG's ``GraphConv(in, out, aggr="add")`` with
    ``lin_root.weight = W_selfᵀ``, ``lin_rel.weight = W_nbrᵀ``, ``lin_rel.bias = b``.

    Shapes: ``X[(M,) B, n, in]``, ``A[(M,) B, n, n]`` -> ``[M, B, n, out]``.
    """

    def __init__(self, ensemble: int, in_features: int, out_features: int, activation: str = "relu",
                 bias: bool = True, generator: torch.Generator | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        self.ensemble = check_int(ensemble, "ensemble", min_value=1)
        self.in_features = check_int(in_features, "in_features", min_value=1)
        self.out_features = check_int(out_features, "out_features", min_value=1)
        activation_fn(activation)
        self.activation = activation
        dtype = dtype or torch.get_default_dtype()
        bound = 1.0 / math.sqrt(in_features)
        self.W_self = nn.Parameter(_uniform((ensemble, in_features, out_features), bound, generator, dtype))
        self.W_nbr = nn.Parameter(_uniform((ensemble, in_features, out_features), bound, generator, dtype))
        self.b = nn.Parameter(_uniform((ensemble, out_features), bound, generator, dtype)) if bias else None

    @classmethod
    def from_weights(cls, W_self, W_nbr, b=None, activation: str = "relu") -> "GraphConvLayer":
        """A layer holding the given weights ``W_self[M, in, out]``, ``W_nbr[M, in, out]``, ``b[M, out]``."""
        W_self = torch.as_tensor(W_self)
        W_nbr = torch.as_tensor(W_nbr, dtype=W_self.dtype)
        if W_self.ndim != 3 or W_self.shape != W_nbr.shape:
            raise InvalidParameterError(
                f"W_self and W_nbr must both have shape (M, in, out); got {tuple(W_self.shape)} and {tuple(W_nbr.shape)}."
            )
        M, i, o = W_self.shape
        layer = cls(M, i, o, activation=activation, bias=b is not None, dtype=W_self.dtype)
        with torch.no_grad():
            layer.W_self.copy_(W_self)
            layer.W_nbr.copy_(W_nbr)
            if b is not None:
                b = torch.as_tensor(b, dtype=W_self.dtype)
                if b.shape != (M, o):
                    raise InvalidParameterError(f"b must have shape (M, out) = {(M, o)}, got {tuple(b.shape)}.")
                layer.b.copy_(b)
        return layer

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        return message_passing(X, A, self.W_self, self.W_nbr, self.b, self.activation)

    def extra_repr(self) -> str:
        return (f"ensemble={self.ensemble}, in_features={self.in_features}, "
                f"out_features={self.out_features}, activation={self.activation!r}")


def _mlp_layers(ensemble, sizes, generator, dtype) -> nn.ModuleList:
    return nn.ModuleList(
        EnsembleLinear(ensemble, a, b, generator=generator, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:])
    )


def _run_mlp(layers: nn.ModuleList, x: torch.Tensor, act, final_activation: bool) -> torch.Tensor:
    for i, layer in enumerate(layers):
        x = layer(x)
        if i < len(layers) - 1 or final_activation:
            x = act(x)
    return x


class DenseGNN(nn.Module):
    r"""Message passing, a node-wise MLP, sum/mean readout and an MLP head, for ``M`` members.

    .. math::

        H^{(0)} = X,\quad H^{(\ell+1)} = \sigma(H^{(\ell)} W^{(\ell)}_{self} + A H^{(\ell)} W^{(\ell)}_{nbr} + b^{(\ell)}),
        \quad f(X, A) = \mathrm{head}\Bigl(\textstyle\sum_v \mathrm{mlp}(h^{(L)}_v)\Bigr)

    ``mp_channels`` are the output widths of the message-passing layers (each followed by
    ``activation``); ``node_channels`` are the layer widths of the node MLP (activation between
    layers, the last layer linear); ``head_channels`` are the hidden widths of the head, which
    ends with a linear map to one output. The model is permutation invariant.

    Shapes: ``X[(M,) B, n, in_features]``, ``A[(M,) B, n, n]`` -> ``[M, B]``.
    """

    def __init__(self, ensemble: int, in_features: int, mp_channels: Sequence[int] = (32,),
                 node_channels: Sequence[int] = (), head_channels: Sequence[int] = (32,),
                 readout: str = "sum", activation: str = "relu", generator: torch.Generator | None = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.ensemble = check_int(ensemble, "ensemble", min_value=1)
        self.in_features = check_int(in_features, "in_features", min_value=1)
        for name, seq in (("mp_channels", mp_channels), ("node_channels", node_channels), ("head_channels", head_channels)):
            for c in seq:
                check_int(c, f"every entry of {name}", min_value=1)
        if readout not in READOUTS:
            raise InvalidParameterError(f"readout must be one of {READOUTS}, got {readout!r}.")
        activation_fn(activation)
        self.mp_channels = tuple(mp_channels)
        self.node_channels = tuple(node_channels)
        self.head_channels = tuple(head_channels)
        self.readout = readout
        self.activation = activation
        dtype = dtype or torch.get_default_dtype()
        widths = (in_features, *self.mp_channels)
        self.mp = nn.ModuleList(
            GraphConvLayer(ensemble, a, b, activation=activation, generator=generator, dtype=dtype)
            for a, b in zip(widths[:-1], widths[1:])
        )
        self.node_mlp = _mlp_layers(ensemble, (widths[-1], *self.node_channels), generator, dtype)
        readout_width = self.node_channels[-1] if self.node_channels else widths[-1]
        self.head = _mlp_layers(ensemble, (readout_width, *self.head_channels, 1), generator, dtype)

    @classmethod
    def from_weights(cls, mp: Sequence[tuple], node_mlp: Sequence[tuple] = (), head: Sequence[tuple] = (),
                     readout: str = "sum", activation: str = "relu") -> "DenseGNN":
        """A model holding given weights.

        ``mp``: list of ``(W_self[M, i, o], W_nbr[M, i, o], b[M, o] or None)``; ``node_mlp`` and
        ``head``: lists of ``(W[M, i, o], b[M, o])``; the head's last layer must have ``o = 1``.
        """
        if not mp and not node_mlp:
            raise InvalidParameterError("from_weights needs at least one message-passing or node-MLP layer.")
        if not head:
            raise InvalidParameterError("from_weights needs at least one head layer (ending in 1 output).")
        first = torch.as_tensor((mp or node_mlp)[0][0])
        M, in_features = first.shape[0], first.shape[1]
        head_out = torch.as_tensor(head[-1][0]).shape[-1]
        if head_out != 1:
            raise InvalidParameterError(f"the last head layer must have 1 output, got {head_out}.")
        model = cls(
            M, in_features,
            mp_channels=[torch.as_tensor(w[0]).shape[2] for w in mp],
            node_channels=[torch.as_tensor(w[0]).shape[2] for w in node_mlp],
            head_channels=[torch.as_tensor(w[0]).shape[2] for w in head[:-1]],
            readout=readout, activation=activation, dtype=first.dtype,
        )
        with torch.no_grad():
            for layer, (ws, wn, b) in zip(model.mp, mp):
                new = GraphConvLayer.from_weights(ws, wn, b, activation)
                layer.W_self.copy_(new.W_self)
                layer.W_nbr.copy_(new.W_nbr)
                if b is None:
                    layer.b = None
                else:
                    layer.b.copy_(new.b)
            for layers, weights in ((model.node_mlp, node_mlp), (model.head, head)):
                for layer, (w, b) in zip(layers, weights):
                    w = torch.as_tensor(w, dtype=first.dtype)
                    if w.shape != layer.weight.shape:
                        raise InvalidParameterError(
                            f"weight of shape {tuple(w.shape)} does not chain; expected {tuple(layer.weight.shape)}."
                        )
                    layer.weight.copy_(w)
                    layer.bias.copy_(torch.as_tensor(b, dtype=first.dtype))
        return model

    def node_embeddings(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        """The node states after message passing and the node MLP: ``[M, B, n, F]``."""
        X, A = _check_graph_inputs(X, A)
        if X.shape[-1] != self.in_features:
            raise InvalidParameterError(f"the model expects {self.in_features} node features, X has {X.shape[-1]}.")
        H = X
        for layer in self.mp:
            H = layer(H, A)
        if H.ndim == 3:  # no message passing layer: broadcast shared features to the members
            H = H.unsqueeze(0).expand(self.ensemble, *H.shape)
        return _run_mlp(self.node_mlp, H, activation_fn(self.activation), final_activation=False)

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        r = readout(self.node_embeddings(X, A), self.readout)
        return _run_mlp(self.head, r, activation_fn(self.activation), final_activation=False)[..., 0]

    def extra_repr(self) -> str:
        return f"ensemble={self.ensemble}, readout={self.readout!r}, activation={self.activation!r}"


class OneHiddenLayerGNN(nn.Module):
    r"""The paper's one-hidden-layer GNN :math:`f(X, A) = 1^\top \sigma(A X W)\, a` for ``M`` members.

    Fields: ``W[M, d, width]`` (initialized ``N(0, 1/d)``), ``a[M, width]`` (initialized
    ``N(0, 1/width)``), drawn from ``generator``.

    Shapes: ``X[(M,) B, n, d]``, ``A[(M,) B, n, n]`` -> ``[M, B]``.
    """

    def __init__(self, ensemble: int, in_features: int, width: int, activation: str = "relu",
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        self.ensemble = check_int(ensemble, "ensemble", min_value=1)
        self.in_features = check_int(in_features, "in_features", min_value=1)
        self.width = check_int(width, "width", min_value=1)
        activation_fn(activation)
        self.activation = activation
        dtype = dtype or torch.get_default_dtype()
        self.W = nn.Parameter(torch.randn(ensemble, in_features, width, generator=generator, dtype=dtype) / math.sqrt(in_features))
        self.a = nn.Parameter(torch.randn(ensemble, width, generator=generator, dtype=dtype) / math.sqrt(width))

    @classmethod
    def from_weights(cls, W, a, activation: str = "relu") -> "OneHiddenLayerGNN":
        """A model with the given ``W[M, d, width]`` and ``a[M, width]`` (2-D/1-D: ``M = 1``)."""
        W = torch.as_tensor(W)
        a = torch.as_tensor(a, dtype=W.dtype)
        if W.ndim == 2:
            W, a = W[None], a[None]
        if W.ndim != 3 or a.shape != (W.shape[0], W.shape[2]):
            raise InvalidParameterError(
                f"Expected W[M, d, width] and a[M, width], got W{tuple(W.shape)} and a{tuple(a.shape)}."
            )
        model = cls(W.shape[0], W.shape[1], W.shape[2], activation=activation, dtype=W.dtype)
        with torch.no_grad():
            model.W.copy_(W)
            model.a.copy_(a)
        return model

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        return one_hidden_layer_gnn(X, A, self.W, self.a, self.activation)

    def extra_repr(self) -> str:
        return f"ensemble={self.ensemble}, in_features={self.in_features}, width={self.width}, activation={self.activation!r}"
