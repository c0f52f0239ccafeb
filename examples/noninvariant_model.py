"""A deliberately NON-invariant model for ``symhard bench``: a plain MLP on the flattened inputs.

It ignores the symmetry of the task (it sees node / point order), so the harness's invariance
check must flag it (``invariant: false`` with a relative violation of order 1). Works for every
task: the inputs are flattened and concatenated.

    symhard bench --model examples/noninvariant_model.py:make_model --family cnn --sweep n=8,16
"""

from __future__ import annotations

import math

import torch
from torch import nn


class FlatMLP(nn.Module):
    """f(x_1, ..., x_r) = a^T relu(W [vec x_1; ...; vec x_r] + b) + c.  Shapes: inputs [B, ...] -> [B]."""

    def __init__(self, in_features: int, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        x = torch.cat([t.reshape(t.shape[0], -1) for t in inputs], dim=1)
        return self.net(x).squeeze(-1)


def make_model(info) -> nn.Module:
    """The symhard bench factory: ``info.input_shapes`` gives the per-sample input shapes."""
    return FlatMLP(sum(math.prod(s) for s in info.input_shapes))
