r"""Group-averaged one-hidden-layer networks and circular CNNs, with an ensemble axis.

For a permutation group :math:`G \le S_n` acting on the rows of :math:`X \in \mathbb{R}^{n\times d}`
(``(g·X)[g(i)] = X[i]``, so ``(g⁻¹·X)[i] = X[g(i)]``), the architecture of Kiani et al. (2024) is

.. math::

    f(X) = \frac{1}{|G|} \sum_{g \in G} a^\top \sigma\bigl(W^\top g^{-1}X + b\,1_d^\top\bigr) 1_d
         = \frac{1}{|G|} \sum_{g\in G} \sum_{c=1}^{d} \sum_{j=1}^{h} a_j\,
           \sigma\Bigl(\sum_{i=1}^n W_{ij} X_{g(i),c} + b_j\Bigr),

with :math:`W \in \mathbb{R}^{n\times h}`, :math:`a, b \in \mathbb{R}^h` and
:math:`\sigma \in \{\mathrm{ReLU}, |\cdot|\}`. It is :math:`G`-invariant: replacing :math:`X` by
:math:`u·X` replaces the summand of :math:`g` by that of :math:`u^{-1}g`, a bijection of :math:`G`.
For :math:`d = 1` it is a :math:`G`-averaged MLP on :math:`\mathbb{R}^n`.

For the cyclic group :math:`\mathbb{Z}_n` of shifts :math:`g_s(i) = i + s \bmod n`, the
pre-activation of unit :math:`j` at shift :math:`s` is the circular cross-correlation
:math:`c_j[s] = \sum_i W_{ij} x_{i+s}`, so :math:`f` is a one-layer circular CNN with full-width
filters and global average pooling. The ``"circular"`` form evaluates all n shifts at once as
the circulant rows of the input times W, in cache-sized tiles with σ and the sum over shifts
fused in and one byte per pre-activation kept for the backward pass
(:mod:`symhard.models._circular`), without materializing the |G| permuted copies of X that the
``"generic"`` gather form builds. Both cost :math:`O(n^2)` multiply-adds per (sample, unit); the
circular form runs at about the machine's matrix-multiply rate (see BENCHMARKS.md).

Every parameter carries a leading ensemble axis ``M``: ``W [M, n, h]``, ``a [M, h]``,
``b [M, h]``; member ``m`` is an independent network.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import InvalidParameterError, check_int
from ..groups import PermutationGroup
from ..queries.activations import apply_activation, check_activation
from ._circular import circular_pool

ACTIVATIONS = ("relu", "abs")
FORMS = ("auto", "generic", "circular")

#: Pre-activation entries computed per chunk of group elements by the generic form.
_GENERIC_CHUNK_ENTRIES = 1 << 24


def is_cyclic_shift_group(group: PermutationGroup) -> bool:
    """Whether ``group`` is exactly Z_n (:meth:`symhard.groups.PermutationGroup.is_cyclic_shift`)."""
    return group.is_cyclic_shift()


def _resolve_form(group: PermutationGroup, form: Any) -> str:
    if form not in FORMS:
        raise InvalidParameterError(f"form must be one of {FORMS}, got {form!r}.")
    cyclic = is_cyclic_shift_group(group)
    if form == "circular" and not cyclic:
        raise InvalidParameterError(
            f"form='circular' needs the cyclic shift group Z_{group.degree} (e.g. PermutationGroup.cyclic"
            f"({group.degree})), got {group.name} of order {group.order}; use form='generic' or 'auto'."
        )
    if form == "auto":
        return "circular" if cyclic else "generic"
    return form


def _check_group(group: Any, n: int) -> PermutationGroup:
    if not isinstance(group, PermutationGroup):
        raise InvalidParameterError(
            f"group must be a PermutationGroup (see symhard.groups.parse_group), not {type(group).__name__}."
        )
    if group.degree != n:
        raise InvalidParameterError(
            f"group {group.name} acts on {group.degree} points, but the inputs have n == {n} rows; "
            "the group must act on exactly n points."
        )
    return group


class VectorInput(nn.Module):
    """Adapter: a model on ``X [B, n, 1]`` (d = 1 columns) applied to vectors ``x [B, n]`` (or ``[M, B, n]``)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.unsqueeze(-1))


class GroupAveragedNetwork(nn.Module):
    r"""Ensemble of ``M`` group-averaged one-hidden-layer networks (a circular CNN for Z_n).

    ``f_m(X) = (1/|G|) Σ_{g∈G} a_mᵀ σ(W_mᵀ g⁻¹X + b_m 1_dᵀ) 1_d``.

    Parameters
    ----------
    group : PermutationGroup
        G ≤ S_n acting on the n rows of the input (``group.degree == n``).
    n : int
        Number of rows (points) of an input X ∈ R^{n×d}.
    width : int
        Number of hidden units h.
    ensemble : int, default 1
        Number of independent members M.
    activation : {"relu", "abs"}
        σ; ``"abs"`` is the sign-invariant σ(z) = |z|.
    bias : bool, default False
        Whether the hidden units have a bias b.
    form : {"auto", "generic", "circular"}
        ``"generic"`` gathers g⁻¹X for every g ∈ G (any group small enough to enumerate);
        ``"circular"`` uses tiled circulant matrix products (only for the cyclic shift group Z_n); ``"auto"`` picks
        ``"circular"`` when the group is Z_n and ``"generic"`` otherwise.
    generator : torch.Generator, optional
        Source of the random initialization W ~ N(0, 1/n), a ~ N(0, 1/h), b = 0.

    Shapes
    ------
    - ``W``: ``[M, n, h]``, ``a``: ``[M, h]``, ``b``: ``[M, h]`` (when ``bias``).
    - ``forward(X)``: ``X [B, n, d]`` (shared by the members) or ``[M, B, n, d]`` → ``[M, B]``.
    """

    def __init__(
        self,
        group: PermutationGroup,
        n: int,
        width: int,
        ensemble: int = 1,
        activation: str = "relu",
        bias: bool = False,
        form: str = "auto",
        generator: torch.Generator | None = None,
        *,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        n = check_int(n, "n", min_value=1)
        width = check_int(width, "width", min_value=1)
        ensemble = check_int(ensemble, "ensemble", min_value=1)
        self.group = _check_group(group, n)
        self.n = n
        self.width = width
        self.ensemble = ensemble
        self.activation = check_activation(activation, ACTIVATIONS)
        self.form = _resolve_form(self.group, form)
        dtype = dtype or torch.get_default_dtype()
        W = torch.randn(ensemble, n, width, generator=generator, dtype=dtype) / math.sqrt(n)
        a = torch.randn(ensemble, width, generator=generator, dtype=dtype) / math.sqrt(width)
        self.W = nn.Parameter(W)
        self.a = nn.Parameter(a)
        self.b = nn.Parameter(torch.zeros(ensemble, width, dtype=dtype)) if bias else None
        if self.form == "generic":
            # elements[g, i] = g(i): row i of g⁻¹·X is X[g(i)].
            self.register_buffer("elements", torch.as_tensor(self.group.elements(), dtype=torch.long), persistent=False)
        else:
            self.elements = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_weights(
        cls,
        group: PermutationGroup,
        W: Any,
        a: Any,
        b: Any = None,
        activation: str = "relu",
        form: str = "auto",
    ) -> "GroupAveragedNetwork":
        """The network with the given weights (numpy or torch; the dtype is kept, float64 stays float64).

        ``W``: ``[n, h]`` or ``[M, n, h]``; ``a``: ``[h]`` or ``[M, h]``; ``b``: ``None``, ``[h]`` or ``[M, h]``.
        """
        W = torch.as_tensor(np.asarray(W) if not isinstance(W, torch.Tensor) else W)
        if not torch.is_floating_point(W):
            W = W.to(torch.get_default_dtype())
        if W.ndim == 2:
            W = W[None]
        if W.ndim != 3:
            raise InvalidParameterError(f"W must have shape [n, h] or [M, n, h], got {tuple(W.shape)}.")
        M, n, h = W.shape

        def member_vector(v: Any, name: str) -> torch.Tensor:
            v = torch.as_tensor(np.asarray(v) if not isinstance(v, torch.Tensor) else v).to(W.dtype)
            if v.ndim == 1:
                v = v[None].expand(M, -1)
            if tuple(v.shape) != (M, h):
                raise InvalidParameterError(
                    f"{name} must have shape [{h}] or [{M}, {h}] to match W of shape {tuple(W.shape)}, got {tuple(v.shape)}."
                )
            return v.clone()

        a_t = member_vector(a, "a")
        b_t = None if b is None else member_vector(b, "b")
        net = cls(group, n, h, ensemble=M, activation=activation, bias=b is not None, form=form, dtype=W.dtype)
        with torch.no_grad():
            net.W.copy_(W)
            net.a.copy_(a_t)
            if b_t is not None:
                net.b.copy_(b_t)
        return net

    def extra_repr(self) -> str:
        return (
            f"group={self.group.name}, n={self.n}, width={self.width}, ensemble={self.ensemble}, "
            f"activation={self.activation!r}, bias={self.b is not None}, form={self.form!r}"
        )

    # ------------------------------------------------------------------ forward
    def _check_input(self, X: torch.Tensor) -> tuple[torch.Tensor, bool]:
        if not isinstance(X, torch.Tensor):
            X = torch.as_tensor(np.asarray(X))
        X = X.to(self.W.dtype)
        if X.ndim == 3:
            per_member = False
        elif X.ndim == 4:
            if X.shape[0] != self.ensemble:
                raise InvalidParameterError(
                    f"per-member input X has {X.shape[0]} members along axis 0, the network has M == {self.ensemble}."
                )
            per_member = True
        else:
            raise InvalidParameterError(
                f"X must have shape [B, n, d] or [M, B, n, d] (use x[..., None] for vectors), got {tuple(X.shape)}."
            )
        if X.shape[-2] != self.n:
            raise InvalidParameterError(f"X has {X.shape[-2]} rows, the network acts on n == {self.n}.")
        return X, per_member

    def _hidden(self, pre: torch.Tensor) -> torch.Tensor:
        """σ(pre + b) for ``pre [M, B, ..., h]`` (bias broadcast over the middle axes)."""
        if self.b is not None:
            pre = pre + self.b.reshape((self.ensemble,) + (1,) * (pre.ndim - 2) + (self.width,))
        return apply_activation(self.activation, pre)

    def _forward_circular(self, X: torch.Tensor, per_member: bool) -> torch.Tensor:
        # c_j[s] = Σ_i W_ij x_{(i+s) mod n} for every shift s: the circulant rows of x times W, tiled
        # (models/_circular.py); the d input columns are extra rows, summed after σ.
        n, M, h = self.n, self.ensemble, self.width
        B, d = X.shape[-3], X.shape[-1]
        if per_member:  # G = M groups of R = B·d rows, K = h units
            x = X.permute(0, 1, 3, 2).reshape(M, B * d, n)
            W, b = self.W, (None if self.b is None else self.b[:, None, :])
        else:  # one group, K = M·h units (every member's units side by side)
            x = X.permute(0, 2, 1).reshape(1, B * d, n)
            W = self.W.permute(1, 0, 2).reshape(1, n, M * h)
            b = None if self.b is None else self.b.reshape(1, 1, M * h)
        pooled = circular_pool(x, W, b, self.activation)  # [G, B·d, K]: Σ over the n shifts
        if per_member:
            pooled = pooled.reshape(M, B, d, h).sum(2)
        else:
            pooled = pooled.reshape(B, d, M, h).sum(1).permute(1, 0, 2)  # Σ over the d columns → [M, B, h]
        return torch.einsum("mbh,mh->mb", pooled, self.a) / n

    def _forward_generic(self, X: torch.Tensor, per_member: bool) -> torch.Tensor:
        E = self.elements
        order = E.shape[0]
        B, d = X.shape[-3], X.shape[-1]
        per_g = max(1, self.ensemble * B * d * self.width)
        chunk = max(1, min(order, _GENERIC_CHUNK_ENTRIES // per_g))
        pooled = None  # Σ_g Σ_c σ(·) → [M, B, h]
        for start in range(0, order, chunk):
            idx = E[start:start + chunk]  # [g, n]; row i of g⁻¹·X is X[g(i)]
            Xg = X[..., idx, :]  # [(M,) B, g, n, d]
            if per_member:
                pre = torch.einsum("mbgic,mih->mbgch", Xg, self.W)
            else:
                pre = torch.einsum("bgic,mih->mbgch", Xg, self.W)
            part = self._hidden(pre).sum(dim=(2, 3))
            pooled = part if pooled is None else pooled + part
        return torch.einsum("mbh,mh->mb", pooled, self.a) / order

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """``X [B, n, d]`` or ``[M, B, n, d]`` → ``[M, B]``."""
        X, per_member = self._check_input(X)
        if self.form == "circular":
            return self._forward_circular(X, per_member)
        return self._forward_generic(X, per_member)
