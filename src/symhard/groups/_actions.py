"""Batched, vectorized actions of permutations (see the conventions in ``_permutation``).

Each function takes permutations ``perms`` of shape ``(..., n)`` and objects with matching
leading axes (broadcast), and returns ``g·object``.
"""

from __future__ import annotations

import numpy as np

from .._lazy import is_tensor
from ..errors import InvalidParameterError
from ._permutation import inverse


def _check_last(name: str, size: int, n: int) -> None:
    if size != n:
        raise InvalidParameterError(f"{name} has {size} points along its last axis, the permutation acts on {n}.")


def act_on_vectors(perms, x):
    """``(g·x)[..., g(i)] = x[..., i]``, i.e. ``g·x = x[..., g⁻¹]``. Works on numpy and torch.

    ``perms``: ``(..., n)``; ``x``: ``(..., n)``; leading axes broadcast.
    """
    if is_tensor(x):
        import torch

        p = perms if is_tensor(perms) else torch.as_tensor(np.asarray(perms), device=x.device)
        _check_last("x", x.shape[-1], p.shape[-1])
        inv = torch.argsort(p, dim=-1)
        shape = torch.broadcast_shapes(inv.shape, x.shape)
        return torch.gather(x.expand(shape), -1, inv.expand(shape))
    perms = np.asarray(perms)
    x = np.asarray(x)
    _check_last("x", x.shape[-1], perms.shape[-1])
    inv = inverse(perms)
    inv, x = np.broadcast_arrays(inv, x)
    return np.take_along_axis(x, inv, axis=-1)


def act_on_rows(perms, X):
    """Permute the rows of ``X[..., n, d]``: ``(g·X)[g(i), :] = X[i, :]`` (node features, CNN inputs)."""
    if is_tensor(X):
        import torch

        p = perms if is_tensor(perms) else torch.as_tensor(np.asarray(perms), device=X.device)
        _check_last("X (rows)", X.shape[-2], p.shape[-1])
        inv = torch.argsort(p, dim=-1)
        batch = torch.broadcast_shapes(inv.shape[:-1], X.shape[:-2])
        idx = inv.expand(*batch, inv.shape[-1]).unsqueeze(-1).expand(*batch, X.shape[-2], X.shape[-1])
        return torch.gather(X.expand(*batch, *X.shape[-2:]), -2, idx)
    perms = np.asarray(perms)
    X = np.asarray(X)
    _check_last("X (rows)", X.shape[-2], perms.shape[-1])
    inv = inverse(perms)
    batch = np.broadcast_shapes(inv.shape[:-1], X.shape[:-2])
    inv = np.broadcast_to(inv, (*batch, inv.shape[-1]))
    X = np.broadcast_to(X, (*batch, *X.shape[-2:]))
    return np.take_along_axis(X, inv[..., :, None], axis=-2)


def act_on_graphs(perms, A):
    """Simultaneous row–column permutation ``(g·A)[g(i), g(j)] = A[i, j]`` of ``A[..., n, n]``."""
    rows = act_on_rows(perms, A)
    if is_tensor(rows):
        return act_on_rows(perms, rows.transpose(-1, -2)).transpose(-1, -2)
    return np.swapaxes(act_on_rows(perms, np.swapaxes(rows, -1, -2)), -1, -2)


def act_on_subsets(perms, subsets):
    """Image of index sets: ``subsets[..., k]`` (integer points) ↦ sorted ``g(subsets)``."""
    perms = np.asarray(perms)
    subsets = np.asarray(subsets, dtype=np.int64)
    perms, subsets_b = np.broadcast_arrays(perms[..., None, :], subsets[..., :, None])
    img = np.take_along_axis(perms, subsets_b[..., :1], axis=-1)[..., 0]
    return np.sort(img, axis=-1)


def act_on_masks(perms, masks):
    """Image of Boolean-cube points coded as bitmasks (bit i ↦ bit g(i)), batched.

    ``perms``: ``(..., n)``; ``masks``: integer array broadcasting against ``perms[..., 0]``.
    """
    perms = np.asarray(perms)
    masks = np.asarray(masks, dtype=np.int64)
    n = perms.shape[-1]
    out = np.zeros(np.broadcast_shapes(perms.shape[:-1], masks.shape), dtype=np.int64)
    for i in range(n):
        out |= ((masks >> i) & 1) << perms[..., i]
    return out


def masks_to_pm1(masks, n: int) -> np.ndarray:
    """Bitmask ``m`` ↦ x ∈ {±1}^n with x_i = -1 iff bit i of m is set; shape ``(..., n)``."""
    masks = np.asarray(masks, dtype=np.int64)
    bits = (masks[..., None] >> np.arange(n)) & 1
    return (1 - 2 * bits).astype(np.int8)


def pm1_to_masks(x) -> np.ndarray:
    """Inverse of :func:`masks_to_pm1`."""
    x = np.asarray(x)
    bits = (x < 0).astype(np.int64)
    return (bits << np.arange(x.shape[-1])).sum(axis=-1)
