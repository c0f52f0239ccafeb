r"""NP-hardness of properly learning GNN weights: 1-in-3-SAT ≤ consistency of :math:`1^\top\mathrm{ReLU}(AXw)`.

The architecture is the smallest GNN there is, one hidden unit and sum readout:

.. math:: f_w(X, A) = 1^\top \mathrm{ReLU}(A X w) = \sum_{v} \mathrm{ReLU}\bigl((A X)_{v}\, w\bigr),
          \qquad w \in \mathbb{R}^d,

on graphs with dense adjacency :math:`A \in \{0,1\}^{n \times n}` (self-loops on the diagonal)
and node features :math:`X \in \mathbb{R}^{n \times d}`. **Consistency problem**: given graphs
:math:`(A_g, X_g)` and labels :math:`y_g`, is there :math:`w` with :math:`f_w(X_g, A_g) = y_g`
for every :math:`g`?

**The reduction.** From a 1-in-3-SAT instance on :math:`x_1,\dots,x_n` with clauses
:math:`(\ell_{c,1}, \ell_{c,2}, \ell_{c,3})`, literal :math:`\ell_{c,j} = x_{i_{c,j}}` with sign
:math:`s_{c,j} = +1` or :math:`\neg x_{i_{c,j}}` with :math:`s_{c,j} = -1`, build a data set in
:math:`d = n + 1` dimensions (coordinate 0 is a bias), every label equal to 1:

* bias gadget: one node with a self-loop, feature :math:`e_0`: :math:`f = \mathrm{ReLU}(w_0)`;
* variable gadget for each :math:`i`: two nodes with self-loops and no edge between them,
  features :math:`e_i` and :math:`-e_i`: :math:`f = \mathrm{ReLU}(w_i) + \mathrm{ReLU}(-w_i) = |w_i|`;
* clause gadget for each clause :math:`c`: one node with a self-loop, feature
  :math:`2e_0 + \sum_{j=1}^{3} s_{c,j} e_{i_{c,j}}` (coefficients add up when a variable repeats):
  :math:`f = \mathrm{ReLU}\bigl(2w_0 + \sum_j s_{c,j} w_{i_{c,j}}\bigr)`.

**Theorem.** The data set is realizable by some :math:`w \in \mathbb{R}^d` iff the instance is
satisfiable. The maps are :func:`assignment_to_weights` (:math:`w_0 = 1`,
:math:`w_i = +1` if :math:`x_i` true else :math:`-1`) and :func:`weights_to_assignment`
(:math:`x_i = [w_i > 0]`).

*Proof.* (⇐) Let :math:`x` satisfy the instance and :math:`w` be its image. Bias:
:math:`\mathrm{ReLU}(1) = 1`. Variables: :math:`|\pm 1| = 1`. Clause :math:`c`: put
:math:`t_j = s_{c,j} w_{i_{c,j}} \in \{\pm 1\}`; :math:`t_j = +1` iff literal position
:math:`j` is true (a positive literal of a true variable or a negated literal of a false one).
Exactly one position is true, so :math:`\sum_j t_j = 1 - 2 = -1` and
:math:`f = \mathrm{ReLU}(2 - 1) = 1`. This uses only linearity in :math:`w`, so it holds when
a variable repeats inside the clause (its coefficients add up in the feature and the positions
are counted with multiplicity, see :mod:`~symhard.reductions.dimacs`).
(⇒) Let :math:`w` be consistent. :math:`\mathrm{ReLU}(w_0) = 1` forces :math:`w_0 = 1`
(ReLU is the identity on its only preimage of 1). :math:`|w_i| = 1` forces
:math:`w_i \in \{\pm 1\}`. For a clause, again :math:`t_j \in \{\pm1\}`, so
:math:`S = \sum_j t_j \in \{-3, -1, 1, 3\}` and :math:`2 + S \in \{-1, 1, 3, 5\}`, whose ReLU is
:math:`0, 1, 3, 5`. The label 1 forces :math:`S = -1`: exactly one :math:`t_j = +1`, i.e. exactly
one true literal position under :math:`x_i = [w_i > 0]`. ∎

The construction has :math:`1 + n + m` graphs with at most 2 nodes and integer entries in
:math:`\{-2,\dots,2\}` (a repeated variable gives :math:`\pm 2` or :math:`\pm 3`), built in
linear time, so it is a polynomial reduction; 1-in-3-SAT is NP-complete (Schaefer 1978, also for
monotone instances). The consistency problem is in NP: guess for every node whether
:math:`(AX)_v w \le 0` or :math:`\ge 0`; what remains is a linear feasibility problem, solvable in
polynomial time with a rational solution of polynomial size. Hence it is **NP-complete**.
A trainable output weight changes nothing: :math:`a\,\mathrm{ReLU}(z) = \mathrm{ReLU}(a z)` for
:math:`a > 0`, and :math:`a \le 0` cannot produce the positive labels.

**Robustness (approximate consistency).** If :math:`|f_w(X_g, A_g) - y_g| \le \eta < 1/3` for
every graph, then :math:`x_i = [w_i > 0]` still satisfies the instance. *Proof.* The bias gadget
gives :math:`|w_0 - 1| \le \eta`, the variable gadgets :math:`||w_i| - 1| \le \eta` (so
:math:`w_i \ne 0`). Write :math:`t_j = \sigma_j |w_{i_{c,j}}|` with truth sign
:math:`\sigma_j \in \{\pm1\}` and :math:`S = \sum_j \sigma_j`; then
:math:`z = 2w_0 + \sum_j t_j \in [S + 2 - 5\eta, S + 2 + 5\eta]`. For :math:`S = -3` the output is
at most :math:`\max(0, 5\eta - 1)`, an error :math:`\ge \min(1, 2 - 5\eta) > \eta`; for
:math:`S = 1` (and :math:`3`) the output is :math:`z \ge 3 - 5\eta`, an error
:math:`\ge 2 - 5\eta > \eta`. So :math:`S = -1` in every clause. ∎ (The constant 1/3 is tight
for one clause in isolation.)

**Consequence (Pitt–Valiant).** Unless NP = RP, no polynomial-time algorithm outputs consistent
GNN weights (proper learning), even for this one-unit architecture: a randomized polynomial-time
proper learner, run on the uniform distribution over the :math:`N = 1 + n + m` graphs with
squared-loss accuracy :math:`\varepsilon < 1/(9N)`, returns with probability :math:`\ge 2/3`
weights whose error on every graph is below :math:`1/3` whenever the data are realizable; rounding
them (robustness lemma) and checking the formula is a one-sided-error algorithm for
1-in-3-SAT, so NP ⊆ RP.

**Checked by machines** (:func:`check_random`): python-sat decides the 1-in-3-SAT instance with
exactly-one cardinality encodings (:func:`solve_sat`), and, independently, z3 decides over
linear real arithmetic whether consistent *real* weights exist for the raw data set, each ReLU
unit encoded as :math:`(z \le 0 \wedge r = 0) \vee (z \ge 0 \wedge r = z)` in an exact-rational SMT-LIB
script (:func:`to_smtlib`, :func:`solve_consistency`), trusting nothing of the gadget. Both witness maps are checked by
evaluating the GNN (:func:`symhard.models.gnn.one_hidden_layer_gnn`) and the formula.

**Data-set file** (:meth:`GraphDataset.save`, ``.npz``, no pickles): ``format`` (the string
``"symhard-gnn-consistency-v1"``), ``adjacency[G, n, n]`` and ``features[G, n, d]`` (float64,
zero-padded to the largest graph), ``node_mask[G, n]`` (bool, real nodes), ``labels[G]``;
optional, for data sets made by :func:`reduce_instance`: ``gadget[G]`` (0 bias, 1 variable,
2 clause), ``gadget_index[G]`` (variable ``i`` or clause index), ``n_vars`` and ``clauses[m, 3]``.
Padding nodes must have zero features and no edges; they then add :math:`\mathrm{ReLU}(0) = 0`,
so the padded arrays evaluate exactly like the unpadded graphs.

Shapes: ``w[d]`` with ``d = n_vars + 1``; assignments ``[n_vars]`` bool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .._random import as_generator
from ..errors import InstanceFormatError, InvalidParameterError, SymhardError, check_float, check_int
from .dimacs import DEFAULT_RATIO, OneInThreeInstance, random_instance, satisfies

__all__ = [
    "APPROXIMATION_GAP",
    "FORMAT",
    "GADGET_NAMES",
    "MissingExtraError",
    "GraphDataset",
    "ConsistencyResult",
    "CheckReport",
    "reduce_instance",
    "assignment_to_weights",
    "weights_to_assignment",
    "evaluate_gnn",
    "max_label_error",
    "solve_sat",
    "to_smtlib",
    "solve_consistency",
    "check_random",
]

FORMAT = "symhard-gnn-consistency-v1"
GADGET_NAMES = ("bias", "variable", "clause")
APPROXIMATION_GAP = 1.0 / 3.0
"""Weights matching every label of a reduced data set to within less than this round to a
satisfying assignment (robustness lemma in the module docstring)."""

SAT_ENCODINGS = ("pairwise", "seqcounter", "sortnetwrk", "cardnetwrk", "bitwise", "ladder", "totalizer",
                 "mtotalizer", "kmtotalizer")


class MissingExtraError(SymhardError, ImportError):
    """An optional dependency (the ``sat`` extra: python-sat, z3-solver) is not installed."""


def _import_pysat():
    try:
        from pysat.card import CardEnc, EncType
        from pysat.formula import CNF
        from pysat.solvers import Solver
    except ImportError:
        raise MissingExtraError(
            "python-sat is not installed; install the 'sat' extra: pip install 'symhard[sat]'."
        ) from None
    return CardEnc, EncType, CNF, Solver


def _import_z3():
    try:
        import z3
    except ImportError:
        raise MissingExtraError(
            "z3-solver is not installed; install the 'sat' extra: pip install 'symhard[sat]'."
        ) from None
    return z3


# --------------------------------------------------------------------------------------------
# The data set


@dataclass(frozen=True, eq=False)
class GraphDataset:
    """A labelled set of dense graphs for the consistency problem of :math:`1^\\top\\mathrm{ReLU}(AXw)`.

    Fields: ``adjacency[G, n, n]``, ``features[G, n, d]``, ``node_mask[G, n]``, ``labels[G]``;
    optional provenance from :func:`reduce_instance`: ``gadget[G]``, ``gadget_index[G]``,
    ``instance``. Padding nodes (mask false) must carry zero features and no edges.
    """

    adjacency: np.ndarray
    features: np.ndarray
    node_mask: np.ndarray
    labels: np.ndarray
    gadget: np.ndarray | None = None
    gadget_index: np.ndarray | None = None
    instance: OneInThreeInstance | None = None

    def __post_init__(self) -> None:
        A = np.asarray(self.adjacency, dtype=np.float64)
        X = np.asarray(self.features, dtype=np.float64)
        mask = np.asarray(self.node_mask)
        y = np.asarray(self.labels, dtype=np.float64)
        if X.ndim != 3:
            raise InvalidParameterError(f"Expected features to have shape (G, n, d), got {X.shape}.")
        G, n, _ = X.shape
        if A.shape != (G, n, n):
            raise InvalidParameterError(f"Expected adjacency to have shape (G, n, n) = {(G, n, n)}, got {A.shape}.")
        if mask.shape != (G, n) or mask.dtype != np.bool_:
            raise InvalidParameterError(f"Expected node_mask to be a bool array of shape {(G, n)}, got {mask.dtype} {mask.shape}.")
        if y.shape != (G,):
            raise InvalidParameterError(f"Expected labels to have shape ({G},), got {y.shape}.")
        for name, arr in (("adjacency", A), ("features", X), ("labels", y)):
            if not np.all(np.isfinite(arr)):
                raise InvalidParameterError(f"{name} must be finite; it contains NaN or inf.")
        pad = ~mask
        if np.any(X[pad] != 0) or np.any(A[pad] != 0) or np.any(A.transpose(0, 2, 1)[pad] != 0):
            raise InvalidParameterError("padding nodes (node_mask false) must have zero features and no edges.")
        for name in ("gadget", "gadget_index"):
            v = getattr(self, name)
            if v is not None:
                v = np.asarray(v, dtype=np.int64)
                if v.shape != (G,):
                    raise InvalidParameterError(f"Expected {name} to have shape ({G},), got {v.shape}.")
                object.__setattr__(self, name, v)
        for name, arr in (("adjacency", A), ("features", X), ("node_mask", mask), ("labels", y)):
            object.__setattr__(self, name, arr)

    @property
    def n_graphs(self) -> int:
        """The number of graphs ``G``."""
        return int(self.labels.shape[0])

    @property
    def dim(self) -> int:
        """The feature dimension ``d`` (the length of ``w``)."""
        return int(self.features.shape[2])

    def save(self, path: str | Path) -> Path:
        """Write the data set as ``.npz`` (format in the module docstring); returns the path."""
        arrays: dict[str, Any] = {
            "format": np.array(FORMAT),
            "adjacency": self.adjacency,
            "features": self.features,
            "node_mask": self.node_mask,
            "labels": self.labels,
        }
        if self.gadget is not None:
            arrays["gadget"] = self.gadget
        if self.gadget_index is not None:
            arrays["gadget_index"] = self.gadget_index
        if self.instance is not None:
            arrays["n_vars"] = np.array(self.instance.n_vars)
            arrays["clauses"] = np.asarray(self.instance.clauses)
        p = Path(path)
        with open(p, "wb") as fh:  # a file handle keeps numpy from appending '.npz'
            np.savez_compressed(fh, **arrays)
        return p

    @classmethod
    def load(cls, path: str | Path) -> "GraphDataset":
        """Read a data set written by :meth:`save`; malformed files raise ``InstanceFormatError``."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise InstanceFormatError(f"{p}: no such file.") from None
        except (OSError, ValueError, EOFError) as err:
            raise InstanceFormatError(f"{p}: not a readable .npz data set ({' '.join(str(err).split())}).") from None
        fmt = str(data.get("format", ""))
        if fmt != FORMAT:
            raise InstanceFormatError(f"{p}: 'format' is {fmt!r}, expected {FORMAT!r}.")
        missing = [k for k in ("adjacency", "features", "node_mask", "labels") if k not in data]
        if missing:
            raise InstanceFormatError(f"{p}: missing arrays {missing}.")
        instance = None
        if "clauses" in data or "n_vars" in data:
            try:
                instance = OneInThreeInstance(int(data["n_vars"]), data["clauses"])
            except (KeyError, InvalidParameterError, TypeError) as err:
                raise InstanceFormatError(f"{p}: bad 'n_vars'/'clauses' ({err}).") from None
        try:
            return cls(
                data["adjacency"], data["features"], data["node_mask"], data["labels"],
                data.get("gadget"), data.get("gadget_index"), instance,
            )
        except (InvalidParameterError, ValueError) as err:
            raise InstanceFormatError(f"{p}: {err}") from None


def reduce_instance(instance: OneInThreeInstance) -> GraphDataset:
    """The data set of the reduction (module docstring): ``1 + n + m`` graphs, ``d = n + 1``, labels 1.

    Graph order: the bias gadget, the variable gadgets ``x_1..x_n``, the clause gadgets in
    instance order. Every graph is padded to 2 nodes.

    Shapes: -> ``adjacency[1+n+m, 2, 2]``, ``features[1+n+m, 2, n+1]``.
    """
    if not isinstance(instance, OneInThreeInstance):
        raise InvalidParameterError(f"instance must be a OneInThreeInstance, not {type(instance).__name__}.")
    n, m = instance.n_vars, instance.n_clauses
    G, d = 1 + n + m, n + 1
    X = np.zeros((G, 2, d))
    A = np.zeros((G, 2, 2))
    mask = np.zeros((G, 2), dtype=bool)
    # bias gadget
    X[0, 0, 0] = 1.0
    # variable gadgets: graphs 1..n, nodes e_i and -e_i, two self-loops, no edge between them
    idx = np.arange(1, n + 1)
    X[idx, 0, idx] = 1.0
    X[idx, 1, idx] = -1.0
    mask[idx, 1] = True
    A[idx, 1, 1] = 1.0
    # clause gadgets: graphs n+1..n+m, one node 2 e_0 + sum_j s_j e_{i_j} (coefficients add up)
    c = instance.clauses
    rows = np.repeat(np.arange(1 + n, G), 3)
    np.add.at(X, (rows, 0, np.abs(c).ravel()), np.sign(c).ravel().astype(np.float64))
    X[1 + n:, 0, 0] = 2.0
    mask[:, 0] = True
    A[:, 0, 0] = 1.0
    gadget = np.concatenate([[0], np.ones(n, np.int64), np.full(m, 2, np.int64)])
    gadget_index = np.concatenate([[0], np.arange(1, n + 1), np.arange(m)])
    return GraphDataset(A, X, mask, np.ones(G), gadget, gadget_index, instance)


# --------------------------------------------------------------------------------------------
# Witness maps and evaluation


def assignment_to_weights(assignment) -> np.ndarray:
    """Map an assignment to weights: ``w_0 = 1``, ``w_i = +1`` if ``x_i`` true else ``-1``.

    Shapes: ``assignment[n]`` (bool or 0/1) -> ``w[n + 1]`` float64.
    """
    a = np.asarray(assignment)
    if a.ndim != 1 or a.size == 0:
        raise InvalidParameterError(f"assignment must be a non-empty 1-D array, got shape {a.shape}.")
    if a.dtype != np.bool_ and not np.all((a == 0) | (a == 1)):
        raise InvalidParameterError("assignment must hold booleans or 0/1 values.")
    return np.concatenate([[1.0], np.where(a.astype(bool), 1.0, -1.0)])


def weights_to_assignment(w) -> np.ndarray:
    """Map weights back to an assignment, ``x_i = [w_i > 0]`` for ``i = 1..n`` (``w_0`` is the bias).

    For weights consistent with a reduced data set to within ``η < 1/3`` on every graph
    (see :func:`max_label_error`) the result satisfies the instance (robustness lemma).

    Shapes: ``w[n + 1]`` -> ``assignment[n]`` bool.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 1 or w.size < 2:
        raise InvalidParameterError(f"w must be a 1-D array of length n_vars + 1 >= 2, got shape {w.shape}.")
    return w[1:] > 0


def evaluate_gnn(dataset: GraphDataset, w) -> np.ndarray:
    r"""Evaluate :math:`f_w(X_g, A_g) = 1^\top \mathrm{ReLU}(A_g X_g w)` on every graph (float64, numpy).

    The same function as :func:`symhard.models.gnn.one_hidden_layer_gnn` with ``W = w[:, None]``,
    ``a = [1]`` (``tests/test_np_hardness.py`` checks that they agree); numpy keeps torch out of
    ``symhard np``.

    Shapes: ``w[d]`` -> ``[G]``.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (dataset.dim,):
        raise InvalidParameterError(f"w must have shape ({dataset.dim},) (one weight per feature), got {w.shape}.")
    hidden = np.maximum(dataset.adjacency @ (dataset.features @ w)[..., None], 0.0)  # [G, n, 1]
    return hidden[..., 0].sum(-1)


def max_label_error(dataset: GraphDataset, w) -> float:
    """``max_g |f_w(X_g, A_g) - y_g|``; zero (up to float rounding) iff ``w`` is consistent."""
    return float(np.max(np.abs(evaluate_gnn(dataset, w) - dataset.labels), initial=0.0))


# --------------------------------------------------------------------------------------------
# Solvers


def solve_sat(instance: OneInThreeInstance, *, encoding: str = "seqcounter", solver: str = "minisat22") -> np.ndarray | None:
    """Decide the 1-in-3-SAT instance with python-sat; a satisfying assignment or ``None``.

    Each clause becomes ``CardEnc.equals(lits, bound=1)`` in the chosen cardinality ``encoding``
    (one of :data:`SAT_ENCODINGS`). A clause that repeats a variable first gets one fresh
    variable per position, ``p_j ↔ ℓ_j``, so that positions count with multiplicity whatever the
    encoding does with repeated literals.

    Shapes: -> ``assignment[n]`` bool, or ``None`` if unsatisfiable.
    """
    CardEnc, EncType, CNF, Solver = _import_pysat()
    if encoding not in SAT_ENCODINGS:
        raise InvalidParameterError(f"encoding must be one of {SAT_ENCODINGS}, got {encoding!r}.")
    enc = getattr(EncType, encoding)
    n = instance.n_vars
    cnf = CNF()
    top = n
    for clause in instance.clauses.tolist():
        lits = clause
        if len({abs(l) for l in clause}) < 3:
            lits = list(range(top + 1, top + 4))
            top += 3
            for p, l in zip(lits, clause):
                cnf.extend([[-p, l], [p, -l]])
        card = CardEnc.equals(lits=lits, bound=1, top_id=top, encoding=enc)
        cnf.extend(card.clauses)
        top = max(top, card.nv)
    from pysat.solvers import NoSuchSolverError

    try:
        with Solver(name=solver, bootstrap_with=cnf.clauses) as s:
            if not s.solve():
                return None
            model = s.get_model()
    except NoSuchSolverError:
        raise InvalidParameterError(
            f"solver must be a python-sat solver name such as 'minisat22', 'glucose4' or 'cadical153', got {solver!r}."
        ) from None
    assignment = np.zeros(n, dtype=bool)
    pos = np.array([l for l in model if 0 < abs(l) <= n], dtype=np.int64)
    assignment[np.abs(pos[pos > 0]) - 1] = True
    return assignment


@dataclass
class ConsistencyResult:
    """The answer of :func:`solve_consistency`.

    ``consistent``: whether real weights fit every label exactly; ``weights[d]`` (float64) and
    ``weights_exact`` (rationals as strings) when they do; otherwise ``unsat_core``: indices of
    graphs whose constraints z3 proved jointly unsatisfiable (a proof that no weights exist).
    """

    consistent: bool
    weights: np.ndarray | None = None
    weights_exact: list[str] | None = None
    unsat_core: list[int] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "weights": None if self.weights is None else self.weights.tolist(),
            "weights_exact": self.weights_exact,
            "unsat_core": self.unsat_core,
            "seconds": self.seconds,
        }


def _exact(arr: np.ndarray) -> np.ndarray:
    """Float array -> object array of exact Fractions (every float64 is a dyadic rational)."""
    return np.frompyfunc(lambda v: Fraction(float(v)), 1, 1)(arr)


def _smt_num(c) -> str:
    """An exact rational as an SMT-LIB real term: ``3.0``, ``(- 3.0)``, ``(/ 3.0 4.0)``."""
    f = Fraction(c)
    mag = f"{abs(f.numerator)}.0" if f.denominator == 1 else f"(/ {abs(f.numerator)}.0 {f.denominator}.0)"
    return f"(- {mag})" if f < 0 else mag


def to_smtlib(dataset: GraphDataset) -> str:
    r"""The consistency question as an SMT-LIB 2 script over linear real arithmetic (QF_LRA).

    Exact in rationals and independent of any gadget: real unknowns ``w0..w{d-1}``; for every
    real node ``v`` of graph ``g`` a real ``r_g_v`` with :math:`z_{gv} = (A_g X_g)_v\, w` and

    .. math:: (z_{gv} \le 0 \wedge r_{gv} = 0) \vee (z_{gv} \ge 0 \wedge r_{gv} = z_{gv}),
              \qquad \textstyle\sum_v r_{gv} = y_g ,

    the constraints of graph ``g`` in one assertion named ``graph_g`` (for unsat cores). The
    script ends with ``(check-sat)``; any SMT-LIB solver can replay it.
    """
    A, X, y = dataset.adjacency, dataset.features, dataset.labels
    if all(np.all(a == np.round(a)) and np.all(np.abs(a) < 2**20) for a in (A, X, y)):
        # integer data (every reduced data set): int64 products are exact, no overflow below 2**63
        coef = np.matmul(A.astype(np.int64), X.astype(np.int64)).tolist()
        labels = y.astype(np.int64).tolist()
    else:
        coef = np.matmul(_exact(A), _exact(X))  # [G, n, d] object array of exact Fractions
        labels = _exact(y)
    lines = ["(set-logic QF_LRA)", "(set-option :produce-unsat-cores true)"]
    lines += [f"(declare-fun w{k} () Real)" for k in range(dataset.dim)]
    for g in range(dataset.n_graphs):
        parts, outs = [], []
        for v in np.flatnonzero(dataset.node_mask[g]).tolist():
            terms = [f"(* {_smt_num(c)} w{k})" for k, c in enumerate(coef[g][v]) if c != 0]
            z = "0.0" if not terms else terms[0] if len(terms) == 1 else f"(+ {' '.join(terms)})"
            r = f"r_{g}_{v}"
            lines.append(f"(declare-fun {r} () Real)")
            parts.append(f"(or (and (<= {z} 0.0) (= {r} 0.0)) (and (>= {z} 0.0) (= {r} {z})))")
            outs.append(r)
        total = "0.0" if not outs else outs[0] if len(outs) == 1 else f"(+ {' '.join(outs)})"
        parts.append(f"(= {total} {_smt_num(labels[g])})")
        lines.append(f"(assert (! (and {' '.join(parts)}) :named graph_{g}))")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def solve_consistency(dataset: GraphDataset, *, timeout_ms: int | None = None, minimize_core: bool = True) -> ConsistencyResult:
    r"""Decide with z3 whether some :math:`w \in \mathbb{R}^d` fits every label exactly.

    z3 solves the QF_LRA script of :func:`to_smtlib` (each ReLU unit a disjunction, exact
    rationals, no use of the gadget structure). A satisfiable answer returns z3's rational model
    of ``w``; an unsatisfiable one the unsat core of named graph assertions (minimized when
    ``minimize_core``), a subset of graphs that no weights fit.
    """
    z3 = _import_z3()
    t0 = time.perf_counter()
    script = to_smtlib(dataset).replace("(check-sat)\n", "")
    s = z3.SolverFor("QF_LRA")
    s.set("unsat_core", True)
    if minimize_core:
        s.set("core.minimize", True)
    if timeout_ms is not None:
        s.set("timeout", check_int(timeout_ms, "timeout_ms", min_value=1))
    s.from_string(script)
    answer = s.check()
    if answer == z3.unknown:
        raise SymhardError(f"z3 could not decide consistency ({s.reason_unknown()}); raise timeout_ms.")
    if answer == z3.unsat:
        core = sorted(int(str(b).split("_")[1]) for b in s.unsat_core())
        return ConsistencyResult(False, unsat_core=core, seconds=time.perf_counter() - t0)
    model = s.model()
    fracs = [model.eval(z3.Real(f"w{k}"), model_completion=True).as_fraction() for k in range(dataset.dim)]
    return ConsistencyResult(
        True,
        weights=np.array([float(f) for f in fracs]),
        weights_exact=[str(f) for f in fracs],
        seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------------
# The machine check


@dataclass
class CheckReport:
    """Summary of :func:`check_random`.

    ``instances``; ``agree`` (python-sat and z3 gave the same answer); ``satisfiable`` (python-sat
    count); ``consistent`` (z3 count); ``witnesses_checked`` / ``witnesses_ok`` (forward map of
    every python-sat model checked on the GNN, backward map of every z3 model checked on the
    formula); ``failures`` (indices of instances with a disagreement or a failed witness).
    """

    instances: int
    agree: int
    satisfiable: int
    consistent: int
    witnesses_checked: int
    witnesses_ok: int
    seconds: float
    n_vars: int
    n_clauses: int
    seed: int
    failures: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every instance agreed and every witness checked out."""
        return self.agree == self.instances and self.witnesses_ok == self.witnesses_checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "instances": self.instances,
            "agree": self.agree,
            "satisfiable": self.satisfiable,
            "consistent": self.consistent,
            "witnesses_checked": self.witnesses_checked,
            "witnesses_ok": self.witnesses_ok,
            "seconds": self.seconds,
            "n_vars": self.n_vars,
            "n_clauses": self.n_clauses,
            "seed": self.seed,
            "failures": self.failures,
        }


def check_random(
    n_instances: int,
    n_vars: int,
    *,
    n_clauses: int | None = None,
    ratio: float = DEFAULT_RATIO,
    negation_prob: float = 0.5,
    seed: int = 0,
    atol: float = 1e-9,
) -> CheckReport:
    """Cross-check the reduction on random instances with python-sat and z3.

    For each instance (drawn by :func:`~symhard.reductions.dimacs.random_instance` from one
    stream seeded by ``seed``): python-sat decides it; z3 decides whether the reduced data set
    has consistent real weights; the answers must agree. A python-sat model must satisfy the
    formula and its weights (:func:`assignment_to_weights`) must fit every label (GNN evaluated,
    error ``<= atol``); a z3 model must fit every label and its assignment
    (:func:`weights_to_assignment`) must satisfy the formula.
    """
    N = check_int(n_instances, "n_instances", min_value=1)
    n = check_int(n_vars, "n_vars", min_value=3)
    seed = check_int(seed, "seed", min_value=0)
    atol = check_float(atol, "atol", low=0.0)
    rng = as_generator(seed)
    t0 = time.perf_counter()
    agree = sat_count = cons_count = checked = ok = 0
    failures: list[int] = []
    m = 0
    for k in range(N):
        inst = random_instance(n, n_clauses, ratio=ratio, negation_prob=negation_prob, seed=rng)
        m = inst.n_clauses
        data = reduce_instance(inst)
        assignment = solve_sat(inst)
        result = solve_consistency(data)
        good = (assignment is not None) == result.consistent
        agree += good
        if assignment is not None:
            sat_count += 1
            checked += 1
            w_fwd = assignment_to_weights(assignment)
            fwd = satisfies(inst, assignment) and max_label_error(data, w_fwd) <= atol
            ok += fwd
            good &= fwd
        if result.consistent:
            cons_count += 1
            checked += 1
            back = max_label_error(data, result.weights) <= atol and satisfies(
                inst, weights_to_assignment(result.weights)
            )
            ok += back
            good &= back
        if not good:
            failures.append(k)
    return CheckReport(N, agree, sat_count, cons_count, checked, ok, time.perf_counter() - t0, n, m, seed, failures)
