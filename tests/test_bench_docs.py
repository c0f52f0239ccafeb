"""The worked examples of ``docs/bench.md`` run as written.

A block preceded by ``<!-- run: NAME -->`` is run in a scratch folder that links ``examples/`` and
``benchmarks/``: in a shell block every line starting with ``$ `` is a command (``symhard ...``
runs through ``symhard.cli.main``, ``python FILE ...`` through ``runpy``, in the test's process:
one torch import for all of them); a Python block runs as a script. Every
block preceded by ``<!-- file: NAME -->`` is written to that file first. The blocks of one test
run in document order, in the same folder.
"""

from __future__ import annotations

import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "bench.md"

_BLOCK = re.compile(r"<!-- (run|file): ([\w.-]+) -->\n```(\w*)\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, str, str, str]]:
    return [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def _commands(text: str) -> list[list[str]]:
    """The ``$ `` lines of a shell block (``\\`` continues a line), split like a shell."""
    cmds: list[str] = []
    cur: str | None = None
    for line in text.splitlines():
        if cur is not None:
            cur = cur[:-1] + " " + line.strip()
        elif line.startswith("$ "):
            cur = line[2:]
        else:
            continue
        if not cur.endswith("\\"):
            cmds.append(cur)
            cur = None
    return [shlex.split(c) for c in cmds]


def _run_command(argv: list[str], name: str) -> None:
    """``symhard ...`` through ``symhard.cli.main`` and ``python FILE ...`` through runpy, in this process."""
    if argv[0] == "symhard":
        from symhard.cli import main

        try:
            main(argv[1:])
        except SystemExit as exc:
            raise AssertionError(f"{name}: {' '.join(argv)} exited with {exc.code}") from None
    elif argv[0] == "python":
        old = sys.argv
        sys.argv = argv[1:]
        try:
            runpy.run_path(argv[1], run_name="__main__")
        finally:
            sys.argv = old
    else:
        raise AssertionError(f"{name}: unknown command {argv[0]!r}")


def _run(names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for link in ("examples", "benchmarks"):
        (tmp_path / link).symlink_to(REPO / link)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    blocks = _blocks()
    assert {b[1] for b in blocks if b[0] == "run"} >= set(names), f"docs/bench.md lacks a run block among {names}"
    for kind, name, lang, body in blocks:
        if kind == "file":
            (tmp_path / name).write_text(body)
    for kind, name, lang, body in blocks:
        if kind != "run" or name not in names:
            continue
        if lang == "python":
            exec(compile(body, f"docs/bench.md:{name}", "exec"), {"__name__": "__main__"})
            sys.modules.pop("dataset", None)  # the PyG example imports the export's dataset.py
            continue
        argvs = _commands(body)
        assert argvs, f"block {name} has no command"
        for argv in argvs:
            _run_command(argv, name)


def test_every_run_block_is_covered():
    names = {b[1] for b in _blocks() if b[0] == "run"}
    assert names == {"bench", "suite", "leaderboard", "export-npz", "export-npz-read", "export-parquet",
                     "export-parquet-read", "export-pyg", "export-pyg-read"}
    assert _commands("$ symhard a \\\n    b c\nout\n$ python x.py --print\n") == [["symhard", "a", "b", "c"],
                                                                            ["python", "x.py", "--print"]]


@pytest.mark.slow
def test_worked_example_bench(tmp_path, monkeypatch):
    _run(["bench"], tmp_path, monkeypatch)
    assert (tmp_path / "gin" / "bench.json").is_file() and (tmp_path / "gin" / "bench.png").is_file()


@pytest.mark.slow
def test_worked_example_suite_file(tmp_path, monkeypatch):
    _run(["suite"], tmp_path, monkeypatch)
    assert (tmp_path / "my-card" / "scorecard.json").is_file()


def test_worked_example_leaderboard(tmp_path, monkeypatch, capsys):
    _run(["leaderboard"], tmp_path, monkeypatch)
    assert "| task | role | size | log10 LB |" in capsys.readouterr().out


def test_worked_example_export_npz(tmp_path, monkeypatch):
    _run(["export-npz", "export-npz-read"], tmp_path, monkeypatch)


def test_worked_example_export_parquet(tmp_path, monkeypatch):
    _run(["export-parquet", "export-parquet-read"], tmp_path, monkeypatch)


def test_worked_example_export_pyg(tmp_path, monkeypatch):
    pytest.importorskip("torch_geometric")
    _run(["export-pyg", "export-pyg-read"], tmp_path, monkeypatch)
