r"""Normalized Gram matrices of a family's members, exact or Monte Carlo with standard errors.

For members f_1, …, f_m under a distribution D, the normalized Gram matrix is

    C_ij = E[f_i f_j] / (‖f_i‖ ‖f_j‖),    ‖f‖ = √E[f²].

* **Exact**: from the raw inner products E[f_i f_j] when the family computes them (arc-cosine
  kernel, Hermite orthogonality, …) — :func:`exact_gram` — or from values on a finite support
  with its probabilities (e.g. truth tables on the Boolean cube) — :func:`finite_gram`.
* **Monte Carlo**: from values on N i.i.d. samples — :func:`monte_carlo_gram` — or from
  callables evaluated chunk by chunk — :func:`sampled_gram`. Each entry gets a standard error
  by the delta method for the ratio: with M_ij the sample mean of f_i f_j and n_i² = M_ii,
  the influence function of Ĉ_ij is

      ψ_ij = [f_i f_j − (C_ij/2)(f_i² n_j/n_i + f_j² n_i/n_j)] / (n_i n_j),

  whose variance needs only the moment matrices E[f_i² f_j²] and E[f_i³ f_j] (m × m), so the
  memory is O(m² + m·chunk). For ±1 members this reduces to √((1 − C_ij²)/N).

:class:`GramSummary` gives the certificate numbers: max off-diagonal |C_ij| with the standard
error of that entry, min norm, and the pairwise CSQ bound
(:func:`~symhard.queries.bounds.csq_pairwise_bound`) they imply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import DegenerateMemberError, InvalidParameterError, check_int
from .bounds import LowerBound, csq_pairwise_bound
from .distributions import Distribution


@dataclass
class GramSummary:
    """A normalized Gram matrix and its certificate summary.

    Attributes
    ----------
    gram : array (m, m)        normalized correlations C_ij (diagonal 1)
    stderr : array (m, m)      standard error per entry (zeros when exact)
    norms : array (m,)         ‖f_i‖ = √E[f_i²]
    method : "exact" or "mc"
    n_samples : int or None    Monte-Carlo sample size
    """

    gram: np.ndarray
    stderr: np.ndarray
    norms: np.ndarray
    method: str
    n_samples: int | None = None

    @property
    def members(self) -> int:
        return int(self.gram.shape[0])

    def _argmax_offdiag(self) -> tuple[int, int] | None:
        m = self.members
        if m < 2:
            return None
        a = np.abs(self.gram).copy()
        np.fill_diagonal(a, -np.inf)
        i, j = np.unravel_index(np.argmax(a), a.shape)
        return int(i), int(j)

    @property
    def max_offdiag_corr(self) -> float:
        """max_{i≠j} |C_ij| (0 for a single member)."""
        ij = self._argmax_offdiag()
        return 0.0 if ij is None else float(abs(self.gram[ij]))

    @property
    def max_offdiag_corr_stderr(self) -> float:
        """Standard error of the entry attaining the maximum (0 when exact)."""
        ij = self._argmax_offdiag()
        return 0.0 if ij is None else float(self.stderr[ij])

    @property
    def min_norm(self) -> float:
        return float(self.norms.min())

    @property
    def lambda_max(self) -> float:
        """Largest eigenvalue of the normalized Gram matrix (the λ of the spectral counting lemma)."""
        return float(np.linalg.eigvalsh(0.5 * (self.gram + self.gram.T)).max())

    def lower_bound(self, tau: float, class_size=None, gamma: float | None = None) -> LowerBound:
        """The counting-lemma CSQ bound (m − 1)(τ² − γ)/(1 − γ) with γ = max off-diagonal |C| (by default).

        ``class_size`` defaults to the number of members compared; a family whose Gram matrix
        is a sample of a larger class passes the class size and its own γ.
        """
        g = self.max_offdiag_corr if gamma is None else gamma
        return csq_pairwise_bound(self.members if class_size is None else class_size, min(1.0, g), tau)


def _check_norms(raw_diag: np.ndarray) -> np.ndarray:
    if (raw_diag <= 0).any():
        bad = np.flatnonzero(raw_diag <= 0).tolist()
        raise DegenerateMemberError(
            f"members {bad[:5]} have zero norm (E[f^2] = 0) and cannot be normalized; drop them."
        )
    return np.sqrt(raw_diag)


def exact_gram(raw, stderr=None, method: str = "exact", n_samples: int | None = None) -> GramSummary:
    """Normalize a matrix of inner products E[f_i f_j] (shape (m, m), symmetric).

    ``stderr`` (optional, same shape): standard errors of the raw entries when they come from a
    sampled measure (e.g. graphs drawn at random under an exact kernel); the normalized entries
    then get ``stderr_ij / (‖f_i‖‖f_j‖)`` and ``method`` says how they were obtained.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] != raw.shape[1]:
        raise InvalidParameterError(f"raw inner products must be a square matrix, got shape {raw.shape}.")
    if method not in ("exact", "mc"):
        raise InvalidParameterError(f"method must be 'exact' or 'mc', got {method!r}.")
    norms = _check_norms(np.diag(raw).copy())
    scale = np.outer(norms, norms)
    gram = raw / scale
    np.fill_diagonal(gram, 1.0)
    se = np.zeros_like(gram) if stderr is None else np.asarray(stderr, dtype=np.float64) / scale
    np.fill_diagonal(se, 0.0)
    return GramSummary(gram=gram, stderr=se, norms=norms, method=method, n_samples=n_samples)


def finite_gram(values, weights) -> GramSummary:
    """Exact Gram matrix of members given by their values on a finite support.

    Shapes: ``values (m, N)``, ``weights (N,)`` (probabilities) → :class:`GramSummary`.
    E[f_i f_j] = Σ_x w(x) f_i(x) f_j(x).
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if values.ndim != 2 or weights.shape != (values.shape[1],):
        raise InvalidParameterError(
            f"values must have shape (m, N) and weights shape (N,), got {values.shape} and {weights.shape}."
        )
    return exact_gram((values * weights) @ values.T)


class _Moments:
    """Running sums for the Monte-Carlo Gram matrix and its delta-method errors."""

    def __init__(self, m: int):
        self.N = 0
        self.S11 = np.zeros((m, m))
        self.S22 = np.zeros((m, m))
        self.S31 = np.zeros((m, m))

    def add(self, F: np.ndarray) -> None:
        F2 = F * F
        self.N += F.shape[1]
        self.S11 += F @ F.T
        self.S22 += F2 @ F2.T
        self.S31 += (F2 * F) @ F.T

    def summary(self) -> GramSummary:
        N = self.N
        M = self.S11 / N
        E22 = self.S22 / N
        E31 = self.S31 / N  # E31[i, j] = E[f_i^3 f_j]
        d = np.diag(M).copy()
        n = _check_norms(d)
        C = M / np.outer(n, n)
        a = 1.0 / np.outer(n, n)
        b = -C / (2 * d)[:, None]
        c = -C / (2 * d)[None, :]
        var_u = E22 - M**2
        var_v = np.diag(E22)[:, None] - (d**2)[:, None]
        var_w = np.diag(E22)[None, :] - (d**2)[None, :]
        cov_uv = E31 - M * d[:, None]
        cov_uw = E31.T - M * d[None, :]
        cov_vw = E22 - np.outer(d, d)
        var = (a**2 * var_u + b**2 * var_v + c**2 * var_w
               + 2 * a * b * cov_uv + 2 * a * c * cov_uw + 2 * b * c * cov_vw)
        se = np.sqrt(np.clip(var, 0.0, None) / N)
        np.fill_diagonal(C, 1.0)
        np.fill_diagonal(se, 0.0)
        return GramSummary(gram=C, stderr=se, norms=n, method="mc", n_samples=N)


def monte_carlo_gram(values) -> GramSummary:
    """Monte-Carlo Gram matrix from values on N i.i.d. samples, with a standard error per entry.

    Shapes: ``values (m, N)`` → :class:`GramSummary` (method ``"mc"``).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise InvalidParameterError(f"values must have shape (m, N) with N >= 2 samples, got {values.shape}.")
    mom = _Moments(values.shape[0])
    mom.add(values)
    return mom.summary()


def sampled_gram(members: Sequence[Callable[..., Any]], distribution: Distribution, n_samples: int,
                 seed: SeedLike = 0, chunk: int = 65_536) -> GramSummary:
    """Monte-Carlo Gram matrix of callables ``f(*inputs) -> [b]`` under ``distribution``.

    Draws ``n_samples`` inputs in chunks (one numpy stream from ``seed``), so memory stays
    O(m·chunk + m²).
    """
    n_samples = check_int(n_samples, "n_samples", min_value=2)
    chunk = check_int(chunk, "chunk", min_value=1)
    if not members:
        raise InvalidParameterError("sampled_gram needs at least one member.")
    rng = as_generator(seed)
    mom = _Moments(len(members))
    done = 0
    while done < n_samples:
        b = min(chunk, n_samples - done)
        inputs = distribution.sample(b, rng)
        F = np.stack([np.asarray(f(*inputs), dtype=np.float64).reshape(b) for f in members])
        mom.add(F)
        done += b
    return mom.summary()


def gram_matrix(members: Sequence[Callable[..., Any]] | None = None, *, raw=None,
                distribution: Distribution | None = None, n_samples: int = 100_000,
                seed: SeedLike = 0) -> GramSummary:
    """One entry point: exact from ``raw`` inner products, exact on a finite distribution's
    support, else Monte Carlo with ``n_samples`` samples."""
    if raw is not None:
        return exact_gram(raw)
    if members is None or distribution is None:
        raise InvalidParameterError("gram_matrix needs raw inner products, or members and a distribution.")
    if distribution.finite:
        inputs, w = distribution.support()
        F = np.stack([np.asarray(f(*inputs), dtype=np.float64).reshape(-1) for f in members])
        return finite_gram(F, w)
    return sampled_gram(members, distribution, n_samples, seed)


__all__ = ["GramSummary", "exact_gram", "finite_gram", "monte_carlo_gram", "sampled_gram", "gram_matrix"]

