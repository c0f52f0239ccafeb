r"""Goel et al. (2020) sign networks, their frame averages, and their exact sign averages given |x|.

For :math:`S \subseteq [n]`, :math:`|S| = k` even,

.. math::

    f_S(x) = \sum_{w\in\{\pm1\}^k}\Bigl(\prod_i w_i\Bigr)\,\mathrm{ReLU}\bigl(\langle w, x_S\rangle/\sqrt{k}\bigr)

(:func:`sign_network_weights` gives its weights, :func:`f_sign` the formula) and
:math:`\bar f_S = \langle f_S\rangle_F` for a sign-invariant frame F (:func:`f_bar`).
:func:`conditional_products` computes :math:`E_\varepsilon[\bar f_A \bar f_B \mid r]` exactly (an
average over every sign pattern) and :func:`conditional_gram` turns a sample of :math:`r = |x|`
into the members' Gram matrix (:mod:`symhard.queries.gram`): Monte Carlo over r, exact over the
signs; see :mod:`symhard.families.frames` for why the off-diagonal entries vanish for every r.
"""

from __future__ import annotations

import math
from itertools import product
from typing import Any

import numpy as np

from ..groups.frames import Frame, frame_average
from ..queries.gram import GramSummary, exact_gram


__all__ = ["sign_patterns", "sign_network_weights", "f_sign", "f_bar", "conditional_products", "conditional_gram"]


def sign_patterns(k: int) -> np.ndarray:
    """All w ∈ {±1}^k, shape ``(2^k, k)``."""
    return np.array(list(product((1.0, -1.0), repeat=k)))


def sign_network_weights(S: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, a) of f_S: W[:, j] = w_j on the coordinates S, /√k; a_j = Π w_j. ``W (n, 2^k)``, ``a (2^k,)``."""
    S = np.asarray(S, dtype=np.int64)
    k = S.size
    w = sign_patterns(k)
    W = np.zeros((n, w.shape[0]))
    W[S] = w.T / math.sqrt(k)
    return W, w.prod(axis=1)


def f_sign(xS: np.ndarray) -> np.ndarray:
    """f_S evaluated on the restricted inputs ``xS [..., k]``: Σ_w (Πw) ReLU(⟨w, x_S⟩/√k)."""
    k = xS.shape[-1]
    w = sign_patterns(k)
    return np.maximum(xS @ w.T / math.sqrt(k), 0.0) @ w.prod(axis=1)


def f_bar(S: Any, x: np.ndarray, frame: Frame) -> np.ndarray:
    """f̄_S(x) = ⟨f_S⟩_F(x) from the formula (numpy): ``x [B, n]`` → ``[B]``."""
    S = np.asarray(S, dtype=np.int64)
    return frame_average(lambda y: f_sign(y[:, S]), x, frame)


def conditional_products(R: np.ndarray, frame: Frame, SA: np.ndarray, SB: np.ndarray) -> np.ndarray:
    """E_ε[f̄_A(ε∘r) f̄_B(ε∘r)] exactly, for every r in ``R [N, n]`` and every pair (A, B).

    ``SA``, ``SB``: ``(P, k)`` subsets (pairs row by row). Returns ``(N, P)``. For frame elements
    h, h' the term E_ε[f_A((ε∘r)[h(A)]) f_B((ε∘r)[h'(B)])] is an average over all 2^{2k}
    assignments of signs to the distinct coordinates of the 2k slots h(A) ⊔ h'(B), where a slot repeating an earlier
    coordinate reuses that coordinate's sign (each distinct sign pattern on the union is then
    counted equally often, so the average is exact). Only 2^u patterns are enumerated, u the
    largest number of distinct coordinates among the slots (k on the diagonal of a canonicalization).
    """
    perms, mask = frame.elements(R)  # [N, K, n], [N, K]
    N, K, n = perms.shape
    k = SA.shape[1]
    posA = perms[:, :, SA]  # [N, K, P, k]: h(A) as coordinates
    posB = perms[:, :, SB]
    slots = np.concatenate([
        np.broadcast_to(posA[:, :, None], (N, K, K, *posA.shape[2:])),
        np.broadcast_to(posB[:, None, :], (N, K, K, *posB.shape[2:])),
    ], axis=-1)  # [N, K, K', P, 2k]
    first = (slots[..., :, None] == slots[..., None, :]).argmax(-1)  # index of the first equal slot
    is_first = first == np.arange(2 * k)
    ids = np.take_along_axis(np.cumsum(is_first, axis=-1) - 1, first, axis=-1)  # distinct coordinate id of each slot
    u = int(is_first.sum(-1).max())  # largest number of distinct coordinates
    bits = ((np.arange(1 << u)[:, None] >> np.arange(u)) & 1)  # [Q, u]: every sign pattern on u coordinates
    eps = 1.0 - 2.0 * bits
    eps_slots = eps[:, ids]  # [Q, N, K, K', P, 2k]
    vals = np.take_along_axis(np.broadcast_to(R[:, None, None, None, :], (*slots.shape[:-1], n)), slots, axis=-1)
    signed = eps_slots * vals
    prod = f_sign(signed[..., :k]) * f_sign(signed[..., k:])  # [Q, N, K, K', P]
    term = prod.mean(0)
    w = mask[:, :, None].astype(float) * mask[:, None, :]  # [N, K, K']
    cnt = mask.sum(1).astype(float)
    return np.einsum("nkjp,nkj->np", term, w) / (cnt**2)[:, None]


def conditional_gram(reps: np.ndarray, frame: Frame, R_norm: np.ndarray,
                     R_corr: np.ndarray) -> tuple[GramSummary, float, np.ndarray]:
    r"""The normalized Gram matrix of :math:`\bar f_S`, S in ``reps (m, k)``, from samples of r = |x|.

    Raw entries :math:`E_r E_\varepsilon[\bar f_S \bar f_T \mid r]`: the diagonal over the rows of
    ``R_norm [N, n]``, the off-diagonal over the rows of ``R_corr [N', n]``, each exact over the
    signs and Monte Carlo over r, with standard errors (``inf`` from a single r). The summary's
    ``method`` is therefore ``"mc"``; for members of distinct orbits every conditional value is 0
    (to round-off), so their correlations are exact. Also returns the largest *conditional*
    correlation :math:`\max_{r, S \ne T} |E_\varepsilon[\bar f_S \bar f_T \mid r]| / (\|\bar f_S\|\|\bar f_T\|)`,
    which bounds the off-diagonal entries of the Gram matrix, and the standard errors of the
    squared norms :math:`\|\bar f_S\|^2` (``(m,)``).
    """
    m = len(reps)
    diag = conditional_products(R_norm, frame, reps, reps)  # [N, m]
    iu, ju = np.triu_indices(m, 1)
    off = conditional_products(R_corr, frame, reps[iu], reps[ju]) if iu.size else np.zeros((len(R_corr), 0))
    norm_sq_se = _stderr(diag)
    raw, se = np.diag(diag.mean(0)), np.diag(norm_sq_se)
    raw[iu, ju] = raw[ju, iu] = off.mean(0)
    se[iu, ju] = se[ju, iu] = _stderr(off)
    gram = exact_gram(raw, stderr=se, method="mc", n_samples=len(R_norm))
    scale = gram.norms[iu] * gram.norms[ju]
    max_conditional = float((np.abs(off) / scale).max()) if iu.size else 0.0
    return gram, max_conditional, norm_sq_se


def _stderr(values: np.ndarray) -> np.ndarray:
    """Standard error of the column means of ``values [N, P]`` (``inf`` when N = 1)."""
    if values.shape[0] < 2:
        return np.full(values.shape[1], math.inf)
    return values.std(0, ddof=1) / math.sqrt(values.shape[0])
