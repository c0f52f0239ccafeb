"""Printing a run's cost before it starts (``--plan``) and its estimate against the measured time after it."""

from __future__ import annotations

import sys
from typing import Any

from ._common import print_json


def _secs(v: float | None) -> str:
    if v is None:
        return "not estimated"
    if v < 120:
        return f"{v:.1f} s"
    return f"{v / 60:.1f} min" if v < 7200 else f"{v / 3600:.1f} h"


def _bytes(v: int | None) -> str:
    if v is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if v >= size:
            return f"{v / size:.1f} {unit}"
    return f"{v} B"


def print_plan(plan: Any, as_json: bool) -> None:
    """A :class:`~symhard.experiments.plan.RunPlan` as JSON or as a table with its total."""
    if as_json:
        print_json(plan.to_dict())
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(f"plan of {plan.what}: {plan.device}, {plan.precision}, {plan.threads} torch thread(s) "
                           "per chunk"))
    for col in ("chunk", "members", "steps", "batch", "width", "est. time", "est. memory", "status"):
        t.add_column(col)
    for c in plan.chunks:
        t.add_row(escape(c.label), str(c.members), str(c.steps), str(c.batch_size), str(c.width or "-"),
                  "-" if c.stored else _secs(c.seconds), "-" if c.stored else _bytes(c.bytes),
                  "stored" if c.stored else "to compute")
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    con.print(t)
    tot = plan.totals()
    if not tot["to_compute"]:
        con.print(escape(f"nothing to compute: all {tot['chunks']} chunk(s) are stored in {plan.out_dir}."))
        return
    extra = f" (+{tot['not_estimated']} not estimated)" if tot["not_estimated"] else ""
    con.print(escape(f"total: {tot['to_compute']} of {tot['chunks']} chunk(s) to compute, {tot['stored']} already "
                     f"stored in {plan.out_dir}; estimated {_secs(tot['seconds'])}{extra} one chunk after another on "
                     f"this machine, at most {_bytes(tot['peak_bytes'])} per chunk "
                     f"(calibration {plan.calibration_seconds:.1f} s; nothing written)."))
    for note in plan.notes:
        con.print(escape(f"note: {note}"))


def estimate_line(est: dict[str, Any] | None) -> str | None:
    """One line: the estimated against the measured chunk seconds of a finished run (None if nothing ran)."""
    if not est:
        return None
    ratio = est["measured_seconds"] / est["estimated_seconds"] if est["estimated_seconds"] else float("nan")
    extra = f" (+{est['not_estimated']} not estimated)" if est["not_estimated"] else ""
    return (f"cost: estimated {_secs(est['estimated_seconds'])}{extra} for {est['chunks']} chunk(s), measured "
            f"{_secs(est['measured_seconds'])} of chunk compute (x{ratio:.2f}), {_secs(est['wall_seconds'])} wall.")
