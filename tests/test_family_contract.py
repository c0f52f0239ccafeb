"""The family contract, checked for every registered family (the registry is the parametrization).

For each family's ``contract_case``: the network built from the weights equals the target; the
target is invariant under the group (the action is written out here, independently of
``symhard.groups``); the Gram matrix is a correlation matrix; the certificate round-trips through
JSON; the bound is the documented formula, recomputed here from the certificate's own numbers;
and the counting lemma itself holds on the family's Gram matrix for random and adversarial
queries. A new family gets all of this by adding one line to ``symhard.families.REGISTRY``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from symhard.families.base import Certificate, family_names, get_family
from symhard.parameters import Param

FAMILIES = family_names()


def documented_bound(kind: str, inputs: dict) -> float:
    """The formulas of symhard.queries.bounds, written out again (not imported)."""
    if kind == "csq-counting":
        m, gamma, tau = inputs["m"], inputs["gamma"], inputs["tau"]
        return 0.0 if m <= 1 or tau**2 <= gamma else (m - 1) * (tau**2 - gamma) / (1 - gamma)
    if kind == "csq-spectral":
        m, lam, tau = inputs["m"], inputs["lambda_max"], inputs["tau"]
        return 0.0 if m <= 1 else (m - 1) * tau**2 / lam
    if kind == "sq-pairwise-independence":
        return inputs["advantage"] * inputs["tau"] ** 2 / inputs["sum_mass_sq"]
    if kind == "sq-dimension":
        return max(0.0, inputs["d"] * inputs["tau"] ** 2 - 1)
    raise AssertionError(f"no documented formula for bound kind {kind!r}")


def act(perm: np.ndarray, inputs: tuple, actions: tuple) -> tuple:
    """g·x with (g·x)[g(i)] = x[i], i.e. x indexed by g⁻¹ along the permuted axes."""
    inv = np.argsort(perm)
    out = []
    for x, kind in zip(inputs, actions):
        x = np.asarray(x)
        if kind == "rows":
            out.append(np.take(x, inv, axis=1))
        elif kind == "graph":
            out.append(np.take(np.take(x, inv, axis=1), inv, axis=2))
        else:
            raise AssertionError(f"unknown input action {kind!r}")
    return tuple(out)


@pytest.fixture(scope="module", params=FAMILIES)
def case(request):
    return request.param, get_family(request.param)().contract_case(seed=0)


def test_network_built_from_the_weights_equals_the_target(case):
    name, c = case
    target = np.asarray(c.target(c.inputs), dtype=float)
    net = np.asarray(c.network(c.inputs), dtype=float)
    assert target.shape == net.shape == (len(c.members), c.inputs[0].shape[0]), name
    assert np.isfinite(target).all() and np.abs(target).max() > 0, f"{name}: the target is degenerate"
    assert np.abs(net - target).max() <= c.atol, name


def test_target_is_invariant_under_the_group(case):
    name, c = case
    y = np.asarray(c.target(c.inputs), dtype=float)
    for perm in c.group.random_elements(4, seed=1):
        moved = np.asarray(c.target(act(perm, c.inputs, c.input_actions)), dtype=float)
        np.testing.assert_allclose(moved, y, atol=1e-9 * max(1.0, np.abs(y).max()), err_msg=name)
    # and the action is not trivial on these inputs (a test that could not fail would prove nothing)
    moved_inputs = act(c.group.random_elements(1, seed=2)[0], c.inputs, c.input_actions)
    if c.group.order > 1:
        assert any(not np.array_equal(a, b) for a, b in zip(moved_inputs, c.inputs)), name


def test_gram_is_a_correlation_matrix(case):
    name, c = case
    C = c.gram.gram
    assert C.shape == (len(c.members),) * 2, name
    np.testing.assert_allclose(C, C.T, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.diag(C), 1.0, atol=1e-12, err_msg=name)
    assert np.abs(C).max() <= 1 + 1e-9, name
    assert np.linalg.eigvalsh(0.5 * (C + C.T)).min() >= -1e-8, f"{name}: Gram matrix is not positive semidefinite"
    assert (c.gram.stderr >= 0).all()


def test_certificate_round_trips_through_json(case):
    name, c = case
    d = json.loads(c.certificate.to_json())
    again = Certificate.from_dict(d).to_dict()
    assert json.loads(json.dumps(again)) == d, name
    assert d["family"] == name
    assert set(Certificate.COMMON_KEYS) <= set(d)


def test_bound_is_the_documented_formula(case):
    name, c = case
    cert = c.certificate
    lb = cert.lower_bound
    expected = documented_bound(lb.kind, lb.inputs)
    if expected == 0.0:
        assert lb.queries == 0.0 and lb.log10_queries is None, name
    elif math.isfinite(lb.queries):
        assert lb.queries == pytest.approx(expected, rel=1e-9), name
    assert lb.condition, f"{name}: the bound must state what it is a bound for"
    assert lb.tau == lb.inputs["tau"]
    if lb.kind.startswith("csq"):
        assert lb.inputs["m"] == cert.members, f"{name}: the bound's class size must be the certificate's members"
        if "gamma" in lb.inputs and lb.kind == "csq-counting":
            # the gamma of the bound covers at least the correlation the certificate measured
            assert lb.inputs["gamma"] >= cert.max_offdiag_corr - 1e-12, name


def _ruled_out(C: np.ndarray, alpha: np.ndarray, tau: float) -> int:
    """How many members a query h = Σ α_j f_j (normalized to ‖h‖ = 1) rules out at tolerance τ."""
    norm = math.sqrt(max(float(alpha @ C @ alpha), 1e-300))
    return int((np.abs(C @ alpha) / norm > tau).sum())


def test_counting_lemma_holds_on_the_family_gram_matrix(case):
    """|{i : |<h, f_i>| > τ}| < (1 − γ)/(τ² − γ) and < λ_max/τ² for random and adversarial h."""
    name, c = case
    C = 0.5 * (c.gram.gram + c.gram.gram.T)
    m = C.shape[0]
    gamma = float(np.abs(C - np.eye(m)).max())
    lam = float(np.linalg.eigvalsh(C).max())
    rng = np.random.default_rng(0)
    taus = [t for t in (0.3, 0.5, 0.7, 0.9) if t * t > gamma] or [math.sqrt(gamma) + 0.05]
    for tau in taus:
        limit = (1 - gamma) / (tau**2 - gamma) if tau**2 > gamma else math.inf
        queries = [rng.normal(size=m) for _ in range(50)]
        # adversarial: h along the top eigenvector, and h = Σ_B s_i f_i for growing sets B
        w, V = np.linalg.eigh(C)
        queries.append(V[:, -1])
        for size in range(1, m + 1):
            queries.append(np.sign(V[:, -1]) * (np.arange(m) < size))
        for alpha in queries:
            count = _ruled_out(C, alpha, tau)
            assert count < limit + 1e-9, (name, tau, count, limit)
            assert count < lam / tau**2 + 1e-9, (name, tau, count, lam)


@pytest.mark.parametrize("name", FAMILIES)
def test_declaration_is_complete(name):
    fam = get_family(name)
    assert fam.summary and fam.theorem and fam.symmetry and fam.bound, name
    assert fam.params and all(isinstance(p, Param) for p in fam.params)
    for p in fam.params:  # every default is allowed by its own declaration
        assert p.validate(p.default) == p.default or p.kind == "ints", (name, p.name)
    json.dumps(fam.describe())
    if fam.task is not None:
        assert fam.task.param is not None and fam.task.options is not None, name
        for p in fam.task.options:
            p.validate(p.default)
