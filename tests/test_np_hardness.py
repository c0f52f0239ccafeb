"""Tests for the 1-in-3-SAT -> GNN-consistency reduction (symhard.reductions).

References used, independent of the code under test: brute-force enumeration of all 2^n
assignments (1-in-3 semantics with multiplicity), a plain numpy evaluation of 1ᵀReLU(AXw),
hand-made instances whose status is argued in the comments, and data sets generated from known
weights (realizable by construction).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from symhard.cli import main
from symhard.errors import InstanceFormatError, InvalidParameterError
from symhard.reductions import (
    APPROXIMATION_GAP,
    GraphDataset,
    OneInThreeInstance,
    assignment_to_weights,
    check_random,
    evaluate_gnn,
    max_label_error,
    parse_dimacs,
    random_instance,
    read_dimacs,
    reduce_instance,
    satisfies,
    solve_consistency,
    solve_sat,
    to_dimacs,
    weights_to_assignment,
)
from symhard.reductions.np_hardness import SAT_ENCODINGS, to_smtlib


# ---------------------------------------------------------------------------------------------
# independent references


def brute_force_solutions(n: int, clauses) -> np.ndarray:
    """All satisfying assignments [k, n] by enumeration; a clause holds iff exactly one of its
    three literal positions is true (positions counted with multiplicity)."""
    A = np.array(list(itertools.product([False, True], repeat=n)), dtype=bool)  # [2^n, n]
    c = np.asarray(clauses, dtype=np.int64).reshape(-1, 3)
    truth = A[:, np.abs(c) - 1] == (c > 0)  # [2^n, m, 3]
    ok = np.all(truth.sum(axis=2) == 1, axis=1)
    return A[ok]


def numpy_gnn(A: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """f(X, A) = 1ᵀ ReLU(A X w) per graph, written out: A[G,n,n], X[G,n,d], w[d] -> [G]."""
    return np.maximum(np.einsum("guv,gvk,k->gu", A, X, w), 0.0).sum(axis=1)


SAT_HAND = [
    # (n, clauses): satisfiable, solutions listed by brute force
    (3, [[1, 2, 3], [-1, 2, -3]]),
    (4, [[1, 2, 3], [2, 3, 4], [-1, 4, 2]]),  # x = (T, F, F, T)
    (2, [[1, -1, 2]]),  # x1, ¬x1 contribute exactly one true position, so x2 must be false
    (2, [[1, 1, 2]]),  # x1 twice: x1 false and x2 true
    (3, [[1, -1, -1], [2, 3, -3]]),  # x1 true; x2 false
]
UNSAT_HAND = [
    (1, [[1, 1, 1]]),  # 0 or 3 true positions, never 1
    (2, [[1, 2, 2], [-1, -2, -2]]),  # first forces x1=T,x2=F; second forces x1=F,x2=T
    # all four triples of {1,2,3,4}: x1 true kills {2,3,4}; x1 false needs x2⊕x3, x2⊕x4, x3⊕x4 (odd cycle)
    (4, [[1, 2, 3], [1, 2, 4], [1, 3, 4], [2, 3, 4]]),
    (3, [[1, 2, 3], [-1, -2, -3]]),  # one true and exactly one false out of three: impossible
]


# ---------------------------------------------------------------------------------------------
# hand-made instances


@pytest.mark.parametrize("n,clauses", SAT_HAND + UNSAT_HAND)
def test_hand_made_instances_all_deciders_agree_with_brute_force(n, clauses):
    inst = OneInThreeInstance(n, np.array(clauses))
    expected = brute_force_solutions(n, clauses)
    is_sat = len(expected) > 0
    assert ((n, clauses) in SAT_HAND) == is_sat, "hand-made status contradicts brute force"
    for enc in ("pairwise", "seqcounter", "totalizer"):
        a = solve_sat(inst, encoding=enc)
        assert (a is not None) == is_sat, f"encoding={enc}"
        if a is not None:
            assert any(np.array_equal(a, s) for s in expected), f"encoding={enc} returned a non-solution {a}"
    res = solve_consistency(reduce_instance(inst))
    assert res.consistent == is_sat
    if is_sat:
        a = weights_to_assignment(res.weights)
        assert any(np.array_equal(a, s) for s in expected)
    else:
        assert res.weights is None and len(res.unsat_core) >= 1


def test_all_sat_encodings_count_repeated_literals_with_multiplicity():
    # (x1, x1, x2) forces x1=F, x2=T; (x2, ¬x3, ¬x3) then needs x3=T; (x3, x4, ¬x4) needs x3=F
    # (x4, ¬x4 give one true position): unsatisfiable. Dropping the last clause makes it satisfiable.
    for clauses in ([[1, 1, 2], [2, -3, -3], [3, 4, -4]], [[1, 1, 2], [2, -3, -3]]):
        expected = len(brute_force_solutions(4, clauses)) > 0
        assert expected == (len(clauses) == 2)
        inst = OneInThreeInstance(4, np.array(clauses))
        for enc in SAT_ENCODINGS:
            a = solve_sat(inst, encoding=enc)
            assert (a is not None) == expected, enc
            assert a is None or satisfies(inst, a), enc


def test_gadget_exhaustive_consistent_sign_vectors_are_exactly_the_solutions():
    # every w = (1, ±1, ..., ±1): the GNN fits all labels iff the signs satisfy the formula
    n, clauses = 5, [[1, 2, -3], [-2, 4, 5], [3, -4, 1], [5, 5, -1]]
    inst = OneInThreeInstance(n, np.array(clauses))
    data = reduce_instance(inst)
    signs = np.array(list(itertools.product([False, True], repeat=n)))
    W = np.concatenate([np.ones((len(signs), 1)), np.where(signs, 1.0, -1.0)], axis=1)  # [32, 6]
    fits = np.all(np.maximum(np.einsum("guv,gvk,sk->sgu", data.adjacency, data.features, W), 0).sum(2) == 1, axis=1)
    sols = {tuple(s) for s in brute_force_solutions(n, clauses)}
    assert {tuple(s) for s, f in zip(signs, fits) if f} == sols
    assert len(sols) > 0


def test_reduction_structure():
    inst = OneInThreeInstance(3, np.array([[1, -2, 3], [2, 2, -1]]))
    d = reduce_instance(inst)
    assert (d.n_graphs, d.dim) == (1 + 3 + 2, 4)
    np.testing.assert_array_equal(d.labels, np.ones(6))
    # bias node e_0, one node, self-loop
    np.testing.assert_array_equal(d.features[0, 0], [1, 0, 0, 0])
    assert d.node_mask[0].tolist() == [True, False]
    # variable gadget for x2: nodes e_2, -e_2, self-loops, no edge between them
    np.testing.assert_array_equal(d.features[2], [[0, 0, 1, 0], [0, 0, -1, 0]])
    np.testing.assert_array_equal(d.adjacency[2], np.eye(2))
    # clause gadgets: 2 e_0 + signed literals, coefficients add up for a repeated variable
    np.testing.assert_array_equal(d.features[4, 0], [2, 1, -1, 1])
    np.testing.assert_array_equal(d.features[5, 0], [2, -1, 2, 0])
    assert d.gadget.tolist() == [0, 1, 1, 1, 2, 2]


def test_evaluate_gnn_matches_numpy_reference(rng):
    inst = random_instance(6, 5, seed=3)
    d = reduce_instance(inst)
    w = rng.normal(size=d.dim)
    np.testing.assert_allclose(evaluate_gnn(d, w), numpy_gnn(d.adjacency, d.features, w), rtol=0, atol=1e-12)
    # the same function as the library's GNN architecture with W = w[:, None], a = [1]
    import torch

    from symhard.models.gnn import one_hidden_layer_gnn

    net = one_hidden_layer_gnn(torch.from_numpy(d.features), torch.from_numpy(d.adjacency),
                               torch.from_numpy(w)[:, None], torch.ones(1, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(evaluate_gnn(d, w), net, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# witness maps


def test_witness_maps_round_trip():
    A = np.array(list(itertools.product([False, True], repeat=6)))
    for a in A:
        w = assignment_to_weights(a)
        assert w[0] == 1.0 and np.all(np.abs(w[1:]) == 1)
        np.testing.assert_array_equal(weights_to_assignment(w), a)
        np.testing.assert_array_equal(assignment_to_weights(weights_to_assignment(w)), w)


def test_forward_witness_fits_every_label_for_every_solution():
    n, clauses = 6, [[1, 2, 3], [-3, 4, 5], [5, -6, 1], [2, -4, -6]]  # 3 solutions
    data = reduce_instance(OneInThreeInstance(n, np.array(clauses)))
    sols = brute_force_solutions(n, clauses)
    assert len(sols) > 0
    for s in sols:
        assert max_label_error(data, assignment_to_weights(s)) == 0.0
        np.testing.assert_array_equal(numpy_gnn(data.adjacency, data.features, assignment_to_weights(s)), 1.0)


def test_robustness_lemma_rounding_approximate_weights(rng):
    # If every label is fit to within eta < 1/3, the signs of w satisfy the formula. Probe it with
    # perturbations of all ±1 sign vectors (satisfying or not) and of scaled copies.
    n, clauses = 5, [[1, 2, 3], [-1, 4, 5], [2, -3, -5], [4, 4, -1]]
    inst = OneInThreeInstance(n, np.array(clauses))
    data = reduce_instance(inst)
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    base = np.concatenate([np.ones((len(signs), 1)), signs], axis=1)
    W = np.repeat(base, 200, axis=0) * rng.uniform(0.9, 1.1, size=(len(base) * 200, 1 + n))
    W += rng.normal(scale=0.02, size=W.shape)
    err = np.abs(np.maximum(np.einsum("guv,gvk,sk->sgu", data.adjacency, data.features, W), 0).sum(2) - 1).max(1)
    close = err < APPROXIMATION_GAP
    assert close.sum() > 50 and (~close).sum() > 50  # both sides of the gap are probed
    sols = {tuple(s) for s in brute_force_solutions(n, clauses)}
    assert all(tuple(W[i, 1:] > 0) in sols for i in np.flatnonzero(close))
    # and the gap is tight for one clause in isolation: eta = 1/3 admits a non-solution
    one = reduce_instance(OneInThreeInstance(3, np.array([[1, 2, 3]])))
    w_bad = np.array([2 / 3, 2 / 3, 2 / 3, -4 / 3])  # two literals true
    assert max_label_error(one, w_bad) == pytest.approx(1 / 3)
    assert not satisfies(one.instance, weights_to_assignment(w_bad))


def test_witness_map_errors():
    with pytest.raises(InvalidParameterError, match="1-D"):
        weights_to_assignment([1.0])
    with pytest.raises(InvalidParameterError, match="0/1"):
        assignment_to_weights([0, 2])
    d = reduce_instance(OneInThreeInstance(3, np.array([[1, 2, 3]])))
    with pytest.raises(InvalidParameterError, match=r"shape \(4,\)"):
        evaluate_gnn(d, np.ones(3))


# ---------------------------------------------------------------------------------------------
# the z3 decision on data sets that are not gadgets


def test_z3_finds_weights_for_realizable_generic_data(rng):
    # random graphs with edges, non-integer (dyadic) features, labels from a hidden w*
    G, n, d = 12, 4, 3
    A = (rng.random((G, n, n)) < 0.4).astype(float)
    A = np.maximum(A, A.transpose(0, 2, 1))
    A[:, np.arange(n), np.arange(n)] = 1.0
    X = np.round(rng.normal(size=(G, n, d)) * 8) / 8
    w_star = np.array([0.5, -1.25, 0.75])
    y = numpy_gnn(A, X, w_star)
    data = GraphDataset(A, X, np.ones((G, n), bool), y)
    res = solve_consistency(data)
    assert res.consistent
    np.testing.assert_allclose(numpy_gnn(A, X, res.weights), y, atol=1e-9)


def test_z3_refutes_unrealizable_generic_data():
    # ReLU sums are >= 0: a negative label cannot be fit; and the same graph cannot get two labels
    A = np.ones((2, 1, 1))
    X = np.array([[[0.5, 1.0]], [[0.5, 1.0]]])
    res = solve_consistency(GraphDataset(A, X, np.ones((2, 1), bool), np.array([0.25, 0.5])))
    assert not res.consistent and res.unsat_core == [0, 1]
    res = solve_consistency(GraphDataset(A[:1], X[:1], np.ones((1, 1), bool), np.array([-1.0])))
    assert not res.consistent and res.unsat_core == [0]
    res = solve_consistency(GraphDataset(A[:1], X[:1], np.ones((1, 1), bool), np.array([0.375])))
    assert res.consistent and abs(numpy_gnn(A[:1], X[:1], res.weights)[0] - 0.375) < 1e-12


def test_smtlib_script_replays_in_a_fresh_solver():
    import z3
    data = reduce_instance(OneInThreeInstance(2, np.array([[1, 2, 2], [-1, -2, -2]])))
    s = z3.Solver()
    s.from_string(to_smtlib(data))
    assert s.check() == z3.unsat


# ---------------------------------------------------------------------------------------------
# random instances and the machine check


def test_random_instance_properties():
    a = random_instance(8, 40, seed=5)
    b = random_instance(8, 40, seed=5)
    assert a == b and a != random_instance(8, 40, seed=6)
    c = a.clauses
    assert c.shape == (40, 3) and np.all((np.abs(c) >= 1) & (np.abs(c) <= 8))
    v = np.sort(np.abs(c), axis=1)
    assert np.all(np.diff(v, axis=1) > 0), "variables in a clause must be distinct"
    assert np.all(random_instance(8, 40, negation_prob=0.0, seed=1).clauses > 0)
    assert random_instance(8, seed=0).n_clauses == 6  # round(0.75 * 8)
    with pytest.raises(InvalidParameterError, match="n_vars"):
        random_instance(2)


def test_check_random_agrees_and_matches_brute_force():
    rep = check_random(30, 8, seed=1)
    assert rep.ok and rep.failures == []
    assert rep.agree == 30 and rep.satisfiable == rep.consistent
    assert rep.witnesses_checked == 2 * rep.satisfiable == rep.witnesses_ok
    # recount satisfiable instances by brute force on the same stream
    rng = np.random.default_rng(1)
    count = sum(len(brute_force_solutions(8, random_instance(8, ratio=0.75, seed=rng).clauses)) > 0 for _ in range(30))
    assert rep.satisfiable == count
    assert 0 < count < 30  # both answers are exercised


# ---------------------------------------------------------------------------------------------
# DIMACS


def test_parse_dimacs_accepts_comments_multiline_clauses_and_percent():
    text = "c hello\nc world\n\np cnf 4 3\n1 -2\n 3 0 2 3 4 0\n-1 -3 -4 0\n%\n0\n"
    inst = parse_dimacs(text)
    assert inst.n_vars == 4
    assert inst.clauses.tolist() == [[1, -2, 3], [2, 3, 4], [-1, -3, -4]]


def test_dimacs_round_trip(tmp_path):
    inst = random_instance(9, 7, seed=2)
    p = tmp_path / "x.cnf"
    p.write_text(to_dimacs(inst, comment="round trip"))
    assert read_dimacs(p) == inst


@pytest.mark.parametrize(
    "text,line,match",
    [
        ("p cnf 3 2\n1 2 3 0\n1 -2 0\n", 3, "has 2 literals"),
        ("p cnf 4 1\nc x\n1 2 3 4 0\n", 3, "has 4 literals"),
        ("p cnf 3 1\n1 2\n3 -1 0\n", 3, "clause starting on line 2 has 4 literals"),
        ("p cnf 3 1\n0\n", 2, "has 0 literals"),
        ("p cnf 3 1\n1 2 x 0\n", 2, "'x' is not an integer"),
        ("p cnf 3 1\n1 2 5 0\n", 2, "names variable 5"),
        ("c a\n1 2 3 0\np cnf 3 1\n", 2, "before the 'p cnf"),
        ("p cnf 3 1\np cnf 3 1\n1 2 3 0\n", 2, "second 'p' header"),
        ("p sat 3 1\n1 2 3 0\n", 1, "malformed header"),
        ("p cnf three 1\n", 1, "must be integers"),
        ("p cnf 0 0\n", 1, "VARIABLES >= 1"),
        ("c\np cnf 3 2\n1 2 3 0\n", 2, "declares 2 clauses but the file has 1"),
        ("p cnf 3 1\n1 2 3\n", 2, "not terminated by 0"),
        ("c only a comment\n", 1, "no 'p cnf"),
    ],
)
def test_dimacs_errors_name_the_line(text, line, match):
    with pytest.raises(InstanceFormatError, match=rf"f\.cnf, line {line}: .*{match}") as exc:
        parse_dimacs(text, source="f.cnf")
    assert "\n" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# data-set files


def test_dataset_npz_round_trip(tmp_path):
    inst = random_instance(5, 4, seed=0)
    d = reduce_instance(inst)
    p = d.save(tmp_path / "d.npz")
    e = GraphDataset.load(p)
    for k in ("adjacency", "features", "node_mask", "labels", "gadget", "gadget_index"):
        np.testing.assert_array_equal(getattr(e, k), getattr(d, k), err_msg=k)
    assert e.instance == inst
    with np.load(p, allow_pickle=False) as z:
        assert set(z.files) >= {"format", "adjacency", "features", "node_mask", "labels", "clauses", "n_vars"}


def test_dataset_validation_and_load_errors(tmp_path):
    A, X, mask, y = np.ones((1, 2, 2)), np.ones((1, 2, 3)), np.array([[True, False]]), np.ones(1)
    with pytest.raises(InvalidParameterError, match="padding nodes"):
        GraphDataset(A, X, mask, y)
    with pytest.raises(InvalidParameterError, match="labels"):
        GraphDataset(A, X, np.ones((1, 2), bool), np.ones(2))
    bad = tmp_path / "bad.npz"
    np.savez(bad, adjacency=A)
    with pytest.raises(InstanceFormatError, match="'format'"):
        GraphDataset.load(bad)
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(InstanceFormatError, match="junk.npz"):
        GraphDataset.load(junk)


# ---------------------------------------------------------------------------------------------
# CLI


def _run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_reduce_solve_sat_and_unsat(tmp_path, capsys):
    sat = tmp_path / "sat.cnf"
    sat.write_text("p cnf 3 2\n1 2 3 0\n-1 2 -3 0\n")
    unsat = tmp_path / "unsat.cnf"
    unsat.write_text("p cnf 4 4\n1 2 3 0\n1 2 4 0\n1 3 4 0\n2 3 4 0\n")
    code, out, _ = _run(["np", "reduce", str(sat), "--out", str(tmp_path / "s.npz"), "--json"], capsys)
    assert code == 0 and json.loads(out)["graphs"] == 6
    code, out, _ = _run(["np", "solve", str(tmp_path / "s.npz"), "--json"], capsys)
    r = json.loads(out)
    assert code == 0 and r["consistent"] is True and r["assignment_satisfies"] is True
    a = np.array(r["assignment"]) > 0
    assert any(np.array_equal(a, s) for s in brute_force_solutions(3, [[1, 2, 3], [-1, 2, -3]]))
    _run(["np", "reduce", str(unsat), "--out", str(tmp_path / "u.npz")], capsys)
    code, out, _ = _run(["np", "solve", str(tmp_path / "u.npz"), "--json", "--smt2", str(tmp_path / "u.smt2")], capsys)
    r = json.loads(out)
    assert code == 0 and r["consistent"] is False and r["weights"] is None and r["unsat_core"]
    assert (tmp_path / "u.smt2").read_text().rstrip().endswith("(check-sat)")


def test_cli_check_json_keys(capsys):
    code, out, _ = _run(["np", "check", "--random", "5", "--vars", "6", "--seed", "3", "--json"], capsys)
    r = json.loads(out)
    assert code == 0
    assert {"instances", "agree", "satisfiable", "seconds"} <= set(r)
    assert r["instances"] == r["agree"] == 5


def test_cli_check_exit_status_1_on_disagreement(monkeypatch, capsys):
    import symhard.reductions._solvers as nh  # where check_random looks solve_sat up

    monkeypatch.setattr(nh, "solve_sat", lambda inst, **kw: None)  # a broken SAT side
    code, out, _ = _run(["np", "check", "--random", "20", "--vars", "6", "--seed", "0", "--json"], capsys)
    r = json.loads(out)
    assert code == 1 and r["agree"] < 20 and r["failures"]


@pytest.mark.parametrize(
    "content,match",
    [("p cnf 3 1\n1 2 0\n", "line 2"), ("p cnf 3 1\n1 2 9 0\n", "line 2"), ("hello\n", "line 1")],
)
def test_cli_malformed_dimacs_exits_2_with_one_line(tmp_path, capsys, content, match):
    f = tmp_path / "bad.cnf"
    f.write_text(content)
    code, out, err = _run(["np", "reduce", str(f), "--out", str(tmp_path / "o.npz")], capsys)
    assert code == 2 and match in err and err.count("\n") == 1
    assert not (tmp_path / "o.npz").exists()


def test_cli_solve_bad_file_exits_2(tmp_path, capsys):
    f = tmp_path / "x.npz"
    f.write_text("nope")
    code, _, err = _run(["np", "solve", str(f)], capsys)
    assert code == 2 and err.startswith("symhard: error:")


def test_solver_argument_errors():
    inst = OneInThreeInstance(3, np.array([[1, 2, 3]]))
    with pytest.raises(InvalidParameterError, match="encoding must be one of"):
        solve_sat(inst, encoding="unary")
    with pytest.raises(InvalidParameterError, match="python-sat solver name"):
        solve_sat(inst, solver="nosuchsolver")
    a = solve_sat(inst, solver="cadical153")
    assert satisfies(inst, a)


def test_missing_sat_extra_gives_clear_error(monkeypatch):
    import sys

    from symhard.reductions import MissingExtraError

    inst = OneInThreeInstance(3, np.array([[1, 2, 3]]))
    monkeypatch.setitem(sys.modules, "z3", None)  # makes `import z3` raise ImportError
    with pytest.raises(MissingExtraError, match=r"symhard\[sat\]"):
        solve_consistency(reduce_instance(inst))
    monkeypatch.setitem(sys.modules, "pysat.card", None)
    with pytest.raises(MissingExtraError, match="python-sat"):
        solve_sat(inst)
