"""Fuzz suite of the input boundary (issue 13, §5): every malformed input is one line, exit 2, nothing written.

Every command is run in this process (``symhard.cli.main`` inside typer's ``CliRunner`` isolation,
so that the real error handler is the one tested) with its current folder set to the case's own
empty folder. Each case asserts:

* exit status 2;
* exactly one line on stderr besides progress lines (those start with ``[``), beginning
  ``symhard: error:``, with no traceback, naming what the case is about (``words``);
* nothing changed in the case's folder: no file created, deleted or modified (the folder holds
  the case's inputs, and every command's output path points into it). The interpreter's own
  ``__pycache__`` of a user's file is not symhard's output and is left out of the comparison.

The explicit cases live in ``tests/fuzz_cases.py``; the hypothesis tests below draw malformed
group specs, DIMACS files and spec values. The whole file runs in about a minute on 2 cores.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fuzz_cases  # noqa: E402
from fuzz_cases import CASES, RESULTS, spec_text  # noqa: E402


def invoke(argv: list[str]) -> tuple[int, str, str]:
    """Run ``symhard ARGV`` in this process: (exit status, stdout, stderr)."""
    from typer.testing import CliRunner

    from symhard.cli import main

    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(argv))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        return code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below ``root``: (kind, size, mtime, SHA-256) per file, the folders by name."""
    seen: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for d in dirnames:
            seen[os.path.relpath(os.path.join(dirpath, d), root)] = ("dir",)
        for f in filenames:
            p = os.path.join(dirpath, f)
            st_ = os.stat(p)
            seen[os.path.relpath(p, root)] = ("file", st_.st_size, st_.st_mtime_ns,
                                              hashlib.sha256(Path(p).read_bytes()).hexdigest())
    return seen


def assert_refused(argv: list[str], root: Path, words: str = "") -> str:
    before = snapshot(root)
    code, out, err = invoke(argv)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("[")]
    assert code == 2, f"exit {code} for {argv}\nstdout: {out[-1500:]}\nstderr: {err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    assert len(lines) == 1 and lines[0].startswith("symhard: error: "), err[-3000:]
    assert words.lower() in lines[0].lower(), f"{words!r} not in: {lines[0]}"
    assert snapshot(root) == before, f"{argv} changed files: {sorted(set(snapshot(root).items()) ^ set(before.items()))}"
    return lines[0]


@pytest.fixture(scope="session")
def finished_results(tmp_path_factory) -> Path:
    """A finished results folder of the fuzz spec (two chunks: hard and control), made once."""
    root = tmp_path_factory.mktemp("fuzz-results")
    spec = root / "spec.toml"
    spec.write_text(spec_text())
    code, out, err = invoke(["run", str(spec), "--out", str(root / "res"), "--json"])
    assert code == 0, err[-3000:]
    RESULTS["root"] = root / "res"
    return root / "res"


@pytest.fixture
def case_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # spec imports of the case's own modules
    return tmp_path


def test_there_are_at_least_150_cases_over_every_command():
    assert len(CASES) >= 150, len(CASES)
    prefixes = {name.split("-")[0] for name in CASES} | {"-".join(name.split("-")[:2]) for name in CASES}
    for want in ("groups", "check", "np-reduce", "np-solve", "np-check", "run-spec", "run-arg", "results-run",
                 "results-report", "report", "reproduce", "frontier", "export", "separate", "bench", "user"):
        assert want in prefixes, want


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_malformed_input_is_one_line_exit_2_and_writes_nothing(name, case_dir, finished_results):
    build, words = CASES[name]
    argv = build(case_dir)
    assert_refused(argv, case_dir, words)


# ------------------------------------------------------------------------------ hypothesis
_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_named = st.sampled_from(["trivial", "cyclic", "dihedral", "symmetric", "alternating"])
_bad_n = st.one_of(st.integers(max_value=0).map(str), st.integers(min_value=100_001).map(str),
                   st.text(alphabet="abcxyz.-+ e", min_size=1, max_size=5),
                   st.floats(allow_nan=True).map(lambda f: f"{f}" if not float(f).is_integer() else f"{f}x"))
_bad_kind = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10).filter(
    lambda k: k not in ("trivial", "cyclic", "dihedral", "symmetric", "alternating", "gens", "blocks"))


@st.composite
def bad_group_specs(draw) -> str:
    """A group spec that is wrong in one way: an unknown kind, a bad number of points, bad cycles, no colon."""
    form = draw(st.integers(0, 4))
    if form == 0:
        return f"{draw(_bad_kind)}:{draw(st.integers(1, 50))}"
    if form == 1:
        return f"{draw(_named)}:{draw(_bad_n)}"
    if form == 2:
        n = draw(st.integers(2, 30))
        point = draw(st.integers(n, n + 50))  # a point outside 0..n-1
        return f"gens:{n}:(0 {point})"
    if form == 3:
        n = draw(st.integers(3, 30))
        p = draw(st.integers(0, n - 1))
        return f"gens:{n}:({p} {p})"  # a point twice in one cycle
    return draw(_named)  # no ':N'


@_SETTINGS
@given(spec=bad_group_specs())
def test_fuzzed_group_specs_are_refused_in_one_line(spec, tmp_path):
    for cmd in (["groups", "info", spec], ["check", "polynomials", "--group", spec, "--k", "1"]):
        assert_refused(cmd, tmp_path)


@st.composite
def bad_dimacs(draw) -> tuple[str, str]:
    """DIMACS text with exactly one defect, and a word of the message it must produce."""
    n = draw(st.integers(3, 9))
    m = draw(st.integers(1, 6))
    lits = st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = [draw(st.lists(lits, min_size=3, max_size=3)) for _ in range(m)]
    body = [" ".join(map(str, c)) + " 0" for c in clauses]
    defect = draw(st.sampled_from(["count", "range", "short", "token", "zero-vars", "header", "before-header", "open"]))
    header = f"p cnf {n} {m}"
    if defect == "count":
        header, word = f"p cnf {n} {m + draw(st.integers(1, 5))}", "declares"
    elif defect == "range":
        body[draw(st.integers(0, m - 1))] = f"1 2 {n + draw(st.integers(1, 9))} 0"
        word = "header declares"
    elif defect == "short":
        body[draw(st.integers(0, m - 1))] = f"{draw(lits)} 0"
        word = "exactly 3"
    elif defect == "token":
        body[draw(st.integers(0, m - 1))] = f"1 {draw(st.sampled_from(['x', '1.5', '--2', 'one']))} 3 0"
        word = "literal"
    elif defect == "zero-vars":
        header, word = f"p cnf {draw(st.integers(-5, 0))} {m}", "variables >= 1"
    elif defect == "header":
        header, word = draw(st.sampled_from(["p cnf", "p dnf 3 1", "p cnf a b", "p cnf 3 1 7"])), "header"
    elif defect == "before-header":
        return "\n".join(body[:1] + [header] + body) + "\n", "before"
    else:
        body[-1] = body[-1][:-2]
        word = "not terminated"
    return "\n".join([f"c fuzz {defect}", header, *body]) + "\n", word


@_SETTINGS
@given(case=bad_dimacs())
def test_fuzzed_dimacs_files_are_refused_in_one_line(case, tmp_path):
    text, word = case
    path = tmp_path / "in.cnf"
    path.write_text(text)
    assert_refused(["np", "reduce", str(path), "--out", str(tmp_path / "out" / "d.npz")], tmp_path, word)
    path.unlink()


#: Spec keys (a line of the fuzz spec) and values that each key must refuse.
_SPEC_LINES = {
    "seeds = [0]": ("seeds = [{}]", st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63, max_value=2**70))),
    "test_size = 32": ("test_size = {}", st.integers(max_value=0)),
    "width = 8": ("width = {}", st.integers(max_value=0)),
    "batch_size = 16": ("batch_size = {}", st.one_of(st.integers(max_value=0), st.floats(0.5, 1e3).filter(
        lambda f: not f.is_integer()))),
    "steps = 4": ("steps = {}", st.sampled_from(["-1", "0", '"many"', "true", "[4]", "4.5"])),
    "lrs = [1e-2]": ("lrs = [{}]", st.one_of(st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
                                             st.sampled_from(["nan", "inf", '"fast"']))),
    "values = [6]": ("values = [{}]", st.one_of(st.integers(max_value=2), st.integers(min_value=63, max_value=10**6))),
    'name = "fuzz"': ('name = "{}"', st.sampled_from(["..", ".", "a/b", "a\\\\b", " x", "-x", ".hidden", "x" * 101, ""])),
}


@st.composite
def bad_spec(draw) -> tuple[str, str]:
    line = draw(st.sampled_from(sorted(_SPEC_LINES)))
    template, values = _SPEC_LINES[line]
    value = draw(values)
    text = template.format(repr(value) if isinstance(value, float) and not math.isfinite(value) else value)
    return spec_text(**{line.replace(" ", "__"): text}), line.split(" ")[0]


@_SETTINGS
@given(case=bad_spec())
def test_fuzzed_spec_values_are_refused_in_one_line(case, tmp_path):
    text, key = case
    path = tmp_path / "spec.toml"
    path.write_text(text)
    msg = assert_refused(["run", str(path), "--out", str(tmp_path / "res")], tmp_path)
    assert key.split(".")[-1] in msg or "toml" in msg.lower(), msg
    path.unlink()
