r"""Statistical-query oracles: CSQ and SQ, in the modes ``exact``, ``sampled`` and ``adversarial``.

Query models (Kearns 1998; Bshouty–Feldman 2002). The data are (x, y = f(x)) with x ~ D.

* **CSQ**: the learner sends h: X → [−1, 1] and a tolerance τ; the oracle returns some v with
  |v − E_D[y·h(x)]| ≤ τ.
* **SQ**: the learner sends φ: X × Y → [−1, 1] and τ; the oracle returns some v with
  |v − E_D[φ(x, y)]| ≤ τ.

A query is a plain callable or a :class:`Query` (``fn`` plus an optional hashable ``key`` and
``meta`` dict, so families with closed forms can recognise structured queries). It is called
on a batch: ``h(*inputs) -> [m]`` for CSQ and ``φ(*inputs, y) -> [m]`` for SQ, where
``inputs`` is the tuple of tensors a :class:`~symhard.queries.distributions.Distribution`
samples (``(x,)`` for the cube and Gaussians, ``(A,)`` or ``(A, X)`` for graphs).

Values outside [−1, 1] (beyond a rounding slack of 1e−9) are **rejected** with
:class:`~symhard.errors.InvalidParameterError` by default (``out_of_range="reject"``); with
``out_of_range="clip"`` they are clipped to [−1, 1] explicitly and the record counts how many
values were clipped.

Every oracle has the same interface — :meth:`Oracle.query` (returns an :class:`Answer`) and
``oracle(q, tau)`` (returns the value) — so a learner written against it runs unchanged in
every mode:

* :class:`ExactOracle` — the exact expectation, over an enumerated finite support (e.g. the
  Boolean cube for n ≤ 20) or from a user-supplied ``expectation(query) -> float`` callback
  for families with closed forms. Answers have error 0.
* :class:`SampledOracle` — the empirical mean over ``n_samples`` fresh samples per query
  (one numpy stream from ``seed``), with its standard error. With ``n_samples=None`` it uses
  ⌈9/τ²⌉ samples so that three standard errors are at most τ (values lie in [−1, 1]).
* :class:`AdversarialOracle` — the lower-bound adversary for a finite class: it answers the
  value the *reference* target would give (zero function for CSQ, so the answer is 0; for SQ
  the reference is y ≡ 0, or an independent fair coin y for ±1 classes) as long as some
  member of the version space stays within τ of that answer, removes the members that do not,
  and counts them. If no member would survive it *reveals*: it answers the true value of the
  member closest to the reference and keeps the members within τ of it.

Every oracle counts its queries (:attr:`Oracle.n_queries`), records the smallest tolerance
asked for (:attr:`Oracle.min_tau`) and keeps a log of :class:`QueryRecord`.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from .._lazy import is_tensor
from .._random import SeedLike, as_generator
from ..errors import InvalidParameterError, check_int, check_tau
from .distributions import Distribution

_SLACK = 1e-9
_KINDS = ("csq", "sq")
_OUT_OF_RANGE = ("reject", "clip")


@dataclass(frozen=True)
class Query:
    """A statistical query with optional structure.

    Parameters
    ----------
    fn : callable or None
        ``h(*inputs) -> [m]`` (CSQ) or ``φ(*inputs, y) -> [m]`` (SQ), values in [−1, 1].
        May be ``None`` for a purely structured query answered by an ``expectation`` callback.
    key : hashable, optional
        A name or structured description (e.g. a multi-index) an ``expectation`` callback uses.
    meta : dict, optional
        Free metadata, kept in the query log.
    """

    fn: Callable[..., Any] | None = None
    key: Hashable | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.fn is None and self.key is None:
            raise InvalidParameterError("a Query needs a callable fn or a key (or both).")
        if self.fn is not None and not callable(self.fn):
            raise InvalidParameterError(f"Query.fn must be callable, got {type(self.fn).__name__}.")

    def __call__(self, *args):
        if self.fn is None:
            raise InvalidParameterError(
                f"query {self.key!r} has no fn, so it cannot be evaluated on samples; "
                "answer it with an ExactOracle(expectation=...)."
            )
        return self.fn(*args)


def as_query(q: Query | Callable[..., Any]) -> Query:
    """Wrap a plain callable into a :class:`Query` (a :class:`Query` is returned as is)."""
    if isinstance(q, Query):
        return q
    if not callable(q):
        raise InvalidParameterError(f"a query must be a callable or a Query, got {type(q).__name__}.")
    return Query(fn=q, key=getattr(q, "__name__", None))


@dataclass(frozen=True)
class Answer:
    """An oracle's answer.

    ``value`` is the answer; ``stderr`` its standard error (0 for exact and adversarial
    answers); ``n_samples`` the samples used (``None`` if none); ``ruled_out`` and
    ``version_space`` are set by the adversarial oracle; ``revealed`` says the adversary had
    to reveal a member's true value.
    """

    value: float
    stderr: float = 0.0
    n_samples: int | None = None
    ruled_out: int | None = None
    version_space: int | None = None
    revealed: bool = False


@dataclass(frozen=True)
class QueryRecord:
    """One line of an oracle's query log."""

    index: int
    kind: str
    key: Hashable | None
    tau: float
    value: float
    stderr: float
    n_samples: int | None
    clipped: int
    ruled_out: int | None
    revealed: bool


def _to_numpy(values: Any, expected: int, what: str) -> np.ndarray:
    if is_tensor(values):
        values = values.detach().cpu().double().numpy()
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (expected,):
        arr = np.broadcast_to(arr, (expected,)) if arr.ndim == 0 else arr
    if arr.shape != (expected,):
        raise InvalidParameterError(
            f"{what} returned an array of shape {arr.shape}, expected ({expected},): one value per sample."
        )
    return arr


class Oracle(abc.ABC):
    """Common interface of the oracles (see the module docstring).

    Parameters
    ----------
    kind : {"csq", "sq"}
    out_of_range : {"reject", "clip"}
        What to do with query values outside [−1, 1].

    Attributes
    ----------
    n_queries : int
        Queries answered so far.
    min_tau : float
        Smallest tolerance asked for (``inf`` before the first query).
    log : list of QueryRecord
    """

    mode: str = ""

    def __init__(self, kind: str = "csq", *, out_of_range: str = "reject"):
        if kind not in _KINDS:
            raise InvalidParameterError(f"kind must be one of {_KINDS}, got {kind!r}.")
        if out_of_range not in _OUT_OF_RANGE:
            raise InvalidParameterError(f"out_of_range must be one of {_OUT_OF_RANGE}, got {out_of_range!r}.")
        self.kind = kind
        self.out_of_range = out_of_range
        self.reset()

    def reset(self) -> None:
        """Forget the count, the smallest tolerance and the log."""
        self.n_queries = 0
        self.min_tau = math.inf
        self.log: list[QueryRecord] = []

    def query(self, q: Query | Callable[..., Any], tau: float) -> Answer:
        """Answer the statistical query ``q`` with tolerance ``tau`` ∈ (0, 1]."""
        tau = check_tau(tau)
        q = as_query(q)
        self._clipped = 0
        ans = self._answer(q, tau)
        self.n_queries += 1
        self.min_tau = min(self.min_tau, tau)
        self.log.append(QueryRecord(self.n_queries - 1, self.kind, q.key, tau, ans.value, ans.stderr,
                                    ans.n_samples, self._clipped, ans.ruled_out, ans.revealed))
        return ans

    def __call__(self, q: Query | Callable[..., Any], tau: float) -> float:
        """The answer's value only."""
        return self.query(q, tau).value

    @abc.abstractmethod
    def _answer(self, q: Query, tau: float) -> Answer: ...

    # ---------------------------------------------------------------- evaluation helpers
    def _check_range(self, vals: np.ndarray) -> np.ndarray:
        bad = np.abs(vals) > 1.0 + _SLACK
        if bad.any() or not np.isfinite(vals).all():
            if self.out_of_range == "reject" or not np.isfinite(vals).all():
                worst = vals[np.argmax(np.where(np.isfinite(vals), np.abs(vals), np.inf))]
                raise InvalidParameterError(
                    f"query values must lie in [-1, 1]; got {int(bad.sum())} value(s) outside, e.g. {worst:g}. "
                    "Rescale the query, or build the oracle with out_of_range='clip'."
                )
            self._clipped += int(bad.sum())
        return np.clip(vals, -1.0, 1.0)

    def _evaluate(self, q: Query, inputs: tuple, y: np.ndarray) -> np.ndarray:
        """Values of the query per sample: h(x) (CSQ) or φ(x, y) (SQ), range-checked."""
        m = y.shape[0]
        if self.kind == "csq":
            return self._check_range(_to_numpy(q(*inputs), m, "the CSQ query h"))
        if inputs and is_tensor(inputs[0]):  # torch inputs: give y as a tensor of the same dtype
            import torch

            y = torch.as_tensor(y, dtype=inputs[0].dtype)
        return self._check_range(_to_numpy(q(*inputs, y), m, "the SQ query φ"))


def _evaluate_target(target: Callable[..., Any], inputs: tuple) -> np.ndarray:
    m = inputs[0].shape[0]
    return _to_numpy(target(*inputs), m, "the target")


class ExactOracle(Oracle):
    """Answers with the exact expectation.

    Either ``distribution`` is finite (its support is enumerated once) and ``target`` is
    evaluated on it, or ``expectation(query) -> float`` computes E[y·h] (CSQ) / E[φ(x, y)]
    (SQ) itself. With an ``expectation`` callback no query values are computed, so the range
    check is the callback's responsibility.

    Parameters
    ----------
    target : callable ``f(*inputs) -> [m]``, optional with ``expectation``
    distribution : finite :class:`Distribution`, optional with ``expectation``
    expectation : callable ``(Query) -> float``, optional
    kind, out_of_range : see :class:`Oracle`
    """

    mode = "exact"

    def __init__(self, target: Callable[..., Any] | None = None, distribution: Distribution | None = None, *,
                 expectation: Callable[[Query], float] | None = None, kind: str = "csq",
                 out_of_range: str = "reject"):
        super().__init__(kind, out_of_range=out_of_range)
        if expectation is None and (target is None or distribution is None):
            raise InvalidParameterError(
                "ExactOracle needs either expectation=callback, or both a target and a finite distribution."
            )
        self.target = target
        self.distribution = distribution
        self.expectation = expectation
        self._support = None
        if expectation is None:
            inputs, probs = distribution.support()
            self._support = (inputs, np.asarray(probs, dtype=np.float64), _evaluate_target(target, inputs))

    def _answer(self, q, tau):
        if self.expectation is not None:
            return Answer(value=float(self.expectation(q)))
        inputs, probs, y = self._support
        vals = self._evaluate(q, inputs, y)
        value = float(np.dot(probs, vals * y)) if self.kind == "csq" else float(np.dot(probs, vals))
        return Answer(value=value)


class SampledOracle(Oracle):
    """Answers with the empirical mean over fresh samples, and its standard error.

    Parameters
    ----------
    target : callable ``f(*inputs) -> [m]``
    distribution : :class:`Distribution`
    n_samples : int or None
        Samples per query; ``None`` uses ⌈9/τ²⌉ (capped by ``max_samples``), so that three
        standard errors are at most τ (the values lie in [−1, 1], so their variance is ≤ 1).
    seed : int or numpy Generator
        One stream for all queries: each query sees new samples, the whole run is reproducible.
    chunk : int
        Samples evaluated at once (memory bound).
    """

    mode = "sampled"

    def __init__(self, target: Callable[..., Any], distribution: Distribution, *, n_samples: int | None = None,
                 seed: SeedLike = 0, max_samples: int = 10_000_000, chunk: int = 65_536, kind: str = "csq",
                 out_of_range: str = "reject", dtype="float64"):
        super().__init__(kind, out_of_range=out_of_range)
        self.target = target
        self.distribution = distribution
        self.n_samples = None if n_samples is None else check_int(n_samples, "n_samples", min_value=2)
        self.max_samples = check_int(max_samples, "max_samples", min_value=2)
        self.chunk = check_int(chunk, "chunk", min_value=1)
        self.dtype = dtype
        self._rng = as_generator(seed)

    def _answer(self, q, tau):
        m = self.n_samples if self.n_samples is not None else min(self.max_samples, max(2, math.ceil(9.0 / tau**2)))
        total = 0.0
        total_sq = 0.0
        done = 0
        while done < m:
            b = min(self.chunk, m - done)
            inputs = self.distribution.sample(b, self._rng, dtype=self.dtype)
            y = _evaluate_target(self.target, inputs)
            vals = self._evaluate(q, inputs, y)
            z = vals * y if self.kind == "csq" else vals
            total += float(z.sum())
            total_sq += float(np.dot(z, z))
            done += b
        mean = total / m
        var = max(total_sq / m - mean**2, 0.0) * m / (m - 1)
        return Answer(value=mean, stderr=math.sqrt(var / m), n_samples=m)


class AdversarialOracle(Oracle):
    r"""The lower-bound adversary for a finite class {f_1, …, f_M}.

    The members are given by their values on finitely many points with weights (a probability
    vector): exactly on a finite support, or on a fixed Monte-Carlo sample (then every
    expectation is the empirical one on that sample). Use :meth:`from_distribution` to build
    it from callables.

    For a query q with tolerance τ it computes every live member's true answer a_i and the
    reference answer r (CSQ: r = 0, the zero target; SQ: r = E[φ(x, 0)], or for ±1 classes
    r = E[(φ(x, 1) + φ(x, −1))/2], an independent fair-coin label). If some live member has
    |a_i − r| ≤ τ it answers r and rules out the others; otherwise it reveals: it answers
    a_{i*} of the member closest to r and keeps the members within τ of that.

    Why this is the bound of :func:`~symhard.queries.bounds.csq_pairwise_bound`: if B is the
    set a CSQ query h with E[h²] ≤ 1 rules out and s_i = sign⟨h, f_i⟩, then
    |B|τ < ⟨h, Σ_{i∈B} s_i f_i⟩ ≤ ‖Σ s_i f_i‖ ≤ √(|B| + |B|(|B|−1)γ) for unit-norm members with
    pairwise |correlation| ≤ γ, so |B| < (1 − γ)/(τ² − γ). For ±1 classes an SQ query is
    φ₀(x) + y·φ₁(x) with |φ₁| ≤ 1, and the same argument applies to φ₁.

    Parameters
    ----------
    values : array of shape (M, N)
        Member i's value at point j.
    inputs : tuple of tensors with leading axis N
        The points, in the layout queries are called with.
    weights : array of shape (N,)
        Probabilities of the points (non-negative, summing to 1).
    reference : {"auto", "zero", "coin"}
        SQ reference label (``auto``: coin when every value is ±1, else zero). CSQ always uses 0.
    """

    mode = "adversarial"

    def __init__(self, values, inputs: tuple, weights, *, kind: str = "csq", reference: str = "auto",
                 out_of_range: str = "reject"):
        super().__init__(kind, out_of_range=out_of_range)
        values = np.asarray(values, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        if values.ndim != 2:
            raise InvalidParameterError(f"values must have shape (members, points), got {values.shape}.")
        if not isinstance(inputs, tuple) or not inputs:
            raise InvalidParameterError("inputs must be a non-empty tuple of tensors with leading axis = points.")
        if weights.shape != (values.shape[1],) or inputs[0].shape[0] != values.shape[1]:
            raise InvalidParameterError(
                f"values {values.shape}, weights {weights.shape} and inputs (leading axis {inputs[0].shape[0]}) "
                "must agree on the number of points."
            )
        if (weights < 0).any() or abs(weights.sum() - 1.0) > 1e-9:
            raise InvalidParameterError("weights must be non-negative and sum to 1.")
        if reference not in ("auto", "zero", "coin"):
            raise InvalidParameterError(f"reference must be 'auto', 'zero' or 'coin', got {reference!r}.")
        if reference == "auto":
            reference = "coin" if np.all(np.abs(values) == 1.0) else "zero"
        self.values = values
        self.inputs = inputs
        self.weights = weights
        self.reference = reference
        self.alive = np.ones(values.shape[0], dtype=bool)

    @classmethod
    def from_distribution(cls, members: Sequence[Callable[..., Any]], distribution: Distribution, *,
                          n_samples: int | None = None, seed: SeedLike = 0, **kwargs) -> "AdversarialOracle":
        """Evaluate callable members on the support of a finite distribution (exact), or on a
        fixed sample of ``n_samples`` points (empirical expectations)."""
        if distribution.finite and n_samples is None:
            inputs, weights = distribution.support()
        else:
            if n_samples is None:
                raise InvalidParameterError(
                    f"{distribution!r} is not finite: pass n_samples for a fixed Monte-Carlo sample."
                )
            inputs = distribution.sample(check_int(n_samples, "n_samples", min_value=1), seed)
            weights = np.full(n_samples, 1.0 / n_samples)
        values = np.stack([_evaluate_target(f, inputs) for f in members])
        return cls(values, inputs, weights, **kwargs)

    def reset(self) -> None:
        super().reset()
        if hasattr(self, "values"):
            self.alive = np.ones(self.values.shape[0], dtype=bool)

    @property
    def version_space(self) -> np.ndarray:
        """Indices of the members still consistent with every answer."""
        return np.flatnonzero(self.alive)

    def _answer(self, q, tau):
        w = self.weights
        if self.kind == "csq":
            h = self._evaluate(q, self.inputs, np.zeros(w.size))
            truths = self.values @ (w * h)
            ref = 0.0
        else:
            # φ need not be linear in y: evaluate it once per label value the live members take.
            labels = np.unique(self.values[self.alive])
            table = {lab: self._evaluate(q, self.inputs, np.full(w.size, lab)) for lab in labels}
            truths = np.zeros(self.values.shape[0])
            for lab, vals in table.items():
                truths += ((self.values == lab) * vals) @ w
            if self.reference == "coin":
                ref = 0.5 * float(w @ (self._evaluate(q, self.inputs, np.ones(w.size))
                                       + self._evaluate(q, self.inputs, -np.ones(w.size))))
            else:
                ref = float(w @ self._evaluate(q, self.inputs, np.zeros(w.size)))
        live = self.alive.copy()
        keep = live & (np.abs(truths - ref) <= tau)
        revealed = False
        value = ref
        if not keep.any():
            idx = np.flatnonzero(live)
            star = idx[np.argmin(np.abs(truths[idx] - ref))]
            value = float(truths[star])
            keep = live & (np.abs(truths - value) <= tau)
            revealed = True
        ruled_out = int(live.sum() - keep.sum())
        self.alive = keep
        return Answer(value=float(value), ruled_out=ruled_out, version_space=int(keep.sum()), revealed=revealed)


def make_oracle(mode: str, *, kind: str = "csq", **kwargs) -> Oracle:
    """Build an oracle by mode name: ``"exact"``, ``"sampled"`` or ``"adversarial"``."""
    classes = {"exact": ExactOracle, "sampled": SampledOracle, "adversarial": AdversarialOracle}
    if mode not in classes:
        raise InvalidParameterError(f"mode must be one of {sorted(classes)}, got {mode!r}.")
    return classes[mode](kind=kind, **kwargs)
