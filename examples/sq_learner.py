"""The SQ learner for invariant polynomials as a ``symhard bench --learner``.

``learn(sample, budget) -> predict`` is the learner contract of the harness: ``sample(m)``
returns the next ``m`` training samples ``((x,), y)`` of the locked training set (at most
``budget.samples`` in total), ``budget.info`` describes the task (its group, the swept value,
the task options). This adapter spends the whole sample budget on one empirical SQ oracle (query
answers are means over the samples, the oracle of the separation experiment) and runs
:class:`symhard.learners.sq_polynomial.SQPolynomialLearner` (support growth by the queries
E[y² Π_{j∈U}(x_j² − 1)], then coefficients by E[y·x_T]) against it. It is not a network, so
there are no gradient steps: ``budget.steps`` is ignored.

    symhard bench --learner examples/sq_learner.py:learn --family polynomials --sweep n=8,12,16 \\
        --budget-samples 20000
"""

from __future__ import annotations

import torch

from symhard.learners.sq_polynomial import EmpiricalOracle, SQPolynomialLearner


def learn(sample, budget):
    (x,), y = sample(budget.samples)
    k = int(budget.info.options.get("k", 4))
    learner = SQPolynomialLearner(budget.info.group, k)
    # check_samples=False: with too few samples the learner still answers (and usually fails),
    # which is what a benchmark at a fixed budget should show instead of refusing to run.
    result = learner.fit(EmpiricalOracle(x.double().numpy(), y.double().numpy()), check_samples=False)

    def predict(x: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(result.predict(x.double().numpy()))

    return predict
