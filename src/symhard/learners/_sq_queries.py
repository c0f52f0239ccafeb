r"""The SQ learner's queries: Reynolds products, the two structured queries, and oracles that answer them.

Queries
-------
For a set :math:`V` with last point :math:`e` and prefix :math:`U = V \setminus \{e\}`:

* support: :math:`\varphi_V(x, y) = y^2 R^{(2)}_V(x)`,
  :math:`R^{(2)}_V = \frac{1}{|G|}\sum_{g\in G}\prod_{j\in gV}(x_j^2 - 1)`;
* correlation: :math:`\psi_V(x, y) = y\,p_{[V]}(x)`,
  :math:`p_{[V]} = \sqrt{|\mathrm{orb} V|}\,\frac{1}{|G|}\sum_g x_{gV}` (or, as a CSQ, :math:`h = p_{[V]}`),

each asked clipped, :math:`\mathrm{clip}(\cdot, \pm B)/B`, so that its values lie in [−1, 1]. Both
are columns of the *Reynolds products* of :func:`reynolds_products` (one call gives every
:math:`e` for a prefix U, which is why the learner grows sets one point at a time).

Answers always come from the sample the query is evaluated on: a query's function computes its
Reynolds products from the array it is given. An :class:`EmpiricalOracle` (one fixed sample)
keeps a :class:`ReynoldsCache` of its own: the products of *its* sample, keyed by (group,
transform, prefix) and bounded in bytes, dropped with the oracle. (An earlier module-level cache
keyed by ``id(x)`` answered from freed arrays whose address a new array had reused.)

Oracles
-------
The learner talks to any :class:`symhard.queries.oracles.Oracle` of kind ``"sq"`` through
:class:`~symhard.queries.oracles.Query` objects whose ``key`` is ``(kind, V, B)``:

* exact: ``ExactOracle(expectation=exact_expectation(target, group), kind="sq")`` — the closed forms
  of the support identity and of Hermite orthonormality, computed from the target's coefficients
  (the unclipped expectation divided by B; it lies within :math:`t/(4B)` of the clipped one);
* sampled: :class:`EmpiricalOracle` (a fixed sample, the same one gradient descent trains on) or
  :class:`~symhard.queries.oracles.SampledOracle` (fresh samples per query);
* adversarial: ``ExactOracle(expectation=adversarial_expectation(target, group))`` answers
  :math:`\mathbb{E} \pm 0.99\tau`, pushed toward the learner's decision threshold (the worst case the
  SQ model allows).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .._lazy import is_tensor
from ..errors import InvalidParameterError, check_int
from ..families.polynomials import ELEMENT_CANON_CAP, HermitePolynomial, multilinear_orbit_sum
from ..groups import PermutationGroup
from ..queries.oracles import Answer, Oracle, Query

__all__ = [
    "reynolds_products", "ReynoldsCache", "support_query", "correlation_query", "exact_expectation",
    "adversarial_expectation", "EmpiricalOracle", "as_numpy",
]

Products = Callable[[np.ndarray, PermutationGroup, str, tuple], np.ndarray]


def as_numpy(a: Any) -> np.ndarray:
    """``a`` as a float64 numpy array (torch tensors are moved to the CPU)."""
    if is_tensor(a):
        import torch

        return a.detach().to("cpu", torch.float64).numpy()
    return np.asarray(a, dtype=np.float64)


# ------------------------------------------------------------------------------ Reynolds products
def reynolds_products(Z: np.ndarray, group: PermutationGroup, prefix: tuple[int, ...]) -> np.ndarray:
    r"""For every point :math:`e`, :math:`R_e = \frac{1}{|G|}\sum_{g\in G}\prod_{j\in g(U\cup\{e\})} Z_j`.

    Shapes: ``Z (m, n)`` → ``(m, n)`` (column ``e``; columns ``e ∈ U`` are meaningless). For the
    shift group :math:`\mathbb{Z}_n` (:math:`g_s(i) = i+s`, :meth:`PermutationGroup.is_cyclic_shift`)
    it is the circular cross-correlation :math:`\frac1n\sum_s P_s Z_{e+s}` of
    :math:`P_s = \prod_{j\in U} Z_{j+s}` with Z, by real FFT in :math:`O(mn\log n)`; otherwise a
    gather over the enumerated elements, :math:`O(m|G|n)`.
    """
    m, n = Z.shape
    U = np.asarray(prefix, dtype=np.int64)
    if group.is_cyclic_shift():
        shifts = (U[None, :] + np.arange(n)[:, None]) % n  # (n shifts, |U|)
        P = Z[:, shifts].prod(axis=-1) if U.size else np.ones((m, n))
        return np.fft.irfft(np.conj(np.fft.rfft(P, axis=1)) * np.fft.rfft(Z, axis=1), n=n, axis=1) / n
    elems = group.elements()
    out = np.empty((m, n))
    step = max(1, (1 << 23) // (len(elems) * n))
    for s in range(0, m, step):
        Zs = Z[s:s + step]
        P = Zs[:, elems[:, U]].prod(axis=-1) if U.size else np.ones((Zs.shape[0], len(elems)))
        out[s:s + step] = np.einsum("mg,mge->me", P, Zs[:, elems]) / len(elems)
    return out


def _direct_products(x: np.ndarray, group: PermutationGroup, transform: str, prefix: tuple) -> np.ndarray:
    """Reynolds products of ``x`` (``"x"``) or of ``x² − 1`` (``"herm2"``), computed now."""
    return reynolds_products(x * x - 1.0 if transform == "herm2" else x, group, prefix)


def _group_key(group: PermutationGroup) -> tuple:
    """A content key of a group: its degree and generators (not its ``id``)."""
    return group.degree, b"".join(np.asarray(g, dtype=np.int64).tobytes() for g in group.generators)


class ReynoldsCache:
    """The Reynolds products of *one* fixed sample ``x``, computed once per (group, transform, prefix).

    It keeps a reference to ``x`` (made read-only by :class:`EmpiricalOracle`) and answers from the
    cache only when called with that very array, so no other array can get its answers; any other
    array is computed directly. Least recently used entries are dropped to stay within
    ``max_bytes`` (default: twice ``x.nbytes``, i.e. two prefixes); an entry larger than that is not
    kept. ``hits`` and ``misses`` count lookups.
    """

    def __init__(self, x: np.ndarray, max_bytes: int | None = None) -> None:
        self.x = x
        self.max_bytes = 2 * x.nbytes if max_bytes is None else check_int(max_bytes, "max_bytes", min_value=0)
        self._store: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __call__(self, x: np.ndarray, group: PermutationGroup, transform: str, prefix: tuple) -> np.ndarray:
        if x is not self.x:
            return _direct_products(x, group, transform, prefix)
        key = (_group_key(group), transform, tuple(int(i) for i in prefix))
        if key in self._store:
            self.hits += 1
            self._store.move_to_end(key)
            return self._store[key]
        self.misses += 1
        value = _direct_products(x, group, transform, prefix)
        if value.nbytes <= self.max_bytes:
            while self._store and self.nbytes + value.nbytes > self.max_bytes:
                self._store.popitem(last=False)
            self._store[key] = value
        return value


# ------------------------------------------------------------------------------ the structured queries
def _support_raw(group: PermutationGroup, V: tuple[int, ...], x: Any, y: Any,
                 products: Products | None = None) -> np.ndarray:
    """Unclipped :math:`y^2 R^{(2)}_V(x)`, shape ``(m,)``."""
    x, y = as_numpy(x), as_numpy(y)
    return y * y * (_direct_products if products is None else products)(x, group, "herm2", V[:-1])[:, V[-1]]


def _correlation_raw(group: PermutationGroup, V: tuple[int, ...], scale: float, x: Any, y: Any = None,
                     products: Products | None = None) -> np.ndarray:
    """Unclipped :math:`y\\,p_{[V]}(x)` (or :math:`p_{[V]}(x)` when ``y`` is None), shape ``(m,)``."""
    x = as_numpy(x)
    h = scale * (_direct_products if products is None else products)(x, group, "x", V[:-1])[:, V[-1]] if V else np.ones(x.shape[0])
    return h if y is None else as_numpy(y) * h


def support_query(group: PermutationGroup, V: tuple[int, ...], B: float, tau: float = 0.0,
                  threshold: float = 0.0) -> Query:
    r"""SQ :math:`\mathrm{clip}(y^2 R_V(x), \pm B)/B`, :math:`R_V = \frac1{|G|}\sum_g \prod_{j\in gV}(x_j^2-1)`.

    ``meta["raw"](x, y, products=None)`` is the unclipped statistic (``products``: where to take
    the Reynolds products from, e.g. a :class:`ReynoldsCache`).
    """
    V = tuple(int(i) for i in V)

    def raw(x: Any, y: Any, products: Products | None = None) -> np.ndarray:
        return _support_raw(group, V, x, y, products)

    def fn(x: Any, y: Any) -> np.ndarray:
        return np.clip(raw(x, y), -B, B) / B

    return Query(fn=fn, key=("support", V, B), meta={"raw": raw, "B": B, "sq": True, "tau": tau, "threshold": threshold})


def correlation_query(group: PermutationGroup, V: tuple[int, ...], B: float, tau: float = 0.0,
                      threshold: float = 0.0, csq: bool = False) -> Query:
    r"""SQ :math:`\mathrm{clip}(y\,p_{[V]}(x), \pm B)/B` (or, with ``csq``, the CSQ
    :math:`h = \mathrm{clip}(p_{[V]}, \pm B)/B`); ``meta["raw"]`` is the unclipped :math:`y\,p_{[V]}`."""
    V = tuple(int(i) for i in V)
    scale = math.sqrt(len(group.orbit_of_subset(V))) if V else 1.0

    def raw(x: Any, y: Any, products: Products | None = None) -> np.ndarray:
        return _correlation_raw(group, V, scale, x, y, products)

    if csq:
        def fn(x: Any, y: Any = None) -> np.ndarray:  # h(x); an SQ oracle's y is not used
            return np.clip(_correlation_raw(group, V, scale, x), -B, B) / B
    else:
        def fn(x: Any, y: Any) -> np.ndarray:  # type: ignore[misc]
            return np.clip(raw(x, y), -B, B) / B

    return Query(fn=fn, key=("correlation", V, B),
                 meta={"raw": raw, "B": B, "sq": not csq, "tau": tau, "threshold": threshold})


# ------------------------------------------------------------------------------ exact / adversarial
def exact_expectation(target: HermitePolynomial, group: PermutationGroup) -> Callable[[Query], float]:
    r"""Closed-form expectations of the structured queries for a multilinear ``target``
    (the unclipped value divided by B):

    * support: :math:`\frac{2^{|V|}}{|G|}\sum_g \sum_{T\supseteq gV} c_T^2` (the identity, averaged);
    * correlation: :math:`\mathbb{E}[y\,p_{[V]}] = \sum_\beta y_\beta (p_{[V]})_\beta` (orthonormality).
    """
    if not target.is_multilinear:
        raise InvalidParameterError("exact_expectation needs a multilinear target (all exponents 0 or 1).")
    if target.n != group.degree:
        raise InvalidParameterError(f"the target has {target.n} variables but {group.name} acts on {group.degree} points.")
    E = target.exponents.astype(bool)
    c2 = target.coefs ** 2
    elems = group.elements() if group.order <= ELEMENT_CANON_CAP else np.arange(group.degree)[None, :]

    def expectation(q: Query) -> float:
        kind, V, B = q.key
        if kind == "support":
            if not V:
                return float(c2.sum()) / B
            contains = E[:, elems[:, list(V)]].all(axis=-1)  # (T, |G|)
            return float(2 ** len(V) * (c2 @ contains).mean()) / B
        if kind == "correlation":
            p = multilinear_orbit_sum(group, V) if V else HermitePolynomial(np.zeros((1, group.degree), int), np.ones(1))
            return target.inner(p) / B
        raise InvalidParameterError(f"unknown structured query {q.key!r}.")

    return expectation


def adversarial_expectation(target: HermitePolynomial, group: PermutationGroup, slack: float = 0.99) -> Callable[[Query], float]:
    """Exact value moved by ``slack``·τ toward the query's decision threshold (``meta['tau']``,
    ``meta['threshold']`` in SQ units): the worst answers a valid SQ oracle may give."""
    exact = exact_expectation(target, group)

    def expectation(q: Query) -> float:
        v = exact(q)
        tau, thr = q.meta.get("tau", 0.0), q.meta.get("threshold", 0.0)
        if q.key[0] == "correlation":
            return v - slack * tau * math.copysign(1.0, v) if abs(v) > thr else v + slack * tau * math.copysign(1.0, v or 1.0)
        return v - slack * tau if v > thr else v + slack * tau

    return expectation


# ------------------------------------------------------------------------------ a fixed-sample oracle
class EmpiricalOracle(Oracle):
    """SQ/CSQ oracle answering with the mean over one fixed sample ``(x, y)`` (with its standard error).

    This is the sampled oracle of the separation experiment: the SQ learner sees exactly the
    samples gradient descent trains on. Shapes: ``x (m, n)``, ``y (m,)``. The oracle keeps a
    read-only copy of the sample and its own :class:`ReynoldsCache` (at most ``cache_bytes``,
    default twice the sample), so structured queries sharing a prefix reuse one Reynolds product
    and the memory goes with the oracle.
    """

    mode = "sampled"

    def __init__(self, x: Any, y: Any, *, kind: str = "sq", cache_bytes: int | None = None) -> None:
        super().__init__(kind, out_of_range="reject")
        self.x = np.array(as_numpy(x), dtype=np.float64, copy=True)
        self.y = np.array(as_numpy(y), dtype=np.float64, copy=True)
        if self.x.ndim != 2 or self.y.shape != (self.x.shape[0],):
            raise InvalidParameterError(f"Expected x (m, n) and y (m,), got {self.x.shape} and {self.y.shape}.")
        self.x.flags.writeable = False
        self.y.flags.writeable = False
        self.n_samples = self.x.shape[0]
        self.cache = ReynoldsCache(self.x, cache_bytes)

    def _values(self, q: Query) -> np.ndarray:
        """The query's values on the sample: structured SQ queries through the cache, others directly."""
        if self.kind == "sq" and q.meta.get("sq") and "raw" in q.meta:
            B = q.meta["B"]
            return self._check_range(np.clip(q.meta["raw"](self.x, self.y, self.cache), -B, B) / B)
        if self.kind == "csq":
            return self._check_range(as_numpy(q.fn(self.x))) * self.y
        return self._check_range(as_numpy(q.fn(self.x, self.y)))

    def _answer(self, q: Query, tau: float) -> Answer:
        vals = self._values(q)
        m = vals.size
        return Answer(value=float(vals.mean()), stderr=float(vals.std(ddof=1) / math.sqrt(m)) if m > 1 else math.inf,
                      n_samples=m)

    def raw_values(self, q: Query) -> np.ndarray:
        """Values of the unclipped query (``meta['raw']``) on the samples, shape ``(m,)``."""
        return q.meta["raw"](self.x, self.y, self.cache)
