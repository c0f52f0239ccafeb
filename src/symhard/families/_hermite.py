r"""Sparse polynomials in the probabilists' Hermite basis: evaluation and exact second moments.

The Hermite monomials of :math:`x \sim N(0, I_n)`,

.. math::

    He_\alpha(x) = \prod_{i=1}^n He_{\alpha_i}(x_i), \qquad
    \mathbb{E}[He_\alpha He_\beta] = \alpha!\,\delta_{\alpha\beta}, \quad \alpha! = \prod_i \alpha_i!,

are orthogonal (one-dimensional orthogonality :math:`\mathbb{E}[He_a(z) He_b(z)] = a!\,\delta_{ab}`
and independence of the coordinates), so a sparse polynomial :math:`f = \sum_t c_t He_{\beta_t}`
(:class:`HermitePolynomial`) has the exact second moments
:math:`\mathbb{E}[f g] = \sum_\beta f_\beta g_\beta\, \beta!` (:meth:`HermitePolynomial.inner`,
:func:`gram_matrix`), never estimated by sampling.

Values are computed by the three-term recurrence :math:`He_{j+1} = z He_j - j He_{j-1}` in float64
(or the input's torch dtype); they are exact up to round-off for the degrees used here (≤ 10).
Torch is not imported here: a tensor input is recognized without it (:func:`symhard._lazy.is_tensor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._lazy import is_tensor
from ..errors import InvalidParameterError, check_int

__all__ = ["hermite_e_table", "hermite_monomial", "HermitePolynomial", "gram_matrix"]


def hermite_e_table(z: Any, degree: int) -> Any:
    r"""Probabilists' Hermite values :math:`He_0(z), \dots, He_D(z)` by the recurrence
    :math:`He_{j+1}(z) = z\,He_j(z) - j\,He_{j-1}(z)`.

    Shapes: ``z (...)`` (numpy or torch) → ``(..., D + 1)``.
    """
    degree = check_int(degree, "degree", min_value=0)
    if is_tensor(z):
        import torch

        cols = [torch.ones_like(z)] + ([z] if degree >= 1 else [])
        for j in range(1, degree):
            cols.append(z * cols[j] - j * cols[j - 1])
        return torch.stack(cols, dim=-1)
    z = np.asarray(z, dtype=float)
    cols = [np.ones_like(z)] + ([z] if degree >= 1 else [])
    for j in range(1, degree):
        cols.append(z * cols[j] - j * cols[j - 1])
    return np.stack(cols, axis=-1)


def hermite_monomial(x: Any, alpha: Any) -> Any:
    r""":math:`He_\alpha(x) = \prod_i He_{\alpha_i}(x_i)`.  Shapes: ``x (m, n)``, ``alpha (n,)`` → ``(m,)``."""
    return HermitePolynomial(np.asarray(alpha)[None, :], np.ones(1))(x)


@dataclass(frozen=True)
class HermitePolynomial:
    r"""A sparse polynomial :math:`f = \sum_t c_t\, He_{\beta_t}` in the Hermite basis.

    Parameters
    ----------
    exponents : int array ``(T, n)``
        Distinct multi-indices :math:`\beta_t`.
    coefs : float array ``(T,)``
        Coefficients :math:`c_t`.

    Exact second moments follow from orthogonality:
    :math:`\mathbb{E}[f g] = \sum_\beta f_\beta g_\beta \beta!`.
    """

    exponents: np.ndarray
    coefs: np.ndarray

    def __post_init__(self) -> None:
        e = np.asarray(self.exponents, dtype=np.int64)
        c = np.asarray(self.coefs, dtype=float)
        if e.ndim != 2 or c.shape != (e.shape[0],):
            raise InvalidParameterError(
                f"exponents must have shape (T, n) and coefs shape (T,), got {e.shape} and {c.shape}."
            )
        if np.any(e < 0):
            raise InvalidParameterError("exponents must be non-negative integers.")
        if len({r.tobytes() for r in e}) != e.shape[0]:
            raise InvalidParameterError("exponents must be distinct multi-indices (merge repeated terms first).")
        object.__setattr__(self, "exponents", e)
        object.__setattr__(self, "coefs", c)

    @property
    def n(self) -> int:
        return int(self.exponents.shape[1])

    @property
    def degree(self) -> int:
        return int(self.exponents.sum(axis=1).max()) if self.exponents.size else 0

    @property
    def is_multilinear(self) -> bool:
        return bool(np.all(self.exponents <= 1))

    def as_dict(self) -> dict[bytes, float]:
        return {r.tobytes(): float(c) for r, c in zip(self.exponents, self.coefs)}

    def factorials(self) -> np.ndarray:
        r""":math:`\beta_t! = \prod_i \beta_{t,i}!` for every term, shape ``(T,)``."""
        from scipy.special import factorial

        return factorial(self.exponents, exact=False).prod(axis=1)

    def inner(self, other: "HermitePolynomial") -> float:
        r"""Exact :math:`\mathbb{E}[f g] = \sum_\beta f_\beta g_\beta \beta!` (Hermite orthogonality)."""
        if other.n != self.n:
            raise InvalidParameterError(f"polynomials on {self.n} and {other.n} variables cannot be paired.")
        od = other.as_dict()
        fact = self.factorials()
        return float(sum(c * od.get(r.tobytes(), 0.0) * f for r, c, f in zip(self.exponents, self.coefs, fact)))

    def norm_sq(self) -> float:
        r"""Exact :math:`\mathbb{E}[f^2] = \sum_t c_t^2 \beta_t!`."""
        return float(np.sum(self.coefs**2 * self.factorials()))

    def scaled(self, factor: float) -> "HermitePolynomial":
        return HermitePolynomial(self.exponents, self.coefs * factor)

    def _gather_plan(self) -> tuple[np.ndarray, np.ndarray, int]:
        """For each term t, the coordinates with β_t,i > 0 (``idx (T, width)``, padded with 0) and
        their exponents (``deg``, padded with 0, so that the padding multiplies by He_0 = 1)."""
        e = self.exponents
        T = e.shape[0]
        width = max(int((e > 0).sum(axis=1).max()) if T else 0, 1)
        idx = np.zeros((T, width), dtype=np.int64)
        deg = np.zeros((T, width), dtype=np.int64)
        for t in range(T):  # loop over terms (not samples)
            nz = np.flatnonzero(e[t])
            idx[t, : nz.size] = nz
            deg[t, : nz.size] = e[t, nz]
        return idx, deg, int(e.max()) if e.size else 0

    def __call__(self, x: Any, chunk: int = 8192) -> Any:
        r"""Evaluate :math:`f(x)`. Shapes: ``x (m, n)`` (numpy or torch) → ``(m,)``.

        The terms are gathered on their supports: for each term only the (at most ``degree``)
        coordinates with :math:`\beta_i > 0` are multiplied, so the cost is ``m·T·degree``.
        """
        if x.ndim != 2 or x.shape[1] != self.n:
            raise InvalidParameterError(
                f"Expected x to have shape (m, n) = (m, {self.n}), got {tuple(x.shape)}."
            )
        idx, deg, D = self._gather_plan()
        if is_tensor(x):
            import torch

            idx_t, deg_t = torch.as_tensor(idx, device=x.device), torch.as_tensor(deg, device=x.device)
            coefs = torch.as_tensor(self.coefs, dtype=x.dtype, device=x.device)
            outs = [hermite_e_table(x[s:s + chunk], D)[:, idx_t, deg_t].prod(dim=-1) @ coefs
                    for s in range(0, x.shape[0], chunk)]
            return torch.cat(outs) if outs else x.new_zeros(0)
        x = np.asarray(x, dtype=float)
        outs = [hermite_e_table(x[s:s + chunk], D)[:, idx, deg].prod(axis=-1) @ self.coefs
                for s in range(0, x.shape[0], chunk)]
        return np.concatenate(outs) if outs else np.zeros(0)


def gram_matrix(polys: Sequence[HermitePolynomial]) -> np.ndarray:
    r"""Exact Gram matrix :math:`K_{ij} = \mathbb{E}[f_i f_j]` from Hermite orthogonality.

    Shapes: ``P`` polynomials → ``(P, P)``.
    """
    P = len(polys)
    K = np.empty((P, P))
    for i in range(P):
        for j in range(i, P):
            K[i, j] = K[j, i] = polys[i].inner(polys[j])
    return K
