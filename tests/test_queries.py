"""Distributions, oracles, lower-bound formulas and the Gram engine of symhard.queries."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from symhard.errors import EnumerationLimitError, InvalidParameterError
from symhard.queries import (
    AdversarialOracle, BooleanCube, ErdosRenyi, ExactOracle, Gaussian, GaussianMatrix, Query, SampledOracle,
    csq_pairwise_bound, gd_as_csq, make_oracle, pairwise_independence_bound, queries_or_tolerance,
    sq_dimension_bound,
)
from symhard.queries.gram import exact_gram, finite_gram, monte_carlo_gram, sampled_gram
from symhard.queries.walsh import parity_tables


# ----------------------------------------------------------------------------- distributions
def test_samples_are_reproducible_and_shaped():
    for dist, shapes in [
        (BooleanCube(5), [(7, 5)]),
        (Gaussian(4), [(7, 4)]),
        (GaussianMatrix(3, 2), [(7, 3, 2)]),
        (ErdosRenyi(6, 0.3), [(7, 6, 6)]),
        (ErdosRenyi(6, 0.3, features=2), [(7, 6, 6), (7, 6, 2)]),
    ]:
        a = dist.sample(7, 11)
        b = dist.sample(7, 11)
        c = dist.sample(7, 12)
        assert [t.shape for t in a] == [torch.Size(s) for s in shapes], dist
        assert all(torch.equal(u, v) for u, v in zip(a, b)), dist
        assert not all(torch.equal(u, v) for u, v in zip(a, c)), dist
        assert dist.sample(7, 11, dtype="float32")[0].dtype == torch.float32


def test_boolean_cube_values_and_support():
    (x,) = BooleanCube(4).sample(1000, 0)
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    (pts,), p = BooleanCube(3).support()
    assert pts.shape == (8, 3) and np.isclose(p.sum(), 1.0)
    assert pts[5].tolist() == [-1.0, 1.0, -1.0]  # bit i set <=> x_i = -1
    assert len({tuple(r) for r in pts.tolist()}) == 8
    with pytest.raises(EnumerationLimitError, match="2\\^21"):
        BooleanCube(21).support()


def test_erdos_renyi_is_symmetric_zero_diagonal_with_density_p():
    A, X = ErdosRenyi(10, 0.3, features=3).sample(400, 1)
    assert torch.equal(A, A.transpose(-1, -2))
    assert torch.all(torch.diagonal(A, dim1=-2, dim2=-1) == 0)
    assert set(A.unique().tolist()) <= {0.0, 1.0}
    edges = A[:, np.triu_indices(10, 1)[0], np.triu_indices(10, 1)[1]]
    se = math.sqrt(0.3 * 0.7 / edges.numel())
    assert abs(edges.mean().item() - 0.3) < 5 * se
    assert abs(X.std().item() - 1.0) < 0.05


def test_gaussian_moments():
    (x,) = Gaussian(3).sample(20000, 2)
    assert torch.allclose(x.mean(0), torch.zeros(3, dtype=x.dtype), atol=0.04)
    assert torch.allclose(x.T @ x / 20000, torch.eye(3, dtype=x.dtype), atol=0.05)


# ----------------------------------------------------------------------------- oracles
def _brute_cube(n):
    masks = np.arange(2**n)
    return 1.0 - 2.0 * ((masks[:, None] >> np.arange(n)) & 1)


def test_exact_oracle_csq_and_sq_against_brute_force():
    n = 6
    X = _brute_cube(n)
    f = lambda x: torch.tanh(x[:, 0] + 0.5 * x[:, 1] * x[:, 2])  # noqa: E731
    h = lambda x: 0.5 * x[:, 0] * x[:, 3] + 0.25 * x[:, 1]  # noqa: E731
    fx = np.tanh(X[:, 0] + 0.5 * X[:, 1] * X[:, 2])
    truth = np.mean(fx * (0.5 * X[:, 0] * X[:, 3] + 0.25 * X[:, 1]))
    o = ExactOracle(f, BooleanCube(n))
    assert o(h, 0.1) == pytest.approx(truth, abs=1e-14)
    sq = ExactOracle(f, BooleanCube(n), kind="sq")
    phi = lambda x, y: torch.cos(y * x[:, 4])  # noqa: E731
    assert sq(phi, 0.1) == pytest.approx(np.mean(np.cos(fx * X[:, 4])), abs=1e-14)


def test_exact_oracle_with_structured_expectation_callback():
    seen = []

    def expectation(q):
        seen.append(q.key)
        return 0.25 if q.key == ("hermite", (2, 0)) else 0.0

    o = ExactOracle(expectation=expectation)
    assert o(Query(key=("hermite", (2, 0)), meta={"degree": 2}), 0.05) == 0.25
    assert o.query(Query(key=("hermite", (1, 1))), 0.01).value == 0.0
    assert seen == [("hermite", (2, 0)), ("hermite", (1, 1))]
    assert o.n_queries == 2 and o.min_tau == 0.01 and o.log[0].key == ("hermite", (2, 0))
    with pytest.raises(InvalidParameterError, match="needs either"):
        ExactOracle()


def test_sampled_oracle_within_standard_errors():
    n = 8
    f = lambda x: x[:, 0] * x[:, 1]  # noqa: E731
    queries = [lambda x: x[:, 0] * x[:, 1], lambda x: 0.5 * x[:, 0] * x[:, 1] + 0.5 * x[:, 2],
               lambda x: x[:, 3]]
    exact = ExactOracle(f, BooleanCube(n))
    sampled = SampledOracle(f, BooleanCube(n), n_samples=4000, seed=3, chunk=1000)
    zs = []
    for h in queries:
        a = sampled.query(h, 0.05)
        v = exact(h, 0.05)
        if a.stderr > 0:
            zs.append((a.value - v) / a.stderr)
        else:
            assert a.value == v  # zero variance: the product is constant
        assert abs(a.value - v) <= 4 * max(a.stderr, 1e-12)
        assert a.n_samples == 4000
    # third query: y h = x0 x1 x3, a fair ±1 variable -> stderr ≈ 1/√m
    assert sampled.log[2].stderr == pytest.approx(1 / math.sqrt(4000), rel=0.05)
    # fresh samples: the same query twice gives different answers; the same seed reproduces the run
    s2 = SampledOracle(f, BooleanCube(n), n_samples=4000, seed=3, chunk=1000)
    assert [s2(h, 0.05) for h in queries] == [r.value for r in sampled.log]
    assert sampled(queries[2], 0.05) != sampled.log[2].value


def test_sampled_oracle_default_sample_size_follows_tau():
    o = SampledOracle(lambda x: x[:, 0], Gaussian(2), seed=0, kind="sq")
    a = o.query(lambda x, y: torch.clamp(y, -1, 1), 0.1)
    assert a.n_samples == 900
    truth = 0.0  # E clamp(z) = 0 for z ~ N(0, 1)
    assert abs(a.value - truth) <= 4 * a.stderr


def test_out_of_range_values_rejected_or_clipped():
    f = lambda x: x[:, 0]  # noqa: E731
    o = ExactOracle(f, BooleanCube(3))
    with pytest.raises(InvalidParameterError, match=r"\[-1, 1\]"):
        o(lambda x: 2 * x[:, 0], 0.1)
    assert o.n_queries == 0
    c = ExactOracle(f, BooleanCube(3), out_of_range="clip")
    assert c(lambda x: 2 * x[:, 0], 0.1) == 1.0
    assert c.log[0].clipped == 8
    with pytest.raises(InvalidParameterError, match="tau"):
        c(lambda x: x[:, 0], 0.0)
    with pytest.raises(InvalidParameterError, match="tau"):
        c(lambda x: x[:, 0], 1.5)


def _parity_class(n):
    tables = parity_tables(np.arange(1, 2**n), n).astype(np.float64)  # all non-constant parities
    (x,), w = BooleanCube(n).support()
    return tables, (x,), w


def test_adversarial_oracle_never_rules_out_more_than_the_bound(rng):
    n = 7
    tables, inputs, w = _parity_class(n)  # orthonormal: gamma = 0
    oracle = AdversarialOracle(tables, inputs, w)
    tau = 0.3
    x = inputs[0].numpy()
    total = 0
    queries = []
    # worst cases: averages of j parities (|h| <= 1), each correlates 1/j with j members
    for j in (1, 2, 3, 5, 11):
        S = rng.choice(np.arange(1, 2**n), size=j, replace=False)
        rows = parity_tables(S, n).astype(np.float64)
        queries.append(rows.mean(0))
    for _ in range(20):  # random ±1 queries
        queries.append(np.sign(rng.normal(size=2**n)) + 0.0)
    lookup = {tuple(r): i for i, r in enumerate(x.tolist())}
    for qv in queries:
        h = lambda xb, qv=qv: torch.as_tensor(qv[[lookup[tuple(r)] for r in xb.tolist()]])  # noqa: E731
        ans = oracle.query(h, tau)
        assert ans.ruled_out < 1 / tau**2, (ans.ruled_out, tau)
        total += ans.ruled_out
        assert ans.value == 0.0 and not ans.revealed
    assert total < len(queries) / tau**2
    # a j = 2 average at tau 0.3 correlates 0.5 > tau with both parities: exactly 2 ruled out
    assert oracle.log[1].ruled_out == 2
    assert oracle.version_space.size == tables.shape[0] - total


def test_adversarial_oracle_reveals_when_zero_is_inconsistent():
    n = 3
    tables, inputs, w = _parity_class(n)
    oracle = AdversarialOracle(tables[:1], inputs, w)  # one member: chi_{0}
    ans = oracle.query(lambda x: x[:, 0], 0.5)
    assert ans.revealed and ans.value == pytest.approx(1.0) and ans.version_space == 1


def test_adversarial_oracle_from_callables_and_sq_coin_reference():
    n = 5
    members = [lambda x, i=i: x[:, i] for i in range(n)]
    o = AdversarialOracle.from_distribution(members, BooleanCube(n), kind="sq")
    assert o.reference == "coin"
    # φ = y·x_0: its coin reference is 0, truth is 1 for member 0 only
    a = o.query(lambda x, y: y * x[:, 0], 0.5)
    assert a.value == 0.0 and a.ruled_out == 1
    with pytest.raises(InvalidParameterError, match="n_samples"):
        AdversarialOracle.from_distribution(members, Gaussian(n))


def test_make_oracle_and_kind_checks():
    o = make_oracle("exact", kind="sq", target=lambda x: x[:, 0], distribution=BooleanCube(2))
    assert isinstance(o, ExactOracle) and o.kind == "sq"
    with pytest.raises(InvalidParameterError, match="mode"):
        make_oracle("noisy")
    with pytest.raises(InvalidParameterError, match="kind"):
        ExactOracle(lambda x: x[:, 0], BooleanCube(2), kind="lsq")


# ----------------------------------------------------------------------------- bounds
def test_csq_pairwise_bound_formula_and_vacuous_case():
    lb = csq_pairwise_bound(1000, 0.001, 0.1)
    assert lb.queries == pytest.approx((1000 - 1) * (0.01 - 0.001) / (1 - 0.001))
    assert lb.tau == 0.1 and "counting lemma" in lb.formula and lb.kind == "csq-counting"
    assert lb.inputs == {"m": 1000, "gamma": 0.001, "tau": 0.1} and "(1 - gamma)/2" in lb.condition
    assert csq_pairwise_bound(1000, 0.02, 0.1).queries == 0.0
    assert csq_pairwise_bound(1, 0.0, 0.5).queries == 0.0  # one member: nothing to learn
    assert csq_pairwise_bound(1, 0.0, 0.5).vacuous
    huge = csq_pairwise_bound(2**3000, 0.0, 0.5)
    exact_log10 = 3000 * math.log10(2) + math.log10(0.25)
    assert huge.log10_queries == pytest.approx(exact_log10, rel=1e-12)
    assert huge.queries == math.inf
    with pytest.raises(InvalidParameterError):
        csq_pairwise_bound(0, 0.0, 0.1)
    with pytest.raises(InvalidParameterError):
        csq_pairwise_bound(10, 0.0, 0.0)


def test_spectral_bound_is_never_weaker_than_gershgorin():
    from symhard.queries.bounds import csq_spectral_bound

    m, gamma, tau = 500, 0.001, 0.1
    g = csq_pairwise_bound(m, gamma, tau)
    # Gershgorin: lambda_max <= 1 + (m - 1) gamma; the spectral form at that lambda is weaker
    s_gersh = csq_spectral_bound(m, 1 + (m - 1) * gamma, tau)
    assert s_gersh.queries == pytest.approx((m - 1) * tau**2 / (1 + (m - 1) * gamma))
    # an orthonormal class (lambda = 1) gets (m - 1) tau^2 at every tau, where the gamma form agrees
    assert csq_spectral_bound(m, 1.0, tau).queries == pytest.approx(csq_pairwise_bound(m, 0.0, tau).queries)
    # the spectral form never vanishes while the gamma form does once tau^2 <= gamma
    assert csq_pairwise_bound(m, 0.02, tau).vacuous and not csq_spectral_bound(m, 5.0, tau).vacuous
    assert g.queries > 0


def test_other_bounds():
    assert sq_dimension_bound(1024, 0.1).queries == pytest.approx(1024 * 0.01 - 1)
    assert sq_dimension_bound(2**400, 0.1).log10_queries == pytest.approx(400 * math.log10(2) - 2)
    assert sq_dimension_bound(50, 0.1).queries == 0.0
    lb = pairwise_independence_bound(float(Fraction(1, 1000)), 0.05, advantage=0.5)
    assert lb.queries == pytest.approx(0.5 * 0.0025 * 1000)
    qt = queries_or_tolerance(10**6, 0.001)
    assert qt.queries == pytest.approx((10**6 - 1) / 1000) and qt.tau == pytest.approx(math.sqrt(0.001 + 0.999 * 0.001))
    # consistency: at tau*, the pairwise bound gives exactly the queries of the "or" form
    assert csq_pairwise_bound(10**6, 0.001, qt.tau).queries == pytest.approx(qt.queries)


def test_gd_as_csq():
    b = gd_as_csq(params=1000, steps=200, batch=64)
    assert b.queries == 200_000 and b.tau == pytest.approx(1 / 8)
    assert b.insufficient_for(csq_pairwise_bound(2**40, 0.0, 0.1))
    assert not b.insufficient_for(csq_pairwise_bound(2**10, 0.0, 0.1))
    assert not b.insufficient_for(csq_pairwise_bound(2**40, 0.0, 0.5))  # bound at a coarser tau
    with pytest.raises(InvalidParameterError):
        gd_as_csq(0, 1, 1)


# ----------------------------------------------------------------------------- Gram engine
def test_finite_and_exact_gram_against_brute_force(rng):
    V = rng.normal(size=(4, 16))
    w = np.full(16, 1 / 16)
    s = finite_gram(V, w)
    raw = np.array([[np.mean(V[i] * V[j]) for j in range(4)] for i in range(4)])
    brute = raw / np.sqrt(np.outer(np.diag(raw), np.diag(raw)))
    np.testing.assert_allclose(s.gram, brute, atol=1e-14)
    off = np.abs(brute - np.eye(4))
    assert s.max_offdiag_corr == pytest.approx(off.max())
    assert s.min_norm == pytest.approx(np.sqrt(np.diag(raw)).min())
    assert s.method == "exact" and s.max_offdiag_corr_stderr == 0.0
    assert s.lower_bound(0.9).queries == pytest.approx((4 - 1) * (0.81 - off.max()) / (1 - off.max()))
    from symhard.errors import DegenerateMemberError

    with pytest.raises(DegenerateMemberError):
        exact_gram(np.zeros((2, 2)))


def test_monte_carlo_gram_stderr_matches_spread(rng):
    # ±1 members with known correlation: stderr = sqrt((1 - C^2)/N) exactly
    N = 4000
    a = np.sign(rng.normal(size=N))
    b = np.where(rng.random(N) < 0.8, a, -a)  # corr 0.6
    s = monte_carlo_gram(np.stack([a, b]))
    assert s.stderr[0, 1] == pytest.approx(math.sqrt((1 - s.gram[0, 1] ** 2) / N), rel=1e-9)
    # real-valued members: delta-method error vs the spread over repetitions
    U = rng.normal(size=(3, 4))
    ests, ses = [], []
    for _ in range(150):
        F = (U @ rng.normal(size=(4, 1500))) ** 2
        r = monte_carlo_gram(F)
        ests.append(r.gram)
        ses.append(r.stderr)
    spread = np.std(ests, axis=0)[np.triu_indices(3, 1)]
    predicted = np.mean(ses, axis=0)[np.triu_indices(3, 1)]
    np.testing.assert_allclose(predicted, spread, rtol=0.25)


def test_sampled_gram_of_orthonormal_parities_is_near_identity():
    n = 6
    members = [lambda x: x[:, 0], lambda x: x[:, 1] * x[:, 2], lambda x: x[:, 3] * x[:, 4] * x[:, 5]]
    s = sampled_gram(members, BooleanCube(n), n_samples=20000, seed=1, chunk=7000)
    assert s.method == "mc" and s.n_samples == 20000
    off = np.abs(s.gram - np.eye(3))
    assert np.all(off <= 4.5 * s.stderr + 1e-12)
    assert s.max_offdiag_corr_stderr == pytest.approx(1 / math.sqrt(20000), rel=0.01)
