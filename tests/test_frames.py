"""Tests for frames, the FrameAveraged wrapper and the frame-averaged hard family."""

from __future__ import annotations

import math
from itertools import combinations, product

import numpy as np
import pytest
import torch

from symhard.errors import EnumerationLimitError, InvalidParameterError
from symhard.groups import (CyclicArgmaxFrame, LexMinFrame, PermutationGroup, SortFrame, act_on_vectors,
                            compose, default_frame, frame_average, parse_group)
from symhard.families import frames as fam
from symhard.models.frame_averaged import EnsembleMLP, FrameAveraged


def _frame_set(frame, x):
    perms, mask = frame.elements(x[None])
    return {tuple(p) for p, ok in zip(perms[0], mask[0]) if ok}


def _brute_frame(frame, x):
    """The frame by its definition, enumerating G (independent of the implementations)."""
    key = np.abs(x) if frame.sign_invariant else x
    E = frame.group.elements()
    moved = {tuple(g): tuple(key[g]) for g in E}  # h⁻¹·x = x[h]
    if isinstance(frame, SortFrame):
        target = tuple(sorted(key, reverse=True))
    elif isinstance(frame, CyclicArgmaxFrame):
        return {tuple(g) for g in E if key[g[0]] == key.max()}
    else:
        target = min(moved.values())
    return {g for g, v in moved.items() if v == target}


FRAMES = [
    lambda: SortFrame(5),
    lambda: SortFrame(5, sign_invariant=True),
    lambda: CyclicArgmaxFrame(6),
    lambda: CyclicArgmaxFrame(6, sign_invariant=True),
    lambda: LexMinFrame(PermutationGroup.dihedral(6)),
    lambda: LexMinFrame(parse_group("blocks:cyclic:3+symmetric:3"), sign_invariant=True),
]


def _tied_inputs(n, rng, count=12):
    """Inputs with many ties: entries from {−2, −1, 1, 2} (equal entries, equal |.|, equal maxima)."""
    return rng.choice([-2.0, -1.0, 1.0, 2.0], size=(count, n))


@pytest.mark.parametrize("make", FRAMES)
def test_frame_matches_definition_and_is_equivariant_with_ties(make):
    frame = make()
    n = frame.n
    rng = np.random.default_rng(0)
    X = np.concatenate([_tied_inputs(n, rng), rng.standard_normal((4, n)), np.ones((1, n))])
    sizes = frame.sizes(X)
    assert sizes.max() > 1  # ties actually occur
    for x in X:
        F = _frame_set(frame, x)
        assert F == _brute_frame(frame, x)
        assert all(frame.group.contains(np.array(h)) for h in list(F)[:3])
        for g in frame.group.random_elements(3, seed=int(rng.integers(1000))):
            Fg = _frame_set(frame, act_on_vectors(g, x))
            assert Fg == {tuple(compose(g, np.array(h))) for h in F}
        if frame.sign_invariant:
            D = rng.choice([-1.0, 1.0], size=n)
            assert _frame_set(frame, D * x) == F


@pytest.mark.parametrize("make", FRAMES)
def test_frame_average_is_exactly_invariant(make):
    frame = make()
    n = frame.n
    rng = np.random.default_rng(1)
    X = np.concatenate([_tied_inputs(n, rng, 8), rng.standard_normal((8, n))])
    model = FrameAveraged(EnsembleMLP(n, 7, ensemble=3, bias=True, generator=torch.Generator().manual_seed(0),
                                      dtype=torch.float64), frame)
    with torch.no_grad():
        model.model.b.normal_(generator=torch.Generator().manual_seed(1))
        y = model(torch.as_tensor(X))
        for g in frame.group.random_elements(4, seed=2):
            yg = model(torch.as_tensor(act_on_vectors(g, X)))
            torch.testing.assert_close(yg, y, atol=1e-12, rtol=0)
        # per-member inputs agree with shared ones
        ym = model(torch.as_tensor(np.broadcast_to(X, (3, *X.shape)).copy()))
        torch.testing.assert_close(ym, y)
    # the un-averaged model is not invariant (so the check above can fail)
    with torch.no_grad():
        raw = model.model(torch.as_tensor(X))
        g = frame.group.random_elements(8, seed=3)
        diffs = [float((model.model(torch.as_tensor(act_on_vectors(h, X))) - raw).abs().max()) for h in g]
    assert max(diffs) > 1e-3


def test_numpy_frame_average_and_sampled_mode():
    frame = LexMinFrame(PermutationGroup.dihedral(5))
    x = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 1.0, 2.0, 0.0]])  # |F| = 10 and |F| = 2
    assert list(frame.sizes(x)) == [10, 2]
    w = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
    phi = lambda y: np.tanh(y @ w + y[:, 0] * y[:, 1])  # noqa: E731
    exact = frame_average(phi, x, frame)
    perms, mask = frame.elements(x)
    ref = [np.mean([phi(x[b][h][None])[0] for h, ok in zip(perms[b], mask[b]) if ok]) for b in range(2)]
    np.testing.assert_allclose(exact, ref, atol=1e-14)
    samp = frame_average(phi, x, frame, mode="sampled", samples=20_000, seed=0)
    assert np.allclose(samp, exact, atol=0.03)
    # sampled mode is exact when the frame is a single element
    xg = np.random.default_rng(0).standard_normal((5, 5))
    np.testing.assert_allclose(frame_average(phi, xg, frame, mode="sampled", samples=3, seed=1),
                               frame_average(phi, xg, frame), atol=1e-14)
    with pytest.raises(InvalidParameterError, match="mode must be"):
        frame_average(phi, x, frame, mode="mean")


def test_default_frames_and_limits():
    assert isinstance(default_frame(PermutationGroup.symmetric(4)), SortFrame)
    assert isinstance(default_frame(parse_group("gens:5:(0 1 2 3 4)")), CyclicArgmaxFrame)
    assert isinstance(default_frame(PermutationGroup.dihedral(5)), LexMinFrame)
    with pytest.raises(EnumerationLimitError, match="tying elements"):
        SortFrame(12).elements(np.zeros((1, 12)))
    with pytest.raises(InvalidParameterError, match=r"shape \[\.\.\., 6\]"):
        CyclicArgmaxFrame(6).elements(np.zeros((2, 5)))


# ----------------------------------------------------------------------------- the family
def test_sign_network_weights_match_formula():
    rng = np.random.default_rng(0)
    S = np.array([1, 3, 4, 6])
    W, a = fam.sign_network_weights(S, 8)
    x = rng.standard_normal((30, 8))
    net = EnsembleMLP.from_weights(W, a)
    brute = sum(np.prod(w) * np.maximum(x[:, S] @ np.array(w) / 2.0, 0) for w in product((1, -1), repeat=4))
    np.testing.assert_allclose(net(torch.as_tensor(x))[0].detach().numpy(), brute, atol=1e-12)


def test_conditional_products_against_all_sign_flips():
    """E_ε[f̄_A f̄_B | r] from the slot enumeration equals the average over all 2^n sign vectors."""
    n = 6
    for frame in (CyclicArgmaxFrame(n, sign_invariant=True), LexMinFrame(PermutationGroup.dihedral(n), sign_invariant=True)):
        rng = np.random.default_rng(2)
        R = np.abs(rng.standard_normal((3, n)))
        R[2] = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]  # ties: |F(r)| > 1
        pairs_A = np.array([[0, 1], [0, 2], [0, 1], [0, 1], [0, 3]])
        pairs_B = np.array([[0, 2], [0, 3], [0, 1], [2, 3], [1, 4]])
        got = fam.conditional_products(R, frame, pairs_A, pairs_B)
        eps = np.array(list(product((1.0, -1.0), repeat=n)))
        for i, r in enumerate(R):
            xs = eps * r
            fa = np.stack([fam.f_bar(A, xs, frame) for A in pairs_A])
            fb = np.stack([fam.f_bar(B, xs, frame) for B in pairs_B])
            np.testing.assert_allclose(got[i], (fa * fb).mean(1), atol=1e-12)
        orbit_of = {S: frozenset(map(frozenset, frame.group.orbit_of_subset(S))) for S in [(0, 1), (0, 2), (0, 3)]}
        for p, (A, B) in enumerate(zip(map(tuple, pairs_A), map(tuple, pairs_B))):
            if frozenset(B) not in orbit_of[A]:
                assert np.abs(got[:, p]).max() < 1e-12  # different orbits: exactly orthogonal
        assert got[:, 2].min() > 0.01  # the norm term is positive
        if isinstance(frame, CyclicArgmaxFrame):
            # {0,1} and {2,3} share an orbit: orthogonal when |F(r)| = 1 (a canonicalization), but
            # not for the tied r, whose frame {h_1, h_3, h_5} maps both onto {3, 4}
            assert np.abs(got[:2, 3]).max() < 1e-12
            assert abs(got[2, 3]) > 1e-3


def test_norms_match_plain_monte_carlo():
    frame = CyclicArgmaxFrame(8, sign_invariant=True)
    rng = np.random.default_rng(5)
    reps = np.array([[0, 1], [1, 2], [0, 4]])
    R = np.abs(rng.standard_normal((20_000, 8)))
    cond = fam.conditional_products(R, frame, reps, reps).mean(0)
    x = rng.standard_normal((40_000, 8))
    vals = np.stack([fam.f_bar(S, x, frame) ** 2 for S in reps])
    mc, se = vals.mean(1), vals.std(1) / math.sqrt(x.shape[0])
    assert np.all(np.abs(cond - mc) < 5 * se + 0.01 * mc)
    assert cond[0] > 2 * cond[1]  # S = {0, 1} meets the canonical position 0, {1, 2} does not


def test_certificate_frames():
    cert = fam.certify(n=8, group="dihedral:8", k=2, members=8, abs_samples=8, norm_samples=500, tau=0.5, seed=1)
    d = cert.to_dict()
    G = PermutationGroup.dihedral(8)
    brute_orbits = len({frozenset(map(frozenset, G.orbit_of_subset(S))) for S in combinations(range(8), 2)})
    # the certificate and its bound cover the whole class: one member per orbit (all 4 checked here)
    assert d["members"] == d["orbit_count"] == d["members_checked"] == brute_orbits == 4
    assert d["orbit_count"] >= d["orbit_count_lower"] == math.comb(8, 2) / 16
    assert d["realization_error"] < 1e-10
    assert d["max_offdiag_corr"] < 1e-12
    assert d["min_norm_sq"] > 5 * d["min_norm_sq_stderr"]
    # gamma = 0 by the orthogonality proof: the counting lemma gives (m - 1) tau^2
    assert d["lower_bound"]["inputs"] == {"m": 4, "gamma": 0.0, "tau": 0.5}
    assert d["lower_bound"]["queries"] == pytest.approx((4 - 1) * 0.25)
    assert d["lower_bound"]["condition"]
    np.testing.assert_allclose(d["unaveraged_norm_sq"], 2 - 4 / math.pi, rtol=1e-12)  # f_S = |u| − |v|, u, v iid N(0,1)
    # norms are Monte Carlo, correlations exact given |x|: the method says so
    assert d["method"] == "mixed" and d["methods"]["norms"] == "mc" and "exact given |x|" in d["methods"]["correlations"]
    # min_norm is relative to the un-averaged sign network
    assert d["min_norm"] == pytest.approx(math.sqrt(d["min_norm_sq"] / (2 - 4 / math.pi)), rel=1e-12)
    assert list(d["params"]) == [p.name for p in fam.FramesFamily.params]
    assert d["params"]["members"] == 8 and d["params"]["tau"] == 0.5 and d["params"]["group"] == "dihedral:8"


def test_certificate_bound_uses_the_whole_class_when_fewer_members_are_checked():
    cert = fam.certify(n=12, group="cyclic:12", k=4, members=5, abs_samples=4, norm_samples=50, tau=0.5,
                       realization_samples=4)
    # Z_12 on 4-subsets by Burnside: (C(12,4) + C(6,2) + 2 C(3,1)) / 12 = 43
    assert cert.members == 43 and cert.extra["members_checked"] == 5 and cert.extra["pairs_checked"] == 10
    assert cert.lower_bound.queries == pytest.approx(42 * 0.25)


def test_conditional_gram_is_a_correlation_matrix_with_honest_errors():
    frame = CyclicArgmaxFrame(6, sign_invariant=True)
    reps = np.array([[0, 1], [0, 2], [0, 3]])
    rng = np.random.default_rng(0)
    gram, gamma, se = fam.conditional_gram(reps, frame, np.abs(rng.standard_normal((300, 6))),
                                           np.abs(rng.standard_normal((10, 6))))
    assert gram.method == "mc" and gram.n_samples == 300
    np.testing.assert_allclose(gram.gram, np.eye(3), atol=1e-12)  # distinct orbits: 0 for every |x|
    assert gamma < 1e-12 and np.all(se > 0)
    # the norms are the Monte-Carlo means of the exact conditional squares
    diag = fam.conditional_products(np.abs(np.random.default_rng(0).standard_normal((300, 6))), frame, reps, reps)
    np.testing.assert_allclose(gram.norms**2, diag.mean(0), rtol=1e-12)


def test_report_section_is_data_with_readable_figures():
    from symhard.sections import Section

    sec = fam.FramesFamily().report_section(quick=True)
    assert isinstance(sec, Section) and sec.problems() == []
    (fig,) = sec.figures
    assert "frames" in fig.title and "hard class" in fig.title and "Z_n" in fig.title
    corr, norm, size = fig.panels
    # exact zeros are drawn on a linear axis and stated in words, never as 1e-18 on a log axis
    assert corr.yscale == "linear" and "round-off" in corr.note
    assert all(abs(v) < 1e-12 for s in corr.series for v in s.y)
    assert all(p.yscale == "linear" or all(v > 0 for s in p.series for v in s.y) for p in fig.panels)
    labels = [s.label for s in size.series]
    assert "Z_n, k = 2" in labels and any("log₂ n" in lab for lab in labels)
    for p in fig.panels:
        assert "(input dimension)" in p.xlabel and p.ylabel
    assert len(sec.certificates) == 8 and all(c.method == "mixed" for c in sec.certificates)


def test_frames_bad_inputs():
    with pytest.raises(InvalidParameterError, match="acts on 12 points, but n == 10"):
        fam.certify(n=10, group="cyclic:12")
    with pytest.raises(InvalidParameterError, match="identically zero for odd k"):
        fam.certify(n=10, k=3)
    with pytest.raises(InvalidParameterError, match="k == 12 exceeds n == 10"):
        fam.certify(n=10, k=12)
    with pytest.raises(InvalidParameterError, match="single orbit"):
        fam.certify(n=5, group="symmetric:5", k=2)


def test_frames_task_contract():
    from symhard.families.base import get_task

    hard = get_task("frames")(8, "hard", 2, k=2, norm_samples=4000)
    ctrl = get_task("frames")(8, "control", 2, norm_samples=4000)
    (x,) = hard.sample_inputs(4000, torch.Generator().manual_seed(9))
    (x2,) = ctrl.sample_inputs(4000, torch.Generator().manual_seed(9))
    assert torch.equal(x, x2) and x.shape == (4000, 8)
    assert x.dtype == torch.float32 and hard.input_actions == ("rows",) and hard.group.name == "cyclic:8"
    for task in (hard, ctrl):
        y = task.target(x)
        assert y.shape == (4000,) and abs(float((y.double() ** 2).mean()) - 1) < 0.15
        model = task.make_model(2, 8, torch.Generator().manual_seed(0))
        assert model(x[:5]).shape == (2, 5)
    assert hard.lower_bound(0.5).queries == pytest.approx((PermutationGroup.cyclic(8).orbit_count_subsets(2) - 1) * 0.25)


def test_certificate_refuses_when_distinct_orbits_correlate(monkeypatch):
    """The bound uses gamma = 0 from the proof; a computation contradicting it must not certify."""
    from symhard.errors import SymhardError

    real = fam.conditional_gram

    def broken(*args, **kwargs):
        gram, _, se = real(*args, **kwargs)
        return gram, 0.2, se

    monkeypatch.setattr(fam, "conditional_gram", broken)
    with pytest.raises(SymhardError, match="the orthogonality proof says 0"):
        fam.certify(n=6, k=2, members=3, abs_samples=2, norm_samples=20, realization_samples=2)
