r"""The mathematics of degree-histogram parities (private to :mod:`symhard.families.gnn_degree_parity`).

For a graph ``A`` on ``n`` nodes, ``h(A)_i = #{v : deg v = i}`` (``i = 0..n-1``) and for a set of
degrees ``S``, :math:`f_S(A) = (-1)^{\sum_{i\in S} h_i(A)}`. Everything here is about the law of
the *parity code* ``c = h mod 2`` under ``G(n, 1/2)``:

* windows and degenerate sets (:func:`max_window`, :func:`central_window`,
  :func:`identity_degenerate_sets`, :func:`degenerate_reason`, :func:`check_subset`);
* the histogram and the target (:func:`degree_histogram`, :func:`parity_target`);
* exact enumeration for ``n ≤ 7`` (:func:`enumerate_degrees`, :func:`parity_code_counts`,
  :func:`exact_parity_biases`, :func:`constant_parities`);
* the distribution of the window code, exact or sampled (:func:`window_code_counts`,
  :func:`sampled_window_code_counts`) and the biases :math:`b(U) = E f_U` it determines
  (:func:`window_biases`: its Walsh–Hadamard transform);
* the affine span of the parity codes (:func:`parity_span_dimension`) and the moments of the
  count (:func:`count_moments`).

See the module docstring of :mod:`symhard.families.gnn_degree_parity` for the statements.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import numpy as np

from .._lazy import is_tensor
from .._random import as_generator
from ..errors import DegenerateMemberError, InvalidParameterError, check_int
from ..queries.distributions import erdos_renyi_adjacency
from ..queries.walsh import fwht

MAX_EXACT_N = 7  # exact biases by enumerating all 2^{n(n-1)/2} graphs
MAX_EXHAUSTIVE_REALIZATION_N = 6  # the network is evaluated on every graph up to this n
MAX_N = 400
#: Largest window (in degrees) whose 2^w codes are tabulated.
MAX_WINDOW_BITS = 20
#: Graph entries (graphs × n²) drawn per chunk when sampling.
_CHUNK_ENTRIES = 2_000_000


# ------------------------------------------------------------------------------- validation
def check_n(n: Any) -> int:
    """``n`` as an int in ``[4, MAX_N]`` (a graph on fewer nodes has no usable window)."""
    return check_int(n, "n", min_value=4, max_value=MAX_N)


def max_window(n: int) -> int:
    """The largest window size: ``n - 2`` for even ``n``, ``n - 3`` for odd ``n`` (see module doc)."""
    n = check_n(n)
    return n - 2 if n % 2 == 0 else n - 3


def central_window(n: int, size: int) -> tuple[int, ...]:
    """The ``size`` consecutive degrees centred at ``(n-1)/2``: ``start = ⌊(n-1)/2 - (size-1)/2⌋``.

    Windows of growing size are nested (each adds one degree at one end).

    >>> central_window(8, 4)
    (2, 3, 4, 5)
    """
    n = check_n(n)
    limit = max_window(n)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise InvalidParameterError(f"window must be an integer, not {type(size).__name__} ({size!r}).")
    if not 1 <= size <= limit:
        raise InvalidParameterError(
            f"window == {size} is not possible for n == {n}: the window must hold between 1 and {limit} "
            "central degrees (degrees 0 and n-1 are excluded, and for odd n the window may not contain "
            "every odd degree, whose total count is even by the handshake lemma)."
        )
    start = math.floor((n - 1) / 2 - (size - 1) / 2)
    return tuple(range(start, start + int(size)))


def subset_mask(S: Sequence[int]) -> int:
    """Bitmask ``Σ_{i∈S} 2^i`` of a set of degrees."""
    return sum(1 << int(i) for i in set(S))


def identity_degenerate_sets(n: int) -> dict[str, tuple[tuple[int, ...], int]]:
    """The nonempty sets whose parity is fixed by the two identities, with the constant value.

    ``{"all": (ALL, (-1)^n), "odd": (ODD, +1), "even": (EVEN, (-1)^n)}``.
    """
    n = check_n(n)
    sign = -1 if n % 2 else 1
    return {
        "all": (tuple(range(n)), sign),
        "odd": (tuple(range(1, n, 2)), 1),
        "even": (tuple(range(0, n, 2)), sign),
    }


def parse_subset(n: int, S: Any) -> tuple[int, ...]:
    """``S`` (a sequence of degrees or ``"3,4"``) as a sorted tuple of distinct degrees in ``0..n-1``."""
    if isinstance(S, str):
        try:
            S = [int(t) for t in S.replace(" ", "").split(",") if t != ""]
        except ValueError:
            raise InvalidParameterError(
                f"subset must be comma-separated degrees such as '3,4', got {S!r}."
            ) from None
    try:
        items = [int(i) for i in S]
    except (TypeError, ValueError):
        raise InvalidParameterError(f"subset must be a sequence of degrees, got {S!r}.") from None
    if any(isinstance(i, bool) for i in S):
        raise InvalidParameterError("subset entries must be integers, not booleans.")
    bad = [i for i in items if not 0 <= i < n]
    if bad:
        raise InvalidParameterError(f"subset holds degrees {bad} outside 0..{n - 1} (a graph on n = {n} nodes).")
    if len(set(items)) != len(items):
        raise InvalidParameterError(f"subset {items} repeats a degree; give each degree once.")
    return tuple(sorted(items))


def identity_reason(n: int, S: Sequence[int]) -> str | None:
    """Why ``f_S`` is constant by the two identities (or ``S = ∅``), else ``None`` (no enumeration)."""
    if not S:
        return "the empty set gives the constant function 1"
    m = subset_mask(S)
    for name, (T, value) in identity_degenerate_sets(n).items():
        if m == subset_mask(T):
            why = "sum_i h_i = n" if name == "all" else (
                "the handshake lemma (the number of odd-degree nodes is even)" if name == "odd"
                else "sum_i h_i = n together with the handshake lemma")
            return f"S is the set of {'all' if name == 'all' else name} degrees, so f_S == {value:+d} by {why}"
    return None


def degenerate_reason(n: int, S: Sequence[int]) -> str | None:
    """Why ``f_S`` is constant on ``G(n, 1/2)`` graphs, or ``None`` when it is not.

    Uses the identities for every ``n`` (these are all constant parities, see the module
    docstring) and, for ``n ≤ MAX_EXACT_N``, the exact bias from enumerating all graphs.
    """
    n = check_n(n)
    S = parse_subset(n, S)
    why = identity_reason(n, S)
    if why is None and n <= MAX_EXACT_N:
        bias = exact_parity_biases(n)[subset_mask(S)]
        if abs(abs(bias) - 1.0) < 1e-12:
            why = f"f_S == {int(np.sign(bias)):+d} on every graph (exact enumeration of all graphs on {n} nodes)"
    return why


def check_subset(n: int, S: Any) -> tuple[int, ...]:
    """Parse ``S`` (sequence or ``"3,4"``) and raise :class:`DegenerateMemberError` if ``f_S`` is constant."""
    n = check_n(n)
    S = parse_subset(n, S)
    why = degenerate_reason(n, S)
    if why is not None:
        raise DegenerateMemberError(
            f"subset {list(S)} is degenerate for n == {n}: {why}; choose S inside a central window, "
            f"e.g. {list(central_window(n, min(2, max_window(n))))}."
        )
    return S


# ---------------------------------------------------------------------------------- histograms
def degree_histogram(A):
    """``h[..., i] = #{v : Σ_u A[..., v, u] = i}``, ``i = 0..n-1`` (numpy or torch, integer).

    Shapes: ``A[..., n, n] -> [..., n]``.
    """
    if is_tensor(A):
        import torch

        n = A.shape[-1]
        deg = A.sum(-1).round().long()
        onehot = deg[..., :, None] == torch.arange(n, device=A.device)
        return onehot.sum(-2)
    A = np.asarray(A)
    n = A.shape[-1]
    deg = A.sum(-1).astype(np.int64)
    flat = deg.reshape(-1, n)
    rows = np.repeat(np.arange(flat.shape[0]), n)
    h = np.bincount(rows * n + flat.ravel(), minlength=flat.shape[0] * n).reshape(flat.shape[0], n)
    return h.reshape(*A.shape[:-2], n)


def parity_target(A, S: Sequence[int]):
    """``f_S(A) = (-1)^{Σ_{i∈S} h_i(A)}`` (numpy float64, or torch in ``A``'s float dtype).

    Shapes: ``A[..., n, n] -> [...]``.
    """
    h = degree_histogram(A)
    c = h[..., list(S)].sum(-1)
    if isinstance(h, np.ndarray):
        return (1 - 2 * (c % 2)).astype(np.float64)
    import torch

    dtype = A.dtype if A.is_floating_point() else torch.float64
    return (1 - 2 * (c % 2)).to(dtype)


# --------------------------------------------------------------------- exact enumeration
@functools.lru_cache(maxsize=None)
def enumerate_degrees(n: int) -> np.ndarray:
    """Degree sequences of all :math:`2^{n(n-1)/2}` labelled graphs on ``n ≤ 7`` nodes, ``int8 [G, n]``.

    Built node by node: a graph on ``k`` nodes is a graph on ``k - 1`` nodes plus the
    neighbourhood of node ``k - 1`` (one of :math:`2^{k-1}` subsets), so the degrees extend by
    broadcasting, with no loop over graphs. Read-only (cached).
    """
    n = check_int(n, "n", min_value=1, max_value=MAX_EXACT_N)
    deg = np.zeros((1, 1), dtype=np.int8)
    for k in range(2, n + 1):
        nb = ((np.arange(2 ** (k - 1))[:, None] >> np.arange(k - 1)) & 1).astype(np.int8)
        old = deg[:, None, :] + nb[None, :, :]
        new = np.broadcast_to(nb.sum(1).astype(np.int8)[None, :, None], (*old.shape[:2], 1))
        deg = np.concatenate([old, new], axis=2).reshape(-1, k)
    deg.setflags(write=False)
    return deg


@functools.lru_cache(maxsize=None)
def parity_code_counts(n: int) -> np.ndarray:
    """Exact counts of graphs by parity vector: ``counts[c]`` = #graphs with ``Σ_i (h_i mod 2) 2^i = c``.

    ``h_i mod 2`` is the XOR over nodes of ``[deg v = i]``, so the code of a graph is
    ``XOR_v 2^{deg v}``. Length ``2^n``; sums to :math:`2^{n(n-1)/2}`. ``n ≤ 7``.
    """
    deg = enumerate_degrees(n)
    codes = np.bitwise_xor.reduce(np.left_shift(np.int64(1), deg.astype(np.int64)), axis=1)
    counts = np.bincount(codes, minlength=2**n).astype(np.int64)
    counts.setflags(write=False)
    return counts


@functools.lru_cache(maxsize=None)
def exact_parity_biases(n: int) -> np.ndarray:
    """``bias[U] = E[f_U]`` over ``G(n, 1/2)`` for every ``U ⊆ {0..n-1}`` (bitmask index), exactly.

    The Walsh–Hadamard transform (:func:`symhard.queries.walsh.fwht`, exact on integers) of
    :func:`parity_code_counts`, divided by the number of graphs. ``n ≤ 7``.
    """
    counts = parity_code_counts(n)
    out = fwht(counts) / float(counts.sum())
    out.setflags(write=False)
    return out


def constant_parities(n: int) -> list[tuple[int, ...]]:
    """Every nonempty ``S`` with ``f_S`` constant over all graphs on ``n ≤ 7`` nodes (exact)."""
    b = exact_parity_biases(n)
    idx = np.nonzero(np.abs(np.abs(b) - 1.0) < 1e-12)[0]
    return [tuple(i for i in range(n) if U >> i & 1) for U in idx if U]


# --------------------------------------------------------------------- window codes
def _check_window(n: int, window: Sequence[int]) -> tuple[int, ...]:
    window = tuple(int(i) for i in window)
    if len(window) > MAX_WINDOW_BITS:
        raise InvalidParameterError(
            f"a window of {len(window)} degrees has 2^{len(window)} parity codes, above the limit of "
            f"2^{MAX_WINDOW_BITS}; use --window <= {MAX_WINDOW_BITS}."
        )
    parse_subset(n, window)
    return window


def window_codes(h: np.ndarray, window: Sequence[int]) -> np.ndarray:
    """The window parity code ``Σ_t (h_{W_t} mod 2) 2^t`` of each histogram. Shapes: ``[..., n] -> [...]``."""
    bits = (h[..., list(window)] % 2).astype(np.int64)
    return bits @ (1 << np.arange(len(window), dtype=np.int64))


def _exact_window_counts(n: int, window: tuple[int, ...]) -> np.ndarray:
    counts = parity_code_counts(n)
    codes = np.arange(2**n, dtype=np.int64)
    wcodes = sum(((codes >> i) & 1) << t for t, i in enumerate(window))
    return np.bincount(wcodes, weights=counts, minlength=2 ** len(window)).round().astype(np.int64)


def sampled_window_code_counts(n: int, windows: Sequence[Sequence[int]], samples: int, seed=0) -> list[np.ndarray]:
    """Counts of the window codes of ``samples`` graphs ``G(n, 1/2)``, one table per window, same graphs.

    The graphs come from :func:`symhard.queries.distributions.erdos_renyi_adjacency` in chunks,
    one numpy stream from ``seed``. Returns ``[counts_w (int64 [2^{|W|}]) for W in windows]``.
    """
    n = check_n(n)
    windows = [_check_window(n, W) for W in windows]
    samples = check_int(samples, "samples", min_value=1)
    rng = as_generator(seed)
    out = [np.zeros(2 ** len(W), dtype=np.int64) for W in windows]
    chunk = max(1, min(4096, _CHUNK_ENTRIES // (n * n)))
    pending: list[np.ndarray] = []  # code arrays [b, len(windows)], tabulated every ~2^20 graphs
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        h = degree_histogram(erdos_renyi_adjacency(b, n, 0.5, rng))
        pending.append(np.stack([window_codes(h, W) for W in windows], axis=1))
        done += b
        if done == samples or sum(len(c) for c in pending) >= 1 << 20:
            codes = np.concatenate(pending)
            pending = []
            for j, counts in enumerate(out):
                counts += np.bincount(codes[:, j], minlength=counts.size)
    return out


def window_code_counts(n: int, window: Sequence[int], *, method: str = "auto", samples: int = 20000,
                       seed=0) -> tuple[np.ndarray, str]:
    """Counts of the window parity code ``c = (h_i mod 2)_{i∈W}`` (bitmask over window positions).

    ``method="exact"`` (``n ≤ 7``): the marginal of :func:`parity_code_counts` (all graphs);
    ``"mc"``: ``samples`` graphs ``G(n, 1/2)`` (:func:`sampled_window_code_counts`); ``"auto"``:
    exact when possible. Returns ``(counts int64 [2^w], method)``; ``counts.sum()`` is the number
    of graphs.
    """
    n = check_n(n)
    window = _check_window(n, window)
    if method == "auto":
        method = "exact" if n <= MAX_EXACT_N else "mc"
    if method == "exact":
        if n > MAX_EXACT_N:
            raise InvalidParameterError(f"exact enumeration needs n <= {MAX_EXACT_N}, got n == {n}; use method='mc'.")
        return _exact_window_counts(n, window), "exact"
    if method != "mc":
        raise InvalidParameterError(f"method must be 'auto', 'exact' or 'mc', got {method!r}.")
    samples = check_int(samples, "samples", min_value=100)
    return sampled_window_code_counts(n, [window], samples, seed)[0], "mc"


def biases_from_counts(counts: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    r"""``b(U) = Σ_v P(c = v) (−1)^{|U ∧ v|}`` for every ``U`` (Walsh–Hadamard transform), with errors.

    Standard errors are 0 when ``method == "exact"``, else :math:`\sqrt{(1 - \hat b_U^2)/N}`
    (``se[0] = 0``). Shapes: ``counts [2^w] -> (bias [2^w], stderr [2^w])``.
    """
    N = int(counts.sum())
    bias = fwht(np.asarray(counts, dtype=np.int64)) / N
    if method == "exact":
        return bias, np.zeros_like(bias)
    se = np.sqrt(np.clip(1.0 - bias**2, 0.0, None) / N)
    se[0] = 0.0
    return bias, se


def window_biases(n: int, window: Sequence[int], *, method: str = "auto", samples: int = 20000,
                  seed=0) -> tuple[np.ndarray, np.ndarray, str]:
    """``E[f_U]`` for every ``U ⊆ window`` (bitmask over window positions), with standard errors.

    The Walsh–Hadamard transform of :func:`window_code_counts` (exact for ``n ≤ 7``, else
    ``samples`` graphs with ``se_U = sqrt((1 - b_U²)/N)``). Returns ``(bias[2^w], stderr[2^w],
    method)``; ``bias[0] = 1``.
    """
    counts, method = window_code_counts(n, window, method=method, samples=samples, seed=seed)
    bias, se = biases_from_counts(counts, method)
    return bias, se, method


# --------------------------------------------------------------------- span and moments
def _gf2_rank(rows: np.ndarray) -> int:
    """Rank over GF(2) of a boolean matrix ``[r, n]`` (elimination vectorized over rows)."""
    M = np.unique(np.asarray(rows, dtype=bool), axis=0)
    rank = 0
    for col in range(M.shape[1]):
        if M.shape[0] == 0:
            break
        piv = np.nonzero(M[:, col])[0]
        if piv.size == 0:
            continue
        p = M[piv[0]].copy()
        M = M[np.arange(M.shape[0]) != piv[0]]
        M[M[:, col]] ^= p
        rank += 1
    return rank


def parity_span_dimension(n: int, samples: int | None = None, seed=0) -> int:
    """Affine dimension of the parity vectors ``h(A) mod 2`` of sampled graphs on ``n`` nodes.

    The graphs are ``G(n, p)`` with ``p`` drawn uniformly from ``[1/(2n), 1 - 1/(2n)]`` per graph,
    so that every degree, including ``0`` and ``n - 1``, occurs. The result is a lower bound on
    the true dimension, which is at most ``n - 2`` (the two identities); a value ``n - 2`` proves
    that the constant parities are exactly ``∅, ALL, ODD, EVEN``.
    """
    n = check_n(n)
    samples = 8 * n + 64 if samples is None else check_int(samples, "samples", min_value=2)
    rng = as_generator(seed)
    p = rng.uniform(0.5 / n, 1 - 0.5 / n, size=samples)
    b = degree_histogram(erdos_renyi_adjacency(samples, n, p, rng)) % 2
    return _gf2_rank(b[1:] ^ b[0])


def count_moments(n: int, S: Sequence[int]) -> tuple[float, float]:
    """Exact mean and variance of ``c_S = Σ_{i∈S} h_i`` under ``G(n, 1/2)``.

    A node's degree is ``Binomial(n-1, 1/2)``; two distinct nodes share the edge between them
    (present with probability 1/2), so
    :math:`P(\\deg u = i, \\deg v = j) = \\tfrac12 \\sum_{e \\in \\{0,1\\}} B_{n-2}(i-e) B_{n-2}(j-e)`
    with :math:`B_N(k) = \\binom{N}{k} 2^{-N}`. Then :math:`E c = n \\sum_{i∈S} P(\\deg = i)` and
    :math:`E c^2 = \\sum_{i,j∈S} (n\\,P(\\deg = i) 1[i=j] + n(n-1) P(\\deg u = i, \\deg v = j))`.
    """
    from scipy.stats import binom

    n = check_n(n)
    S = np.asarray(parse_subset(n, S), dtype=np.int64)
    p1 = binom.pmf(S, n - 1, 0.5)
    joint = 0.5 * sum(np.outer(binom.pmf(S - e, n - 2, 0.5), binom.pmf(S - e, n - 2, 0.5)) for e in (0, 1))
    mean = n * p1.sum()
    second = n * p1.sum() + n * (n - 1) * joint.sum()
    return float(mean), float(second - mean**2)
