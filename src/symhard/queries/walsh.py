r"""Fast Walsh–Hadamard transform (Sylvester order), numpy and torch.

For a table a of length N = 2^n along the last axis,

    (H a)[s] = Σ_j (−1)^{popcount(s & j)} a[j],

with H = H_N the Sylvester–Hadamard matrix of :func:`scipy.linalg.hadamard`
(H_1 = [1], H_{2N} = [[H_N, H_N], [H_N, −H_N]]). With the bitmask convention of
:func:`symhard.groups.masks_to_pm1` (x_i = −1 iff bit i of j is set), row s of H is the
parity χ_S(x) = Π_{i∈S} x_i of the set S coded by s, so the Fourier–Walsh coefficients of a
truth table f are f̂(S) = (H f)[S] / 2^n (:func:`walsh_coefficients`).

Algorithm: log2(N) butterfly passes; pass h views the table as ``(…, N/2h, 2, h)`` and
replaces (u, v) by (u + v, u − v) in place, using one temporary of half the table. Integer
tables stay integers (promoted to int64), so the transform is exact for them; floats use
float64. Cost O(N log N) per table.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InvalidParameterError


def _check_length(N: int) -> int:
    if N < 1 or N & (N - 1):
        raise InvalidParameterError(f"the Walsh–Hadamard transform needs a length that is a power of 2, got {N}.")
    return N.bit_length() - 1


def fwht(a, axis: int = -1) -> np.ndarray:
    """Unnormalized Walsh–Hadamard transform ``H a`` along ``axis`` (numpy).

    Shapes: ``a (..., N, ...)`` with N = 2^n along ``axis`` → same shape. Integer input gives
    an exact int64 result; other input gives float64.
    """
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


def fwht_torch(t: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Unnormalized Walsh–Hadamard transform along ``dim`` (torch; same algorithm as :func:`fwht`).

    Integer tensors are promoted to int64 (exact), floating tensors keep their dtype; the
    result lives on the input's device.
    """
    if not isinstance(t, torch.Tensor):
        raise InvalidParameterError(f"fwht_torch needs a torch.Tensor, got {type(t).__name__}.")
    if t.dtype.is_complex:
        raise InvalidParameterError("fwht_torch needs a real or integer tensor.")
    out = t.to(torch.int64) if not t.dtype.is_floating_point else t
    out = out.movedim(dim, -1).contiguous().clone()
    N = out.shape[-1]
    _check_length(N)
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
    return flat.reshape(*lead, N).movedim(-1, dim)


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
