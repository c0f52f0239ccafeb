r"""GNN hardness in the number of nodes: parities of the degree histogram (SQ, no features).

The class
---------
Inputs are Erdős–Rényi graphs ``A ~ G(n, 1/2)`` (symmetric 0/1, zero diagonal), without node
features. The *degree histogram* is

.. math:: h(A)_i = \#\{v : \deg v = i\}, \qquad i = 0, \dots, n-1,

and for a set of degrees ``S`` the target is the parity :math:`f_S(A) = (-1)^{\sum_{i \in S} h_i(A)}`.
The hard class is :math:`\{f_S : \emptyset \ne S \subseteq W\}` for a *window* ``W`` of
central degrees; it has :math:`m = 2^{|W|} - 1` members, all ``±1``-valued and permutation
invariant (degrees do not depend on node labels).

Each :math:`f_S` is a two-layer GNN, built explicitly by :func:`degree_parity_network`
(:class:`~symhard.models.gnn.DenseGNN` with weights):

1. one message-passing step on all-ones features: :math:`\deg v = \sum_u A_{vu}` (ReLU of a
   non-negative integer is itself);
2. a node-wise ReLU MLP gives the one-hot vector of the degree, by the triangle
   :math:`1[t = j] = \mathrm{ReLU}(t-j+1) - 2\,\mathrm{ReLU}(t-j) + \mathrm{ReLU}(t-j-1)` (exact for
   integer ``t``), for ``j = 0..n-1`` (``3n`` hidden units);
3. sum readout gives the histogram ``h``;
4. the head computes :math:`c_S = \sum_{i \in S} h_i \in \{0, \dots, n\}` and the sawtooth
   :math:`(-1)^{c} = 1 - 2 \sum_{j=0}^{n-1} (-1)^j [\mathrm{ReLU}(c-j) - \mathrm{ReLU}(c-j-1)]`
   (``n + 1`` hidden units ``ReLU(c - t)``, ``t = 0..n``); for integer ``c`` the bracket is
   :math:`1[c > j]`, and the alternating sum of ``c`` ones is ``c mod 2``.

All weights and intermediate values are small integers, so the network computes ``f_S``
exactly in floating point; the certificate checks this on every graph for ``n ≤ 6``
(:math:`2^{15}` graphs) and on sampled graphs beyond (realization error 0).

Degenerate parities
-------------------
Two identities hold for every graph: :math:`\sum_i h_i = n`, and (handshake lemma) the number
of odd-degree nodes :math:`\sum_{i \text{ odd}} h_i` is even. Hence the parities of
``ALL = {0..n-1}``, ``ODD``, ``EVEN = ALL Δ ODD`` (and of ``∅``) are constant:
:math:`f_{ALL} = f_{EVEN} = (-1)^n`, :math:`f_{ODD} = f_\emptyset = 1`. These are the *only* constant
parities: enumerating all graphs for ``n = 3..7`` shows that the parity vectors
``b = h mod 2`` affinely span a space of dimension exactly ``n - 2`` (:func:`constant_parities`),
and for larger ``n`` :func:`parity_span_dimension` exhibits sampled graphs whose parity vectors
span dimension ``n - 2``, which *proves* it for that ``n`` (graphs found are real graphs).
Degenerate members are detected by :func:`degenerate_reason` and a user-given degenerate ``S``
raises :class:`~symhard.errors.DegenerateMemberError`.

Choice of the window
--------------------
``W`` is the run of ``|W|`` consecutive degrees centred at ``(n-1)/2``
(:func:`central_window`). Central degrees are where the counts are large (:math:`E h_i \approx
\sqrt{2n/\pi}` at the centre, spread :math:`\approx n^{1/4}`), so their parities are nearly
unbiased; degrees ``0`` and ``n-1`` are excluded because :math:`P(h_0 > 0) \le n 2^{1-n}` (their
parities are almost constant). Two members whose symmetric difference is degenerate would be
perfectly correlated, so the window must contain no nonempty degenerate set: ``|W| ≤ n - 2`` for
even ``n`` and ``|W| ≤ n - 3`` for odd ``n`` (else ``W = {1..n-2}`` contains ``ODD``);
:func:`max_window` returns this limit.

Correlations and the bound
--------------------------
Because :math:`f_S f_T = f_{S \Delta T}`, every pairwise correlation is a bias:
:math:`E[f_S f_T] = E[f_{S \Delta T}]`, and :math:`\{S \Delta T\}` over distinct members is every
nonempty ``U ⊆ W``. So the largest off-diagonal correlation equals the largest bias
:math:`\gamma = \max_{\emptyset \ne U \subseteq W} |E f_U|` (``max_abs_bias``). It is computed
exactly for ``n ≤ 7`` by enumerating all :math:`2^{n(n-1)/2}` graphs (vectorized over degree
sequences; 2,097,152 graphs at ``n = 7``) and by Monte Carlo with standard errors
:math:`\sqrt{(1 - \hat b^2)/N}` beyond. All members have :math:`E f_S^2 = 1`. For ``±1`` targets
SQ and CSQ agree up to a factor 2, and the pairwise-correlation bound (Szörényi 2009) gives:
any SQ learner of the class needs at least

.. math:: q \ge \frac{m(\tau^2 - \gamma)}{2}, \qquad m = 2^{|W|} - 1,

queries of tolerance ``τ`` when :math:`\tau^2 > \gamma` (vacuous otherwise). With Monte Carlo,
``γ`` is replaced by the upper confidence value :math:`\max_U (|\hat b_U| + 3\,\mathrm{se}_U)`.
The paper's statement, :math:`\tau^2 2^{n^{\Omega(1)}}` queries, is this with :math:`|W| = n^{\Omega(1)}`
and :math:`\gamma \to 0`; the certificate exhibits ``γ`` shrinking with ``n``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .._random import as_generator
from ..errors import DegenerateMemberError, InvalidParameterError, check_int, check_tau
from ..models.gnn import DenseGNN, constant_features
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role

__all__ = [
    "MAX_EXACT_N",
    "MAX_EXHAUSTIVE_REALIZATION_N",
    "max_window",
    "central_window",
    "identity_degenerate_sets",
    "degenerate_reason",
    "check_subset",
    "all_graphs",
    "sample_graphs",
    "degree_histogram",
    "parity_target",
    "enumerate_degrees",
    "parity_code_counts",
    "exact_parity_biases",
    "constant_parities",
    "window_biases",
    "parity_span_dimension",
    "degree_parity_weights",
    "degree_parity_network",
    "realization_error",
    "count_moments",
    "pairwise_correlation_bound",
    "GNNDegreeParity",
    "DegreeParityTask",
]

MAX_EXACT_N = 7  # exact biases by enumerating all 2^{n(n-1)/2} graphs
MAX_EXHAUSTIVE_REALIZATION_N = 6  # the network is evaluated on every graph up to this n
MAX_N = 400
_CHUNK = 4096


# ------------------------------------------------------------------------------- validation
def _check_n(n: Any) -> int:
    return check_int(n, "n", min_value=4, max_value=MAX_N)


def max_window(n: int) -> int:
    """The largest window size: ``n - 2`` for even ``n``, ``n - 3`` for odd ``n`` (see module doc)."""
    n = _check_n(n)
    return n - 2 if n % 2 == 0 else n - 3


def central_window(n: int, size: int) -> tuple[int, ...]:
    """The ``size`` consecutive degrees centred at ``(n-1)/2``: ``start = ⌊(n-1)/2 - (size-1)/2⌋``.

    >>> central_window(8, 4)
    (2, 3, 4, 5)
    """
    n = _check_n(n)
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


def _mask(S: Sequence[int]) -> int:
    return sum(1 << int(i) for i in set(S))


def identity_degenerate_sets(n: int) -> dict[str, tuple[tuple[int, ...], int]]:
    """The nonempty sets whose parity is fixed by the two identities, with the constant value.

    ``{"all": (ALL, (-1)^n), "odd": (ODD, +1), "even": (EVEN, (-1)^n)}``.
    """
    n = _check_n(n)
    sign = -1 if n % 2 else 1
    return {
        "all": (tuple(range(n)), sign),
        "odd": (tuple(range(1, n, 2)), 1),
        "even": (tuple(range(0, n, 2)), sign),
    }


def _parse_subset(n: int, S: Any) -> tuple[int, ...]:
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


def degenerate_reason(n: int, S: Sequence[int]) -> str | None:
    """Why ``f_S`` is constant on ``G(n, 1/2)`` graphs, or ``None`` when it is not.

    Uses the identities for every ``n`` (these are all constant parities, see the module
    docstring) and, for ``n ≤ MAX_EXACT_N``, the exact bias from enumerating all graphs.
    """
    n = _check_n(n)
    S = _parse_subset(n, S)
    if not S:
        return "the empty set gives the constant function 1"
    m = _mask(S)
    for name, (T, value) in identity_degenerate_sets(n).items():
        if m == _mask(T):
            why = "sum_i h_i = n" if name == "all" else (
                "the handshake lemma (the number of odd-degree nodes is even)" if name == "odd"
                else "sum_i h_i = n together with the handshake lemma")
            return f"S is the set of {'all' if name == 'all' else name} degrees, so f_S == {value:+d} by {why}"
    if n <= MAX_EXACT_N:
        bias = exact_parity_biases(n)[m]
        if abs(abs(bias) - 1.0) < 1e-12:
            return f"f_S == {int(np.sign(bias)):+d} on every graph (exact enumeration of all graphs on {n} nodes)"
    return None


def check_subset(n: int, S: Any) -> tuple[int, ...]:
    """Parse ``S`` (sequence or ``"3,4"``) and raise :class:`DegenerateMemberError` if ``f_S`` is constant."""
    n = _check_n(n)
    S = _parse_subset(n, S)
    why = degenerate_reason(n, S)
    if why is not None:
        raise DegenerateMemberError(
            f"subset {list(S)} is degenerate for n == {n}: {why}; choose S inside a central window, "
            f"e.g. {list(central_window(n, min(2, max_window(n))))}."
        )
    return S


# ---------------------------------------------------------------------------------- graphs
def _edge_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


def all_graphs(n: int) -> np.ndarray:
    """Every graph on ``n`` labelled nodes as ``uint8`` adjacency ``[2^{n(n-1)/2}, n, n]``.

    Graph ``c`` has edge ``e`` (in ``np.triu_indices(n, 1)`` order) iff bit ``e`` of ``c`` is set.
    Refused beyond ``n = 6`` (2^21 graphs would need 100 MB); use :func:`enumerate_degrees`.
    """
    n = check_int(n, "n", min_value=1, max_value=MAX_EXHAUSTIVE_REALIZATION_N)
    iu, ju = _edge_pairs(n)
    E = iu.size
    codes = np.arange(2**E, dtype=np.int64)
    bits = ((codes[:, None] >> np.arange(E)) & 1).astype(np.uint8)
    A = np.zeros((2**E, n, n), dtype=np.uint8)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


def sample_graphs(m: int, n: int, p: float | np.ndarray = 0.5, seed=None) -> np.ndarray:
    """``m`` independent ``G(n, p)`` graphs as ``uint8`` adjacency ``[m, n, n]`` (zero diagonal).

    ``p`` may be an array ``[m]`` (one edge probability per graph).
    """
    m = check_int(m, "m", min_value=1)
    n = check_int(n, "n", min_value=1)
    rng = as_generator(seed)
    iu, ju = _edge_pairs(n)
    p = np.asarray(p, dtype=np.float64)
    p = p[:, None] if p.ndim == 1 else p
    bits = (rng.random((m, iu.size)) < p).astype(np.uint8)
    A = np.zeros((m, n, n), dtype=np.uint8)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


def _sample_graphs_torch(m: int, n: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    iu, ju = (torch.as_tensor(t) for t in _edge_pairs(n))
    bits = (torch.rand(m, iu.numel(), generator=generator) < 0.5).to(dtype)
    A = torch.zeros(m, n, n, dtype=dtype)
    A[:, iu, ju] = bits
    A[:, ju, iu] = bits
    return A


def degree_histogram(A) -> np.ndarray | torch.Tensor:
    """``h[..., i] = #{v : Σ_u A[..., v, u] = i}``, ``i = 0..n-1`` (numpy or torch, integer).

    Shapes: ``A[..., n, n] -> [..., n]``.
    """
    if isinstance(A, torch.Tensor):
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
    """``f_S(A) = (-1)^{Σ_{i∈S} h_i(A)}`` (numpy float64 or torch in ``A``'s float dtype).

    Shapes: ``A[..., n, n] -> [...]``.
    """
    h = degree_histogram(A)
    idx = list(S)
    if isinstance(h, torch.Tensor):
        c = h[..., idx].sum(-1)
        dtype = A.dtype if A.is_floating_point() else torch.float64
        return (1 - 2 * (c % 2)).to(dtype)
    c = h[..., idx].sum(-1)
    return (1 - 2 * (c % 2)).astype(np.float64)


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


def _fwht(v: np.ndarray) -> np.ndarray:
    """Unnormalized Walsh–Hadamard transform along the last axis: ``out[U] = Σ_c (-1)^{|U∧c|} v[c]``."""
    v = np.array(v, copy=True)
    L = v.shape[-1]
    lead = v.shape[:-1]
    h = 1
    while h < L:
        v = v.reshape(*lead, L // (2 * h), 2, h)
        a = v[..., 0, :].copy()
        b = v[..., 1, :]
        v[..., 0, :] = a + b
        v[..., 1, :] = a - b
        v = v.reshape(*lead, L)
        h *= 2
    return v


@functools.lru_cache(maxsize=None)
def exact_parity_biases(n: int) -> np.ndarray:
    """``bias[U] = E[f_U]`` over ``G(n, 1/2)`` for every ``U ⊆ {0..n-1}`` (bitmask index), exactly.

    The Walsh–Hadamard transform of :func:`parity_code_counts` in integers, divided by the
    number of graphs. ``n ≤ 7``.
    """
    counts = parity_code_counts(n)
    out = _fwht(counts) / float(counts.sum())
    out.setflags(write=False)
    return out


def constant_parities(n: int) -> list[tuple[int, ...]]:
    """Every nonempty ``S`` with ``f_S`` constant over all graphs on ``n ≤ 7`` nodes (exact)."""
    b = exact_parity_biases(n)
    idx = np.nonzero(np.abs(np.abs(b) - 1.0) < 1e-12)[0]
    return [tuple(i for i in range(n) if U >> i & 1) for U in idx if U]


def _window_codes(h: np.ndarray, window: Sequence[int]) -> np.ndarray:
    bits = (h[..., list(window)] % 2).astype(np.int64)
    return bits @ (1 << np.arange(len(window), dtype=np.int64))


def window_biases(n: int, window: Sequence[int], *, method: str = "auto", samples: int = 20000,
                  seed=0) -> tuple[np.ndarray, np.ndarray, str]:
    """``E[f_U]`` for every ``U ⊆ window`` (bitmask over window positions), with standard errors.

    ``method="exact"`` (``n ≤ 7``): marginal of :func:`parity_code_counts` on the window bits,
    then a Walsh–Hadamard transform; standard errors 0. ``method="mc"``: ``samples`` graphs
    ``G(n, 1/2)``, empirical distribution of the window parity bits, its transform, and
    ``se_U = sqrt((1 - b_U²)/N)``. ``"auto"`` is exact when possible.

    Returns ``(bias[2^w], stderr[2^w], method)``; ``bias[0] = 1``.
    """
    n = _check_n(n)
    window = tuple(int(i) for i in window)
    w = len(window)
    if method == "auto":
        method = "exact" if n <= MAX_EXACT_N else "mc"
    if method == "exact":
        if n > MAX_EXACT_N:
            raise InvalidParameterError(f"exact enumeration needs n <= {MAX_EXACT_N}, got n == {n}; use method='mc'.")
        counts = parity_code_counts(n)
        codes = np.arange(2**n, dtype=np.int64)
        wcodes = sum(((codes >> i) & 1) << t for t, i in enumerate(window))
        dist = np.bincount(wcodes, weights=counts, minlength=2**w)
        bias = _fwht(dist) / counts.sum()
        return bias, np.zeros_like(bias), "exact"
    if method != "mc":
        raise InvalidParameterError(f"method must be 'auto', 'exact' or 'mc', got {method!r}.")
    samples = check_int(samples, "samples", min_value=100)
    rng = as_generator(seed)
    dist = np.zeros(2**w)
    chunk = max(1, min(_CHUNK, 2_000_000 // (n * n)))
    done = 0
    while done < samples:
        b = min(chunk, samples - done)
        h = degree_histogram(sample_graphs(b, n, 0.5, rng))
        dist += np.bincount(_window_codes(h, window), minlength=2**w)
        done += b
    bias = _fwht(dist) / samples
    se = np.sqrt(np.clip(1.0 - bias**2, 0.0, None) / samples)
    se[0] = 0.0
    return bias, se, "mc"


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
    n = _check_n(n)
    samples = 8 * n + 64 if samples is None else check_int(samples, "samples", min_value=2)
    rng = as_generator(seed)
    p = rng.uniform(0.5 / n, 1 - 0.5 / n, size=samples)
    b = degree_histogram(sample_graphs(samples, n, p, rng)) % 2
    return _gf2_rank(b[1:] ^ b[0])


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
    n = _check_n(n)
    subsets = [_parse_subset(n, S) for S in subsets]
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


def realization_error(n: int, subsets: Sequence[Sequence[int]], *, samples: int = 2000, seed=0) -> tuple[float, int, str]:
    """``max |network - f_S|`` over the graphs tried and all ``S`` in ``subsets``.

    Every graph for ``n ≤ 6`` (``"exhaustive"``); otherwise ``samples`` graphs, half ``G(n, 1/2)``
    and half ``G(n, p)`` with ``p`` uniform in ``[1/(2n), 1 - 1/(2n)]`` so that extreme degrees
    occur (``"sampled"``). Returns ``(error, graphs, mode)``.
    """
    n = _check_n(n)
    net = degree_parity_network(n, subsets)
    subsets = [_parse_subset(n, S) for S in subsets]
    if n <= MAX_EXHAUSTIVE_REALIZATION_N:
        A_all, mode = all_graphs(n), "exhaustive"
    else:
        samples = check_int(samples, "samples", min_value=2)
        rng = as_generator(seed)
        half = samples // 2
        p = np.concatenate([np.full(half, 0.5), rng.uniform(0.5 / n, 1 - 0.5 / n, samples - half)])
        A_all, mode = sample_graphs(samples, n, p, rng), "sampled"
    err = 0.0
    with torch.no_grad():
        for start in range(0, A_all.shape[0], _CHUNK):
            A = torch.as_tensor(A_all[start:start + _CHUNK], dtype=torch.float64)
            out = net(constant_features(A), A)
            h = degree_histogram(A_all[start:start + _CHUNK])
            target = np.stack([1.0 - 2.0 * (h[:, list(S)].sum(-1) % 2) for S in subsets])
            err = max(err, float(np.max(np.abs(out.numpy() - target))))
    return err, int(A_all.shape[0]), mode


# ---------------------------------------------------------------------- count moments
def count_moments(n: int, S: Sequence[int]) -> tuple[float, float]:
    """Exact mean and variance of ``c_S = Σ_{i∈S} h_i`` under ``G(n, 1/2)``.

    A node's degree is ``Binomial(n-1, 1/2)``; two distinct nodes share the edge between them
    (present with probability 1/2), so
    :math:`P(\\deg u = i, \\deg v = j) = \\tfrac12 \\sum_{e \\in \\{0,1\\}} B_{n-2}(i-e) B_{n-2}(j-e)`
    with :math:`B_N(k) = \\binom{N}{k} 2^{-N}`. Then :math:`E c = n \\sum_{i∈S} P(\\deg = i)` and
    :math:`E c^2 = \\sum_{i,j∈S} (n\\,P(\\deg = i) 1[i=j] + n(n-1) P(\\deg u = i, \\deg v = j))`.
    """
    from scipy.stats import binom

    n = _check_n(n)
    S = np.asarray(_parse_subset(n, S), dtype=np.int64)
    p1 = binom.pmf(S, n - 1, 0.5)
    joint = 0.5 * sum(np.outer(binom.pmf(S - e, n - 2, 0.5), binom.pmf(S - e, n - 2, 0.5)) for e in (0, 1))
    mean = n * p1.sum()
    second = n * p1.sum() + n * (n - 1) * joint.sum()
    return float(mean), float(second - mean**2)


# ------------------------------------------------------------------------------ the bound
def pairwise_correlation_bound(members: int, gamma: float, tau: float, what: str = "") -> LowerBound:
    """Szörényi's pairwise-correlation bound ``q ≥ m(τ² - γ)/2`` (:func:`symhard.queries.bounds.csq_pairwise_bound`).

    Valid for ``m`` unit-norm functions with ``|E f_i f_j| ≤ γ`` (``i ≠ j``) when ``τ² > γ``;
    otherwise vacuous (``queries = 0``). ``what`` annotates how ``γ`` was obtained.
    """
    from ..queries.bounds import csq_pairwise_bound

    tau = check_tau(tau)
    lb = csq_pairwise_bound(int(members), min(max(float(gamma), 0.0), 1.0), tau)
    if what:
        lb.formula += f"; gamma{what}"
    if not tau**2 > gamma:
        lb.queries = 0.0
        lb.formula += f": tau^2 <= gamma, a tolerance tau < sqrt(gamma) = {math.sqrt(max(gamma, 0)):.3g} is needed"
    return lb


def _class_gamma(n: int, window: Sequence[int], samples: int, seed) -> tuple[float, float, float, str, np.ndarray, np.ndarray]:
    bias, se, method = window_biases(n, window, samples=samples, seed=seed)
    nz = np.arange(1, bias.size)
    k = nz[np.argmax(np.abs(bias[nz]))]
    gamma = float(abs(bias[k]))
    gamma_ub = float(np.max(np.abs(bias[nz]) + 3 * se[nz]))
    return gamma, float(se[k]), gamma_ub, method, bias, se


# ------------------------------------------------------------------------------ the family
class GNNDegreeParity(Family):
    """Parities of degree-histogram counts on G(n, 1/2) graphs, written as two-layer GNNs."""

    name = "gnn-degree-parity"
    summary = ("f_S(A) = (-1)^{sum_{i in S} h_i(A)}, h = degree histogram of A ~ G(n,1/2), "
               "S a nonempty subset of a central window W of degrees; each f_S is an exact 2-layer GNN")
    theorem = ("SQ (= CSQ for +-1 targets): >= m(tau^2 - gamma)/2 queries of tolerance tau, m = 2^|W| - 1, "
               "gamma = max_U |E f_U| -> 0 as n grows; paper: tau^2 2^{n^Omega(1)}")
    symmetry = "S_n permuting the n nodes of the graph (A -> P A P^T)"
    bound = "csq-counting"
    params = (
        Param("n", "int", 8, "number of nodes", low=4, high=MAX_N),
        Param("window", "int", None, "number of central degrees in W (default min(4, max))", low=1, optional=True),
        Param("subset", "ints", None, "certify one member f_S, e.g. 3,4", optional=True),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
        Param("samples", "int", 20000, "Monte-Carlo graphs when n > 7", low=100),
        Param("seed", "int", 0, "seed of the Monte-Carlo and realization samples", low=0),
        Param("realization_samples", "int", 2000, "sampled graphs for the realization check when n > 6", low=2),
    )

    def _certify(self, n: int, window: int | None, subset: Any, tau: float, samples: int, seed: int,
                 realization_samples: int) -> Certificate:
        """Certificate of the window class (or, with ``subset``, of the one member ``f_S``).

        With ``subset``: ``members = 1``, ``max_offdiag_corr = |E f_S|`` (its correlation with the
        constant function, the only other parity it can be confused with), and the lower bound
        is that of the window class.
        """
        n = _check_n(n)
        tau = check_tau(tau)
        window = min(4, max_window(n)) if window is None else window
        W = central_window(n, window)
        w = len(W)
        gamma, gamma_se, gamma_ub, method, bias, se = _class_gamma(n, W, samples, seed)
        what = "" if method == "exact" else " (max |b_U| + 3 se_U, Monte Carlo)"
        bound = pairwise_correlation_bound(2**w - 1, gamma if method == "exact" else gamma_ub, tau, what)
        dim = (n - 2) if n <= MAX_EXACT_N and len(constant_parities(n)) == 3 else parity_span_dimension(n, seed=seed)
        extra: dict[str, Any] = {
            "window_degrees": list(W),
            "max_abs_bias": gamma,
            "max_abs_bias_stderr": gamma_se,
            "parity_affine_dim": dim,
            "parity_affine_dim_expected": n - 2,
            "constant_parities": {k: list(v[0]) for k, v in identity_degenerate_sets(n).items()},
            "samples": 0 if method == "exact" else int(samples),
            "graphs_enumerated": 2 ** (n * (n - 1) // 2) if method == "exact" else 0,
        }
        params = {"n": n, "window": w, "tau": tau, "seed": seed}
        if subset is not None:
            S = check_subset(n, subset)
            params["subset"] = list(S)
            err, graphs, mode = realization_error(n, [S], samples=realization_samples, seed=seed)
            if n <= MAX_EXACT_N:
                b_S, se_S = float(exact_parity_biases(n)[_mask(S)]), 0.0
                m_method = "exact"
            else:
                bS, seS, _ = window_biases(n, S, method="mc", samples=samples, seed=seed)
                b_S, se_S, m_method = float(bS[-1]), float(seS[-1]), "mc"
            extra.update({"subset_bias": b_S, "max_abs_bias": abs(b_S), "max_abs_bias_stderr": se_S,
                          "realization_graphs": graphs, "realization_mode": mode,
                          "lower_bound_class": f"the window class on degrees {list(W)}"})
            return Certificate(family=self.name, params=params, method=m_method, members=1,
                               realization_error=err, max_offdiag_corr=abs(b_S), max_offdiag_corr_stderr=se_S,
                               min_norm=1.0, lower_bound=bound, extra=extra)
        subsets = [tuple(W[t] for t in range(w) if U >> t & 1) for U in range(1, 2**w)]
        err, graphs, mode = realization_error(n, subsets[:64], samples=realization_samples, seed=seed)
        extra.update({"realization_graphs": graphs, "realization_mode": mode,
                      "realization_members_checked": min(64, len(subsets))})
        return Certificate(family=self.name, params=params, method=method, members=2**w - 1,
                           realization_error=err, max_offdiag_corr=gamma, max_offdiag_corr_stderr=gamma_se,
                           min_norm=1.0, lower_bound=bound, extra=extra)

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        samples = 20000 if quick else 200000
        ns = list(range(4, 8)) + ([8, 10, 12, 16, 20, 28] if quick else [8, 10, 12, 16, 20, 24, 32, 48, 64])
        rows = []
        for w in (2, 3):
            for n in ns:
                if w > max_window(n):
                    continue
                g, g_se, _, method, _, _ = _class_gamma(n, central_window(n, w), samples, seed=n)
                rows.append((w, n, g, g_se, method))
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        for w, marker in ((2, "o"), (3, "s")):
            pts = [r for r in rows if r[0] == w]
            ax.errorbar([r[1] for r in pts], [r[2] for r in pts], yerr=[2 * r[3] for r in pts],
                        marker=marker, capsize=3, label=f"|W| = {w}")
        ax.axhline(3 / math.sqrt(samples), color="grey", ls=":", label=f"3/sqrt(N), N = {samples}")
        ax.axvline(MAX_EXACT_N + 0.5, color="grey", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("n (nodes); exact for n <= 7, Monte Carlo beyond (2 se bars)")
        ax.set_ylabel("max |E f_U| over the class")
        ax.set_title("gnn-degree-parity: largest bias vs n")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "gnn_degree_parity_bias.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        cert = self.certificate(n=8, window=4, samples=samples)
        table = "\n".join(
            f"| {w} | {n} | {m} | {g:.4g} | {s:.2g} |" for w, n, g, s, m in rows
        )
        text = (
            "Parities f_S(A) = (-1)^{sum_{i in S} h_i} of the degree histogram of G(n,1/2) graphs, S in a "
            "central window W. Each f_S is an exact two-layer GNN (realization error "
            f"{cert.realization_error:g} on {cert.extra['realization_graphs']} graphs at n = 8). The largest "
            "bias over the class (= largest pairwise correlation) shrinks with n:\n\n"
            "| |W| | n | method | max abs bias | stderr |\n|---|---|---|---|---|\n" + table + "\n"
        )
        return ReportSection(title="GNN hardness in the number of nodes (degree parities)", text=text,
                             certificates=[cert], figures=[path])


# ---------------------------------------------------------------------------- learning task
@dataclass
class DegreeParityTask:
    """Learning task: a degree parity (``"hard"``) or the standardized count (``"control"``).

    Inputs ``(X, A)``: ``X = 1 [m, n, 1]``, ``A ~ G(n, 1/2) [m, n, n]`` (float32; they depend only on
    ``n`` and the generator). Hard target ``f_S`` (``±1``, unit second moment exactly); control
    target :math:`(c_S - E c_S)/\\mathrm{sd}(c_S)` with the exact moments of :func:`count_moments`.
    The model is a :class:`~symhard.models.gnn.DenseGNN`: one message-passing layer of the given
    width, a two-layer node MLP, mean readout, and a one-hidden-layer head.
    """

    n: int
    role: str
    subset: tuple[int, ...]
    family: str = "gnn-degree-parity"
    param_name: str = "n"
    param_value: int = field(init=False)
    hidden_units: int = field(init=False)

    def __post_init__(self) -> None:
        self.param_value = self.n
        self.hidden_units = 3 * self.n + self.n + 1
        self._mean, var = count_moments(self.n, self.subset)
        self._sd = math.sqrt(var)

    def sample_inputs(self, m: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        A = _sample_graphs_torch(m, self.n, generator)
        return constant_features(A), A

    def target(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        if self.role == "hard":
            return parity_target(A, self.subset)
        c = degree_histogram(A)[..., list(self.subset)].sum(-1).to(A.dtype)
        return (c - self._mean) / self._sd

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> DenseGNN:
        return DenseGNN(ensemble, 1, mp_channels=(width,), node_channels=(width, width),
                        head_channels=(width,), readout="mean", activation="relu", generator=generator)

    def lower_bound(self, tau: float) -> LowerBound:
        W = central_window(self.n, min(4, max_window(self.n)))
        gamma, _, gamma_ub, method, _, _ = _class_gamma(self.n, W, 20000, seed=0)
        what = "" if method == "exact" else " (max |b_U| + 3 se_U, Monte Carlo)"
        return pairwise_correlation_bound(2 ** len(W) - 1, gamma if method == "exact" else gamma_ub, tau, what)


def degree_parity_task(param_value: int, role: str, seed: int, *, window: int | None = None,
                       max_subset: int = 2) -> DegreeParityTask:
    """Task factory: ``n = param_value``; ``seed`` picks ``S``, a nonempty subset of the central
    window (size ``min(4, max_window(n))`` by default) with at most ``max_subset`` degrees."""
    n = _check_n(param_value)
    check_role(role)
    W = central_window(n, min(4, max_window(n)) if window is None else window)
    max_subset = check_int(max_subset, "max_subset", min_value=1)
    choices = [tuple(W[t] for t in range(len(W)) if U >> t & 1) for U in range(1, 2 ** len(W))]
    choices = [S for S in choices if len(S) <= max_subset and degenerate_reason(n, S) is None]
    S = choices[int(as_generator(seed).integers(len(choices)))]
    return DegreeParityTask(n=n, role=role, subset=S)


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
