"""Keep torch out of the import path of code that does not train (``symhard check boolean-*``,
``symhard groups``, ``symhard np``): check for tensors without importing torch."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["is_tensor"]


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a :class:`torch.Tensor`, without importing torch (a tensor exists only if
    torch was imported already)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)
