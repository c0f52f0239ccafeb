r"""The SQ learner for invariant polynomials as a ``symhard bench`` learner (task ``polynomials`` only).

``learn(sample, budget) -> predict`` is the harness's learner contract: ``sample(m)`` returns the
next ``m`` samples ``((x,), y)`` of the locked training set (at most ``budget.samples`` in all),
``budget.info`` describes the task. This learner draws the whole budget through ``sample``,
builds one :class:`~symhard.learners.sq_polynomial.EmpiricalOracle` on it (every query is
answered by the mean over those samples, the oracle of the separation experiment) and runs
:class:`~symhard.learners.sq_polynomial.SQPolynomialLearner` against it, through
:func:`~symhard.learners.sq_polynomial.fit_from_samples` (which answers at any sample size:
too few samples show up as an error, not as a refusal):

* support growth by the Reynolds-averaged queries
  ``E[y² Π_{j∈U}(x_j² − 1)] = 2^{|U|} Σ_{T ⊇ U} c_T²``,
* coefficients by ``E[y · p_[V](x)] = a_V`` (Hermite orthonormality),
* output ``f̂ = Σ_V â_V p_[V]``, exactly invariant under the task's group (an orbit sum).

The degree bound is ``k = max(k, control_k)`` of the task options (defaults 4 and 2), so one
learner covers the hard member and the control: the learner is told the class, not the role.
It is not a network: ``budget.steps`` is ignored.

    symhard bench --learner examples/baselines/sq_learner.py:learn --family polynomials --sweep n=6,8 \
        --budget-samples 20000
"""

from __future__ import annotations

from symhard.errors import InvalidParameterError, check_int
from symhard.learners.sq_polynomial import fit_from_samples

#: The only task this learner accepts: its target class is the sparse invariant polynomials.
TASKS = ("polynomials",)


def learn(sample, budget):
    """symhard bench learner: spend the sample budget on one empirical SQ oracle, return ``predict(x[B, n]) -> [B]``."""
    info = budget.info
    if info.task not in TASKS:
        raise InvalidParameterError(
            f"the sq-learner baseline learns sparse invariant polynomials and supports only the task 'polynomials', "
            f"not {info.task!r}."
        )
    shapes = tuple(tuple(s) for s in info.input_shapes)
    if len(shapes) != 1 or len(shapes[0]) != 1:
        raise InvalidParameterError(f"the sq-learner baseline needs one input x of shape (n,), got shapes {shapes}.")
    k = max(check_int(info.options.get("k", 4), "k", min_value=1),
            check_int(info.options.get("control_k", 2), "control_k", min_value=1))
    k = min(k, shapes[0][0])
    (x,), y = sample(sample.remaining)
    predict, _fit = fit_from_samples(info.group, k, x.double().numpy(), y.double().numpy())
    return predict
