"""The solvers of the NP-hardness reduction: python-sat for 1-in-3-SAT, z3 for the consistency of GNN weights.

Split from :mod:`symhard.reductions.np_hardness` (which re-exports these names); both solvers are
optional extras (``pip install 'symhard[sat]'``), imported only when called.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .._random import as_generator
from ..errors import InvalidParameterError, SymhardError, check_float, check_int
from .dimacs import DEFAULT_RATIO, OneInThreeInstance, random_instance, satisfies
from .np_hardness import GraphDataset, assignment_to_weights, max_label_error, reduce_instance, weights_to_assignment

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


# ------------------------------------------------------------------------------ solvers


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
