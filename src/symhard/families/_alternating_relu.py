"""The alternating two-dimensional ReLU sum F_k of Diakonikolas–Kane–Kontonis–Zarifis (2020).

For even k ≥ 2, with directions d_j = (cos θ_j, sin θ_j), θ_j = πj/k, j = 0..2k−1, and
signs a_j = (−1)^j,

    F_k(u) = Σ_j a_j σ(⟨d_j, u⟩),   u ∈ R².

Writing u = r(cos φ, sin φ), F_k(u) = r·Σ_j (−1)^j max(cos(φ − θ_j), 0). The 2k directions are
equally spaced at angle π/k and the signs alternate, so the angular function is invariant
under rotation by 2π/k·… up to sign: shifting φ by π/k flips its sign. A 2π-periodic function
with g(φ + π/k) = −g(φ) has Fourier modes e^{imφ} only with m an odd multiple of k:
m ∈ {±k, ±3k, …}. In polar coordinates a degree-ℓ Hermite component of a function on R² has
angular modes |m| ≤ ℓ, so every Hermite component of degree < k vanishes: F_k(Vᵀx) is
orthogonal to all polynomials of degree < k in Gaussian x. This is the source of the
d^{Ω(k)} (GNN features) and n^{Ω(k)} (CNN) CSQ lower bounds.

For odd k, d_{j+k} = −d_j and a_{j+k} = −a_j; then σ = |·| gives F_k ≡ 0 and, since
ReLU(z) = (z + |z|)/2 and Σ_j a_j d_j = 0, the ReLU version vanishes too: odd k is rejected.
For even k, F_k^{relu} = ½ F_k^{abs} (the linear parts cancel), so the hard targets are
networks with the sign-invariant activation |z| as well.

Hermite components and the correlation lemma
---------------------------------------------
ReLU(z) = Σ_m c_m He_m(z)/√(m!) with c_0² = 1/(2π), c_1² = 1/4, c_m² = ((m−3)!!)²/(2π m!) for
even m ≥ 2 and c_m = 0 for odd m ≥ 3 (so κ₁(ρ) = E[ReLU(y)ReLU(z)] = Σ_m c_m² ρ^m). Hence the
degree-m Hermite component of F_k has squared norm

    ‖F_k^{(m)}‖² = c_m² Σ_{i,j} a_i a_j cos(θ_i − θ_j)^m          (:func:`hermite_norm_sq`),

zero for m < k, and ‖F_k‖² = Σ_m ‖F_k^{(m)}‖².

**Lemma (Mehler).** Let a, b ~ N(0, I_2) be jointly Gaussian with cross-covariance C = E[a bᵀ]
(so ‖C‖_op ≤ 1), and F, G ∈ L²(N(0, I_2)) without Hermite components of degree < k. Then

    |E[F(a) G(b)]| ≤ ‖C‖_op^k ‖F‖ ‖G‖.

*Proof.* E[F(a)G(b)] = ⟨F, T_C G⟩ with (T_C G)(a) = E[G(b) | a]. T_C maps the degree-m Hermite
chaos into itself and acts there as the m-th tensor power Γ_m(C) = C^{⊗m} on symmetric tensors
(Mehler's formula, "second quantization"), whose operator norm is ‖C‖^m. So
|E F(a)G(b)| ≤ Σ_{m≥k} ‖C‖^m ‖F^{(m)}‖‖G^{(m)}‖ ≤ ‖C‖^k ‖F‖‖G‖ by Cauchy–Schwarz and ‖C‖ ≤ 1. ∎
With F = G = F_k(·) this is the inequality behind both families' correlation bounds. For
C = c·I the sum is Σ_m c^m ‖F_k^{(m)}‖², so at small ‖C‖ the lemma is loose exactly by the
factor ‖F_k‖²/‖F_k^{(k)}‖² (2.2 for k = 4, 5.4 for k = 6, 15 for k = 8).

Shared by :mod:`symhard.families.gnn_features` and :mod:`symhard.families.cnn`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import InvalidParameterError, check_int
from ..queries.activations import apply_activation, check_activation, gaussian_pair_expectation

ACTIVATIONS = ("relu", "abs")


def check_even_k(k: int) -> int:
    """Validate k: an even integer ≥ 2 (odd k gives F_k ≡ 0)."""
    k = check_int(k, "k", min_value=2)
    if k % 2:
        raise InvalidParameterError(f"k == {k}: F_k is identically zero for odd k; k must be even and >= 2.")
    return k


def angles(k: int) -> np.ndarray:
    """θ_j = πj/k for j = 0..2k−1."""
    k = check_even_k(k)
    return np.pi * np.arange(2 * k) / k


def directions(k: int) -> np.ndarray:
    """The 2 × 2k matrix [cos θ; sin θ] whose columns are the unit directions d_j."""
    th = angles(k)
    return np.stack([np.cos(th), np.sin(th)])


def signs(k: int) -> np.ndarray:
    """a_j = (−1)^j, j = 0..2k−1."""
    check_even_k(k)
    return (-1.0) ** np.arange(2 * k)


def activation_fn(activation: str):
    """σ as a numpy function (one of :data:`ACTIVATIONS`, from :mod:`symhard.queries.activations`)."""
    activation = check_activation(activation, ACTIVATIONS)
    return lambda z: apply_activation(activation, z)


def F_k(u, k: int, activation: str = "relu") -> np.ndarray:
    """Evaluate F_k(u) = Σ_j (−1)^j σ(⟨d_j, u⟩) on ``u[..., 2]``."""
    u = np.asarray(u, dtype=np.float64)
    if u.shape[-1] != 2:
        raise InvalidParameterError(f"F_k takes points of R^2 (last axis 2), got shape {u.shape}.")
    return activation_fn(activation)(u @ directions(k)) @ signs(k)


def norm_sq(k: int, activation: str = "relu") -> float:
    """E[F_k(u)²] for u ~ N(0, I_2), exactly, from the arc-cosine kernel.

    E[F_k²] = Σ_{i,j} a_i a_j κ(d_i, d_j) with ⟨d_i, d_j⟩ = cos(θ_i − θ_j).
    """
    D = directions(k)
    a = signs(k)
    K = gaussian_pair_expectation(activation)(D.T @ D, 1.0, 1.0)
    return float(a @ K @ a)


def relu_hermite_sq(m: int) -> float:
    """c_m² of ReLU(z) = Σ_m c_m He_m(z)/√(m!): 1/(2π), 1/4, ((m−3)!!)²/(2π m!) for even m ≥ 2, 0 for odd m ≥ 3."""
    m = check_int(m, "m", min_value=0)
    if m == 0:
        return 1 / (2 * math.pi)
    if m == 1:
        return 0.25
    if m % 2:
        return 0.0
    double_factorial = math.prod(range(m - 3, 0, -2))
    return float(Fraction(double_factorial**2, math.factorial(m))) / (2 * math.pi)


def hermite_norm_sq(k: int, m: int) -> float:
    """‖F_k^{(m)}‖² = c_m² Σ_{i,j} a_i a_j cos(θ_i − θ_j)^m: the degree-m Hermite share of E[F_k²] (ReLU)."""
    D = directions(k)
    a = signs(k)
    return relu_hermite_sq(m) * float(a @ ((D.T @ D) ** m) @ a)


def hidden_weights(V, k: int) -> np.ndarray:
    """W = V [cos θ; sin θ] ∈ R^{d × 2k} for V ∈ R^{d × 2}: the first-layer weights of F_k(Vᵀ·)."""
    V = np.asarray(V, dtype=np.float64)
    if V.ndim < 2 or V.shape[-1] != 2:
        raise InvalidParameterError(f"V must have shape (..., d, 2), got {V.shape}.")
    return V @ directions(k)


def random_orthonormal_frame(d: int, seed, count: int | None = None) -> np.ndarray:
    """Uniformly random V ∈ R^{d×2} with orthonormal columns (QR of a Gaussian, sign-fixed).

    With ``count``, returns ``(count, d, 2)``.
    """
    from .._random import as_generator
    from ..resources import array_estimate, require

    d = check_int(d, "d", min_value=2)
    require(array_estimate(f"random orthonormal d x 2 frames at d = {d}", count or 1, d, 2, lower="lower d"))
    rng = as_generator(seed)
    shape = (d, 2) if count is None else (count, d, 2)
    Z = rng.standard_normal(shape)
    Q, R = np.linalg.qr(Z)
    s = np.sign(np.diagonal(R, axis1=-2, axis2=-1))
    s[s == 0] = 1
    return Q * s[..., None, :]
