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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InstanceFormatError, InvalidParameterError
from ..resources import Estimate, reduction_estimate, require
from .dimacs import OneInThreeInstance

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
        from .._files import commit, temporary_path

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_path(p)
        with open(tmp, "wb") as fh:  # a file handle keeps numpy from appending '.npz'
            np.savez_compressed(fh, **arrays)
        commit(tmp, p)  # atomic: the old file or the whole new one
        return p

    @classmethod
    def load(cls, path: str | Path) -> "GraphDataset":
        """Read a data set written by :meth:`save`; malformed files raise ``InstanceFormatError``."""
        p = Path(path)
        require(Estimate(f"loading the data set {p}", bytes=2.0 * _npz_bytes(p), lower="give a smaller data set"))
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


def _npz_bytes(p: Path) -> int:
    """Bytes the arrays of an .npz file hold once loaded, from their headers alone (no decompression):
    a small file may declare a huge array. 0 when the file is not a readable .npz (load reports it)."""
    import zipfile

    total = 0
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                    shape, _, dtype = read(f)
                    total += int(np.prod(shape, dtype=object)) * dtype.itemsize
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, TypeError, AttributeError):
        return total
    return total


def reduce_instance(instance: OneInThreeInstance) -> GraphDataset:
    """The data set of the reduction (module docstring): ``1 + n + m`` graphs, ``d = n + 1``, labels 1.

    Graph order: the bias gadget, the variable gadgets ``x_1..x_n``, the clause gadgets in
    instance order. Every graph is padded to 2 nodes.

    Shapes: -> ``adjacency[1+n+m, 2, 2]``, ``features[1+n+m, 2, n+1]``.
    """
    if not isinstance(instance, OneInThreeInstance):
        raise InvalidParameterError(f"instance must be a OneInThreeInstance, not {type(instance).__name__}.")
    n, m = instance.n_vars, instance.n_clauses
    require(reduction_estimate(n, m))
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


_SOLVER_NAMES = ("MissingExtraError", "ConsistencyResult", "CheckReport", "solve_sat", "to_smtlib",
                 "solve_consistency", "check_random", "SAT_ENCODINGS")


def __getattr__(name: str) -> Any:
    """The solver half of the reduction lives in :mod:`symhard.reductions._solvers` (loaded on use)."""
    if name in _SOLVER_NAMES:
        from . import _solvers

        return getattr(_solvers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
