"""A tiny learning task for the experiment tests: sparse parities on the Boolean cube.

``toy-parity``: x uniform on {±1}^n; hard target chi_S(x) = prod_{i in S} x_i with |S| = ceil(n/2)
(S drawn from the seed); control target x_{S[0]} (degree 1). Both have unit second moment
exactly. Model: an ensemble one-hidden-layer ReLU MLP. Imported by the specs of
tests/test_experiments.py through the spec key ``imports``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from symhard.families.base import LowerBound, register_task


class ToyMLP(torch.nn.Module):
    """f_m(x) = a_m^T relu(W_m^T x); W [M, n, h], a [M, h]; x [B, n] -> [M, B]."""

    def __init__(self, M: int, n: int, h: int, generator: torch.Generator) -> None:
        super().__init__()
        self.W = torch.nn.Parameter(torch.randn(M, n, h, generator=generator) / math.sqrt(n))
        self.a = torch.nn.Parameter(torch.randn(M, h, generator=generator) / math.sqrt(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("mbh,mh->mb", torch.relu(torch.einsum("bn,mnh->mbh", x, self.W)), self.a)


@dataclass
class ToyParity:
    role: str
    param_value: int
    seed: int
    family: str = "toy-parity"
    param_name: str = "n"
    hidden_units: int = 4

    def __post_init__(self) -> None:
        n = self.param_value
        self.S = np.random.default_rng(self.seed).permutation(n)[: math.ceil(n / 2)]

    def sample_inputs(self, m: int, generator: torch.Generator):
        return (torch.randint(0, 2, (m, self.param_value), generator=generator).float() * 2 - 1,)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        if self.role == "control":
            return x[:, int(self.S[0])]
        return x[:, torch.as_tensor(self.S)].prod(dim=1)

    def make_model(self, ensemble: int, width: int, generator: torch.Generator) -> ToyMLP:
        return ToyMLP(ensemble, self.param_value, width, generator)

    def lower_bound(self, tau: float) -> LowerBound:
        n = self.param_value
        m = math.comb(n, math.ceil(n / 2))
        return LowerBound(queries=m * tau**2 / 2, tau=tau, formula="C(n, ceil(n/2)) tau^2 / 2 (orthonormal parities)")


@register_task("toy-parity")
def toy_parity(param_value: int, role: str, seed: int, **options) -> ToyParity:
    return ToyParity(role=role, param_value=int(param_value), seed=int(seed))
