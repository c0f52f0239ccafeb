"""Wall time of ``symhard reproduce --quick`` (all built-in experiment specs + the report).

Runs the installed console script in a subprocess, into a temporary folder, and reports the
wall time and the exit status (goal: under 10 minutes on a 2-core CPU).

    python benchmarks/bench_reproduce.py [--quick]   (--quick: only check that the command starts)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import load  # noqa: E402

LIMIT_S = 1800


def _symhard() -> list[str]:
    exe = Path(sys.executable).with_name("symhard")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "symhard"]


def run(quick: bool = False) -> dict:
    if quick:
        t0 = time.perf_counter()
        p = subprocess.run(_symhard() + ["reproduce", "--help"], capture_output=True, text=True, timeout=120)
        return {"name": "reproduce", "command": "symhard reproduce --help (quick mode: not timed)",
                "returncode": p.returncode, "seconds": time.perf_counter() - t0, "goal_met": None}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = _symhard() + ["reproduce", "--quick", "--out", str(Path(tmp) / "out")]
        load0 = load()
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT_S, env={**os.environ})
            rc, tail = p.returncode, (p.stdout + p.stderr)[-2000:]
        except subprocess.TimeoutExpired:
            rc, tail = None, f"killed after {LIMIT_S} s"
        secs = time.perf_counter() - t0
        files = sorted(str(q.relative_to(tmp)) for q in Path(tmp).rglob("*") if q.is_file())[:50]
    return {"name": "reproduce", "command": "symhard reproduce --quick", "returncode": rc, "seconds": secs,
            "load_1min_before": load0, "load_1min_after": load(), "output_tail": tail, "files": files,
            "goal": "under 600 s on a 2-core CPU", "goal_met": bool(rc == 0 and secs < 600)}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    print(json.dumps(run(p.parse_args().quick), indent=2))
