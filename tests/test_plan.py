"""The cost of a run before it starts (symhard.experiments.plan, ``--plan``).

What must hold: the plan lists exactly the chunks the run computes (all of them on an empty
folder; after an interrupted run, exactly those the rerun computes); chunks a run stored are
marked stored; estimates are positive and grow with the steps; ``--plan`` writes nothing (no
folder, no file changed); ``--json`` gives the same plan as JSON; a real run reports its
estimate beside the measured time. Uses the tiny toy-parity task (tests/toy_tasks.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import toy_tasks  # noqa: F401  (registers the task "toy-parity")
from symhard.cli import main
from symhard.experiments.plan import Calibrator, Workload, plan_run
from symhard.experiments.runner import run_spec
from symhard.experiments.spec import spec_from_dict
from symhard.experiments.sweep import expand

PLAN_KEYS = {"what", "out_dir", "device", "precision", "threads", "calibration_seconds", "chunks", "total", "notes"}
CHUNK_KEYS = {"chunk_id", "label", "members", "steps", "batch_size", "width", "seconds", "bytes", "stored"}
TOTAL_KEYS = {"chunks", "stored", "to_compute", "seconds", "not_estimated", "peak_bytes"}


def _spec(**learner):
    return spec_from_dict({
        "name": "toy-plan", "imports": ["toy_tasks"], "seeds": [0, 1], "test_size": 100,
        "learner": {"lrs": [1e-2], "width": 8, "batch_size": 32, "steps": 20, "train_size": 200, "eval_every": 10,
                    **learner},
        "series": [{"task": "toy-parity", "values": [2, 3, 5], "roles": ["hard", "control"]}],
    })


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def test_plan_lists_every_chunk_and_marks_what_a_run_stored(tmp_path):
    spec, out = _spec(), tmp_path / "res"
    plan = plan_run(spec, out_dir=out)
    assert [c.chunk_id for c in plan.chunks] == [c.chunk_id for c in expand(spec)]
    assert not any(c.stored for c in plan.chunks) and not out.exists()
    assert all(c.seconds > 0 and c.bytes > 0 and c.members == 2 for c in plan.chunks)
    assert plan.totals()["to_compute"] == 6 and plan.totals()["seconds"] == pytest.approx(
        sum(c.seconds for c in plan.chunks))

    class Stop(Exception):
        pass

    seen = []

    def stop_after_two(res):
        seen.append(res.chunk_id)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        run_spec(spec, out_dir=out, progress=False, on_chunk=stop_after_two)
    plan = plan_run(spec, out_dir=out)
    assert {c.chunk_id for c in plan.chunks if c.stored} == set(seen)
    todo = [c.chunk_id for c in plan.chunks if not c.stored]
    assert all(c.seconds is None for c in plan.chunks if c.stored)  # stored chunks are not calibrated
    rerun = []
    summary = run_spec(spec, out_dir=out, progress=False, on_chunk=lambda r: rerun.append(r.chunk_id), estimate=True)
    assert sorted(rerun) == sorted(todo) and summary.ran == len(todo) == 4
    est = summary.estimate
    assert est["chunks"] == 4 and est["estimated_seconds"] > 0 and est["measured_seconds"] > 0
    assert est["wall_seconds"] >= est["measured_seconds"] * 0.5
    plan = plan_run(spec, out_dir=out)
    assert all(c.stored for c in plan.chunks) and plan.totals()["to_compute"] == 0


def test_estimates_are_positive_and_grow_with_the_steps():
    cal = Calibrator("cpu", "fp32", 1)
    w = Workload(task="toy-parity", value=6, role="hard", options=(), members=4, seeds=2, width=16, width_multiple=1.0,
                 batch_size=32, steps=10, eval_every=10, train_size=500, eval_samples=200)
    secs = [cal.estimate(replace(w, steps=t))[0] for t in (1, 10, 100, 1000, 10000)]
    assert all(s > 0 for s in secs)
    assert all(a < b for a, b in zip(secs, secs[1:])), secs
    assert len(cal.cache) == 1  # the steps do not need another calibration
    big, small = cal.estimate(replace(w, steps=1000))[0], cal.estimate(replace(w, steps=100))[0]
    assert 5 < big / small < 11  # about linear in the steps (the fixed data cost is shared)
    assert cal.estimate(replace(w, learner="sq-polynomial")) == (None, None, None)


def test_plan_writes_nothing_and_json_is_the_same_plan(tmp_path, capsys):
    spec_file = tmp_path / "toy.toml"
    spec_file.write_text(
        'name = "toy"\nimports = ["toy_tasks"]\nseeds = [0]\ntest_size = 100\n'
        '[learner]\nlrs = [1e-2]\nwidth = 8\nbatch_size = 32\nsteps = 10\ntrain_size = 100\neval_every = 5\n'
        '[[series]]\ntask = "toy-parity"\nvalues = [2, 3]\n')
    out = tmp_path / "res"
    main(["run", str(spec_file), "--out", str(out), "--plan"])
    text = capsys.readouterr().out
    assert "to compute" in text and "total: 4 of 4 chunk(s) to compute" in text and "nothing written" in text
    assert not out.exists()
    main(["run", str(spec_file), "--out", str(out), "--json"])
    ran = json.loads(capsys.readouterr().out)
    assert ran["estimate"]["chunks"] == 4
    before = _tree(out)
    main(["run", str(spec_file), "--out", str(out), "--plan", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert _tree(out) == before  # not a byte, not a timestamp changed
    assert set(d) == PLAN_KEYS and set(d["total"]) == TOTAL_KEYS
    assert all(set(c) == CHUNK_KEYS for c in d["chunks"])
    assert d["total"]["stored"] == 4 and d["total"]["to_compute"] == 0
    assert sorted(c["chunk_id"] for c in d["chunks"]) == sorted(r for r in _manifest_chunks(out / "toy"))


def _manifest_chunks(folder: Path) -> list[str]:
    return list(json.loads((folder / "manifest.json").read_text())["chunks"])


def test_a_real_run_prints_the_estimate_beside_the_measured_time(tmp_path, capsys):
    spec_file = tmp_path / "toy.toml"
    spec_file.write_text(
        'name = "toy"\nimports = ["toy_tasks"]\nseeds = [0]\ntest_size = 100\n'
        '[learner]\nlrs = [1e-2]\nwidth = 8\nbatch_size = 32\nsteps = 10\ntrain_size = 100\neval_every = 5\n'
        '[[series]]\ntask = "toy-parity"\nvalues = [2]\n')
    main(["run", str(spec_file), "--out", str(tmp_path / "res")])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("cost: estimated")]
    assert len(lines) == 1 and "measured" in lines[0] and "for 2 chunk(s)" in lines[0]


def test_frontier_plan_lists_both_ends_of_every_line_and_writes_nothing(tmp_path, capsys):
    from symhard.frontier.config import plan_for

    main(["frontier", "gnn-features", "--plan", "--json", "--out", str(tmp_path / "res")])
    d = json.loads(capsys.readouterr().out)
    assert set(d) == PLAN_KEYS and not (tmp_path / "res").exists()
    plan = plan_for("gnn-features", "steps", True)
    labels = [c["label"] for c in d["chunks"]]
    for line in plan.lines():
        lo, hi = plan.bracket(line.k)
        assert f"{line.label} size={lo}" in labels and f"{line.label} size={hi}" in labels
        assert any(lab.startswith(f"{line.label}: up to ") for lab in labels)
    assert all(c["seconds"] > 0 for c in d["chunks"])


def test_suite_plan_marks_a_stored_task_by_its_key(tmp_path, capsys):
    from symhard.bench.scorecard import _task_key, plan_suite, submission_fingerprint
    from symhard.bench.suite import load_suite

    suite = load_suite("v1")
    sub = submission_fingerprint()
    only = ["frames-n16-hard", "frames-n32-hard"]
    plan = plan_suite(suite, quick=True, out_dir=tmp_path, submission=sub, only=only)
    assert [c.chunk_id for c in plan.chunks] == only and not any(c.stored for c in plan.chunks)
    task = next(t for t in suite.tasks if t.id == only[0])
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / f"{task.id}.json").write_text(json.dumps({"key": _task_key(suite, task, sub, "cpu")}))
    plan = plan_suite(suite, quick=True, out_dir=tmp_path, submission=sub, only=only)
    assert [c.stored for c in plan.chunks] == [True, False]
    bf16 = plan_suite(suite, quick=True, out_dir=tmp_path, submission=sub, only=only, precision="bf16")
    assert not any(c.stored for c in bf16.chunks)  # a result trained in fp32 is not a bf16 result
    main(["bench", "--suite", "v1", "--quick", "--baseline", "--tasks", "frames-n16-hard", "--plan", "--json",
          "--out", str(tmp_path / "other")])
    d = json.loads(capsys.readouterr().out)
    assert set(d) == PLAN_KEYS and [c["chunk_id"] for c in d["chunks"]] == ["frames-n16-hard"]
    assert not (tmp_path / "other").exists()
