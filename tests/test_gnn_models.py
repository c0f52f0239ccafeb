"""Dense ensemble GNNs: equal to PyG GraphConv/DenseGraphConv + global_add_pool, ensemble = loop,
one-hidden-layer form against an explicit sum, permutation invariance, PyG conversions, bad shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from symhard.errors import InvalidParameterError
from symhard.groups import PermutationGroup, act_on_graphs, act_on_rows
from symhard.models.gnn import (
    DenseGNN,
    EnsembleLinear,
    GraphConvLayer,
    OneHiddenLayerGNN,
    constant_features,
    one_hidden_layer_gnn,
)

from torch_geometric.data import Batch  # noqa: E402
from torch_geometric.nn import DenseGraphConv, GraphConv, global_add_pool  # noqa: E402

from symhard.models.pyg import (  # noqa: E402
    batch_to_dense,
    dense_graphconv_from_layer,
    dense_to_batch,
    dense_to_data_list,
    graphconv_from_layer,
)


def _graphs(B, n, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    A = (torch.rand(B, n, n, generator=g) < 0.5).to(dtype).triu(1)
    return A + A.transpose(1, 2)


def test_layer_plus_sum_pool_equals_pyg_graphconv_per_member():
    g = torch.Generator().manual_seed(0)
    A = _graphs(4, 7, 1)
    X = torch.randn(4, 7, 3, generator=g, dtype=torch.float64)
    layer = GraphConvLayer(3, 3, 5, activation="identity", generator=g, dtype=torch.float64)
    ours = layer(X, A).sum(-2)  # [M, B, 5]: sum readout
    batch = Batch.from_data_list(dense_to_data_list(X, A))
    for m in range(3):
        # independent PyG modules with the same weights, set by hand (not through our converter)
        conv = GraphConv(3, 5, aggr="add").double()
        dense = DenseGraphConv(3, 5, aggr="add").double()
        with torch.no_grad():
            for c in (conv, dense):
                c.lin_root.weight.copy_(layer.W_self[m].T)
                c.lin_rel.weight.copy_(layer.W_nbr[m].T)
                c.lin_rel.bias.copy_(layer.b[m])
        ref = global_add_pool(conv(batch.x, batch.edge_index), batch.batch)
        torch.testing.assert_close(ours[m], ref, atol=1e-12, rtol=0, msg=f"member {m}")
        torch.testing.assert_close(ours[m], dense(X, A).sum(-2), atol=1e-12, rtol=0, msg=f"member {m}")
        # our converters build the same modules
        c2 = graphconv_from_layer(layer, m)
        torch.testing.assert_close(c2(batch.x, batch.edge_index), conv(batch.x, batch.edge_index))
        torch.testing.assert_close(dense_graphconv_from_layer(layer, m)(X, A), dense(X, A))


def test_dense_to_batch_matches_from_data_list_and_round_trips():
    A = _graphs(3, 5, 2)
    X = torch.randn(3, 5, 2, dtype=torch.float64)
    b1 = dense_to_batch(X, A)
    b2 = Batch.from_data_list(dense_to_data_list(X, A))
    conv = GraphConv(2, 4, aggr="add").double()
    torch.testing.assert_close(
        global_add_pool(conv(b1.x, b1.edge_index, b1.edge_weight), b1.batch),
        global_add_pool(conv(b2.x, b2.edge_index), b2.batch),
    )
    X2, A2, mask = batch_to_dense(b2)
    assert mask.all()
    torch.testing.assert_close(X2, X)
    torch.testing.assert_close(A2, A)
    # non-contiguous inputs (e.g. one ensemble slice of a transposed tensor) convert the same way
    At = A.transpose(0, 1).contiguous().transpose(0, 1)
    assert not At.is_contiguous()
    torch.testing.assert_close(dense_to_batch(X, At).edge_index, b1.edge_index)


def test_ensemble_axis_equals_separate_models():
    g = torch.Generator().manual_seed(3)
    A = _graphs(6, 5, 4, torch.float32)
    X = torch.randn(6, 5, 2, generator=g)
    model = DenseGNN(4, 2, mp_channels=(6, 5), node_channels=(7, 3), head_channels=(4,), generator=g)
    out = model(X, A)
    assert out.shape == (4, 6)
    for m in range(4):
        single = DenseGNN.from_weights(
            mp=[(l.W_self[m:m + 1], l.W_nbr[m:m + 1], l.b[m:m + 1]) for l in model.mp],
            node_mlp=[(l.weight[m:m + 1], l.bias[m:m + 1]) for l in model.node_mlp],
            head=[(l.weight[m:m + 1], l.bias[m:m + 1]) for l in model.head],
        )
        torch.testing.assert_close(single(X, A)[0], out[m], atol=1e-6, rtol=1e-6, msg=f"member {m}")
    # per-member inputs: member m sees its own graphs
    Xm = torch.randn(4, 6, 5, 2, generator=g)
    Am = torch.stack([_graphs(6, 5, 10 + m, torch.float32) for m in range(4)])
    outm = model(Xm, Am)
    for m in range(4):
        torch.testing.assert_close(outm[m], model(Xm[m], Am[m])[m], atol=1e-6, rtol=1e-6)


def test_one_hidden_layer_form_against_explicit_sum():
    rng = np.random.default_rng(5)
    A = rng.integers(0, 2, (3, 4, 4)).astype(float)
    X = rng.standard_normal((3, 4, 5))
    W = rng.standard_normal((2, 5, 6))
    a = rng.standard_normal((2, 6))
    out = one_hidden_layer_gnn(torch.as_tensor(X), torch.as_tensor(A), torch.as_tensor(W), torch.as_tensor(a))
    for m in range(2):
        for b in range(3):
            ref = sum(a[m, j] * max(0.0, sum(A[b, v, u] * X[b, u, i] * W[m, i, j] for u in range(4) for i in range(5)))
                      for v in range(4) for j in range(6))
            assert abs(out[m, b].item() - ref) < 1e-10, f"m={m}, b={b}"
    model = OneHiddenLayerGNN.from_weights(torch.as_tensor(W), torch.as_tensor(a))
    torch.testing.assert_close(model(torch.as_tensor(X), torch.as_tensor(A)), out)


def test_permutation_invariance():
    g = torch.Generator().manual_seed(7)
    n = 6
    A = _graphs(5, n, 8, torch.float64)
    X = torch.randn(5, n, 3, generator=g, dtype=torch.float64)
    perms = PermutationGroup.symmetric(n).random_elements(5, seed=1)
    PA, PX = act_on_graphs(perms, A), act_on_rows(perms, X)
    models = [DenseGNN(2, 3, (4,), (4,), (4,), readout=r, generator=g, dtype=torch.float64) for r in ("sum", "mean")]
    models.append(OneHiddenLayerGNN(2, 3, 8, generator=g, dtype=torch.float64))
    for model in models:
        torch.testing.assert_close(model(PX, PA), model(X, A), atol=1e-12, rtol=0)
        assert not torch.allclose(model(X, A), model(X.flip(1), A))  # but not a constant


def test_ensemble_linear_init_uses_generator():
    l1 = EnsembleLinear(2, 3, 4, generator=torch.Generator().manual_seed(0))
    l2 = EnsembleLinear(2, 3, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(l1.weight, l2.weight)
    assert l1.weight.abs().max() <= 1 / np.sqrt(3)


def test_bad_shapes_raise_one_line_errors():
    model = OneHiddenLayerGNN(2, 3, 4)
    A = torch.zeros(5, 4, 4)
    with pytest.raises(InvalidParameterError, match="nodes but X has"):
        model(torch.zeros(5, 3, 3), A)
    with pytest.raises(InvalidParameterError, match=r"\(B, n, d\) or \(M, B, n, d\)"):
        model(torch.zeros(4, 3), A)
    with pytest.raises(InvalidParameterError, match="ensemble axis 3"):
        model(torch.zeros(3, 5, 4, 3), A)
    with pytest.raises(InvalidParameterError, match="activation"):
        OneHiddenLayerGNN(1, 2, 2, activation="tanh")
    with pytest.raises(InvalidParameterError, match="readout"):
        DenseGNN(1, 1, readout="max")
    with pytest.raises(InvalidParameterError, match="Convert one ensemble member"):
        dense_to_batch(torch.zeros(2, 3, 4, 1), torch.zeros(2, 3, 4, 4))
    assert constant_features(A).shape == (5, 4, 1)
