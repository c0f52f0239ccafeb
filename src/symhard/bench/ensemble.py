r"""``M`` copies of a user's plain module trained as one ensemble (the contract of the ensemble trainer).

:func:`symhard.learners.gd.train_ensemble` trains models whose parameters carry a leading
ensemble axis ``[M, ...]`` and whose ``forward`` returns ``[M, B]``. A user's ``make_model(info)``
returns one plain ``nn.Module`` per (seed, lr) member; :class:`StackedEnsemble` stacks their
parameters and buffers with :func:`torch.func.stack_module_state` and evaluates
``f_m(x) = module(x; θ_m, β_m)`` with :func:`torch.func.functional_call`, either under
:func:`torch.func.vmap` or by a Python loop over the members.

Modes follow PyTorch: ``ens.train()`` / ``ens.eval()`` switch the user's module too, so BatchNorm
normalizes by batch statistics and updates its running statistics (each member its own slice of
the stacked buffers) while training, and uses the running statistics in evaluation mode;
dropout is active only in training mode.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Sequence

import torch
from torch import nn

from ..errors import InvalidParameterError, SymhardError
from ._guest import UserCode, UserCodeError, definition_site

__all__ = ["StackedEnsemble", "as_vector"]


def as_vector(out: Any, B: int, user: UserCode | None = None, site: str | None = None) -> torch.Tensor:
    """The user's output as a ``[B]`` tensor (``[B, 1]`` is accepted); anything else is an error."""
    if not isinstance(out, torch.Tensor):
        msg = f"the model must return a tensor of shape [B] or [B, 1], got {type(out).__name__}"
        raise user.fail(msg, site) if user else InvalidParameterError(msg + ".")
    if out.dim() == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.dim() != 1 or out.shape[0] != B:
        msg = f"the model must return shape [B] or [B, 1] with B = {B}, got {tuple(out.shape)}"
        raise user.fail(msg, site) if user else InvalidParameterError(msg + ".")
    return out


class StackedEnsemble(nn.Module):
    r"""``M`` copies of one plain module trained as one ensemble: ``f_m(x) = module(x; θ_m)``.

    Parameters are stacked by :func:`torch.func.stack_module_state` into ``[M, ...]`` tensors
    (the contract of :func:`symhard.learners.gd.train_ensemble`); ``forward`` evaluates all
    members with ``vmap(functional_call)`` (``mode="vmap"``) or a loop over members
    (``mode="loop"``). ``mode="auto"`` tries ``vmap`` on ``probe`` inputs in training mode
    (forward and backward, compared with the loop to ``1e-4`` relative) and falls back to the
    loop; ``mode_reason`` says why. The probe leaves the buffers as they were (BatchNorm's
    running statistics are restored).

    ``user`` (a :class:`~symhard.bench._guest.UserCode`) makes failures of the module one-line
    :class:`~symhard.bench._guest.UserCodeError` naming the user's file and line.

    Shapes: ``forward(*inputs)`` with inputs ``[B, ...]`` → ``[M, B]``.
    """

    def __init__(self, modules: Sequence[nn.Module], mode: str = "auto",
                 probe: tuple[torch.Tensor, ...] | None = None, user: UserCode | None = None) -> None:
        super().__init__()
        self._user = [user]  # a list keeps it out of nn.Module's attribute handling
        self._check_modules(modules)
        if mode not in ("auto", "vmap", "loop"):
            raise InvalidParameterError(f"mode must be 'auto', 'vmap' or 'loop', got {mode!r}.")
        params, buffers = torch.func.stack_module_state(list(modules))
        self.M = len(modules)
        self._pnames = list(params)
        self._bnames = list(buffers)
        for i, k in enumerate(self._pnames):
            self.register_parameter(f"p{i}", nn.Parameter(params[k].detach().clone()))
        for i, k in enumerate(self._bnames):
            self.register_buffer(f"b{i}", buffers[k].detach().clone())
        self._base = [copy.deepcopy(modules[0]).to("meta")]  # a list hides it from nn.Module
        self._site = definition_site(type(modules[0]).forward) if user is not None else None
        if user is not None:
            user.add_object(modules[0])
        self.mode = "loop" if mode == "loop" else "vmap"
        self.mode_reason = "requested" if mode != "auto" else ""
        self.train(modules[0].training)
        if mode == "auto":
            self._choose_mode(probe)

    def _fail(self, msg: str) -> SymhardError:
        user = self._user[0]
        return user.fail(msg) if user is not None else InvalidParameterError(msg + ".")

    def _check_modules(self, modules: Sequence[nn.Module]) -> None:
        if not modules:
            raise InvalidParameterError("StackedEnsemble needs at least one module.")
        for m in modules:
            if not isinstance(m, nn.Module):
                raise self._fail(f"make_model must return a torch.nn.Module, got {type(m).__name__}")
        shapes = [tuple((n, tuple(p.shape)) for n, p in m.named_parameters()) for m in modules]
        shapes_b = [tuple((n, tuple(b.shape)) for n, b in m.named_buffers()) for m in modules]
        if any(s != shapes[0] for s in shapes) or any(s != shapes_b[0] for s in shapes_b):
            raise self._fail("make_model returned modules with different parameters or buffers across members "
                             "(every member must have the same architecture)")
        if not shapes[0]:
            raise self._fail("the model has no parameters to train")

    def train(self, mode: bool = True) -> "StackedEnsemble":
        """Training (``True``) or evaluation mode, for the stacked parameters and the user's module."""
        super().train(mode)
        self._base[0].train(mode)
        return self

    # parameter / buffer dicts with the module's own names
    def _param_dict(self) -> dict[str, torch.Tensor]:
        return {k: getattr(self, f"p{i}") for i, k in enumerate(self._pnames)}

    def _buffer_dict(self) -> dict[str, torch.Tensor]:
        return {k: getattr(self, f"b{i}") for i, k in enumerate(self._bnames)}

    def _forward_loop(self, *xs: torch.Tensor) -> torch.Tensor:
        base, user = self._base[0], self._user[0]
        P, Bf = self._param_dict(), self._buffer_dict()
        B = xs[0].shape[0]
        outs = [as_vector(torch.func.functional_call(base, ({k: v[m] for k, v in P.items()},
                                                           {k: v[m] for k, v in Bf.items()}), xs), B, user, self._site)
                for m in range(self.M)]
        return torch.stack(outs)

    def _forward_vmap(self, *xs: torch.Tensor) -> torch.Tensor:
        base, user = self._base[0], self._user[0]
        B = xs[0].shape[0]

        def one(p, b, *x):
            return as_vector(torch.func.functional_call(base, (p, b), x), B, user, self._site)

        in_dims = (0, 0) + (None,) * len(xs)
        return torch.func.vmap(one, in_dims=in_dims, randomness="different")(self._param_dict(), self._buffer_dict(), *xs)

    def _try_vmap(self, probe: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor | None, str]:
        """vmap forward and backward on the probe: (output, "") or (None, why it failed)."""
        try:
            out_v = self._forward_vmap(*probe)
            out_v.double().pow(2).sum().backward()
        except UserCodeError:
            raise
        except Exception as err:  # noqa: BLE001 - vmap could not trace the module: the loop runs it
            return None, f"vmap failed: {type(err).__name__}: {(str(err).splitlines() or [''])[0][:160]}"
        finally:
            grads_ok = all(p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in self.parameters())
            for p in self.parameters():
                p.grad = None
        return (out_v.detach(), "") if grads_ok else (None, "vmap gave no finite gradient for every parameter")

    def _choose_mode(self, probe: tuple[torch.Tensor, ...] | None) -> None:
        if probe is None:
            self.mode, self.mode_reason = "loop", "no probe inputs to test vmap on"
            return
        saved = [b.detach().clone() for b in self.buffers()]
        was = self.training
        self.train(True)  # the mode training runs in (BatchNorm updates running statistics there)
        try:
            out_v, why = self._try_vmap(probe)
            self._restore(saved)
            with torch.no_grad():
                if self._user[0] is not None:
                    with self._user[0].running("running its forward on a first batch"):
                        out_l = self._forward_loop(*probe)
                else:
                    out_l = self._forward_loop(*probe)
        finally:
            self._restore(saved)
            self.train(was)
        if out_v is None:
            self.mode, self.mode_reason = "loop", why
            return
        scale = float(out_l.abs().max()) + 1e-12
        diff = float((out_v - out_l).abs().max())
        if not math.isfinite(diff) or diff > 1e-4 * scale:
            self.mode, self.mode_reason = "loop", "vmap output differs from the plain call"
            return
        self.mode, self.mode_reason = "vmap", "vmap forward and backward agree with the plain call"

    @torch.no_grad()
    def _restore(self, saved: list[torch.Tensor]) -> None:
        for b, s in zip(self.buffers(), saved):
            b.copy_(s)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        run = self._forward_vmap if self.mode == "vmap" else self._forward_loop
        user = self._user[0]
        if user is None:
            return run(*xs)
        with user.running("running its forward"):
            return run(*xs)
