r"""Input distributions of the hard families, each sampled from an explicit seed.

Every distribution returns a *tuple* of tensors with a leading batch axis ``m`` (the layout of
:meth:`symhard.families.base.LearningTask.sample_inputs`), so that queries, targets and models
are always called as ``f(*inputs)``:

=====================  =========================================  ==========================
distribution            law                                        ``sample(m, seed)``
=====================  =========================================  ==========================
:class:`BooleanCube`    uniform on {±1}^n                          ``(x[m, n],)``
:class:`Gaussian`       N(0, I_n)                                  ``(x[m, n],)``
:class:`GaussianMatrix` i.i.d. N(0, 1) entries on R^{n×d}          ``(X[m, n, d],)``
:class:`ErdosRenyi`     G(n, p): A_ij = A_ji ~ Bernoulli(p), i<j,  ``(A[m, n, n],)`` or
                        A_ii = 0; optional X[n, d] i.i.d. N(0,1)   ``(A[m, n, n], X[m, n, d])``
=====================  =========================================  ==========================

The same seed gives the same tensors (numbers are drawn with :class:`numpy.random.Generator`
and converted, so they do not depend on torch's global state). Finite distributions also
expose their support with probabilities (:meth:`BooleanCube.support`), which is what the
exact oracles and the exact Gram matrices of :mod:`symhard.queries` enumerate.
"""

from __future__ import annotations

import abc

import numpy as np
import torch

from .._random import SeedLike, as_generator
from ..errors import EnumerationLimitError, InvalidParameterError, check_float, check_int

#: Largest n for which the Boolean cube is enumerated (2^20 points).
MAX_CUBE_POINTS = 20

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _check_dtype(dtype) -> torch.dtype:
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise InvalidParameterError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}.")
        return _DTYPES[dtype]
    if dtype not in (torch.float64, torch.float32):
        raise InvalidParameterError(f"dtype must be torch.float64 or torch.float32, got {dtype!r}.")
    return dtype


class Distribution(abc.ABC):
    """An input distribution. Subclasses implement :meth:`_draw` (numpy arrays).

    Attributes
    ----------
    finite : bool
        Whether :meth:`support` enumerates the distribution exactly.
    """

    finite: bool = False

    def sample(self, m: int, seed: SeedLike = None, *, dtype="float64") -> tuple[torch.Tensor, ...]:
        """Draw ``m`` i.i.d. inputs. Returns a tuple of tensors with leading axis ``m``.

        ``seed`` is an int (the same numbers every time) or a :class:`numpy.random.Generator`
        (its stream continues, which is how oracles get *fresh* samples per query).
        """
        m = check_int(m, "m", min_value=0)
        dt = _check_dtype(dtype)
        rng = as_generator(seed)
        return tuple(torch.from_numpy(np.ascontiguousarray(a)).to(dt) for a in self._draw(m, rng))

    @abc.abstractmethod
    def _draw(self, m: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]: ...

    def support(self, *, dtype="float64") -> tuple[tuple[torch.Tensor, ...], np.ndarray]:
        """The support points and their probabilities (finite distributions only)."""
        raise InvalidParameterError(
            f"{type(self).__name__} is not a finite distribution; exact expectations need a finite "
            "support or an expectation callback (use mode 'sampled' or pass expectation=...)."
        )


class BooleanCube(Distribution):
    """Uniform distribution on {±1}^n.

    Point number ``j`` of :meth:`support` is the x with x_i = −1 iff bit i of j is set (the
    bitmask convention of :func:`symhard.groups.masks_to_pm1`), so truth tables are indexed
    like the rows of the Walsh–Hadamard matrix.

    Shapes: ``sample(m)`` → ``(x[m, n],)``; ``support()`` → ``((x[2^n, n],), p[2^n])``.
    """

    finite = True

    def __init__(self, n: int):
        self.n = check_int(n, "n", min_value=1)

    def __repr__(self) -> str:
        return f"BooleanCube(n={self.n})"

    def _draw(self, m, rng):
        return (1.0 - 2.0 * rng.integers(0, 2, size=(m, self.n)),)

    def support(self, *, dtype="float64"):
        if self.n > MAX_CUBE_POINTS:
            raise EnumerationLimitError(
                f"the Boolean cube {{±1}}^{self.n} has 2^{self.n} points, above the enumeration limit "
                f"2^{MAX_CUBE_POINTS}; use n <= {MAX_CUBE_POINTS} or a sampled oracle."
            )
        masks = np.arange(2 ** self.n, dtype=np.int64)
        x = 1.0 - 2.0 * ((masks[:, None] >> np.arange(self.n)) & 1)
        probs = np.full(2 ** self.n, 2.0 ** -self.n)
        return (torch.from_numpy(x).to(_check_dtype(dtype)),), probs


class Gaussian(Distribution):
    """Standard Gaussian N(0, I_n) on R^n. Shapes: ``sample(m)`` → ``(x[m, n],)``."""

    def __init__(self, n: int):
        self.n = check_int(n, "n", min_value=1)

    def __repr__(self) -> str:
        return f"Gaussian(n={self.n})"

    def _draw(self, m, rng):
        return (rng.standard_normal((m, self.n)),)


class GaussianMatrix(Distribution):
    """I.i.d. N(0, 1) entries on R^{n×d}. Shapes: ``sample(m)`` → ``(X[m, n, d],)``."""

    def __init__(self, n: int, d: int):
        self.n = check_int(n, "n", min_value=1)
        self.d = check_int(d, "d", min_value=1)

    def __repr__(self) -> str:
        return f"GaussianMatrix(n={self.n}, d={self.d})"

    def _draw(self, m, rng):
        return (rng.standard_normal((m, self.n, self.d)),)


class ErdosRenyi(Distribution):
    r"""Erdős–Rényi graphs G(n, p), dense symmetric 0/1 adjacency with zero diagonal.

    A_ij = A_ji ~ Bernoulli(p) independently for i < j, A_ii = 0. With ``features = d > 0``
    each graph also carries node features X ∈ R^{n×d} with i.i.d. N(0, 1) entries.

    Shapes: ``sample(m)`` → ``(A[m, n, n],)`` or ``(A[m, n, n], X[m, n, d])``.
    """

    def __init__(self, n: int, p: float = 0.5, features: int = 0):
        self.n = check_int(n, "n", min_value=1)
        self.p = check_float(p, "p", low=0.0, high=1.0)
        self.features = check_int(features, "features", min_value=0)

    def __repr__(self) -> str:
        return f"ErdosRenyi(n={self.n}, p={self.p}, features={self.features})"

    def _draw(self, m, rng):
        n = self.n
        iu = np.triu_indices(n, k=1)
        A = np.zeros((m, n, n))
        A[:, iu[0], iu[1]] = rng.random((m, iu[0].size)) < self.p
        A = A + np.swapaxes(A, -1, -2)
        if self.features:
            return A, rng.standard_normal((m, n, self.features))
        return (A,)
