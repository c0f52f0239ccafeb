"""Exact inner products of sums of ReLUs of jointly Gaussian linear forms (arc-cosine kernel).

For g ~ N(0, I_D) and vectors u, v ∈ R^D, the pair (⟨u, g⟩, ⟨v, g⟩) is a zero-mean Gaussian with
standard deviations σ_u = ‖u‖, σ_v = ‖v‖ and correlation ρ = ⟨u, v⟩ / (‖u‖‖v‖). Then
(Cho and Saul 2009, the degree-1 arc-cosine kernel)

    E[ReLU(⟨u, g⟩) ReLU(⟨v, g⟩)] = σ_u σ_v / (2π) · ( √(1 − ρ²) + (π − arccos ρ) ρ ).

At ρ = 1 this is σ_u σ_v / 2 (= E[ReLU(z)²] for unit σ), at ρ = 0 it is σ_u σ_v / (2π)
(= E[ReLU]², independence), at ρ = −1 it is 0. For f = Σ_p c_p ReLU(⟨u_p, g⟩) and
f' = Σ_q c'_q ReLU(⟨v_q, g⟩),

    E[f f'] = Σ_{p,q} c_p c'_q κ(u_p, v_q),

which is what the GNN-feature, CNN and frame families use for their exact Gram matrices. For
the absolute value, |z| = 2 ReLU(z) − z, so E[|a||b|] = (2σ_aσ_b/π)(√(1−ρ²) + ρ arcsin ρ).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError


def _scale_and_correlation(cross, norm_a, norm_b):
    """``(σ_a σ_b, ρ)`` of a zero-mean Gaussian pair from its covariance and standard deviations (ρ = 0 where σ = 0)."""
    cross = np.asarray(cross, dtype=np.float64)
    prod = np.asarray(norm_a, dtype=np.float64) * np.asarray(norm_b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(prod > 0, cross / np.where(prod > 0, prod, 1.0), 0.0)
    return prod, np.clip(rho, -1.0, 1.0)


def relu_pair_expectation(cross, norm_a, norm_b):
    """E[ReLU(a) ReLU(b)] for a zero-mean Gaussian pair with E[ab] = cross, sd norm_a, norm_b.

    Elementwise and broadcasting. A zero standard deviation gives 0.
    """
    prod, rho = _scale_and_correlation(cross, norm_a, norm_b)
    return prod / (2 * np.pi) * (np.sqrt(1 - rho**2) + (np.pi - np.arccos(rho)) * rho)


def abs_pair_expectation(cross, norm_a, norm_b):
    """E[|a| |b|] for a zero-mean Gaussian pair: (2σ_aσ_b/π)(√(1−ρ²) + ρ arcsin ρ)."""
    prod, rho = _scale_and_correlation(cross, norm_a, norm_b)
    return 2 * prod / np.pi * (np.sqrt(1 - rho**2) + rho * np.arcsin(rho))


def activation_pair_expectation(activation: str):
    """The pair-expectation function of an activation (:func:`symhard.queries.activations.gaussian_pair_expectation`)."""
    from .activations import gaussian_pair_expectation

    return gaussian_pair_expectation(activation)


def network_inner(coef_a, forms_a, coef_b, forms_b, activation: str = "relu"):
    """E[f_a f_b] for f = Σ_p c_p σ(⟨u_p, g⟩), g ~ N(0, I_D), exactly.

    Parameters
    ----------
    coef_a : array of shape (..., P)
    forms_a : array of shape (..., P, D)
    coef_b : array of shape (..., Q)
    forms_b : array of shape (..., Q, D)
        Leading axes broadcast.

    Returns
    -------
    array of shape (...,)
    """
    forms_a = np.asarray(forms_a, dtype=np.float64)
    forms_b = np.asarray(forms_b, dtype=np.float64)
    if forms_a.shape[-1] != forms_b.shape[-1]:
        raise InvalidParameterError(
            f"linear forms live in different dimensions: {forms_a.shape[-1]} and {forms_b.shape[-1]}."
        )
    pair = activation_pair_expectation(activation)
    cross = forms_a @ np.swapaxes(forms_b, -1, -2)
    na = np.linalg.norm(forms_a, axis=-1)
    nb = np.linalg.norm(forms_b, axis=-1)
    K = pair(cross, na[..., :, None], nb[..., None, :])
    return np.einsum("...p,...pq,...q->...", np.asarray(coef_a, float), K, np.asarray(coef_b, float))


def network_gram(coefs, forms, activation: str = "relu"):
    """The m×m matrix E[f_i f_j] for networks f_i = Σ_p coefs[i, p] σ(⟨forms[i, p], g⟩).

    ``coefs``: ``(m, P)``; ``forms``: ``(m, P, D)``. Vectorized over all pairs.
    """
    coefs = np.asarray(coefs, dtype=np.float64)
    forms = np.asarray(forms, dtype=np.float64)
    m, P, D = forms.shape
    flat = forms.reshape(m * P, D)
    cross = flat @ flat.T
    norms = np.linalg.norm(flat, axis=-1)
    K = activation_pair_expectation(activation)(cross, norms[:, None], norms[None, :]).reshape(m, P, m, P)
    return np.einsum("ip,ipjq,jq->ij", coefs, K, coefs)


def normalized(gram):
    """Normalize a Gram matrix to correlations: G_ij / √(G_ii G_jj)."""
    gram = np.asarray(gram, dtype=np.float64)
    d = np.sqrt(np.clip(np.diag(gram), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        return gram / np.outer(d, d)
