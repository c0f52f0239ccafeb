"""Crash and resume (issue 13, §2 and §5): SIGKILL the driver of ``symhard run`` at 20 random
points of a sweep and rerun each time; the final table equals an uninterrupted run's, no row
lost or duplicated, and no worker process outlives its driver. Ctrl-C stops cleanly and leaves a
resumable folder.

Drivers are real processes killed with SIGKILL. To keep the test in CI time most of them are
forked from a "fork server" that imported symhard and torch once and then runs
``symhard.cli.main(["run", ...])`` in a fresh child per round (the code path of
``python -m symhard run``, minus the interpreter start); the process-executor rounds start
``python -m symhard run`` itself. Every process a driver starts (workers, multiprocessing's
resource tracker) inherits a tag in its environment, found through ``/proc``.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import toy_tasks  # noqa: F401
from symhard.experiments.runner import run_spec
from symhard.experiments.spec import load_spec
from symhard.experiments.store import check_store, read_curves, read_runs
from test_experiments import _rows

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses fork, /proc and SIGKILL")

SPEC = """
name = "crash"
imports = ["toy_tasks"]
seeds = [0, 1]
test_size = 100
[learner]
lrs = [1e-2, 3e-3]
width = 8
batch_size = 32
steps = 30
train_size = 200
eval_every = 10
[[series]]
task = "toy-parity"
values = [2, 3, 4, 5]
"""
CHUNKS = 8

_FORK_SERVER = r"""
import json, os, sys
import toy_tasks  # noqa: F401
import symhard.cli, symhard.experiments.runner, symhard.learners.gd  # noqa: F401  (imported once, here)
from symhard.experiments.spec import load_spec
load_spec(sys.argv[1])  # imports the task registry and the families once, here
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        try:
            symhard.cli.main(json.loads(line))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        os._exit(code)
    sys.stdout.write(f"{pid}\n")
    sys.stdout.flush()
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(f"{status}\n")
    sys.stdout.flush()
"""


def _env(tag: str) -> dict[str, str]:
    path = os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1", SYMHARD_TEST_TAG=tag)


def _tagged(tag: str) -> list[int]:
    """Live processes whose environment holds our tag (zombies have an empty environ)."""
    needle = f"SYMHARD_TEST_TAG={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _assert_all_gone(tag: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while (alive := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in alive:  # ours (started by the driver this test started): clean up, then fail
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"processes {alive} outlived their driver"


def _committed(out: Path) -> int:
    try:
        return len(json.loads((out / "manifest.json").read_text())["chunks"])
    except (OSError, ValueError, KeyError):
        return 0


def _same_as_reference(out: Path, ref: Path) -> None:
    assert check_store(out).problems == []
    runs, ref_runs = _rows(read_runs(out)), _rows(read_runs(ref))
    assert len(runs[1]) == len(ref_runs[1]) == CHUNKS * 4  # none lost, none duplicated
    assert runs == ref_runs and _rows(read_curves(out)) == _rows(read_curves(ref))


class ForkServer:
    def __init__(self, tag: str, spec_file: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _FORK_SERVER, str(spec_file)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=_env(tag), bufsize=0)

    def _line(self, timeout: float | None) -> str | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().decode().strip() if ready else None

    def run(self, argv: list[str], out: Path | None = None, k: int = 0, extra: float = 0.0) -> bool:
        """Run ``symhard argv`` in a fresh child. With ``out``: SIGKILL it ``extra`` seconds after
        ``out`` has ``k`` committed chunks. True if the kill hit a live driver, False if the run
        finished first (it must then exit 0)."""
        self.proc.stdin.write((json.dumps(argv) + "\n").encode())
        pid = int(self._line(120))
        reached = None
        while (status := self._line(0.005)) is None:
            if out is None:
                continue
            if reached is None and _committed(out) >= k:
                reached = time.monotonic()
            if reached is not None and time.monotonic() - reached >= extra:
                os.kill(pid, signal.SIGKILL)
                status = self._line(60)
                if os.waitstatus_to_exitcode(int(status)) == -signal.SIGKILL:
                    return True
                break
        assert os.waitstatus_to_exitcode(int(status)) == 0, f"symhard {argv} failed: status {status}"
        return False

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _kill_python_m_run(spec_file: Path, out_root: Path, rng: random.Random) -> bool:
    """``python -m symhard run --executor process --workers 2``, killed once ``k >= 1`` chunks are
    committed (k random, so its workers are running) plus a random fraction of a second; True if
    the kill hit it alive. Then no process it started may survive it."""
    out = out_root / "crash"
    tag = uuid.uuid4().hex
    k = rng.randrange(1, CHUNKS)
    proc = subprocess.Popen([sys.executable, "-m", "symhard", "run", str(spec_file), "--out", str(out_root),
                             "--executor", "process", "--workers", "2", "--json"], env=_env(tag),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while proc.poll() is None and _committed(out) < k and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.3))
    alive = proc.poll() is None
    if alive:  # the check below has something to check: the driver and its two workers
        assert len(_tagged(tag)) >= 3
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _assert_all_gone(tag)  # every worker (and the resource tracker) died with its driver
    return alive


@pytest.mark.slow
def test_sigkill_at_20_random_points_then_resume(tmp_path):
    """A kill point is (k, t): t seconds (uniform over one chunk's time) after the k-th commit
    (k uniform over the sweep), so kills land anywhere in the sweep: in startup, in training, in
    the middle of writing a chunk or the manifest. Every sweep folder is rerun until complete and
    compared with the uninterrupted reference."""
    rng = random.Random(13)
    spec_file = tmp_path / "crash.toml"
    spec_file.write_text(SPEC)
    ref = run_spec(load_spec(spec_file), out_dir=tmp_path / "ref", progress=False).out_dir
    tag = uuid.uuid4().hex
    server = ForkServer(tag, spec_file)
    try:
        t0 = time.monotonic()
        server.run(["run", str(spec_file), "--out", str(tmp_path / "timing"), "--json"])
        per_chunk = (time.monotonic() - t0) / CHUNKS
        kills, sweeps, folder = 0, 0, None
        while kills < 20:
            real = kills % 10 == 9  # kills 10 and 20: a real `python -m symhard run` with process workers
            if real and folder is not None:  # ... on a fresh sweep, so that its workers are up when it dies
                server.run(["run", str(spec_file), "--out", str(folder), "--json"])
                _same_as_reference(folder / "crash", ref)
                folder = None
            if folder is None:
                sweeps += 1
                folder = tmp_path / f"sweep{sweeps}"
            argv = ["run", str(spec_file), "--out", str(folder), "--json"]
            if real:
                killed = _kill_python_m_run(spec_file, folder, rng)
            else:
                killed = server.run(argv, folder / "crash", rng.randrange(CHUNKS), rng.uniform(0, per_chunk))
            kills += killed
            if not killed or _committed(folder / "crash") == CHUNKS or kills == 20:
                server.run(argv)  # finish (or rerun a finished sweep: idempotent)
                _same_as_reference(folder / "crash", ref)
                folder = None
    finally:
        server.close()
    _assert_all_gone(tag)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_leaves_a_resumable_folder(tmp_path):
    spec_file = tmp_path / "crash.toml"
    # chunks of about half a second, so that the interrupt lands while chunks remain
    assert "steps = 30" in SPEC
    spec_file.write_text(SPEC.replace("steps = 30", "steps = 400"))
    ref = run_spec(load_spec(spec_file), out_dir=tmp_path / "ref", progress=False).out_dir
    tag = uuid.uuid4().hex
    out = tmp_path / "res" / "crash"
    proc = subprocess.Popen([sys.executable, "-m", "symhard", "run", str(spec_file), "--out", str(out.parent),
                             "--executor", "process", "--workers", "2"], env=_env(tag), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # a terminal's foreground job takes Ctrl-C; a test run from a background job (`cmd &`)
                            # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 180
    while _committed(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("symhard: interrupted;") and "rerun the same command to resume" in last, err
    assert "Traceback" not in err
    _assert_all_gone(tag)
    kept = _committed(out)
    assert check_store(out).problems == [] and 2 <= kept <= CHUNKS
    again = run_spec(load_spec(spec_file), out_dir=out, progress=False)
    assert again.skipped == kept and again.ran == CHUNKS - kept
    _same_as_reference(out, ref)
