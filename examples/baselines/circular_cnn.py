r"""Circular CNN baseline (``Conv1d`` with circular padding, global average pooling) for the Z_n point tasks.

Tasks: ``boolean``, ``polynomials``, ``frames`` (input ``x[B, n]``, one channel) and ``cnn``
(input ``X[B, n, d]``: n positions on a circle, d channels), when the task's group is the
cyclic shift group Z_n (``PermutationGroup.is_cyclic_shift()``; the default group of all four).
The network is

.. math::

    H^{(1)}_{c,i} = \mathrm{ReLU}\Bigl(b_c + \textstyle\sum_{c'} \sum_{j=-r}^{r} W_{c,c',j}\, X_{i+j \bmod n,\, c'}\Bigr),
    \qquad r = \lfloor n/2 \rfloor,

then ``layers − 1`` circular convolutions of kernel size 3 with ReLU, then
``z = (1/n) Σ_i H^{(L)}_{:,i}`` and a two-layer head ``f = ρ(z)``. The first kernel (size
``2r + 1``) spans the whole circle, so the first layer already sees all n points in the order
of the circle starting at i: the network contains ``Σ_i φ(shift_i x)``, i.e. every
Z_n-averaged one-hidden-layer network, the form of the ``cnn`` targets and of the family's own
baseline.

*Invariance.* Circular convolution commutes with the shift: ``conv(shift x) = shift(conv x)``
exactly (each output is the same sum of the same products, at another position), so the
average over positions is Z_n-invariant, exactly in real arithmetic and up to the order of one
sum in float32 (~1e-7 relative). It is *not* invariant under reflections, so the factory
refuses any group other than Z_n (e.g. ``boolean --option group=dihedral``), where the
harness's check would rightly fail.

    symhard bench --model examples/baselines/circular_cnn.py:make_model --family polynomials --sweep n=6 --role control
"""

from __future__ import annotations

import torch
from torch import nn

from symhard.errors import InvalidParameterError, check_int

#: The tasks this baseline accepts (with the group Z_n): one input whose axis 1 is the circle.
TASKS = ("boolean", "polynomials", "frames", "cnn")


def cyclic_input(info) -> tuple[int, int]:
    """``(n, channels)`` of a Z_n point task's single input ``x (n,)`` or ``X (n, d)``, or a one-line error."""
    if info.task not in TASKS:
        raise InvalidParameterError(f"the circular-cnn baseline supports the point tasks {', '.join(TASKS)} with the group Z_n, not {info.task!r}.")
    if tuple(info.input_actions) != ("rows",) or len(info.input_shapes) != 1:
        raise InvalidParameterError(
            f"the circular-cnn baseline needs one input whose rows the group shifts; task {info.task!r} has "
            f"input_actions {tuple(info.input_actions)}."
        )
    shape = tuple(info.input_shapes[0])
    if len(shape) not in (1, 2):
        raise InvalidParameterError(f"the circular-cnn baseline needs a per-sample input of shape (n,) or (n, d), got {shape}.")
    if not info.group.is_cyclic_shift():
        raise InvalidParameterError(
            f"the circular-cnn baseline is invariant under the cyclic shifts Z_n only; task {info.task!r} has the group "
            f"{info.group.name} (use the group cyclic:{shape[0]}, or a baseline invariant under {info.group.name})."
        )
    return shape[0], (shape[1] if len(shape) == 2 else 1)


class CircularCNN(nn.Module):
    """A full-circle circular conv, ``layers − 1`` kernel-3 circular convs, mean over positions, a two-layer head.

    Shapes: ``forward(x[B, n])`` or ``forward(X[B, n, d]) -> [B]``.
    """

    def __init__(self, n: int, channels: int = 1, hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        n = check_int(n, "n", min_value=1)
        hidden = check_int(hidden, "hidden", min_value=1)
        layers = check_int(layers, "layers", min_value=1)
        r = n // 2
        convs = [nn.Conv1d(channels, hidden, kernel_size=2 * r + 1, padding=r, padding_mode="circular")]
        convs += [nn.Conv1d(hidden, hidden, kernel_size=3, padding=1, padding_mode="circular") for _ in range(layers - 1)]
        self.convs = nn.ModuleList(convs)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        h = X.unsqueeze(1) if X.dim() == 2 else X.transpose(1, 2)  # [B, channels, n]
        for conv in self.convs:
            h = torch.relu(conv(h))
        return self.head(h.mean(dim=-1)).squeeze(-1)


def make_model(info, *, hidden: int = 64, layers: int = 2) -> nn.Module:
    """symhard bench factory: a circular CNN over the n positions of the task's single input."""
    n, channels = cyclic_input(info)
    return CircularCNN(n, channels, hidden=hidden, layers=layers)
