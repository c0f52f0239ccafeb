"""Degree-histogram parities: exact GNN weights, degeneracies, exact vs brute force vs Monte Carlo,
the spectral identity behind the whole-class bound, the certified p_max (Clopper–Pearson with
Bonferroni) and its coverage, moments of the count, the task contract and the CLI's one-line errors."""

from __future__ import annotations

import itertools
import json

import math

import networkx as nx
import numpy as np
import pytest
import scipy.stats
import torch

from symhard.cli import main
from symhard.errors import DegenerateMemberError, InvalidParameterError
from symhard.families import gnn_degree_parity as dp
from symhard.families.base import get_task
from symhard.queries.distributions import ErdosRenyi, all_graphs, erdos_renyi_adjacency


def _brute_biases(n):
    """E[f_S] for all S by evaluating every graph (independent of the degree enumeration)."""
    A = all_graphs(n)
    deg = A.sum(-1)
    h = np.stack([(deg == i).sum(-1) for i in range(n)], -1)
    out = {}
    for r in range(1, n + 1):
        for S in itertools.combinations(range(n), r):
            out[S] = float(np.mean((-1.0) ** h[:, list(S)].sum(-1)))
    return out


def test_degree_histogram_against_networkx():
    A = erdos_renyi_adjacency(20, 9, 0.4, seed=1)
    h = dp.degree_histogram(A)
    for b in range(20):
        ref = nx.degree_histogram(nx.from_numpy_array(A[b]))
        assert list(h[b][: len(ref)]) == ref and h[b][len(ref):].sum() == 0, f"graph {b}"
    torch.testing.assert_close(dp.degree_histogram(torch.as_tensor(A, dtype=torch.float32)), torch.as_tensor(h))


@pytest.mark.parametrize("n", [4, 5, 6])
def test_exact_biases_equal_brute_force(n):
    brute = _brute_biases(n)
    exact = dp.exact_parity_biases(n)
    for S, b in brute.items():
        assert abs(exact[sum(1 << i for i in S)] - b) < 1e-12, f"S={S}"
    assert dp.parity_code_counts(n).sum() == 2 ** (n * (n - 1) // 2)


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_only_the_identity_parities_are_constant(n):
    ids = {tuple(v[0]) for v in dp.identity_degenerate_sets(n).values()}
    assert set(dp.constant_parities(n)) == ids
    if n <= 6:  # independently, by brute force
        assert {S for S, b in _brute_biases(n).items() if abs(b) == 1.0} == ids
    # and the constant values are the ones the identities give
    for name, (S, value) in dp.identity_degenerate_sets(n).items():
        assert dp.exact_parity_biases(n)[sum(1 << i for i in S)] == value, name


@pytest.mark.parametrize("n", [9, 20])
def test_parity_span_witness_reaches_n_minus_2(n):
    assert dp.parity_span_dimension(n, seed=0) == n - 2


@pytest.mark.parametrize("n", [4, 5])
def test_weights_compute_every_parity_on_every_graph(n):
    W = dp.central_window(n, dp.max_window(n))
    subsets = [S for r in range(1, n + 1) for S in itertools.combinations(range(n), r)]  # every S, even degenerate
    err, graphs, mode = dp.realization_error(n, subsets)
    assert (err, graphs, mode) == (0.0, 2 ** (n * (n - 1) // 2), "exhaustive")
    assert set(W) <= set(range(1, n - 1))


def test_weights_on_sampled_graphs_beyond_exhaustive():
    A = erdos_renyi_adjacency(300, 11, np.linspace(0.02, 0.98, 300), seed=3)
    net = dp.degree_parity_network(11, [(4, 5), (0,), (10,), (3, 6, 7)])
    At = torch.as_tensor(A, dtype=torch.float64)
    with torch.no_grad():
        out = net(torch.ones(300, 11, 1, dtype=torch.float64), At)
    deg = A.sum(-1)
    for m, S in enumerate([(4, 5), (0,), (10,), (3, 6, 7)]):
        ref = (-1.0) ** sum((deg == i).sum(-1) for i in S)
        assert np.array_equal(out[m].numpy(), ref), f"S={S}"


def test_windows_and_degenerate_subsets():
    assert dp.central_window(8, 4) == (2, 3, 4, 5)
    assert dp.central_window(7, 4) == (1, 2, 3, 4)
    assert [dp.max_window(n) for n in (4, 5, 6, 7, 8)] == [2, 2, 4, 4, 6]
    for n in range(4, 12):  # the largest window contains no degenerate set
        W = dp.central_window(n, dp.max_window(n))
        for r in range(1, len(W) + 1):
            for S in itertools.combinations(W, r):
                assert dp.degenerate_reason(n, S) is None, (n, S)
    with pytest.raises(InvalidParameterError, match="window == 5 is not possible for n == 7"):
        dp.central_window(7, 5)
    with pytest.raises(InvalidParameterError, match="n == 3, must be >= 4"):
        dp.max_window(3)
    for S in ([1, 3, 5, 7], [0, 2, 4, 6], list(range(8)), []):
        with pytest.raises(DegenerateMemberError, match="degenerate for n == 8"):
            dp.check_subset(8, S)
    assert dp.check_subset(8, "4,3") == (3, 4)
    with pytest.raises(InvalidParameterError, match="outside 0..7"):
        dp.check_subset(8, [9])


def test_monte_carlo_biases_within_standard_errors():
    W = dp.central_window(6, 3)
    exact, _, m1 = dp.window_biases(6, W, method="exact")
    mc, se, m2 = dp.window_biases(6, W, method="mc", samples=20000, seed=4)
    assert (m1, m2) == ("exact", "mc")
    assert np.all(np.abs(mc - exact)[1:] <= 4 * se[1:] + 1e-12)


def test_max_bias_shrinks_with_n():
    g = [np.max(np.abs(dp.window_biases(n, dp.central_window(n, 2), samples=20000, seed=n)[0][1:])) for n in (6, 9, 16)]
    assert g[0] > g[1] > g[2]
    assert g[2] < 0.04


def test_count_moments_against_enumeration():
    A = all_graphs(6)
    h = dp.degree_histogram(A)
    for S in [(2,), (2, 3), (1, 4, 5)]:
        c = h[:, list(S)].sum(-1).astype(float)
        mean, var = dp.count_moments(6, S)
        assert abs(mean - c.mean()) < 1e-12 and abs(var - c.var()) < 1e-10, S


def _brute_code_probabilities(n, W):
    """P(c = v) for the window code c = (h_i mod 2)_{i in W}, counted from the degree sequences directly."""
    deg = dp.enumerate_degrees(n)
    code = sum((((deg == i).sum(-1) % 2).astype(np.int64) << t) for t, i in enumerate(W))
    return np.bincount(code, minlength=2 ** len(W)) / deg.shape[0]


def test_certificate_exact_and_bound_formula():
    cert = dp.GNNDegreeParity().certificate(n=7, window=3, tau=0.9)
    W = dp.central_window(7, 3)
    brute = max(abs(b) for S, b in _brute_biases_window(7, W))
    p_max = _brute_code_probabilities(7, W).max()
    assert cert.method == "exact" and cert.members == 7 and cert.realization_error == 0.0
    assert abs(cert.max_offdiag_corr - brute) < 1e-12 and cert.min_norm == 1.0
    lb = cert.lower_bound
    assert lb.kind == "csq-spectral" and lb.inputs["m"] == 7
    assert lb.queries == pytest.approx((7 - 1) * 0.81 / (2**3 * p_max), rel=1e-12)
    assert cert.extra["p_max"] == cert.extra["p_max_upper"] == pytest.approx(p_max, rel=1e-12)
    assert cert.extra["confidence"] == 1.0
    # the gamma form of the counting lemma is kept as a cross-check
    assert cert.extra["bound_counting"]["queries"] == pytest.approx((7 - 1) * (0.81 - brute) / (1 - brute), rel=1e-9)
    assert cert.extra["parity_affine_dim"] == 5
    assert cert.params["window"] == 3 and set(cert.params) == {p.name for p in dp.GNNDegreeParity.params}


@pytest.mark.parametrize("n", [5, 6, 7])
def test_spectral_identity_eigenvalues_are_2w_times_code_probabilities(n):
    """[b(S xor T)] built from the exact biases has eigenvalues 2^w P(c = v) (numpy.linalg.eigvalsh)."""
    W = dp.central_window(n, dp.max_window(n))
    w = len(W)
    bias = np.zeros(2**w)
    for U in range(2**w):  # b(U) from the exact biases of all degrees, U over window positions
        bias[U] = dp.exact_parity_biases(n)[sum(1 << W[t] for t in range(w) if U >> t & 1)]
    M = bias[np.arange(2**w)[:, None] ^ np.arange(2**w)[None, :]]
    probs = _brute_code_probabilities(n, W)
    np.testing.assert_allclose(np.linalg.eigvalsh(M), np.sort(2**w * probs), atol=1e-12)
    # the class Gram matrix is the principal submatrix of the nonempty sets: lambda_max <= 2^w p_max
    C = M[1:, 1:]
    assert np.linalg.eigvalsh(C).max() <= 2**w * probs.max() + 1e-12
    spec = dp.window_spectrum(n, w)
    assert spec.lambda_bound == pytest.approx(2**w * probs.max(), rel=1e-12)
    np.testing.assert_allclose(dp.spectral_identity_matrix(spec.biases()[0]), M, atol=1e-12)


@pytest.mark.parametrize("n", [6, 7])
def test_default_window_is_the_best_bound_under_the_gamma_cap(n):
    sizes = range(1, dp.max_window(n) + 1)
    probs = {w: _brute_code_probabilities(n, dp.central_window(n, w)) for w in sizes}
    pmax = [probs[w].max() for w in sizes]
    assert all(a >= b - 1e-15 for a, b in zip(pmax, pmax[1:])), pmax  # nested windows: p_max only drops
    assert all(set(dp.central_window(n, w)) <= set(dp.central_window(n, w + 1)) for w in range(1, dp.max_window(n)))
    uncapped = dp.window_spectrum(n, max_gamma=1.0)
    assert len(uncapped.window) == dp.max_window(n) and uncapped.method == "exact"
    # under the cap: brute-force gamma (max |E f_U|) and score (2^w - 2)/(2^w p_max) for each window
    gamma = {w: max(abs(b) for _, b in _brute_biases_window(n, dp.central_window(n, w))) for w in sizes}
    score = {w: (2**w - 2) / (2**w * pmax[w - 1]) for w in sizes}
    best = max((w for w in sizes if gamma[w] <= 0.5), key=lambda w: (score[w], w))
    spec = dp.window_spectrum(n)
    assert len(spec.window) == best and spec.gamma()[0] <= 0.5


def test_clopper_pearson_upper_limit_is_the_exact_one_sided_limit():
    N, alpha = 500, 0.01
    k = np.array([0, 1, 7, 250, 499, 500])
    U = dp.clopper_pearson_upper(k, N, alpha)
    assert U[-1] == 1.0
    # definition: P(Bin(N, U) <= k) = alpha, and scipy's two-sided exact interval at 1 - 2 alpha
    np.testing.assert_allclose(scipy.stats.binom.cdf(k[:-1], N, U[:-1]), alpha, rtol=1e-6)
    for kk, u in zip(k[:-1], U[:-1]):
        ci = scipy.stats.binomtest(int(kk), N).proportion_ci(confidence_level=1 - 2 * alpha, method="exact")
        assert u == pytest.approx(ci.high, rel=1e-9)


def test_clopper_pearson_single_code_coverage():
    rng = np.random.default_rng(3)
    N, p, alpha = 400, 0.03, 0.1
    k = rng.binomial(N, p, size=20000)
    miss = np.mean(dp.clopper_pearson_upper(k, N, alpha) < p)
    assert miss <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / k.size)
    assert miss >= 0.25 * alpha  # not absurdly conservative


def test_p_max_upper_bound_coverage_on_a_known_distribution():
    """With a known multinomial law, p_max <= p_max_upper in at least `confidence` of the trials."""
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.ones(16))
    p_max = probs.max()
    confidence, trials, N = 0.8, 600, 3000
    counts = rng.multinomial(N, probs, size=trials)
    uppers = np.array([dp.p_max_upper_bound(c, confidence) for c in counts])
    cover = np.mean(uppers >= p_max)
    assert cover >= confidence - 3 * math.sqrt(confidence * (1 - confidence) / trials)
    assert np.mean(uppers - p_max) < 0.05  # and not vacuous
    # more codes in the Bonferroni correction can only raise the limit
    assert dp.p_max_upper_bound(counts[0], confidence, tests=64) >= dp.p_max_upper_bound(counts[0], confidence)


def test_monte_carlo_certificate_states_its_confidence_and_window_search():
    cert = dp.GNNDegreeParity().certificate(n=9, samples=20000, tau=0.2)
    d = cert.to_dict()
    w = d["params"]["window"]
    assert d["method"] == "mc" and d["members"] == 2**w - 1 and d["confidence"] == 0.95
    assert d["codes_tested"] == sum(2**v for v in range(1, dp.max_window(9) + 1))  # every candidate window
    assert d["p_max_upper"] >= d["p_max"] >= 2.0**-w
    assert d["lambda_max_bound"] == pytest.approx(2**w * d["p_max_upper"])
    if d["gram_lambda_max"] is not None:
        assert d["gram_lambda_max"] <= 2**w * d["p_max"] + 1e-9  # the empirical matrix obeys the identity too
    assert d["lower_bound"]["queries"] == pytest.approx((2**w - 2) * 0.04 / d["lambda_max_bound"], rel=1e-12)
    assert "0.95" in d["lower_bound"]["condition"] and "Bonferroni" in d["lower_bound"]["condition"]
    assert d["members_checked"] == min(16, 2**w - 1) and d["realization_error"] == 0.0


def test_subset_certificate_covers_the_window_class():
    cert = dp.GNNDegreeParity().certificate(n=7, window=3, subset="2,3")
    assert cert.members == 7 and cert.extra["members_checked"] == 1 and cert.params["subset"] == [2, 3]
    assert cert.extra["subset_in_window"] and cert.realization_error == 0.0
    brute = dict(_brute_biases_window(7, dp.central_window(7, 3)))[(2, 3)]
    assert cert.extra["subset_bias"] == pytest.approx(brute, abs=1e-12)


def _brute_biases_window(n, W):
    deg = dp.enumerate_degrees(n)
    for r in range(1, len(W) + 1):
        for S in itertools.combinations(W, r):
            yield S, float(np.mean((-1.0) ** sum((deg == i).sum(-1) for i in S)))


def test_task_contract():
    make = get_task("gnn-degree-parity")
    hard, ctrl = make(12, "hard", 3), make(12, "control", 3)
    X1, A1 = hard.sample_inputs(500, torch.Generator().manual_seed(0))
    X2, A2 = ctrl.sample_inputs(500, torch.Generator().manual_seed(0))
    assert torch.equal(A1, A2) and torch.equal(X1, X2) and X1.shape == (500, 12, 1)
    (A3,) = ErdosRenyi(12, 0.5).sample(500, torch.Generator().manual_seed(0), dtype="float32")
    assert torch.equal(A1, A3) and A1.dtype == torch.float32  # drawn through queries.distributions
    assert hard.input_actions == ("rows", "graph") and hard.group.degree == 12 and hard.group.order == math.factorial(12)
    y = hard.target(X1, A1)
    assert set(y.unique().tolist()) <= {-1.0, 1.0}
    yc = ctrl.target(X2, A2)
    assert abs(yc.pow(2).mean().item() - 1) < 0.15 and abs(yc.mean().item()) < 0.15
    assert set(hard.subset) <= set(dp.central_window(12, 4)) and 1 <= len(hard.subset) <= 2
    out = hard.make_model(3, 16, torch.Generator().manual_seed(1))(X1, A1)
    assert out.shape == (3, 500)
    with pytest.raises(InvalidParameterError, match="role"):
        make(12, "easy", 0)


def test_task_bound_is_the_certificate_bound_for_the_class_it_draws_from():
    make = get_task("gnn-degree-parity")
    cert = dp.GNNDegreeParity().certificate(n=12, window=4, tau=0.3)
    full = make(12, "hard", 0, max_subset=4)
    assert full.choices == 15 and full.lower_bound(0.3).queries == pytest.approx(cert.lower_bound.queries, rel=1e-12)
    pairs = make(12, "hard", 0)  # |S| <= 2: a sub-class of 4 + 6 members, same certified lambda bound
    lb = pairs.lower_bound(0.3)
    assert pairs.choices == 10 and lb.inputs["m"] == 10
    assert lb.queries == pytest.approx((10 - 1) * 0.09 / cert.extra["lambda_max_bound"], rel=1e-12)


def test_cli_json_and_one_line_errors(capsys):
    main(["check", "gnn-degree-parity", "--n", "6", "--window", "2", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["family"] == "gnn-degree-parity" and d["method"] == "exact" and "max_abs_bias" in d
    assert {"p_max", "p_max_upper", "confidence", "bound_counting"} <= set(d) and d["members"] == 3
    for argv, msg in ((["--n", "8", "--subset", "1,3,5,7"], "degenerate"), (["--n", "7", "--window", "5"], "not possible")):
        with pytest.raises(SystemExit) as e:
            main(["check", "gnn-degree-parity", *argv])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("symhard: error:") and msg in err and "\n" not in err


@pytest.mark.slow
def test_report_section_is_data_with_the_same_numbers():
    import inspect

    import symhard.families._degree_histogram as dh
    import symhard.families._degree_parity_bound as db
    import symhard.families._degree_parity_report as dr

    for module in (dp, dh, db, dr):
        assert "matplotlib" not in inspect.getsource(module)
    sec = dp.GNNDegreeParity().report_section(quick=True)
    assert not sec.problems() and sec.certificates[0].params["n"] == 8
    bias_panel, bound_panel = sec.figures[0].panels
    w2 = bias_panel.series[0]
    i = w2.x.index(6)
    assert w2.y[i] == pytest.approx(np.abs(dp.window_biases(6, dp.central_window(6, 2))[0][1:]).max())
    assert w2.yerr[i] == 0.0 and w2.yerr[w2.x.index(12)] > 0  # exact left of n = 7.5, Monte Carlo right
    spectral = bound_panel.series[0]
    j = spectral.x.index(7)
    spec = dp.window_spectrum(7)
    assert spectral.y[j] == pytest.approx((spec.members - 1) * 0.01 / (2 ** len(spec.window) * spec.p_max))
    assert bias_panel.yscale == bound_panel.yscale == "log" and "n (nodes)" == bias_panel.xlabel
