"""DKKZ targets on graphs: the arc-cosine formula at known points and against quadrature, exact
Gram against the Kronecker-form evaluation and Monte Carlo, weights against F_k, the slope k,
the Hermite correlation inequality and the certified packing (against scipy's Beta law and
brute force), the certificate's whole-class bound, the task contract, the report data and
one-line errors for bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import integrate

from symhard.cli import main
from symhard.errors import InvalidParameterError
from symhard.families import _alternating_relu as ar
from symhard.families import gnn_features as gf
from symhard.families.base import get_task
from symhard.queries.arccos import normalized, relu_pair_expectation
from symhard.queries.distributions import all_graphs
from symhard.queries.packing import packing_size, stiefel_overlap_log_tail


def test_arccos_formula_at_known_points_and_quadrature():
    sa, sb = 1.3, 0.7
    assert math.isclose(relu_pair_expectation(sa * sb, sa, sb), sa * sb / 2, rel_tol=1e-14)
    assert math.isclose(relu_pair_expectation(0.0, sa, sb), sa * sb / (2 * math.pi), rel_tol=1e-14)
    assert abs(relu_pair_expectation(-sa * sb, sa, sb)) < 1e-15
    rho = 0.37  # E[ReLU(a)ReLU(b)], a = sa z1, b = sb (rho z1 + sqrt(1-rho^2) z2), on the quadrant
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    val, _ = integrate.dblquad(
        lambda z2, z1: sa * z1 * sb * (rho * z1 + math.sqrt(1 - rho**2) * z2) * phi(z1) * phi(z2),
        0, 9, lambda z1: -rho * z1 / math.sqrt(1 - rho**2), 9, epsabs=1e-12, epsrel=1e-12)  # b > 0 region
    assert abs(relu_pair_expectation(rho * sa * sb, sa, sb) - val) < 1e-10


def test_measure_gram_equals_kronecker_forms_on_fixed_graphs():
    frames = ar.random_orthonormal_frame(7, 1, count=4)
    for A in (np.eye(5), np.ones((4, 4)), np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])):
        for k in (2, 4):
            lit = gf.fixed_graph_gram(frames, k, A)
            via, se = gf.raw_gram(frames, k, gf.overlap_measure(0, adjacency=A))
            np.testing.assert_allclose(via, lit, atol=1e-12, err_msg=f"A={A.shape}, k={k}")
            assert np.all(se == 0)


def test_norm_closed_forms():
    # no edges (A_hat = I): n independent copies, E f^2 = n ||F_k||^2 (+ cross terms E F_k = 0)
    for k in (2, 4, 6):
        m = gf.overlap_measure(0, adjacency=np.eye(5))
        assert math.isclose(gf.exact_norm_sq(k, m), 5 * ar.norm_sq(k) + 20 * 0.0, rel_tol=1e-12)
    # G(3, 1/2) with self-loops: average of the literal Gram over the 8 graphs
    frames = ar.random_orthonormal_frame(5, 2, count=3)
    A = all_graphs(3) + np.eye(3, dtype=np.uint8)
    avg = np.mean([gf.fixed_graph_gram(frames, 4, a) for a in A], axis=0)
    np.testing.assert_allclose(gf.raw_gram(frames, 4, gf.overlap_measure(3, 0.5))[0], avg, atol=1e-12)


def test_exact_gram_against_monte_carlo():
    frames = ar.random_orthonormal_frame(5, 3, count=3)
    exact, _ = gf.raw_gram(frames, 2, gf.overlap_measure(4, 0.5))
    mc = gf.mc_gram(frames, 2, 4, 0.5, samples=40000, seed=5)  # normalized, delta-method standard errors
    off = ~np.eye(3, dtype=bool)
    z = np.abs(mc.gram - normalized(exact))[off] / mc.stderr[off]
    assert np.all(z < 4.5), z
    np.testing.assert_allclose(mc.norms**2, np.diag(exact), rtol=0.04)  # E g² (relative sd about 1% here)
    # Monte Carlo over graphs for the measure agrees with the enumeration too
    m_mc = gf.overlap_measure(5, 0.5, method="mc", samples=3000, seed=6)
    g_mc, g_se = gf.raw_gram(frames, 4, m_mc)
    g_ex, _ = gf.raw_gram(frames, 4, gf.overlap_measure(5, 0.5))
    assert np.all(np.abs(g_mc - g_ex) <= 4.5 * g_se + 1e-12)


def test_weights_realize_the_target():
    rng = np.random.default_rng(7)
    frames = ar.random_orthonormal_frame(9, rng, count=3)
    X = rng.standard_normal((50, 5, 9))
    A = all_graphs(5)[rng.integers(0, 1024, 50)] + np.eye(5)
    W, a = gf.feature_weights(frames, 6)
    out = gf.OneHiddenLayerGNN.from_weights(torch.as_tensor(W), torch.as_tensor(np.tile(a, (3, 1))))(
        torch.as_tensor(X), torch.as_tensor(A)).detach().numpy()
    for m in range(3):  # independent: explicit F_k on the projected aggregated features
        ref = np.array([sum(ar.F_k(frames[m].T @ (A[b] @ X[b])[v], 6) for v in range(5)) for b in range(50)])
        np.testing.assert_allclose(out[m], ref, atol=1e-10, err_msg=f"member {m}")


@pytest.mark.parametrize("k", [2, 4, 6])
def test_correlation_scales_like_overlap_to_the_k(k):
    s, c = gf.overlap_curve(k, gf.overlap_measure(4, 0.5), d=12, s_values=np.geomspace(0.05, 0.2, 4), seed=k)
    slope = np.polyfit(np.log(s), np.log(np.abs(c)), 1)[0]
    assert abs(slope - k) < 0.1
    assert np.all(np.abs(c) <= 4 * s**k)  # |corr| <= n ||V^T U||^k, n = 4


@pytest.mark.parametrize("k", [2, 4, 6])
def test_hermite_inequality_on_random_pairs_and_its_tightness(k):
    """|corr(f_V, f_U)| <= C_k ||V^T U||^k on random pairs (exact), and the looseness at small s is ||F||²/||F^(k)||²."""
    for measure in (gf.overlap_measure(4, 0.5), gf.overlap_measure(0, adjacency=np.ones((3, 3)) + np.eye(3))):
        C, how = gf.gamma_constant(k, measure)
        assert how == "graph measure" and C <= ar.norm_sq(k) / ar.hermite_norm_sq(k, k) + 1e-12
        for d in (5, 9):
            frames = ar.random_orthonormal_frame(d, d + k, count=8)
            corr = normalized(gf.raw_gram(frames, k, measure)[0])
            s = np.linalg.norm(np.einsum("idp,jdq->ijpq", frames, frames), ord=2, axis=(2, 3))
            off = ~np.eye(8, dtype=bool)
            assert np.all(np.abs(corr[off]) <= C * s[off] ** k + 1e-13), (d, k)
        s_small = np.array([0.02])
        _, c = gf.overlap_curve(k, measure, d=8, s_values=s_small, seed=1)
        ratio = gf.correlation_bound(k, measure, s_small)[0] / c[0]
        assert ratio == pytest.approx(ar.norm_sq(k) / ar.hermite_norm_sq(k, k), rel=1e-2)
    # a sampled measure uses the graph-free constant, which dominates the exact one
    sampled = gf.overlap_measure(7, 0.5, method="mc", samples=200, seed=0)
    assert gf.gamma_constant(k, sampled) == (ar.norm_sq(k) / ar.hermite_norm_sq(k, k), "graph-free")


def test_stiefel_tail_against_scipy_beta_and_sampling():
    """2(1 - s²/2)^((d-2)/2) is twice the Beta(1, (d-2)/2) survival at s²/2, and bounds P(||V^T U|| > s)."""
    from scipy import stats

    s = np.linspace(0.05, 1.3, 26)
    for d in (3, 8, 33, 128):
        ref = np.log(2 * stats.beta(1, (d - 2) / 2).sf(s**2 / 2))
        np.testing.assert_allclose(stiefel_overlap_log_tail(d, s), ref, rtol=1e-10, atol=1e-12)
    d = 12
    V = ar.random_orthonormal_frame(d, 0)
    U = ar.random_orthonormal_frame(d, 1, count=20000)
    proj = np.einsum("dp,mdq->mpq", V, U)
    col = (proj**2).sum(1)[:, 0]  # ||P_V u_1||² of a uniform unit vector: Beta(1, (d-2)/2)
    assert stats.kstest(col, stats.beta(1, (d - 2) / 2).cdf).pvalue > 1e-3
    op = np.linalg.norm(proj, ord=2, axis=(1, 2))
    for level in (0.5, 0.7, 0.9):
        assert (op > level).mean() <= np.exp(stiefel_overlap_log_tail(d, level)) + 0.01


def test_packing_size_is_the_largest_certified_m():
    for log_p in np.log([3.0, 1.0, 0.9, 0.5, 0.1, 1e-3, 1e-6, 1e-9, 1e-14]):
        m = packing_size(float(log_p))
        p = math.exp(log_p)
        assert m == 1 or m * (m - 1) * p / 2 < 1
        assert (m + 1) * m * p / 2 >= 1 - 1e-9, (p, m)  # maximal
    for log_p in (-60.0, -300.0, -2000.0):  # huge packings: valid (m(m-1) < 2/p), exact enough
        m = packing_size(log_p)
        assert math.log(m) + math.log(m - 1) < math.log(2) - log_p
        assert math.log(m) > 0.49 * (math.log(2) - log_p) - 3
    assert packing_size(math.log(1e-6), cap=100) == 100
    # the probabilistic method, in the flesh: m(s) random frames are an s-packing with probability >= 1 - m(m-1)p/2
    d, s = 64, 0.5
    logp = float(stiefel_overlap_log_tail(d, s))
    m = packing_size(logp)
    assert m >= 3
    good = 0
    for t in range(200):
        F = ar.random_orthonormal_frame(d, t, count=m)
        ov = np.linalg.norm(np.einsum("idp,jdq->ijpq", F, F), ord=2, axis=(2, 3))[~np.eye(m, dtype=bool)]
        good += bool(ov.max() <= s)
    assert good / 200 >= 1 - m * (m - 1) * math.exp(logp) / 2 - 0.1


def test_certificate_exact_and_mc():
    fam = gf.GNNFeatures()
    cert = fam.certificate(d=8, k=4, n=4, members=6, tau=0.9)
    assert cert.method == "exact" and cert.realization_error < 1e-10
    assert abs(cert.extra["overlap_slope"] - 4) < 0.1
    assert cert.params == {"d": 8, "k": 4, "n": 4, "members": 6, "p": 0.5, "mc": False, "samples": 20000,
                           "tau": 0.9, "seed": 0}
    assert cert.extra["members_checked"] == 6 and cert.extra["max_corr_over_hermite_bound"] <= 1
    sampled = cert.extra["sampled"]
    g = sampled["gamma"]
    assert sampled["queries"] == pytest.approx((6 - 1) * (0.81 - g) / (1 - g), rel=1e-12)
    # min_norm: E g² relative to ||F_k||² E||A_hat||_F², with E||A_hat||_F² = n + n(n-1)p for G(n, p) + I
    assert cert.extra["frobenius_sq_A_hat"] == pytest.approx(4 + 12 * 0.5)
    assert cert.min_norm**2 == pytest.approx(cert.extra["norm_sq_raw"] / (ar.norm_sq(4) * 10))
    assert cert.min_norm >= 1  # A_hat >= 0: the node terms never cancel
    mc = fam.certificate(d=8, k=4, nodes=4, members=6, tau=0.9, mc=True, samples=4000)
    assert mc.extra["sampled"]["gamma_stderr"] > 0 and mc.extra["methods"]["max_offdiag_corr"] in ("mc", "exact")
    assert mc.method in ("mc", "mixed")
    # no edges: the node blocks are independent, so the normalized norm is exactly 1
    empty = gf.overlap_measure(0, adjacency=np.eye(5))
    assert gf.exact_norm_sq(4, empty) / (ar.norm_sq(4) * empty.frob_sq) == pytest.approx(1.0, rel=1e-12)


def test_whole_class_bound_is_the_counting_lemma_of_the_packing():
    """The packing numbers in the certificate, recomputed from the stated formulas."""
    cert = gf.GNNFeatures().certificate(d=128, k=4, n=4, members=8, tau=0.3)
    pk = cert.extra["packing"]
    s, m, gamma = pk["s"], pk["m"], pk["gamma"]
    q = (1 - s**2 / 2) ** ((128 - 2) / 2)
    assert m * (m - 1) * q < 1 <= (m + 1) * m * q + 1e-9  # the largest certified packing at level s
    C = pk["gamma_constant"]
    measure = gf.overlap_measure(4, 0.5)
    F2 = ar.norm_sq(4)
    assert C == pytest.approx(F2 * (measure.weights @ measure.r_values**4) / gf.exact_norm_sq(4, measure), rel=1e-12)
    assert gamma == pytest.approx(C * s**4, rel=1e-12)
    assert pk["queries"] == pytest.approx((m - 1) * (0.09 - gamma) / (1 - gamma), rel=1e-12)
    assert pk["queries"] >= 1 and pk["d_for_one_query"] <= 128
    # the certificate reports the larger of the two bounds, with the members of the one used
    if cert.extra["bound_used"] == "packing":
        assert cert.members == m and cert.lower_bound.queries >= cert.extra["sampled"]["queries"]
    else:
        assert cert.members == 8 and cert.lower_bound.queries >= pk["queries"]
    assert cert.lower_bound.inputs["m"] == cert.members


def test_task_contract():
    make = get_task("gnn-features")
    hard, ctrl = make(10, "hard", 1), make(10, "control", 1)
    assert hard.k == 6 and ctrl.k == 2 and hard.hidden_units == 12
    assert hard.group.order == 24 and hard.input_actions == ("rows", "graph")
    X, A = hard.sample_inputs(4000, torch.Generator().manual_seed(0))
    X2, A2 = ctrl.sample_inputs(4000, torch.Generator().manual_seed(0))
    assert X.shape == (4000, 4, 10) and A.shape == (4000, 4, 4) and X.dtype == torch.float32
    assert torch.equal(X, X2) and torch.equal(A, A2) and torch.all(torch.diagonal(A, dim1=1, dim2=2) == 1)
    assert torch.equal(A, A.transpose(1, 2)) and 0.4 < float((A.sum() - 4 * 4000) / (12 * 4000)) < 0.6
    for task in (hard, ctrl):
        y = task.target(X, A).double()
        assert abs(y.pow(2).mean().item() - 1) < 0.1, task.role
    perm = torch.tensor([2, 0, 3, 1])  # invariance of the target under relabelling the nodes
    y = hard.target(X, A)
    torch.testing.assert_close(hard.target(X[:, perm], A[:, perm][:, :, perm]), y, rtol=1e-5, atol=1e-5)
    assert hard.make_model(2, 32, torch.Generator().manual_seed(0))(X, A).shape == (2, 4000)
    lb = hard.lower_bound(0.3)
    assert lb is hard.lower_bound(0.3) and lb is ctrl.lower_bound(0.3)  # cached, and the hard class's bound
    assert lb.kind == "csq-counting" and lb.tau == 0.3


def test_report_section_is_data():
    import inspect

    from symhard.families import _gnn_features_report

    for module in (gf, _gnn_features_report):
        assert "matplotlib" not in inspect.getsource(module)
    section = gf.GNNFeatures().report_section(quick=True)
    assert section.problems() == []
    assert section.certificates and section.tables and len(section.figures) == 3
    for fig in section.figures:
        assert "gnn-features" in fig.title and "hard class" in fig.title
        for panel in fig.panels:
            assert panel.has_data() or panel.note


def test_bad_input_errors_and_cli(capsys):
    with pytest.raises(InvalidParameterError, match="k must be an even integer >= 2; got 3"):
        gf.GNNFeatures().certificate(d=8, k=3)
    with pytest.raises(InvalidParameterError, match="d must be an integer >= 2; got 1"):
        gf.GNNFeatures().certificate(d=1)
    with pytest.raises(InvalidParameterError, match="d >= 4"):
        gf.frames_with_overlap(np.eye(3)[:, :2], [0.5])
    for argv, msg in ((["--k", "5"], "k must be an even integer >= 2"), (["--d", "1"], "d must be an integer >= 2")):
        with pytest.raises(SystemExit) as e:
            main(["check", "gnn-features", *argv])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("symhard: error:") and msg in err and "\n" not in err
    for flag in ("--nodes", "--n"):
        main(["check", "gnn-features", "--d", "6", "--k", "2", flag, "3", "--members", "4", "--json"])
        d = json.loads(capsys.readouterr().out)
        assert d["family"] == "gnn-features" and d["method"] == "exact" and d["members_checked"] == 4
        assert d["params"]["n"] == 3 and "nodes" not in d["params"]
