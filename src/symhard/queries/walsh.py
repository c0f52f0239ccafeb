r"""Fast Walsh–Hadamard transform (Sylvester order), numpy and torch.

For a table a of length N = 2^n along the last axis,

    (H a)[s] = Σ_j (−1)^{popcount(s & j)} a[j],

with H = H_N the Sylvester–Hadamard matrix of :func:`scipy.linalg.hadamard`
(H_1 = [1], H_{2N} = [[H_N, H_N], [H_N, −H_N]]). With the bitmask convention of
:func:`symhard.groups.masks_to_pm1` (x_i = −1 iff bit i of j is set), row s of H is the
parity χ_S(x) = Π_{i∈S} x_i of the set S coded by s, so the Fourier–Walsh coefficients of a
truth table f are f̂(S) = (H f)[S] / 2^n (:func:`walsh_coefficients`).

Algorithm (:func:`fwht`): the Sylvester factorization H_N = H_{2^r} ⊗ … ⊗ H_{2^r} applied
radix 2^r at a time. A pass views the table as ``(…, N/(R h), R, h)`` (R = 2^r) and multiplies
the middle axis by the R × R matrix H_R — one BLAS matrix product per pass instead of r
elementwise butterfly passes over memory, so ⌈log2(N)/r⌉ passes in all (r = 6). Cost
O(N · R · log_R N) arithmetic, but far fewer sweeps over a table larger than the cache, which
is what limits a transform of 2^24 entries (see BENCHMARKS.md). Exactness: integer tables whose
partial sums all fit in 2^52 (max|a| · N < 2^52) are transformed in float64 and rounded back to
int64, which is exact because every intermediate value is an integer below 2^53; larger integer
tables use the int64 butterfly (:func:`fwht_butterfly`: log2(N) passes replacing (u, v) by
(u + v, u − v) in place).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._lazy import is_tensor
from ..errors import InvalidParameterError


def _check_length(N: int) -> int:
    if N < 1 or N & (N - 1):
        raise InvalidParameterError(f"the Walsh–Hadamard transform needs a length that is a power of 2, got {N}.")
    return N.bit_length() - 1


#: Radix of the matrix-product passes of :func:`fwht` (H_{2^6} = 64 × 64 blocks).
_RADIX_BITS = 6


def fwht(a, axis: int = -1) -> np.ndarray:
    """Unnormalized Walsh–Hadamard transform ``H a`` along ``axis`` (numpy).

    Shapes: ``a (..., N, ...)`` with N = 2^n along ``axis`` → same shape. Integer input gives
    an exact int64 result; other input gives float64. Radix-64 matrix-product passes (see the
    module docstring); exact on integer tables.
    """
    a = np.asarray(a)
    integer = a.dtype == bool or np.issubdtype(a.dtype, np.integer)
    if not integer and not np.issubdtype(a.dtype, np.floating):
        raise InvalidParameterError(f"fwht needs an integer or real table, got dtype {a.dtype}.")
    if a.ndim == 0:
        raise InvalidParameterError("fwht needs at least one axis.")
    N = a.shape[axis]
    n = _check_length(N)
    if integer:
        bound = int(np.abs(a.astype(np.int64)).max(initial=0)) * N
        if bound >= 2**52:
            return fwht_butterfly(a, axis)
    x = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    lead = x.shape[:-1]
    flat = x.reshape(-1, N)  # every pass writes a new array: the input is never modified
    rows = flat.shape[0]
    h, done = 1, 0
    while done < n:
        r = min(_RADIX_BITS, n - done)
        R = 1 << r
        H = _hadamard(r)
        if h == 1:  # the R-blocks are contiguous: one (rows·N/R, R) @ (R, R) product
            flat = (flat.reshape(-1, R) @ H).reshape(rows, N)
        else:  # blocks strided by h: a batch of (R, R) @ (R, h) products
            flat = np.matmul(H, flat.reshape(-1, R, h)).reshape(rows, N)
        h <<= r
        done += r
    out = flat.reshape(*lead, N)
    if integer:
        out = np.rint(out).astype(np.int64)
    return np.moveaxis(out, -1, axis)


_HADAMARD_CACHE: dict[int, np.ndarray] = {}


def _hadamard(r: int) -> np.ndarray:
    """The symmetric Sylvester matrix H_{2^r} as float64 (cached)."""
    if r not in _HADAMARD_CACHE:
        H = np.ones((1, 1))
        for _ in range(r):
            H = np.block([[H, H], [H, -H]])
        _HADAMARD_CACHE[r] = H
    return _HADAMARD_CACHE[r]


def fwht_butterfly(a, axis: int = -1) -> np.ndarray:
    """The same transform by log2(N) in-place butterfly passes (int64-exact for any integer table)."""
    a = np.asarray(a)
    if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
        out = a.astype(np.int64, copy=True)
    elif np.issubdtype(a.dtype, np.floating):
        out = a.astype(np.float64, copy=True)
    else:
        raise InvalidParameterError(f"fwht needs an integer or real table, got dtype {a.dtype}.")
    if out.ndim == 0:
        raise InvalidParameterError("fwht needs at least one axis.")
    out = np.moveaxis(out, axis, -1)
    out = np.ascontiguousarray(out)
    N = out.shape[-1]
    _check_length(N)
    lead = out.shape[:-1]
    flat = out.reshape(-1, N)
    h = 1
    while h < N:
        v = flat.reshape(flat.shape[0], N // (2 * h), 2, h)
        u = v[:, :, 0, :].copy()
        v[:, :, 0, :] += v[:, :, 1, :]
        np.subtract(u, v[:, :, 1, :], out=v[:, :, 1, :])
        h *= 2
    return np.moveaxis(flat.reshape(*lead, N), -1, axis)


if TYPE_CHECKING:
    import torch


def fwht_torch(t: "torch.Tensor", dim: int = -1) -> "torch.Tensor":
    """Unnormalized Walsh–Hadamard transform along ``dim`` (torch; same radix-64 algorithm as :func:`fwht`).

    Integer tensors give an exact int64 result (through float64 while max|t|·N < 2^52, by the
    int64 butterfly beyond); floating tensors keep their dtype; the result lives on the input's
    device.
    """
    if not is_tensor(t):
        raise InvalidParameterError(f"fwht_torch needs a torch.Tensor, got {type(t).__name__}.")
    import torch

    if t.dtype.is_complex:
        raise InvalidParameterError("fwht_torch needs a real or integer tensor.")
    integer = not t.dtype.is_floating_point
    x = t.movedim(dim, -1)
    N = x.shape[-1]
    n = _check_length(N)
    if integer:
        x = x.to(torch.int64)
        if int(x.abs().max()) * N >= 2**52 if x.numel() else False:
            return _fwht_torch_butterfly(x).movedim(-1, dim)
        x = x.to(torch.float64)
    lead = x.shape[:-1]
    flat = x.reshape(-1, N)
    rows = flat.shape[0]
    h, done = 1, 0
    while done < n:
        r = min(_RADIX_BITS, n - done)
        R = 1 << r
        H = torch.as_tensor(_hadamard(r), dtype=flat.dtype, device=flat.device)
        if h == 1:
            flat = (flat.reshape(-1, R) @ H).reshape(rows, N)
        else:
            flat = torch.matmul(H, flat.reshape(-1, R, h)).reshape(rows, N)
        h <<= r
        done += r
    out = flat.reshape(*lead, N)
    if integer:
        out = torch.round(out).to(torch.int64)
    return out.movedim(-1, dim)


def _fwht_torch_butterfly(x: "torch.Tensor") -> "torch.Tensor":
    """In-place butterfly passes over the last axis of an int64 tensor (exact)."""
    import torch

    out = x.contiguous().clone()
    N = out.shape[-1]
    lead = out.shape[:-1]
    flat = out.reshape(-1, N)
    h = 1
    while h < N:
        v = flat.view(flat.shape[0], N // (2 * h), 2, h)
        u = v[:, :, 0, :].clone()
        v[:, :, 0, :] += v[:, :, 1, :]
        torch.sub(u, v[:, :, 1, :], out=u)
        v[:, :, 1, :] = u
        h *= 2
    return flat.reshape(*lead, N)


def walsh_coefficients(table, axis: int = -1) -> np.ndarray:
    """Fourier–Walsh coefficients f̂(S) = E_x[f(x) χ_S(x)] = (H f)[S] / 2^n of truth tables.

    Exact rationals are available as ``fwht(table)`` (integers) divided by 2^n; this returns
    float64.
    """
    a = np.asarray(table)
    N = a.shape[axis]
    return fwht(a, axis=axis) / N


def parity_tables(subset_masks, n: int) -> np.ndarray:
    """Truth tables of the parities χ_S for the sets coded by ``subset_masks``.

    ``table[r, j] = (−1)^{popcount(S_r & j)}`` — the rows of H_{2^n} — as int8.
    Shapes: ``subset_masks (R,)`` → ``(R, 2^n)``.
    """
    masks = np.asarray(subset_masks, dtype=np.int64)
    points = np.arange(2 ** n, dtype=np.int64)
    bits = np.bitwise_count(masks[:, None] & points[None, :]) & 1
    return (1 - 2 * bits).astype(np.int8)
