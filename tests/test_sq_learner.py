"""Tests of the SQ learner for invariant polynomials (symhard.learners.sq_polynomial)."""

import math

import numpy as np
import pytest

from symhard.errors import InvalidParameterError
from symhard.families.polynomials import (
    hard_class_size,
    multilinear_orbit_sum,
    random_hard_member,
    random_invariant_multilinear,
)
from symhard.groups import PermutationGroup, parse_group
from symhard.learners.sq_polynomial import (
    EmpiricalOracle,
    InsufficientSamplesError,
    ReynoldsCache,
    SQPolynomialLearner,
    adversarial_expectation,
    correlation_query,
    csq_baseline,
    exact_expectation,
    query_bound,
    reynolds_products,
    support_query,
)
from symhard.learners.separation import auto_samples
from symhard.queries.distributions import Gaussian
from symhard.queries.oracles import ExactOracle, SampledOracle


def _sq_error(pred, f):
    return pred.norm_sq() - 2 * pred.inner(f) + f.norm_sq()


def test_support_identity_against_monte_carlo():
    # y = sum_T c_T x_T (not invariant: the identity holds for any multilinear y)
    rng = np.random.default_rng(0)
    n = 5
    terms = {(0, 1): 0.7, (1, 2, 3): -0.5, (0, 1, 4): 0.4, (2,): 0.3}
    x = rng.standard_normal((1_000_000, n))
    y = sum(c * np.prod(x[:, list(T)], axis=1) for T, c in terms.items())
    for U in [(), (1,), (0, 1), (1, 4), (2, 3), (0, 2)]:
        phi = y**2 * np.prod(x[:, list(U)] ** 2 - 1, axis=1)
        exact = 2 ** len(U) * sum(c**2 for T, c in terms.items() if set(U) <= set(T))
        se = phi.std() / math.sqrt(phi.size)
        assert abs(phi.mean() - exact) < 5 * se, (U, phi.mean(), exact, se)


def test_reynolds_products_fft_matches_brute_force():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((40, 7))
    for G in (PermutationGroup.cyclic(7), PermutationGroup.dihedral(7)):
        R = reynolds_products(Z, G, (0, 2))
        elems = G.elements()
        for e in (1, 4, 6):
            ref = np.mean([np.prod(Z[:, g[[0, 2, e]]], axis=1) for g in elems], axis=0)
            np.testing.assert_allclose(R[:, e], ref, rtol=1e-10, atol=1e-12, err_msg=f"{G.name} e={e}")


@pytest.mark.parametrize("spec,k,s", [("cyclic:10", 3, 2), ("dihedral:8", 4, 2), ("symmetric:6", 3, 1),
                                      ("trivial:6", 2, 2), ("cyclic:12", 4, 3), ("blocks:cyclic:4+cyclic:4", 3, 2)])
def test_exact_recovery_with_exact_oracle(spec, k, s):
    G = parse_group(spec)
    f = random_invariant_multilinear(G, k, s, seed=7, min_weight=0.5)
    learner = SQPolynomialLearner(G, k, min_weight=0.5, sparsity=s)
    res = learner.fit(ExactOracle(expectation=exact_expectation(f, G), kind="sq"))
    assert _sq_error(res.predictor, f) < 1e-12
    assert res.queries <= res.query_bound
    # every level tested: the same support, within the all-levels bound s 2^(k+1) (n+1)
    res_all = SQPolynomialLearner(G, k, min_weight=0.5, sparsity=s, support_levels=None).fit(
        ExactOracle(expectation=exact_expectation(f, G), kind="sq"))
    assert _sq_error(res_all.predictor, f) < 1e-12
    assert res_all.queries <= res_all.query_bound == s * 2 ** (k + 1) * (G.degree + 1)


@pytest.mark.parametrize("spec,k", [("cyclic:10", 3), ("dihedral:8", 4)])
def test_adversarial_answers_within_tolerance_still_recover(spec, k):
    G = parse_group(spec)
    f = random_invariant_multilinear(G, k, 2, seed=3, min_weight=0.5)
    learner = SQPolynomialLearner(G, k, min_weight=0.5, sparsity=2, eps=0.01)
    res = learner.fit(ExactOracle(expectation=adversarial_expectation(f, G), kind="sq"))
    assert {V for V, _ in res.support} == {tuple(sorted(V)) for V, _ in res.support}
    assert len(res.support) == 2
    assert _sq_error(res.predictor, f) <= 0.01 * f.norm_sq() + 1e-12


def test_query_count_is_linear_in_n():
    counts = []
    for n in (16, 32, 64):
        G = PermutationGroup.cyclic(n)
        _, f = random_hard_member(G, 4, seed=1)
        res = SQPolynomialLearner(G, 4).fit(ExactOracle(expectation=exact_expectation(f, G), kind="sq"))
        assert _sq_error(res.predictor, f) < 1e-12
        # Z_n, transitive, s = 1, k = 4, pair-graph degree D = 12: (n-1) + 1 + 1 + 6 + C(12,2) + C(12,3)
        assert res.queries <= res.query_bound == query_bound(n, 4, support_levels=2, transitive=True) == n + 293
        counts.append(res.queries)
    # doubling n at most ~doubles the queries (linear growth; the bound is 32(n+1)) ...
    assert counts[1] <= 3 * counts[0] and counts[2] <= 3 * counts[1], counts
    # ... far below the N_k = C(n,4)/n orbits a CSQ learner must face
    assert counts[2] < hard_class_size(PermutationGroup.cyclic(64), 4) / 10


def _brute_support_statistic(G, V, x, y):
    """y^2 (1/|G|) sum_g prod_{j in gV} (x_j^2 - 1), by enumerating G (independent of the FFT/gather code)."""
    return y * y * np.mean([np.prod(x[:, g[list(V)]] ** 2 - 1, axis=1) for g in G.elements()], axis=0)


@pytest.mark.parametrize("spec,k,seed", [("dihedral:10", 3, 1), ("dihedral:10", 3, 3), ("cyclic:16", 3, 1),
                                         ("cyclic:12", 3, 0), ("cyclic:10", 2, 0)])
def test_fresh_sample_oracle_recovers_the_support_every_time(spec, k, seed):
    """A new Gaussian sample for every query (issue 14 §4). With the old id(x)-keyed cache these
    targets failed: a new sample's array took a freed array's address and got its answers."""
    G = parse_group(spec)
    S, f = random_hard_member(G, k, seed=seed)
    oracle = SampledOracle(f, Gaussian(G.degree), n_samples=20_000, seed=100 + seed, kind="sq")
    res = SQPolynomialLearner(G, k).fit(oracle)
    assert [V for V, _ in res.support] == [S]
    assert oracle.n_queries == res.queries and all(r.n_samples == 20_000 for r in oracle.log)
    assert _sq_error(res.predictor, f) < 0.05


def test_two_arrays_at_the_same_address_get_their_own_answers():
    """New values at an old array's address (same id, same data pointer: here the same buffer
    overwritten in place, which is what a freed and reallocated block looks like to an id-keyed
    cache) must be answered from the new values, by a bare query and by a fresh oracle."""
    G, V = PermutationGroup.cyclic(12), (0, 1)
    q = support_query(G, V, 1e9)
    rng = np.random.default_rng(0)
    x = np.empty((2048, 12))
    rng.standard_normal(out=x)
    first_id, first_ptr = id(x), x.__array_interface__["data"][0]
    first = 1e9 * q.fn(x, x[:, 0] * x[:, 3]).mean()
    np.testing.assert_allclose(first, _brute_support_statistic(G, V, x, x[:, 0] * x[:, 3]).mean(), rtol=1e-9)
    assert id(x) == first_id and x.__array_interface__["data"][0] == first_ptr
    rng.standard_normal(out=x)
    y = x[:, 0] * x[:, 3]
    second = 1e9 * q.fn(x, y).mean()
    expected = _brute_support_statistic(G, V, x, y).mean()
    np.testing.assert_allclose(second, expected, rtol=1e-9)
    assert abs(second - first) > 1e-3  # different arrays, different answers
    # the same through fixed-sample oracles built one after the other on arrays at one address
    answers = []
    for trial in range(2):
        x[:] = np.random.default_rng(10 + trial).standard_normal(x.shape)
        oracle = EmpiricalOracle(x, x[:, 0] * x[:, 3])
        answers.append(1e9 * oracle(q, 1e-6))
        np.testing.assert_allclose(answers[-1], _brute_support_statistic(G, V, x, x[:, 0] * x[:, 3]).mean(), rtol=1e-9)
        del oracle
    assert abs(answers[0] - answers[1]) > 1e-3


def test_empirical_oracle_cache_equals_direct_evaluation_and_is_bounded():
    G = PermutationGroup.dihedral(8)
    _, f = random_hard_member(G, 3, seed=0)
    x = np.random.default_rng(1).standard_normal((3000, 8))
    y = f(x)
    one_entry = x.nbytes
    oracle = EmpiricalOracle(x, y, cache_bytes=int(1.5 * one_entry))
    queries = [support_query(G, (0, i), 50.0) for i in range(1, 8)] + [support_query(G, (0, 2, i), 50.0) for i in (3, 5)]
    queries += [correlation_query(G, (0, 1, i), 20.0) for i in (2, 4)]
    for q in queries:
        # the cached answer is the mean of the query's own function on the same sample
        assert oracle(q, 1e-3) == pytest.approx(float(np.mean(q.fn(x, y))), rel=1e-12, abs=1e-15)
        assert len(oracle.cache) <= 1 and oracle.cache.nbytes <= oracle.cache.max_bytes
    assert oracle.cache.hits >= 6  # the seven pairs {0, i} share the prefix (0,)
    # the oracle's sample is its own read-only copy: changing the caller's array changes nothing
    before = oracle(queries[0], 1e-3)
    x[:] = 0.0
    assert oracle(queries[0], 1e-3) == before
    with pytest.raises(ValueError):
        oracle.x[0, 0] = 1.0
    # a cache answers only for its own array
    cache = ReynoldsCache(oracle.x)
    other = oracle.x.copy()
    other[:, 0] += 1.0
    np.testing.assert_allclose(cache(other, G, "x", (0,)), reynolds_products(other, G, (0,)))
    assert len(cache) == 0


def test_learner_uses_the_oracle_cache():
    G = PermutationGroup.cyclic(16)
    _, f = random_hard_member(G, 3, seed=2)
    x = np.random.default_rng(4).standard_normal((20_000, 16))
    oracle = EmpiricalOracle(x, f(x))
    SQPolynomialLearner(G, 3).fit(oracle, check_samples=False)
    assert oracle.cache.hits > oracle.cache.misses > 0


def test_sampled_oracle_recovers_at_the_documented_sample_size():
    # the documented rule of symhard separate: m = ceil(1.5 x max plug-in need of a 20k pilot)
    G = PermutationGroup.cyclic(16)
    S, f = random_hard_member(G, 3, seed=2)
    m = auto_samples(G, 3, seed=2)
    assert m == auto_samples(G, 3, seed=2)  # deterministic
    x = np.random.default_rng(4).standard_normal((m, 16))
    res = SQPolynomialLearner(G, 3).fit(EmpiricalOracle(x, f(x)), check_samples=False)
    assert [V for V, _ in res.support] == [S]
    assert _sq_error(res.predictor, f) < 0.01


def test_union_bound_counts_distinct_queries_by_brute_force():
    from itertools import combinations

    G = PermutationGroup.dihedral(7)
    elems = G.elements()
    N = [len({min(tuple(sorted(g[list(U)])) for g in elems) for U in combinations(range(7), l)}) for l in range(4)]
    learner = SQPolynomialLearner(G, 3, delta=0.1)
    assert learner.distinct_queries == sum(N[1:3]) + sum(N)
    assert learner.log_term == pytest.approx(math.log(2 * (sum(N[1:3]) + sum(N)) / 0.1))


def test_apriori_filter_and_transitive_level_one_skip():
    G = PermutationGroup.cyclic(64)
    _, f = random_hard_member(G, 4, seed=0)
    oracle = ExactOracle(expectation=exact_expectation(f, G), kind="sq")
    res = SQPolynomialLearner(G, 4, support_levels=None).fit(oracle)
    assert _sq_error(res.predictor, f) < 1e-12
    assert res.levels == [1, 1, 6, 4]  # A_1 accepted without a query; 6 pair orbits, 4 triples
    # level-2 candidates: the 32 orbits of pairs {0, i}; level 3: a handful (Apriori), not ~600
    assert 32 < res.support_queries <= 32 + 20, res.support_queries
    # default: only level 2 is tested; level 3 = the triangles of the pair graph (at least the 4 true ones)
    res2 = SQPolynomialLearner(G, 4).fit(oracle)
    assert _sq_error(res2.predictor, f) < 1e-12
    assert res2.support_queries == 32 and res2.levels[:3] == [1, 1, 6] and res2.levels[3] >= 4


def test_too_few_samples_says_how_many():
    G = PermutationGroup.cyclic(12)
    _, f = random_hard_member(G, 3, seed=2)
    x = np.random.default_rng(5).standard_normal((300, 12))
    with pytest.raises(InsufficientSamplesError, match=r"300 samples are too few.*give at least \d+ samples"):
        SQPolynomialLearner(G, 3).fit(EmpiricalOracle(x, f(x)))


def test_csq_baseline_with_same_budget_fails_where_sq_succeeds():
    G = PermutationGroup.cyclic(24)
    S, f = random_hard_member(G, 4, seed=0)
    res = SQPolynomialLearner(G, 4).fit(ExactOracle(expectation=exact_expectation(f, G), kind="sq"))
    assert _sq_error(res.predictor, f) < 1e-12
    budget = res.queries
    assert budget < hard_class_size(G, 4)
    csq = ExactOracle(expectation=exact_expectation(f, G), kind="csq")
    pred, asked = csq_baseline(G, 4, csq, budget, 0.1, seed=1, exclude=[S])
    assert asked == budget and _sq_error(pred, f) == pytest.approx(1.0)
    # and it does find the target when the target is among the orbits it tries
    pred2, _ = csq_baseline(G, 4, csq, hard_class_size(G, 4), 0.1, seed=1)
    assert _sq_error(pred2, f) < 1e-12


def test_bad_inputs():
    with pytest.raises(InvalidParameterError, match="exceeds the number of coordinates"):
        SQPolynomialLearner("cyclic:5", 6)
    G = PermutationGroup.cyclic(5)
    with pytest.raises(InvalidParameterError, match="acts on 5 points"):
        exact_expectation(multilinear_orbit_sum(PermutationGroup.cyclic(6), [0, 1]), G)
    with pytest.raises(InvalidParameterError, match="kind 'sq'"):
        SQPolynomialLearner(G, 2).fit(ExactOracle(expectation=lambda q: 0.0, kind="csq"))


def test_run_separation_end_to_end_small():
    from symhard.learners.separation import run_separation, separation_figure, separation_table

    out = run_separation("cyclic:10", 3, None, seed=1, steps=4, width=8, test_samples=400, evals=1)
    S, f = random_hard_member(PermutationGroup.cyclic(10), 3, seed=1)
    assert out["samples"] == auto_samples("cyclic:10", 3, seed=1)
    assert out["sq"]["recovered_support"] == [list(S)] and out["sq"]["exact_error"] < 0.01
    assert out["sq"]["queries"] <= out["sq"]["query_bound"]
    gd = out["gd"]
    assert gd["steps"] == 4 and set(gd["test_error_per_lr"]) == {"0.001", "0.003"}
    assert gd["test_error"] == min(gd["test_error_per_lr"].values())
    # the zero predictor scores 1: an untrained width-8 net is nowhere near the target
    assert gd["test_error"] > 0.5
    # the report data: two panels, no drawing, every series labelled, the numbers of the run
    fig = separation_figure([out], 3)
    assert fig.problems() == [] and "polynomials" in fig.title and "Z_n" in fig.title
    assert f"at most {out['sq']['queries']} queries" in fig.title and "4 steps × batch 256" in fig.title
    errors, sizes = fig.panels
    assert [s.y[0] for s in errors.series] == [out["sq"]["test_error"], gd["test_error"]]
    burnside = next(s for s in sizes.series if "Burnside" in s.label)
    assert dict(zip(burnside.x, burnside.y))[16] == hard_class_size(PermutationGroup.cyclic(16), 3) == 35
    table = separation_table([out])
    assert table.rows[0][:3] == ["10", str(hard_class_size(PermutationGroup.cyclic(10), 3)), str(out["samples"])]


def test_separation_section_keeps_its_signature():
    import inspect

    from symhard.learners.separation import separation_section
    from symhard.sections import Section

    sig = inspect.signature(separation_section)
    assert list(sig.parameters) == ["quick", "progress"] and sig.parameters["quick"].default is True
    assert sig.parameters["progress"].default is None  # symhard.progress: optional, silent by default
    assert sig.return_annotation in (Section, "Section")
