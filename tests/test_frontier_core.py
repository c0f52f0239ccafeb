"""The frontier's pure parts: bisection on the size, bootstrap thresholds, the slope fit, predictions.

References are synthetic lines whose threshold is known exactly, and a power law whose slope is
known; the bootstrap's coverage is checked on Bernoulli data with a known success curve.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from symhard.errors import InvalidParameterError
from symhard.frontier.predict import predicted_slope
from symhard.frontier.search import Bisection, success_rate
from symhard.frontier.stats import bootstrap_thresholds, fit_slope, line_threshold, seed_resamples


def run_line(b: Bisection, true_threshold: int, seeds: int = 4) -> list[int]:
    """Drive a bisection against a deterministic oracle: error 0 up to the threshold, 1 above."""
    asked = []
    while (s := b.next_size()) is not None:
        asked.append(s)
        b.record(s, [0.0 if s <= true_threshold else 1.0] * seeds)
    return asked


@pytest.mark.parametrize("true", [4, 5, 17, 63, 64, 99])
def test_bisection_finds_the_exact_threshold(true):
    b = Bisection(lo=4, hi=100)
    asked = run_line(b, true)
    assert b.threshold == true and b.censored is None
    assert len(asked) <= 2 + math.ceil(math.log2(96)) + 2  # the two ends, then (geometric, arithmetic) halving
    assert len(set(asked)) == len(asked)  # never asks the same size twice


def test_bisection_censoring_and_relative_tolerance():
    below = Bisection(lo=8, hi=64)
    run_line(below, 3)
    assert below.censored == "below" and below.threshold is None and below.done
    above = Bisection(lo=8, hi=64)
    run_line(above, 1000)
    assert above.censored == "above" and above.threshold == 64
    coarse = Bisection(lo=10, hi=1000, rel_tol=0.2)
    run_line(coarse, 437)
    good, bad = coarse.bracket()
    assert good <= 437 < bad and bad - good <= max(1, math.floor(0.2 * good))
    with pytest.raises(InvalidParameterError):
        Bisection(lo=10, hi=10)


def test_half_of_the_seeds_is_the_criterion():
    assert success_rate([0.05, 0.2, 0.01, float("nan")], 0.1) == 0.5
    b = Bisection(lo=2, hi=10)
    b.record(2, [0.0, 0.0, 1.0, 1.0])  # exactly half learned: counts as learned
    b.record(10, [1.0, 1.0, 0.0, 1.0])  # a quarter: not learned
    assert b.bracket() == (2, 10)


def test_monotone_envelope_and_bootstrap_coverage():
    rng = np.random.default_rng(0)
    sizes = [4, 8, 16, 32, 64]
    # a size at which the true success probability is 0.5 sits between 16 and 32
    p = np.array([0.99, 0.95, 0.8, 0.2, 0.01])
    true_threshold = 16
    covered, trials = 0, 200
    for _ in range(trials):
        success = rng.random((len(sizes), 12)) < p[:, None]
        boot = bootstrap_thresholds(sizes, success, seed_resamples(12, 400, seed=int(rng.integers(1 << 30))))
        lo, hi = np.quantile(boot, [0.025, 0.975])
        covered += lo <= true_threshold <= hi
    assert covered / trials >= 0.85
    # the envelope stops at the first failing size, even if a larger one succeeds by chance
    assert line_threshold(sizes, np.array([[1, 1], [1, 1], [0, 0], [1, 1], [0, 0]], bool)) == 8
    assert line_threshold(sizes, np.zeros((5, 3), bool)) is None


def test_slope_fit_recovers_a_power_law_and_skips_censored_points():
    budgets = [100, 300, 1000, 3000, 10000]
    thresholds = [round(2.0 * B**0.5) for B in budgets]
    fit = fit_slope(budgets, thresholds)
    assert fit.slope == pytest.approx(0.5, abs=0.02) and fit.points == 5
    fit2 = fit_slope(budgets, thresholds[:3] + [64, 64], censored=[None, None, None, "above", "above"])
    assert fit2.points == 3 and fit2.slope == pytest.approx(0.5, abs=0.05)
    assert fit_slope(budgets, [None, None, None, 5, None]).slope is None
    boot = np.array([[t * f for t in thresholds] for f in (0.9, 1.0, 1.1)])  # same slope in every resample
    lo_hi = fit_slope(budgets, thresholds, boot_thresholds=boot)
    assert lo_hi.slope_ci_low == pytest.approx(0.5, abs=0.02) and lo_hi.slope_ci_high == pytest.approx(0.5, abs=0.02)


def test_predicted_slopes():
    assert predicted_slope("boolean", 4, "steps").slope == pytest.approx(1 / 2)
    assert predicted_slope("polynomials", 3, "width").slope == pytest.approx(1.0)
    assert predicted_slope("boolean", 2, "steps").slope == math.inf
    assert predicted_slope("gnn-features", 4, "batch").slope == pytest.approx(0.5)
    assert predicted_slope("gnn-features", 8, "steps").slope == 0.0
    assert predicted_slope("gnn-degree-parity", 2, "samples").slope == 0.0
    assert predicted_slope("polynomials", 4, "samples", learner="sq-polynomial").slope == 0.5
    assert predicted_slope("polynomials", 4, "steps", loss="l1").slope is None
    with pytest.raises(InvalidParameterError, match="axis"):
        predicted_slope("boolean", 3, "epochs")


@pytest.mark.parametrize("family", ["boolean", "gnn-features", "gnn-degree-parity", "polynomials"])
@pytest.mark.parametrize("quick", [True, False])
@pytest.mark.parametrize("axis", ["steps", "samples"])
def test_every_plan_builds_a_valid_spec_within_the_task_sizes(family, quick, axis):
    # a bracket beyond the task's allowed sizes (boolean n <= 62) must be clipped, not sent to validation
    from symhard.families.base import get_task
    from symhard.frontier.config import plan_for
    from symhard.frontier.runner import frontier_spec

    plan = plan_for(family, axis=axis, quick=quick)
    spec = frontier_spec(plan, f"t-{family}")
    param = get_task(plan.task).param
    for series in spec.series:
        assert param.low is None or min(series.values) >= param.low
        assert param.high is None or max(series.values) <= param.high
        assert len(series.values) >= 2
