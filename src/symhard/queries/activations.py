r"""The activations of symhard's networks, in one table: name, numpy/torch function, Gaussian pair expectation.

======== =================== ==================================================================
name     σ(z)                E[σ(a)σ(b)] for a zero-mean Gaussian pair (sd σ_a, σ_b, correlation ρ)
======== =================== ==================================================================
relu     max(z, 0)           σ_aσ_b(√(1−ρ²) + (π − arccos ρ)ρ)/(2π)   (arc-cosine kernel, degree 1)
abs      |z|                 2σ_aσ_b(√(1−ρ²) + ρ arcsin ρ)/π
identity z                   σ_aσ_b ρ
======== =================== ==================================================================

Models (:mod:`symhard.models`), the alternating-ReLU targets and the exact Gram engines all take
their activation from here, so a new activation is one row of this table (and its kernel, when
exact Gram matrices should support it).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._lazy import is_tensor
from ..errors import InvalidParameterError

__all__ = ["ACTIVATIONS", "check_activation", "apply_activation", "gaussian_pair_expectation"]

#: Every activation name symhard knows.
ACTIVATIONS = ("relu", "abs", "identity")


def check_activation(name: Any, allowed: tuple[str, ...] = ACTIVATIONS) -> str:
    """``name`` if it is one of ``allowed``, else :class:`InvalidParameterError` listing them."""
    if name not in allowed:
        raise InvalidParameterError(f"activation must be one of {', '.join(allowed)}; got {name!r}.")
    return name


def apply_activation(name: str, z: Any) -> Any:
    """σ(z) for a numpy array or a torch tensor (elementwise)."""
    name = check_activation(name)
    if is_tensor(z):
        import torch

        return torch.relu(z) if name == "relu" else torch.abs(z) if name == "abs" else z
    z = np.asarray(z)
    return np.maximum(z, 0.0) if name == "relu" else np.abs(z) if name == "abs" else z


def _identity_pair(cross: Any, norm_a: Any, norm_b: Any) -> np.ndarray:
    return np.asarray(cross, dtype=np.float64) + 0.0 * np.asarray(norm_a) * np.asarray(norm_b)


def gaussian_pair_expectation(name: str) -> Callable[..., np.ndarray]:
    """``f(cross, norm_a, norm_b) = E[σ(a)σ(b)]`` for a zero-mean Gaussian pair with ``E[ab] = cross``
    (elementwise, broadcasting); exact, from :mod:`symhard.queries.arccos`."""
    from .arccos import abs_pair_expectation, relu_pair_expectation

    name = check_activation(name)
    return {"relu": relu_pair_expectation, "abs": abs_pair_expectation, "identity": _identity_pair}[name]
