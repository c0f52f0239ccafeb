"""F_k of DKKZ 2020 and the arc-cosine kernel, against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from symhard.errors import InvalidParameterError
from symhard.families import _alternating_relu as ar
from symhard.queries.arccos import abs_pair_expectation, network_gram, network_inner, relu_pair_expectation


@pytest.mark.parametrize("k", [2, 4, 6, 8])
def test_angular_spectrum_only_odd_multiples_of_k(k):
    phi = 2 * np.pi * np.arange(4096) / 4096
    g = ar.F_k(np.stack([np.cos(phi), np.sin(phi)], axis=-1), k)
    spec = np.abs(np.fft.rfft(g)) / len(phi)
    m = np.arange(len(spec))
    allowed = (m % k == 0) & ((m // k) % 2 == 1)
    assert spec[m < 40][allowed[m < 40]].max() > 1e-3
    assert spec[~allowed][:400].max() < 1e-3 * spec[allowed].max() + 1e-9


@pytest.mark.parametrize("k", [4, 6])
def test_low_degree_hermite_components_vanish(k):
    """E[F_k(u) He_a(u1) He_b(u2)] = 0 for a + b < k, by Gauss–Hermite quadrature (exact for polynomials)."""
    # F_k is only piecewise linear, so use a fine quadrature in polar form instead:
    # E[F_k(u) p(u)] = ∫ r e^{-r²/2}/(2π) ∫ F_k(r,φ) p(r,φ) dφ dr, F_k(r,φ) = r g(φ).
    phi = 2 * np.pi * (np.arange(8192) + 0.5) / 8192
    g = ar.F_k(np.stack([np.cos(phi), np.sin(phi)], axis=-1), k)
    He = np.polynomial.hermite_e.hermeval

    def component(a, b):
        ca = np.zeros(a + 1)
        ca[a] = 1
        cb = np.zeros(b + 1)
        cb[b] = 1

        def radial(r):  # ∫ over φ by the midpoint rule, then over r by quad
            u1, u2 = r * np.cos(phi), r * np.sin(phi)
            return np.mean(g * He(u1, ca) * He(u2, cb)) * r * r * np.exp(-r * r / 2)

        return integrate.quad(radial, 0, 12, limit=200)[0]

    for a in range(k):
        for b in range(k - a):
            assert abs(component(a, b)) < 1e-6, (a, b)
    # ... while the degree-k component does not vanish (so the test can fail)
    assert max(abs(component(a, k - a)) for a in range(k + 1)) > 1e-2


def test_F_k_relu_is_half_abs_and_odd_k_rejected(rng):
    u = rng.standard_normal((1000, 2))
    for k in [2, 4, 6]:
        assert np.allclose(ar.F_k(u, k, "relu"), 0.5 * ar.F_k(u, k, "abs"), atol=1e-12)
    with pytest.raises(InvalidParameterError, match="even"):
        ar.F_k(u, 3)
    with pytest.raises(InvalidParameterError):
        ar.F_k(u[:, :1], 4)


@pytest.mark.parametrize("k", [2, 4, 8])
def test_norm_sq_against_quadrature(k):
    phi = 2 * np.pi * (np.arange(20000) + 0.5) / 20000
    g = ar.F_k(np.stack([np.cos(phi), np.sin(phi)], axis=-1), k)
    # E[F_k²] = E[r²] · mean_φ g(φ)² = 2 · mean g²
    assert ar.norm_sq(k) == pytest.approx(2 * np.mean(g**2), rel=1e-6)
    assert ar.norm_sq(k, "abs") == pytest.approx(4 * ar.norm_sq(k), rel=1e-12)


def test_arccos_kernel_known_points_and_quadrature():
    assert relu_pair_expectation(4.0, 2.0, 2.0) == pytest.approx(2.0)  # ρ = 1: σ²/2
    assert relu_pair_expectation(0.0, 2.0, 3.0) == pytest.approx(6 / (2 * np.pi))  # ρ = 0
    assert relu_pair_expectation(-1.0, 1.0, 1.0) == pytest.approx(0.0, abs=1e-15)  # ρ = -1
    rho = 0.37
    f = lambda x, y: (max(x, 0) * max(rho * x + np.sqrt(1 - rho**2) * y, 0)
                      * np.exp(-(x * x + y * y) / 2) / (2 * np.pi))
    val, _ = integrate.dblquad(f, -9, 9, -9, 9, epsabs=1e-10)
    assert relu_pair_expectation(rho, 1.0, 1.0) == pytest.approx(val, rel=1e-6)
    g = lambda x, y: (abs(x) * abs(rho * x + np.sqrt(1 - rho**2) * y)
                      * np.exp(-(x * x + y * y) / 2) / (2 * np.pi))
    val, _ = integrate.dblquad(g, -9, 9, -9, 9, epsabs=1e-10)
    assert abs_pair_expectation(rho, 1.0, 1.0) == pytest.approx(val, rel=1e-6)


def test_network_gram_against_monte_carlo(rng):
    m, P, D = 3, 4, 5
    coefs = rng.standard_normal((m, P))
    forms = rng.standard_normal((m, P, D))
    G = network_gram(coefs, forms)
    assert np.allclose(G, G.T)
    assert np.isclose(network_inner(coefs[0], forms[0], coefs[1], forms[1]), G[0, 1])
    g = rng.standard_normal((400_000, D))
    vals = np.einsum("mp,nmp->nm", coefs, np.maximum(np.einsum("nd,mpd->nmp", g, forms), 0))
    prod = vals[:, :, None] * vals[:, None, :]
    mc = prod.mean(0)
    se = prod.std(0) / np.sqrt(len(g))
    assert np.all(np.abs(mc - G) < 5 * se + 1e-12)


def test_random_orthonormal_frame():
    V = ar.random_orthonormal_frame(7, seed=0, count=5)
    assert V.shape == (5, 7, 2)
    assert np.allclose(np.swapaxes(V, -1, -2) @ V, np.eye(2))
    assert np.array_equal(V, ar.random_orthonormal_frame(7, seed=0, count=5))
    W = ar.hidden_weights(V[0], 4)
    assert W.shape == (7, 8)


def test_relu_hermite_coefficients_against_quadrature():
    """c_m = E[ReLU(z) He_m(z)]/√(m!) by quadrature, against the closed form of relu_hermite_sq."""
    from math import factorial, sqrt

    He = np.polynomial.hermite_e.hermeval
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    for m in range(0, 11):
        c = np.zeros(m + 1)
        c[m] = 1
        val, _ = integrate.quad(lambda z: z * He(z, c) * phi(z), 0, 20, limit=200, epsabs=1e-11)
        assert ar.relu_hermite_sq(m) == pytest.approx((val / sqrt(factorial(m))) ** 2, rel=1e-6, abs=1e-14), m


@pytest.mark.parametrize("k", [2, 4, 6])
def test_hermite_components_of_F_k(k):
    """‖F_k^(m)‖² vanishes below degree k, matches the quadrature projection at degree k, and sums to ‖F_k‖²."""
    for m in range(k):
        assert abs(ar.hermite_norm_sq(k, m)) < 1e-14, m
    # degree-k component by quadrature in polar form: Σ_{a+b=k} E[F_k He_a(u1) He_b(u2)]² / (a! b!)
    from math import factorial

    phi = 2 * np.pi * (np.arange(8192) + 0.5) / 8192
    g = ar.F_k(np.stack([np.cos(phi), np.sin(phi)], axis=-1), k)
    He = np.polynomial.hermite_e.hermeval

    def coef(a, b):
        ca, cb = np.eye(a + 1)[a], np.eye(b + 1)[b]

        def radial(r):
            return np.mean(g * He(r * np.cos(phi), ca) * He(r * np.sin(phi), cb)) * r * r * np.exp(-r * r / 2)

        return integrate.quad(radial, 0, 12, limit=200)[0]

    quad = sum(coef(a, k - a) ** 2 / (factorial(a) * factorial(k - a)) for a in range(k + 1))
    assert ar.hermite_norm_sq(k, k) == pytest.approx(quad, rel=1e-5)
    partial = [sum(ar.hermite_norm_sq(k, m) for m in range(0, top, 2)) for top in (100, 400)]
    assert partial[0] < partial[1] <= ar.norm_sq(k)  # the series increases to ‖F_k‖², slowly
    assert partial[1] == pytest.approx(ar.norm_sq(k), rel=5e-3)  # tail ~ top^(-3/2)


@pytest.mark.parametrize("k", [2, 4, 6])
def test_mehler_lemma_on_random_cross_covariances(k, rng):
    """|E F_k(a) F_k(b)| ≤ ‖C‖^k ‖F_k‖² for a, b ~ N(0, I_2) with cross-covariance C (exact arc-cosine value)."""
    D = ar.directions(k)
    a = ar.signs(k)
    F2 = ar.norm_sq(k)
    worst = 0.0
    for _ in range(300):
        C = rng.standard_normal((2, 2))
        C *= rng.uniform(0.01, 1.0) / np.linalg.norm(C, 2)
        value = a @ relu_pair_expectation(D.T @ C @ D, 1.0, 1.0) @ a  # E[F_k(a) F_k(b)], exactly
        s = np.linalg.norm(C, 2)
        assert abs(value) <= s**k * F2 + 1e-14
        worst = max(worst, abs(value) / (s**k * F2))
    assert worst > 0.05  # the inequality is not trivially loose (it would fail for a bound 20x too small)
    # at C = s I the exact value is Σ_m s^m ‖F^(m)‖², so the lemma is loose by ‖F_k‖²/‖F_k^(k)‖² at small s
    s = 0.02
    value = a @ relu_pair_expectation(s * (D.T @ D), 1.0, 1.0) @ a
    assert value / s**k == pytest.approx(ar.hermite_norm_sq(k, k), rel=1e-2)
