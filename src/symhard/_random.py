"""Explicit randomness: every sampler takes a seed or a generator, never global state."""

from __future__ import annotations

import numbers

from typing import TYPE_CHECKING

import numpy as np

from .errors import InvalidParameterError

if TYPE_CHECKING:  # torch is imported only by the functions that need it
    import torch

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator`.

    An int gives the same stream every time; a ``Generator`` is used as is; ``None`` draws
    fresh entropy (non-reproducible, so library code passes an explicit seed).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise InvalidParameterError(f"seed == {seed}, must be a non-negative integer.")
        return np.random.default_rng(int(seed))
    raise InvalidParameterError(
        f"seed must be an int, a numpy.random.Generator or None, not {type(seed).__name__}."
    )


def torch_generator(seed: "int | torch.Generator", device: "str | torch.device" = "cpu") -> "torch.Generator":
    """A :class:`torch.Generator` on ``device`` seeded with ``seed`` (or ``seed`` itself)."""
    import torch

    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen
