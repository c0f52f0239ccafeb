r"""1-in-3-SAT instances: the data type, DIMACS CNF reading and writing, random generation.

A *1-in-3-SAT instance* on variables :math:`x_1, \dots, x_n` is a list of clauses
:math:`(\ell_1, \ell_2, \ell_3)`, each literal :math:`\ell = x_i` or :math:`\neg x_i`. An
assignment satisfies a clause when **exactly one of its three literal positions is true**:

.. math:: \#\{ j \in \{1,2,3\} : \ell_j \text{ is true} \} = 1 .

Positions are counted with multiplicity, so a clause may repeat a variable: ``(x, x, y)``
holds iff ``x`` is false and ``y`` true; ``(x, ¬x, y)`` iff ``y`` is false (one of ``x, ¬x``
is always true); ``(x, x, x)`` never holds. This is the reading that the GNN gadget of
:mod:`symhard.reductions.np_hardness` realizes, and the one every solver here uses.

DIMACS CNF is read clause by clause, each clause as "exactly one literal true"
(the usual ``p cnf V C`` header, ``c`` comment lines, clauses terminated by ``0`` and allowed to
span lines, an optional SATLIB ``%`` end marker). A clause with a number of literals other
than 3 is rejected. Every malformed input raises
:class:`~symhard.errors.InstanceFormatError` with a one-line message that names the line.

Random instances (:func:`random_instance`) draw each clause from three distinct variables,
uniformly, each negated independently with probability ``negation_prob`` (the random model whose
asymptotic threshold Achlioptas, Chtcherba, Istrate & Moore, SODA 2001, studied). The solver
cross-checks run at small ``n``, where the transition is smeared out, so the default density
:data:`DEFAULT_RATIO` was measured there by brute force (2000 instances per ``m`` at ``n = 8``,
negation probability 1/2): the satisfiable fraction is 0.97, 0.90, 0.70, 0.43, 0.21, 0.09 at
``m = 3..8``; ``m / n = 0.75`` (``m = 6``) sits in the middle of the transition.

Shapes: ``clauses[m, 3]`` (int64 DIMACS literals, ``±i`` for ``x_i`` / ``¬x_i``, ``1 <= i <= n``),
assignments ``[n]`` (bool, entry ``i - 1`` is the value of ``x_i``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .._random import SeedLike, as_generator
from ..errors import InstanceFormatError, InvalidParameterError, check_float, check_int
from ..resources import Estimate, dimacs_estimate, require

__all__ = [
    "DEFAULT_RATIO",
    "OneInThreeInstance",
    "parse_dimacs",
    "read_dimacs",
    "to_dimacs",
    "random_instance",
    "satisfies",
]

DEFAULT_RATIO = 0.75
"""Default clause density ``m / n`` of :func:`random_instance`: at ``n = 8`` (``m = 6``) about
43% of the instances are satisfiable (measured by brute force, see the module docstring)."""


@dataclass(frozen=True)
class OneInThreeInstance:
    """A 1-in-3-SAT instance: ``n_vars`` variables and ``clauses[m, 3]`` of DIMACS literals.

    >>> inst = OneInThreeInstance(3, np.array([[1, 2, 3], [-1, 2, -3]]))
    >>> inst.n_clauses
    2
    """

    n_vars: int
    clauses: np.ndarray

    def __post_init__(self) -> None:
        n = check_int(self.n_vars, "n_vars", min_value=1)
        c = np.asarray(self.clauses)
        if c.size == 0:
            c = np.zeros((0, 3), dtype=np.int64)
        if c.ndim != 2 or c.shape[1] != 3:
            raise InvalidParameterError(
                f"clauses must have shape (m, 3) (three literals per clause), got {c.shape}."
            )
        if not np.issubdtype(c.dtype, np.integer):
            raise InvalidParameterError(f"clauses must hold integer DIMACS literals, got dtype {c.dtype}.")
        c = c.astype(np.int64)
        if np.any(c == 0) or np.any(np.abs(c) > n):
            bad = int(c[(c == 0) | (np.abs(c) > n)][0])
            raise InvalidParameterError(
                f"clause literals must be nonzero integers with |literal| <= n_vars = {n}, got {bad}."
            )
        c.setflags(write=False)
        object.__setattr__(self, "n_vars", n)
        object.__setattr__(self, "clauses", c)

    @property
    def n_clauses(self) -> int:
        """The number of clauses ``m``."""
        return int(self.clauses.shape[0])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, OneInThreeInstance)
            and self.n_vars == other.n_vars
            and np.array_equal(self.clauses, other.clauses)
        )

    def __hash__(self) -> int:
        return hash((self.n_vars, self.clauses.tobytes()))

    def __repr__(self) -> str:
        return f"OneInThreeInstance(n_vars={self.n_vars}, clauses={self.clauses.tolist()})"


def satisfies(instance: OneInThreeInstance, assignment) -> bool:
    r"""Whether ``assignment`` makes exactly one literal position true in every clause.

    .. math:: \forall c:\ \sum_{j=1}^{3} [\ell_{c,j} \text{ true}] = 1

    Shapes: ``assignment[n]`` (bool or 0/1) -> bool.
    """
    a = np.asarray(assignment)
    if a.shape != (instance.n_vars,):
        raise InvalidParameterError(
            f"assignment must have shape ({instance.n_vars},) (one value per variable), got {a.shape}."
        )
    a = a.astype(bool)
    c = instance.clauses
    truth = a[np.abs(c) - 1] == (c > 0)  # [m, 3]
    return bool(np.all(truth.sum(axis=1) == 1))


def _fail(source: str, line: int, msg: str) -> InstanceFormatError:
    return InstanceFormatError(f"{source}, line {line}: {msg}")


def parse_dimacs(text: str, *, source: str = "<string>", on_header: Callable[[int, int], None] | None = None
                 ) -> OneInThreeInstance:
    """Parse DIMACS CNF ``text`` as a 1-in-3-SAT instance (every clause: exactly one literal true).

    Rules: ``c`` lines are comments; blank lines are skipped; one header ``p cnf V C`` with
    ``V >= 1`` and ``C >= 0`` precedes every clause; a clause is a run of nonzero integers
    ``|l| <= V`` closed by ``0`` (it may span lines) and must have exactly 3 literals; the number
    of clauses must equal ``C``; a line starting with ``%`` ends the input (SATLIB files).

    Raises :class:`~symhard.errors.InstanceFormatError` naming ``source`` and the line.

    ``text`` may be an iterable of lines (a file: read as a stream). At the header, before any clause,
    the declared clauses' memory is checked (:func:`symhard.resources.require`), then ``on_header(V, C)``.

    >>> parse_dimacs("p cnf 3 1\\n1 -2 3 0\\n").clauses.tolist()
    [[1, -2, 3]]
    """
    n_vars: int | None = None
    n_declared = 0
    header_line = 0
    clauses: list[list[int]] = []
    current: list[int] = []
    start = 0
    last = 0
    lines = text.splitlines() if isinstance(text, str) else text
    for lineno, raw in enumerate(lines, start=1):
        last = lineno
        line = raw.strip()
        if not line or line.startswith("c"):
            continue
        if line.startswith("%"):
            break
        if line.startswith("p"):
            if n_vars is not None:
                raise _fail(source, lineno, f"second 'p' header (the first is on line {header_line}).")
            parts = line.split()
            if len(parts) != 4 or parts[0] != "p" or parts[1] != "cnf":
                raise _fail(source, lineno, f"malformed header {line!r}; expected 'p cnf VARIABLES CLAUSES'.")
            try:
                n_vars, n_declared = int(parts[2]), int(parts[3])
            except ValueError:
                raise _fail(source, lineno, f"malformed header {line!r}; VARIABLES and CLAUSES must be integers.") from None
            if n_vars < 1 or n_declared < 0:
                raise _fail(source, lineno, f"header {line!r} needs VARIABLES >= 1 and CLAUSES >= 0.")
            require(dimacs_estimate(source, n_vars, n_declared))
            if on_header is not None:
                on_header(n_vars, n_declared)
            header_line = lineno
            continue
        if n_vars is None:
            raise _fail(source, lineno, "clause before the 'p cnf VARIABLES CLAUSES' header.")
        for token in line.split():
            try:
                lit = int(token)
            except ValueError:
                raise _fail(source, lineno, f"{token!r} is not an integer literal.") from None
            if lit == 0:
                if len(current) != 3:
                    where = f"clause starting on line {start}" if current and start != lineno else "clause"
                    raise _fail(
                        source, lineno,
                        f"{where} has {len(current)} literals {current}; 1-in-3-SAT clauses need exactly 3.",
                    )
                clauses.append(current)
                current = []
                continue
            if abs(lit) > n_vars:
                raise _fail(source, lineno, f"literal {lit} names variable {abs(lit)} but the header declares {n_vars}.")
            if not current:
                start = lineno
            current.append(lit)
    if n_vars is None:
        raise InstanceFormatError(f"{source}, line {max(last, 1)}: no 'p cnf VARIABLES CLAUSES' header found.")
    if current:
        raise _fail(source, start, f"the last clause {current} is not terminated by 0.")
    if len(clauses) != n_declared:
        raise _fail(source, header_line, f"the header declares {n_declared} clauses but the file has {len(clauses)}.")
    arr = np.array(clauses, dtype=np.int64).reshape(-1, 3)
    return OneInThreeInstance(n_vars, arr)


def read_dimacs(path: str | Path, on_header: Callable[[int, int], None] | None = None) -> OneInThreeInstance:
    """Read a DIMACS CNF file as a 1-in-3-SAT instance, line by line (see :func:`parse_dimacs`: the header
    is checked against the memory limit before any clause is read)."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as f:
            return parse_dimacs(f, source=str(p), on_header=on_header)
    except OSError as err:
        raise InstanceFormatError(f"{p}: cannot read the file ({err.strerror}).") from None
    except UnicodeDecodeError:
        raise InstanceFormatError(f"{p}: not a UTF-8 text file; expected DIMACS CNF.") from None


def to_dimacs(instance: OneInThreeInstance, comment: str | None = None) -> str:
    """Write ``instance`` as DIMACS CNF text (one clause per line); inverse of :func:`parse_dimacs`."""
    lines = [f"c {line}" for line in (comment.splitlines() if comment else [])]
    lines.append(f"p cnf {instance.n_vars} {instance.n_clauses}")
    lines.extend(" ".join(str(int(v)) for v in row) + " 0" for row in instance.clauses)
    return "\n".join(lines) + "\n"


def random_instance(
    n_vars: int,
    n_clauses: int | None = None,
    *,
    ratio: float = DEFAULT_RATIO,
    negation_prob: float = 0.5,
    seed: SeedLike = None,
) -> OneInThreeInstance:
    """A random 1-in-3-SAT instance: ``m`` clauses over three distinct variables each.

    ``m = n_clauses`` if given, else ``round(ratio * n_vars)``. Each clause picks 3 distinct
    variables uniformly at random and negates each independently with probability
    ``negation_prob`` (0 gives monotone instances, which are still NP-complete).

    Shapes: -> instance with ``clauses[m, 3]``.
    """
    n = check_int(n_vars, "n_vars", min_value=3)
    ratio = check_float(ratio, "ratio", low=0.0)
    p = check_float(negation_prob, "negation_prob", low=0.0, high=1.0)
    m = round(ratio * n) if n_clauses is None else check_int(n_clauses, "n_clauses", min_value=0)
    require(Estimate(f"drawing a random instance of {m} clauses over {n} variables (an m x n draw)",
                     bytes=16.0 * m * n, seconds=m * n * 40 / 2e9, lower="lower the variables or the clauses"))
    rng = as_generator(seed)
    # Three distinct variables per clause: the first three entries of a random permutation.
    vars_ = np.argsort(rng.random((m, n)), axis=1)[:, :3] + 1
    signs = np.where(rng.random((m, 3)) < p, -1, 1)
    return OneInThreeInstance(n, (vars_ * signs).astype(np.int64))
