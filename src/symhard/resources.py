r"""Resources asked for, not taken: closed-form estimates of memory and time, checked against limits.

Every command that enumerates or allocates first computes an :class:`Estimate` (bytes and
seconds, from closed forms of what it is about to build: never by building it) and hands it to
:func:`require`, which refuses beyond the current :class:`Limits` with one line giving the
estimate and the flag that raises the limit (:class:`ResourceLimitError`, exit status 2).

Limits
------
* memory: ``--max-memory GiB``; default :func:`default_max_memory`, half of the memory this
  process may use: the machine's physical memory (``os.sysconf``), or less where a container
  (cgroup) limit or ``ulimit -v`` says so; 4 GiB where the platform does not say;
* time: ``--max-time SECONDS`` on the commands that compute without a progress bar
  (``groups``, ``check``, ``np``); default :data:`DEFAULT_CLI_MAX_TIME` there, none in the
  Python API (:data:`Limits.max_time` ``None``).

The limits in force are a context variable: the command line sets them once per command
(:func:`set_limits`), a script may use :func:`limits` as a context manager; library code only
calls :func:`require`.

Estimates are orders of magnitude, not promises: times use the machine speeds below (measured
on a shared 2-core CPU, rounded down so that estimates err on the long side); memory counts the
arrays and Python objects that dominate, not the interpreter. The closed forms:

* group orders (:func:`group_order`): :math:`|C_n| = n`, :math:`|D_n| = 2n` (:math:`n \ge 3`),
  :math:`|S_n| = n!`, :math:`|A_n| = n!/2`, products for blocks;
* the size of a cycle index (:func:`cycle_index_size`): :math:`d(n)` types holding
  :math:`\sigma(n)` cycles for :math:`C_n` (one type per divisor), two more for :math:`D_n`, the
  partition number :math:`p(n)` for :math:`S_n` and :math:`A_n` (:func:`partition_count`);
* Burnside over a cycle index (:func:`burnside_estimate`): one polynomial product per cycle,
  truncated at degree ``k``, on integers of up to :math:`\log_2\binom nk` bits;
* enumerations: :math:`2^n` cube points, :math:`\binom nk` subsets;
* Gram matrices ``members²`` entries, members × dimension arrays, DIMACS clause lists and the
  reduction's ``(1 + n + m) × 2 × (n + 1)`` features, ensemble tensors (parameters
  ``members × P(width)``, activations ``batch × members × a(width)``, both affine in the width)
  and training sets ``samples × inputs``.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from .errors import EnumerationLimitError, InvalidParameterError

__all__ = [
    "ResourceLimitError", "Limits", "Estimate", "require", "current_limits", "set_limits", "limits",
    "default_max_memory", "physical_memory", "available_cpus", "fmt_bytes", "fmt_seconds",
    "group_order", "partition_count", "divisor_count", "divisor_sum", "cycle_index_size", "burnside_estimate",
    "cube_estimate", "subsets_estimate", "gram_estimate", "array_estimate", "dimacs_estimate",
    "reduction_estimate", "ensemble_estimate", "GiB", "DEFAULT_CLI_MAX_TIME",
]

GiB = 2**30
#: Simple Python operations per second (integer loops, tuple building), rounded down.
PY_OPS_PER_S = 1e7
#: Floating-point operations per second of numpy / torch on one core, rounded down.
FLOPS = 2e9
#: Share of the physical memory a command may use by default.
DEFAULT_MEMORY_FRACTION = 0.5
#: Default ``--max-time`` (seconds) of the commands without a progress bar.
DEFAULT_CLI_MAX_TIME = 600.0
#: Bytes of a CPython object header (a tuple, an int, a list): the overhead per Python object.
_PY_OBJECT = 56


class ResourceLimitError(EnumerationLimitError, InvalidParameterError):
    """A command was refused before it ran because its estimate exceeds a limit (exit status 2)."""


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (``os.sysconf``), or ``None`` where unknown."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
        return None
    return int(pages) * int(size) if pages > 0 and size > 0 else None


def _imposed_memory() -> list[int]:
    """Memory caps imposed on this process: a cgroup limit (containers, v2 or v1) and ``RLIMIT_AS``."""
    caps = []
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            caps.append(int(text))
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            caps.append(int(soft))
    except (ImportError, OSError, ValueError):  # pragma: no cover - Windows
        pass
    return caps


def default_max_memory() -> int:
    """The default memory limit: half of the memory this process may use, i.e. of the smallest of the physical
    memory, a cgroup (container) limit and ``RLIMIT_AS`` (4 GiB where none is known)."""
    known = [m for m in [physical_memory(), *_imposed_memory()] if m]
    return int(min(known) * DEFAULT_MEMORY_FRACTION) if known else 4 * GiB


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    """What a command may take: ``max_memory`` bytes and ``max_time`` seconds (``None``: no limit)."""

    max_memory: int
    max_time: float | None = None


_LIMITS: ContextVar[Limits | None] = ContextVar("symhard_limits", default=None)


def current_limits() -> Limits:
    """The limits in force (the default memory limit and no time limit unless set)."""
    return _LIMITS.get() or Limits(default_max_memory())


def _resolve(max_memory_gib: float | None, max_time_s: float | None) -> Limits:
    if max_memory_gib is not None and not (isinstance(max_memory_gib, (int, float)) and 0 < max_memory_gib < 2**40):
        raise InvalidParameterError(f"--max-memory == {max_memory_gib!r}: give a number of GiB > 0, e.g. --max-memory 8.")
    if max_time_s is not None and not (isinstance(max_time_s, (int, float)) and 0 < max_time_s < 1e12):
        raise InvalidParameterError(f"--max-time == {max_time_s!r}: give a number of seconds > 0, e.g. --max-time 3600.")
    mem = default_max_memory() if max_memory_gib is None else int(max_memory_gib * GiB)
    return Limits(max(1, mem), None if max_time_s is None else float(max_time_s))


def set_limits(max_memory_gib: float | None = None, max_time_s: float | None = None) -> Limits:
    """Set the limits for the rest of this context (the command line: once per command)."""
    lim = _resolve(max_memory_gib, max_time_s)
    _LIMITS.set(lim)
    return lim


@contextmanager
def limits(max_memory_gib: float | None = None, max_time_s: float | None = None) -> Iterator[Limits]:
    """``with limits(8, 600): ...``: the limits inside the block (the previous ones after it)."""
    token = _LIMITS.set(_resolve(max_memory_gib, max_time_s))
    try:
        yield _LIMITS.get()  # type: ignore[misc]
    finally:
        _LIMITS.reset(token)


def fmt_bytes(n: float) -> str:
    """``1.5 GiB``, ``12 MiB``, ``3.2e+04 GiB``: a byte count in words."""
    if n >= 1e5 * GiB:
        return f"{n / GiB:.2g} GiB"
    for unit, size in (("GiB", GiB), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def fmt_seconds(s: float) -> str:
    """``45 s``, ``12 min``, ``3.1 h``, ``2.4e+05 years``: a duration in words."""
    if s < 120:
        return f"{s:.2g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 2 * 86400 * 365:
        return f"{s / 3600:.3g} h"
    return f"{s / (86400 * 365):.2g} years"


@dataclass(frozen=True)
class Estimate:
    """What a computation will take: ``bytes`` of memory and ``seconds`` of time (orders of magnitude).

    ``what`` names the computation in words (for a combination: the part that needs the most memory),
    ``slow`` the part that takes the longest; ``lower`` says which inputs to lower instead of raising
    the limit (e.g. ``"lower --samples"``).
    """

    what: str
    bytes: float = 0.0
    seconds: float = 0.0
    lower: str = ""
    slow: str = ""

    def _slowest(self, other: "Estimate") -> str:
        return (self.slow or self.what) if self.seconds >= other.seconds else (other.slow or other.what)

    def __add__(self, other: "Estimate") -> "Estimate":
        """Two parts held at once: memory and time add up."""
        return Estimate(self.what, self.bytes + other.bytes, self.seconds + other.seconds, self.lower or other.lower,
                        self._slowest(other))

    def peak(self, other: "Estimate") -> "Estimate":
        """Two steps one after the other: the larger memory, the summed time."""
        big = self if self.bytes >= other.bytes else other
        return Estimate(big.what, max(self.bytes, other.bytes), self.seconds + other.seconds, big.lower,
                        self._slowest(other))


def require(est: Estimate, lim: Limits | None = None) -> Estimate:
    """Return ``est`` if it fits the limits (the current ones by default), else raise one line.

    The line gives the estimate, the limit and the flag that raises it.
    """
    lim = lim or current_limits()
    lower = f"{est.lower}, or " if est.lower else ""
    if est.bytes > lim.max_memory:
        raise ResourceLimitError(f"{est.what}: needs about {fmt_bytes(est.bytes)} of memory, above the limit of "
                                 f"{fmt_bytes(lim.max_memory)}; {lower}raise the limit with --max-memory GiB.")
    if lim.max_time is not None and est.seconds > lim.max_time:
        raise ResourceLimitError(f"{est.slow or est.what}: would take about {fmt_seconds(est.seconds)}, above the "
                                 f"limit of {fmt_seconds(lim.max_time)}; {lower}raise the limit with --max-time SECONDS.")
    return est


# ------------------------------------------------------------------------------ closed forms
def group_order(kind: str, n: int) -> int:
    """|G| of a named group on ``n`` points: trivial 1, cyclic n, dihedral 2n (n ≥ 3; n for n ≤ 2),
    symmetric n!, alternating n!/2 (1 for n ≤ 2).

    >>> [group_order(k, 5) for k in ("trivial", "cyclic", "dihedral", "symmetric", "alternating")]
    [1, 5, 10, 120, 60]
    """
    if kind == "trivial":
        return 1
    if kind == "cyclic":
        return n
    if kind == "dihedral":
        return 2 * n if n >= 3 else n
    if kind == "symmetric":
        return math.factorial(n)
    if kind == "alternating":
        return math.factorial(n) // 2 if n >= 3 else 1
    raise InvalidParameterError(f"no closed-form order for group kind {kind!r}.")


def divisor_count(n: int) -> int:
    """d(n), the number of divisors of n ≥ 1 (trial division up to √n)."""
    count, i = 0, 1
    while i * i <= n:
        if n % i == 0:
            count += 1 if i * i == n else 2
        i += 1
    return count


#: Below this the partition number is computed exactly; above it, by the Hardy–Ramanujan asymptotic.
_EXACT_PARTITIONS = 1000


def partition_count(n: int) -> int:
    r"""p(n), the number of partitions of n: exact (Euler's pentagonal recurrence) for n ≤ 1000, else the
    Hardy–Ramanujan asymptotic :math:`e^{\pi\sqrt{2n/3}} / (4\sqrt3\, n)` rounded (an estimate).

    >>> [partition_count(n) for n in (0, 1, 5, 10, 100)]
    [1, 1, 7, 42, 190569292]
    """
    if n < 0:
        return 0
    if n > _EXACT_PARTITIONS:
        log_p = math.pi * math.sqrt(2 * n / 3) - math.log(4 * math.sqrt(3) * n)
        return int(math.exp(min(log_p, 700.0)))
    p = [1] + [0] * n
    for m in range(1, n + 1):
        total, j = 0, 1
        while True:
            g1 = j * (3 * j - 1) // 2
            if g1 > m:
                break
            sign = 1 if j % 2 else -1
            total += sign * p[m - g1]
            g2 = j * (3 * j + 1) // 2
            if g2 <= m:
                total += sign * p[m - g2]
            j += 1
        p[m] = total
    return p[n]


def divisor_sum(n: int) -> int:
    """σ(n), the sum of the divisors of n ≥ 1."""
    total, i = 0, 1
    while i * i <= n:
        if n % i == 0:
            total += i + (n // i if i * i != n else 0)
        i += 1
    return total


def cycle_index_size(kind: str, n: int) -> tuple[int, int]:
    """``(T, C)`` of the closed-form cycle index of a named group on n points: T distinct cycle types
    holding C cycles in all (upper bounds for the alternating group and for C of S_n):
    trivial (1, n); cyclic (d(n), σ(n)) (one type (d, …, d) of n/d cycles per divisor d);
    dihedral (d(n) + 2, σ(n) + n + 2) (plus two types of reflections of about n/2 cycles);
    symmetric and alternating (p(n), n p(n))."""
    if kind == "trivial":
        return 1, n
    if kind == "cyclic":
        return divisor_count(n), divisor_sum(n)
    if kind == "dihedral":
        return divisor_count(n) + 2, divisor_sum(n) + n + 2
    if kind in ("symmetric", "alternating"):
        p = partition_count(n)
        return p, n * p
    raise InvalidParameterError(f"no closed-form cycle index for group kind {kind!r}.")


def burnside_estimate(name: str, types: int, cycles: int, degree: int, k: int | None = None) -> Estimate:
    r"""Burnside's sum over a cycle index of ``types`` cycle types holding ``cycles`` cycles on ``degree`` points.

    Memory: the cycle index, ``types`` tuples (:math:`56T + 8C` bytes). Time: building it (about 100
    operations per type and one per cycle), then one operation per cycle on the cube (a power of 2),
    :math:`k + 1` per cycle for k-subsets (a polynomial product truncated at degree k), on integers of
    b bits (b = n on the cube, :math:`\log_2inom nk` on subsets), each costing :math:`1 + b/4096`.
    """
    bits = degree if k is None else math.lgamma(degree + 1) - math.lgamma(k + 1) - math.lgamma(degree - k + 1)
    bits = degree if k is None else bits / math.log(2)
    ops = 100.0 * types + cycles * (1 if k is None else k + 1) * (1 + bits / 4096)
    on = "the Boolean cube" if k is None else f"{k}-subsets"
    return Estimate(f"counting the orbits of {name} on {on} (Burnside over {types:.4g} cycle types)",
                    bytes=_PY_OBJECT * float(types) + 8.0 * cycles, seconds=ops / PY_OPS_PER_S,
                    lower="use a smaller group")


def cube_estimate(name: str, degree: int, generators: int) -> Estimate:
    """Orbit labels of all :math:`2^n` cube points: int64 masks, their images under each generator, labels."""
    points = 2.0**degree
    return Estimate(f"enumerating the 2^{degree} points of the Boolean cube under {name}",
                    bytes=8 * points * 4, seconds=points * max(1, generators) * degree * 4 / FLOPS,
                    lower="use a group on fewer points")


def subsets_estimate(name: str, n: int, k: int) -> Estimate:
    r"""Enumerating the :math:`\binom nk` k-subsets of n points as bitmasks (a Python loop per subset)."""
    count = math.comb(n, k)
    return Estimate(f"enumerating the C({n}, {k}) = {count:.4g} {k}-subsets under {name}",
                    bytes=float(count) * (8 + _PY_OBJECT), seconds=float(count) * (k + 2) / PY_OPS_PER_S,
                    lower="use smaller n or k")


def gram_estimate(what: str, members: int, entry_cost: float = 1.0, lower: str = "lower --members") -> Estimate:
    """A ``members × members`` float64 Gram matrix whose entries cost ``entry_cost`` flops each."""
    return Estimate(what, bytes=8.0 * members * members, seconds=float(members) ** 2 * entry_cost / FLOPS, lower=lower)


def array_estimate(what: str, *shape: float, itemsize: int = 8, copies: float = 3.0, flops_per_item: float = 10.0,
                   lower: str = "") -> Estimate:
    """``copies`` float arrays of ``shape`` (members × samples × dimension, ...) and ``flops_per_item`` per entry."""
    items = math.prod(float(s) for s in shape)
    return Estimate(what, bytes=items * itemsize * copies, seconds=items * flops_per_item / FLOPS, lower=lower)


def dimacs_estimate(source: str, n_vars: int, n_clauses: int) -> Estimate:
    """Reading ``n_clauses`` clauses: a Python list of three ints per clause, then an int64 array."""
    per_clause = 3 * (8 + 28) + _PY_OBJECT + 24 + 24
    return Estimate(f"reading {source} (its header declares {n_clauses} clauses over {n_vars} variables)",
                    bytes=float(n_clauses) * per_clause, seconds=float(n_clauses) * 20 / PY_OPS_PER_S,
                    lower="give a smaller instance")


def reduction_estimate(n_vars: int, n_clauses: int) -> Estimate:
    """The reduction's data set: ``G = 1 + n + m`` graphs, dense features ``[G, 2, n + 1]`` and adjacency
    ``[G, 2, 2]`` (float64), built and then validated (two copies)."""
    graphs = 1 + n_vars + n_clauses
    items = float(graphs) * (2 * (n_vars + 1) + 4 + 2 + 3)
    return Estimate(f"the reduction of a 1-in-3-SAT instance with {n_vars} variables and {n_clauses} clauses "
                    f"({graphs} graphs of feature dimension {n_vars + 1})",
                    bytes=items * 8 * 2, seconds=items * 4 / FLOPS, lower="give a smaller instance")


def ensemble_estimate(what: str, *, members: int, params_per_member: float, activations_per_sample: float,
                      input_numel: float, batch: int, samples: int, steps: int, lower: str = "") -> Estimate:
    r"""Training an ensemble of ``members`` networks (float32) on ``samples`` inputs of ``input_numel`` numbers:

    * memory: parameters, gradients and two Adam moments (:math:`16 M P` bytes); the data (float64
      while sampled: :math:`8 S D`); the activations autograd keeps for one batch
      (:math:`4 B M a`, ``a`` = ``activations_per_sample``), twice (forward and backward);
    * time: :math:`6 B M (P + a)` flops per step (forward and backward), ``steps`` steps.
    """
    act = float(batch) * members * activations_per_sample
    mem = 16.0 * members * params_per_member + 8.0 * samples * input_numel + 8.0 * act
    flops = 6.0 * float(batch) * members * (params_per_member + activations_per_sample) * steps
    return Estimate(what, bytes=mem, seconds=flops / FLOPS, lower=lower)
