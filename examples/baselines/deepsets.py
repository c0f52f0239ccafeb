r"""DeepSets baseline ρ(Σ_i φ(x_i)) for the point tasks of ``symhard bench``.

Tasks: ``boolean`` and ``polynomials`` and ``frames`` (input ``x[B, n]``: the set elements are
the n scalars ``x_i``), ``cnn`` (input ``X[B, n, d]``: the set elements are the n rows). With
φ: R^d → R^h and ρ: R^h → R two-layer ReLU networks (Zaheer et al. 2017),

.. math:: f(X) = \rho\Bigl(\textstyle\sum_{i=1}^{n} \varphi(X_{i,:})\Bigr).

*Invariance.* The sum does not depend on the order of the rows, so f is invariant under every
permutation of the n points, hence under the task's group G ≤ S_n, exactly in real arithmetic
(float32 only reorders the sum: violations ~1e-7 relative).

*What it can learn: only S_n-invariant functions.* That is the point of this baseline and its
limit. A control that is invariant under Z_n (or D_n) but not under S_n lies partly outside its
class: e.g. the ``polynomials`` control, a unit-norm degree-2 orbit sum
``p = n^{-1/2} Σ_i x_i x_{i+s}`` over one Z_n-orbit of n pairs, has S_n-average
``P p = (n/C(n,2)) n^{-1/2} Σ_{i<j} x_i x_j``, and by Hermite orthonormality
``‖P p‖² = n/C(n, 2) = 2/(n−1)``, so every S_n-invariant predictor has normalized error at least
``1 − 2/(n−1)``. The controls it is meant for are the ones that are S_n-invariant: ``cnn`` and
``frames`` with ``--option group=symmetric:N``, ``polynomials`` with ``--option control_k=1``
(the orbit sum of the singletons, ``n^{-1/2} Σ_i x_i``), and ``boolean`` at n = 3 (the one orbit of
pairs under Z_3 is all pairs).

    symhard bench --model examples/baselines/deepsets.py:make_model --family cnn --sweep n=6 \
        --role control --option group=symmetric:6
"""

from __future__ import annotations

import torch
from torch import nn

from symhard.errors import InvalidParameterError, check_int

#: The tasks this baseline accepts: one input whose axis 1 indexes the n points.
TASKS = ("boolean", "polynomials", "frames", "cnn")


def point_input(info, baseline: str = "deepsets") -> tuple[int, int]:
    """``(n, d)`` of a point task's single input ``x (n,)`` or ``X (n, d)`` in ``info``, or a one-line error."""
    if info.task not in TASKS:
        raise InvalidParameterError(f"the {baseline} baseline supports the point tasks {', '.join(TASKS)}, not {info.task!r}.")
    if tuple(info.input_actions) != ("rows",) or len(info.input_shapes) != 1:
        raise InvalidParameterError(
            f"the {baseline} baseline needs one input whose rows the group permutes; task {info.task!r} has "
            f"input_actions {tuple(info.input_actions)}."
        )
    shape = tuple(info.input_shapes[0])
    if len(shape) not in (1, 2):
        raise InvalidParameterError(f"the {baseline} baseline needs a per-sample input of shape (n,) or (n, d), got {shape}.")
    return shape[0], (shape[1] if len(shape) == 2 else 1)


class DeepSets(nn.Module):
    """``ρ(Σ_i φ(x_i))`` with φ: R^d → R^h, ρ: R^h → R two-layer ReLU networks of width ``hidden``.

    Shapes: ``forward(x[B, n])`` or ``forward(X[B, n, d]) -> [B]``.
    """

    def __init__(self, in_features: int, hidden: int = 64) -> None:
        super().__init__()
        hidden = check_int(hidden, "hidden", min_value=1)
        self.phi = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.rho = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() == 2:
            X = X.unsqueeze(-1)
        return self.rho(self.phi(X).sum(dim=1)).squeeze(-1)


def make_model(info, *, hidden: int = 64) -> nn.Module:
    """symhard bench factory: DeepSets on the rows of the task's single input."""
    _n, d = point_input(info, "deepsets")
    return DeepSets(d, hidden=hidden)
