r"""Exact Gram mathematics of the ``cnn`` family, its correlation inequalities and a certified packing.

Notation of :mod:`symhard.families.cnn`: :math:`f_V(X) = |G|^{-1}\sum_g\sum_{c=1}^d F_k(V^\top g^{-1}x_c)`,
:math:`V \in St(n, 2)`, ``X`` with i.i.d. N(0, 1) entries, ``P_u`` the permutation matrix of ``u``.

Exact Gram
----------
:math:`E[f_V f_U] = (d/|G|)\sum_{u\in G}\Phi(V^\top P_u U)`, :math:`\Phi(C) = \sum_{p,q}a_pa_q\,\kappa(d_p^\top C d_q)`
(:func:`gram_exact`; derivation in :mod:`symhard.families.cnn`).

Inequalities (Mehler lemma of :mod:`symhard.families._alternating_relu`)
------------------------------------------------------------------------
:math:`|\Phi(C)| \le \|C\|_{op}^k\|F_k\|^2`. Hence, with :math:`\mu = \max_u\|V^\top P_u U\|_{op}` and
:math:`\nu = \max_{u\ne e}\|V^\top P_u V\|_{op}`,

.. math:: |E f_V f_U| \le d\,\mu^k\|F_k\|^2, \qquad
          \|f_V\|^2 \ge \frac{d\|F_k\|^2}{|G|}\bigl(1 - (|G|-1)\nu^k\bigr)

(:func:`corr_upper_bound`, :func:`norm_sq_lower_bound`; the second splits ``u = e``, where
:math:`\Phi(I) = \|F_k\|^2`). For random frames at the sizes one can run, ``ν`` is 0.5–0.97 and the
norm bound is negative: *vacuous*, and flagged so by the certificate.

A certified packing (groups inside the dihedral group)
------------------------------------------------------
Let ``G ≤ D_n``, the symmetries of the n-cycle ``0, 1, …, n−1`` (rotations ``i ↦ c + i`` and
reflections ``i ↦ c − i`` mod n). For ``1 ≤ ω < n/2`` let :math:`E_\omega` be the 2-dimensional
frequency-ω subspace (spanned by :math:`\cos(2\pi\omega i/n)`, :math:`\sin(2\pi\omega i/n)`), and
:math:`\Pi_\omega` its projection. Every ``P_u``, ``u ∈ D_n``, maps :math:`E_\omega` onto itself.
Split the frequencies into disjoint sets ``A``, ``B`` and let

.. math:: V_0 = [a, b], \quad a = |A|^{-1/2}\sum_{\omega\in A} e_\omega,\; b = |B|^{-1/2}\sum_{\omega\in B} e_\omega

with unit vectors :math:`e_\omega \in E_\omega` (random phases). The sub-class is
:math:`\{Q_\varepsilon V_0\}`, :math:`Q_\varepsilon = \sum_\omega \varepsilon_\omega\Pi_\omega + (\text{identity elsewhere})`,
:math:`\varepsilon \in \{\pm1\}^{A\cup B}`: orthogonal, symmetric, :math:`Q_\varepsilon^2 = I` and commuting with
every ``P_u``. Hence

* every member has the same norm: :math:`V^\top P_u V = V_0^\top Q P_u Q V_0 = V_0^\top P_u V_0`,
  so :math:`\|f_{QV_0}\|^2 = \|f_{V_0}\|^2` (computed exactly), and the normalized correlation of two
  members with :math:`\mu \le s` is at most :math:`\gamma(s) = d s^k\|F_k\|^2/\|f_{V_0}\|^2`;
* for independent uniform :math:`\varepsilon, \varepsilon'`, :math:`(Q_\varepsilon V_0)^\top P_u Q_{\varepsilon'}V_0 = V_0^\top P_u Q_\eta V_0`
  with :math:`\eta = \varepsilon\varepsilon'` uniform; it is *diagonal* (``a`` and ``b`` live on disjoint
  invariant subspaces), with entries :math:`X_a(u) = \sum_{\omega\in A}\eta_\omega t_\omega(u)`,
  :math:`t_\omega(u) = (\Pi_\omega a)^\top P_u(\Pi_\omega a)`, and likewise :math:`X_b(u)`. By Hoeffding,
  :math:`P(|X_a(u)| > s) \le 2\exp(-s^2/(2\sum_\omega t_\omega(u)^2))`, and a union bound over ``u ∈ G``
  and the two columns bounds :math:`P(\mu > s)`.

The probabilistic method (:mod:`symhard.queries.packing`) then certifies ``m(s)`` members with
pairwise ``μ ≤ s`` (distinct, since ``μ(V, V) = 1``). Asymptotically ``m(s) = e^{Θ(n s²)}/poly(|G|)``
and ``γ(s) ≈ |G| s^k``, the paper's "2^{n^Ω(1)} queries or tolerance √|G| n^{−Ω(k)}"; **for n ≤ 64
the packing certifies no more than one member at any useful s**, so the whole-class bound is
vacuous there, and the certificate says so. (An estimate by the same formulas for Z_n, with
:math:`\|f_{V_0}\|^2 \approx d\|F_k\|^2/|G|` and :math:`\sum_\omega t_\omega(u)^2 \approx 1/(2|A|)` for
``u ≠ e``: at ``k = 4``, ``τ = 0.5`` the bound becomes positive near ``n ≈ 10⁴`` and reaches one
query near ``n ≈ 2·10⁴``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._random import as_generator
from ..groups import PermutationGroup
from ..queries.activations import gaussian_pair_expectation
from ..queries.packing import PackingBound, best_packing_bound, packing_size, rademacher_log_tail
from . import _alternating_relu as ar

#: Overlap levels s at which the whole-class bound is evaluated.
S_GRID = np.linspace(0.005, 0.995, 199)


def _cross_blocks(Va: np.ndarray, Vb: np.ndarray, group: PermutationGroup) -> np.ndarray:
    """C[i, j, u] = V_aᵢᵀ P_u V_bⱼ for every element u, shape ``(ma, mb, |G|, 2, 2)``."""
    E = group.elements()
    inv = np.argsort(E, axis=-1)
    Vb_moved = Vb[:, inv, :]  # (u·V)[r] = V[u⁻¹(r)]: (mb, |G|, n, 2)
    return np.einsum("irp,jurq->ijupq", Va, Vb_moved)


def gram_exact(V: np.ndarray, group: PermutationGroup, k: int, d: int = 1, Vb: np.ndarray | None = None) -> np.ndarray:
    """The exact matrix E[f_{V_i} f_{V_j}] = (d/|G|) Σ_u Φ(V_iᵀ P_u V_j) (raw inner products).

    ``V``: ``(m, n, 2)``; optional ``Vb`` ``(m', n, 2)`` for a rectangular block. Returns ``(m, m')``.
    """
    V = np.asarray(V, dtype=np.float64)
    Vb = V if Vb is None else np.asarray(Vb, dtype=np.float64)
    D = ar.directions(k)
    a = ar.signs(k)
    kappa = gaussian_pair_expectation("relu")
    out = np.empty((V.shape[0], Vb.shape[0]))
    per_row = max(1, Vb.shape[0] * group.order * (2 * k) ** 2)
    rows = max(1, (1 << 22) // per_row)
    for s in range(0, V.shape[0], rows):
        C = _cross_blocks(V[s:s + rows], Vb, group)
        cross = np.einsum("ap,ijuab,bq->ijupq", D, C, D)
        Phi = np.einsum("p,ijupq,q->iju", a, kappa(cross, 1.0, 1.0), a)
        out[s:s + rows] = d * Phi.mean(axis=-1)
    return out


def nu(V: np.ndarray, group: PermutationGroup) -> np.ndarray:
    """ν(V) = max_{u≠e} ‖Vᵀ P_u V‖_op for each member, shape ``(m,)`` (0 for the trivial group)."""
    V = np.asarray(V, dtype=np.float64)
    if group.order == 1:
        return np.zeros(V.shape[0])
    E = group.elements()[1:]
    inv = np.argsort(E, axis=-1)
    C = np.einsum("irp,iurq->iupq", V, V[:, inv, :])
    return np.linalg.norm(C, ord=2, axis=(-2, -1)).max(axis=-1)


def mu(V: np.ndarray, group: PermutationGroup, Vb: np.ndarray | None = None) -> np.ndarray:
    """μ(V_i, V_j) = max_u ‖V_iᵀ P_u V_j‖_op, shape ``(m, m')``."""
    V = np.asarray(V, dtype=np.float64)
    C = _cross_blocks(V, V if Vb is None else np.asarray(Vb, dtype=np.float64), group)
    return np.linalg.norm(C, ord=2, axis=(-2, -1)).max(axis=-1)


def norm_sq_lower_bound(V: np.ndarray, group: PermutationGroup, k: int, d: int = 1) -> np.ndarray:
    """d‖F_k‖²(1 − (|G|−1)ν^k)/|G| per member (negative: vacuous)."""
    return d * ar.norm_sq(k) * (1 - (group.order - 1) * nu(V, group) ** k) / group.order


def corr_upper_bound(V: np.ndarray, group: PermutationGroup, k: int, Vb: np.ndarray | None = None) -> np.ndarray:
    """d μ^k ‖F_k‖² / √(L_i L_j), L the norm lower bounds: a bound on |corr(f_{V_i}, f_{U_j})| (``inf`` where vacuous)."""
    Vb = V if Vb is None else Vb
    La = norm_sq_lower_bound(V, group, k)
    Lb = norm_sq_lower_bound(Vb, group, k)
    num = mu(V, group, Vb) ** k * ar.norm_sq(k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.outer(La > 0, Lb > 0), num / np.sqrt(np.clip(np.outer(La, Lb), 1e-300, None)), np.inf)


# ------------------------------------------------------------------------------ the packing
def in_dihedral(group: PermutationGroup) -> bool:
    """Whether every generator is a rotation ``i ↦ c + i`` or a reflection ``i ↦ c − i`` (mod n): G ≤ D_n."""
    n = group.degree
    i = np.arange(n)
    for g in group.generators:
        c = int(g[0])
        if not (np.array_equal(g, (c + i) % n) or np.array_equal(g, (c - i) % n)):
            return False
    return True


@dataclass
class OrbitPacking:
    """The sub-class ``{Q_ε V0}`` (module docstring): ``V0[n, 2]``, its frequency sets and its exact norm.

    ``pieces[p]`` is ``[|A_p|, n]``: the components ``Π_ω`` of column ``p`` (each of norm² ``1/|A_p|``).
    """

    V0: np.ndarray
    freqs: tuple[tuple[int, ...], tuple[int, ...]]
    pieces: tuple[np.ndarray, np.ndarray]
    norm_sq: float

    def member(self, signs_a, signs_b) -> np.ndarray:
        """``Q_ε V0`` for signs on ``A`` and ``B``: ``[n, 2]``."""
        return np.stack([np.asarray(signs_a, float) @ self.pieces[0], np.asarray(signs_b, float) @ self.pieces[1]], 1)

    @property
    def size(self) -> int:
        """Number of distinct members, 2^(|A|+|B|)."""
        return 2 ** (len(self.freqs[0]) + len(self.freqs[1]))


def frequency_classes(n: int) -> int:
    """Number of 2-dimensional frequency subspaces of R^n under D_n: ω = 1, …, ⌈n/2⌉ − 1."""
    return (n + 1) // 2 - 1


def orbit_packing(group: PermutationGroup, k: int, d: int = 1, seed=0, tries: int = 16) -> OrbitPacking | None:
    """The frame ``V0`` of largest exact norm among ``tries`` random splits and phases (``None`` if unavailable:
    ``G ⊄ D_n`` or fewer than two frequency classes)."""
    n = group.degree
    L = frequency_classes(n)
    if L < 2 or not in_dihedral(group):
        return None
    rng = as_generator(seed)
    i = np.arange(n)
    best = None
    for _ in range(tries):
        order = rng.permutation(np.arange(1, L + 1))
        freqs = (tuple(sorted(order[: (L + 1) // 2].tolist())), tuple(sorted(order[(L + 1) // 2:].tolist())))
        pieces = tuple(np.stack([np.sqrt(2.0 / n) * np.cos(2 * np.pi * w * i / n + rng.uniform(0, 2 * np.pi))
                                 for w in fs]) / np.sqrt(len(fs)) for fs in freqs)
        V0 = np.stack([pieces[0].sum(0), pieces[1].sum(0)], 1)
        norm_sq = float(gram_exact(V0[None], group, k, d)[0, 0])
        if best is None or norm_sq > best.norm_sq:
            best = OrbitPacking(V0, freqs, pieces, norm_sq)
    return best


def hoeffding_variances(packing: OrbitPacking, group: PermutationGroup) -> np.ndarray:
    """Σ_ω t_{p,ω}(u)² for every ``u ∈ G`` and column ``p``, shape ``(|G|, 2)``; t_{p,ω}(u) = (Π_ω a_p)·P_u(Π_ω a_p)."""
    E = group.elements()
    cols = []
    for P in packing.pieces:  # P[ω, i] = (Π_ω a_p)[i]
        t = np.einsum("wi,wui->uw", P, P[:, E])
        cols.append((t**2).sum(-1))
    return np.stack(cols, 1)


def pair_log_tail(packing: OrbitPacking, group: PermutationGroup, s) -> np.ndarray:
    """log Σ_{u∈G} Σ_p 2 exp(−s²/(2 Σ_ω t_{p,ω}(u)²)), a bound on log P(μ(Q_ε V0, Q_ε' V0) > s), per ``s``."""
    var = hoeffding_variances(packing, group).reshape(-1)
    logs = rademacher_log_tail(var[:, None], np.atleast_1d(np.asarray(s, dtype=np.float64))[None, :])
    return np.logaddexp.reduce(logs, axis=0)


def class_bound(group: PermutationGroup, k: int, d: int, tau: float, seed=0) -> tuple[PackingBound | None, OrbitPacking | None]:
    """The whole-class bound of the orbit packing, maximized over ``s`` (``(None, None)`` when unavailable)."""
    packing = orbit_packing(group, k, d, seed)
    if packing is None:
        return None, None
    logp = pair_log_tail(packing, group, S_GRID)
    sizes = [packing_size(float(lp), cap=packing.size) for lp in logp]
    gammas = np.minimum(1.0, d * S_GRID**k * ar.norm_sq(k) / packing.norm_sq)
    return best_packing_bound(S_GRID, sizes, gammas, logp, tau), packing
