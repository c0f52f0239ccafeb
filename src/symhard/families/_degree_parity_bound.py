r"""The whole-class bound of ``gnn-degree-parity``: the spectral counting lemma with a certified p_max.

(Private to :mod:`symhard.families.gnn_degree_parity`, whose module docstring has the proof.)

For a window ``W`` of ``w`` degrees let ``c ∈ {0,1}^w`` be the window parity code of a graph
``A ~ G(n, 1/2)`` and ``p_v = P(c = v)``. The class ``{f_S : ∅ ≠ S ⊆ W}`` has ``m = 2^w − 1``
members and normalized Gram matrix ``C[S, T] = b(S Δ T)``, a principal submatrix of the
``2^w × 2^w`` matrix ``H diag(p) H`` (``H`` the Sylvester–Hadamard matrix), whose eigenvalues are
``2^w p_v``. Hence ``λ_max(C) ≤ 2^w p_max`` and, by
:func:`~symhard.queries.bounds.csq_spectral_bound`, ``q ≥ (m − 1) τ² / (2^w p_max)`` for every τ.

* ``n ≤ 7``: ``p_max`` is exact (every graph enumerated).
* ``n > 7``: ``p_max`` is replaced by a certified upper confidence bound: the one-sided
  Clopper–Pearson upper limit of every code's probability at level ``δ/K`` (Bonferroni over the
  ``K`` codes examined), so that with probability at least ``1 − δ`` over the sampled graphs every
  limit holds and their maximum bounds ``p_max`` (:func:`p_max_upper_bound`).

The default window (:func:`window_spectrum` with ``window=None``) is the central window that
maximizes the certified bound among those whose largest correlation γ is at most ``max_gamma``
(1/2 by default: the bound then concerns learners of squared error below (1 − γ)/2 ≥ 1/4).
Without the cap the largest window always wins for exact ``p`` (for nested windows ``W' ⊆ W``,
``p_max(W) ≤ p_max(W')`` because each code of ``W'`` is a union of codes of ``W``, and
``(2^w − 2)/2^w`` grows with ``w``), but it takes in degrees near 0 and n − 1 whose parities are
almost constant (γ → 1). With Monte Carlo every central window of ``1..MAX_SEARCH_BITS`` degrees
is scored on the same graphs and the Bonferroni correction runs over the codes of all of them
(``K = Σ_w 2^w``), so the chosen window's bound holds at the stated confidence although the
window was chosen after looking at the sample.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError, check_float, check_int, check_tau
from ..queries.bounds import LowerBound, csq_pairwise_bound, csq_spectral_bound
from ._degree_histogram import (
    MAX_EXACT_N, MAX_WINDOW_BITS, biases_from_counts, central_window, check_n, max_window,
    sampled_window_code_counts, window_code_counts,
)

#: Default confidence 1 − δ of the Monte-Carlo upper bound on p_max.
DEFAULT_CONFIDENCE = 0.95
#: Largest window tried by the default-window search with Monte Carlo (2^20 codes).
MAX_SEARCH_BITS = MAX_WINDOW_BITS
#: Default cap on the class's largest correlation γ for the default window: the bound then speaks
#: of learners with squared error below (1 − γ)/2 ≥ 1/4.
DEFAULT_MAX_GAMMA = 0.5


def clopper_pearson_upper(k, N: int, alpha: float) -> np.ndarray:
    r"""One-sided Clopper–Pearson upper confidence limit for a binomial proportion.

    ``U(k) = Beta⁻¹(1 − α; k + 1, N − k)`` (``U = 1`` when ``k = N``): the ``p`` at which
    ``P(Bin(N, p) ≤ k) = α``. For ``K ~ Bin(N, p)`` and every ``p``, ``P(U(K) < p) ≤ α``.
    Shapes: ``k`` any shape (integers in ``0..N``) → the same shape.
    """
    from scipy.stats import beta

    k = np.asarray(k, dtype=np.float64)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    full = k >= N
    upper = beta.ppf(1.0 - alpha, k + 1.0, np.where(full, 1.0, N - k))
    return np.where(full, 1.0, upper)


def p_max_upper_bound(counts, confidence: float = DEFAULT_CONFIDENCE, tests: int | None = None) -> float:
    r"""Upper confidence bound on ``max_v p_v`` from multinomial counts ``counts[v]`` of ``N = Σ counts``.

    ``max_v U_v`` with ``U_v`` the :func:`clopper_pearson_upper` limit of code ``v`` at level
    ``α = (1 − confidence)/tests`` (Bonferroni; ``tests`` defaults to ``len(counts)`` and must
    count every code examined when several tables are searched). With probability at least
    ``confidence`` every ``U_v ≥ p_v`` simultaneously (union bound), hence ``max_v U_v ≥ p_max``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    confidence = check_float(confidence, "confidence", low=0.0, high=1.0, low_open=True, high_open=True)
    tests = counts.size if tests is None else check_int(tests, "tests", min_value=counts.size)
    N = int(counts.sum())
    return float(clopper_pearson_upper(counts, N, (1.0 - confidence) / tests).max())


@dataclass(frozen=True)
class WindowSpectrum:
    """The law of the window code and the spectral bound it certifies.

    Attributes
    ----------
    n, window : the graph size and the window's degrees (w = len(window))
    counts : int64 [2^w]  graphs per code (all graphs when ``method == "exact"``)
    method : "exact" or "mc"
    p_max, p_max_upper : the largest code probability (exact, or its estimate) and the certified
        upper bound (equal when exact)
    confidence : probability that p_max ≤ p_max_upper (1 when exact)
    codes_tested : K, the number of codes in the Bonferroni correction (0 when exact)
    candidates : window sizes scored by the default-window search (empty for a given window)
    max_gamma : the cap on γ of that search (``None`` for a given window)
    """

    n: int
    window: tuple[int, ...]
    counts: np.ndarray
    method: str
    p_max: float
    p_max_upper: float
    confidence: float
    codes_tested: int
    candidates: tuple[int, ...] = ()
    max_gamma: float | None = None

    @property
    def members(self) -> int:
        return 2 ** len(self.window) - 1

    @property
    def samples(self) -> int:
        return 0 if self.method == "exact" else int(self.counts.sum())

    @property
    def lambda_bound(self) -> float:
        """``2^w · p_max_upper ≥ λ_max`` of the class's normalized Gram matrix."""
        return 2 ** len(self.window) * self.p_max_upper

    def biases(self) -> tuple[np.ndarray, np.ndarray]:
        """``(b [2^w], stderr [2^w])``: b(U) = E f_U for every U ⊆ W (bitmask over window positions)."""
        return biases_from_counts(self.counts, self.method)

    def gamma(self) -> tuple[float, float, float]:
        """``(γ, se of that entry, γ_upper)``: max_{U≠∅} |b(U)|, and max(|b̂_U| + 3 se_U) (= γ when exact)."""
        bias, se = self.biases()
        if bias.size < 2:
            return 0.0, 0.0, 0.0
        k = 1 + int(np.argmax(np.abs(bias[1:])))
        return float(abs(bias[k])), float(se[k]), float(np.max(np.abs(bias[1:]) + 3 * se[1:]))

    def lower_bound(self, tau: float, members: int | None = None) -> LowerBound:
        """The spectral bound ``(m − 1)τ²/(2^w p_max_upper)`` for the class (or a sub-class of ``members``)."""
        tau = check_tau(tau)
        m = self.members if members is None else check_int(members, "members", min_value=1, max_value=self.members)
        gamma, _, gamma_ub = self.gamma()
        lb = csq_spectral_bound(m, self.lambda_bound, tau, gamma=min(1.0, gamma if self.method == "exact" else gamma_ub))
        lb.formula += (f"; lambda_max <= 2^w p_max (principal submatrix of H diag(P(c = v)) H), w={len(self.window)}, "
                       f"p_max {'=' if self.method == 'exact' else '<='} {self.p_max_upper:.6g}")
        if self.method == "mc":
            lb.condition += (f"; with probability >= {self.confidence:g} over the {self.samples} sampled graphs "
                             f"(Clopper-Pearson upper limits, Bonferroni over {self.codes_tested} codes); gamma in "
                             "the error threshold is the Monte-Carlo value max|b_U| + 3 se_U")
        return lb

    def counting_lower_bound(self, tau: float) -> LowerBound:
        """The γ form ``(m − 1)(τ² − γ)/(1 − γ)`` (cross-check; γ = max|b̂_U| + 3 se_U with Monte Carlo)."""
        gamma, _, gamma_ub = self.gamma()
        return csq_pairwise_bound(self.members, min(1.0, gamma if self.method == "exact" else gamma_ub), tau)


def _spectrum(n: int, window: tuple[int, ...], counts: np.ndarray, method: str, confidence: float,
              tests: int, candidates: tuple[int, ...] = (), max_gamma: float | None = None) -> WindowSpectrum:
    counts = np.asarray(counts, dtype=np.int64)
    counts.setflags(write=False)
    p_max = float(counts.max() / counts.sum())
    if method == "exact":
        return WindowSpectrum(n, window, counts, "exact", p_max, p_max, 1.0, 0, candidates, max_gamma)
    upper = p_max_upper_bound(counts, confidence, tests)
    return WindowSpectrum(n, window, counts, "mc", p_max, upper, confidence, tests, candidates, max_gamma)


def _score(spec: WindowSpectrum) -> float:
    """The certified bound divided by τ²: (2^w − 2)/(2^w p_max_upper)."""
    return (spec.members - 1) / spec.lambda_bound


def _gamma_value(spec: WindowSpectrum) -> float:
    """γ used for the condition: exact, or max|b̂_U| + 3 se_U with Monte Carlo."""
    gamma, _, gamma_ub = spec.gamma()
    return gamma if spec.method == "exact" else gamma_ub


@functools.lru_cache(maxsize=64)
def window_spectrum(n: int, window: int | None = None, *, samples: int = 100_000, seed: int = 0,
                    confidence: float = DEFAULT_CONFIDENCE, max_gamma: float = DEFAULT_MAX_GAMMA) -> WindowSpectrum:
    """The window-code law and certified ``p_max`` for the central window of ``window`` degrees.

    ``window=None`` searches the central windows of 1..``max_window(n)`` degrees (exact for
    ``n ≤ 7``; beyond, Monte Carlo on one sample of ``samples`` graphs, ``w ≤ MAX_SEARCH_BITS``,
    Bonferroni over the codes of all of them) and returns, among those whose γ (exact, or
    max|b̂_U| + 3 se_U) is at most ``max_gamma``, the one with the largest certified bound
    (ties: the larger window). Without the cap the largest windows win by taking in the nearly
    constant parities of extreme degrees (γ → 1), which leaves a bound only for learners of
    error below (1 − γ)/2 → 0. Cached (read-only arrays).
    """
    n = check_n(n)
    seed = check_int(seed, "seed", min_value=0)
    samples = check_int(samples, "samples", min_value=100)
    confidence = check_float(confidence, "confidence", low=0.0, high=1.0, low_open=True, high_open=True)
    max_gamma = check_float(max_gamma, "max_gamma", low=0.0, high=1.0)
    if window is not None:
        W = central_window(n, window)
        counts, method = window_code_counts(n, W, samples=samples, seed=seed)
        return _spectrum(n, W, counts, method, confidence, counts.size)
    top = max_window(n) if n <= MAX_EXACT_N else min(max_window(n), MAX_SEARCH_BITS)
    windows = [central_window(n, w) for w in range(1, top + 1)]
    if n <= MAX_EXACT_N:
        tables = [window_code_counts(n, W, method="exact")[0] for W in windows]
        method, tests = "exact", 0
    else:
        tables = sampled_window_code_counts(n, windows, samples, seed)
        method, tests = "mc", sum(t.size for t in tables)
    sizes = tuple(len(W) for W in windows)
    specs = [_spectrum(n, W, t, method, confidence, max(tests, t.size), sizes, max_gamma)
             for W, t in zip(windows, tables)]
    allowed = [i for i, sp in enumerate(specs) if _gamma_value(sp) <= max_gamma] or [0]  # w = 1: γ = 0
    return specs[max(allowed, key=lambda i: (_score(specs[i]), i))]


def spectral_identity_matrix(bias: np.ndarray) -> np.ndarray:
    """The ``2^w × 2^w`` matrix ``M[S, T] = b(S Δ T)`` (S, T bitmasks over the window), for checks.

    Its eigenvalues are ``2^w P(c = v)``; the class's normalized Gram matrix is ``M[1:, 1:]``.
    """
    bias = np.asarray(bias, dtype=np.float64)
    L = bias.size
    if L & (L - 1) or L < 1:
        raise InvalidParameterError(f"bias must have length 2^w, got {L}.")
    idx = np.arange(L)
    return bias[idx[:, None] ^ idx[None, :]]
