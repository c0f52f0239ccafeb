r"""Exact Gram mathematics of the ``gnn-features`` family: the graph overlap measure, the arc-cosine
Gram matrix, and the whole-class bound (correlation inequality + certified packing).

Notation of :mod:`symhard.families.gnn_features`: ``g_V(X, Â) = Σ_v F_k(Vᵀ(ÂX)_v)`` (unnormalized),
``Â`` with non-negative entries, ``X`` with i.i.d. N(0, 1) entries.

The overlap measure
-------------------
Given ``Â``, :math:`z_v = (\hat AX)_v \sim N(0, \|\hat A_v\|^2 I_d)` and
:math:`E[z_v z_u^\top] = (\hat A\hat A^\top)_{vu} I_d`. ``F_k`` is positively homogeneous, so with
:math:`\bar z_v = z_v/\|\hat A_v\|` and :math:`r_{vu} = (\hat A\hat A^\top)_{vu}/(\|\hat A_v\|\|\hat A_u\|) \in [0, 1]`,

.. math:: E[g_V g_U] = \sum_r \bar\mu(r)\, \Phi_{VU}(r), \qquad
          \bar\mu = E_A \sum_{v,u} \|\hat A_v\|\|\hat A_u\|\, \delta_{r_{vu}},\qquad
          \Phi_{VU}(r) = E[F_k(V^\top \bar z_v) F_k(U^\top \bar z_u)] = \sum_{j,l} a_j a_l\, \kappa_1(r\langle w_j, w'_l\rangle),

by the arc-cosine kernel (:mod:`symhard.queries.arccos`). :func:`overlap_measure` computes
:math:`\bar\mu` exactly by enumerating ``G(n, p)`` (``n ≤ 6``) or by sampling graphs.

The correlation inequality (whole class)
----------------------------------------
:math:`V^\top\bar z_v` and :math:`U^\top\bar z_u` are standard Gaussians of :math:`\mathbb R^2` with
cross-covariance :math:`r_{vu} V^\top U`. By the Mehler lemma (:mod:`symhard.families._alternating_relu`;
``F_k`` has no Hermite component of degree ``< k``), :math:`|\Phi_{VU}(r)| \le \|F_k\|^2 (r s)^k` with
:math:`s = \|V^\top U\|_{op}`, so

.. math:: |E[g_V g_U]| \le \|F_k\|^2 s^k \sum_r \bar\mu(r) r^k .

:math:`E[g_V^2] = \sum_r \bar\mu(r)\Phi_{VV}(r)` is the same for every frame (:math:`V^\top V = I`), hence
for every pair of members

.. math:: |\mathrm{corr}(g_V, g_U)| \le \gamma(s) = C_k\, s^k, \qquad
          C_k = \frac{\|F_k\|^2 \sum_r \bar\mu(r) r^k}{E[g^2]} .

Since :math:`\Phi_{VV}(r) = \sum_m r^m \|F_k^{(m)}\|^2 \ge r^k \|F_k^{(k)}\|^2` (all terms are
non-negative for ``r ≥ 0``), :math:`C_k \le \|F_k\|^2/\|F_k^{(k)}\|^2` for *every* graph law: that
graph-free constant is used when the measure is sampled (then :math:`C_k` itself would be an estimate).

The certified packing (whole class)
-----------------------------------
For fixed ``V`` and ``U`` uniform on ``St(d, 2)``, :math:`P(\|V^\top U\|_{op} > s) \le 2(1 - s^2/2)^{(d-2)/2}`
(:mod:`symhard.queries.packing`). So ``m`` i.i.d. uniform frames have all pairwise overlaps at most
``s`` with positive probability when :math:`m(m-1)(1 - s^2/2)^{(d-2)/2} < 1`: a packing of that size
``m(s)`` exists, its members' pairwise correlations are at most ``γ(s)``, and the counting lemma
gives :math:`q \ge (m(s)-1)(\tau^2-\gamma(s))/(1-\gamma(s))` for every ``s`` (:func:`class_bound`
maximizes over a grid). Asymptotically :math:`m(s) = e^{\Theta(d s^2)}` while :math:`\gamma(s) = C_k s^k`,
which is the paper's :math:`d^{\Omega(k)}`. At the sizes one can train (``d ≤ 128``) both
``m(s)`` at small ``s`` and the bound are small; :func:`dimension_for_queries` says where the bound
reaches one query (on ``G(4, 1/2) + I``: ``d = 572`` for ``k = 4`` and ``d = 244`` for ``k = 6`` at
``τ = 0.1``; ``d = 114`` and ``d = 69`` at ``τ = 0.3``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._random import as_generator
from ..errors import InvalidParameterError, check_float, check_int
from ..queries.arccos import relu_pair_expectation
from ..queries.distributions import MAX_ENUMERATED_NODES, ErdosRenyi, erdos_renyi_adjacency
from ..queries.gram import GramSummary, sampled_gram
from ..queries.packing import PackingBound, best_packing_bound, packing_size, stiefel_overlap_log_tail
from . import _alternating_relu as ar

MAX_NODES = 64

#: Overlap levels s at which the whole-class bound is evaluated.
S_GRID = np.linspace(0.005, 0.995, 199)


def check_nodes(n: Any) -> int:
    return check_int(n, "n", min_value=1, max_value=MAX_NODES)


def feature_target(X, A_hat, V, k: int) -> np.ndarray:
    """Unnormalized :math:`g_V = \\sum_v F_k(V^\\top (\\hat A X)_v)` evaluated through ``F_k`` (numpy float64).

    Shapes: ``X[B, n, d]``, ``A_hat[B, n, n]``, ``V[d, 2]`` -> ``[B]``.
    """
    Z = np.asarray(A_hat, dtype=np.float64) @ np.asarray(X, dtype=np.float64)
    return ar.F_k(Z @ np.asarray(V, dtype=np.float64), k).sum(-1)


@dataclass(frozen=True)
class OverlapMeasure:
    """The graph measure ``μ̄ = Σ_r weight_r δ_r`` with ``r_values[R]``, ``weights[R]``.

    ``cov[R, R]`` is the covariance of the Monte-Carlo estimate of ``weights`` (zeros when exact);
    ``frob_sq`` is :math:`E\\|\\hat A\\|_F^2 = E\\sum_v \\|\\hat A_v\\|^2` (the mass of the pairs ``v = u``).
    """

    r_values: np.ndarray
    weights: np.ndarray
    cov: np.ndarray
    method: str
    graphs: int
    frob_sq: float


def _measure_from_graphs(A_hat: np.ndarray, probs: np.ndarray | None) -> OverlapMeasure:
    N, n, _ = A_hat.shape
    G = A_hat.astype(np.int64) @ np.swapaxes(A_hat.astype(np.int64), 1, 2)  # [N, n, n]
    dg = np.diagonal(G, axis1=1, axis2=2)
    base = int(G.max()) + 1
    keys = (G * base + dg[:, :, None]) * base + dg[:, None, :]
    uniq, inv = np.unique(keys.reshape(-1), return_inverse=True)
    R = uniq.size
    counts = np.bincount(np.repeat(np.arange(N), n * n) * R + inv, minlength=N * R).reshape(N, R)
    du = uniq % base
    dv = (uniq // base) % base
    cross = uniq // (base * base)
    scale = np.sqrt(dv * du)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(scale > 0, cross / np.where(scale > 0, scale, 1), 0.0)
    Y = counts * scale[None, :]
    frob = dg.sum(1).astype(np.float64)
    if probs is None:  # Monte Carlo: uniform weights, covariance of the mean
        cov = np.cov(Y, rowvar=False, ddof=1).reshape(R, R) / N if N > 1 else np.zeros((R, R))
        return OverlapMeasure(r, Y.mean(0), cov, "mc", N, float(frob.mean()))
    return OverlapMeasure(r, probs @ Y, np.zeros((R, R)), "exact", N, float(probs @ frob))


@functools.lru_cache(maxsize=16)
def _exact_measure(nodes: int, p: float) -> OverlapMeasure:
    A, probs = ErdosRenyi(nodes, p).graph_support()
    return _measure_from_graphs(A.astype(np.int64) + np.eye(nodes, dtype=np.int64), probs)


def overlap_measure(nodes: int, p: float = 0.5, *, adjacency=None, samples: int = 4000, seed=0,
                    method: str = "auto") -> OverlapMeasure:
    """The measure :math:`\\bar\\mu = E_A \\sum_{v,u} \\|\\hat A_v\\|\\|\\hat A_u\\| \\delta_{r_{vu}}` of the graph law.

    ``adjacency`` (``[n, n]``): one fixed graph, used as given (no self-loops added). Otherwise
    ``Â = A + I`` with ``A ~ G(nodes, p)``: exact over the support of ``G(nodes, p)``
    (:meth:`~symhard.queries.distributions.ErdosRenyi.graph_support`) when ``nodes ≤ 6``
    (``method="auto"`` or ``"exact"``), else ``samples`` graphs (``"mc"``).
    """
    if adjacency is not None:
        A = np.asarray(adjacency, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.allclose(A, np.round(A)) or (A < 0).any():
            raise InvalidParameterError(
                f"adjacency must be a square matrix of non-negative integers, got shape {A.shape}."
            )
        return _measure_from_graphs(np.round(A).astype(np.int64)[None], np.ones(1))
    nodes = check_nodes(nodes)
    p = check_float(p, "p", low=0.0, high=1.0)
    if method == "auto":
        method = "exact" if nodes <= MAX_ENUMERATED_NODES else "mc"
    if method == "exact":
        if nodes > MAX_ENUMERATED_NODES:
            raise InvalidParameterError(
                f"exact enumeration of G(n, p) needs n <= {MAX_ENUMERATED_NODES}, got {nodes}; use method='mc'."
            )
        return _exact_measure(nodes, p)
    if method != "mc":
        raise InvalidParameterError(f"method must be 'auto', 'exact' or 'mc', got {method!r}.")
    samples = check_int(samples, "samples", min_value=2)
    A = erdos_renyi_adjacency(samples, nodes, p, seed, dtype=np.int64)
    return _measure_from_graphs(A + np.eye(nodes, dtype=np.int64), None)


def _phi(Va, Vb, k: int, r_values: np.ndarray) -> np.ndarray:
    """``Φ[i, j, r] = Σ_{j', l} a_{j'} a_l κ1(r ⟨w_{ij'}, w_{jl}⟩)`` for frames ``Va[ma, d, 2]``, ``Vb[mb, d, 2]``."""
    D = ar.directions(k)
    a = ar.signs(k)
    C = np.einsum("px,ijpq,qy->ijxy", D, np.einsum("idp,jdq->ijpq", Va, Vb), D)  # ⟨w_ix, w_jy⟩
    out = np.empty((Va.shape[0], Vb.shape[0], r_values.size))
    for t, r in enumerate(r_values):  # one vectorized kernel evaluation per distinct overlap value
        out[..., t] = np.einsum("x,ijxy,y->ij", a, relu_pair_expectation(r * C, 1.0, 1.0), a)
    return out


@functools.lru_cache(maxsize=64)
def _norm_sq_cached(k: int, r_key: tuple, w_key: tuple) -> float:
    V = np.eye(2)[None]
    return float(_phi(V, V, k, np.asarray(r_key))[0, 0] @ np.asarray(w_key))


def exact_norm_sq(k: int, measure: OverlapMeasure) -> float:
    """:math:`E[g_V^2] = \\sum_r \\bar\\mu(r)\\Phi_{VV}(r)`, the same for every frame ``V`` (``VᵀV = I``)."""
    k = ar.check_even_k(k)
    return _norm_sq_cached(k, tuple(measure.r_values.tolist()), tuple(measure.weights.tolist()))


def raw_gram(frames, k: int, measure: OverlapMeasure) -> tuple[np.ndarray, np.ndarray]:
    """Raw inner products :math:`E[g_i g_j] = \\sum_r \\bar\\mu(r)\\Phi_{ij}(r)` of the unnormalized networks.

    ``frames[m, d, 2]``. Returns ``(gram[m, m], stderr[m, m])``; the standard error comes from
    the graph sampling of ``measure`` (zero when it is exact). Normalize with
    :func:`symhard.queries.gram.exact_gram`.
    """
    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    Phi = _phi(frames, frames, k, measure.r_values)
    gram = Phi @ measure.weights
    var = np.einsum("ijr,rs,ijs->ij", Phi, measure.cov, Phi)
    return gram, np.sqrt(np.clip(var, 0.0, None))


def fixed_graph_gram(frames, k: int, A_hat) -> np.ndarray:
    """The raw Gram for one fixed graph, literally: units ``(v, j)`` with forms ``Â_v ⊗ w_j`` on ``vec X``.

    :func:`~symhard.queries.arccos.network_gram` on ``m`` networks of ``n·2k`` units each, with
    coefficients ``a_j`` (``(-1)^j``) and forms ``kron(Â_v, w_j) ∈ R^{n d}``.
    """
    from ..queries.arccos import network_gram

    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    A_hat = np.asarray(A_hat, dtype=np.float64)
    W = ar.hidden_weights(frames, k)  # [m, d, 2k]
    forms = np.einsum("vu,mdj->mvjud", A_hat, W).reshape(frames.shape[0], -1, A_hat.shape[1] * frames.shape[1])
    coefs = np.tile(ar.signs(k), A_hat.shape[0])[None].repeat(frames.shape[0], 0)
    return network_gram(coefs, forms)


def mc_gram(frames, k: int, nodes: int, p: float = 0.5, samples: int = 20000, seed=0) -> GramSummary:
    """Monte-Carlo normalized Gram over ``(X, Â)`` samples, with delta-method standard errors.

    :func:`symhard.queries.gram.sampled_gram` of the members' formula :func:`feature_target` under
    ``ErdosRenyi(nodes, p, features=d, self_loops=True)``.
    """
    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    samples = check_int(samples, "samples", min_value=100)
    dist = ErdosRenyi(check_nodes(nodes), p, features=frames.shape[1], self_loops=True)
    members = [functools.partial(_member_on_graphs, V=V, k=k) for V in frames]
    return sampled_gram(members, dist, samples, seed, chunk=max(256, 2_000_000 // (nodes * frames.shape[1])))


def _member_on_graphs(A_hat, X, *, V, k):
    return feature_target(X, A_hat, V, k)


def frames_with_overlap(V, s, seed=0) -> np.ndarray:
    """Frames ``U = s V + √(1 - s²) Q`` with ``Q ⊥ V`` orthonormal, so ``VᵀU = s I`` and ``‖VᵀU‖_op = s``.

    ``V[d, 2]`` (``d ≥ 4``), ``s[S]`` in ``[0, 1]`` -> ``[S, d, 2]``.
    """
    V = np.asarray(V, dtype=np.float64)
    d = V.shape[0]
    if d < 4:
        raise InvalidParameterError(f"frames with a prescribed overlap need d >= 4 (two orthogonal 2-frames), got d == {d}.")
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    Z = as_generator(seed).standard_normal((d, 2))
    for _ in range(2):  # project out span(V) twice (re-orthogonalization for round-off)
        Z -= V @ (V.T @ Z)
    Q, _ = np.linalg.qr(Z)
    return s[:, None, None] * V[None] + np.sqrt(1 - s**2)[:, None, None] * Q[None]


def overlap_curve(k: int, measure: OverlapMeasure, d: int = 16, s_values=None, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Exact normalized correlation of ``g_V`` and ``g_U`` with ``VᵀU = s I`` (``‖VᵀU‖_op = s``), for each ``s``."""
    s_values = np.geomspace(0.05, 0.5, 8) if s_values is None else np.asarray(s_values, dtype=np.float64)
    rng = as_generator(seed)
    V = ar.random_orthonormal_frame(max(4, d), rng)
    U = frames_with_overlap(V, s_values, seed=rng)
    cross = _phi(V[None], U, k, measure.r_values)[0] @ measure.weights
    return s_values, cross / exact_norm_sq(k, measure)


def gamma_constant(k: int, measure: OverlapMeasure) -> tuple[float, str]:
    """``(C_k, how)`` with :math:`|\\mathrm{corr}(g_V, g_U)| \\le C_k \\|V^\\top U\\|_{op}^k` (module docstring).

    Exact measure: :math:`C_k = \\|F_k\\|^2\\sum_r\\bar\\mu(r)r^k/E[g^2]`; sampled measure: the graph-free
    :math:`\\|F_k\\|^2/\\|F_k^{(k)}\\|^2` (valid for every graph law with non-negative ``Â``).
    """
    k = ar.check_even_k(k)
    F2 = ar.norm_sq(k)
    if measure.method == "exact":
        return F2 * float(measure.weights @ np.abs(measure.r_values) ** k) / exact_norm_sq(k, measure), "graph measure"
    return F2 / ar.hermite_norm_sq(k, k), "graph-free"


def correlation_bound(k: int, measure: OverlapMeasure, s) -> np.ndarray:
    """γ(s) = min(1, C_k s^k): the certified bound on |corr(g_V, g_U)| when ‖VᵀU‖_op ≤ s."""
    C, _ = gamma_constant(k, measure)
    return np.minimum(1.0, C * np.asarray(s, dtype=np.float64) ** k)


def class_bound(d: int, k: int, measure: OverlapMeasure, tau: float) -> PackingBound:
    """The whole-class bound: max over ``s`` of the counting lemma with ``m(s)`` (Stiefel packing) and ``γ(s)``."""
    logp = stiefel_overlap_log_tail(d, S_GRID)
    sizes = [packing_size(float(lp)) for lp in logp]
    return best_packing_bound(S_GRID, sizes, correlation_bound(k, measure, S_GRID), logp, tau)


@functools.lru_cache(maxsize=256)
def class_bound_gnp(d: int, k: int, nodes: int, p: float, tau: float) -> PackingBound:
    """:func:`class_bound` for ``Â = G(nodes, p) + I`` (cached; exact measure for ``nodes ≤ 6``)."""
    return class_bound(d, k, overlap_measure(nodes, p, seed=0), tau)


def dimension_for_queries(k: int, measure: OverlapMeasure, tau: float, queries: float = 1.0,
                          d_max: int = 1 << 24) -> int | None:
    """The smallest ``d`` at which :func:`class_bound` certifies at least ``queries`` queries (``None`` beyond ``d_max``).

    The bound is non-decreasing in ``d`` (``m(s)`` grows with ``d``, ``γ(s)`` does not depend on it), so
    doubling then bisection finds it.
    """
    def enough(d: int) -> bool:
        return class_bound(d, k, measure, tau).bound.queries >= queries

    hi = 4
    while not enough(hi):
        hi *= 2
        if hi > d_max:
            return None
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi
