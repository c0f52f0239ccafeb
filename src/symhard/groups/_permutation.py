"""Permutation groups G ≤ S_n given by generators.

Conventions (used everywhere in symhard):

* A permutation of the points ``0..n-1`` is an integer array ``p`` of shape ``(n,)`` with
  ``p[i]`` the image of ``i``.
* Composition is function composition: ``(g ∘ h)(i) = g(h(i))``, i.e. ``compose(g, h) = g[h]``.
* ``g`` acts on a vector by moving coordinate ``i`` to position ``g(i)``:
  ``(g·x)[g(i)] = x[i]``, i.e. ``g·x = x[g⁻¹]``. On a matrix (a graph) rows and columns move
  together: ``(g·A)[g(i), g(j)] = A[i, j]``. On a subset: ``g·S = {g(i) : i ∈ S}``. On a bitmask
  of the Boolean cube: bit ``i`` moves to bit ``g(i)``. Each of these is a left action:
  ``(g ∘ h)·x = g·(h·x)``.

The order of a named group (trivial, cyclic, dihedral, symmetric, alternating, and products of
them on blocks) is its closed form (:func:`symhard.resources.group_order`); otherwise order and
membership use the Schreier–Sims algorithm of :mod:`sympy.combinatorics`, so they never enumerate
the group. Enumeration of elements is offered up to a cap and refused beyond it.
Cycle-type counts (the cycle index) come from closed forms for the named groups (trivial,
cyclic, dihedral, symmetric, alternating and products on disjoint blocks) and from enumeration
otherwise; Burnside's lemma turns them into orbit counts with exact integer arithmetic.

Resources: before a Burnside sum, an enumeration of the cube or of subsets, or a Schreier–Sims
run on many points, the cost is estimated in closed form and checked against the limits in
force (:func:`symhard.resources.require`; :class:`~symhard.resources.ResourceLimitError` beyond them).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np
from sympy.combinatorics import Permutation
from sympy.combinatorics import PermutationGroup as _SympyGroup

from .._random import SeedLike, as_generator
from ._cycle_index import (  # noqa: F401 (cycle_type, CycleType: public names of this module)
    CycleType,
    _combine_cycle_counts,
    _cycle_counts_batched,
    _cyclic_cycle_counts,
    _dihedral_cycle_counts,
    _symmetric_cycle_counts,
    cycle_type,
)
from ..errors import EnumerationLimitError, InvalidParameterError, check_int
from ..resources import Estimate, burnside_estimate, cube_estimate, cycle_index_size, group_order, require
from ..resources import subsets_estimate

#: Default cap on the number of group elements that :meth:`PermutationGroup.elements` lists.
DEFAULT_ELEMENT_CAP = 1_000_000


_CYCLE_RE = re.compile(r"\(([^()]*)\)")


def parse_cycles(text: str, degree: int) -> np.ndarray:
    """Parse cycle notation such as ``"(0 1 2)(3 4)"`` (0-based points) into an array.

    An empty string or ``"()"`` is the identity. Points may be separated by spaces or commas.
    """
    degree = check_int(degree, "degree", min_value=1)
    stripped = text.strip()
    perm = np.arange(degree)
    if stripped in ("", "()", "e", "id"):
        return perm
    if _CYCLE_RE.sub("", stripped).strip():
        raise InvalidParameterError(
            f"cannot parse cycle notation {text!r}: expected cycles like '(0 1 2)(3 4)' with 0-based points."
        )
    seen: set[int] = set()
    for body in _CYCLE_RE.findall(stripped):
        tokens = [t for t in re.split(r"[\s,]+", body.strip()) if t]
        try:
            points = [int(t) for t in tokens]
        except ValueError:
            raise InvalidParameterError(
                f"cannot parse cycle {body!r} in {text!r}: points must be integers 0..{degree - 1}."
            ) from None
        for q in points:
            if not 0 <= q < degree:
                raise InvalidParameterError(f"point {q} in cycle notation {text!r} is outside 0..{degree - 1}.")
            if q in seen:
                raise InvalidParameterError(f"point {q} appears twice in cycle notation {text!r}; cycles must be disjoint.")
            seen.add(q)
        for a, b in zip(points, points[1:] + points[:1]):
            perm[a] = b
    return perm


def _as_permutation_array(gen: object, degree: int | None) -> np.ndarray:
    if isinstance(gen, str):
        if degree is None:
            raise InvalidParameterError("a generator in cycle notation needs the degree (number of points).")
        return parse_cycles(gen, degree)
    if isinstance(gen, Permutation):
        arr = np.asarray(gen.array_form, dtype=np.int64)
        if degree is not None and arr.size < degree:
            arr = np.concatenate([arr, np.arange(arr.size, degree)])
        return arr
    arr = np.asarray(gen)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterError(
            f"a generator must be a 1-D integer array of images or a cycle string, got shape {arr.shape} dtype {arr.dtype}."
        )
    arr = arr.astype(np.int64)
    if degree is not None and arr.size != degree:
        raise InvalidParameterError(f"generator {arr.tolist()} has {arr.size} points, expected {degree}.")
    if not np.array_equal(np.sort(arr), np.arange(arr.size)):
        raise InvalidParameterError(f"generator {arr.tolist()} is not a permutation of 0..{arr.size - 1}.")
    return arr


def compose(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``g ∘ h`` (apply ``h`` first), batched over leading axes: ``take_along_axis(g, h)``."""
    g = np.asarray(g)
    h = np.asarray(h)
    g, h = np.broadcast_arrays(g, h)
    return np.take_along_axis(g, h, axis=-1)


def inverse(g: np.ndarray) -> np.ndarray:
    """The inverse permutation(s), batched over leading axes."""
    return np.argsort(np.asarray(g), axis=-1, kind="stable")


class PermutationGroup:
    """A group of permutations of ``degree`` points, generated by ``generators``.

    Parameters
    ----------
    generators : sequence of arrays of shape (degree,) or cycle strings
        The generators. Arrays list images (``p[i]`` is the image of ``i``); strings use
        0-based cycle notation, e.g. ``"(0 1 2)(3 4)"``. An empty sequence gives the trivial group.
    degree : int
        The number of points ``n`` the group acts on.
    name : str, optional
        A readable name (the named constructors set it, e.g. ``"cyclic:12"``).

    Examples
    --------
    >>> G = PermutationGroup.cyclic(6)
    >>> G.order
    6
    >>> G.orbit_count_boolean()  # necklaces of length 6 with 2 colours
    14
    """

    def __init__(self, generators: Sequence[object], degree: int, *, name: str | None = None,
                 _cycle_counts: Counter | None = None, _order: int | None = None, _cost: tuple[int, int] | None = None,
                 _cyclic_shift: bool = False):
        self.degree = check_int(degree, "degree", min_value=1)
        gens = [_as_permutation_array(g, self.degree) for g in generators]
        identity = np.arange(self.degree)
        gens = [g for g in gens if not np.array_equal(g, identity)]
        self.generators: np.ndarray = (
            np.stack(gens) if gens else np.zeros((0, self.degree), dtype=np.int64)
        )
        self.name = name or f"gens:{self.degree}:" + ";".join(self._cycle_string(g) for g in gens)
        self._cycle_counts_source = _cycle_counts  # a Counter, a callable returning one, or None
        self._closed_order = _order  # |G| in closed form (named groups and their products), or None
        self._cost = _cost  # (types, cycles) of the closed-form cycle index, or None
        self._cyclic_shift = _cyclic_shift  # built as Z_n = <i -> i + 1>

    @property
    def _known_cycle_counts(self) -> Counter | None:
        """The closed-form cycle index, computed on first use (S_n's has p(n) terms: 6 s at n = 50)."""
        src = self._cycle_counts_source
        if callable(src):
            self._cycle_counts_source = src = src()
        return src

    # ------------------------------------------------------------------ named groups
    @classmethod
    def trivial(cls, n: int) -> "PermutationGroup":
        """The trivial group {e} on ``n`` points."""
        n = check_int(n, "n", min_value=1)
        return cls([], n, name=f"trivial:{n}", _cycle_counts=Counter({(1,) * n: 1}), _order=1, _cost=(1, n))

    @classmethod
    def cyclic(cls, n: int) -> "PermutationGroup":
        """The cyclic group Z_n of rotations ``i ↦ i + 1 mod n`` (order n)."""
        n = check_int(n, "n", min_value=1)
        return cls([np.roll(np.arange(n), -1)], n, name=f"cyclic:{n}", _cycle_counts=lambda: _cyclic_cycle_counts(n),
                   _order=group_order("cyclic", n), _cost=cycle_index_size("cyclic", n), _cyclic_shift=True)

    @classmethod
    def dihedral(cls, n: int) -> "PermutationGroup":
        """The dihedral group D_n of the n-gon: rotations and reflections ``i ↦ -i mod n``.

        Its order is 2n for n ≥ 3 (for n = 1, 2 it coincides with S_n).
        """
        n = check_int(n, "n", min_value=1)
        rot = np.roll(np.arange(n), -1)
        ref = (-np.arange(n)) % n
        if n < 3:
            return cls([rot, ref], n, name=f"dihedral:{n}", _order=group_order("dihedral", n))
        return cls([rot, ref], n, name=f"dihedral:{n}", _cycle_counts=lambda: _dihedral_cycle_counts(n),
                   _order=group_order("dihedral", n), _cost=cycle_index_size("dihedral", n))

    @classmethod
    def symmetric(cls, n: int) -> "PermutationGroup":
        """The symmetric group S_n (order n!)."""
        n = check_int(n, "n", min_value=1)
        gens = []
        if n >= 2:
            gens = [np.roll(np.arange(n), -1), np.array([1, 0] + list(range(2, n)))]
        return cls(gens, n, name=f"symmetric:{n}", _cycle_counts=lambda: _symmetric_cycle_counts(n, even_only=False),
                   _order=group_order("symmetric", n), _cost=cycle_index_size("symmetric", n))

    @classmethod
    def alternating(cls, n: int) -> "PermutationGroup":
        """The alternating group A_n of even permutations (order n!/2 for n ≥ 2)."""
        n = check_int(n, "n", min_value=1)
        gens = [np.array([1, 2, 0] + list(range(3, n))) if n >= 3 else np.arange(n)]
        gens += [np.array(list(range(0, i)) + [i + 1, i + 2, i] + list(range(i + 3, n))) for i in range(1, n - 2)]
        return cls(gens, n, name=f"alternating:{n}", _cycle_counts=lambda: _symmetric_cycle_counts(n, even_only=True),
                   _order=group_order("alternating", n), _cost=cycle_index_size("symmetric", n))

    @classmethod
    def on_blocks(cls, groups: Sequence["PermutationGroup"]) -> "PermutationGroup":
        """The direct product G_1 × … × G_r acting on disjoint consecutive blocks of points.

        Block j holds the points ``offset_j .. offset_j + G_j.degree - 1``.
        """
        if not groups:
            raise InvalidParameterError("on_blocks needs at least one group.")
        degree = sum(G.degree for G in groups)
        gens = []
        offset = 0
        for G in groups:
            for g in G.generators:
                full = np.arange(degree)
                full[offset:offset + G.degree] = g + offset
                gens.append(full)
            offset += G.degree
        def counts() -> Counter | None:
            if any(G._known_cycle_counts is None for G in groups):
                return None
            out = groups[0]._known_cycle_counts
            for G in groups[1:]:
                out = _combine_cycle_counts(out, G._known_cycle_counts)
            return out

        name = "blocks:" + "+".join(G.name for G in groups)
        known = all(G._closed_order is not None and G._cost is not None for G in groups)
        types = math.prod(G._cost[0] for G in groups) if known else 0
        return cls(gens, degree, name=name, _cycle_counts=counts,
                   _order=math.prod(G._closed_order for G in groups) if known else None,
                   _cost=(types, types * degree) if known else None)

    def direct_product(self, other: "PermutationGroup") -> "PermutationGroup":
        """``self × other`` acting on the disjoint union of their points (self's points first)."""
        return PermutationGroup.on_blocks([self, other])

    # ------------------------------------------------------------------ basic facts
    @cached_property
    def _sympy(self) -> _SympyGroup:
        if len(self.generators) == 0:
            return _SympyGroup([Permutation(list(range(self.degree)))])
        return _SympyGroup([Permutation(g.tolist()) for g in self.generators])

    @cached_property
    def order(self) -> int:
        """|G|: the closed form of a named group, else by Schreier–Sims (no enumeration; its cost is checked
        first, about ``3e-7 m² s`` per generator moving m points, as measured with sympy)."""
        if self._closed_order is not None:
            return int(self._closed_order)
        moved = int((self.generators != np.arange(self.degree)).any(axis=0).sum()) if len(self.generators) else 0
        require(Estimate(f"the order of {self.name} by Schreier–Sims on {moved} moved points",
                         bytes=8.0 * moved * moved, seconds=3e-7 * moved**2 * max(1, len(self.generators)),
                         lower="use a named group (cyclic, dihedral, symmetric, ...) or fewer points"))
        return int(self._sympy.order())

    def __len__(self) -> int:
        return self.order

    def is_cyclic_shift(self) -> bool:
        """Whether G is exactly the shift group Z_n = ⟨i ↦ i + 1 mod n⟩ (in any presentation).

        G = Z_n iff |G| = n and the n-cycle shift lies in G (then ⟨shift⟩ ⊆ G and both have order n).
        This is what the circular (convolution, FFT) forms of Z_n-averaged computations need.
        """
        n = self.degree
        if self._cyclic_shift:
            return True
        if self.order != n:
            return False
        return n == 1 or self.contains(np.roll(np.arange(n), -1))

    def contains(self, perm: object) -> bool:
        """Whether ``perm`` (array or cycle string) lies in G (Schreier–Sims sifting)."""
        arr = _as_permutation_array(perm, self.degree)
        return bool(self._sympy.contains(Permutation(arr.tolist())))

    def __contains__(self, perm: object) -> bool:
        return self.contains(perm)

    def __repr__(self) -> str:
        return f"PermutationGroup({self.name!r}, degree={self.degree}, order={self.order})"

    @staticmethod
    def _cycle_string(g: np.ndarray) -> str:
        return "".join(
            "(" + " ".join(str(i) for i in c) + ")" for c in Permutation(np.asarray(g).tolist()).cyclic_form
        )

    # ------------------------------------------------------------------ elements
    def elements(self, cap: int = DEFAULT_ELEMENT_CAP) -> np.ndarray:
        """All elements as an array of shape ``(|G|, n)``, identity first.

        Raises :class:`EnumerationLimitError` when |G| exceeds ``cap``.
        """
        if self.order <= cap:
            require(Estimate(f"listing the {self.order} elements of {self.name}", bytes=16.0 * self.order * self.degree,
                             seconds=self.order * self.degree * 20 / 2e9, lower="use a smaller group"))
        if self.order > cap:
            raise EnumerationLimitError(
                f"group {self.name} has {self.order} elements, above the enumeration limit of {cap}; "
                "use order/orbit counts (no enumeration needed) or a smaller group."
            )
        cached = getattr(self, "_elements_cache", None)
        if cached is not None:
            return cached
        elems = np.array(list(self._sympy.generate_schreier_sims(af=True)), dtype=np.int64)
        identity = np.arange(self.degree)
        first = np.flatnonzero((elems == identity).all(axis=1))[0]
        elems[[0, first]] = elems[[first, 0]]
        self._elements_cache = elems
        return elems

    def random_elements(self, count: int, seed: SeedLike = None) -> np.ndarray:
        """``count`` independent uniform random elements, shape ``(count, n)``.

        Each element is a product of uniform random coset representatives along the
        stabilizer chain (Schreier–Sims), which is uniform on G without enumerating it.
        """
        count = check_int(count, "count", min_value=0)
        rng = as_generator(seed)
        G = self._sympy
        transversals = [list(t.values()) for t in G.basic_transversals]
        out = np.empty((count, self.degree), dtype=np.int64)
        for r in range(count):
            perm = Permutation(list(range(self.degree)))
            for level in reversed(range(len(transversals))):
                u = transversals[level][rng.integers(len(transversals[level]))]
                perm = perm * u
            arr = np.asarray(perm.array_form)
            if arr.size < self.degree:
                arr = np.concatenate([arr, np.arange(arr.size, self.degree)])
            out[r] = arr
        return out

    # ------------------------------------------------------------------ cycle index
    def cycle_type_counts(self, cap: int = DEFAULT_ELEMENT_CAP) -> Counter:
        """The cycle index as ``{cycle type: number of elements}`` (exact integers).

        Closed forms for the named groups; enumeration (up to ``cap``) for the others.
        """
        self._burnside_check(None)
        if self._known_cycle_counts is not None:
            return Counter(self._known_cycle_counts)
        return _cycle_counts_batched(self.elements(cap=cap))

    def _burnside_check(self, k: int | None) -> None:
        """Refuse a Burnside sum beyond the limits (one line with its estimate; see :mod:`symhard.resources`)."""
        types, cycles = self._cost if self._cost is not None else (self.order, self.order * self.degree)
        require(burnside_estimate(self.name, types, cycles, self.degree, k))

    def orbit_count_boolean(self) -> int:
        """Number of orbits of G on {±1}^n, by Burnside: (1/|G|) Σ_g 2^{c(g)}."""
        total = sum(count * 2 ** len(ct) for ct, count in self.cycle_type_counts().items())
        q, r = divmod(total, self.order)
        assert r == 0, "Burnside sum not divisible by |G|: cycle index is wrong"
        return q

    def orbit_count_subsets(self, k: int) -> int:
        """Number of orbits of G on k-subsets of the points, by Burnside.

        A k-subset is fixed by g iff it is a union of cycles of g, so
        #orbits = (1/|G|) Σ_g [t^k] Π_{cycles c of g} (1 + t^{|c|}).
        """
        k = check_int(k, "k", min_value=0, max_value=self.degree)
        self._burnside_check(k)
        total = 0
        for ct, count in self.cycle_type_counts().items():
            poly = [1] + [0] * k
            for length in ct:
                for j in range(k, length - 1, -1):
                    poly[j] += poly[j - length]
            total += count * poly[k]
        q, r = divmod(total, self.order)
        assert r == 0, "Burnside sum not divisible by |G|: cycle index is wrong"
        return q

    def orbit_counts_by_weight(self) -> list[int]:
        """Orbits of G on k-subsets for k = 0..n (they partition the Boolean cube by weight)."""
        return [self.orbit_count_subsets(k) for k in range(self.degree + 1)]

    # ------------------------------------------------------------------ orbits
    def orbit_of_point(self, i: int) -> np.ndarray:
        """The orbit {g(i) : g ∈ G} of a point, sorted."""
        i = check_int(i, "point", min_value=0, max_value=self.degree - 1)
        return np.array(sorted(self._sympy.orbit(i)), dtype=np.int64) if len(self.generators) else np.array([i])

    def orbit_of_subset(self, subset: Iterable[int]) -> list[frozenset[int]]:
        """The orbit {g·S : g ∈ G} of a subset, by breadth-first search over the generators.

        Sorted by the sorted tuple of each member.
        """
        start = frozenset(int(s) for s in subset)
        for s in start:
            if not 0 <= s < self.degree:
                raise InvalidParameterError(f"subset point {s} is outside 0..{self.degree - 1}.")
        seen = {start}
        frontier = [start]
        gens = self.generators
        while frontier:
            new = []
            for S in frontier:
                idx = np.fromiter(S, dtype=np.int64, count=len(S))
                for g in gens:
                    T = frozenset(g[idx].tolist())
                    if T not in seen:
                        seen.add(T)
                        new.append(T)
            frontier = new
        return sorted(seen, key=lambda s: tuple(sorted(s)))

    def subset_orbit_representatives(self, k: int, cap: int = 5_000_000) -> list[tuple[int, ...]]:
        """One representative per orbit of k-subsets, as sorted tuples, sorted.

        The representative of an orbit is its member with the smallest bitmask
        Σ_{i∈S} 2^i. Enumerates the C(n, k) subsets (refused above ``cap``, or for n > 62).
        """
        k = check_int(k, "k", min_value=0, max_value=self.degree)
        total = math.comb(self.degree, k)
        if total <= cap:
            require(subsets_estimate(self.name, self.degree, k))
        if total > cap:
            raise EnumerationLimitError(
                f"{total} subsets of size {k} of {self.degree} points exceed the enumeration limit of {cap}."
            )
        from itertools import combinations

        masks = np.array([sum(1 << i for i in S) for S in combinations(range(self.degree), k)], dtype=np.int64)
        labels = self._orbit_labels_of_masks(masks)
        return sorted(tuple(i for i in range(self.degree) if (int(r) >> i) & 1) for r in np.unique(labels).tolist())

    # ------------------------------------------------------------------ the Boolean cube
    def act_on_masks(self, perm: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Image of bitmasks under one permutation: bit i moves to bit perm[i] (:func:`~symhard.groups.act_on_masks`)."""
        from ._actions import act_on_masks

        return act_on_masks(perm, masks)

    def _orbit_labels_of_masks(self, masks: np.ndarray) -> np.ndarray:
        """For each mask, the smallest mask in its orbit (:func:`~symhard.groups._cube_orbits.orbit_labels_of_masks`)."""
        from ._cube_orbits import orbit_labels_of_masks

        return orbit_labels_of_masks(self, masks)

    def boolean_orbit_labels(self, cap_points: int = 26) -> np.ndarray:
        """Orbit label of every point of {±1}^n, as an array of length 2^n.

        Point ``m`` (an integer) stands for x with x_i = -1 iff bit i of m is set. The label of
        a point is the smallest integer in its orbit. Vectorized over the cube; fast enough for
        n = 20 with a cyclic group. Refused for n > ``cap_points``.
        """
        if self.degree > cap_points:
            raise EnumerationLimitError(
                f"the Boolean cube of {self.degree} points has 2^{self.degree} elements, above the enumeration "
                f"limit of 2^{cap_points}; use orbit_count_boolean() (Burnside) instead."
            )
        require(cube_estimate(self.name, self.degree, len(self.generators)))
        return self._orbit_labels_of_masks(np.arange(2 ** self.degree, dtype=np.int64))

    def boolean_orbit_sizes(self, cap_points: int = 26) -> np.ndarray:
        """Sizes of the orbits of G on {±1}^n (enumerated), in order of their smallest member."""
        labels = self.boolean_orbit_labels(cap_points)
        _, sizes = np.unique(labels, return_counts=True)
        return sizes

    def sum_orbit_mass_squared(self, exact: bool = True, cap_points: int = 26):
        """Σ_O P(O)² for the uniform distribution on {±1}^n, with O ranging over the orbits.

        Returns a :class:`fractions.Fraction` (exact) computed from the enumerated orbit sizes:
        Σ_O (|O| / 2^n)².
        """
        from fractions import Fraction

        sizes = self.boolean_orbit_sizes(cap_points)
        value = Fraction(int(np.sum(sizes.astype(object) ** 2)), 4 ** self.degree)
        return value if exact else float(value)
