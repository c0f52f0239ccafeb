r"""Draw a :class:`symhard.sections.Figure` to PNG and SVG (the only place the report draws).

Every figure of the report, whichever family, learner or experiment it comes from, goes through
:func:`render_figure`, so every figure follows the same rules:

* panels are laid out ``columns`` per row (default: all in one row), each with its title and
  both axis labels; a panel with nothing finite to draw is not drawn as an empty axis: its
  ``note`` (the reason, e.g. "the bound is vacuous at these sizes") is written in its place;
  a panel with data and a note shows the note under its x label;
* every series, reference line and heat map with a label appears in the legend (or colour bar);
* on a log axis, non-positive values cannot be drawn: they are dropped from the line, and the
  panel counts as empty when nothing positive is left (the producer clips and says so);
* the PNG (110 dpi) and the SVG are written side by side; the SVG keeps its text as ``<text>``
  elements (``svg.fonttype = none``), so titles, labels and legends are searchable.

matplotlib's object-oriented API is used (:class:`matplotlib.figure.Figure` and ``savefig``),
never ``pyplot``: no backend is selected and no global figure state is touched.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..sections import Figure, Heatmap, Panel, Series

__all__ = ["render_figure", "render_all", "drawable_points", "panel_is_empty"]

#: Inches per panel (width, height) and the PNG resolution.
PANEL_SIZE = (4.8, 3.6)
DPI = 110
#: Legends with more entries than this go below their axes, in two columns.
LEGEND_INSIDE_MAX = 5
#: A long legend goes this many points below the axes (under the tick labels and the x label).
LEGEND_DROP_PT = 34
#: Up to this many distinct integer x values are all written as ticks (a swept parameter).
MAX_VALUE_TICKS = 12
#: Colours of labelled reference lines (hlines, vlines), in order.
LINE_COLORS = ("0.35", "tab:green", "tab:purple", "tab:brown", "tab:olive")


def _arr(values: Any) -> np.ndarray:
    out = []
    for v in values if values is not None else ():
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return np.asarray(out, dtype=float)


def _mask(series: Series, panel: Panel) -> np.ndarray:
    x, y = _arr(series.x), _arr(series.y)
    n = min(len(x), len(y))
    m = np.isfinite(x[:n]) & np.isfinite(y[:n])
    if panel.xscale == "log":
        m &= x[:n] > 0
    if panel.yscale == "log":
        m &= y[:n] > 0
    return m


def drawable_points(series: Series, panel: Panel) -> int:
    """How many points of ``series`` can be drawn on ``panel`` (finite, and positive on log axes)."""
    return int(_mask(series, panel).sum())


def _heatmap_finite(hm: Heatmap | None) -> bool:
    if hm is None:
        return False
    z = np.asarray(hm.z, dtype=float)
    return z.size > 0 and bool(np.isfinite(z).any())


def panel_is_empty(panel: Panel) -> bool:
    """Whether nothing of ``panel`` can be drawn (then its note is written in place of the axis)."""
    return not _heatmap_finite(panel.heatmap) and not any(drawable_points(s, panel) for s in panel.series)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(p, width=max(20, width)) for p in str(text).split("\n"))


def _err(err: Any, m: np.ndarray) -> Any:
    if err is None:
        return None
    if isinstance(err, tuple) and len(err) == 2:
        return np.vstack([_arr(err[0])[: len(m)][m], _arr(err[1])[: len(m)][m]])
    return _arr(err)[: len(m)][m]


def _draw_series(ax: Any, s: Series, panel: Panel) -> None:
    m = _mask(s, panel)
    if not m.any():
        return
    x, y = _arr(s.x)[: len(m)][m], _arr(s.y)[: len(m)][m]
    kw: dict[str, Any] = {"label": s.label or None, "markersize": 4}
    if s.color:
        kw["color"] = s.color
    if s.yerr is not None:
        line = ax.errorbar(x, y, yerr=_err(s.yerr, m), fmt=s.style, capsize=2, **kw).lines[0]
    else:
        (line,) = ax.plot(x, y, s.style, **kw)
    if s.band is not None:
        lo, hi = _arr(s.band[0])[: len(m)][m], _arr(s.band[1])[: len(m)][m]
        if panel.yscale == "log":
            lo = np.where(lo > 0, lo, np.nan)
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)


def _draw_heatmap(ax: Any, hm: Heatmap, fig: Any) -> None:
    if hm.points:  # one coloured square per evaluated point
        mesh = ax.scatter(_arr(hm.x), _arr(hm.y), c=_arr(hm.z), cmap=hm.cmap, vmin=hm.vmin, vmax=hm.vmax, marker="s",
                          s=70, edgecolors="0.3", linewidths=0.5)
    else:
        z = np.ma.masked_invalid(np.asarray(hm.z, dtype=float))
        mesh = ax.pcolormesh(_arr(hm.x), _arr(hm.y), z, cmap=hm.cmap, vmin=hm.vmin, vmax=hm.vmax, shading="nearest")
    fig.colorbar(mesh, ax=ax, label=hm.label)


def _write_note(ax: Any, note: str) -> None:
    """The reason a panel has no data, written where the axis would be."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, _wrap(note, 44), transform=ax.transAxes, ha="center", va="center", fontsize=8.5,
            color="0.2", bbox={"boxstyle": "round", "facecolor": "0.95", "edgecolor": "0.7"})


def _legend(ax: Any, panel: Panel) -> Any:
    """Inside the axes when short, else below the x label in two columns; returns the legend or None."""
    handles, labels = ax.get_legend_handles_labels()
    if not panel.legend or not handles:
        return None
    if len(handles) <= LEGEND_INSIDE_MAX:
        return ax.legend(handles, labels, fontsize=7, loc="best")
    from matplotlib.transforms import ScaledTranslation

    below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP_PT / 72, ax.figure.dpi_scale_trans)
    return ax.legend(handles, labels, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     bbox_transform=below, ncol=2, borderaxespad=0.0)


def _integer_x(panel: Panel) -> list[int]:
    """The distinct x values when every drawn x is an integer (a swept parameter), else []."""
    xs = np.concatenate([_arr(s.x)[: len(m)][m] for s in panel.series for m in [_mask(s, panel)]] or [np.zeros(0)])
    if panel.heatmap is not None and panel.heatmap.points:  # a phase diagram of points: its budgets are the ticks
        xs = np.asarray(panel.heatmap.x, dtype=float)
        xs = xs[np.isfinite(xs)]
    elif panel.heatmap is not None:
        return []
    if xs.size == 0 or not np.all(xs == np.round(xs)):
        return []
    return sorted({int(x) for x in xs})


def _legend_entries(panel: Panel) -> int:
    return (sum(1 for s in panel.series if s.label and drawable_points(s, panel))
            + sum(1 for _, lab in [*panel.hlines, *panel.vlines] if lab))


def _draw_panel(ax: Any, panel: Panel, fig: Any) -> None:
    ax.set_title(_wrap(panel.title, 52), fontsize=9)
    ax.set_xlabel(panel.xlabel or "(no x label given)", fontsize=8.5)
    ax.set_ylabel(panel.ylabel or "(no y label given)", fontsize=8.5)
    if panel_is_empty(panel):
        _write_note(ax, panel.note or "Nothing to draw: the producer of this figure gave no data and no reason.")
        return
    if panel.heatmap is not None and _heatmap_finite(panel.heatmap):
        _draw_heatmap(ax, panel.heatmap, fig)
    for s in panel.series:
        _draw_series(ax, s, panel)
    for i, (y, label) in enumerate(panel.hlines):
        ax.axhline(y, color=LINE_COLORS[i % len(LINE_COLORS)], lw=0.9, ls=":", label=label or None)
    for i, (x, label) in enumerate(panel.vlines):
        ax.axvline(x, color=LINE_COLORS[(i + 2) % len(LINE_COLORS)], lw=0.9, ls="--", label=label or None)
    ax.set_xscale(panel.xscale)
    ax.set_yscale(panel.yscale)
    ticks = _integer_x(panel)
    if ticks and len(ticks) <= MAX_VALUE_TICKS:
        from matplotlib.ticker import FormatStrFormatter, NullLocator

        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))  # 16, not 1.6×10¹ on a log axis
        ax.xaxis.set_minor_locator(NullLocator())
    elif ticks and panel.xscale == "linear":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if panel.ylim is not None:
        ax.set_ylim(*panel.ylim)
    low, high = ax.get_ylim()
    if panel.yscale == "log" and 0 < low and high < 100 * low:  # sizes: 6, 20, 40 rather than 6×10⁰, 2×10¹
        from matplotlib.ticker import LogFormatter

        ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.tick_params(which="both", labelsize=7.5)
    ax.grid(True, which="major", alpha=0.25)
    legend = _legend(ax, panel)
    if panel.note:  # under the x label, or under the legend when that is below the axes
        anchor = legend if legend is not None and len(legend.get_texts()) > LEGEND_INSIDE_MAX else ax.xaxis.label
        ax.annotate(_wrap(panel.note, 60), xy=(0.5, 0.0), xycoords=anchor, xytext=(0, -3),
                    textcoords="offset points", ha="center", va="top", fontsize=7, color="0.25")


def _layout(fig: Figure) -> tuple[int, int]:
    n = max(1, len(fig.panels))
    cols = max(1, min(n, fig.columns or n))
    return math.ceil(n / cols), cols


def render_figure(fig: Figure, out_dir: str | Path, name: str | None = None) -> list[Path]:
    """Draw ``fig`` into ``out_dir/<name>.png`` and ``out_dir/<name>.svg``; return both paths.

    ``name`` defaults to ``fig.name``. The figure's title is the suptitle; its caption is not
    drawn (the report prints it under the figure).
    """
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, cols = _layout(fig)
    tall = sum(max((_legend_entries(p) for p in fig.panels[r * cols:(r + 1) * cols]
                    if p.legend and not panel_is_empty(p) and _legend_entries(p) > LEGEND_INSIDE_MAX), default=0)
               for r in range(rows))
    size = (PANEL_SIZE[0] * cols + 0.4, PANEL_SIZE[1] * rows + 0.5 + 0.09 * tall)
    mfig = MplFigure(figsize=size, layout="constrained")
    axes = mfig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(fig.panels):
            _draw_panel(ax, fig.panels[i], mfig)
        else:
            ax.set_visible(False)
    if fig.title:
        mfig.suptitle(_wrap(fig.title, int(size[0] * 13)), fontsize=10)
    stem = name or fig.name
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "symhard"}):
        mfig.savefig(paths[0], dpi=DPI, metadata={"Software": "symhard"})
        mfig.set_layout_engine("none")  # keep the positions the layout found (in figure fractions) for the SVG
        mfig.savefig(paths[1], metadata={"Date": None})
    return paths


def render_all(figures: Sequence[Figure], out_dir: str | Path) -> list[list[Path]]:
    """Render several figures, in order, with file stems made unique (``name``, ``name-2``, ...)."""
    used: set[str] = set()
    out = []
    for f in figures:
        stem, k = f.name, 2
        while stem in used:
            stem, k = f"{f.name}-{k}", k + 1
        used.add(stem)
        out.append(render_figure(f, out_dir, name=stem))
    return out
