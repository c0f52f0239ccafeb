r"""Benchmark your own model or learner against the hard families: a locked harness.

:func:`run` trains a user's model (or runs a user's learner) on the learning task of a hard
family, swept over the family's hardness parameter, under exactly the conditions of the
built-in gradient-descent baseline, and reports both beside the family's query lower bound.
:mod:`symhard.bench.suite` runs the frozen suite (``symhard bench --suite v1``) and writes a
scorecard.

The harness is *locked*: for every swept value ``v`` and every seed ``s``

* the target is the member of the family that ``task(v, role, s)`` draws (``role = "hard"`` by
  default), normalized by the task to unit second moment;
* ``N = budget_samples`` inputs are drawn once (:mod:`symhard.bench.data`); ``N_val = 20 %`` of
  them are held out for validation and the other ``N − N_val`` are the training set of every
  learner; the test set is ``n_test`` fresh inputs from an independent stream, never shown to a
  learner;
* every network (the user's and the baseline) is trained by
  :func:`symhard.learners.gd.train_ensemble` with the same optimizer, ``budget_steps`` steps,
  ``batch_size`` and learning-rate grid ``lrs``; a learner gets the same training samples;
* per seed the learning rate with the smallest *validation* error is chosen, and the score is
  its normalized test error

  .. math:: \mathrm{err} = \frac{\frac1{n}\sum_i (\hat f(x_i) - y_i)^2}{\frac1{n}\sum_i y_i^2},

  so the zero predictor scores 1 and a perfect one 0.

User code is a guest: ``--model`` and ``--learner`` run arbitrary Python. Its failures
(exceptions, ``sys.exit``, wrong types or shapes, NaN outputs) become one-line
:class:`UserCodeError` naming the user's file and line (:mod:`symhard.bench._guest`).

Modules: :mod:`~symhard.bench.contracts` (``ModelInfo``, ``Budget``, ``sample``),
:mod:`~symhard.bench._loading` (``load_object``, ``parse_sweep``), :mod:`~symhard.bench.ensemble`
(``StackedEnsemble``), :mod:`~symhard.bench.invariance` (the invariance check),
:mod:`~symhard.bench.data` (the data streams), :mod:`~symhard.bench.harness` (the run loop),
:mod:`~symhard.bench.results` (``BenchResult``), :mod:`~symhard.bench.defaults` (the budget),
:mod:`~symhard.bench.suite` (the frozen suite and scorecards). This package draws nothing: the
figure is :func:`symhard.report.bench.bench_figure`'s.
"""

from ._guest import UserCodeError
from ._loading import load_object, parse_sweep
from .contracts import Budget, BudgetExceededError, ModelInfo
from .data import VAL_FRACTION, HarnessData, harness_data
from .defaults import DEFAULTS, SUCCESS_THRESHOLD
from .ensemble import StackedEnsemble
from .harness import run
from .invariance import TASK_ACTIONS, InvarianceReport, invariance_check, task_symmetry
from .results import BenchResult

__all__ = [
    "ModelInfo", "Budget", "BudgetExceededError", "InvarianceReport", "BenchResult", "StackedEnsemble",
    "UserCodeError", "run", "load_object", "parse_sweep", "task_symmetry", "invariance_check", "TASK_ACTIONS",
    "harness_data", "HarnessData", "VAL_FRACTION", "DEFAULTS", "SUCCESS_THRESHOLD",
]
