r"""What a family, a learner or an experiment contributes to the report, as data (nothing is drawn here).

Families and learners return a :class:`Section`: text, certificate objects, tables and
:class:`Figure` descriptions (panels of series with their labels, axes, scales and units). The
report layer (:mod:`symhard.report`) is the only one that draws: it renders every
:class:`Figure` with matplotlib to PNG and SVG, the same way for every family, which is what
lets one test check every figure of the report (an axis has data or says why it has none; the
legend matches the series).

A panel with no finite data must carry a ``note`` saying why (for instance "the certified bound
is vacuous at these sizes: γ ≥ τ²"); the renderer writes the note in place of an empty axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["Series", "Heatmap", "Panel", "Figure", "Table", "Section"]


def _floats(values: Sequence[Any] | None) -> list[float]:
    out = []
    for v in values or ():
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


@dataclass
class Series:
    """One line (or set of markers) on a panel.

    ``yerr`` is a symmetric error bar or a pair ``(below, above)``; ``band`` a shaded interval
    ``(low, high)``; ``style`` a matplotlib format string (``"o-"``, ``"s--"``, ``":"``).
    """

    x: Sequence[float]
    y: Sequence[float]
    label: str
    style: str = "o-"
    color: str | None = None
    yerr: Sequence[float] | tuple[Sequence[float], Sequence[float]] | None = None
    band: tuple[Sequence[float], Sequence[float]] | None = None

    def finite_points(self) -> int:
        """How many (x, y) points are finite (what the renderer can draw)."""
        return sum(1 for a, b in zip(_floats(self.x), _floats(self.y)) if math.isfinite(a) and math.isfinite(b))


@dataclass
class Heatmap:
    """A colour map ``z[len(y), len(x)]`` over a grid (a phase diagram).

    With ``points=True``, ``x``, ``y`` and ``z`` are parallel lists: one coloured marker per point
    (for sparse, irregular evaluations such as a bisection's, where a grid would invent values).
    """

    x: Sequence[float]
    y: Sequence[float]
    z: Sequence[Sequence[float]]
    label: str
    cmap: str = "viridis"
    vmin: float | None = None
    vmax: float | None = None
    points: bool = False


@dataclass
class Panel:
    """One axes: its series (or heatmap), labels with units, scales, reference lines and a note."""

    title: str
    xlabel: str
    ylabel: str
    series: list[Series] = field(default_factory=list)
    xscale: str = "linear"
    yscale: str = "linear"
    hlines: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    vlines: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    note: str = ""
    ylim: tuple[float, float] | None = None
    heatmap: Heatmap | None = None
    legend: bool = True

    def has_data(self) -> bool:
        """Whether anything finite is drawn (a series point or a heatmap)."""
        return self.heatmap is not None or any(s.finite_points() for s in self.series)


@dataclass
class Figure:
    """A figure: a file stem, a title (family, role, group, budget) and one or more panels."""

    name: str
    title: str
    panels: list[Panel]
    caption: str = ""
    columns: int | None = None  # panels per row (default: all in one row)

    def problems(self) -> list[str]:
        """What a reader would stumble on: an empty panel without a note, a series without a label."""
        out = []
        for i, p in enumerate(self.panels):
            if not p.has_data() and not p.note:
                out.append(f"{self.name}: panel {i} ({p.title!r}) has no finite data and no note saying why")
            for s in p.series:
                if not s.label:
                    out.append(f"{self.name}: panel {i} has a series without a label")
            if not p.xlabel or not p.ylabel:
                out.append(f"{self.name}: panel {i} ({p.title!r}) lacks an axis label")
        return out


@dataclass
class Table:
    """A Markdown table: ``header`` and ``rows`` of strings (already formatted)."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.rows]
        return "\n".join(lines)


@dataclass
class Section:
    """A part of the report: a title, Markdown text, certificates, tables and figures (all data).

    ``certificates`` holds :class:`~symhard.families.base.Certificate` objects (anything with
    ``to_dict()``); ``anchor`` is the id of the section in the HTML table of contents.
    """

    title: str
    text: str = ""
    certificates: list[Any] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    anchor: str = ""

    def problems(self) -> list[str]:
        return [p for f in self.figures for p in f.problems()]
