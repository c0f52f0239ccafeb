r"""The slope of log threshold against log budget that the CSQ view predicts, per family and budget axis.

Derivation (docs/frontier.md has it in full). Gradient descent on the square loss with p
parameters, T steps and batch b is T·p correlational queries of tolerance τ ≈ 1/√b
(:func:`symhard.queries.bounds.gd_as_csq`). Two regimes:

*Polynomial classes with γ = 0* (invariant parities on {±1}^n, invariant polynomials): the
counting lemma needs q ≥ (m − 1)τ² queries, m ≍ size^a. So a run learns the class only if
T·p·b ≳ m. With p ≍ size^π (the trained network's parameters grow with the input) every budget
axis (steps T, batch b, samples, width) enters as one factor, and the largest learnable size
grows as budget^{1/(a − π)}: predicted slope **1/(a − π)**. For Z_n on n points, N_k(Z_n) ≍
C(n, k)/n ≍ n^{k−1} and the Z_n-averaged network has p ≍ n·width, so the slope is **1/(k − 2)**
(k ≥ 3; for k ≤ 2 nothing limits the size).

*Tolerance-limited classes* (the DKKZ construction on graphs, ``gnn-features``): the class is
exponential in d but its correlations are γ(d) ≍ d^{−k/2} (overlaps ‖VᵀU‖ ≍ d^{−1/2}, to the
power k). While τ² = 1/b > γ the counting lemma demands exponentially many queries, so more
steps or width buy at most a logarithmic growth of d*: predicted slope **0** on the steps and
width axes. Learning needs τ² ≲ γ, i.e. b ≳ d^{k/2}: predicted slope **2/k** on the batch axis
(and on the samples axis, reading the training-set size as the sample size behind one query).

*Exponential classes without a tolerance escape* (``gnn-degree-parity``: m ≍ 2^{n−2} members and
the spectral bound (m − 1)τ²/λ): n* grows at most like log(budget): predicted slope **0**.

*The SQ learner* for invariant polynomials asks queries of tolerance ∝ c_min² = 1/|G| = 1/n, so
it needs ≍ n² log n samples: predicted slope **1/2** on the samples axis.

These are **upper bounds on the slope**, not predictions of equality: the bound is a lower bound
on the cost, so the learnable size can grow no faster (asymptotically, up to constants); a
measured slope below the prediction means gradient descent pays more than the CSQ bound demands.
With the ℓ1 or Huber loss the gradients are not correlational queries (Joshi, Misiakiewicz,
Srebro 2024), so no CSQ prediction is made. The assumptions: a fixed width multiple of the target,
square loss, the mini-batch tolerance read at one standard deviation, constants ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["SlopePrediction", "predicted_slope", "AXES"]

#: The budget axes of a frontier.
AXES = ("steps", "batch", "samples", "width")


@dataclass(frozen=True)
class SlopePrediction:
    """The predicted slope (``None``: no prediction, ``inf``: the size is not limited) and why."""

    slope: float | None
    formula: str
    regime: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _polynomial_class(k: int, a: int, pi: int, what: str) -> SlopePrediction:
    if a - pi <= 0:
        return SlopePrediction(float("inf"), f"{what}: m ~ size^{a}, p ~ size^{pi}: nothing limits the size",
                               "polynomial class, gamma = 0")
    return SlopePrediction(1.0 / (a - pi), f"1/(a - pi) = 1/({a} - {pi}) with m ~ size^{a} ({what}), p ~ size^{pi}",
                           "polynomial class, gamma = 0")


def predicted_slope(task: str, k: int, axis: str, learner: str = "gd", loss: str = "square") -> SlopePrediction:
    """The CSQ-predicted upper bound on d log(threshold)/d log(budget) (module docstring)."""
    if axis not in AXES:
        raise InvalidParameterError(f"axis must be one of {', '.join(AXES)}; got {axis!r}.")
    if learner == "sq-polynomial":
        if axis != "samples":
            return SlopePrediction(None, "the SQ learner's budget is its samples; use --axis samples", "SQ learner")
        return SlopePrediction(0.5, "tolerance ~ c_min^2 = 1/|G| = 1/n, so samples ~ n^2 log n", "SQ learner")
    if loss != "square":
        return SlopePrediction(None, f"no CSQ prediction: with the {loss} loss gradients are not correlational queries",
                               "not correlational")
    if task in ("boolean", "polynomials"):
        what = "N_k(Z_n) ~ C(n,k)/n orbits" if task == "boolean" else "N_k(Z_n) ~ C(n,k)/n orbit sums"
        return _polynomial_class(k, k - 1, 1, what)
    if task == "gnn-features":
        if axis in ("steps", "width"):
            return SlopePrediction(0.0, "gamma ~ d^(-k/2) < tau^2 = 1/b: exponentially many queries, d* ~ log(budget)",
                                   "tolerance-limited")
        return SlopePrediction(2.0 / k, f"tau^2 = 1/b must reach gamma ~ d^(-k/2): d* ~ b^(2/k) = b^{2.0 / k:.3g}",
                               "tolerance-limited")
    if task == "gnn-degree-parity":
        return SlopePrediction(0.0, "m ~ 2^(n-2) members (spectral bound): n* ~ log(budget)", "exponential class")
    return SlopePrediction(None, f"no prediction derived for task {task!r}", "not derived")
