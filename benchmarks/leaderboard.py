"""The leaderboard of the frozen suite: scorecards in ``benchmarks/scorecards/`` -> the table in docs/leaderboard.md.

    python benchmarks/leaderboard.py                       # regenerate the table from the stored scorecards
    python benchmarks/leaderboard.py --print               # print it instead
    python benchmarks/leaderboard.py --run-quick           # score the GD baseline on the quick subset of v1, then regenerate
    python benchmarks/leaderboard.py --run NAME --model FILE:FN [--full] [--tasks 'gnn-*'] [--device cuda]
                                                           # score a model (on some tasks), then regenerate
    python benchmarks/leaderboard.py --baselines [--full]  # score every baseline of examples/baselines/ on
                                                           # the tasks it accepts, then regenerate

A run stores its scorecard as ``benchmarks/scorecards/<suite>[-quick]-<NAME>.json`` (the per-task results
under ``symhard-results/leaderboard/``, so an interrupted run resumes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "leaderboard.md"


def _run(name: str, suite: str, quick: bool, model: str | None, learner: str | None, device: str,
         only: list[str] | None = None) -> Path:
    from symhard.bench.scorecard import run_suite
    from symhard.bench.suite import load_suite

    s = load_suite(suite)
    say = lambda msg: print(f"[leaderboard] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    work = ROOT / "symhard-results" / "leaderboard" / f"{s.version}-{name}"
    card = run_suite(s, model=model, learner=learner, quick=quick, out_dir=work, device=device, progress=say,
                     only=only)
    dest = HERE / "scorecards" / f"{s.version}{'-quick' if quick else ''}-{name}.json"
    dest.parent.mkdir(exist_ok=True)
    shutil.copyfile(card["file"], dest)
    return dest


def _run_baselines(suite: str, quick: bool, device: str) -> None:
    """Score each baseline of ``examples/baselines`` on the suite's tasks of the families it accepts."""
    sys.path.insert(0, str(ROOT))
    from examples.baselines import BASELINES, KINDS, TASKS
    from symhard.bench.suite import load_suite

    in_suite = {t.task for t in load_suite(suite).tasks}
    for name, target in BASELINES.items():
        only = [task for task in TASKS[name] if task in in_suite]
        if not only:
            print(f"skipped {name}: suite {suite} has none of its tasks ({', '.join(TASKS[name])})", file=sys.stderr)
            continue
        model, learner = (target, None) if KINDS[name] == "model" else (None, target)
        print(f"stored {_run(name, suite, quick, model, learner, device, only)}", file=sys.stderr)


def _write_doc(table: str) -> None:
    from symhard.bench.leaderboard import BEGIN, END
    from symhard.bench.results import atomic_write_text

    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the markers {BEGIN!r} ... {END!r}")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    atomic_write_text(DOC, f"{head}{BEGIN}\n\n{table}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scorecards", type=Path, default=HERE / "scorecards", help="folder of scorecard JSON files")
    p.add_argument("--print", action="store_true", help="print the table instead of writing docs/leaderboard.md")
    p.add_argument("--run-quick", action="store_true", help="score the GD baseline on the quick subset first")
    p.add_argument("--run", metavar="NAME", help="score a submission first, stored under NAME")
    p.add_argument("--model")
    p.add_argument("--learner")
    p.add_argument("--full", action="store_true", help="with --run: the full suite (default: the quick subset)")
    p.add_argument("--suite", default="v1")
    p.add_argument("--device", default="cpu")
    p.add_argument("--baselines", action="store_true",
                   help="score every baseline of examples/baselines/ on the tasks it accepts first")
    p.add_argument("--tasks", help="with --run: only these task ids or names, comma separated (e.g. 'gnn-*')")
    a = p.parse_args(argv)
    if not a.scorecards.is_dir():
        p.error(f"--scorecards {a.scorecards} is not a folder of scorecard JSON files")
    if a.run_quick:
        print(f"stored {_run('baseline', a.suite, True, None, None, a.device)}", file=sys.stderr)
    if a.run:
        only = [t for t in (a.tasks or "").split(",") if t] or None
        print(f"stored {_run(a.run, a.suite, not a.full, a.model, a.learner, a.device, only)}", file=sys.stderr)
    if a.baselines:
        _run_baselines(a.suite, not a.full, a.device)
    from symhard.bench.leaderboard import leaderboard_markdown, read_scorecards

    table = leaderboard_markdown(read_scorecards(a.scorecards))
    if a.print:
        print(table)
    else:
        _write_doc(table)
        print(f"wrote the table of {DOC}", file=sys.stderr)


if __name__ == "__main__":
    from symhard.errors import SymhardError

    try:
        main()
    except SymhardError as err:  # bad input: one line, exit 2, as the symhard command does
        print(f"leaderboard: error: {' '.join(str(err).split())}", file=sys.stderr)
        sys.exit(2)

