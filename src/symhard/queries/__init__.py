"""SQ and CSQ oracles, input distributions, lower-bound formulas, Gram matrices, Walsh–Hadamard.

Modules: :mod:`~symhard.queries.distributions`, :mod:`~symhard.queries.oracles`,
:mod:`~symhard.queries.bounds`, :mod:`~symhard.queries.gram`, :mod:`~symhard.queries.walsh`
and :mod:`~symhard.queries.arccos` (exact arc-cosine kernel).
"""

from .bounds import (
    GDQueryBudget as GDQueryBudget,
    csq_pairwise_bound as csq_pairwise_bound,
    gd_as_csq as gd_as_csq,
    pairwise_independence_bound as pairwise_independence_bound,
    queries_or_tolerance as queries_or_tolerance,
    sq_dimension_bound as sq_dimension_bound,
)
from .distributions import (
    BooleanCube as BooleanCube,
    Distribution as Distribution,
    ErdosRenyi as ErdosRenyi,
    Gaussian as Gaussian,
    GaussianMatrix as GaussianMatrix,
)
from .oracles import (
    AdversarialOracle as AdversarialOracle,
    Answer as Answer,
    ExactOracle as ExactOracle,
    Oracle as Oracle,
    Query as Query,
    QueryRecord as QueryRecord,
    SampledOracle as SampledOracle,
    as_query as as_query,
    make_oracle as make_oracle,
)

__all__ = [
    "BooleanCube", "Distribution", "ErdosRenyi", "Gaussian", "GaussianMatrix",
    "AdversarialOracle", "Answer", "ExactOracle", "Oracle", "Query", "QueryRecord", "SampledOracle",
    "as_query", "make_oracle",
    "GDQueryBudget", "csq_pairwise_bound", "gd_as_csq", "pairwise_independence_bound",
    "queries_or_tolerance", "sq_dimension_bound",
]
