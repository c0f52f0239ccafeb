r"""GNN hardness in the feature dimension: the DKKZ construction carried onto graphs (CSQ).

The class
---------
Node features :math:`X \in \mathbb{R}^{n \times d}` have i.i.d. ``N(0, 1)`` entries; the graph is
:math:`\hat A = A + I`, the adjacency of ``A ~ G(n, p)`` **with self-loops** (so every node sees its
own features and no row of :math:`\hat A` is zero). For even ``k`` let
:math:`F_k(u) = \sum_{j=0}^{2k-1} (-1)^j \mathrm{ReLU}(\cos\theta_j u_1 + \sin\theta_j u_2)`,
:math:`\theta_j = \pi j/k` (:mod:`symhard.families._alternating_relu`). A member is a frame
:math:`V \in St(d, 2)` (orthonormal columns), and

.. math:: f_V(X, \hat A) = c\, g_V, \qquad g_V = \sum_{v=1}^{n} F_k\bigl(V^\top (\hat A X)_v\bigr) = 1^\top \mathrm{ReLU}(\hat A X W)\, a,
          \qquad W = V[\cos\theta; \sin\theta] \in \mathbb{R}^{d \times 2k},\; a_j = (-1)^j,

the one-hidden-layer GNN of the paper (width ``2k``), with ``c`` making :math:`E f_V^2 = 1`. The
symmetry is :math:`S_n` acting on the nodes (``X -> PX``, ``Â -> PÂPᵀ``). The class is all of
:math:`St(d, 2)`.

Exact correlations
------------------
Unit ``(v, j)`` is the ReLU of the Gaussian linear form :math:`\hat A_v \otimes w_j` of
:math:`\mathrm{vec} X`, so by the arc-cosine kernel the Gram matrix is exact; the graph enters only
through the overlap measure :math:`\bar\mu` (:mod:`symhard.families._gnn_features_gram`: exact for
``n ≤ 6`` by enumerating ``G(n, p)``, sampled beyond, with standard errors).
:func:`fixed_graph_gram` evaluates the Kronecker-form sum literally, :func:`mc_gram` by Monte
Carlo over ``(X, Â)``; the tests check the three against each other.

The bound: whole class, certified
---------------------------------
*Correlation inequality.* By Mehler's formula and the absence of Hermite components of degree
``< k`` in ``F_k``, :math:`|E[g_V g_U]| \le \|F_k\|^2 s^k \sum_r \bar\mu(r) r^k` with
:math:`s = \|V^\top U\|_{op}`, and :math:`E g_V^2` is the same for every ``V``; so
:math:`|\mathrm{corr}(f_V, f_U)| \le \gamma(s) = C_k s^k` (:func:`~symhard.families._gnn_features_gram.gamma_constant`).

*Certified packing.* For ``U`` uniform on ``St(d, 2)``, :math:`P(\|V^\top U\|_{op} > s) \le 2(1-s^2/2)^{(d-2)/2}`
(a Beta(1, (d−2)/2) tail per column; :mod:`symhard.queries.packing`). Hence a packing of
:math:`m(s) = \max\{m : m(m-1)(1-s^2/2)^{(d-2)/2} < 1\}` frames with pairwise overlap at most ``s``
exists (probabilistic method).

*Certificate.* The bound reported is the larger of (i) the counting lemma
:math:`(m(s)-1)(\tau^2-\gamma(s))/(1-\gamma(s))` maximized over ``s``, a bound for the **whole class**,
and (ii) the same lemma for the ``members`` sampled frames with their exact largest correlation
(the cross-check). ``extra["bound_used"]`` says which; ``members`` is the ``m`` of the bound used
and ``extra["members_checked"]`` the sampled count. Asymptotically ``m(s) = e^{Θ(d s²)}`` against
``γ(s) = C_k s^k``, the paper's :math:`d^{\Omega(k)}`; **at the sizes one can train (d ≤ 128) both
bounds are small, often below one query or vacuous**: e.g. at ``d = 32``, ``k = 4``, ``τ = 0.1`` the
packing certifies two frames at the overlap where ``γ(s) < τ²``, a bound of 4·10⁻⁴ queries; the
whole-class bound reaches one query at ``d = 572`` (``k = 4``) and ``d = 244`` (``k = 6``) on
``G(4, 1/2) + I`` (``extra["packing"]["d_for_one_query"]``). The report says so.

Normalized norm
---------------
``min_norm`` is :math:`\sqrt{E[g_V^2] / (\|F_k\|^2\, E\|\hat A\|_F^2)}`: the norm of the sum over
nodes relative to the root sum of squares of the node blocks' norms
(:math:`\|F_k(V^\top(\hat AX)_v)\|^2 = E\|\hat A_v\|^2 \|F_k\|^2`); it is 1 when the node terms are
uncorrelated (``Â = I``) and at least 1 here, since ``Â ≥ 0`` makes every cross-node term
non-negative. The raw :math:`E[g_V^2]` is ``extra["norm_sq_raw"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import torch

from .._random import as_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup
from ..models.gnn import OneHiddenLayerGNN, one_hidden_layer_gnn
from ..parameters import Param
from ..queries.bounds import LowerBound, csq_pairwise_bound
from ..queries.distributions import MAX_ENUMERATED_NODES, ErdosRenyi
from ..queries.packing import choose_bound
from ..queries import gram as qgram
from ..queries.gram import GramSummary
from ..sections import Section
from . import _alternating_relu as ar
from ._gnn_features_gram import (
    MAX_NODES, OverlapMeasure, check_nodes, class_bound, class_bound_gnp, correlation_bound, dimension_for_queries,
    exact_norm_sq,
    feature_target, fixed_graph_gram, frames_with_overlap, gamma_constant, mc_gram, overlap_curve,
    overlap_measure, raw_gram,
)
from .base import Certificate, ContractCase, Family, TaskSpec, check_role

__all__ = [
    "MAX_ENUMERATED_NODES", "MAX_NODES", "OverlapMeasure", "feature_weights", "feature_target", "overlap_measure",
    "exact_norm_sq", "raw_gram", "fixed_graph_gram", "mc_gram", "frames_with_overlap",
    "overlap_curve", "gamma_constant", "correlation_bound", "class_bound", "choose_bound", "GNNFeatures",
    "FeatureTask", "feature_task", "FEATURE_TASK", "OneHiddenLayerGNN",
]

def _check_d(d: Any) -> int:
    if isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d < 2:
        raise InvalidParameterError(f"d == {d}: a member is a d x 2 frame with orthonormal columns, so d must be >= 2.")
    return check_int(d, "d", min_value=2)


def feature_weights(V, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W, a)``: ``W = V[cos θ; sin θ]`` (``[..., d, 2k]``) and ``a_j = (-1)^j`` (``[2k]``)."""
    k = ar.check_even_k(k)
    return ar.hidden_weights(V, k), ar.signs(k)


def _network(frames: np.ndarray, k: int) -> OneHiddenLayerGNN:
    W, a = feature_weights(frames, k)
    return OneHiddenLayerGNN.from_weights(torch.as_tensor(W), torch.as_tensor(np.tile(a, (frames.shape[0], 1))))


def _sampled_gram(frames, k: int, measure: OverlapMeasure, mc: bool, nodes: int, p: float, samples: int,
                  rng) -> GramSummary:
    """Normalized Gram of the members: exact arc-cosine (stderr from a sampled graph measure) or Monte Carlo."""
    if mc:
        return mc_gram(frames, k, nodes, p, samples=samples, seed=rng)
    raw, se = raw_gram(frames, k, measure)
    return qgram.exact_gram(raw, stderr=se, method=measure.method)


def _offdiag_gamma(summary: GramSummary) -> tuple[float, float, float]:
    """(max |C_ij|, its stderr, max (|C_ij| + 3 stderr_ij)) over i ≠ j."""
    m = summary.members
    mask = ~np.eye(m, dtype=bool)
    upper = float(np.max(np.abs(summary.gram[mask]) + 3 * summary.stderr[mask]))
    return summary.max_offdiag_corr, summary.max_offdiag_corr_stderr, upper


def _overlap_checks(frames: np.ndarray, summary: GramSummary, k: int, measure: OverlapMeasure, d: int,
                    seed: int) -> dict[str, Any]:
    """Pair overlaps of the members, the Hermite inequality on them, and the exact slope-k curve."""
    members = frames.shape[0]
    off = ~np.eye(members, dtype=bool)
    overlaps = np.linalg.norm(np.einsum("idp,jdq->ijpq", frames, frames), ord=2, axis=(2, 3))
    bound = correlation_bound(k, measure, overlaps)
    s, c = overlap_curve(k, measure, d=d, seed=seed)
    return {
        "overlap_curve": [[float(x), float(y)] for x, y in zip(s, c)],
        "overlap_slope": float(np.polyfit(np.log(s[:4]), np.log(np.abs(c[:4])), 1)[0]),
        "overlap_slope_expected": k,
        "max_corr_over_overlap_pow_k": float(np.max(np.abs(c) / s**k)),
        "mean_pair_overlap": float(overlaps[off].mean()),
        "max_pair_overlap": float(overlaps[off].max()),
        # the inequality on the members: exact ratio, or (Monte Carlo) pairs beyond it by more than 3 stderr
        **({"max_corr_over_hermite_bound": float(np.max(np.abs(summary.gram[off]) / bound[off]))}
           if summary.method == "exact" and not np.any(summary.stderr) else
           {"hermite_bound_violations_beyond_3se": int(np.sum(np.abs(summary.gram[off]) - 3 * summary.stderr[off]
                                                                > bound[off]))}),
    }


def _methods(mc: bool, measure: OverlapMeasure, used: str) -> tuple[str, dict[str, str]]:
    gram = "mc" if mc else measure.method
    norm = "mc" if mc or measure.method == "mc" else "exact"
    corr = "exact" if used == "packing" else gram
    methods = {"max_offdiag_corr": corr, "min_norm": norm, "lower_bound": corr}
    values = set(methods.values())
    return (values.pop() if len(values) == 1 else "mixed"), methods


class GNNFeatures(Family):
    """DKKZ alternating-ReLU targets on graphs: f_V(X, A) = 1ᵀ ReLU(Â X W) a, W = V[cos θ; sin θ]."""

    name = "gnn-features"
    summary = ("f_V(X, A) = sum_v F_k(V^T (A_hat X)_v) = 1^T ReLU(A_hat X W) a, X ~ N(0,1)^{n x d}, A_hat = G(n,p) + I, "
               "V in St(d, 2), k even")
    theorem = ("CSQ: >= (m(s)-1)(tau^2 - gamma(s))/(1 - gamma(s)) queries for the whole class, m(s) = certified packing "
               "of St(d,2) at overlap s, gamma(s) = C_k s^k (Hermite); paper: d^{Omega(k)}")
    symmetry = "S_n permuting the n nodes (X -> P X, A -> P A P^T)"
    bound = "csq-counting"
    params = (
        Param("d", "int", 32, "feature dimension", low=2),
        Param("k", "int", 4, "frequency of F_k", low=2, multiple_of=2),
        Param("n", "int", 6, "nodes of the G(n, p) graphs (self-loops added)", low=1, high=MAX_NODES, aliases=("nodes",)),
        Param("members", "int", 64, "random frames V checked numerically", low=2, high=1024),
        Param("p", "float", 0.5, "edge probability", low=0.0, high=1.0),
        Param("mc", "bool", False, "Monte Carlo over (X, A) instead of the exact arc-cosine Gram", negation="exact"),
        Param("samples", "int", 20000, "Monte-Carlo samples with --mc", low=100),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("seed", "int", 0, "seed of the frames and samples", low=0),
    )

    def estimate(self, d: int, k: int, n: int, members: int, mc: bool, samples: int, **_: Any) -> Any:
        """The realization check (256 graphs: features ``[256, n, d]``, 16 networks of width 2k), the Gram
        matrix (``members² (2k)²`` float64 entries exact, or ``samples × n × d`` inputs with ``mc``)."""
        from ..resources import array_estimate

        lower = "lower --d, --members, --k or --samples"
        real = array_estimate(f"the gnn-features certificate at d = {d} (realization check on 256 graphs)",
                              256, n + 2, d, copies=4, flops_per_item=16 * 4 * k, lower=lower)
        gram = array_estimate(f"the gnn-features Gram matrix of {members} members at k = {k}",
                              members, members, 2 * k, 2 * k, copies=3, flops_per_item=20, lower=lower)
        if mc:
            gram = gram.peak(array_estimate(f"the Monte-Carlo gnn-features Gram matrix on {samples} samples",
                                            samples, n, d, copies=3, flops_per_item=2 * members * 2 * k, lower=lower))
        return real.peak(gram)

    def _certify(self, d: int, k: int, n: int, members: int, p: float, mc: bool, samples: int, tau: float,
                 seed: int) -> Certificate:
        """Exact (arc-cosine kernel) or Monte-Carlo (``mc=True``) certificate; bound for the whole class."""
        d, k, nodes = _check_d(d), ar.check_even_k(k), check_nodes(n)
        members = check_int(members, "members", min_value=2, max_value=1024)
        tau = check_tau(tau)
        rng = as_generator(seed)
        frames = ar.random_orthonormal_frame(d, rng, count=members)
        measure = overlap_measure(nodes, p, seed=rng)
        realization = _realization_error(frames, k, nodes, p, d, rng)
        summary = _sampled_gram(frames, k, measure, mc, nodes, p, samples, rng)
        gamma, gamma_se, gamma_upper = _offdiag_gamma(summary)
        gamma_used = gamma if summary.method == "exact" else min(1.0, gamma_upper)
        sampled = csq_pairwise_bound(members, gamma_used, tau)
        packing = class_bound(d, k, measure, tau)
        used = choose_bound(sampled, packing.bound)
        method, methods = _methods(mc, measure, used)
        norm_sq = exact_norm_sq(k, measure) if not mc else float(summary.norms.min() ** 2)
        F2 = ar.norm_sq(k)
        C, how = gamma_constant(k, measure)
        extra = {
            "members_checked": members, "bound_used": used, "methods": methods,
            "packing": {**packing.summary(), "gamma_constant": C, "gamma_constant_from": how,
                        "pair_tail": "P(||V^T U||_op > s) <= 2(1 - s^2/2)^((d-2)/2)",
                        "d_for_one_query": dimension_for_queries(k, measure, tau)},
            "sampled": {"m": members, "gamma": gamma, "gamma_stderr": gamma_se, "gamma_used": gamma_used,
                        "queries": sampled.queries, "log10_queries": sampled.log10_queries},
            "norm_sq_raw": norm_sq, "F_k_norm_sq": F2, "frobenius_sq_A_hat": measure.frob_sq,
            "scale": 1 / math.sqrt(norm_sq), "self_loops": True, "graph_measure": measure.method,
            "graphs": measure.graphs, **_overlap_checks(frames, summary, k, measure, d, seed),
            "tolerance_threshold": math.sqrt(packing.gamma if used == "packing" else gamma_used),
            "mc_samples": int(samples) if mc else 0,
        }
        chosen = packing.bound if used == "packing" else sampled
        return Certificate(
            family=self.name, params={"d": d, "k": k, "n": nodes, "members": members, "p": p, "mc": bool(mc),
                                      "samples": samples, "tau": tau, "seed": seed},
            method=method, members=packing.m if used == "packing" else members, realization_error=realization,
            max_offdiag_corr=packing.gamma if used == "packing" else gamma,
            max_offdiag_corr_stderr=0.0 if used == "packing" else gamma_se,
            min_norm=math.sqrt(norm_sq / (F2 * measure.frob_sq)), lower_bound=chosen, extra=extra)

    def contract_case(self, seed: int = 0) -> ContractCase:
        """Four random frames in d = 6, k = 4, on G(4, 1/2) + I (exact measure), 24 samples."""
        d, k, nodes, members, batch = 6, 4, 4, 4, 24
        cert = self.certificate(d=d, k=k, n=nodes, members=members, tau=0.9, seed=seed)
        frames = ar.random_orthonormal_frame(d, as_generator(seed), count=members)  # the certificate's frames
        raw, se = raw_gram(frames, k, overlap_measure(nodes, 0.5))
        A_hat, X = ErdosRenyi(nodes, 0.5, features=d, self_loops=True).sample_numpy(batch, seed)
        net = _network(frames, k)

        def target(inputs):
            return np.stack([feature_target(inputs[0], inputs[1], V, k) for V in frames])

        def network(inputs):
            with torch.no_grad():
                return net(torch.as_tensor(inputs[0]), torch.as_tensor(inputs[1])).numpy()

        return ContractCase(members=[f"V_{i} (seed {seed}, d={d})" for i in range(members)],
                            group=PermutationGroup.symmetric(nodes), input_actions=("rows", "graph"),
                            inputs=(X, A_hat), target=target, network=network,
                            gram=qgram.exact_gram(raw, stderr=se, method="exact"), certificate=cert, atol=1e-10)

    def report_section(self, quick: bool = True) -> Section:
        """Figure data: correlation vs overlap (slope k, Hermite bound), largest correlation and bounds vs d."""
        from ._gnn_features_report import report_section

        return report_section(self, quick)


def _realization_error(frames: np.ndarray, k: int, nodes: int, p: float, d: int, rng) -> float:
    """max |GNN with weights (W, a) − Σ_v F_k(Vᵀ(ÂX)_v)| over 256 samples and up to 16 members (float64)."""
    A_hat, X = ErdosRenyi(nodes, p, features=d, self_loops=True).sample_numpy(256, rng)
    some = frames[: min(frames.shape[0], 16)]
    with torch.no_grad():
        out = _network(some, k)(torch.as_tensor(X), torch.as_tensor(A_hat)).numpy()
    target = np.stack([feature_target(X, A_hat, V, k) for V in some])
    return float(np.max(np.abs(out - target)))


# ---------------------------------------------------------------------------- learning task
@lru_cache(maxsize=256)
def whole_class_bound(d: int, k: int, nodes: int, tau: float, p: float = 0.5, members: int = 32) -> LowerBound:
    """The larger of the whole-class packing bound and the bound of ``members`` sampled frames (seed 0).

    Cached: the learning tasks call it once per chunk. Same selection as the certificate.
    """
    measure = overlap_measure(nodes, p, seed=0)
    frames = ar.random_orthonormal_frame(d, 0, count=members)
    summary = _sampled_gram(frames, k, measure, False, nodes, p, 0, 0)
    gamma = summary.max_offdiag_corr if summary.method == "exact" else min(1.0, _offdiag_gamma(summary)[2])
    sampled = csq_pairwise_bound(members, gamma, tau)
    packing = class_bound_gnp(d, k, nodes, p, tau).bound
    return packing if choose_bound(sampled, packing) == "packing" else sampled


@dataclass
class FeatureTask:
    """Learning task: ``f_V`` on ``(X, Â)``, ``X ~ N(0, 1)^{n×d}``, ``Â = G(n, 1/2) + I``.

    ``role="hard"``: frequency ``k`` (default 6); ``role="control"``: the ``k = 2`` member (it has
    degree-2 Hermite components, so correlation queries see it). Targets are scaled by the
    exact norm (unit second moment). The model is :class:`~symhard.models.gnn.OneHiddenLayerGNN`.
    Inputs are drawn by :class:`~symhard.queries.distributions.ErdosRenyi` (features and
    self-loops) and returned as ``(X[m, n, d], Â[m, n, n])``; the group is ``S_n`` on the nodes.
    ``lower_bound(tau)`` is the bound of the hard class (frequency ``k_hard``) at this ``d``.
    """

    d: int
    role: str
    k: int
    nodes: int
    frame: np.ndarray
    k_hard: int | None = None
    family: str = "gnn-features"
    param_name: str = "d"
    param_value: int = field(init=False)
    hidden_units: int = field(init=False)
    input_actions: tuple[str, ...] = ("rows", "graph")

    def __post_init__(self) -> None:
        self.param_value = self.d
        self.hidden_units = 2 * self.k
        self.k_hard = self.k if self.k_hard is None else self.k_hard

    @cached_property
    def group(self) -> PermutationGroup:
        return PermutationGroup.symmetric(self.nodes)

    @cached_property
    def _weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        scale = 1.0 / math.sqrt(exact_norm_sq(self.k, overlap_measure(self.nodes, 0.5)))
        W, a = feature_weights(self.frame, self.k)
        return torch.as_tensor(W * scale), torch.as_tensor(a)

    def sample_inputs(self, m: int, generator: Any) -> tuple[torch.Tensor, torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        dist = ErdosRenyi(self.nodes, 0.5, features=self.d, self_loops=True)
        A_hat, X = dist.sample(m, generator, dtype="float32")
        return X, A_hat

    def target(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        W, a = self._weights
        return one_hidden_layer_gnn(X.to(torch.float64), A.to(torch.float64), W, a).to(X.dtype)

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> OneHiddenLayerGNN:
        return OneHiddenLayerGNN(ensemble, self.d, width, activation="relu", generator=generator)

    def lower_bound(self, tau: float) -> LowerBound:
        return whole_class_bound(self.d, self.k_hard, self.nodes, check_tau(tau))


def feature_task(param_value: int, role: str, seed: int, *, k: int = 6, n: int = 4) -> FeatureTask:
    """Task factory: ``d = param_value``; ``seed`` picks the frame ``V``; control uses ``k = 2``."""
    d = _check_d(param_value)
    check_role(role)
    k = ar.check_even_k(k)
    nodes = check_int(n, "n", min_value=1, max_value=MAX_ENUMERATED_NODES)
    frame = ar.random_orthonormal_frame(d, as_generator(seed))
    return FeatureTask(d=d, role=role, k=k if role == "hard" else 2, nodes=nodes, frame=frame, k_hard=k)


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
