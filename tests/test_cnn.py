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
    with pytest.raises(InvalidParameterError, match="a must have shape") as info:
        GroupAveragedNetwork.from_weights(G, np.zeros((8, 4)), np.zeros(5))
    assert isinstance(info.value, SymhardError) and "\n" not in str(info.value)  # one line, the project's error type


# ----------------------------------------------------------------------------- the family
from symhard.families import _alternating_relu as ar  # noqa: E402
from symhard.families import _cnn_gram  # noqa: E402
from symhard.families import cnn as fam  # noqa: E402
from symhard.queries.arccos import network_gram, normalized  # noqa: E402
from symhard.queries.packing import rademacher_log_tail  # noqa: E402


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
            np.testing.assert_allclose(fam.norm_sq_lower_bound(V, G, k), sharp, rtol=1e-12)
            assert np.all(np.diag(gram) >= sharp - 1e-12)
            assert np.all(sharp >= F2 * (1 / G.order - nus**k) - 1e-15)
            assert np.all(np.abs(gram) <= fam.mu(V, G) ** k * F2 + 1e-12)
            bound = fam.corr_upper_bound(V, G, k)  # inf where the norm bound is vacuous
            assert np.all(np.abs(normalized(gram)) <= bound + 1e-12)
    # the trivial group: f_V = F_k(Vᵀx), norm exactly ‖F_k‖², and the correlation bound is finite and holds
    V = fam.sample_frames(5, 6, seed=0)
    T = PermutationGroup.trivial(5)
    np.testing.assert_allclose(np.diag(fam.gram_exact(V, T, 4)), ar.norm_sq(4), rtol=1e-12)
    bound = fam.corr_upper_bound(V, T, 4)
    assert np.isfinite(bound).all() and np.all(np.abs(normalized(fam.gram_exact(V, T, 4))) <= bound + 1e-12)


def _frequency_projection(n: int, w: int) -> np.ndarray:
    """Π_ω from the cosine and sine vectors of frequency ω (written independently of the module)."""
    i = np.arange(n)
    B = np.stack([np.cos(2 * np.pi * w * i / n), np.sin(2 * np.pi * w * i / n)], 1)
    Q, _ = np.linalg.qr(B)
    return Q @ Q.T


@pytest.mark.parametrize("spec", ["cyclic:12", "dihedral:12", "dihedral:13"])
def test_orbit_packing_members(spec):
    """The sign-flip sub-class: Q_ε commutes with the group, members are frames of equal exact norm, cross
    overlaps are diagonal, and the exact correlations obey γ(μ) = d μ^k ‖F_k‖²/‖f_V0‖²."""
    G = parse_group(spec)
    n, k, d = G.degree, 4, 2
    pk = _cnn_gram.orbit_packing(G, k, d, seed=3)
    assert pk is not None and len(pk.freqs[0]) + len(pk.freqs[1]) == (n + 1) // 2 - 1
    rng = np.random.default_rng(0)
    signs = [(rng.choice([-1, 1], len(pk.freqs[0])), rng.choice([-1, 1], len(pk.freqs[1]))) for _ in range(6)]
    for sa, sb in signs[:2]:
        Q = np.eye(n)
        for w, e in zip(pk.freqs[0] + pk.freqs[1], np.concatenate([sa, sb])):
            Q += (e - 1) * _frequency_projection(n, w)
        np.testing.assert_allclose(Q @ pk.V0, pk.member(sa, sb), atol=1e-12)
        for g in G.elements():
            P = np.eye(n)[g]
            np.testing.assert_allclose(P @ Q, Q @ P, atol=1e-12)
    V = np.stack([pk.member(sa, sb) for sa, sb in signs])
    np.testing.assert_allclose(np.einsum("inp,inq->ipq", V, V), np.broadcast_to(np.eye(2), (6, 2, 2)), atol=1e-12)
    gram = fam.gram_exact(V, G, k, d)
    np.testing.assert_allclose(np.diag(gram), pk.norm_sq, rtol=1e-10)
    cross = _cnn_gram._cross_blocks(V, V, G)
    np.testing.assert_allclose(cross[..., 0, 1], 0, atol=1e-12)
    np.testing.assert_allclose(cross[..., 1, 0], 0, atol=1e-12)
    mus = fam.mu(V, G)
    off = ~np.eye(6, dtype=bool)
    assert np.all(np.abs(normalized(gram))[off] <= d * mus[off] ** k * ar.norm_sq(k) / pk.norm_sq + 1e-12)


def test_orbit_packing_tail_against_exact_enumeration():
    """P(|X_a(u)| > s) ≤ 2exp(−s²/(2Σ_ω t_ω(u)²)) for every u, with the exact law of X_a(u) = (V0ᵀ P_u Q_η V0)_aa
    over all sign vectors η (enumerated), and the union over u and columns bounds P(μ > s)."""
    G = parse_group("dihedral:24")
    pk = _cnn_gram.orbit_packing(G, 4, 1, seed=0)
    A, B = len(pk.freqs[0]), len(pk.freqs[1])
    etas = np.array(np.meshgrid(*[[-1, 1]] * A)).reshape(A, -1).T  # all 2^|A| sign vectors on A
    members = np.stack([pk.member(e, np.ones(B)) for e in etas])
    X = _cnn_gram._cross_blocks(pk.V0[None], members, G)[0, ..., 0, 0]  # [2^|A|, |G|]
    var = _cnn_gram.hoeffding_variances(pk, G)[:, 0]
    informative = 0
    for s in (0.5, 0.7, 0.9):
        bound = np.exp(rademacher_log_tail(var, s))
        exact = (np.abs(X) > s).mean(0)
        assert np.all(exact <= bound + 1e-12), s
        informative += int((bound < 1).sum())
    assert informative > 0  # the per-element bounds are below 1 somewhere (the check can fail)
    total = float(np.exp(_cnn_gram.pair_log_tail(pk, G, 0.9))[0])
    assert total == pytest.approx(np.exp(rademacher_log_tail(_cnn_gram.hoeffding_variances(pk, G), 0.9)).sum())
    # Hoeffding itself, against the exact law of a small Rademacher sum
    c = np.array([0.5, 0.3, 0.3, 0.2, 0.1])
    eps = np.array(np.meshgrid(*[[-1, 1]] * 5)).reshape(5, -1).T
    Y = eps @ c
    for t in (0.3, 0.6, 0.9, 1.2):
        assert (np.abs(Y) >= t).mean() <= np.exp(rademacher_log_tail((c**2).sum(), t)) + 1e-12


def test_packing_availability():
    assert _cnn_gram.in_dihedral(parse_group("cyclic:9")) and _cnn_gram.in_dihedral(parse_group("dihedral:10"))
    assert _cnn_gram.in_dihedral(parse_group("gens:6:(0 5 4 3 2 1)"))
    assert not _cnn_gram.in_dihedral(parse_group("gens:6:(0 2 1 3 4 5)"))
    assert _cnn_gram.orbit_packing(parse_group("symmetric:5"), 4) is None
    assert _cnn_gram.orbit_packing(parse_group("cyclic:4"), 4) is None  # one frequency class only
    cert = fam.certify(n=6, group="symmetric:6", k=4, members=4, samples=2)
    assert cert.extra["packing"]["available"] is False and cert.extra["bound_used"] == "sampled"


def test_certificate_and_pairwise_bound():
    cert = fam.certify(n=10, group="dihedral:10", k=4, members=6, seed=1, samples=8, tau=0.9)
    d = cert.to_dict()
    assert d["method"] == "exact" and d["members_checked"] == 6
    assert d["params"] == {"n": 10, "group": "dihedral:10", "k": 4, "members": 6, "tau": 0.9, "seed": 1,
                           "activation": "relu", "d": 1, "samples": 8}
    assert d["realization_error"] < 1e-10
    gamma = d["sampled"]["gamma"]
    assert 0 < gamma < 1
    assert d["sampled"]["queries"] == pytest.approx((6 - 1) * (0.81 - gamma) / (1 - gamma))
    assert d["bound_used"] == "sampled" and d["members"] == 6  # the packing is vacuous at n = 10
    assert d["packing"]["available"] and d["packing"]["log10_queries"] is None and d["packing"]["note"]
    assert d["lower_bound"]["queries"] == d["sampled"]["queries"]
    assert d["group_order"] == 20
    # min_norm is relative to the un-averaged block: ‖f_V‖² / (d ‖F_k‖²)
    assert d["min_norm"] ** 2 == pytest.approx(d["min_norm_sq_raw"] / ar.norm_sq(4))
    assert d["max_offdiag_corr"] <= d["corr_hermite_bound"] + 1e-12
    # the Hermite norm bound is negative here, and flagged as vacuous with a reason
    assert d["norm_sq_lower_bound_min"] < 0 and d["norm_sq_lower_bound_vacuous"] is True
    assert "nu" in d["norm_sq_lower_bound_note"]
    # too small a tolerance: no bound
    assert fam.certify(n=8, k=2, members=3, tau=0.01, samples=2).lower_bound.queries == 0.0


def test_report_section_is_data():
    import inspect

    from symhard.families import _cnn_report

    for module in (fam, _cnn_report, _cnn_gram):
        assert "matplotlib" not in inspect.getsource(module)
    section = fam.CNNFamily().report_section(quick=True)
    assert section.problems() == [] and section.tables and section.certificates
    for fig in section.figures:
        assert "cnn" in fig.title and "hard class" in fig.title
        for panel in fig.panels:
            assert panel.has_data() or panel.note


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
    assert hard.group.name == "cyclic:8" and hard.input_actions == ("rows",)
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
    g = hard.group.random_elements(1, seed=0)[0]
    torch.testing.assert_close(hard.target(X[:, np.argsort(g)]), hard.target(X), rtol=1e-5, atol=1e-6)
    lb = hard.lower_bound(0.5)
    assert lb is ctrl.lower_bound(0.5) and lb.kind == "csq-counting" and lb.tau == 0.5  # cached; the hard class
    with pytest.raises(InvalidParameterError, match="role must be"):
        get_task("cnn")(8, "easy", 0)


def test_whole_class_bound_is_genuinely_vacuous_at_n_64():
    """Recomputed from the stated formulas: at every overlap level either the packing certifies one member
    or γ(s) ≥ τ², so the certificate must fall back on the sampled frames."""
    from symhard.queries.packing import packing_size

    G = parse_group("cyclic:64")
    cert = fam.certify(n=64, k=4, members=8, samples=2, tau=0.9)
    pk = _cnn_gram.orbit_packing(G, 4, 1, seed=0)
    var = _cnn_gram.hoeffding_variances(pk, G).reshape(-1)
    for s in _cnn_gram.S_GRID:
        p = float(np.sum(2 * np.exp(-(s**2) / (2 * var))))
        m = packing_size(np.log(p))
        gamma = min(1.0, s**4 * ar.norm_sq(4) / pk.norm_sq)
        assert m == 1 or gamma >= 0.81, s
    assert cert.extra["packing"]["log10_queries"] is None and cert.extra["bound_used"] == "sampled"
    assert cert.extra["packing"]["orbit_norm_sq"] == pytest.approx(pk.norm_sq)
