"""Reductions: NP-hardness of properly learning GNN weights (1-in-3-SAT ≤ GNN consistency).

See :mod:`symhard.reductions.np_hardness` for the reduction and its proof and
:mod:`symhard.reductions.dimacs` for the instances. python-sat and z3 (the ``sat`` extra) are
imported only when a solver is called.
"""

from .dimacs import DEFAULT_RATIO, OneInThreeInstance, parse_dimacs, random_instance, read_dimacs, satisfies, to_dimacs
from .np_hardness import (
    APPROXIMATION_GAP,
    CheckReport,
    ConsistencyResult,
    GraphDataset,
    MissingExtraError,
    assignment_to_weights,
    check_random,
    evaluate_gnn,
    max_label_error,
    reduce_instance,
    solve_consistency,
    solve_sat,
    weights_to_assignment,
)

__all__ = [
    "DEFAULT_RATIO",
    "OneInThreeInstance",
    "parse_dimacs",
    "read_dimacs",
    "to_dimacs",
    "random_instance",
    "satisfies",
    "APPROXIMATION_GAP",
    "CheckReport",
    "ConsistencyResult",
    "GraphDataset",
    "MissingExtraError",
    "assignment_to_weights",
    "weights_to_assignment",
    "evaluate_gnn",
    "max_label_error",
    "reduce_instance",
    "solve_sat",
    "solve_consistency",
    "check_random",
]
