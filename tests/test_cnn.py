"""Tests for the group-averaged network / circular CNN and the CNN hard family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from symhard.errors import InvalidParameterError, SymhardError
from symhard.groups import PermutationGroup, act_on_rows, parse_group
from symhard.models.cnn import GroupAveragedNetwork, is_cyclic_shift_group


def _brute_force(group, W, a, b, X, activation):
    """Reference: literal double loop over members and group elements (numpy, float64)."""
    sigma = (lambda z: np.maximum(z, 0.0)) if activation == "relu" else np.abs
    E = group.elements()
    M = W.shape[0]
    out = np.zeros((M, X.shape[-3]))
    for m in range(M):
        Xm = X[m] if X.ndim == 4 else X
        for g in E:
            Y = act_on_rows(np.argsort(g), Xm)  # g⁻¹·X
            pre = np.einsum("bic,ih->bch", Y, W[m]) + (0.0 if b is None else b[m])
            out[m] += (sigma(pre) @ a[m]).sum(-1)
    return out / len(E)


def _random_net(group, n, width, M, activation, bias, form, seed):
    gen = torch.Generator().manual_seed(seed)
    net = GroupAveragedNetwork(group, n, width, ensemble=M, activation=activation, bias=bias,
                               form=form, generator=gen, dtype=torch.float64)
    if bias:
        with torch.no_grad():
            net.b.normal_(generator=gen)
    return net


# ----------------------------------------------------------------------------- the model
@pytest.mark.parametrize("activation", ["relu", "abs"])
@pytest.mark.parametrize("bias", [False, True])
def test_circular_matches_generic_and_brute_force(activation, bias):
    n, width, M = 9, 5, 3
    G = PermutationGroup.cyclic(n)
    circ = _random_net(G, n, width, M, activation, bias, "auto", seed=1)
    assert circ.form == "circular"
    gen = GroupAveragedNetwork.from_weights(G, circ.W.detach(), circ.a.detach(),
                                            None if circ.b is None else circ.b.detach(),
                                            activation=activation, form="generic")
    assert gen.form == "generic"
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, n, 2))
    Xm = rng.standard_normal((M, 4, n, 2))
    ref = _brute_force(G, circ.W.detach().numpy(), circ.a.detach().numpy(),
                       None if circ.b is None else circ.b.detach().numpy(), X, activation)
    refm = _brute_force(G, circ.W.detach().numpy(), circ.a.detach().numpy(),
                        None if circ.b is None else circ.b.detach().numpy(), Xm, activation)
    for net in (circ, gen):
        np.testing.assert_allclose(net(torch.as_tensor(X)).detach().numpy(), ref, atol=1e-12)
        np.testing.assert_allclose(net(torch.as_tensor(Xm)).detach().numpy(), refm, atol=1e-12)


def test_circular_and_generic_gradients_agree():
    n = 8
    G = PermutationGroup.cyclic(n)
    circ = _random_net(G, n, 4, 2, "relu", True, "circular", seed=3)
    gen = GroupAveragedNetwork.from_weights(G, circ.W.detach(), circ.a.detach(), circ.b.detach(), form="generic")
    X = torch.randn(7, n, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    circ(X).pow(2).sum().backward()
    gen(X).pow(2).sum().backward()
    for p, q in zip(circ.parameters(), gen.parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("spec,form", [("cyclic:10", "circular"), ("dihedral:7", "generic"),
                                       ("blocks:cyclic:3+symmetric:3", "generic")])
def test_invariance_under_random_group_elements(spec, form):
    G = parse_group(spec)
    n = G.degree
    net = _random_net(G, n, 6, 2, "relu", True, "auto", seed=5)
    assert net.form == form
    X = np.random.default_rng(1).standard_normal((5, n, 3))
    y = net(torch.as_tensor(X)).detach().numpy()
    for g in G.random_elements(4, seed=2):
        yg = net(torch.as_tensor(act_on_rows(g, X))).detach().numpy()
        np.testing.assert_allclose(yg, y, atol=1e-12)
    # not invariant under a permutation outside G (sanity: the test can fail)
    if G.order < 720:
        swap = np.arange(n)
        swap[[0, 1]] = [1, 0]
        if not G.contains(swap):
            yg = net(torch.as_tensor(act_on_rows(swap, X))).detach().numpy()
            assert np.abs(yg - y).max() > 1e-6


def test_cyclic_detection_and_float32_speed_path():
    assert is_cyclic_shift_group(parse_group("gens:6:(0 1 2 3 4 5)"))
    assert is_cyclic_shift_group(parse_group("gens:6:(0 5 4 3 2 1)"))
    assert not is_cyclic_shift_group(parse_group("dihedral:6"))
    assert not is_cyclic_shift_group(parse_group("gens:6:(0 2 1 3 4 5)"))  # order 6, not the shift
    net = GroupAveragedNetwork(parse_group("gens:6:(0 5 4 3 2 1)"), 6, 3)
    assert net.form == "circular"
    assert net.W.dtype == torch.float32 and net(torch.randn(2, 6, 1)).shape == (1, 2)


def test_bad_inputs_raise_one_line_errors():
    G = PermutationGroup.cyclic(8)
    with pytest.raises(InvalidParameterError, match="acts on 8 points.*n == 9"):
        GroupAveragedNetwork(G, 9, 4)
    with pytest.raises(InvalidParameterError, match="form='circular' needs the cyclic"):
        GroupAveragedNetwork(PermutationGroup.dihedral(8), 8, 4, form="circular")
    with pytest.raises(InvalidParameterError, match="activation must be one of"):
        GroupAveragedNetwork(G, 8, 4, activation="tanh")
    with pytest.raises(InvalidParameterError, match="width == 0"):
        GroupAveragedNetwork(G, 8, 0)
    net = GroupAveragedNetwork(G, 8, 4, ensemble=2)
    with pytest.raises(InvalidParameterError, match=r"shape \[B, n, d\]"):
        net(torch.randn(3, 8))
    with pytest.raises(InvalidParameterError, match="7 rows"):
        net(torch.randn(3, 7, 1))
    with pytest.raises(InvalidParameterError, match="3 members"):
        net(torch.randn(3, 2, 8, 1))
    with pytest.raises(InvalidParameterError, match="a must have shape"):
        GroupAveragedNetwork.from_weights(G, np.zeros((8, 4)), np.zeros(5))
    for err in (InvalidParameterError,):
        assert issubclass(err, SymhardError)
