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


# ----------------------------------------------------------------------------- the family
from symhard.families import _alternating_relu as ar  # noqa: E402
from symhard.families import cnn as fam  # noqa: E402
from symhard.queries.arccos import network_gram  # noqa: E402


def test_relu_target_is_half_the_abs_network():
    """F_k^relu = ½ F_k^abs for even k: the abs network with a = (−1)^j/2 realizes f_V."""
    G = PermutationGroup.dihedral(6)
    V = fam.sample_frames(6, 3, seed=4)
    X = np.random.default_rng(0).standard_normal((20, 6, 2))
    ref = fam.target_values(V, G, 4, X)
    for activation in ("relu", "abs"):
        W, a = fam.network_weights(V, 4, activation)
        net = GroupAveragedNetwork.from_weights(G, W, a, activation=activation)
        np.testing.assert_allclose(net(torch.as_tensor(X)).detach().numpy(), ref, atol=1e-12)
    u = np.random.default_rng(1).standard_normal((50, 2))
    np.testing.assert_allclose(ar.F_k(u, 6, "relu"), 0.5 * ar.F_k(u, 6, "abs"), atol=1e-12)


def test_gram_group_reduction_matches_full_unit_expansion():
    """(d/|G|) Σ_u Φ(VᵀP_uU) equals the arc-cosine Gram of all |G|·2k units written out."""
    G = PermutationGroup.dihedral(5)
    k = 4
    V = fam.sample_frames(5, 3, seed=7)
    E = G.elements()
    forms = np.stack([np.concatenate([(V[i][np.argsort(g)] @ ar.directions(k)).T for g in E]) for i in range(3)])
    coefs = np.tile(ar.signs(k), len(E))[None].repeat(3, 0) / len(E)
    np.testing.assert_allclose(fam.gram_exact(V, G, k, d=2), 2 * network_gram(coefs, forms), rtol=1e-10, atol=1e-14)


def test_exact_gram_matches_monte_carlo():
    n, k, d = 6, 2, 2
    G = PermutationGroup.cyclic(n)
    V = fam.sample_frames(n, 3, seed=11)
    exact = fam.gram_exact(V, G, k, d)
    X = np.random.default_rng(3).standard_normal((60_000, n, d))
    F = fam.target_values(V, G, k, X)  # (3, N)
    prods = F[:, None, :] * F[None, :, :]
    mc = prods.mean(-1)
    se = prods.std(-1) / np.sqrt(X.shape[0])
    assert np.all(np.abs(mc - exact) < 5 * se + 1e-12), (mc, exact, se)


def test_norm_and_correlation_bounds_hold():
    """‖f_V‖² ≥ d‖F_k‖²(1 − (|G|−1)ν^k)/|G| ≥ d‖F_k‖²(1/|G| − ν^k) and |E f_V f_U| ≤ dμ^k‖F_k‖²."""
    for spec, n in (("cyclic:12", 12), ("dihedral:8", 8), ("trivial:5", 5)):
        G = parse_group(spec)
        for k in (2, 4):
            V = fam.sample_frames(n, 6, seed=n + k)
            gram = fam.gram_exact(V, G, k, d=1)
            F2 = ar.norm_sq(k)
            nus = fam.nu(V, G)
            sharp = F2 * (1 - (G.order - 1) * nus**k) / G.order
            assert np.all(np.diag(gram) >= sharp - 1e-12)
            assert np.all(sharp >= F2 * (1 / G.order - nus**k) - 1e-15)
            assert np.all(np.abs(gram) <= fam.mu(V, G) ** k * F2 + 1e-12)
    # the trivial group: f_V = F_k(Vᵀx), norm exactly ‖F_k‖²
    V = fam.sample_frames(5, 2, seed=0)
    np.testing.assert_allclose(np.diag(fam.gram_exact(V, PermutationGroup.trivial(5), 4)), ar.norm_sq(4), rtol=1e-12)


def test_certificate_and_pairwise_bound():
    cert = fam.certify(n=10, group="dihedral:10", k=4, members=6, seed=1, samples=8, tau=0.9)
    d = cert.to_dict()
    assert d["method"] == "exact" and d["members"] == 6
    assert d["realization_error"] < 1e-10
    gamma = d["max_offdiag_corr"]
    assert 0 < gamma < 1
    assert d["lower_bound"]["queries"] == pytest.approx((6 - 1) * (0.81 - gamma) / (1 - gamma))
    assert d["group_order"] == 20
    assert d["min_norm"] ** 2 == pytest.approx(d["min_norm_sq"])
    assert d["max_offdiag_corr"] <= d["corr_hermite_bound"] + 1e-12
    # too small a tolerance: no bound
    assert fam.certify(n=8, k=2, members=3, tau=0.01, samples=2).lower_bound.queries == 0.0


def test_family_bad_inputs():
    with pytest.raises(InvalidParameterError, match="acts on 12 points, but n == 10"):
        fam.certify(n=10, group="cyclic:12")
    with pytest.raises(InvalidParameterError, match="identically zero for odd k"):
        fam.certify(n=10, k=3)
    with pytest.raises(InvalidParameterError, match="k == 12 exceeds n == 10"):
        fam.certify(n=10, k=12)
    with pytest.raises(InvalidParameterError, match="activation must be one of"):
        fam.certify(n=10, activation="tanh")


def test_cnn_task_contract():
    from symhard.families.base import get_task

    hard = get_task("cnn")(8, "hard", 3)
    ctrl = get_task("cnn")(8, "control", 3)
    assert (hard.k, ctrl.k) == (4, 2) and hard.param_name == "n"
    gen = torch.Generator().manual_seed(0)
    (X,) = hard.sample_inputs(20_000, gen)
    (X2,) = ctrl.sample_inputs(20_000, torch.Generator().manual_seed(0))
    assert torch.equal(X, X2) and X.shape == (20_000, 8, 1)
    for task in (hard, ctrl):
        y = task.target(X)
        assert y.shape == (20_000,)
        assert abs(float((y.double() ** 2).mean()) - 1) < 0.1  # unit second moment (MC, loose)
        model = task.make_model(3, 16, torch.Generator().manual_seed(1))
        assert model(X[:5]).shape == (3, 5)
    with pytest.raises(InvalidParameterError, match="role must be"):
        get_task("cnn")(8, "easy", 0)
