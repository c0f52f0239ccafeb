r"""GNN hardness in the number of nodes: parities of the degree histogram (SQ, no features).

The class
---------
Inputs are Erdős–Rényi graphs ``A ~ G(n, 1/2)`` (symmetric 0/1, zero diagonal), without node
features. The *degree histogram* is :math:`h(A)_i = \#\{v : \deg v = i\}` (``i = 0..n-1``), and
for a set of degrees ``S`` the target is :math:`f_S(A) = (-1)^{\sum_{i \in S} h_i(A)}`. The hard
class is :math:`\{f_S : \emptyset \ne S \subseteq W\}` for a *window* ``W`` of ``w`` central
degrees: :math:`m = 2^w - 1` members, all ``±1``-valued (:math:`E f_S^2 = 1`, so ``min_norm = 1``)
and invariant under node permutations.

Each :math:`f_S` is a two-layer GNN (:func:`degree_parity_network`, a
:class:`~symhard.models.gnn.DenseGNN` with explicit weights): message passing on all-ones
features gives :math:`\deg v`; a node MLP gives its one-hot vector by the triangle
:math:`1[t = j] = \mathrm{ReLU}(t-j+1) - 2\,\mathrm{ReLU}(t-j) + \mathrm{ReLU}(t-j-1)` (``3n`` units);
sum readout gives ``h``; the head computes :math:`c_S = \sum_{i \in S} h_i` and the sawtooth
:math:`(-1)^{c} = 1 - 2 \sum_{j=0}^{n-1} (-1)^j [\mathrm{ReLU}(c-j) - \mathrm{ReLU}(c-j-1)]`
(``n + 1`` units). All values are small integers, so the network is exact in floating point; the
certificate checks it on every graph for ``n ≤ 6`` and on sampled graphs beyond.

Degenerate parities and the window
----------------------------------
:math:`\sum_i h_i = n` and the handshake lemma (:math:`\sum_{i \text{ odd}} h_i` is even) make the
parities of ``ALL``, ``ODD``, ``EVEN`` constant. They are the *only* constant ones: the parity
vectors ``h mod 2`` affinely span dimension exactly ``n - 2`` (exact enumeration for ``n ≤ 7``,
:func:`constant_parities`; for larger ``n``, :func:`parity_span_dimension` exhibits real graphs
spanning ``n - 2``, which proves it for that ``n``). ``W`` is the run of ``w`` consecutive degrees
centred at ``(n-1)/2`` (:func:`central_window`; windows of growing size are nested); it excludes
degrees ``0`` and ``n-1`` and holds no degenerate set: ``w ≤ n - 2`` for even ``n``, ``w ≤ n - 3``
for odd ``n`` (:func:`max_window`). A degenerate user ``S`` raises
:class:`~symhard.errors.DegenerateMemberError`.

The whole-class bound (spectral counting lemma)
-----------------------------------------------
Let :math:`c \in \{0,1\}^W`, :math:`c_i = h_i \bmod 2`, be the window parity code of a random
graph and :math:`p_v = P(c = v)`. Since :math:`f_S = (-1)^{\langle S, c\rangle}` (``S`` as a 0/1
vector on ``W``), :math:`f_S f_T = f_{S \Delta T}` and

.. math:: E[f_S f_T] = b(S \Delta T), \qquad b(U) = E(-1)^{\langle U, c\rangle} = \sum_v p_v (-1)^{\langle U, v\rangle}.

*Spectrum.* The full :math:`2^w \times 2^w` matrix :math:`M_{ST} = b(S \oplus T)` is a convolution
on :math:`(\mathbb{Z}_2)^w`: with the Sylvester–Hadamard matrix :math:`H_{Sv} = (-1)^{\langle S, v\rangle}`,
:math:`(H\,\mathrm{diag}(p)\,H)_{ST} = \sum_v p_v (-1)^{\langle S \oplus T, v\rangle} = M_{ST}`, and
:math:`H/2^{w/2}` is orthogonal, so the eigenvalues of ``M`` are the Walsh transform of ``b``,
:math:`2^w p_v` for :math:`v \in \{0,1\}^w`. The class's normalized Gram matrix ``C`` (rows and
columns of the nonempty ``S``) is a principal submatrix of ``M``; by Cauchy interlacing

.. math:: \lambda_{\max}(C) \le \lambda_{\max}(M) = 2^w p_{\max}, \qquad p_{\max} = \max_v p_v.

*Bound.* The spectral counting lemma (:func:`~symhard.queries.bounds.csq_spectral_bound`: a query
of tolerance τ rules out fewer than :math:`\lambda_{\max}/\tau^2` members) gives, for every τ and
with no :math:`\tau^2 > \gamma` condition,

.. math:: q \ge \frac{(m-1)\,\tau^2}{2^w\,p_{\max}}, \qquad m = 2^w - 1,

for any CSQ learner that identifies the member (learns every member to squared error below
:math:`(1-\gamma)/2`, :math:`\gamma = \max_{U \ne \emptyset} |b(U)|`); for ±1 targets an SQ query is
a CSQ query plus a target-independent term, so SQ learners obey it too. Since
:math:`p_{\max} \ge 2^{-w}` the bound is at most :math:`(m-1)\tau^2`, reached when the code is
uniform; the paper's :math:`\tau^2 2^{n^{\Omega(1)}}` is this with :math:`w = n^{\Omega(1)}`.

*Certified p_max.* For ``n ≤ 7`` every graph is enumerated and :math:`p_{\max}` is exact. Beyond,
``N`` sampled graphs give counts :math:`k_v`; the one-sided Clopper–Pearson upper limit
:math:`U_v = \mathrm{Beta}^{-1}(1 - \delta/K;\, k_v + 1, N - k_v)` satisfies
:math:`P(U_v < p_v) \le \delta/K`, so with probability at least :math:`1 - \delta` (union bound over
the ``K`` codes examined) :math:`p_{\max} \le \max_v U_v` =: ``p_max_upper``, and the bound holds
with :math:`p_{\max}` replaced by it (δ = 0.05 by default; the certificate states ``confidence``).

*Default window.* ``window=None`` takes, among the central windows whose largest correlation γ is
at most ``max_gamma`` (1/2 by default), the one with the largest certified bound
(:func:`~symhard.families._degree_parity_bound.window_spectrum`). Uncapped, the largest window
would always win for exact ``p`` (nested windows: each code of the smaller one is a union of codes
of the larger, so :math:`p_{\max}` can only drop as ``w`` grows, and :math:`(2^w-2)/2^w` grows), but it
takes in the nearly constant parities of degrees near 0 and n − 1, γ → 1, and the bound would then
speak only of learners of squared error below :math:`(1-\gamma)/2 \to 0`; the cap keeps that
threshold at 1/4 or more. With Monte Carlo every central window of up to ``MAX_WINDOW_BITS = 20``
degrees is scored on the same graphs, with the Bonferroni correction over the codes of all of
them, so the choice after looking at the sample keeps the confidence.

*Cross-check.* The γ form of the counting lemma,
:math:`(m-1)(\tau^2-\gamma)/(1-\gamma)` (vacuous when :math:`\tau^2 \le \gamma`), is reported in
``extra["bound_counting"]``, with γ exact for ``n ≤ 7`` and :math:`\max_U(|\hat b_U| + 3\,\mathrm{se}_U)`
(:math:`\mathrm{se}_U = \sqrt{(1-\hat b_U^2)/N}`) beyond.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from .._random import as_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup
from ..models.gnn import DenseGNN, constant_features
from ..parameters import Param
from ..queries.distributions import ErdosRenyi, all_graphs, erdos_renyi_adjacency
from ._degree_histogram import (
    MAX_EXACT_N, MAX_EXHAUSTIVE_REALIZATION_N, MAX_N, MAX_WINDOW_BITS, central_window, check_n, check_subset,
    constant_parities, count_moments, degenerate_reason, degree_histogram, enumerate_degrees,
    exact_parity_biases, identity_degenerate_sets, identity_reason, max_window, parity_code_counts,
    parity_span_dimension, parity_target, parse_subset, window_biases, window_code_counts,
)
from ._degree_parity_bound import (
    DEFAULT_CONFIDENCE, DEFAULT_MAX_GAMMA, WindowSpectrum, clopper_pearson_upper, p_max_upper_bound,
    spectral_identity_matrix, window_spectrum,
)
from ._degree_parity_report import degree_parity_section
from .base import Certificate, ContractCase, Family, LowerBound, Section, TaskSpec, check_role

__all__ = [
    "MAX_EXACT_N", "MAX_EXHAUSTIVE_REALIZATION_N", "max_window", "central_window", "identity_degenerate_sets",
    "degenerate_reason", "check_subset", "degree_histogram", "parity_target", "enumerate_degrees",
    "parity_code_counts", "exact_parity_biases", "constant_parities", "window_code_counts", "window_biases",
    "parity_span_dimension", "count_moments", "WindowSpectrum", "window_spectrum", "clopper_pearson_upper",
    "p_max_upper_bound", "spectral_identity_matrix", "degree_parity_weights", "degree_parity_network",
    "realization_error", "GNNDegreeParity", "DegreeParityTask", "all_graphs",
]

#: Default number of Monte-Carlo graphs (n > 7) of the certificate and of the task's bound.
DEFAULT_SAMPLES = 100_000
#: Members whose network is evaluated against the target by the certificate.
REALIZATION_MEMBERS = 16
#: Activation entries per chunk when the network is evaluated on many graphs.
_CHUNK_ENTRIES = 1 << 22


# --------------------------------------------------------------------------------- weights
def degree_parity_weights(n: int, subsets: Sequence[Sequence[int]]) -> dict[str, list]:
    """Weights of the exact two-layer GNN for each ``S`` in ``subsets`` (ensemble axis ``M``).

    Returns ``{"mp": [(W_self, W_nbr, b)], "node_mlp": [(W1, b1), (W2, b2)], "head": [(W3, b3),
    (W4, b4)]}`` as float64 tensors with leading axis ``M = len(subsets)``:

    * message passing ``[M, 1, 1]``: ``W_self = 0``, ``W_nbr = 1``, ``b = 0`` (degree);
    * node MLP ``1 -> 3n -> n``: unit ``(j, s)``, ``s ∈ {-1, 0, 1}``, is ``ReLU(t - j - s)``; the
      one-hot output is ``1·u_{j,-1} - 2·u_{j,0} + 1·u_{j,1}``;
    * head ``n -> n+1 -> 1``: unit ``t`` is ``ReLU(Σ_{i∈S} h_i - t)``, ``t = 0..n``; output
      coefficients ``-2(-1)^t([t ≤ n-1] + [t ≥ 1])`` and bias ``1``.
    """
    n = check_n(n)
    subsets = [parse_subset(n, S) for S in subsets]
    M = len(subsets)
    if M == 0:
        raise InvalidParameterError("subsets must hold at least one set of degrees.")
    f64 = torch.float64
    mp = (torch.zeros(M, 1, 1, dtype=f64), torch.ones(M, 1, 1, dtype=f64), torch.zeros(M, 1, dtype=f64))
    j = torch.arange(n, dtype=f64)
    shifts = torch.tensor([-1.0, 0.0, 1.0], dtype=f64)
    b1 = -(j[:, None] + shifts[None, :]).reshape(-1)  # unit (j, s): t - j - s
    W1 = torch.ones(M, 1, 3 * n, dtype=f64)
    W2 = torch.zeros(3 * n, n, dtype=f64)
    idx = torch.arange(n)
    W2[3 * idx, idx] = 1.0
    W2[3 * idx + 1, idx] = -2.0
    W2[3 * idx + 2, idx] = 1.0
    node_mlp = [(W1, b1.expand(M, -1).clone()), (W2.expand(M, -1, -1).clone(), torch.zeros(M, n, dtype=f64))]
    W3 = torch.zeros(M, n, n + 1, dtype=f64)
    for m, S in enumerate(subsets):  # loop over members to set their index sets (not over samples)
        W3[m, list(S), :] = 1.0
    t = torch.arange(n + 1, dtype=f64)
    b3 = -t.expand(M, -1).clone()
    coef = -2.0 * (-1.0) ** t * ((t <= n - 1).to(f64) + (t >= 1).to(f64))
    head = [(W3, b3), (coef[None, :, None].expand(M, -1, -1).clone(), torch.ones(M, 1, dtype=f64))]
    return {"mp": [mp], "node_mlp": node_mlp, "head": head}


def degree_parity_network(n: int, subsets: Sequence[Sequence[int]]) -> DenseGNN:
    """The :class:`~symhard.models.gnn.DenseGNN` (float64, ``M = len(subsets)``) computing each ``f_S``.

    Its input is ``(constant_features(A), A)``; its output ``[M, B]`` is ``f_S(A)`` exactly.
    """
    w = degree_parity_weights(n, subsets)
    return DenseGNN.from_weights(w["mp"], w["node_mlp"], w["head"], readout="sum", activation="relu")


def _network_values(net: DenseGNN, A_all: np.ndarray) -> np.ndarray:
    """``net(1, A)`` for every graph of ``A_all [B, n, n]``, in chunks: ``[M, B]`` float64."""
    out = []
    n = A_all.shape[-1]
    chunk = max(1, _CHUNK_ENTRIES // (net.ensemble * 4 * n * n))  # node-MLP activations [M, b, n, 3n]
    with torch.no_grad():
        for start in range(0, A_all.shape[0], chunk):
            A = torch.as_tensor(A_all[start:start + chunk], dtype=torch.float64)
            out.append(net(constant_features(A), A).numpy())
    return np.concatenate(out, axis=1)


def realization_error(n: int, subsets: Sequence[Sequence[int]], *, samples: int = 2000, seed=0) -> tuple[float, int, str]:
    """``max |network - f_S|`` over the graphs tried and all ``S`` in ``subsets``.

    Every graph for ``n ≤ 6`` (``"exhaustive"``); otherwise ``samples`` graphs, half ``G(n, 1/2)``
    and half ``G(n, p)`` with ``p`` uniform in ``[1/(2n), 1 - 1/(2n)]`` so that extreme degrees
    occur (``"sampled"``). Returns ``(error, graphs, mode)``.
    """
    n = check_n(n)
    net = degree_parity_network(n, subsets)
    subsets = [parse_subset(n, S) for S in subsets]
    if n <= MAX_EXHAUSTIVE_REALIZATION_N:
        A_all, mode = all_graphs(n), "exhaustive"
    else:
        samples = check_int(samples, "samples", min_value=2)
        rng = as_generator(seed)
        half = samples // 2
        p = np.concatenate([np.full(half, 0.5), rng.uniform(0.5 / n, 1 - 0.5 / n, samples - half)])
        A_all, mode = erdos_renyi_adjacency(samples, n, p, rng), "sampled"
    out = _network_values(net, A_all)
    target = np.stack([parity_target(A_all, S) for S in subsets])
    return float(np.max(np.abs(out - target))), int(A_all.shape[0]), mode


# ------------------------------------------------------------------------------ the family
def _window_subsets(W: tuple[int, ...], count: int) -> list[tuple[int, ...]]:
    """The first ``count`` nonempty subsets of ``W`` in bitmask order."""
    return [tuple(W[t] for t in range(len(W)) if U >> t & 1) for U in range(1, min(2 ** len(W), count + 1))]


def _realization_subsets(W: tuple[int, ...], count: int) -> list[tuple[int, ...]]:
    """``count`` members to evaluate: every singleton, the whole window, then bitmask order."""
    chosen = [(d,) for d in W][:count]
    for S in [tuple(W)] + _window_subsets(W, count + len(W) + 1):
        if len(chosen) >= count:
            break
        if S not in chosen:
            chosen.append(S)
    return chosen


def _class_gram_lambda(spec: WindowSpectrum) -> dict[str, Any]:
    """λ_max of the class's normalized Gram matrix from the (exact or estimated) biases, for w ≤ 10."""
    from ..queries.gram import exact_gram

    if len(spec.window) > 10 or len(spec.window) < 2:
        return {"gram_lambda_max": None}
    bias, se = spec.biases()
    raw = spectral_identity_matrix(bias)[1:, 1:]
    err = spectral_identity_matrix(se)[1:, 1:]
    gram = exact_gram(raw, stderr=err, method=spec.method, n_samples=spec.samples or None)
    return {"gram_lambda_max": gram.lambda_max, "gram_method": spec.method}


def _bound_extra(spec: WindowSpectrum, tau: float, window_given: bool) -> dict[str, Any]:
    gamma, gamma_se, gamma_ub = spec.gamma()
    counting = spec.counting_lower_bound(tau)
    w = len(spec.window)
    choice = "given" if window_given else (
        f"maximizes the certified bound over the central windows of {min(spec.candidates)}.."
        f"{max(spec.candidates)} degrees with gamma <= {spec.max_gamma:g}")
    return {
        "window_degrees": list(spec.window), "window_choice": choice,
        "max_abs_bias": gamma, "max_abs_bias_stderr": gamma_se, "max_abs_bias_upper": gamma_ub,
        "p_max": spec.p_max, "p_max_upper": spec.p_max_upper, "p_uniform": 2.0**-w, "confidence": spec.confidence,
        "codes_tested": spec.codes_tested, "lambda_max_bound": spec.lambda_bound, **_class_gram_lambda(spec),
        "bound_counting": {"queries": counting.queries, "log10_queries": counting.log10_queries,
                           "gamma": counting.inputs["gamma"], "formula": counting.formula},
        "samples": spec.samples,
        "graphs_enumerated": 2 ** (spec.n * (spec.n - 1) // 2) if spec.method == "exact" else 0,
    }


class GNNDegreeParity(Family):
    """Parities of degree-histogram counts on G(n, 1/2) graphs, written as two-layer GNNs."""

    name = "gnn-degree-parity"
    summary = ("f_S(A) = (-1)^{sum_{i in S} h_i(A)}, h = degree histogram of A ~ G(n,1/2), "
               "S a nonempty subset of a central window W of degrees; each f_S is an exact 2-layer GNN")
    theorem = ("CSQ (and SQ, +-1 targets): >= (m - 1) tau^2 / (2^w p_max) queries of tolerance tau for every tau, "
               "m = 2^w - 1, p_max = max_v P(window parity code = v) (exact n <= 7, certified upper bound beyond); "
               "paper: tau^2 2^{n^Omega(1)}")
    symmetry = "S_n permuting the n nodes of the graph (A -> P A P^T)"
    bound = "csq-spectral"
    params = (
        Param("n", "int", 8, "number of nodes", low=4, high=MAX_N),
        Param("window", "int", None, "number of central degrees in W (default: the best certified bound)", low=1,
              high=MAX_WINDOW_BITS, optional=True),
        Param("subset", "ints", None, "check the network of one member f_S, e.g. 3,4", optional=True),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("samples", "int", DEFAULT_SAMPLES, "Monte-Carlo graphs when n > 7", low=100),
        Param("seed", "int", 0, "seed of the Monte-Carlo and realization samples", low=0),
        Param("realization_samples", "int", 2000, "sampled graphs for the realization check when n > 6", low=2),
        Param("confidence", "float", DEFAULT_CONFIDENCE, "confidence of the Monte-Carlo bound on p_max (n > 7)",
              low=0.0, high=1.0, low_open=True, high_open=True),
        Param("max_gamma", "float", DEFAULT_MAX_GAMMA, "default window: the best bound among windows with "
              "largest correlation <= max_gamma", low=0.0, high=1.0),
    )

    def estimate(self, n: int, samples: int, realization_samples: int, **_: Any) -> Any:
        """The window spectrum (``samples`` graphs of n nodes, drawn in chunks: about ``100 n² + 2·10⁴``
        operations each, measured) and the realization check (``realization_samples`` adjacency matrices ``[n, n]`` float64, about
        ``10⁻⁴ n`` s each, measured)."""
        from ..resources import FLOPS, Estimate, array_estimate

        lower = "lower n, --samples or --realization-samples"
        spectrum = Estimate(f"the degree-histogram spectrum of {samples} graphs on {n} nodes", bytes=8.0 * 4096 * n * n,
                            seconds=samples * (100.0 * n * n + 2e4) / FLOPS, lower=lower)
        real = array_estimate(f"the realization check on {realization_samples} graphs of {n} nodes",
                              realization_samples, n, n, copies=2, flops_per_item=2e5 / n, lower=lower)
        return spectrum.peak(real)

    def _certify(self, n: int, window: int | None, subset: Any, tau: float, samples: int, seed: int,
                 realization_samples: int, confidence: float, max_gamma: float) -> Certificate:
        """Certificate of the window class ``{f_S : ∅ ≠ S ⊆ W}`` (``members = 2^w − 1``).

        The realization is checked on the first :data:`REALIZATION_MEMBERS` members, or on the one
        member ``f_S`` given by ``subset`` (``extra["subset_bias"]`` is then its bias ``E f_S``).
        """
        n = check_n(n)
        tau = check_tau(tau)
        spec = window_spectrum(n, window, samples=samples, seed=seed, confidence=confidence, max_gamma=max_gamma)
        W = spec.window
        gamma, gamma_se, _ = spec.gamma()
        extra = _bound_extra(spec, tau, window is not None)
        dim = (n - 2) if n <= MAX_EXACT_N and len(constant_parities(n)) == 3 else parity_span_dimension(n, seed=seed)
        extra.update({"parity_affine_dim": dim, "parity_affine_dim_expected": n - 2,
                      "constant_parities": {k: list(v[0]) for k, v in identity_degenerate_sets(n).items()}})
        checked = _realization_subsets(W, REALIZATION_MEMBERS)
        if subset is not None:
            S = check_subset(n, subset)
            checked = [S]
            extra.update(self._subset_extra(n, S, W, samples, seed))
        err, graphs, mode = realization_error(n, checked, samples=realization_samples, seed=seed)
        extra.update({"members_checked": len(checked), "realization_graphs": graphs, "realization_mode": mode})
        params = {"n": n, "window": len(W), "subset": None if subset is None else list(checked[0]), "tau": tau,
                  "samples": samples, "seed": seed, "realization_samples": realization_samples,
                  "confidence": confidence, "max_gamma": max_gamma}
        return Certificate(family=self.name, params=params, method=spec.method, members=spec.members,
                           realization_error=err, max_offdiag_corr=gamma, max_offdiag_corr_stderr=gamma_se,
                           min_norm=1.0, lower_bound=spec.lower_bound(tau), extra=extra)

    @staticmethod
    def _subset_extra(n: int, S: tuple[int, ...], W: tuple[int, ...], samples: int, seed: int) -> dict[str, Any]:
        if n <= MAX_EXACT_N:
            b_S, se_S = float(exact_parity_biases(n)[sum(1 << i for i in S)]), 0.0
        else:
            bS, seS, _ = window_biases(n, S, method="mc", samples=samples, seed=seed)
            b_S, se_S = float(bS[-1]), float(seS[-1])
        return {"subset_bias": b_S, "subset_bias_stderr": se_S, "subset_in_window": set(S) <= set(W)}

    def report_section(self, quick: bool = True) -> Section:
        """Largest bias and certified bound against n (figure data), the bias table and a certificate."""
        return degree_parity_section(self, quick)

    def contract_case(self, seed: int = 0) -> ContractCase:
        """Every graph on 6 nodes (exact law), the 7 members of the 3-degree window (1, 2, 3)."""
        from ..queries.gram import finite_gram

        n, w = 6, 3
        subsets = _window_subsets(central_window(n, w), 2**w)
        A, probs = ErdosRenyi(n, 0.5).graph_support()
        A = A.astype(np.float64)
        X = np.ones((A.shape[0], n, 1))
        net = degree_parity_network(n, subsets)

        def target(inputs):
            return np.stack([parity_target(inputs[1], S) for S in subsets])

        def network(inputs):
            return _network_values(net, np.asarray(inputs[1]))

        return ContractCase(
            members=[f"f_{set(S)}" for S in subsets], group=PermutationGroup.symmetric(n),
            input_actions=("rows", "graph"), inputs=(X, A), target=target, network=network,
            gram=finite_gram(target((X, A)), probs), certificate=self.certificate(n=n, window=w, seed=seed),
        )


# ---------------------------------------------------------------------------- learning task
@dataclass
class DegreeParityTask:
    """Learning task: a degree parity (``"hard"``) or the standardized count (``"control"``).

    Inputs ``(X, A)``: ``X = 1 [m, n, 1]``, ``A ~ G(n, 1/2) [m, n, n]`` (float32, drawn by
    :class:`~symhard.queries.distributions.ErdosRenyi` with the given torch.Generator; they depend
    only on ``n`` and the generator). The group ``S_n`` acts on ``X`` by rows and on ``A`` as a
    graph. Hard target ``f_S`` (``±1``, unit second moment exactly); control target
    :math:`(c_S - E c_S)/\\mathrm{sd}(c_S)` with the exact moments of :func:`count_moments`.
    The model is a :class:`~symhard.models.gnn.DenseGNN`: one message-passing layer of the given
    width, a two-layer node MLP, mean readout, and a one-hidden-layer head. ``S`` is drawn from
    the ``choices`` nonempty subsets of ``window`` with at most ``max_subset`` degrees.
    """

    n: int
    role: str
    subset: tuple[int, ...]
    window: tuple[int, ...] = ()
    max_subset: int = 2
    choices: int = 1
    family: str = "gnn-degree-parity"
    param_name: str = "n"
    input_actions: tuple[str, ...] = ("rows", "graph")

    def __post_init__(self) -> None:
        if not self.window:
            self.window = central_window(self.n, min(4, max_window(self.n)))

    @property
    def param_value(self) -> int:
        return self.n

    @property
    def hidden_units(self) -> int:
        return 3 * self.n + self.n + 1

    @functools.cached_property
    def group(self) -> PermutationGroup:
        """``S_n`` on the nodes (built on first use)."""
        return PermutationGroup.symmetric(self.n)

    @functools.cached_property
    def _moments(self) -> tuple[float, float]:
        mean, var = count_moments(self.n, self.subset)
        return mean, math.sqrt(var)

    def sample_inputs(self, m: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        (A,) = ErdosRenyi(self.n, 0.5).sample(m, generator, dtype="float32")
        return constant_features(A), A

    def target(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        if self.role == "hard":
            return parity_target(A, self.subset)
        c = degree_histogram(A)[..., list(self.subset)].sum(-1).to(A.dtype)
        mean, sd = self._moments
        return (c - mean) / sd

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> DenseGNN:
        return DenseGNN(ensemble, 1, mp_channels=(width,), node_channels=(width, width),
                        head_channels=(width,), readout="mean", activation="relu", generator=generator)

    def lower_bound(self, tau: float) -> LowerBound:
        """The certificate's spectral bound for the class the seed draws ``S`` from (``choices`` members).

        ``λ_max ≤ 2^w p_max`` holds for every principal submatrix of the window's matrix, so the
        certificate's certified ``p_max`` (same window, :data:`DEFAULT_SAMPLES` graphs, seed 0,
        cached) bounds this sub-class too; with ``max_subset ≥ |W|`` it is the certificate's bound.
        """
        spec = window_spectrum(self.n, len(self.window), samples=DEFAULT_SAMPLES, seed=0)
        lb = spec.lower_bound(tau, members=self.choices)
        if self.choices < spec.members:
            lb.formula += (f"; the task's class: the {self.choices} nonempty subsets of W with at most "
                           f"{self.max_subset} degrees")
        return lb


def degree_parity_task(param_value: int, role: str, seed: int, *, window: int | None = None,
                       max_subset: int = 2) -> DegreeParityTask:
    """Task factory: ``n = param_value``; ``seed`` picks ``S``, a nonempty subset of the central
    window (size ``min(4, max_window(n))`` by default) with at most ``max_subset`` degrees.

    A central window holds no degenerate set (see the module docstring), so every choice is a
    member of the class; the identities are checked all the same (no enumeration).
    """
    n = check_n(param_value)
    check_role(role)
    W = central_window(n, min(4, max_window(n)) if window is None else window)
    max_subset = check_int(max_subset, "max_subset", min_value=1)
    choices = [S for S in _window_subsets(W, 2 ** len(W)) if len(S) <= max_subset]
    choices = [S for S in choices if identity_reason(n, S) is None]
    S = choices[int(as_generator(seed).integers(len(choices)))]
    return DegreeParityTask(n=n, role=role, subset=S, window=W, max_subset=max_subset, choices=len(choices))


#: The ``gnn-degree-parity`` learning task: one degree parity f_S (hard) or its standardized count (control).
DEGREE_PARITY_TASK = TaskSpec(
    name="gnn-degree-parity",
    factory=degree_parity_task,
    param=Param("n", "int", None, "number of nodes", low=4, high=MAX_N),
    options=(
        Param("window", "int", None, "central degrees the subset S is drawn from (default min(4, max))", low=1,
              optional=True),
        Param("max_subset", "int", 2, "largest number of degrees in S", low=1),
    ),
    summary="parity of the degree-histogram counts of a G(n, 1/2) graph vs the standardized count",
)
GNNDegreeParity.task = DEGREE_PARITY_TASK
