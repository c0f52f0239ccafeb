r"""Frame averaging of any ensemble model, and a one-hidden-layer ensemble MLP to average.

:class:`FrameAveraged` turns a model ``φ`` (``forward(x) -> [M, B]``, ``x [B, n]`` or
``[M, B, n]``) into the :math:`G`-invariant model

.. math::

    \langle\phi\rangle_F(x) = \frac{1}{|F(x)|}\sum_{h\in F(x)} \phi(h^{-1}·x),
    \qquad (h^{-1}·x)_i = x_{h(i)},

for a frame :math:`F` of :mod:`symhard.groups.frames`. The frame is piecewise constant in x, so
gradients flow through ``φ`` and the gather only. ``mode="sampled"`` replaces the average by
``samples`` uniform draws from :math:`F(x)` (fresh at every call, from the wrapper's generator).

:class:`EnsembleMLP`: :math:`\phi_m(x) = \sum_j a_{mj}\,\sigma(\langle w_{mj}, x\rangle + b_{mj})`,
``W [M, n, h]``, ``a [M, h]``, ``b [M, h]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from .._random import as_generator
from ..errors import InvalidParameterError, check_int
from ..groups.frames import Frame
from ..queries.activations import apply_activation, check_activation

ACTIVATIONS = ("relu", "abs")


class EnsembleMLP(nn.Module):
    """``M`` one-hidden-layer networks φ_m(x) = Σ_j a_mj σ(⟨w_mj, x⟩ + b_mj).

    Shapes: ``W [M, n, h]``, ``a [M, h]``, ``b [M, h]``; ``forward(x [B, n] | [M, B, n]) -> [M, B]``.
    Initialization: W ~ N(0, 1/n), a ~ N(0, 1/h), b = 0.
    """

    def __init__(self, n: int, width: int, ensemble: int = 1, activation: str = "relu", bias: bool = False,
                 generator: torch.Generator | None = None, *, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.n = check_int(n, "n", min_value=1)
        self.width = check_int(width, "width", min_value=1)
        self.ensemble = check_int(ensemble, "ensemble", min_value=1)
        check_activation(activation, ACTIVATIONS)
        self.activation = activation
        dtype = dtype or torch.get_default_dtype()
        self.W = nn.Parameter(torch.randn(self.ensemble, self.n, self.width, generator=generator, dtype=dtype) / math.sqrt(self.n))
        self.a = nn.Parameter(torch.randn(self.ensemble, self.width, generator=generator, dtype=dtype) / math.sqrt(self.width))
        self.b = nn.Parameter(torch.zeros(self.ensemble, self.width, dtype=dtype)) if bias else None

    @classmethod
    def from_weights(cls, W: Any, a: Any, b: Any = None, activation: str = "relu") -> "EnsembleMLP":
        """``W [n, h] | [M, n, h]``, ``a [h] | [M, h]``, ``b`` likewise or None; dtype kept."""
        W = torch.as_tensor(np.asarray(W)) if not isinstance(W, torch.Tensor) else W
        W = W[None] if W.ndim == 2 else W
        if W.ndim != 3:
            raise InvalidParameterError(f"W must have shape [n, h] or [M, n, h], got {tuple(W.shape)}.")
        M, n, h = W.shape

        def vec(v: Any, name: str) -> torch.Tensor:
            v = (torch.as_tensor(np.asarray(v)) if not isinstance(v, torch.Tensor) else v).to(W.dtype)
            v = v[None].expand(M, -1) if v.ndim == 1 else v
            if tuple(v.shape) != (M, h):
                raise InvalidParameterError(f"{name} must have shape [{h}] or [{M}, {h}], got {tuple(v.shape)}.")
            return v

        net = cls(n, h, M, activation, bias=b is not None, dtype=W.dtype)
        with torch.no_grad():
            net.W.copy_(W)
            net.a.copy_(vec(a, "a"))
            if b is not None:
                net.b.copy_(vec(b, "b"))
        return net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.W.dtype)
        if x.shape[-1] != self.n or x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[0] != self.ensemble):
            raise InvalidParameterError(
                f"x must have shape [B, {self.n}] or [{self.ensemble}, B, {self.n}], got {tuple(x.shape)}."
            )
        pre = torch.einsum("bi,mih->mbh", x, self.W) if x.ndim == 2 else torch.einsum("mbi,mih->mbh", x, self.W)
        if self.b is not None:
            pre = pre + self.b[:, None, :]
        return torch.einsum("mbh,mh->mb", apply_activation(self.activation, pre), self.a)


class FrameAveraged(nn.Module):
    """⟨model⟩_F: the frame average of an ensemble model (G-invariant for every weight setting).

    Parameters
    ----------
    model : torch.nn.Module
        ``forward(x) -> [M, B]`` for ``x [B, n]`` and, for per-member inputs, ``x [M, B, n]``.
    frame : Frame
        A frame of :mod:`symhard.groups.frames` on n points.
    mode : {"exact", "sampled"}
        Average over all of F(x), or over ``samples`` uniform draws from F(x).
    samples : int
        Draws per input in sampled mode.
    seed : int
        Seed of the sampled mode's draws.

    Shapes: ``forward(x [B, n] | [M, B, n]) -> [M, B]``.
    """

    def __init__(self, model: nn.Module, frame: Frame, mode: str = "exact", samples: int = 4, seed: int = 0) -> None:
        super().__init__()
        if not isinstance(frame, Frame):
            raise InvalidParameterError(f"frame must be a symhard.groups.frames.Frame, not {type(frame).__name__}.")
        if mode not in ("exact", "sampled"):
            raise InvalidParameterError(f"mode must be 'exact' or 'sampled', got {mode!r}.")
        self.model = model
        self.frame = frame
        self.mode = mode
        self.samples = check_int(samples, "samples", min_value=1)
        self._rng = as_generator(check_int(seed, "seed", min_value=0))

    def extra_repr(self) -> str:
        return f"frame={self.frame!r}, mode={self.mode!r}" + (f", samples={self.samples}" if self.mode == "sampled" else "")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.frame.n
        if x.ndim not in (2, 3) or x.shape[-1] != n:
            raise InvalidParameterError(f"x must have shape [B, {n}] or [M, B, {n}], got {tuple(x.shape)}.")
        if self.mode == "exact":
            perms, mask = self.frame.elements(x)
        else:
            perms = self.frame.sample(x, self.samples, self._rng)
            mask = np.ones(perms.shape[:-1], dtype=bool)
        perms_t = torch.as_tensor(perms, device=x.device)
        mask_t = torch.as_tensor(mask, device=x.device, dtype=x.dtype)
        K = perms_t.shape[-2]
        moved = torch.gather(x.unsqueeze(-2).expand(*perms_t.shape), -1, perms_t)  # h⁻¹·x: [..., B, K, n]
        flat = moved.reshape(*x.shape[:-2], -1, n)  # [(M,) B*K, n]
        out = self.model(flat)  # [M, B*K]
        out = out.reshape(out.shape[0], x.shape[-2], K)
        return (out * mask_t).sum(-1) / mask_t.sum(-1)
