"""Permutation groups: orders against sympy, Burnside against enumeration, actions are actions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from sympy.combinatorics.named_groups import AlternatingGroup, CyclicGroup, DihedralGroup, SymmetricGroup

from symhard.errors import EnumerationLimitError, GroupSpecError, InvalidParameterError
from symhard.groups import (
    PermutationGroup,
    act_on_graphs,
    act_on_masks,
    act_on_rows,
    act_on_subsets,
    act_on_vectors,
    compose,
    inverse,
    masks_to_pm1,
    parse_cycles,
    parse_group,
    pm1_to_masks,
)
from symhard.groups._permutation import _cycle_counts_batched

# OEIS A000031 (binary necklaces) and A000029 (binary bracelets), n = 1..12.
NECKLACES = [2, 3, 4, 6, 8, 14, 20, 36, 60, 108, 188, 352]
BRACELETS = [2, 3, 4, 6, 8, 13, 18, 30, 46, 78, 126, 224]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_orders_match_sympy(n):
    assert PermutationGroup.cyclic(n).order == CyclicGroup(n).order()
    assert PermutationGroup.symmetric(n).order == SymmetricGroup(n).order()
    assert PermutationGroup.alternating(n).order == (AlternatingGroup(n).order() if n >= 3 else 1)
    if n >= 3:
        assert PermutationGroup.dihedral(n).order == DihedralGroup(n).order() == 2 * n
    assert PermutationGroup.trivial(n).order == 1


def test_large_orders_without_enumeration():
    assert PermutationGroup.symmetric(30).order == math.factorial(30)
    assert PermutationGroup.alternating(25).order == math.factorial(25) // 2
    with pytest.raises(EnumerationLimitError, match="enumeration limit"):
        PermutationGroup.symmetric(12).elements()


@pytest.mark.parametrize("n", range(1, 13))
def test_burnside_boolean_counts_known_sequences(n):
    assert PermutationGroup.cyclic(n).orbit_count_boolean() == NECKLACES[n - 1]
    assert PermutationGroup.dihedral(n).orbit_count_boolean() == BRACELETS[n - 1]
    assert PermutationGroup.symmetric(n).orbit_count_boolean() == n + 1
    assert PermutationGroup.trivial(n).orbit_count_boolean() == 2**n


SMALL_GROUPS = [
    "cyclic:9", "dihedral:8", "dihedral:7", "symmetric:6", "alternating:6", "trivial:5",
    "gens:10:(0 1 2)(3 4);(0 5)(6 7 8 9)", "blocks:cyclic:4+symmetric:3", "blocks:dihedral:5+cyclic:3",
]


@pytest.mark.parametrize("spec", SMALL_GROUPS)
def test_burnside_matches_enumeration(spec):
    G = parse_group(spec)
    labels = G.boolean_orbit_labels()
    assert len(np.unique(labels)) == G.orbit_count_boolean()
    # orbits of k-subsets: brute force over all subsets and all group elements
    elems = G.elements()
    for k in range(G.degree + 1):
        subsets = list(itertools.combinations(range(G.degree), k))
        canon = {min(tuple(sorted(g[list(S)])) for g in elems) for S in subsets}
        assert len(canon) == G.orbit_count_subsets(k)
        if k <= 4:
            assert len(G.subset_orbit_representatives(k)) == len(canon)


@pytest.mark.parametrize("spec", SMALL_GROUPS)
def test_closed_form_cycle_index_matches_enumeration(spec):
    G = parse_group(spec)
    assert _cycle_counts_batched(G.elements()) == G.cycle_type_counts()
    assert sum(G.cycle_type_counts().values()) == G.order


def test_large_symmetric_group_orbit_labels_use_generators():
    G = PermutationGroup.symmetric(12)  # 479001600 elements: labels from generators only
    labels = G.boolean_orbit_labels()
    weights = np.array([bin(m).count("1") for m in range(2**12)])
    # orbits of S_n on the cube are exactly the Hamming-weight classes
    for w in range(13):
        assert len(np.unique(labels[weights == w])) == 1
    assert len(np.unique(labels)) == 13


def test_elements_are_distinct_members():
    G = parse_group("dihedral:6")
    E = G.elements()
    assert E.shape == (12, 6)
    assert len({tuple(e) for e in E}) == 12
    assert np.array_equal(E[0], np.arange(6))
    assert all(G.contains(e) for e in E)
    assert not G.contains("(0 1)")  # a transposition is not a symmetry of the hexagon


def test_random_elements_members_and_uniform():
    G = PermutationGroup.dihedral(5)
    R = G.random_elements(4000, seed=3)
    assert all(G.contains(r) for r in R[:50])
    _, counts = np.unique(R, axis=0, return_counts=True)
    assert len(counts) == 10
    # chi-square against uniform on 10 elements, df = 9; 0.999 quantile is 27.9
    expected = 400
    assert ((counts - expected) ** 2 / expected).sum() < 27.9
    assert np.array_equal(G.random_elements(5, seed=1), G.random_elements(5, seed=1))


def test_actions_are_homomorphisms(rng):
    G = PermutationGroup.symmetric(7)
    g, h = G.random_elements(2, seed=0)
    gh = compose(g, h)
    x = rng.standard_normal((3, 7))
    assert np.allclose(act_on_vectors(gh, x), act_on_vectors(g, act_on_vectors(h, x)))
    X = rng.standard_normal((3, 7, 2))
    assert np.allclose(act_on_rows(gh, X), act_on_rows(g, act_on_rows(h, X)))
    A = rng.integers(0, 2, (3, 7, 7))
    assert np.array_equal(act_on_graphs(gh, A), act_on_graphs(g, act_on_graphs(h, A)))
    S = np.array([[0, 2, 5], [1, 3, 4]])
    assert np.array_equal(act_on_subsets(gh, S), act_on_subsets(g, act_on_subsets(h, S)))
    masks = np.arange(128)
    assert np.array_equal(act_on_masks(gh, masks), act_on_masks(g, act_on_masks(h, masks)))
    # inverse
    assert np.array_equal(compose(g, inverse(g)), np.arange(7))


def test_action_conventions_agree(rng):
    """Vector, subset, mask and graph actions describe the same motion of points."""
    g = np.array([2, 0, 1, 4, 3])
    x = np.arange(5) * 10
    gx = act_on_vectors(g, x)
    assert gx[g[0]] == x[0] and gx[g[3]] == x[3]  # coordinate i moves to position g(i)
    assert act_on_subsets(g, np.array([0, 3])).tolist() == sorted([g[0], g[3]])
    m = (1 << 0) | (1 << 3)
    assert int(act_on_masks(g, m)) == (1 << g[0]) | (1 << g[3])
    # the ±1 encoding commutes with the action
    pm = masks_to_pm1(np.arange(32), 5)
    assert np.array_equal(act_on_vectors(g, pm), masks_to_pm1(act_on_masks(g, np.arange(32)), 5))
    assert np.array_equal(pm1_to_masks(pm), np.arange(32))
    # graph: an edge {i, j} moves to {g(i), g(j)}
    A = np.zeros((5, 5), int)
    A[0, 3] = A[3, 0] = 1
    gA = act_on_graphs(g, A)
    assert gA[g[0], g[3]] == 1 and gA.sum() == 2


def test_torch_actions_match_numpy(rng):
    G = PermutationGroup.cyclic(6)
    perms = G.elements()
    X = rng.standard_normal((6, 6, 3))
    A = rng.standard_normal((6, 6, 6))
    assert np.allclose(act_on_rows(torch.as_tensor(perms), torch.as_tensor(X)).numpy(), act_on_rows(perms, X))
    assert np.allclose(act_on_graphs(torch.as_tensor(perms), torch.as_tensor(A)).numpy(), act_on_graphs(perms, A))
    x = rng.standard_normal((6, 6))
    assert np.allclose(act_on_vectors(torch.as_tensor(perms), torch.as_tensor(x)).numpy(), act_on_vectors(perms, x))


def test_orbits_of_points_and_subsets():
    G = parse_group("blocks:cyclic:4+cyclic:3")
    assert G.orbit_of_point(1).tolist() == [0, 1, 2, 3]
    assert G.orbit_of_point(5).tolist() == [4, 5, 6]
    orb = PermutationGroup.cyclic(6).orbit_of_subset({0, 1})
    assert len(orb) == 6 and frozenset({5, 0}) in orb
    assert len(PermutationGroup.cyclic(6).orbit_of_subset({0, 3})) == 3


def test_sum_orbit_mass_squared_symmetric_vs_cyclic():
    from fractions import Fraction

    n = 10
    s_sym = PermutationGroup.symmetric(n).sum_orbit_mass_squared()
    assert s_sym == Fraction(sum(math.comb(n, w) ** 2 for w in range(n + 1)), 4**n)
    s_cyc = PermutationGroup.cyclic(n).sum_orbit_mass_squared()
    assert s_cyc <= Fraction(n, 2**n)  # Σ|O|² ≤ |G| Σ|O| = |G| 2^n
    assert s_cyc >= Fraction(1, PermutationGroup.cyclic(n).orbit_count_boolean())  # Cauchy–Schwarz


def test_parse_cycles_and_specs():
    assert parse_cycles("(0 1 2)(3 4)", 6).tolist() == [1, 2, 0, 4, 3, 5]
    assert parse_cycles("()", 3).tolist() == [0, 1, 2]
    G = parse_group("gens:12:(0 1 2)(3 4);(0 5)")
    assert G.degree == 12 and G.contains("(0 1 2)(3 4)")
    assert parse_group(" Cyclic:5 ").order == 5
    for bad in ["cyclic", "cyclic:x", "cyclic:0", "wheel:5", "gens:4:(0 9)", "gens:4:(0 1)(1 2)",
                "gens:4:0 1", "", "blocks:"]:
        with pytest.raises(GroupSpecError):
            parse_group(bad)


def test_bad_generators():
    with pytest.raises(InvalidParameterError, match="not a permutation"):
        PermutationGroup([np.array([0, 0, 1])], 3)
    with pytest.raises(InvalidParameterError, match="expected 4"):
        PermutationGroup([np.array([1, 0, 2])], 4)
    with pytest.raises(InvalidParameterError):
        PermutationGroup.cyclic(0)
    with pytest.raises(EnumerationLimitError, match="2\\^"):
        PermutationGroup.cyclic(40).boolean_orbit_labels()


def test_as_group_checks_the_number_of_points():
    from symhard.groups import as_group

    G = PermutationGroup.cyclic(6)
    assert as_group(G, 6) is G
    assert as_group("dihedral:6", 6).order == 12
    with pytest.raises(InvalidParameterError, match="acts on 6 points, but n == 7; the group must act on the n rows"):
        as_group(G, 7, acting_on="rows")
    with pytest.raises(InvalidParameterError, match="must be a PermutationGroup or a spec string"):
        as_group(12, 12)
    with pytest.raises(GroupSpecError):
        as_group("cyclic:x", 3)
