"""The malformed inputs of ``tests/test_fuzz.py``: one builder per case.

A builder takes the case's empty folder ``tmp`` (the current directory while the case runs),
writes the input files the case needs (a spec, a DIMACS file, a results folder, a user's model)
and returns the command line. Every case must end with exit status 2 and one line
``symhard: error: ...``, with nothing written (the folder is compared before and after).

``CASES`` maps a case id to ``(builder, words)``: ``words`` must appear in the message (case
insensitive), so that a case fails for the reason it names, not for another.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Callable

Builder = Callable[[Path], list[str]]
CASES: dict[str, tuple[Builder, str]] = {}


def case(name: str, words: str = "") -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        assert name not in CASES, name
        CASES[name] = (fn, words)
        return fn

    return deco


def argv_case(name: str, argv: list[str], words: str = "") -> None:
    """A case that needs no file: the command line alone."""
    CASES[name] = (lambda tmp, a=argv: list(a), words)


def write(tmp: Path, name: str, text: str | bytes) -> str:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return str(p)


# ------------------------------------------------------------------------------ groups
for i, spec in enumerate(["", "cyclic", "cyclic:0", "cyclic:-3", "cyclic:abc", "cyclic:100001", "foo:3", "gens:5:(0 5)",
                          "gens:5:(0 0 1)", "gens:x:(0 1)", "gens:5", "blocks:", "blocks:cyclic:3+bad:2", "dihedral:1e9",
                          "symmetric:2.5"]):
    argv_case(f"groups-info-bad-spec-{i}", ["groups", "info", spec], "group")
argv_case("groups-orbits-subsets-without-k", ["groups", "orbits", "cyclic:8", "--on", "subsets"], "--k")
argv_case("groups-orbits-k-negative", ["groups", "orbits", "cyclic:8", "--on", "subsets", "--k", "-1"], "k")
argv_case("groups-orbits-k-above-n", ["groups", "orbits", "cyclic:8", "--on", "subsets", "--k", "9"], "k")
argv_case("groups-orbits-on-unknown", ["groups", "orbits", "cyclic:8", "--on", "graphs"], "--on")
argv_case("groups-orbits-symmetric-100", ["groups", "orbits", "symmetric:100"], "--max-memory")
argv_case("groups-orbits-subsets-of-cyclic-100000", ["groups", "orbits", "cyclic:100000", "--on", "subsets", "--k", "50000"],
          "--max-time")
argv_case("groups-orbits-tiny-memory", ["groups", "orbits", "symmetric:40", "--max-memory", "0.0001"], "--max-memory")
argv_case("groups-orbits-tiny-time", ["groups", "orbits", "symmetric:40", "--max-time", "0.001"], "--max-time")
argv_case("groups-max-memory-zero", ["groups", "info", "cyclic:4", "--max-memory", "0"], "max-memory")
argv_case("groups-max-time-negative", ["groups", "info", "cyclic:4", "--max-time", "-5"], "max-time")
argv_case("groups-unknown-command", ["groups", "order", "cyclic:4"], "no such command")

# ------------------------------------------------------------------------------ check <family>
_CHECK = {
    "boolean-parity-k-above-n": (["boolean-parity", "--group", "cyclic:6", "--k", "7"], "k"),
    "boolean-parity-cube-too-big": (["boolean-parity", "--group", "cyclic:40"], "2^40"),
    "boolean-parity-symmetric-20": (["boolean-parity", "--group", "symmetric:20", "--k", "10"], "--max-memory"),
    "boolean-parity-tau-zero": (["boolean-parity", "--tau", "0"], "tau"),
    "boolean-parity-tau-nan": (["boolean-parity", "--tau", "nan"], "tau"),
    "boolean-random-members-huge": (["boolean-random", "--group", "cyclic:20", "--members-checked", "4096"], "--max-memory"),
    "boolean-random-members-one": (["boolean-random", "--members-checked", "1"], "members"),
    "gnn-features-d-million": (["gnn-features", "--d", "1000000"], "--max-memory"),
    "gnn-features-k-odd": (["gnn-features", "--k", "3"], "k"),
    "gnn-features-k-1000": (["gnn-features", "--k", "1000"], "--max-memory"),
    "gnn-features-mc-samples": (["gnn-features", "--mc", "--samples", "100000000"], "--max-memory"),
    "gnn-features-p-above-one": (["gnn-features", "--p", "1.5"], "p"),
    "gnn-features-n-zero": (["gnn-features", "--n", "0"], "n"),
    "gnn-features-d-text": (["gnn-features", "--d", "eight"], "--d"),
    "polynomials-cyclic-1000-k10": (["polynomials", "--group", "cyclic:1000", "--k", "10"], "--max-time"),
    "polynomials-symmetric-100": (["polynomials", "--group", "symmetric:100", "--k", "3"], "--max-memory"),
    "polynomials-cyclic-100000": (["polynomials", "--group", "cyclic:100000", "--k", "2"], "--max-memory"),
    "polynomials-samples-huge": (["polynomials", "--samples", "100000000"], "--max-memory"),
    "polynomials-k-zero": (["polynomials", "--k", "0"], "k"),
    "polynomials-bad-group": (["polynomials", "--group", "cyclic:"], "group"),
    "cnn-group-mismatch": (["cnn", "--n", "8", "--group", "cyclic:9"], "9"),
    "cnn-samples-huge": (["cnn", "--samples", "100000000"], "--max-memory"),
    "cnn-activation-unknown": (["cnn", "--activation", "tanh"], "activation"),
    "cnn-d-above-64": (["cnn", "--d", "65"], "d"),
    "cnn-group-too-large": (["cnn", "--n", "100000"], "50000"),
    "frames-n-100000": (["frames", "--n", "100000"], "--max-memory"),
    "frames-abs-samples-huge": (["frames", "--abs-samples", "100000000"], "--max-memory"),
    "frames-k-odd": (["frames", "--k", "3"], "k"),
    "gnn-degree-parity-n-400": (["gnn-degree-parity", "--n", "400"], "--max-time"),
    "gnn-degree-parity-n-above-400": (["gnn-degree-parity", "--n", "401"], "n"),
    "gnn-degree-parity-samples-huge": (["gnn-degree-parity", "--samples", "100000000"], "--max-time"),
    "gnn-degree-parity-realization-huge": (["gnn-degree-parity", "--realization-samples", "100000000"], "--max-memory"),
    "gnn-degree-parity-subset-text": (["gnn-degree-parity", "--subset", "a,b"], "subset"),
    "gnn-degree-parity-seed-negative": (["gnn-degree-parity", "--seed", "-1"], "seed"),
}
for name, (args, words) in _CHECK.items():
    argv_case(f"check-{name}", ["check", *args], words)
argv_case("check-unknown-family", ["check", "boolean"], "no such command")
argv_case("check-unknown-option", ["check", "cnn", "--width", "3"], "--width")

# ------------------------------------------------------------------------------ np and DIMACS files
_DIMACS = {
    "no-header": ("1 2 3 0\n", "header"),
    "bad-header": ("p sat 3 1\n1 2 3 0\n", "header"),
    "zero-variables": ("p cnf 0 1\n1 2 3 0\n", "VARIABLES >= 1"),
    "two-literals": ("p cnf 3 1\n1 2 0\n", "exactly 3"),
    "literal-out-of-range": ("p cnf 3 1\n1 2 4 0\n", "variable 4"),
    "not-an-integer": ("p cnf 3 1\n1 two 3 0\n", "'two'"),
    "unterminated": ("p cnf 3 1\n1 2 3\n", "not terminated"),
    "count-mismatch": ("p cnf 3 2\n1 2 3 0\n", "declares 2"),
    "two-headers": ("p cnf 3 1\np cnf 3 1\n1 2 3 0\n", "second"),
    "header-1e8-clauses": ("p cnf 10 100000000\n1 2 3 0\n", "--max-memory"),
    "header-100000-variables": ("p cnf 100000 3\n1 2 3 0\n1 2 3 0\n1 2 3 0\n", "--max-memory"),
    "empty": ("", "header"),
    "not-utf8": (b"p cnf 3 1\n1 2 \xff\xfe 0\n", "utf-8"),
}
for name, (text, words) in _DIMACS.items():
    CASES[f"np-reduce-dimacs-{name}"] = (
        lambda tmp, t=text: ["np", "reduce", write(tmp, "in.cnf", t), "--out", str(tmp / "out" / "data.npz")], words)


@case("np-reduce-missing-file", "cannot read")
def _np_missing(tmp: Path) -> list[str]:
    return ["np", "reduce", str(tmp / "nope.cnf"), "--out", str(tmp / "o.npz")]


@case("np-reduce-instance-is-a-folder", "cannot read")
def _np_folder(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    return ["np", "reduce", str(tmp / "d"), "--out", str(tmp / "o.npz")]


@case("np-reduce-out-is-a-folder", "folder")
def _np_out_folder(tmp: Path) -> list[str]:
    (tmp / "out").mkdir()
    return ["np", "reduce", write(tmp, "ok.cnf", "p cnf 3 1\n1 2 3 0\n"), "--out", str(tmp / "out")]


@case("np-reduce-out-below-a-file", "is not a folder")
def _np_out_below_file(tmp: Path) -> list[str]:
    write(tmp, "afile", "x")
    return ["np", "reduce", write(tmp, "ok.cnf", "p cnf 3 1\n1 2 3 0\n"), "--out", str(tmp / "afile" / "o.npz")]


@case("np-solve-missing-file", "no such file")
def _solve_missing(tmp: Path) -> list[str]:
    return ["np", "solve", str(tmp / "nope.npz")]


@case("np-solve-not-an-npz", "not a readable")
def _solve_text(tmp: Path) -> list[str]:
    return ["np", "solve", write(tmp, "x.npz", "hello")]


@case("np-solve-wrong-format", "format")
def _solve_format(tmp: Path) -> list[str]:
    import numpy as np

    np.savez(tmp / "x.npz", format=np.array("other"), adjacency=np.zeros((1, 2, 2)))
    return ["np", "solve", str(tmp / "x.npz")]


@case("np-solve-missing-arrays", "missing arrays")
def _solve_missing_arrays(tmp: Path) -> list[str]:
    import numpy as np

    np.savez(tmp / "x.npz", format=np.array("symhard-gnn-consistency-v1"))
    return ["np", "solve", str(tmp / "x.npz")]


@case("np-solve-header-declares-a-huge-array", "--max-memory")
def _solve_bomb(tmp: Path) -> list[str]:
    """A tiny .npz whose array header declares 10^12 float64 (a decompression bomb, in effect)."""
    import zipfile

    import numpy as np

    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    buf = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(tmp / "x.npz", "w") as zf:
        zf.writestr("features.npy", buf.getvalue())
    return ["np", "solve", str(tmp / "x.npz")]


@case("np-solve-smt2-below-a-file", "is not a folder")
def _solve_smt2(tmp: Path) -> list[str]:
    write(tmp, "afile", "x")
    return ["np", "solve", str(tmp / "whatever.npz"), "--smt2", str(tmp / "afile" / "x.smt2")]


argv_case("np-check-vars-below-3", ["np", "check", "--vars", "2"], "--vars")
argv_case("np-check-random-zero", ["np", "check", "--random", "0"], "--random")
argv_case("np-check-vars-100000", ["np", "check", "--vars", "100000", "--random", "1"], "--max-memory")
argv_case("np-check-ratio-negative", ["np", "check", "--ratio", "-1"], "--ratio")

# ------------------------------------------------------------------------------ run: spec files
#: A small valid spec; cases replace one line or add one.
SPEC = """\
name = "fuzz"
seeds = [0]
test_size = 32

[learner]
lrs = [1e-2]
width = 8
batch_size = 16
steps = 4
train_size = 64
eval_every = 2

[[series]]
task = "boolean"
values = [6]
options = {{ group = "cyclic", hard = "parity" }}
{extra}
"""


def spec_text(extra: str = "", **replace: str) -> str:
    text = SPEC.format(extra=extra)
    for old, new in replace.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new)
    return text


_SPECS = {
    "unknown-key": (spec_text(extra="colour = 3"), "unknown key"),
    "name-dotdot": (spec_text(**{'name = "fuzz"': 'name = ".."'}), "plain name"),
    "name-slash": (spec_text(**{'name = "fuzz"': 'name = "a/b"'}), "plain name"),
    "name-hidden": (spec_text(**{'name = "fuzz"': 'name = ".fuzz"'}), "plain name"),
    "name-missing": (spec_text(**{'name = "fuzz"': ''}), "name"),
    "seed-negative": (spec_text(**{"seeds = [0]": "seeds = [-1]"}), "seeds"),
    "seed-2-to-the-64": (spec_text(**{"seeds = [0]": f"seeds = [{2**64}]"}), "seeds"),
    "seeds-empty": (spec_text(**{"seeds = [0]": "seeds = []"}), "seeds"),
    "seeds-repeated": (spec_text(**{"seeds = [0]": "seeds = [0, 0]"}), "repeated"),
    "seeds-text": (spec_text(**{"seeds = [0]": 'seeds = ["a"]'}), "seeds"),
    "test-size-zero": (spec_text(**{"test_size = 32": "test_size = 0"}), "test_size"),
    "width-1e9": (spec_text(**{"width = 8": "width = 1000000000"}), "--max-memory"),
    "train-size-1e10": (spec_text(**{"train_size = 64": "train_size = 10000000000"}), "--max-memory"),
    "lr-zero": (spec_text(**{"lrs = [1e-2]": "lrs = [0.0]"}), "lrs"),
    "lr-nan": (spec_text(**{"lrs = [1e-2]": "lrs = [nan]"}), "lrs"),
    "lrs-empty": (spec_text(**{"lrs = [1e-2]": "lrs = []"}), "lrs"),
    "optimizer-unknown": (spec_text(extra="", **{"lrs = [1e-2]": 'lrs = [1e-2]\noptimizer = "lbfgs"'}), "optimizer"),
    "loss-unknown": (spec_text(**{"lrs = [1e-2]": 'lrs = [1e-2]\nloss = "hinge"'}), "loss"),
    "val-fraction-one": (spec_text(**{"lrs = [1e-2]": "lrs = [1e-2]\nval_fraction = 1.0"}), "val_fraction"),
    "batch-size-float": (spec_text(**{"batch_size = 16": "batch_size = 16.5"}), "batch_size"),
    "task-unknown": (spec_text(**{'task = "boolean"': 'task = "sudoku"'}), "unknown"),
    "values-zero": (spec_text(**{"values = [6]": "values = [0]"}), "values"),
    "values-repeated": (spec_text(**{"values = [6]": "values = [6, 6]"}), "repeated"),
    "values-out-of-range": (spec_text(**{"values = [6]": "values = [100]"}), "values"),
    "role-unknown": (spec_text(**{"values = [6]": 'values = [6]\nroles = ["easy"]'}), "roles"),
    "label-path": (spec_text(**{"values = [6]": 'values = [6]\nlabel = "../up"'}), "label"),
    "label-hidden": (spec_text(**{"values = [6]": 'values = [6]\nlabel = ".hidden"'}), "label"),
    "option-unknown": (spec_text(**{'hard = "parity"': 'hard = "parity", colour = 3'}), "colour"),
    "series-empty": (spec_text().split("[[series]]")[0] + "series = []\n", "series"),
    "series-learner-unknown": (spec_text(**{"values = [6]": 'values = [6]\nlearner = "svm"'}), "learner"),
    "quick-section-bad": (spec_text(extra="[quick]\nseeds = [-4]"), "quick"),
    "quick-unknown-key": (spec_text(extra="[quick]\ncolour = 1"), "quick"),
    "not-toml": ("name = [\n", "toml"),
    "spec-is-a-list": ("x = 1\n", "unknown key"),
    "imports-missing-module": (spec_text(**{'name = "fuzz"': 'name = "fuzz"\nimports = ["no_such_module_xyz"]'}), "import"),
}
for name, (text, words) in _SPECS.items():
    CASES[f"run-spec-{name}"] = (lambda tmp, t=text: ["run", write(tmp, "spec.toml", t), "--out", str(tmp / "res")], words)


@case("run-spec-not-utf8", "utf-8")
def _spec_bytes(tmp: Path) -> list[str]:
    return ["run", write(tmp, "spec.toml", b'name = "\xff\xfe"\n'), "--out", str(tmp / "res")]


@case("run-spec-import-raises", "raised")
def _spec_import_raises(tmp: Path) -> list[str]:
    mod = f"fuzz_user_mod_{tmp.name.replace('-', '_')}"
    write(tmp, f"{mod}.py", "raise RuntimeError('my import fails')\n")
    text = spec_text(**{'name = "fuzz"': f'name = "fuzz"\nimports = ["{mod}"]'})
    return ["run", write(tmp, "spec.toml", text), "--out", str(tmp / "res")]


@case("run-spec-import-exits", "SystemExit")
def _spec_import_exits(tmp: Path) -> list[str]:
    mod = f"fuzz_exit_mod_{tmp.name.replace('-', '_')}"
    write(tmp, f"{mod}.py", "import sys\nsys.exit(4)\n")
    text = spec_text(**{'name = "fuzz"': f'name = "fuzz"\nimports = ["{mod}"]'})
    return ["run", write(tmp, "spec.toml", text), "--out", str(tmp / "res")]


def _ok_spec(tmp: Path) -> str:
    return write(tmp, "spec.toml", spec_text())


for name, extra, words in [
    ("executor-unknown", ["--executor", "dask"], "executor"), ("threads-100000", ["--threads", "100000"], "threads"),
    ("workers-100000", ["--executor", "process", "--workers", "100000"], "workers"), ("threads-zero", ["--threads", "0"], "threads"),
    ("device-unknown", ["--device", "tpu"], "device"), ("repair-and-force", ["--repair", "--force"], "exclude"),
    ("ray-address-no-cluster", ["--executor", "ray", "--address", "127.0.0.1:9"], "127.0.0.1:9"),
    ("max-memory-text", ["--max-memory", "lots"], "max-memory"),
]:
    CASES[f"run-arg-{name}"] = (lambda tmp, e=extra: ["run", _ok_spec(tmp), "--out", str(tmp / "res"), *e], words)
CASES["run-arg-max-memory-tiny"] = (lambda tmp: ["run", write(tmp, "spec.toml", spec_text(**{"train_size = 64": "train_size = 20000"})),
                                                 "--out", str(tmp / "res"), "--max-memory", "0.0001"], "--max-memory")
argv_case("run-unknown-spec-name", ["run", "no-such-spec"], "unknown spec")
argv_case("run-missing-spec-file", ["run", "missing.toml"], "does not exist")


@case("run-out-is-a-file", "is a file")
def _run_out_file(tmp: Path) -> list[str]:
    return ["run", _ok_spec(tmp), "--out", write(tmp, "afile", "x")]


@case("run-out-below-a-file", "is a file")
def _run_out_below(tmp: Path) -> list[str]:
    return ["run", _ok_spec(tmp), "--out", str(Path(write(tmp, "afile", "x")) / "deeper")]


# ------------------------------------------------------------------------------ results folders
#: A finished results folder of the SPEC above, made once per session (tests/test_fuzz.py fills it in).
RESULTS: dict[str, Path] = {}


def _results(tmp: Path) -> Path:
    """A copy of the finished folder ``<tmp>/res/fuzz`` (the manifest, runs/ and curves/)."""
    shutil.copytree(RESULTS["root"], tmp / "res")
    return tmp / "res" / "fuzz"


def _damage(kind: str) -> Builder:
    def build(tmp: Path) -> list[str]:
        folder = _results(tmp)
        runs = sorted((folder / "runs").glob("*.parquet"))
        curves = sorted((folder / "curves").glob("*.parquet"))
        if kind == "manifest-not-json":
            (folder / "manifest.json").write_text("{not json")
        elif kind == "manifest-deleted":
            (folder / "manifest.json").unlink()
        elif kind == "manifest-edited":
            m = json.loads((folder / "manifest.json").read_text())
            m["spec"]["seeds"] = [0, 1]
            (folder / "manifest.json").write_text(json.dumps(m))
        elif kind == "runs-truncated":
            runs[0].write_bytes(runs[0].read_bytes()[:100])
        elif kind == "curves-deleted":
            curves[0].unlink()
        elif kind == "chunks-swapped":
            a, b = runs[0].read_bytes(), runs[1].read_bytes()
            runs[0].write_bytes(b)
            runs[1].write_bytes(a)
        elif kind == "unknown-file":
            (folder / "runs" / "notes.txt").write_text("mine")
        elif kind == "foreign-chunk":
            shutil.copy(runs[0], folder / "runs" / ("0" * 16 + runs[0].name[16:]))
        elif kind == "byte-flipped":
            data = bytearray(runs[0].read_bytes())
            data[len(data) // 2] ^= 0xFF
            runs[0].write_bytes(bytes(data))
        else:  # pragma: no cover
            raise AssertionError(kind)
        return ["run", _ok_spec(tmp), "--out", str(tmp / "res")]

    return build


for kind, words in [("manifest-not-json", "manifest"), ("manifest-deleted", "manifest"), ("manifest-edited", "manifest"),
                    ("runs-truncated", "--repair"), ("curves-deleted", "--repair"), ("chunks-swapped", "--repair"),
                    ("unknown-file", "notes.txt"), ("foreign-chunk", "--repair"), ("byte-flipped", "--repair")]:
    CASES[f"results-run-{kind}"] = (_damage(kind), words)


def _report_on(kind: str) -> Builder:
    def build(tmp: Path) -> list[str]:
        _damage(kind)(tmp)
        return ["report", str(tmp / "res")]

    return build


for kind in ("manifest-not-json", "runs-truncated", "chunks-swapped", "unknown-file", "curves-deleted"):
    CASES[f"results-report-{kind}"] = (_report_on(kind), "--repair")


@case("results-other-spec", "another spec")
def _other_spec(tmp: Path) -> list[str]:
    _results(tmp)
    return ["run", write(tmp, "spec.toml", spec_text(**{"steps = 4": "steps = 5"})), "--out", str(tmp / "res")]


argv_case("report-missing-folder", ["report", "nowhere"], "nowhere")


@case("report-on-a-file", "not a folder")
def _report_file(tmp: Path) -> list[str]:
    return ["report", write(tmp, "afile", "x")]


@case("report-figures-is-a-file", "figures")
def _report_figures_file(tmp: Path) -> list[str]:
    _results(tmp)
    write(tmp, "res/figures", "x")
    return ["report", str(tmp / "res")]


# ------------------------------------------------------------------------------ reproduce, frontier, export
argv_case("reproduce-unknown-spec", ["reproduce", "--specs", "no-such-spec"], "unknown spec")
argv_case("reproduce-missing-spec-file", ["reproduce", "--specs", "boolean,missing.toml"], "does not exist")
argv_case("reproduce-threads-100000", ["reproduce", "--threads", "100000"], "threads")
argv_case("reproduce-repair-and-force", ["reproduce", "--repair", "--force"], "exclude")
argv_case("reproduce-executor-unknown", ["reproduce", "--executor", "dask"], "executor")
argv_case("reproduce-ray-no-cluster", ["reproduce", "--executor", "ray", "--address", "127.0.0.1:9"], "127.0.0.1:9")
CASES["reproduce-out-is-a-file"] = (lambda tmp: ["reproduce", "--out", write(tmp, "afile", "x")], "not a folder")
argv_case("frontier-unknown-family", ["frontier", "sudoku"], "sudoku")
argv_case("frontier-axis-unknown", ["frontier", "gnn-features", "--axis", "time"], "--axis")
argv_case("frontier-loss-unknown", ["frontier", "gnn-features", "--loss", "hinge"], "hinge")
argv_case("frontier-threads-100000", ["frontier", "gnn-features", "--threads", "100000"], "threads")
argv_case("frontier-workers-zero", ["frontier", "gnn-features", "--workers", "0"], "--workers")
argv_case("frontier-max-memory-tiny", ["frontier", "gnn-features", "--max-memory", "0.0001"], "--max-memory")
CASES["frontier-out-below-a-file"] = (
    lambda tmp: ["frontier", "gnn-features", "--out", str(Path(write(tmp, "afile", "x")) / "f")], "is a file")
_EXPORT = ["export", "gnn-features", "--format", "npz"]
argv_case("export-unknown-task", ["export", "sudoku", "--size", "4", "--format", "npz", "--out", "e"], "sudoku")
argv_case("export-size-zero", [*_EXPORT, "--size", "0", "--out", "e"], "--size")
argv_case("export-format-unknown", ["export", "gnn-features", "--size", "8", "--format", "csv", "--out", "e"], "--format")
argv_case("export-members-zero", [*_EXPORT, "--size", "8", "--members", "0", "--out", "e"], "--members")
argv_case("export-size-huge", [*_EXPORT, "--size", "100000", "--out", "e"], "--max-memory")
# d = 10^9: the member's own d x 2 frame is refused before it is drawn (it was an out-of-memory kill)
argv_case("export-size-billion", [*_EXPORT, "--size", "1000000000", "--out", "e"], "frames at d = 1000000000")
argv_case("bench-d-billion", ["bench", "--baseline", "--family", "gnn-features", "--sweep", "d=1000000000",
                              "--out", "b"], "frames at d = 1000000000")
argv_case("export-option-unknown", [*_EXPORT, "--size", "8", "--option", "colour=3", "--out", "e"], "colour")
argv_case("export-option-not-key-value", [*_EXPORT, "--size", "8", "--option", "k", "--out", "e"], "key=value")
CASES["export-out-is-a-file"] = (lambda tmp: [*_EXPORT, "--size", "8", "--out", write(tmp, "afile", "x")], "not a folder")
argv_case("separate-k-above-n", ["separate", "--group", "cyclic:8", "--k", "9"], "k")
argv_case("separate-bad-group", ["separate", "--group", "cyclic:x"], "group")
argv_case("separate-cyclic-100000", ["separate", "--group", "cyclic:100000"], "--max-memory")
argv_case("separate-samples-1e10", ["separate", "--samples", "10000000000"], "--max-memory")
argv_case("separate-too-few-samples", ["separate", "--samples", "100", "--steps", "2"], "samples")

# ------------------------------------------------------------------------------ bench and user code
_BENCH = ["bench", "--family", "boolean", "--sweep", "n=6", "--budget-samples", "80", "--budget-steps", "2", "--seeds", "1",
          "--n-test", "16", "--batch-size", "16", "--lr", "1e-2"]
argv_case("bench-width-1e9", [*_BENCH, "--baseline", "--baseline-width", "1000000000"], "--max-memory")
argv_case("bench-samples-1e10", [*_BENCH[:5], "--baseline", "--budget-samples", "10000000000"], "--max-memory")
argv_case("bench-sweep-repeated", ["bench", "--family", "boolean", "--sweep", "n=6,6", "--baseline"], "twice")
argv_case("bench-sweep-malformed", ["bench", "--family", "boolean", "--sweep", "n=six", "--baseline"], "sweep")
argv_case("bench-family-unknown", ["bench", "--family", "sudoku", "--sweep", "n=6", "--baseline"], "sudoku")
argv_case("bench-no-sweep", ["bench", "--family", "boolean", "--baseline"], "--sweep")
argv_case("bench-lr-zero", [*_BENCH, "--baseline", "--lr", "0"], "--lr")
argv_case("bench-samples-below-a-batch", [*_BENCH[:5], "--baseline", "--budget-samples", "4"], "batch")
argv_case("bench-model-and-baseline", [*_BENCH, "--baseline", "--model", "x.py:f"], "exactly one")
argv_case("bench-model-missing-file", [*_BENCH, "--model", "missing_file.py:make_model"], "missing_file.py")
argv_case("bench-model-no-colon", [*_BENCH, "--model", "justaname"], "module:function")
CASES["bench-out-is-a-file"] = (lambda tmp: [*_BENCH, "--baseline", "--out", write(tmp, "afile", "x")], "not a folder")

_NET = textwrap.dedent("""
    import math
    import sys
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(1, 4)

        def forward(self, x):
            {forward}

    def make_model(info):
        {factory}
""")
_LEARN = textwrap.dedent("""
    import sys
    import torch

    def learn(sample, budget):
        {learn}
""")
_USER = {
    "factory-raises": ("model", _NET.format(forward="return x.sum(1)", factory="raise ValueError('no width')"), "ValueError"),
    "factory-exits": ("model", _NET.format(forward="return x.sum(1)", factory="sys.exit(3)"), "sys.exit(3)"),
    "factory-returns-int": ("model", _NET.format(forward="return x.sum(1)", factory="return 7"), "got int"),
    "forward-raises": ("model", _NET.format(forward="raise RuntimeError('bad layer')", factory="return Net()"), "RuntimeError"),
    "wrong-shape": ("model", _NET.format(forward="return self.w(x[..., None]).sum(1).repeat(1, 3)", factory="return Net()"),
                    "shape"),
    "wrong-type": ("model", _NET.format(forward="return [0.0] * x.shape[0]", factory="return Net()"), "got list"),
    "nan-output": ("model", _NET.format(forward="return self.w(x[..., None]).sum((1, 2)) * math.nan", factory="return Net()"),
                   "nan"),
    "learner-raises": ("learner", _LEARN.format(learn="raise KeyError('budget')"), "KeyError"),
    "learner-exits": ("learner", _LEARN.format(learn="sys.exit('done')"), "sys.exit"),
    "learner-returns-int": ("learner", _LEARN.format(learn="return 3"), "got int"),
    "predict-nan": ("learner", _LEARN.format(learn="return lambda x: torch.full((x.shape[0],), float('nan'))"), "nan"),
    "predict-text": ("learner", _LEARN.format(learn="return lambda x: 'zero'"), "got str"),
    "import-raises": ("model", "raise ImportError('needs my_private_lib')\n", "importing"),
    "import-exits": ("model", "import sys\nsys.exit(1)\n", "sys.exit(1)"),
    "missing-function": ("model", "x = 1\n", "make_model"),
}
for name, (kind, source, words) in _USER.items():
    fn = "make_model" if kind == "model" else "learn"
    CASES[f"user-{name}"] = (
        lambda tmp, k=kind, s=source, f=fn, n=name: [*_BENCH, f"--{k}", f"{write(tmp, f'user_{n}.py'.replace('-', '_'), s)}:{f}",
                                                       "--out", str(tmp / "bench-out")], words)
