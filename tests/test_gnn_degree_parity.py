"""Degree-histogram parities: exact GNN weights, degeneracies, exact vs brute force vs Monte Carlo,
moments of the count, the task contract and the CLI's one-line errors."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest
import torch

from symhard.cli import main
from symhard.errors import DegenerateMemberError, InvalidParameterError
from symhard.families import gnn_degree_parity as dp
from symhard.families.base import get_task


def _brute_biases(n):
    """E[f_S] for all S by evaluating every graph (independent of the degree enumeration)."""
    A = dp.all_graphs(n)
    deg = A.sum(-1)
    h = np.stack([(deg == i).sum(-1) for i in range(n)], -1)
    out = {}
    for r in range(1, n + 1):
        for S in itertools.combinations(range(n), r):
            out[S] = float(np.mean((-1.0) ** h[:, list(S)].sum(-1)))
    return out


def test_degree_histogram_against_networkx():
    A = dp.sample_graphs(20, 9, 0.4, seed=1)
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
    A = dp.sample_graphs(300, 11, np.linspace(0.02, 0.98, 300), seed=3)
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
    A = dp.all_graphs(6)
    h = dp.degree_histogram(A)
    for S in [(2,), (2, 3), (1, 4, 5)]:
        c = h[:, list(S)].sum(-1).astype(float)
        mean, var = dp.count_moments(6, S)
        assert abs(mean - c.mean()) < 1e-12 and abs(var - c.var()) < 1e-10, S


def test_certificate_exact_and_bound_formula():
    cert = dp.GNNDegreeParity().certificate(n=7, window=3, tau=0.9)
    W = dp.central_window(7, 3)
    brute = max(abs(b) for S, b in _brute_biases_window(7, W))
    assert cert.method == "exact" and cert.members == 7 and cert.realization_error == 0.0
    assert abs(cert.max_offdiag_corr - brute) < 1e-12
    assert abs(cert.lower_bound.queries - (7 - 1) * (0.81 - brute) / (1 - brute)) < 1e-9
    assert cert.extra["parity_affine_dim"] == 5


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
    y = hard.target(X1, A1)
    assert set(y.unique().tolist()) <= {-1.0, 1.0}
    yc = ctrl.target(X2, A2)
    assert abs(yc.pow(2).mean().item() - 1) < 0.15 and abs(yc.mean().item()) < 0.15
    assert set(hard.subset) <= set(dp.central_window(12, 4)) and 1 <= len(hard.subset) <= 2
    out = hard.make_model(3, 16, torch.Generator().manual_seed(1))(X1, A1)
    assert out.shape == (3, 500)
    with pytest.raises(InvalidParameterError, match="role"):
        make(12, "easy", 0)


def test_cli_json_and_one_line_errors(capsys):
    main(["check", "gnn-degree-parity", "--n", "6", "--window", "2", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["family"] == "gnn-degree-parity" and d["method"] == "exact" and "max_abs_bias" in d
    for argv, msg in ((["--n", "8", "--subset", "1,3,5,7"], "degenerate"), (["--n", "7", "--window", "5"], "not possible")):
        with pytest.raises(SystemExit) as e:
            main(["check", "gnn-degree-parity", *argv])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("symhard: error:") and msg in err and "\n" not in err
