r"""The pooled circular pre-activation of a circular CNN, as tiled matrix products.

For rows ``x [G, R, n]`` (``R`` = samples × input columns; ``G = 1`` when every member sees the
same input, ``G = M`` for per-member inputs), weights ``W [G, n, K]`` (``K`` = units, over all
members when ``G = 1``) and an optional bias ``b [G, 1, K]``,

.. math::

    \mathrm{pooled}[g, r, k] = \sum_{s=0}^{n-1} \sigma\Bigl(\sum_{i=0}^{n-1} x[g, r, (i+s) \bmod n]\, W[g, i, k]
    + b[g, k]\Bigr), \qquad \sigma \in \{\mathrm{ReLU}, |\cdot|\}.

Form: the circulant rows ``C[g, r, s, i] = x[g, r, (i+s) mod n]`` (the im2col of a circular
cross-correlation) times ``W``: one matrix product ``[R·n, n] × [n, K]`` per group, which runs at
the machine's matrix-multiply rate. The rows are processed in tiles: a tile's pre-activations
(about ``_TILE_ENTRIES`` numbers on the CPU, so that they stay in cache) are computed, passed
through σ and summed over the shifts at once, and only σ'(pre) is kept for the backward pass — one
byte per entry (an ``int8``: the ReLU mask, the sign for ``|·|``; int8 because its conversions
are vectorized where ``bool``'s are not) instead of the 4-byte pre-activation that a
``conv1d`` keeps, and never the float tensor ``[R, n, K]`` whole. Backward, per tile:
``D = σ'(pre) ⊙ ∂pooled`` (broadcast over the shifts), ``∂W += Cᵀ D``, ``∂b += Σ D``, and, when the
input needs a gradient, ``∂C = D Wᵀ`` scattered back through the circulant index.

Cost: ``2 R n² K`` flops forward and as many for ``∂W`` (the input has no gradient in training).
The FFT form (``irfft(rfft(x) · conj(rfft(W)))``) has ``O(R K n log n)`` flops, but every
pre-activation must still be materialized for σ, and at the sizes of the experiments (n ≤ 64) it
measured slower than the matrix products on the CPU (BENCHMARKS.md), so it is not used.

Precision: under ``torch.autocast`` the products run in the autocast dtype (bf16) and the pooled
sums are returned in the weights' dtype; float64 weights are never cast (autocast leaves float64
alone), so certificates built from float64 weights are exact to float64 round-off.
"""

from __future__ import annotations

import torch

__all__ = ["circular_pool"]

#: Pre-activation entries per tile: 4 MiB of float32 on the CPU (cache-sized; 2-16 MiB measured
#: alike), large on CUDA (one kernel per product).
_TILE_ENTRIES = {"cpu": 1 << 20, "cuda": 1 << 27}


def _shift_index(n: int, device: torch.device) -> torch.Tensor:
    """``idx[s, i] = (i + s) mod n``: row ``s`` of the circulant of ``x`` is ``x[idx[s]]``."""
    return (torch.arange(n, device=device)[None, :] + torch.arange(n, device=device)[:, None]) % n


def _compute_dtype(W: torch.Tensor) -> torch.dtype:
    dev = W.device.type
    if W.dtype == torch.float32 and torch.is_autocast_enabled(dev):
        return torch.get_autocast_dtype(dev)
    return W.dtype


def _tile(G: int, R: int, n: int, K: int, device: torch.device) -> int:
    return max(1, min(R, _TILE_ENTRIES.get(device.type, 1 << 19) // max(1, G * n * K)))


class _CircularPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b, activation: str, tile: int, keep: bool):  # noqa: D401 - autograd API
        G, R, n = x.shape
        K = W.shape[-1]
        cd = _compute_dtype(W)
        idx = _shift_index(n, x.device)
        out = torch.empty(G, R, K, dtype=W.dtype, device=x.device)
        # σ'(pre) ∈ {-1, 0, 1}, kept only when a gradient will be asked for (not in evaluation)
        deriv = torch.empty(G, R, n, K, dtype=torch.int8, device=x.device) if keep else None
        Wc = W.to(cd)
        bc = None if b is None else b.to(cd)
        with torch.autocast(x.device.type, enabled=False):
            for r0 in range(0, R, tile):
                r1 = min(R, r0 + tile)
                C = x[:, r0:r1][..., idx].to(cd).reshape(G, (r1 - r0) * n, n)  # [G, T·n, n]
                pre = torch.bmm(C, Wc) if bc is None else torch.baddbmm(bc, C, Wc)  # [G, T·n, K]
                pre = pre.reshape(G, r1 - r0, n, K)
                if activation == "relu":
                    pre.clamp_(min=0)  # σ' = sign(relu(pre)) ∈ {0, 1}
                    if keep:
                        deriv[:, r0:r1] = torch.sign(pre)
                else:
                    if keep:
                        deriv[:, r0:r1] = torch.sign(pre)  # σ' of |·| = sign(pre)
                    pre.abs_()
                out[:, r0:r1] = pre.sum(2)
        ctx.save_for_backward(x, W, deriv)
        ctx.has_bias, ctx.cd, ctx.tile = b is not None, cd, tile
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: D401 - autograd API
        x, W, deriv = ctx.saved_tensors
        G, R, n = x.shape
        K = W.shape[-1]
        cd, tile = ctx.cd, ctx.tile
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        idx = _shift_index(n, x.device).reshape(n * n)
        dW = torch.zeros(G, n, K, dtype=cd, device=x.device) if need_w else None
        db = torch.zeros(G, 1, K, dtype=cd, device=x.device) if need_b else None
        dx = torch.zeros(G, R, n, dtype=cd, device=x.device) if need_x else None
        Wc, g = W.to(cd), grad.to(cd)
        with torch.autocast(x.device.type, enabled=False):
            for r0 in range(0, R, tile):
                r1 = min(R, r0 + tile)
                T = r1 - r0
                D = deriv[:, r0:r1].to(cd).mul_(g[:, r0:r1, None, :]).reshape(G, T * n, K)
                if need_w:
                    C = x[:, r0:r1][..., idx.reshape(n, n)].to(cd).reshape(G, T * n, n)
                    dW.baddbmm_(C.transpose(1, 2), D)
                if need_b:
                    db += D.sum(1, keepdim=True)
                if need_x:
                    dC = torch.bmm(D, Wc.transpose(1, 2)).reshape(G, T, n * n)  # ∂C[g, r, s, i]
                    dx[:, r0:r1].scatter_add_(-1, idx.expand(G, T, n * n), dC)
        return (None if dx is None else dx.to(x.dtype), None if dW is None else dW.to(W.dtype),
                None if db is None else db.to(W.dtype), None, None, None)


def circular_pool(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None, activation: str,
                  tile: int | None = None) -> torch.Tensor:
    """``pooled [G, R, K]`` of the module docstring for ``x [G, R, n]``, ``W [G, n, K]``, ``b [G, 1, K]`` or None.

    ``tile`` (rows per tile) defaults to a cache-sized tile on the CPU; any value gives the same
    result up to floating-point round-off. ``activation``: ``"relu"`` or ``"abs"``.
    """
    G, R, n = x.shape
    tile = _tile(G, R, n, W.shape[-1], x.device) if tile is None else max(1, int(tile))
    x = x.to(W.dtype)
    keep = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, W, b))
    return _CircularPool.apply(x, W, b, activation, tile, keep)
