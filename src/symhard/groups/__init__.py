"""Permutation groups, their actions, orbits, Burnside counts and frames."""

from ._actions import (
    act_on_graphs as act_on_graphs,
    act_on_masks as act_on_masks,
    act_on_rows as act_on_rows,
    act_on_subsets as act_on_subsets,
    act_on_vectors as act_on_vectors,
    masks_to_pm1 as masks_to_pm1,
    pm1_to_masks as pm1_to_masks,
)
from ._permutation import (
    DEFAULT_ELEMENT_CAP as DEFAULT_ELEMENT_CAP,
    PermutationGroup as PermutationGroup,
    compose as compose,
    cycle_type as cycle_type,
    inverse as inverse,
    parse_cycles as parse_cycles,
)
from ._spec import as_group as as_group, parse_group as parse_group
from .frames import (
    CyclicArgmaxFrame as CyclicArgmaxFrame,
    Frame as Frame,
    LexMinFrame as LexMinFrame,
    SortFrame as SortFrame,
    default_frame as default_frame,
    frame_average as frame_average,
)

__all__ = [
    "PermutationGroup", "parse_group", "as_group", "parse_cycles", "compose", "inverse", "cycle_type",
    "act_on_vectors", "act_on_rows", "act_on_graphs", "act_on_subsets", "act_on_masks",
    "masks_to_pm1", "pm1_to_masks", "DEFAULT_ELEMENT_CAP",
    "Frame", "SortFrame", "CyclicArgmaxFrame", "LexMinFrame", "default_frame", "frame_average",
]
