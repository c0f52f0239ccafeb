"""The learnability frontier: the largest size learned at each budget, fitted against the budget.

:mod:`~symhard.frontier.search` (bisection on the size), :mod:`~symhard.frontier.stats`
(bootstrap over seeds, the slope fit) and :mod:`~symhard.frontier.predict` (the slope the CSQ
view predicts) are pure; :mod:`~symhard.frontier.config` says what each family's frontier
measures; :mod:`~symhard.frontier.runner` evaluates the points through the experiment store and
executors; :mod:`~symhard.frontier.analysis` turns them into thresholds and fits;
:mod:`~symhard.frontier.section` into report data. :func:`run_frontier` does it all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["run_frontier", "frontier_dir", "RESULT_FILE"]

#: The result of a frontier, written atomically next to its store.
RESULT_FILE = "frontier.json"


def frontier_dir(root: str | Path, task: str, axis: str, quick: bool) -> Path:
    """``<root>/frontier/<task>-<axis>[-quick]``: below the results root, apart from the spec folders."""
    return Path(root) / "frontier" / (f"{task}-{axis}" + ("-quick" if quick else ""))


def run_frontier(family: str, *, axis: str = "steps", quick: bool = True, losses: tuple[str, ...] | None = None,
                 out: str | Path = "symhard-results", executor: str = "serial", workers: int | None = None,
                 address: str | None = None, device: str = "cpu", threads: int = 1, force: bool = False,
                 repair: bool = False, progress: Any = None, precision: str = "fp32") -> dict[str, Any]:
    """Measure (or resume) the frontier of ``family`` along ``axis``; returns the analysis and writes it.

    The analysis (thresholds with bootstrap intervals, fits with the predicted slopes, every
    evaluated point) is written to ``<out>/frontier/<task>-<axis>[-quick]/frontier.json``.
    """
    from .._files import atomic_write_bytes, check_output_dir
    from ..experiments.executors import check_executor
    from .analysis import analyze
    from .config import plan_for
    from .runner import run_points

    check_executor(executor, workers=workers, threads=threads, address=address)  # first: one line, nothing run
    check_output_dir(out)
    plan = plan_for(family, axis, quick, losses)
    folder = check_output_dir(frontier_dir(out, plan.task, plan.axis, quick))
    run = run_points(plan, folder, executor=executor, workers=workers, address=address, device=device,
                     threads=threads, force=force, repair=repair, progress=progress, precision=precision)
    result = analyze(run, plan) | {"quick": quick, "out_dir": str(folder)}
    atomic_write_bytes(folder / RESULT_FILE, json.dumps(result, indent=1, default=str).encode())
    return result
