r"""Frames for permutation groups G ≤ S_n acting on R^n, and frame averaging (Puny et al. 2022).

A *frame* is a map :math:`F` from inputs to non-empty subsets of :math:`G` that is equivariant,
:math:`F(g·x) = g∘F(x) = \{g∘h : h \in F(x)\}`. The frame average of any :math:`\phi`,

.. math::

    \langle\phi\rangle_F(x) = \frac{1}{|F(x)|}\sum_{h\in F(x)} \phi(h^{-1}·x),

is :math:`G`-invariant: the elements of :math:`F(g·x)` are :math:`g∘h` and
:math:`(g∘h)^{-1}·(g·x) = h^{-1}·x`. Here :math:`(h^{-1}·x)_i = x_{h(i)}`.

Frames provided (ties are real: :math:`F(x)` is the set of *all* tying elements, which keeps
the frame exactly equivariant where an arbitrary tie-break would not be):

* :class:`SortFrame` (G = S_n): all h with :math:`x_{h(0)} \ge x_{h(1)} \ge \dots`, i.e.
  :math:`h^{-1}·x` sorted in decreasing order. With tie blocks of sizes :math:`t_1, t_2, \dots`
  it has :math:`\prod t_i!` elements.
* :class:`CyclicArgmaxFrame` (G = Z_n): the shifts :math:`h_t(i) = i + t` with
  :math:`x_t = \max_j x_j`, which move a maximum to position 0.
* :class:`LexMinFrame` (any enumerable G): all h with :math:`h^{-1}·x` equal to the
  lexicographic minimum of the orbit :math:`\{g^{-1}·x : g \in G\}` (a coset of the
  stabilizer of x). Equivariant because the orbit, hence its minimum, is the same for g·x.

Each takes ``sign_invariant=True`` to compute the frame from :math:`|x|` only, so that
:math:`F(Dx) = F(x)` for every diagonal sign matrix D (what the frame-averaged hard class needs).

A frame returns its elements padded: ``perms [B, K, n]`` and ``mask [B, K]`` with the valid
elements first (K = the largest |F(x)| in the batch). :func:`frame_average` averages a function
exactly over F(x) or over ``samples`` uniform draws from F(x) (unbiased).
"""

from __future__ import annotations

import abc
import math
from itertools import permutations, product
from typing import Any, Callable

import numpy as np

from .._lazy import is_tensor
from .._random import SeedLike, as_generator
from ..errors import EnumerationLimitError, InvalidParameterError, check_int
from ._permutation import PermutationGroup

#: Largest frame size (number of tying elements) that SortFrame enumerates.
MAX_FRAME_SIZE = 40_320


def _as_numpy_batch(x: Any, n: int) -> tuple[np.ndarray, tuple[int, ...]]:
    if is_tensor(x):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != n:
        raise InvalidParameterError(f"frame inputs must have shape [..., {n}], got {x.shape}.")
    return x.reshape(-1, n), x.shape[:-1]


def _compact(perms: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move the valid elements first and cut the padding to K = max count."""
    order = np.argsort(~mask, axis=1, kind="stable")
    K = max(1, int(mask.sum(1).max()))
    order = order[:, :K]
    return np.take_along_axis(perms, order[..., None], axis=1), np.take_along_axis(mask, order, axis=1)


class Frame(abc.ABC):
    """Base class: ``elements(x) -> (perms [..., K, n], mask [..., K])`` for ``x [..., n]``."""

    group: PermutationGroup
    sign_invariant: bool

    def __init__(self, group: PermutationGroup, sign_invariant: bool = False) -> None:
        if not isinstance(group, PermutationGroup):
            raise InvalidParameterError(f"group must be a PermutationGroup, not {type(group).__name__}.")
        self.group = group
        self.n = group.degree
        self.sign_invariant = bool(sign_invariant)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.group.name}, sign_invariant={self.sign_invariant})"

    @abc.abstractmethod
    def _elements_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F(x) for ``x [B, n]`` (already |x| for sign-invariant frames): ``perms [B, K, n]``, ``mask [B, K]``."""

    def elements(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """The frame F(x) of each input: ``perms [..., K, n]`` (p[i] = image of i), ``mask [..., K]``."""
        flat, lead = _as_numpy_batch(x, self.n)
        key = np.abs(flat) if self.sign_invariant else flat
        perms, mask = self._elements_flat(key)
        return perms.reshape(*lead, *perms.shape[1:]), mask.reshape(*lead, mask.shape[-1])

    def sizes(self, x: Any) -> np.ndarray:
        """|F(x)| for each input."""
        return self.elements(x)[1].sum(-1)

    def sample(self, x: Any, samples: int, seed: SeedLike = None) -> np.ndarray:
        """``samples`` independent uniform draws from F(x) for each input: ``[..., samples, n]``."""
        samples = check_int(samples, "samples", min_value=1)
        perms, mask = self.elements(x)
        rng = as_generator(seed)
        counts = mask.sum(-1)
        pick = np.floor(rng.random((*counts.shape, samples)) * counts[..., None]).astype(np.int64)
        return np.take_along_axis(perms, pick[..., None], axis=-2)

    def canonicalize(self, x: Any) -> np.ndarray:
        """h⁻¹·x for the first h ∈ F(x) (the same for every h when F(x) is a stabilizer coset)."""
        flat, lead = _as_numpy_batch(x, self.n)
        perms, _ = self.elements(flat)
        return np.take_along_axis(flat, perms[:, 0], axis=-1).reshape(*lead, self.n)


class SortFrame(Frame):
    """The sorting frame of S_n: every h with h⁻¹·x in decreasing order (ties: all orders of each tie block)."""

    def __init__(self, n: int, sign_invariant: bool = False) -> None:
        n = check_int(n, "n", min_value=1)
        super().__init__(PermutationGroup.symmetric(n), sign_invariant)

    def _elements_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base = np.argsort(-x, axis=-1, kind="stable")  # h(i) = index of the i-th largest entry
        vals = np.take_along_axis(x, base, axis=-1)
        tied = (vals[:, 1:] == vals[:, :-1]).any(-1)
        if not tied.any():
            return base[:, None, :], np.ones((x.shape[0], 1), dtype=bool)
        # Enumerate the orders inside each tie block, only for the (rare) inputs with ties.
        extra: dict[int, np.ndarray] = {}
        for b in np.flatnonzero(tied):
            starts = np.flatnonzero(np.r_[True, vals[b, 1:] != vals[b, :-1]])
            blocks = np.split(base[b], starts[1:])
            size = math.prod(math.factorial(len(blk)) for blk in blocks)
            if size > MAX_FRAME_SIZE:
                raise EnumerationLimitError(
                    f"the sorting frame of input {b} has {size} tying elements, above the limit of {MAX_FRAME_SIZE}."
                )
            extra[int(b)] = np.array([np.concatenate(c) for c in product(*(permutations(blk) for blk in blocks))])
        K = max(len(v) for v in extra.values())
        perms = np.broadcast_to(base[:, None, :], (x.shape[0], K, self.n)).copy()
        mask = np.zeros((x.shape[0], K), dtype=bool)
        mask[:, 0] = True
        for b, v in extra.items():
            perms[b, : len(v)] = v
            mask[b, : len(v)] = True
        return perms, mask


class CyclicArgmaxFrame(Frame):
    """The frame of Z_n that shifts a maximal entry to position 0: {h_t : x_t = max x}, h_t(i) = i + t."""

    def __init__(self, n: int, sign_invariant: bool = False) -> None:
        n = check_int(n, "n", min_value=1)
        super().__init__(PermutationGroup.cyclic(n), sign_invariant)
        self._shifts = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n  # row t = h_t

    def _elements_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mask = x == x.max(axis=-1, keepdims=True)
        perms = np.broadcast_to(self._shifts, (x.shape[0], self.n, self.n))
        return _compact(perms, mask)


class LexMinFrame(Frame):
    """The canonical-form frame of any enumerable G: all h with h⁻¹·x = lexicographic minimum of the orbit."""

    def __init__(self, group: PermutationGroup, sign_invariant: bool = False, cap: int = 100_000) -> None:
        super().__init__(group, sign_invariant)
        self._E = group.elements(cap=cap)

    def _elements_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        E = self._E
        cand = np.ones((x.shape[0], E.shape[0]), dtype=bool)
        for i in range(self.n):  # refine the candidates position by position
            col = x[:, E[:, i]]  # (h⁻¹·x)_i = x_{h(i)} for every h
            best = np.where(cand, col, np.inf).min(axis=1, keepdims=True)
            cand &= col == best
        perms = np.broadcast_to(E, (x.shape[0], *E.shape))
        return _compact(perms, cand)


def default_frame(group: PermutationGroup, sign_invariant: bool = False) -> Frame:
    """Sorting for S_n, argmax for Z_n (as ``PermutationGroup.cyclic``), lexicographic minimum otherwise."""
    n = group.degree
    if group.order == math.factorial(n) and n > 1:
        return SortFrame(n, sign_invariant)
    if group.is_cyclic_shift() and n > 1:
        return CyclicArgmaxFrame(n, sign_invariant)
    return LexMinFrame(group, sign_invariant)


def frame_average(phi: Callable[[np.ndarray], np.ndarray], x: Any, frame: Frame, mode: str = "exact",
                  samples: int = 8, seed: SeedLike = None) -> np.ndarray:
    """⟨φ⟩_F(x) for a numpy function ``phi([N, n]) -> [N]``; ``x [B, n]`` → ``[B]``.

    ``mode="exact"`` averages over all of F(x); ``mode="sampled"`` over ``samples`` uniform
    draws from F(x) (an unbiased estimate; exact whenever |F(x)| = 1).
    """
    flat, lead = _as_numpy_batch(x, frame.n)
    if mode == "exact":
        perms, mask = frame.elements(flat)
    elif mode == "sampled":
        perms = frame.sample(flat, samples, seed)
        mask = np.ones(perms.shape[:2], dtype=bool)
    else:
        raise InvalidParameterError(f"mode must be 'exact' or 'sampled', got {mode!r}.")
    B, K, n = perms.shape
    moved = np.take_along_axis(np.broadcast_to(flat[:, None, :], perms.shape), perms, axis=-1)  # h⁻¹·x
    vals = np.asarray(phi(moved.reshape(B * K, n)), dtype=np.float64).reshape(B, K)
    return ((vals * mask).sum(1) / mask.sum(1)).reshape(lead)
