r"""GNN hardness in the feature dimension: the DKKZ construction carried onto graphs (CSQ).

The class
---------
Node features :math:`X \in \mathbb{R}^{n \times d}` have i.i.d. ``N(0, 1)`` entries; the graph is
:math:`\hat A = A + I`, the adjacency of ``A ~ G(n, p)`` **with self-loops** (so every node sees its
own features and no row of :math:`\hat A` is zero), or a fixed matrix given by the user (used as
given). For even ``k`` let :math:`F_k(u) = \sum_{j=0}^{2k-1} (-1)^j \mathrm{ReLU}(\cos\theta_j u_1 + \sin\theta_j u_2)`,
:math:`\theta_j = \pi j/k` (:mod:`symhard.families._alternating_relu`). A member is a frame
:math:`V \in \mathbb{R}^{d \times 2}` with orthonormal columns, and

.. math:: f_V(X, \hat A) = c \sum_{v=1}^{n} F_k\bigl(V^\top (\hat A X)_v\bigr) = c\, 1^\top \mathrm{ReLU}(\hat A X W)\, a,
          \qquad W = V[\cos\theta; \sin\theta] \in \mathbb{R}^{d \times 2k},\; a_j = (-1)^j,

the one-hidden-layer GNN of the paper (width ``2k``), with ``c`` making :math:`E f_V^2 = 1`.

Exact correlations
------------------
Unit ``(v, j)`` is :math:`\mathrm{ReLU}(\langle \hat A_v \otimes w_j, \mathrm{vec} X\rangle)`: a ReLU of a
Gaussian linear form of :math:`\mathrm{vec} X \sim N(0, I_{nd})` with form :math:`\hat A_v \otimes w_j`
(``Â_v`` the ``v``-th row). Two forms have inner product :math:`(\hat A \hat A^\top)_{vu}\, \langle w_j, w'_l\rangle`
and norms :math:`\|\hat A_v\| \|w_j\|` (and :math:`\|w_j\| = 1`). By the arc-cosine kernel
(:mod:`symhard.queries.arccos`), :math:`E[\mathrm{ReLU}(a)\mathrm{ReLU}(b)] = \sigma_a\sigma_b \kappa_1(\rho)`,
:math:`\kappa_1(\rho) = (\sqrt{1-\rho^2} + (\pi - \arccos\rho)\rho)/(2\pi)`, so for a fixed graph

.. math:: E_X[f_V f_U] = c^2 \sum_{v,u} \|\hat A_v\|\|\hat A_u\|\; \Phi_{VU}(r_{vu}),\quad
          r_{vu} = \frac{(\hat A\hat A^\top)_{vu}}{\|\hat A_v\|\|\hat A_u\|},\quad
          \Phi_{VU}(r) = \sum_{j,l} a_j a_l\, \kappa_1\bigl(r\, \langle w_j, w'_l\rangle\bigr),

(:func:`fixed_graph_gram` evaluates the left side literally with
:func:`~symhard.queries.arccos.network_gram` on the Kronecker forms). The graph enters only through
the measure :math:`\mu = \sum_{v,u} \|\hat A_v\|\|\hat A_u\| \delta_{r_{vu}}`, so for random graphs
:math:`E[f_V f_U] = c^2 \sum_r \bar\mu(r) \Phi_{VU}(r)` with :math:`\bar\mu = E_A \mu_A`
(:func:`overlap_measure`): exact when all :math:`2^{n(n-1)/2}` graphs are enumerated (``n ≤ 6``),
Monte Carlo over graphs beyond, with the standard error of the mean over graphs.
:math:`E f_V^2` does not depend on ``V`` (``VᵀV = I``), which gives the exact normalization ``c``.

Why the correlations are small
------------------------------
:math:`(\hat A X)_v` and :math:`(\hat A X)_u` are jointly Gaussian with cross-covariance
:math:`(\hat A\hat A^\top)_{vu} I_d`, so :math:`V^\top z_v` and :math:`U^\top z_u` have cross-covariance
:math:`r_{vu} V^\top U` after normalization. :math:`F_k` has no Hermite component of degree ``< k``
(its angular frequencies are odd multiples of ``k``), and by Hermite orthogonality

.. math:: |E[F_k(V^\top \bar z_v) F_k(U^\top \bar z_u)]| \le \|F_k\|^2 (r_{vu}\|V^\top U\|_{op})^k,

hence :math:`|E f_V f_U| \le n\,\|V^\top U\|^k_{op}` after normalization (the norm is at least the
``n`` diagonal terms). For random frames :math:`\|V^\top U\|_{op} \approx \sqrt{2/d}`, so correlations
are :math:`d^{-\Omega(k)}`; the certificate measures the slope of :math:`\log|\mathrm{corr}|` against
:math:`\log\|V^\top U\|` (it must be ``k``).

The bound computed
------------------
For the ``m`` certified members with exact largest off-diagonal correlation ``γ``, Szörényi's
pairwise-correlation bound gives: any CSQ learner that beats the zero predictor needs at least

.. math:: q \ge \frac{m(\tau^2 - \gamma)}{2}

queries of tolerance ``τ`` (vacuous when :math:`\tau^2 \le \gamma`). Asymptotically one can pack
:math:`m = 2^{d^{\Omega(1)}}` frames with pairwise overlap :math:`d^{-1/2 + o(1)}`, giving
:math:`\gamma \le n\, d^{-\Omega(k)}` and the paper's :math:`d^{\Omega(k)}` statement: either
exponentially many queries or tolerance below :math:`\sqrt{\gamma} = d^{-\Omega(k)}`; the certificate
reports :math:`\sqrt{\gamma}` as ``tolerance_threshold``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._random import as_generator
from ..errors import InvalidParameterError, check_float, check_int, check_tau
from ..models.gnn import OneHiddenLayerGNN, one_hidden_layer_gnn
from ..queries.arccos import network_gram, normalized, relu_pair_expectation
from . import _alternating_relu as ar
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role
from .gnn_degree_parity import all_graphs, pairwise_correlation_bound, sample_graphs

__all__ = [
    "MAX_ENUMERATED_NODES",
    "feature_weights",
    "feature_target",
    "overlap_measure",
    "exact_norm_sq",
    "exact_gram",
    "fixed_graph_gram",
    "mc_gram",
    "frames_with_overlap",
    "overlap_curve",
    "GNNFeatures",
    "FeatureTask",
]

MAX_ENUMERATED_NODES = 6  # 2^15 graphs; beyond, the graph measure is sampled
MAX_NODES = 64


def _check_d(d: Any) -> int:
    if isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d < 2:
        raise InvalidParameterError(f"d == {d}: a member is a d x 2 frame with orthonormal columns, so d must be >= 2.")
    return check_int(d, "d", min_value=2)


def _check_nodes(n: Any) -> int:
    return check_int(n, "nodes", min_value=1, max_value=MAX_NODES)


def feature_weights(V, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W, a)``: ``W = V[cos θ; sin θ]`` (``[..., d, 2k]``) and ``a_j = (-1)^j`` (``[2k]``)."""
    k = ar.check_even_k(k)
    return ar.hidden_weights(V, k), ar.signs(k)


def feature_target(X, A_hat, V, k: int) -> np.ndarray:
    """Unnormalized :math:`\\sum_v F_k(V^\\top (\\hat A X)_v)` evaluated through ``F_k`` (numpy float64).

    Shapes: ``X[B, n, d]``, ``A_hat[B, n, n]``, ``V[d, 2]`` -> ``[B]``.
    """
    Z = np.asarray(A_hat, dtype=np.float64) @ np.asarray(X, dtype=np.float64)
    return ar.F_k(Z @ np.asarray(V, dtype=np.float64), k).sum(-1)


def _add_self_loops(A: np.ndarray) -> np.ndarray:
    return A + np.eye(A.shape[-1], dtype=A.dtype)


@dataclass(frozen=True)
class OverlapMeasure:
    """The graph measure ``μ̄ = Σ_r weight_r δ_r`` with ``r_values[R]``, ``weights[R]``.

    ``cov[R, R]`` is the covariance of the Monte-Carlo estimate of ``weights`` (zeros when exact).
    """

    r_values: np.ndarray
    weights: np.ndarray
    cov: np.ndarray
    method: str
    graphs: int


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
    if probs is None:  # Monte Carlo: uniform weights, covariance of the mean
        weights = Y.mean(0)
        cov = np.cov(Y, rowvar=False, ddof=1).reshape(R, R) / N if N > 1 else np.zeros((R, R))
        return OverlapMeasure(r, weights, cov, "mc", N)
    weights = probs @ Y
    return OverlapMeasure(r, weights, np.zeros((R, R)), "exact", N)


def overlap_measure(nodes: int, p: float = 0.5, *, adjacency=None, samples: int = 4000, seed=0,
                    method: str = "auto") -> OverlapMeasure:
    """The measure :math:`\\bar\\mu = E_A \\sum_{v,u} \\|\\hat A_v\\|\\|\\hat A_u\\| \\delta_{r_{vu}}` of the graph law.

    ``adjacency`` (``[n, n]``): one fixed graph, used as given (no self-loops added). Otherwise
    ``Â = A + I`` with ``A ~ G(nodes, p)``: exact by enumerating every graph, weighted by
    :math:`p^{|E|}(1-p)^{\\binom n2 - |E|}`, when ``nodes ≤ 6`` (``method="auto"`` or ``"exact"``), else
    ``samples`` sampled graphs (``"mc"``).
    """
    if adjacency is not None:
        A = np.asarray(adjacency, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.allclose(A, np.round(A)) or (A < 0).any():
            raise InvalidParameterError(
                f"adjacency must be a square matrix of non-negative integers, got shape {A.shape}."
            )
        return _measure_from_graphs(np.round(A).astype(np.int64)[None], np.ones(1))
    nodes = _check_nodes(nodes)
    p = check_float(p, "p", low=0.0, high=1.0)
    if method == "auto":
        method = "exact" if nodes <= MAX_ENUMERATED_NODES else "mc"
    if method == "exact":
        if nodes > MAX_ENUMERATED_NODES:
            raise InvalidParameterError(
                f"exact enumeration of G(n, p) needs nodes <= {MAX_ENUMERATED_NODES}, got {nodes}; use method='mc'."
            )
        A = all_graphs(nodes)
        E = nodes * (nodes - 1) // 2
        edges = A.sum((1, 2)) // 2
        probs = p**edges * (1 - p) ** (E - edges)
        return _measure_from_graphs(_add_self_loops(A.astype(np.int64)), probs)
    if method != "mc":
        raise InvalidParameterError(f"method must be 'auto', 'exact' or 'mc', got {method!r}.")
    samples = check_int(samples, "samples", min_value=2)
    A = sample_graphs(samples, nodes, p, seed)
    return _measure_from_graphs(_add_self_loops(A.astype(np.int64)), None)


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
    r = np.asarray(r_key)
    w = np.asarray(w_key)
    V = np.eye(2)[None]
    return float(_phi(V, V, k, r)[0, 0] @ w)


def exact_norm_sq(k: int, measure: OverlapMeasure) -> float:
    """:math:`E[(1^\\top \\mathrm{ReLU}(\\hat A X W) a)^2]`, the same for every frame ``V`` (``VᵀV = I``)."""
    k = ar.check_even_k(k)
    return _norm_sq_cached(k, tuple(measure.r_values.tolist()), tuple(measure.weights.tolist()))


def exact_gram(frames, k: int, measure: OverlapMeasure) -> tuple[np.ndarray, np.ndarray]:
    """Gram matrix :math:`E[g_i g_j]` of the unnormalized networks :math:`g_i = 1^\\top\\mathrm{ReLU}(\\hat AXW_i)a`.

    ``frames[m, d, 2]``. Returns ``(gram[m, m], stderr[m, m])``; the standard error comes from
    the graph sampling of ``measure`` (zero when it is exact).
    """
    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    Phi = _phi(frames, frames, k, measure.r_values)
    gram = Phi @ measure.weights
    var = np.einsum("ijr,rs,ijs->ij", Phi, measure.cov, Phi)
    return gram, np.sqrt(np.clip(var, 0.0, None))


def fixed_graph_gram(frames, k: int, A_hat) -> np.ndarray:
    """The same Gram for one fixed graph, literally: units ``(v, j)`` with forms ``Â_v ⊗ w_j`` on ``vec X``.

    :func:`~symhard.queries.arccos.network_gram` on ``m`` networks of ``n·2k`` units each, with
    coefficients ``a_j`` (``(-1)^j``) and forms ``kron(Â_v, w_j) ∈ R^{n d}``.
    """
    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    A_hat = np.asarray(A_hat, dtype=np.float64)
    W = ar.hidden_weights(frames, k)  # [m, d, 2k]
    forms = np.einsum("vu,mdj->mvjud", A_hat, W).reshape(frames.shape[0], -1, A_hat.shape[1] * frames.shape[1])
    coefs = np.tile(ar.signs(k), A_hat.shape[0])[None].repeat(frames.shape[0], 0)
    return network_gram(coefs, forms)


def _sample_inputs_np(m: int, nodes: int, d: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((m, nodes, d))
    A = _add_self_loops(sample_graphs(m, nodes, p, rng).astype(np.float64))
    return X, A


def mc_gram(frames, k: int, nodes: int, p: float = 0.5, samples: int = 20000, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo Gram of the unnormalized networks over ``(X, Â)`` samples, with standard errors.

    Evaluates all ``m`` networks with :func:`~symhard.models.gnn.one_hidden_layer_gnn` (ensemble
    axis = members) in float64; ``stderr[i, j] = sd(g_i g_j)/√N``.
    """
    k = ar.check_even_k(k)
    frames = np.asarray(frames, dtype=np.float64)
    samples = check_int(samples, "samples", min_value=100)
    rng = as_generator(seed)
    W, a = feature_weights(frames, k)
    Wt = torch.as_tensor(W)
    at = torch.as_tensor(np.broadcast_to(a, (frames.shape[0], a.size)).copy())
    m = frames.shape[0]
    s1 = np.zeros((m, m))
    s2 = np.zeros((m, m))
    chunk = max(64, 2_000_000 // (m * nodes * 2 * k))
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        X, A = _sample_inputs_np(b, nodes, frames.shape[1], p, rng)
        with torch.no_grad():
            Y = one_hidden_layer_gnn(torch.as_tensor(X), torch.as_tensor(A), Wt, at).numpy()  # [m, b]
        prod = Y[:, None, :] * Y[None, :, :]
        s1 += prod.sum(-1)
        s2 += (prod**2).sum(-1)
        done += b
    mean = s1 / samples
    var = (s2 / samples - mean**2) * samples / (samples - 1)
    return mean, np.sqrt(np.clip(var, 0, None) / samples)


def frames_with_overlap(V, s, seed=0) -> np.ndarray:
    """Frames ``U = s V + √(1 - s²) Q`` with ``Q ⊥ V`` orthonormal, so ``VᵀU = s I`` and ``‖VᵀU‖_op = s``.

    ``V[d, 2]`` (``d ≥ 4``), ``s[S]`` in ``[0, 1]`` -> ``[S, d, 2]``.
    """
    V = np.asarray(V, dtype=np.float64)
    d = V.shape[0]
    if d < 4:
        raise InvalidParameterError(f"frames with a prescribed overlap need d >= 4 (two orthogonal 2-frames), got d == {d}.")
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    rng = as_generator(seed)
    Z = rng.standard_normal((d, 2))
    for _ in range(2):  # project out span(V) twice (re-orthogonalization for round-off)
        Z -= V @ (V.T @ Z)
    Q, _ = np.linalg.qr(Z)
    return s[:, None, None] * V[None] + np.sqrt(1 - s**2)[:, None, None] * Q[None]


def _offdiag_max(corr: np.ndarray, se: np.ndarray) -> tuple[float, float, float]:
    m = corr.shape[0]
    mask = ~np.eye(m, dtype=bool)
    vals = np.abs(corr[mask])
    i = int(np.argmax(vals))
    return float(vals[i]), float(se[mask][i]), float(np.max(vals + 3 * se[mask]))


def overlap_curve(k: int, measure: OverlapMeasure, d: int = 16, s_values=None, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Exact normalized correlation of ``f_V`` and ``f_U`` with ``‖VᵀU‖_op = s``, for each ``s``."""
    s_values = np.geomspace(0.05, 0.5, 8) if s_values is None else np.asarray(s_values, dtype=np.float64)
    rng = as_generator(seed)
    V = ar.random_orthonormal_frame(max(4, d), rng)
    U = frames_with_overlap(V, s_values, seed=rng)
    cross = _phi(V[None], U, k, measure.r_values)[0] @ measure.weights
    return s_values, cross / exact_norm_sq(k, measure)


class GNNFeatures(Family):
    """DKKZ alternating-ReLU targets on graphs: f_V(X, A) = 1ᵀ ReLU(Â X W) a, W = V[cos θ; sin θ]."""

    name = "gnn-features"
    summary = ("f_V(X, A) = sum_v F_k(V^T (A_hat X)_v) = 1^T ReLU(A_hat X W) a, X ~ N(0,1)^{n x d}, A_hat = G(n,p) + I, "
               "V a random d x 2 orthonormal frame, k even")
    theorem = ("CSQ: >= m(tau^2 - gamma)/2 queries, gamma = max pairwise correlation <= n ||V^T U||^k = n d^{-Omega(k)}; "
               "paper: d^{Omega(k)}")
    symmetry = "S_n permuting the n nodes (X -> P X, A -> P A P^T)"
    bound = "csq-counting"
    params = (
        Param("d", "int", 32, "feature dimension", low=2),
        Param("k", "int", 4, "frequency of F_k", low=2, multiple_of=2),
        Param("n", "int", 6, "nodes of the G(n, p) graphs (self-loops added)", low=1, high=MAX_NODES, aliases=("nodes",)),
        Param("members", "int", 64, "random frames V certified", low=2, high=1024),
        Param("p", "float", 0.5, "edge probability", low=0.0, high=1.0),
        Param("mc", "bool", False, "Monte Carlo over (X, A) instead of the exact arc-cosine Gram", negation="exact"),
        Param("samples", "int", 20000, "Monte-Carlo samples with --mc", low=100),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("seed", "int", 0, "seed of the frames and samples", low=0),
    )

    def _certify(self, d: int, k: int, n: int, members: int, p: float, mc: bool, samples: int, tau: float,
                 seed: int) -> Certificate:
        """Exact (arc-cosine kernel) or Monte-Carlo (``mc=True``) certificate of ``members`` random frames."""
        nodes = n
        d = _check_d(d)
        k = ar.check_even_k(k)
        nodes = _check_nodes(nodes)
        members = check_int(members, "members", min_value=2, max_value=1024)
        tau = check_tau(tau)
        rng = as_generator(seed)
        frames = ar.random_orthonormal_frame(d, rng, count=members)
        measure = overlap_measure(nodes, p, seed=rng)
        norm_sq = exact_norm_sq(k, measure)
        # realization: the GNN with weights (W, a) against sum_v F_k(V^T (Â X)_v), float64
        X, A = _sample_inputs_np(256, nodes, d, p, rng)
        W, a = feature_weights(frames, k)
        net = OneHiddenLayerGNN.from_weights(torch.as_tensor(W), torch.as_tensor(np.tile(a, (members, 1))))
        with torch.no_grad():
            out = net(torch.as_tensor(X), torch.as_tensor(A)).numpy()
        target = np.stack([feature_target(X, A, V, k) for V in frames[: min(members, 16)]])
        realization = float(np.max(np.abs(out[: target.shape[0]] - target)))
        if mc:
            gram, se = mc_gram(frames, k, nodes, p, samples=samples, seed=rng)
            method = "mc"
        else:
            gram, se = exact_gram(frames, k, measure)
            method = measure.method
        diag = np.sqrt(np.clip(np.diag(gram), 1e-300, None))
        corr = normalized(gram)
        corr_se = se / np.outer(diag, diag)
        gamma, gamma_se, gamma_ub = _offdiag_max(corr, corr_se)
        what = "" if method == "exact" else " (max |c| + 3 se, Monte Carlo)"
        bound = pairwise_correlation_bound(members, gamma if method == "exact" else gamma_ub, tau, what)
        overlaps = np.linalg.norm(np.einsum("idp,jdq->ijpq", frames, frames), ord=2, axis=(2, 3))
        off = overlaps[~np.eye(members, dtype=bool)]
        s, c = overlap_curve(k, measure, d=d, seed=seed)
        slope = float(np.polyfit(np.log(s[:4]), np.log(np.abs(c[:4])), 1)[0])
        extra = {
            "norm_sq_raw": norm_sq,
            "scale": 1 / math.sqrt(norm_sq),
            "self_loops": True,
            "graph_measure": measure.method,
            "graphs": measure.graphs,
            "overlap_curve": [[float(x), float(y)] for x, y in zip(s, c)],
            "overlap_slope": slope,
            "overlap_slope_expected": k,
            "max_corr_over_overlap_pow_k": float(np.max(np.abs(c) / s**k)),
            "mean_pair_overlap": float(off.mean()),
            "max_pair_overlap": float(off.max()),
            "n_times_max_overlap_pow_k": float(nodes * off.max() ** k),
            "tolerance_threshold": math.sqrt(gamma),
            "mc_samples": int(samples) if mc else 0,
        }
        return Certificate(family=self.name,
                           params={"d": d, "k": k, "nodes": nodes, "p": p, "members": members, "tau": tau, "seed": seed},
                           method=method, members=members, realization_error=realization, max_offdiag_corr=gamma,
                           max_offdiag_corr_stderr=gamma_se, min_norm=float(np.sqrt(np.min(np.diag(gram)))),
                           lower_bound=bound, extra=extra)

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        measure = overlap_measure(4, 0.5)
        s_values = np.geomspace(0.05, 0.6, 10)
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        slopes = {}
        for k, color in ((2, "C0"), (4, "C1"), (6, "C2")):
            s, c = overlap_curve(k, measure, d=16, s_values=s_values, seed=k)
            slopes[k] = float(np.polyfit(np.log(s[:5]), np.log(np.abs(c[:5])), 1)[0])
            ax.loglog(s, np.abs(c), "o-", color=color, label=f"k = {k} (fitted slope {slopes[k]:.2f})")
            ax.loglog(s, np.abs(c[0]) * (s / s[0]) ** k, ":", color=color, lw=1)
        ax.set_xlabel("||V^T U||_op")
        ax.set_ylabel("|corr(f_V, f_U)| (exact, G(4,1/2)+I)")
        ax.set_title("gnn-features: correlation vs overlap (dotted: slope k)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path1 = out_dir / "gnn_features_overlap.png"
        fig.savefig(path1, dpi=120)
        plt.close(fig)
        ds = [8, 16, 32, 64] if quick else [8, 16, 32, 64, 128, 256]
        members = 32 if quick else 64
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        rows = []
        for k in (2, 4, 6):
            g = []
            for d in ds:
                frames = ar.random_orthonormal_frame(d, d, count=members)
                gram, _ = exact_gram(frames, k, measure)
                corr = normalized(gram)
                g.append(float(np.max(np.abs(corr[~np.eye(members, dtype=bool)]))))
                rows.append((k, d, g[-1]))
            ax.loglog(ds, g, "o-", label=f"k = {k}")
        ax.set_xlabel("d (feature dimension)")
        ax.set_ylabel(f"max off-diagonal |corr| of {members} members")
        ax.set_title("gnn-features: largest correlation vs d (exact)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path2 = out_dir / "gnn_features_vs_d.png"
        fig.savefig(path2, dpi=120)
        plt.close(fig)
        cert = self.certificate(d=32, k=4, nodes=4, members=members)
        text = (
            "DKKZ alternating-ReLU targets on graphs, f_V = 1^T ReLU(A_hat X W) a, correlations exact from the "
            "arc-cosine kernel averaged over all G(4,1/2) graphs (self-loops added). Fitted log-log slopes of "
            "correlation vs ||V^T U|| at small overlap: "
            + ", ".join(f"k = {k}: {v:.2f}" for k, v in slopes.items()) + ".\n\n"
            f"| k | d | max off-diagonal corr ({members} members) |\n|---|---|---|\n"
            + "\n".join(f"| {k} | {d} | {g:.3g} |" for k, d, g in rows) + "\n"
        )
        return ReportSection(title="GNN hardness in the feature dimension (DKKZ on graphs)", text=text,
                             certificates=[cert], figures=[path1, path2])


# ---------------------------------------------------------------------------- learning task
@dataclass
class FeatureTask:
    """Learning task: ``f_V`` on ``(X, Â)``, ``X ~ N(0, 1)^{n×d}``, ``Â = G(n, 1/2) + I``.

    ``role="hard"``: frequency ``k`` (default 6); ``role="control"``: the ``k = 2`` member (it has
    degree-2 Hermite components, so correlation queries see it). Targets are scaled by the
    exact norm (unit second moment). The model is :class:`~symhard.models.gnn.OneHiddenLayerGNN`.
    """

    d: int
    role: str
    k: int
    nodes: int
    frame: np.ndarray
    family: str = "gnn-features"
    param_name: str = "d"
    param_value: int = field(init=False)
    hidden_units: int = field(init=False)

    def __post_init__(self) -> None:
        self.param_value = self.d
        self.hidden_units = 2 * self.k
        self._measure = overlap_measure(self.nodes, 0.5)
        self._scale = 1.0 / math.sqrt(exact_norm_sq(self.k, self._measure))
        W, a = feature_weights(self.frame, self.k)
        self._W = torch.as_tensor(W * self._scale)
        self._a = torch.as_tensor(a)

    def sample_inputs(self, m: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        X = torch.randn(m, self.nodes, self.d, generator=generator)
        iu, ju = np.triu_indices(self.nodes, 1)
        bits = (torch.rand(m, iu.size, generator=generator) < 0.5).float()
        A = torch.zeros(m, self.nodes, self.nodes)
        A[:, iu, ju] = bits
        A[:, ju, iu] = bits
        return X, A + torch.eye(self.nodes)

    def target(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        out = one_hidden_layer_gnn(X.to(torch.float64), A.to(torch.float64), self._W, self._a)
        return out.to(X.dtype)

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> OneHiddenLayerGNN:
        return OneHiddenLayerGNN(ensemble, self.d, width, activation="relu", generator=generator)

    def lower_bound(self, tau: float) -> LowerBound:
        frames = ar.random_orthonormal_frame(self.d, 0, count=64)
        corr = normalized(exact_gram(frames, self.k, self._measure)[0])
        gamma = float(np.max(np.abs(corr[~np.eye(64, dtype=bool)])))
        return pairwise_correlation_bound(64, gamma, tau)


def feature_task(param_value: int, role: str, seed: int, *, k: int = 6, n: int = 4) -> FeatureTask:
    """Task factory: ``d = param_value``; ``seed`` picks the frame ``V``; control uses ``k = 2``."""
    d = _check_d(param_value)
    check_role(role)
    k = ar.check_even_k(k)
    nodes = check_int(n, "n", min_value=1, max_value=MAX_ENUMERATED_NODES)
    frame = ar.random_orthonormal_frame(d, as_generator(seed))
    return FeatureTask(d=d, role=role, k=k if role == "hard" else 2, nodes=nodes, frame=frame)


#: The ``gnn-features`` learning task: f_V with frequency k (hard) against the k = 2 member (control).
FEATURE_TASK = TaskSpec(
    name="gnn-features",
    factory=feature_task,
    param=Param("d", "int", None, "feature dimension", low=2),
    options=(
        Param("k", "int", 6, "frequency of the hard target F_k", low=2, multiple_of=2),
        Param("n", "int", 4, "nodes of the G(n, 1/2) graphs", low=1, high=MAX_ENUMERATED_NODES, aliases=("nodes",)),
    ),
    summary="DKKZ alternating-ReLU target on graphs with Gaussian node features vs its k = 2 member",
)
GNNFeatures.task = FEATURE_TASK
