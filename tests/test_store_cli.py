"""The CLI's error boundary (``symhard.cli.main``) and the ``run`` command's guards.

Every path of :func:`symhard.cli.main` runs in a subprocess, because exit statuses and what
reaches stderr are the contract: a SymhardError or a usage error is one line and exit 2; any
other exception is one line saying it is a bug and where to report it, exit 1; ``--debug``
adds the traceback; Ctrl-C is exit 130. The ``run`` guards (CPU caps, Ray address, --repair and
--force, a damaged folder) run in-process through ``main`` to stay fast.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import toy_tasks  # noqa: F401
from symhard.cli import main
from symhard.experiments.executors import available_cpus, probe_ray_address
from symhard.errors import InvalidParameterError

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

# A subprocess that adds commands failing in each way, then hands argv to the real main().
_DRIVER = """
import sys, typer
import symhard.cli as cli
from symhard.errors import InvalidParameterError

@cli.app.command("boom")
def boom():
    return {}["no such key"]

@cli.app.command("oom")
def oom():
    raise MemoryError()

@cli.app.command("bad-input")
def bad_input():
    raise InvalidParameterError("n == -1, must be >= 1.")

@cli.app.command("interrupt")
def interrupt():
    raise KeyboardInterrupt

@cli.app.command("abort")
def abort():
    raise typer.Abort()

cli.main(sys.argv[1:])
"""


def _symhard(*argv: str, driver: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-c", _DRIVER, *argv] if driver else [sys.executable, "-m", "symhard", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argv, driver, fragment", [
    (["groups", "info", "nonsense:3"], False, "unknown group kind 'nonsense'"),  # a SymhardError
    (["bad-input"], True, "n == -1, must be >= 1."),
    (["--bogus"], False, "No such option: --bogus"),  # usage errors
    (["groups", "info"], False, "Missing argument"),
])
def test_symhard_errors_and_usage_errors_are_one_line_exit_2(argv, driver, fragment):
    out = _symhard(*argv, driver=driver)
    assert out.returncode == 2
    line = _one_line(out.stderr)
    assert line.startswith("symhard: error:") and fragment in line and "Traceback" not in out.stderr


def test_an_unexpected_exception_is_one_line_saying_it_is_a_bug_exit_1():
    out = _symhard("boom", driver=True)
    assert out.returncode == 1
    line = _one_line(out.stderr)
    assert line.startswith("symhard: internal error (KeyError: 'no such key'); this is a bug, please report it")
    assert "docs/reliability.md" in line and "symhard --debug" in line


def test_running_out_of_memory_is_one_line_naming_the_estimate_exit_1():
    out = _symhard("oom", driver=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    line = _one_line(out.stderr)
    assert line.startswith("symhard: error: ran out of memory") and "--max-memory" in line and "report" in line


def test_debug_shows_the_traceback_and_keeps_the_exit_status():
    bug = _symhard("--debug", "boom", driver=True)
    assert bug.returncode == 1 and "Traceback (most recent call last)" in bug.stderr
    assert ", in boom" in bug.stderr and "this is a bug" in bug.stderr.strip().splitlines()[-1]
    bad = _symhard("--debug", "groups", "info", "nonsense:3")
    assert bad.returncode == 2 and "Traceback" in bad.stderr and "GroupSpecError" in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("symhard: error: unknown group kind")


@pytest.mark.parametrize("command", ["interrupt", "abort"])
def test_ctrl_c_is_exit_130(command):
    out = _symhard(command, driver=True)
    assert out.returncode == 130 and _one_line(out.stderr) == "symhard: interrupted."


# ------------------------------------------------------------------------------ the run command's guards
def _main(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code, capsys.readouterr().err


def _spec_file(tmp_path: Path) -> Path:
    f = tmp_path / "toy.toml"
    f.write_text('name = "toy"\nimports = ["toy_tasks"]\nseeds = [0]\ntest_size = 100\n'
                 '[learner]\nlrs = [1e-2]\nwidth = 8\nbatch_size = 32\nsteps = 10\ntrain_size = 100\neval_every = 5\n'
                 '[[series]]\ntask = "toy-parity"\nvalues = [2, 3]\n')
    return f


@pytest.mark.parametrize("extra, fragment", [
    (["--threads", "100000"], "threads (--threads) == 100000, must be an integer in [1, {cpus}]"),
    (["--workers", "100000", "--executor", "process"], "workers (--workers) == 100000, must be an integer in [1, {cpus}]"),
    (["--threads", "0"], "Invalid value for '--threads'"),
    (["--repair", "--force"], "--repair and --force exclude each other"),
    (["--address", "auto"], "--address only applies to --executor ray"),
    (["--executor", "ray", "--address", "not-an-address"], "--address must be host:port, ray://host:port or auto"),
])
def test_run_refuses_bad_arguments_in_one_line_before_writing(tmp_path, capsys, extra, fragment):
    code, err = _main(["run", str(_spec_file(tmp_path)), "--out", str(tmp_path / "res"), *extra], capsys)
    assert code == 2 and fragment.format(cpus=available_cpus()) in _one_line(err)
    assert not (tmp_path / "res").exists()


def test_an_address_with_no_ray_cluster_fails_fast(tmp_path, capsys, monkeypatch):
    with socket.socket() as s:  # a free port: nothing listens there once the socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    code, err = _main(["run", str(_spec_file(tmp_path)), "--out", str(tmp_path / "res"), "--executor", "ray",
                       "--address", f"127.0.0.1:{port}"], capsys)
    assert code == 2 and f"no Ray cluster answers at '127.0.0.1:{port}' within 5 s" in _one_line(err)
    assert time.monotonic() - t0 < 30 and not (tmp_path / "res").exists()
    with pytest.raises(InvalidParameterError, match="no Ray cluster answers at 'ray://127.0.0.1"):
        probe_ray_address(f"ray://127.0.0.1:{port}", timeout=1)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    try:
        probe_ray_address("auto", timeout=1)  # a cluster may run on this machine: then it answers
    except InvalidParameterError as err:
        assert "no running Ray cluster found" in str(err) or "no Ray cluster answers" in str(err)


def test_run_reports_a_damaged_folder_and_repairs_it(tmp_path, capsys):
    spec = _spec_file(tmp_path)
    assert main(["run", str(spec), "--out", str(tmp_path / "res"), "--json"]) is None
    capsys.readouterr()
    victim = sorted((tmp_path / "res" / "toy" / "curves").glob("*.parquet"))[0]
    victim.unlink()
    code, err = _main(["run", str(spec), "--out", str(tmp_path / "res")], capsys)
    line = _one_line(err)
    assert code == 2 and f"curves/{victim.name}: missing" in line and "--repair" in line
    assert main(["run", str(spec), "--out", str(tmp_path / "res"), "--repair", "--json"]) is None
    out = capsys.readouterr()
    assert '"ran": 1' in out.out and "moved files that failed the integrity check" in out.err
    assert victim.exists()
