"""The shape of the code, checked like any other property (issue 12): layers, sizes, drawing, torch.

* layers run one way: the import-linter contract of pyproject.toml holds for the whole package;
* no module of ``src/`` above 500 lines, no function above 80;
* only the report and CLI layers import matplotlib, and nothing selects a backend;
* torch stays out of the import path of commands that do not train;
* ``symhard --help`` answers quickly.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "symhard"
MODULES = sorted(SRC.rglob("*.py"))


def test_layers_run_one_way():
    pytest.importorskip("importlinter")
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], capture_output=True, text=True, cwd=SRC.parents[1], timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_rooms_of_a_readable_size(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 500, f"{path.name} has {text.count(chr(10))} lines (limit 500)"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 80, f"{path.name}:{node.lineno} {node.name} has {length} lines (limit 80)"


def test_only_the_report_and_cli_layers_draw():
    for path in MODULES:
        rel = path.relative_to(SRC)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        uses_mpl = any(m == "matplotlib" or m.startswith("matplotlib.") for m in names)
        if rel.parts[0] not in ("report", "cli"):
            assert not uses_mpl, f"{rel} imports matplotlib; families and learners return data (symhard.sections)"
        assert "matplotlib.use(" not in path.read_text(encoding="utf-8"), f"{rel} selects a matplotlib backend"


@pytest.mark.parametrize("argv", [
    ["check", "boolean-parity", "--group", "cyclic:6", "--k", "2", "--json"],
    ["check", "boolean-random", "--group", "cyclic:8", "--json"],
    ["groups", "orbits", "cyclic:8", "--json"],
    ["np", "check", "--random", "3", "--vars", "4", "--json"],
    ["families", "--help"],
])
def test_torch_stays_out_of_commands_that_do_not_train(argv):
    code = ("import sys\nfrom symhard.cli import main\ntry:\n    main(%r)\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\nprint('TORCH', 'torch' in sys.modules)" % (argv,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("TORCH False"), out.stdout[-500:]


def test_help_is_fast():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "symhard", "--help"], capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - t0
    assert out.returncode == 0 and "check" in out.stdout
    code = "import sys, symhard.cli; print(sorted(m for m in ('torch', 'matplotlib', 'sympy') if m in sys.modules))"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert imported.strip() == "[]", imported  # the cost of --help is the interpreter, not our imports
    assert seconds < 10  # generous: the machine may be shared; the import check above is the real test
