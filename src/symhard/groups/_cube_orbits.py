"""Orbit labels of points of the Boolean cube coded as bitmasks (the smallest mask of each orbit)."""

from __future__ import annotations

import numpy as np

from ..errors import EnumerationLimitError, InvalidParameterError
from ._actions import act_on_masks


def orbit_labels_of_masks(group, masks: np.ndarray) -> np.ndarray:
    """For each mask, the smallest mask in its orbit under ``group`` (a union of orbits is required).

    Small groups (|G| ≤ 4096): the minimum over every element's image. Larger groups: the orbit
    minimum is reached by closing under the generators, with label propagation and pointer jumping
    over the sorted masks.
    """
    if group.degree > 62:
        raise EnumerationLimitError(f"bitmask orbits need n ≤ 62 points, got {group.degree}.")
    masks = np.asarray(masks, dtype=np.int64)
    if group.order <= 4096:
        label = masks.copy()
        for g in group.elements()[1:]:
            np.minimum(label, act_on_masks(g, masks), out=label)
        return label
    # Large group: the orbit minimum is reached by closing under the generators.
    # Work on the set of masks itself: repeatedly replace each label by the minimum label
    # over generator images, with pointer jumping to converge fast.
    order = np.argsort(masks)
    sorted_masks = masks[order]
    label_pos = np.arange(masks.size)
    images = []
    for g in group.generators:
        img = act_on_masks(g, sorted_masks)
        pos = np.searchsorted(sorted_masks, img)
        if np.any(pos >= masks.size) or np.any(sorted_masks[np.minimum(pos, masks.size - 1)] != img):
            raise InvalidParameterError("the masks given are not a union of orbits of the group.")
        images.append(pos)
    while True:
        new = label_pos.copy()
        for pos in images:
            np.minimum.at(new, pos, new)  # push labels forward along g
            np.minimum(new, new[pos], out=new)  # pull labels back
        new = new[new]
        if np.array_equal(new, label_pos):
            break
        label_pos = new
    out = np.empty_like(masks)
    out[order] = sorted_masks[label_pos]
    return out
