"""The frozen suite (``symhard bench --suite``): the v1 file, validation, scorecards, resume, the leaderboard."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mini_suite import MINI_SUITE
from symhard.bench import scorecard as sc
from symhard.bench.suite import load_suite, suite_names
from symhard.errors import InstanceFormatError, InvalidParameterError
from symhard.families.base import LowerBound, all_tasks, register_task, unregister_task
from symhard.groups import PermutationGroup

REPO = Path(__file__).resolve().parents[1]
V1 = REPO / "src" / "symhard" / "bench" / "suites" / "v1.toml"


class _SumTask:
    """y = s·(Σ ReLU(x_i) − n/√(2π)) / √(n(1/2 − 1/(2π))) with s = +1 (hard) / the same (control): unit variance."""

    family = "suite-test-sum"
    param_name = "n"
    hidden_units = 1
    input_actions = ("rows",)

    def __init__(self, n, role, seed):
        self.param_value, self.role = n, role
        self.group = PermutationGroup.symmetric(n)

    def sample_inputs(self, m, generator):
        return (torch.randn(m, self.param_value, generator=generator),)

    def target(self, x):
        n = self.param_value
        return (torch.relu(x).sum(1) - n / math.sqrt(2 * math.pi)) / math.sqrt(n * (0.5 - 1 / (2 * math.pi)))

    def make_model(self, ensemble, width, generator):
        return _EnsAffineSum(ensemble, generator)

    def lower_bound(self, tau):
        return LowerBound(queries=100.0, tau=tau, formula="100 (test)")


class _EnsAffineSum(nn.Module):
    def __init__(self, M, gen):
        super().__init__()
        self.w = nn.Parameter(torch.randn(M, 1, generator=gen))
        self.b = nn.Parameter(torch.zeros(M, 1))

    def forward(self, x):
        return self.w * torch.relu(x).sum(1)[None, :] + self.b


TINY_SUITE = """
# a tiny suite for the tests
version = "tiny"
description = "two tasks of a test task"
seeds = [0, 1]
harness_seed = 0
n_test = 128
success_threshold = 0.1

[budget]
samples = 200
steps = 150
batch_size = 32
lrs = [0.03, 0.1]
baseline_width = 4
val_fraction = 0.2

[invariance]
samples = 16
tol = 1e-4

[[task]]
id = "sum-n4-hard"
task = "suite-test-sum"
role = "hard"
value = 4
quick = true

[[task]]
id = "sum-n6-control"
task = "suite-test-sum"
role = "control"
value = 6
"""


@pytest.fixture
def tiny(tmp_path):
    register_task("suite-test-sum")(lambda v, role, seed, **o: _SumTask(v, role, seed))
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SUITE)
    yield path
    unregister_task("suite-test-sum")


# ------------------------------------------------------------------ the v1 file
def test_v1_is_shipped_valid_and_hashed():
    assert "v1" in suite_names()
    s = load_suite("v1")
    assert s.sha256 == hashlib.sha256(V1.read_bytes()).hexdigest()
    assert s.version == "v1" and len(s.seeds) >= 3 and s.success_threshold == 0.1
    assert s.budget["samples"] > s.budget["batch_size"] / (1 - s.budget["val_fraction"])
    families = {t.task for t in s.tasks}
    # every built-in task of the time v1 was made (a family added later goes into a new version)
    assert families == {"boolean", "cnn", "frames", "gnn-degree-parity", "gnn-features", "polynomials"}
    assert families <= set(all_tasks())
    for fam in families:
        roles = {t.role for t in s.tasks if t.task == fam}
        assert roles == {"hard", "control"}, fam
        hard_sizes = sorted(t.value for t in s.tasks if t.task == fam and t.role == "hard")
        assert len(hard_sizes) >= 2, fam  # on both sides of where the baseline stops learning
    quick = s.selected(quick=True)
    assert 0 < len(quick) < len(s.tasks) and {t.role for t in quick} == {"hard", "control"}
    assert "How the sizes were chosen" in V1.read_text()
    # a model made for some tasks only is scored on those
    graph = s.selected(quick=False, only=["gnn-*"])
    assert {t.task for t in graph} == {"gnn-features", "gnn-degree-parity"} and len(graph) == 10
    assert [t.id for t in s.selected(quick=True, only=["cnn", "frames-n32-*"])] == [
        "cnn-n16-hard", "cnn-n16-control", "frames-n32-hard", "frames-n32-control"]
    with pytest.raises(InvalidParameterError, match="matches no task"):
        s.selected(quick=False, only=["gin"])


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('version = "tiny"', 'version = "v9"'), "does not match the file name"),
    (lambda t: t.replace('id = "sum-n6-control"', 'id = "sum-n4-hard"'), "task ids must be unique"),
    (lambda t: t.replace('task = "suite-test-sum"\nrole = "control"', 'task = "nope"\nrole = "control"'), "unknown task 'nope'"),
    (lambda t: t.replace('role = "control"', 'role = "easy"'), "role must be one of hard, control"),
    (lambda t: t.replace("steps = 150", "steps = 150\nwallclock = 3"), "[budget] needs exactly the keys"),
    (lambda t: "extra = 1\n" + t, "unknown keys ['extra']"),
    (lambda t: t + "\nextra = 1\n", "a [[task]] has keys ['extra', 'id'"),
    (lambda t: t.replace("value = 6", "value = 0"), "must be"),
    (lambda t: t.replace("[[task]]", "[[task]", 1), "not valid UTF-8 TOML"),
])
def test_suite_file_errors_are_one_line(tiny, edit, message):
    tiny.write_text(edit(TINY_SUITE))
    with pytest.raises((InstanceFormatError, InvalidParameterError), match=None) as exc:
        load_suite(str(tiny))
    assert message in str(exc.value) and "\n" not in str(exc.value).strip()


# ------------------------------------------------------------------ running, scorecard, resume
def test_run_suite_scorecard_and_resume(tiny, tmp_path, monkeypatch):
    import symhard.bench.harness as harness

    suite = load_suite(str(tiny))
    calls = []
    real = harness.run
    monkeypatch.setattr(harness, "run", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    out = tmp_path / "card"
    card = sc.run_suite(suite, out_dir=out)  # the built-in baseline
    assert len(calls) == 2 and card["suite_sha256"] == hashlib.sha256(TINY_SUITE.encode()).hexdigest()
    assert set(card["machine"]) >= {"platform", "cpu", "torch", "device"} and card["machine"]["device"] == "cpu"
    assert card["symhard_version"] and card["submission"]["kind"] == "baseline"
    for row in card["tasks"]:
        assert row["success_rate"] == sum(e < 0.1 for e in row["test_errors"]) / 2
        assert row["mean_test_error"] == pytest.approx(sum(row["test_errors"]) / 2)
        assert row["budget"]["n_train"] == 160 and row["budget"]["queries"] == 2 * 150  # params × steps
        assert row["lower_bound"]["queries"] == 100.0
    # an affine function of Σ ReLU(x_i) is learned exactly by the affine baseline
    assert card["totals"]["control"] == {"tasks": 1, "solved": 1, "mean_success_rate": 1.0}
    assert json.loads((out / "scorecard.json").read_text())["tasks"] == card["tasks"]
    # rerun: every stored task is reused
    again = sc.run_suite(suite, out_dir=out)
    assert len(calls) == 2 and again["tasks"] == card["tasks"]
    # one task lost: only it is recomputed, with the same numbers (same seeds)
    (out / "tasks" / "sum-n6-control.json").unlink()
    third = sc.run_suite(suite, out_dir=out)
    assert calls[2:] == ["suite-test-sum"] and [r["test_errors"] for r in third["tasks"]] == [r["test_errors"] for r in card["tasks"]]
    # quick subset, force
    quick = sc.run_suite(suite, out_dir=out, quick=True, force=True)
    assert [r["id"] for r in quick["tasks"]] == ["sum-n4-hard"] and len(calls) == 4
    assert (out / "scorecard-quick.json").is_file()
    # a subset of the tasks: its own scorecard file, the stored task reused
    part = sc.run_suite(suite, out_dir=out, only=["*-control"])
    assert [r["id"] for r in part["tasks"]] == ["sum-n6-control"] and part["only"] == ["*-control"]
    assert part["file"].endswith("scorecard-_-control.json") and len(calls) == 4
    # a corrupt task file is named
    (out / "tasks" / "sum-n4-hard.json").write_text("{not json")
    with pytest.raises(InstanceFormatError, match="sum-n4-hard.json"):
        sc.run_suite(suite, out_dir=out)


def test_cli_suite_prints_scorecard_with_hash(tiny, tmp_path, capsys):
    from symhard.cli import main

    main(["bench", "--suite", str(tiny), "--baseline", "--out", str(tmp_path / "s")])
    text = " ".join(capsys.readouterr().out.split())
    sha = hashlib.sha256(TINY_SUITE.encode()).hexdigest()
    assert f"sha256 {sha[:16]}" in text and "controls learned: 1/1" in text
    assert "sum-n4-hard" in text and "sum-n6-control" in text
    main(["bench", "--suite", str(tiny), "--baseline", "--out", str(tmp_path / "s"), "--json"])
    card = json.loads(capsys.readouterr().out)
    assert card["suite_sha256"] == sha and card["file"].endswith("scorecard.json")




def _without_time(card):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in card["tasks"]]


def test_suite_on_a_process_pool_equals_serial(tmp_path, capsys):
    """The suite's tasks go through the experiment executors: a process pool gives the serial numbers exactly."""
    from symhard.cli import main

    path = tmp_path / "mini.toml"
    path.write_text(MINI_SUITE)
    suite = load_suite(str(path))
    serial = sc.run_suite(suite, out_dir=tmp_path / "serial", threads=1)
    main(["bench", "--suite", str(path), "--baseline", "--executor", "process", "--out", str(tmp_path / "pool"), "--json"])
    pool = json.loads(capsys.readouterr().out)
    assert (serial["executor"], pool["executor"]) == ("serial", "process")
    assert serial["machine"]["torch_threads"] == pool["machine"]["torch_threads"] == 1
    assert [r["id"] for r in pool["tasks"]] == ["boolean-n6-hard", "boolean-n8-control"]  # the suite's order
    assert _without_time(pool) == _without_time(serial)
    assert sorted(p.name for p in (tmp_path / "pool" / "tasks").iterdir()) == ["boolean-n6-hard.json", "boolean-n8-control.json"]
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--family", "boolean", "--sweep", "n=6", "--baseline", "--executor", "process"])
    assert exit_.value.code == 2 and "--executor and --address go with --suite" in capsys.readouterr().err


# ------------------------------------------------------------------ the checked-in quick scorecard of the baseline
def test_checked_in_quick_baseline_scorecard():
    """``benchmarks/scorecards/v1-quick-baseline.json`` (made by ``python benchmarks/leaderboard.py --run-quick``)
    is a scorecard of the current v1 and its baseline learns every control of the quick subset."""
    path = REPO / "benchmarks" / "scorecards" / "v1-quick-baseline.json"
    card = json.loads(path.read_text())
    suite = load_suite("v1")
    assert card["suite_sha256"] == suite.sha256, "v1 changed: regenerate with python benchmarks/leaderboard.py --run-quick"
    assert card["quick"] and card["submission"]["kind"] == "baseline"
    assert [r["id"] for r in card["tasks"]] == [t.id for t in suite.selected(quick=True)]
    for r in card["tasks"]:
        assert set(r) >= {"mean_test_error", "success_rate", "budget", "lower_bound", "test_errors", "invariant"}
        assert r["invariant"]
        if r["role"] == "control":
            assert r["success_rate"] == 1.0, r["id"]


def test_leaderboard_table_from_scorecards(tmp_path):
    """``benchmarks/leaderboard.py`` turns scorecards into the Markdown table of docs/leaderboard.md."""
    card = json.loads((REPO / "benchmarks" / "scorecards" / "v1-quick-baseline.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(card))
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "leaderboard.py"), "--scorecards", str(tmp_path),
                           "--print"], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    assert card["suite_sha256"][:12] in table
    for r in card["tasks"]:
        assert r["id"] in table and f"{r['mean_test_error']:.3f}" in table


def test_leaderboard_names_a_column_after_its_scorecard_file_and_keeps_the_spec_in_the_footnote(tmp_path):
    from symhard.bench.leaderboard import leaderboard_markdown, read_scorecards

    card = json.loads((REPO / "benchmarks" / "scorecards" / "v1-quick-gin.json").read_text())
    (tmp_path / "v1-quick-gin.json").write_text(json.dumps(card))
    (tmp_path / "mine.json").write_text(json.dumps(card))  # not named <suite>-quick-<NAME>: the spec names it
    table = leaderboard_markdown(read_scorecards(tmp_path))
    header = next(line for line in table.splitlines() if line.startswith("| task |"))
    assert "| `gin` |" in header and f"| `{card['submission']['spec']}` |" in header
    assert f"* `gin`: `{card['submission']['spec']}`," in table


def test_leaderboard_script_bad_input_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "leaderboard.py"), "--baselines", "--suite", "v9",
                           "--scorecards", str(tmp_path), "--print"], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == ("leaderboard: error: unknown suite 'v9'; allowed: v1 or the path "
                                                   "of a suite .toml file.")
