"""The Boolean warm-up: orbit counts, exact orthonormality, pairwise independence, the networks of
both classes, SQ learner, task, and the report section as data."""

import inspect
import math
from itertools import combinations

import numpy as np
import pytest
import torch

from symhard.errors import EnumerationLimitError, InvalidParameterError
from symhard.families.base import get_family, get_task
from symhard.families.boolean import (
    BooleanParity, BooleanRandom, group_averaged_relu, learn_symmetric_sq, orbit_indicator_network,
    parity_network, point_indicator_network, random_invariant_tables, subset_orbits, sum_orbit_mass_sq,
    symmetric_learner_error_bound, symmetric_sum_orbit_mass_sq,
)
from symhard.groups import PermutationGroup, parse_group
from symhard.queries import AdversarialOracle, BooleanCube, ExactOracle, SampledOracle


def _cube(n):
    return 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)


def _brute_orbits(G, k):
    """Orbits of k-subsets by applying every group element (independent of the BFS code)."""
    elems = G.elements()
    seen, orbits = set(), []
    for S in combinations(range(G.degree), k):
        if S in seen:
            continue
        orb = {tuple(sorted(g[list(S)].tolist())) for g in elems}
        seen |= orb
        orbits.append(sorted(orb))
    return orbits


@pytest.mark.parametrize("spec,k", [("cyclic:8", 3), ("dihedral:7", 2), ("symmetric:5", 2), ("gens:6:(0 1)(2 3);(4 5)", 2)])
def test_orbit_counts_enumeration_burnside_brute_force(spec, k):
    G = parse_group(spec)
    assert len(subset_orbits(G, k)) == G.orbit_count_subsets(k) == len(_brute_orbits(G, k))


def test_invariant_parities_are_exactly_orthonormal_by_brute_force():
    G = parse_group("cyclic:8")
    X = _cube(8)
    funcs = [sum(np.prod(X[:, list(T)], axis=1) for T in orb) / math.sqrt(len(orb)) for orb in _brute_orbits(G, 3)]
    F = np.stack(funcs)
    np.testing.assert_allclose(F @ F.T / 2**8, np.eye(len(funcs)), atol=1e-12)
    cert = BooleanParity().certificate(group="cyclic:8", degree=3, tau=0.05)
    assert cert.members == len(funcs) == 7  # C(8,3)/8: 3 does not divide 8, so every orbit has 8 members
    assert cert.params == {"group": "cyclic:8", "k": 3, "tau": 0.05} and cert.extra["members_checked"] == 7
    assert cert.max_offdiag_corr == 0.0 and cert.min_norm == 1.0
    assert cert.extra["walsh_support_exact"] and cert.extra["offdiag_inner_products_zero"]
    assert cert.lower_bound.queries == pytest.approx((7 - 1) * 0.05**2)  # (m-1)(τ²-γ)/(1-γ), γ = 0
    # invariance of every member under the generators
    for f in funcs:
        for g in G.generators:
            np.testing.assert_allclose(f[_perm_index(g, 8)], f, atol=1e-12)


def _perm_index(g, n):
    """Index j' of g·x for each point j of the cube (x[j] -> x[j][g^-1])."""
    X = _cube(n)
    gx = X[:, np.argsort(g)]
    masks = ((gx < 0).astype(int) << np.arange(n)).sum(1)
    return masks


def test_parity_network_realizes_the_invariant_parity():
    G = parse_group("dihedral:6")
    X = _cube(6)
    for S in [(0,), (0, 1), (0, 2, 3), (0, 1, 2, 4), ()]:
        orb = _brute_orbits(G, len(S))
        mine = next(o for o in orb if tuple(sorted(S)) in o)
        target = sum(np.prod(X[:, list(T)], axis=1) for T in mine) / math.sqrt(len(mine))
        W, a, b = parity_network(G, S)
        assert W.shape == (6, max(1, len(S) + 1))
        net = group_averaged_relu(G.elements(), W, a, b, X)
        np.testing.assert_allclose(net, target, atol=1e-12, err_msg=str(S))


def test_parity_network_in_the_cnn_architecture():
    from symhard.models.cnn import GroupAveragedNetwork

    G = parse_group("cyclic:6")
    W, a, b = parity_network(G, (0, 1, 3))
    model = GroupAveragedNetwork.from_weights(G, torch.tensor(W)[None], torch.tensor(a)[None], torch.tensor(b)[None])
    X = _cube(6)
    out = model(torch.tensor(X)[:, :, None]).detach().numpy()[0]
    np.testing.assert_allclose(out, group_averaged_relu(G.elements(), W, a, b, X), atol=1e-10)


def test_sum_orbit_mass_sq_closed_forms_and_group_bound():
    for n in (4, 7, 10):
        assert sum_orbit_mass_sq(PermutationGroup.symmetric(n)) == symmetric_sum_orbit_mass_sq(n)
        brute = sum(math.comb(n, w) ** 2 for w in range(n + 1)) / 4**n
        assert float(symmetric_sum_orbit_mass_sq(n)) == pytest.approx(brute)
        cyc = sum_orbit_mass_sq(PermutationGroup.cyclic(n))
        assert cyc <= n / 2**n
    assert float(symmetric_sum_orbit_mass_sq(400)) == pytest.approx(1 / math.sqrt(math.pi * 400), rel=1e-3)


def test_pairwise_independence_variance_against_monte_carlo(rng):
    G = parse_group("cyclic:6")
    s = float(sum_orbit_mass_sq(G))
    tables, _ = random_invariant_tables(G, 20000, seed=5)
    F = tables.astype(np.float64)
    X = _cube(6)
    # φ(x, y) = y: Var_f E[f] = Σ_O P(O)² exactly (the bound is attained)
    vals = F.mean(axis=1)
    var = vals.var(ddof=1)
    se = var * math.sqrt(2 / (len(vals) - 1))
    assert abs(var - s) < 4 * se
    # a generic φ(x, y) = cos(y + x_0 x_1 + 0.3 x_2) stays below the bound
    phi = np.cos(F + X[:, 0] * X[:, 1] + 0.3 * X[:, 2])
    var2 = phi.mean(axis=1).var(ddof=1)
    assert var2 <= s + 4 * var2 * math.sqrt(2 / (len(vals) - 1))


def test_boolean_random_certificate():
    cert = BooleanRandom().certificate(group="cyclic:10", tau=0.05, members=16)  # old name of members_checked
    d = cert.to_dict()
    assert d["orbit_count"] == d["orbit_count_burnside"] == 108  # binary necklaces of length 10
    assert d["members"] == 2**108 and d["members_checked"] == 16 and d["params"]["members_checked"] == 16
    assert d["sum_orbit_mass_sq"] <= d["group_bound"] == 10 / 2**10
    assert d["min_norm"] == 1.0 and d["realization_error"] == 0.0  # the orbit-indicator networks are exact
    assert d["lower_bound"]["queries"] == pytest.approx(0.5 * 0.05**2 / d["sum_orbit_mass_sq"])
    sym = BooleanRandom().certificate(group="symmetric:10", tau=0.05, members_checked=16).to_dict()
    assert sym["orbit_count"] == 11 and sym["sum_orbit_mass_sq"] == pytest.approx(math.comb(20, 10) / 4**10)
    assert sym["realization_error"] is None and "not evaluated" in sym["realization_note"]  # |S_10| is too large


def _brute_averaged_point_network(G, table, x):
    """(1/|G|) Σ_g Σ_p f(p) ReLU(<g^-1 x, p> - (n-1)), by explicit loops (no shared code)."""
    n = G.degree
    points = _cube(n)
    out = np.zeros(len(x))
    for g in G.elements():
        gx = x[:, g]  # g^-1 x = x[..., g]
        out += np.maximum(gx @ points.T - (n - 1), 0.0) @ table
    return out / G.order


def test_every_invariant_function_is_a_group_averaged_relu_network():
    G = parse_group("dihedral:5")
    X = _cube(5)
    tables, _ = random_invariant_tables(G, 3, seed=4)
    for t in tables.astype(float):
        W, a, b = point_indicator_network(t, 5)
        assert W.shape == (5, 32)
        np.testing.assert_allclose(group_averaged_relu(G.elements(), W, a, b, X), t, atol=1e-12)
        np.testing.assert_allclose(_brute_averaged_point_network(G, t, X), t, atol=1e-12)
        Wo, ao, bo = orbit_indicator_network(t, G)
        assert Wo.shape == (5, G.orbit_count_boolean())
        np.testing.assert_allclose(group_averaged_relu(G.elements(), Wo, ao, bo, X), t, atol=1e-12)
    # a non-invariant table gives its Reynolds average, not itself: the invariance is what is used
    f = np.random.default_rng(0).choice([-1.0, 1.0], size=32)
    reynolds = np.mean([f[_perm_index(np.argsort(g), 5)] for g in G.elements()], axis=0)
    W, a, b = point_indicator_network(f, 5)
    out = group_averaged_relu(G.elements(), W, a, b, X)
    np.testing.assert_allclose(out, reynolds, atol=1e-12)
    assert np.abs(out - f).max() > 0.5


def test_enumeration_cap_and_bad_parameters():
    with pytest.raises(EnumerationLimitError, match="2\\^20"):
        BooleanParity().certificate(group="cyclic:24", degree=2)
    with pytest.raises(EnumerationLimitError):
        BooleanRandom().certificate(group="cyclic:21")
    with pytest.raises(InvalidParameterError, match="k == 7, must be <= 6"):
        BooleanParity().certificate(group="cyclic:6", degree=7)
    with pytest.raises(InvalidParameterError, match="tau"):
        BooleanRandom().certificate(group="cyclic:6", tau=2.0)


def _table_target(table, n):
    w = torch.tensor([1 << i for i in range(n)])

    def f(x):
        return torch.as_tensor(table, dtype=torch.float64)[((x < 0).long() * w).sum(-1)]

    return f


def test_symmetric_sq_learner_succeeds_with_n_plus_one_queries_and_fails_on_cyclic():
    n, tau = 10, 0.01
    sym, _ = random_invariant_tables(PermutationGroup.symmetric(n), 3, seed=2)
    for t in sym:
        for oracle in (ExactOracle(_table_target(t, n), BooleanCube(n), kind="sq"),
                       SampledOracle(_table_target(t, n), BooleanCube(n), kind="sq", seed=1, n_samples=20000)):
            h = learn_symmetric_sq(oracle, n, tau if oracle.mode == "exact" else 0.03)
            assert oracle.n_queries == n + 1 == h.queries
            bound = symmetric_learner_error_bound(n, tau if oracle.mode == "exact" else 0.03)
            assert h.error_on_table(t) <= bound + 1e-12
    cyc, _ = random_invariant_tables(PermutationGroup.cyclic(n), 1, seed=2)
    h = learn_symmetric_sq(ExactOracle(_table_target(cyc[0], n), BooleanCube(n), kind="sq"), n, tau)
    assert h.error_on_table(cyc[0]) > 0.3


def test_symmetric_learner_against_the_adversary_keeps_a_consistent_member():
    n = 5
    levels = np.array(list(np.ndindex(*(2,) * (n + 1)))) * 2 - 1  # all 64 symmetric functions
    w = np.bitwise_count(np.arange(2**n))
    values = levels[:, w].astype(float)
    (x,), p = BooleanCube(n).support()
    oracle = AdversarialOracle(values, (x,), p, kind="sq")
    learn_symmetric_sq(oracle, n, 0.05)
    assert oracle.version_space.size >= 1  # the adversary stays consistent with a member
    assert oracle.n_queries == n + 1


def test_learning_task_contract():
    factory = get_task("boolean")
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    hard = factory(8, "hard", seed=3)
    control = factory(8, "control", seed=4)
    (x1,) = hard.sample_inputs(64, gen())
    (x2,) = control.sample_inputs(64, gen())
    assert torch.equal(x1, x2)  # inputs independent of role and seed
    (x3,) = BooleanCube(8).sample(64, gen(), dtype="float32")
    assert torch.equal(x1, x3) and x1.dtype == torch.float32  # drawn through queries.distributions
    X = torch.tensor(_cube(8))
    for task in (hard, control, factory(8, "hard", seed=1, hard="random")):
        assert task.input_actions == ("rows",) and task.group.name == "cyclic:8"
        y = task.target(X)
        assert y.shape == (256,)
        assert torch.mean(y**2).item() == pytest.approx(1.0, abs=1e-9)  # exact over the cube
        for g in task.group.generators:
            np.testing.assert_allclose(task.target(X[:, np.argsort(g)]).numpy(), y.numpy(), atol=1e-12)
        assert task.lower_bound(0.1).tau == 0.1
    assert hard.hidden_units == 5 and control.hidden_units == 3
    assert not torch.equal(factory(8, "hard", seed=1, hard="random").target(X),
                           factory(8, "hard", seed=2, hard="random").target(X))
    model = hard.make_model(ensemble=3, width=16, generator=gen())
    out = model(x1)
    assert out.shape == (3, 64)
    with pytest.raises(InvalidParameterError, match="role"):
        factory(8, "easy", seed=0)


def test_task_bounds_are_the_certificate_bounds():
    factory = get_task("boolean")
    for n, k in ((8, 4), (10, 3)):
        task = factory(n, "hard", seed=0, k=k)
        cert = BooleanParity().certificate(group=f"cyclic:{n}", k=k, tau=0.2)
        assert task.lower_bound(0.2).queries == pytest.approx(cert.lower_bound.queries, rel=1e-12)
        assert task.lower_bound(0.2).inputs["m"] == cert.members
    rand = factory(10, "hard", seed=0, hard="random", group="dihedral")
    cert = BooleanRandom().certificate(group="dihedral:10", tau=0.2)
    assert rand.lower_bound(0.2).queries == pytest.approx(cert.lower_bound.queries, rel=1e-12)
    big = factory(40, "hard", seed=0, hard="random")  # no enumeration: sum_O P(O)^2 <= |G|/2^n
    assert big.lower_bound(0.1).queries == pytest.approx(0.5 * 0.01 / (40 / 2**40), rel=1e-12)


def test_report_sections_are_data():
    import symhard.families._boolean_parity as bp
    import symhard.families._boolean_random as br
    import symhard.families._boolean_report as brep
    import symhard.families.boolean as bmod

    for module in (bmod, bp, br, brep):
        assert "matplotlib" not in inspect.getsource(module)
    sec = BooleanParity().report_section(quick=True)
    assert not sec.problems() and sec.certificates and sec.tables
    (fig,) = sec.figures
    k3 = fig.panels[0]
    cyc = next(s for s in k3.series if s.label.startswith("cyclic"))
    n = cyc.x.index(12)
    assert cyc.y[n] == pytest.approx((parse_group("cyclic:12").orbit_count_subsets(3) - 1) * 0.01**2)
    sym = next(s for s in k3.series if s.label.startswith("symmetric"))
    assert all(math.isnan(v) for v in sym.y) and k3.note  # vacuous, and the panel says why
    assert k3.yscale == "log" and "n" in k3.xlabel and "count" in k3.ylabel


@pytest.mark.slow
def test_random_report_section_keeps_the_sq_contrast():
    sec = BooleanRandom().report_section(quick=True)
    assert not sec.problems()
    (table,) = sec.tables
    rows = {r[0]: r for r in table.rows}
    assert rows["symmetric:12"][1] == rows["cyclic:12"][1] == "13"
    assert float(rows["symmetric:12"][2]) <= symmetric_learner_error_bound(12, 0.01) + 1e-12
    assert float(rows["cyclic:12"][2]) > 0.3
    assert sec.figures[0].name == "boolean_sq_bound_vs_n" and sec.figures[0].panels[0].yscale == "log"


def test_families_are_registered():
    assert get_family("boolean-parity") is BooleanParity
    assert get_family("boolean-random") is BooleanRandom
