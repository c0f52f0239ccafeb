"""DKKZ targets on graphs: the arc-cosine formula at known points and against quadrature, exact
Gram against the Kronecker-form evaluation and Monte Carlo, weights against F_k, the slope k,
the task contract and one-line errors for bad input."""

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
from symhard.queries.arccos import relu_pair_expectation


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
            via, se = gf.exact_gram(frames, k, gf.overlap_measure(0, adjacency=A))
            np.testing.assert_allclose(via, lit, atol=1e-12, err_msg=f"A={A.shape}, k={k}")
            assert np.all(se == 0)


def test_norm_closed_forms():
    # no edges (A_hat = I): n independent copies, E f^2 = n ||F_k||^2 (+ cross terms E F_k = 0)
    for k in (2, 4, 6):
        m = gf.overlap_measure(0, adjacency=np.eye(5))
        assert math.isclose(gf.exact_norm_sq(k, m), 5 * ar.norm_sq(k) + 20 * 0.0, rel_tol=1e-12)
    # G(3, 1/2) with self-loops: average of the literal Gram over the 8 graphs
    frames = ar.random_orthonormal_frame(5, 2, count=3)
    A = gf.all_graphs(3) + np.eye(3, dtype=np.uint8)
    avg = np.mean([gf.fixed_graph_gram(frames, 4, a) for a in A], axis=0)
    np.testing.assert_allclose(gf.exact_gram(frames, 4, gf.overlap_measure(3, 0.5))[0], avg, atol=1e-12)


def test_exact_gram_against_monte_carlo():
    frames = ar.random_orthonormal_frame(5, 3, count=3)
    exact, _ = gf.exact_gram(frames, 2, gf.overlap_measure(4, 0.5))
    mc, se = gf.mc_gram(frames, 2, 4, 0.5, samples=40000, seed=5)
    z = np.abs(mc - exact) / se
    assert np.all(z < 4.5), z
    # Monte Carlo over graphs for the measure agrees with the enumeration too
    m_mc = gf.overlap_measure(5, 0.5, method="mc", samples=3000, seed=6)
    g_mc, g_se = gf.exact_gram(frames, 4, m_mc)
    g_ex, _ = gf.exact_gram(frames, 4, gf.overlap_measure(5, 0.5))
    assert np.all(np.abs(g_mc - g_ex) <= 4.5 * g_se + 1e-12)


def test_weights_realize_the_target():
    rng = np.random.default_rng(7)
    frames = ar.random_orthonormal_frame(9, rng, count=3)
    X = rng.standard_normal((50, 5, 9))
    A = gf.all_graphs(5)[rng.integers(0, 1024, 50)] + np.eye(5)
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


def test_certificate_exact_and_mc():
    fam = gf.GNNFeatures()
    cert = fam.certificate(d=8, k=4, nodes=4, members=6, tau=0.9)
    assert cert.method == "exact" and cert.realization_error < 1e-10
    assert abs(cert.extra["overlap_slope"] - 4) < 0.1
    assert abs(cert.lower_bound.queries - (6 - 1) * (0.81 - cert.max_offdiag_corr) / (1 - cert.max_offdiag_corr)) < 1e-12
    mc = fam.certificate(d=8, k=4, nodes=4, members=6, tau=0.9, mc=True, samples=4000)
    assert mc.method == "mc" and mc.max_offdiag_corr_stderr > 0


def test_task_contract():
    make = get_task("gnn-features")
    hard, ctrl = make(10, "hard", 1), make(10, "control", 1)
    assert hard.k == 6 and ctrl.k == 2 and hard.hidden_units == 12
    X, A = hard.sample_inputs(4000, torch.Generator().manual_seed(0))
    X2, A2 = ctrl.sample_inputs(4000, torch.Generator().manual_seed(0))
    assert torch.equal(X, X2) and torch.equal(A, A2) and torch.all(torch.diagonal(A, dim1=1, dim2=2) == 1)
    for task in (hard, ctrl):
        y = task.target(X, A).double()
        assert abs(y.pow(2).mean().item() - 1) < 0.1, task.role
    assert hard.make_model(2, 32, torch.Generator().manual_seed(0))(X, A).shape == (2, 4000)


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
    main(["check", "gnn-features", "--d", "6", "--k", "2", "--nodes", "3", "--members", "4", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["family"] == "gnn-features" and d["method"] == "exact" and d["members"] == 4
