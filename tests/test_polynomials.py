"""Tests of symhard.families.polynomials against independent references (scipy, sympy, brute force, MC)."""

from itertools import combinations
from math import comb, factorial

import numpy as np
import pytest
import sympy
from numpy.polynomial import hermite_e as He
from scipy.special import eval_hermitenorm

from symhard.errors import InvalidParameterError
from symhard.families.polynomials import (
    HermitePolynomial,
    PolynomialsFamily,
    class_bound,
    gram_matrix,
    hard_class_size,
    hermite_e_table,
    multi_index_orbit,
    multilinear_orbit_sum,
    orbit_sum,
    power_network_forward,
    power_network_weights,
    random_invariant_multilinear,
    random_subset_orbits,
    resolve_group,
)
from symhard.groups import PermutationGroup, parse_group


def test_hermite_table_matches_scipy_and_sympy():
    z = np.linspace(-3, 3, 7)
    H = hermite_e_table(z, 6)
    x = sympy.symbols("x")
    for j in range(7):
        np.testing.assert_allclose(H[:, j], eval_hermitenorm(j, z), rtol=1e-12, atol=1e-12, err_msg=f"j={j}")
        # sympy: He_j(x) = 2^{-j/2} H_j(x/sqrt 2)
        expr = sympy.expand(2 ** sympy.Rational(-j, 2) * sympy.hermite(j, x / sympy.sqrt(2)))
        np.testing.assert_allclose(H[:, j], [float(expr.subs(x, v)) for v in z], rtol=1e-10, atol=1e-10)


def test_monomial_evaluation_matches_numpy_hermite_e():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 4))
    alpha = np.array([2, 0, 3, 1])
    p = HermitePolynomial(alpha[None, :], np.ones(1))
    ref = np.prod([He.hermeval(x[:, i], [0] * a + [1]) for i, a in enumerate(alpha)], axis=0)
    np.testing.assert_allclose(p(x), ref, rtol=1e-12)


def test_exact_gram_of_hermite_polynomials_matches_monte_carlo():
    G = PermutationGroup.cyclic(5)
    polys = [orbit_sum(G, [2, 0, 0, 0, 0]), orbit_sum(G, [1, 1, 0, 0, 0]),
             orbit_sum(G, [1, 0, 1, 0, 0], weight=0.5)]
    mixed = HermitePolynomial(np.concatenate([polys[0].exponents, polys[1].exponents]),
                              np.concatenate([polys[0].coefs, 2 * polys[1].coefs]))
    polys.append(mixed)
    K = gram_matrix(polys)
    np.testing.assert_allclose(K, [[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 0.25, 0], [1, 2, 0, 5]], atol=1e-12)
    x = np.random.default_rng(1).standard_normal((400_000, 5))
    F = np.stack([p(x) for p in polys])
    K_mc = F @ F.T / x.shape[0]
    se = np.sqrt(np.var(F[:, None, :] * F[None, :, :], axis=-1) / x.shape[0])
    assert np.all(np.abs(K_mc - K) < 5 * se + 1e-9), (K_mc, K, se)


def test_orbit_sums_are_invariant_and_normalized():
    G = PermutationGroup.dihedral(6)
    p = orbit_sum(G, [2, 1, 0, 0, 1, 0])
    assert p.norm_sq() == pytest.approx(1.0)
    x = np.random.default_rng(2).standard_normal((100, 6))
    for g in G.elements():
        np.testing.assert_allclose(p(x[:, np.argsort(g)]), p(x), rtol=1e-10, atol=1e-10)


def test_multi_index_orbit_matches_brute_force():
    G = PermutationGroup.dihedral(5)
    alpha = np.array([2, 1, 0, 0, 0])
    brute = {tuple(np.asarray(alpha)[np.argsort(g)]) for g in G.elements()}
    assert {tuple(r) for r in multi_index_orbit(G, alpha)} == brute


@pytest.mark.parametrize("spec,k", [("cyclic:8", 3), ("dihedral:7", 3), ("symmetric:5", 2), ("trivial:6", 3),
                                    ("blocks:cyclic:3+cyclic:4", 3), ("alternating:5", 2)])
def test_orbit_counts_match_enumeration(spec, k):
    G = parse_group(spec)
    elems = G.elements()
    orbits = {min(tuple(sorted(g[list(S)])) for g in elems) for S in combinations(range(G.degree), k)}
    assert hard_class_size(G, k) == len(orbits)
    assert hard_class_size(G, k) >= comb(G.degree, k) / G.order


def test_hard_class_is_orthonormal_and_realized_by_power_network():
    G = PermutationGroup.cyclic(9)
    reps = random_subset_orbits(G, 3, 6, seed=0)
    assert len({tuple(r) for r in reps}) == 6
    polys = [multilinear_orbit_sum(G, r) for r in reps]
    np.testing.assert_allclose(gram_matrix(polys), np.eye(6), atol=1e-12)
    x = np.random.default_rng(3).standard_normal((300, 9))
    for r, p in zip(reps, polys):
        W, a = power_network_weights(G, r)
        # independent reference: the orbit sum written out with sets
        orb = G.orbit_of_subset(r)
        ref = sum(np.prod(x[:, sorted(T)], axis=1) for T in orb) / np.sqrt(len(orb))
        np.testing.assert_allclose(p(x), ref, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(power_network_forward(G, W, a, 3, x), ref, rtol=1e-9, atol=1e-9)


def test_lower_bound_formula_and_certificate():
    G = PermutationGroup.cyclic(12)
    lb = class_bound(G, 4, 0.1)
    # Burnside by hand for Z_12 on 4-subsets: sum over divisors d of gcd(12,4)=4 of phi(d) C(12/d, 4/d) / 12
    n_orbits = (1 * comb(12, 4) + 1 * comb(6, 2) + 2 * comb(3, 1)) // 12
    # the counting lemma with gamma = 0: (m - 1) tau^2, m the whole class
    assert lb.queries == pytest.approx((n_orbits - 1) * 0.01)
    assert lb.kind == "csq-counting" and lb.inputs == {"m": n_orbits, "gamma": 0.0, "tau": 0.1} and lb.condition
    cert = PolynomialsFamily().certificate(group="cyclic:12", k=4, members=5, tau=0.1)
    d = cert.to_dict()
    assert d["members"] == d["orbits"] == n_orbits and d["members_checked"] == 5  # the bound covers the class
    assert d["max_offdiag_corr"] == 0.0 and d["min_norm"] == pytest.approx(1.0)
    assert d["realization_error"] < 1e-9
    assert d["lower_bound"]["queries"] == pytest.approx((n_orbits - 1) * 0.01)
    # params echo the declared parameter names, with the values used
    assert list(d["params"]) == [p.name for p in PolynomialsFamily.params]
    assert d["params"] == {"group": "cyclic:12", "k": 4, "members": 5, "tau": 0.1, "samples": 2000, "seed": 0}


def test_a_class_of_one_orbit_needs_no_query():
    # S_5 has one orbit of 2-subsets: the counting lemma gives 0 (vacuous), not a positive bound
    cert = PolynomialsFamily().certificate(group="symmetric:5", k=2, members=3)
    assert cert.members == 1 and cert.extra["members_checked"] == 1
    assert cert.lower_bound.queries == 0.0 and cert.lower_bound.vacuous


def test_random_invariant_polynomial_norm():
    G = PermutationGroup.cyclic(7)
    f = random_invariant_multilinear(G, 3, 3, seed=4)
    assert f.is_multilinear and f.degree == 3
    x = np.random.default_rng(5).standard_normal((200_000, 7))
    v = f(x) ** 2
    assert abs(v.mean() - f.norm_sq()) < 5 * v.std() / np.sqrt(v.size)


def test_bad_inputs():
    G = PermutationGroup.cyclic(5)
    with pytest.raises(InvalidParameterError, match="exceeds the number of coordinates"):
        hard_class_size(G, 6)
    with pytest.raises(InvalidParameterError, match="acts on 5 points"):
        resolve_group(G, n=6)
    with pytest.raises(InvalidParameterError, match="multi-index"):
        orbit_sum(G, [1, 2])
    with pytest.raises(InvalidParameterError, match=r"shape \(m, n\)"):
        multilinear_orbit_sum(G, [0, 1])(np.zeros((3, 4)))


def test_polynomials_task_contract():
    import torch

    from symhard.families.base import get_task

    hard = get_task("polynomials")(16, "hard", 3)
    control = get_task("polynomials")(16, "control", 5)
    assert (hard.family, hard.param_name, hard.param_value, hard.hidden_units) == ("polynomials", "n", 16, 8)
    assert control.hidden_units == 2
    assert hard.group.is_cyclic_shift() and hard.group.degree == 16 and hard.input_actions == ("rows",)
    x1, = hard.sample_inputs(40_000, torch.Generator().manual_seed(0))
    x2, = control.sample_inputs(40_000, torch.Generator().manual_seed(0))
    assert x1.shape == (40_000, 16) and x1.dtype == torch.float32 and torch.equal(x1, x2)  # not seed or role
    assert abs(float(x1.mean())) < 0.01 and abs(float(x1.var()) - 1) < 0.01  # N(0, 1) coordinates
    for task in (hard, control):
        y = task.target(x1).double()
        assert y.shape == (40_000,)
        se = (y**2).std() / np.sqrt(y.numel())
        assert abs(float((y**2).mean()) - 1.0) < 4 * float(se), (task.role, float((y**2).mean()), float(se))
        model = task.make_model(3, 8, torch.Generator().manual_seed(1))
        assert model(x1[:10]).shape == (3, 10)
    # the hard target is invariant under the cyclic shift
    np.testing.assert_allclose(hard.target(torch.roll(x1[:100], 1, dims=1)), hard.target(x1[:100]), atol=1e-5)
    # the whole-class bound (N_4(Z_16) - 1) tau^2, with N_4(Z_16) = 116 by Burnside
    # (C(16,4) + C(8,2) + 2 C(4,1)) / 16 = (1820 + 28 + 8) / 16 = 116
    assert hard_class_size(PermutationGroup.cyclic(16), 4) == 116
    assert hard.lower_bound(0.1).queries == pytest.approx(115 * 0.01)


def test_report_section_is_data():
    from symhard.sections import Section

    sec = PolynomialsFamily().report_section(quick=True)
    assert isinstance(sec, Section) and sec.problems() == []
    assert sec.certificates and all(c.members == c.extra["orbits"] for c in sec.certificates)
    (fig,) = sec.figures
    assert "polynomials" in fig.title and "hard class" in fig.title
    sizes, bounds = fig.panels
    z4 = next(s for s in sizes.series if s.label == "N_4(Z_n), k = 4")
    # the plotted class sizes are the Burnside counts (checked against the brute force above)
    assert z4.y == pytest.approx([np.log10(hard_class_size(PermutationGroup.cyclic(n), 4)) for n in z4.x])
    for p in fig.panels:
        assert "n" in p.xlabel and "(" in p.xlabel and p.ylabel


def test_family_imports_no_learner_and_no_matplotlib():
    """The family layer stands below the learners: importing it (and building its report data)
    must import neither symhard.learners nor matplotlib."""
    import subprocess
    import sys

    code = ("import sys; import symhard.families.polynomials as p; import symhard.families.frames; "
            "p.PolynomialsFamily().certificate(group='cyclic:8', k=3, members=2); "
            "bad = [m for m in sys.modules if m.startswith(('symhard.learners', 'matplotlib'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
