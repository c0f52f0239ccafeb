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

The same seed gives the same tensors. With an int or a :class:`numpy.random.Generator` the
numbers are drawn by numpy and converted; with a :class:`torch.Generator` (what the learning
tasks pass, one stream per chunk) they are drawn by torch on the CPU. Neither depends on a global
state. Graphs have one sampler, :func:`erdos_renyi_adjacency` (numpy) and its torch twin, used by
every family and task that draws graphs. Finite distributions also
expose their support with probabilities (:meth:`BooleanCube.support`), which is what the
exact oracles and the exact Gram matrices of :mod:`symhard.queries` enumerate.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import EnumerationLimitError, InvalidParameterError, check_float, check_int

if TYPE_CHECKING:
    import torch

#: Largest n for which the Boolean cube is enumerated (2^20 points).
MAX_CUBE_POINTS = 20
#: Largest number of nodes for which every labelled graph is enumerated (2^15 graphs).
MAX_ENUMERATED_NODES = 6

_DTYPE_NAMES = ("float64", "float32")


def _check_dtype(dtype: Any) -> "torch.dtype":
    import torch

    table = {"float64": torch.float64, "float32": torch.float32}
    if isinstance(dtype, str):
        if dtype not in table:
            raise InvalidParameterError(f"dtype must be one of {', '.join(_DTYPE_NAMES)}, got {dtype!r}.")
        return table[dtype]
    if dtype not in table.values():
        raise InvalidParameterError(f"dtype must be torch.float64 or torch.float32, got {dtype!r}.")
    return dtype


def _is_torch_generator(seed: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(seed, torch.Generator)


def erdos_renyi_adjacency(m: int, n: int, p: float | np.ndarray = 0.5, seed: SeedLike = None,
                          dtype: Any = np.uint8) -> np.ndarray:
    """``m`` independent ``G(n, p)`` graphs as dense adjacency ``[m, n, n]`` (symmetric, zero diagonal).

    Edge ``e`` (in ``np.triu_indices(n, 1)`` order) of graph ``i`` is present iff a uniform draw is
    below ``p`` (or ``p[i]``: one edge probability per graph). The one numpy graph sampler of
    symhard.
    """
    m = check_int(m, "m", min_value=0)
    n = check_int(n, "n", min_value=1)
    rng = as_generator(seed)
    iu, ju = np.triu_indices(n, k=1)
    p = np.asarray(p, dtype=np.float64)
    p = p[:, None] if p.ndim == 1 else p
    bits = (rng.random((m, iu.size)) < p).astype(dtype)
    A = np.zeros((m, n, n), dtype=dtype)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


def all_graphs(n: int) -> np.ndarray:
    """Every graph on ``n`` labelled nodes as ``uint8`` adjacency ``[2^{n(n-1)/2}, n, n]``.

    Graph ``c`` has edge ``e`` (in ``np.triu_indices(n, 1)`` order) iff bit ``e`` of ``c`` is set.
    Refused beyond ``n = 6`` (2^21 graphs would need 100 MB).
    """
    n = check_int(n, "n", min_value=1)
    if n > MAX_ENUMERATED_NODES:
        raise EnumerationLimitError(
            f"the graphs on {n} labelled nodes are 2^{n * (n - 1) // 2}, above the enumeration limit of "
            f"n <= {MAX_ENUMERATED_NODES} nodes; sample them instead."
        )
    iu, ju = np.triu_indices(n, k=1)
    E = iu.size
    codes = np.arange(2**E, dtype=np.int64)
    bits = ((codes[:, None] >> np.arange(E)) & 1).astype(np.uint8)
    A = np.zeros((2**E, n, n), dtype=np.uint8)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


def erdos_renyi_adjacency_torch(m: int, n: int, p: float, generator: "torch.Generator",
                                dtype: Any = None) -> "torch.Tensor":
    """The torch twin of :func:`erdos_renyi_adjacency` (same law, drawn with ``generator``)."""
    import torch

    iu, ju = (torch.as_tensor(t) for t in np.triu_indices(n, k=1))
    bits = (torch.rand(m, iu.numel(), generator=generator) < p).to(dtype or torch.float32)
    A = torch.zeros(m, n, n, dtype=bits.dtype)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


class Distribution(abc.ABC):
    """An input distribution. Subclasses implement :meth:`_draw` (numpy) and :meth:`_draw_torch`.

    Attributes
    ----------
    finite : bool
        Whether :meth:`support` enumerates the distribution exactly.
    """

    finite: bool = False

    def sample(self, m: int, seed: Any = None, *, dtype: Any = "float64") -> tuple["torch.Tensor", ...]:
        """Draw ``m`` i.i.d. inputs. Returns a tuple of tensors with leading axis ``m``.

        ``seed`` is an int (the same numbers every time), a :class:`numpy.random.Generator` (its
        stream continues, which is how oracles get *fresh* samples per query) or a
        :class:`torch.Generator` (drawn by torch; what the learning tasks use).
        """
        m = check_int(m, "m", min_value=0)
        dt = _check_dtype(dtype)
        if _is_torch_generator(seed):
            return tuple(t.to(dt) for t in self._draw_torch(m, seed))
        import torch

        rng = as_generator(seed)
        return tuple(torch.from_numpy(np.ascontiguousarray(a)).to(dt) for a in self._draw(m, rng))

    def sample_numpy(self, m: int, seed: SeedLike = None) -> tuple[np.ndarray, ...]:
        """The same draw as :meth:`sample` with an int or numpy seed, as float64 numpy arrays."""
        m = check_int(m, "m", min_value=0)
        return tuple(np.asarray(a, dtype=np.float64) for a in self._draw(m, as_generator(seed)))

    @abc.abstractmethod
    def _draw(self, m: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]: ...

    def _draw_torch(self, m: int, generator: "torch.Generator") -> tuple["torch.Tensor", ...]:
        raise InvalidParameterError(f"{type(self).__name__} cannot draw with a torch.Generator; pass an int seed.")

    def support(self, *, dtype: Any = "float64") -> tuple[tuple["torch.Tensor", ...], np.ndarray]:
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

    def _draw_torch(self, m, generator):
        import torch

        return (1.0 - 2.0 * torch.randint(0, 2, (m, self.n), generator=generator).to(torch.float32),)

    def support_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x[2^n, n], p[2^n])`` as numpy arrays (no torch)."""
        if self.n > MAX_CUBE_POINTS:
            raise EnumerationLimitError(
                f"the Boolean cube {{±1}}^{self.n} has 2^{self.n} points, above the enumeration limit "
                f"2^{MAX_CUBE_POINTS}; use n <= {MAX_CUBE_POINTS} or a sampled oracle."
            )
        masks = np.arange(2 ** self.n, dtype=np.int64)
        x = 1.0 - 2.0 * ((masks[:, None] >> np.arange(self.n)) & 1)
        return x, np.full(2 ** self.n, 2.0 ** -self.n)

    def support(self, *, dtype="float64"):
        import torch

        x, probs = self.support_numpy()
        return (torch.from_numpy(x).to(_check_dtype(dtype)),), probs


class Gaussian(Distribution):
    """Standard Gaussian N(0, I_n) on R^n. Shapes: ``sample(m)`` → ``(x[m, n],)``."""

    def __init__(self, n: int):
        self.n = check_int(n, "n", min_value=1)

    def __repr__(self) -> str:
        return f"Gaussian(n={self.n})"

    def _draw(self, m, rng):
        return (rng.standard_normal((m, self.n)),)

    def _draw_torch(self, m, generator):
        import torch

        return (torch.randn(m, self.n, generator=generator),)


class GaussianMatrix(Distribution):
    """I.i.d. N(0, 1) entries on R^{n×d}. Shapes: ``sample(m)`` → ``(X[m, n, d],)``."""

    def __init__(self, n: int, d: int):
        self.n = check_int(n, "n", min_value=1)
        self.d = check_int(d, "d", min_value=1)

    def __repr__(self) -> str:
        return f"GaussianMatrix(n={self.n}, d={self.d})"

    def _draw(self, m, rng):
        return (rng.standard_normal((m, self.n, self.d)),)

    def _draw_torch(self, m, generator):
        import torch

        return (torch.randn(m, self.n, self.d, generator=generator),)


class ErdosRenyi(Distribution):
    r"""Erdős–Rényi graphs G(n, p), dense symmetric 0/1 adjacency with zero diagonal.

    A_ij = A_ji ~ Bernoulli(p) independently for i < j, A_ii = 0 (``self_loops=True`` returns
    Â = A + I instead). With ``features = d > 0`` each graph also carries node features
    X ∈ R^{n×d} with i.i.d. N(0, 1) entries (drawn after the edges).

    Shapes: ``sample(m)`` → ``(A[m, n, n],)`` or ``(A[m, n, n], X[m, n, d])``.
    """

    def __init__(self, n: int, p: float = 0.5, features: int = 0, self_loops: bool = False):
        self.n = check_int(n, "n", min_value=1)
        self.p = check_float(p, "p", low=0.0, high=1.0)
        self.features = check_int(features, "features", min_value=0)
        self.self_loops = bool(self_loops)

    def __repr__(self) -> str:
        return f"ErdosRenyi(n={self.n}, p={self.p}, features={self.features}, self_loops={self.self_loops})"

    def graph_support(self) -> tuple[np.ndarray, np.ndarray]:
        """Every graph with its probability p^|E| (1 − p)^(C(n,2) − |E|): ``(A[2^C(n,2), n, n] uint8, probs)``.

        The exact support of the graph part (node features are Gaussian, not finite); ``n <= 6``.
        Self-loops are not added here.
        """
        A = all_graphs(self.n)
        E = self.n * (self.n - 1) // 2
        edges = A.sum((1, 2)).astype(np.int64) // 2
        return A, self.p**edges * (1 - self.p) ** (E - edges)

    def _draw(self, m, rng):
        A = erdos_renyi_adjacency(m, self.n, self.p, rng, dtype=np.float64)
        if self.self_loops:
            A += np.eye(self.n)
        if self.features:
            return A, rng.standard_normal((m, self.n, self.features))
        return (A,)

    def _draw_torch(self, m, generator):
        import torch

        A = erdos_renyi_adjacency_torch(m, self.n, self.p, generator)
        if self.self_loops:
            A = A + torch.eye(self.n)
        if self.features:
            return A, torch.randn(m, self.n, self.features, generator=generator)
        return (A,)
