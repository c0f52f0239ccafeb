"""``symhard frontier`` end to end on a tiny plan: thresholds, resume from the store, JSON keys, figures.

The threshold of every line is recomputed here from the stored run rows (per seed the test error
of the learning rate with the smallest validation error; the largest size before the first size
where fewer than half of the seeds learn), independently of the frontier's own analysis.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import symhard.frontier.config as config
from symhard.cli import main
from symhard.experiments.store import read_runs
from symhard.frontier import run_frontier
from symhard.frontier.section import frontier_section


def tiny_plan(family="boolean", axis="steps", quick=True, losses=None):
    base = config._base("boolean")[0]
    return replace(base, ks=(3,), budgets=(10, 400), lo={3: 4}, hi={3: 7}, steps=400, batch_size=32,
                   width_multiple=4.0, seeds=(0, 1, 2), test_size=200, rel_tol=0.0)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(config, "plan_for", tiny_plan)
    import symhard.frontier as fr  # run_frontier imports plan_for from the module at call time

    return fr


def _independent_thresholds(folder) -> dict[tuple[int, int], int | None]:
    rows = read_runs(folder).to_pylist()
    by_point: dict[tuple[str, int], dict[int, dict]] = {}
    for r in rows:
        key = (r["series"], r["param_value"])
        seed = by_point.setdefault(key, {})
        best = seed.get(r["seed"])
        if best is None or r["val_error"] < best["val_error"]:
            seed[r["seed"]] = r
    out: dict[tuple[int, int], int | None] = {}
    for series in {k[0] for k in by_point}:
        k = int(series.split()[0].split("=")[1])
        budget = int(series.split("budget=")[1])
        thr = None
        for size in sorted(s for (name, s) in by_point if name == series):
            errs = [r["test_error"] for r in by_point[(series, size)].values()]
            if sum(e < 0.1 for e in errs) * 2 < len(errs):
                break
            thr = size
        out[(k, budget)] = thr
    return out


def test_frontier_runs_resumes_and_agrees_with_an_independent_recount(tiny, tmp_path):
    lines = []
    first = run_frontier("boolean", out=tmp_path, progress=lambda d, t, label: lines.append(label))
    assert first["computed_points"] >= 2 and first["reused_points"] == 0 and lines
    folder = tmp_path / "frontier" / "boolean-steps-quick"
    ref = _independent_thresholds(folder)
    got = {(t["k"], t["budget"]): t["threshold"] for t in first["thresholds"]}
    assert got == ref
    for t in first["thresholds"]:
        assert set(t) >= {"k", "budget", "threshold", "ci_low", "ci_high", "seeds"} and t["seeds"] == 3
        if t["threshold"] is not None:
            assert t["ci_low"] <= t["threshold"] <= t["ci_high"] or t["censored"]
    stored = json.loads((folder / "frontier.json").read_text())
    assert stored["thresholds"] == json.loads(json.dumps(first["thresholds"], default=str))
    # a rerun reads every point back from the store and asks for exactly the same sizes
    again = run_frontier("boolean", out=tmp_path)
    assert again["computed_points"] == 0 and again["reused_points"] == first["computed_points"]
    assert [t["threshold"] for t in again["thresholds"]] == [t["threshold"] for t in first["thresholds"]]
    sec = frontier_section(first)
    assert not sec.problems() and sec.tables and sec.figures


def test_cli_json_keys_and_figures(tiny, tmp_path, capsys):
    main(["frontier", "boolean", "--out", str(tmp_path), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert {"family", "axis", "thresholds", "fits"} <= set(d)
    assert d["family"] == "boolean" and d["axis"] == "steps"
    for f in d["fits"]:
        assert {"k", "slope", "slope_ci_low", "slope_ci_high", "predicted_slope"} <= set(f)
    assert d["fits"][0]["predicted_slope"] == pytest.approx(1.0)  # 1/(k - 2) with k = 3
    pngs = [p for p in d["figures"] if p.endswith(".png")]
    assert pngs and all(open(p, "rb").read(4) == b"\x89PNG" for p in pngs)


def test_bad_family_and_axis_are_one_line(capsys):
    for argv, needle in ((["frontier", "cnn"], "no frontier is defined for 'cnn'"),
                         (["frontier", "boolean", "--axis", "epochs"], "--axis")):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and needle in err
