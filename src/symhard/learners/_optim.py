"""Adam and SGD with one learning rate per ensemble member and a per-member update mask.

``torch.optim`` applies one learning rate per parameter *tensor*; an lr grid trained as one
ensemble needs one per *slice* ``[m]``. The update rules are those of ``torch.optim.Adam`` and
``torch.optim.SGD`` (L2 coupling, bias correction, ε = 10⁻⁸), vectorized over the ensemble axis;
``tests/test_gd.py`` checks one member against ``torch.optim``.
"""

from __future__ import annotations

import torch

__all__ = ["EnsembleOptimizer"]

_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


class EnsembleOptimizer:
    """Adam / SGD with one learning rate per ensemble member and a per-member update mask."""

    def __init__(self, params: list[torch.Tensor], lrs: list[float], kind: str, weight_decay: float) -> None:
        self.params = params
        self.kind = kind
        self.wd = weight_decay
        self.t = 0
        dev = params[0].device
        self.lr = torch.tensor(lrs, dtype=params[0].dtype, device=dev)
        if kind == "adam":
            self.m1 = [torch.zeros_like(p) for p in params]
            self.m2 = [torch.zeros_like(p) for p in params]

    def _b(self, vec: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return vec.reshape((-1,) + (1,) * (p.dim() - 1)).to(p.dtype)

    @torch.no_grad()
    def step(self, active: torch.Tensor) -> torch.Tensor:
        """Apply one update to the ``active`` members; return the members whose new parameters are
        not finite (their update is discarded)."""
        self.t += 1
        new_vals = []
        finite = active.clone()
        for i, p in enumerate(self.params):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            g = torch.where(self._b(active, p).bool(), g, torch.zeros_like(g))
            if self.wd:
                g = g + self.wd * p
            if self.kind == "sgd":
                upd = self._b(self.lr, p) * g
            else:
                m1 = torch.where(self._b(active, p).bool(), _BETA1 * self.m1[i] + (1 - _BETA1) * g, self.m1[i])
                m2 = torch.where(self._b(active, p).bool(), _BETA2 * self.m2[i] + (1 - _BETA2) * g * g, self.m2[i])
                self.m1[i], self.m2[i] = m1, m2
                bc1 = 1 - _BETA1 ** self.t
                bc2 = 1 - _BETA2 ** self.t
                upd = self._b(self.lr, p) * (m1 / bc1) / ((m2 / bc2).sqrt() + _EPS)
            new = p - upd
            finite &= torch.isfinite(new).reshape(new.shape[0], -1).all(dim=1)  # [M] params too
            new_vals.append(new)
        keep = active & finite
        for p, new in zip(self.params, new_vals):
            p.copy_(torch.where(self._b(keep, p).bool(), new, p))
        return active & ~finite
