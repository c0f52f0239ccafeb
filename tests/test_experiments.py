"""Tests of the experiment machinery: specs, sweep expansion, store, executors (process pool, local
2-CPU Ray), the CLI and the report (resume after SIGKILL and the store's integrity checks are in
tests/test_store*.py). Uses the tiny task of
tests/toy_tasks.py (sparse parities on {±1}^n) so that every chunk takes well under a second."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import toy_tasks  # noqa: F401  (registers the task "toy-parity")
from symhard.errors import InvalidParameterError, SymhardError
from symhard.experiments.executors import execute
from symhard.experiments.runner import run_spec
from symhard.experiments.spec import builtin_spec_names, load_spec, spec_from_dict
from symhard.experiments.store import RUN_SCHEMA, ResultStore, StoreIntegrityError, read_curves, read_runs
from symhard.experiments.sweep import expand, run_chunk

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def toy_spec(**over):
    d = {
        "name": "toy",
        "imports": ["toy_tasks"],
        "seeds": [0, 1],
        "test_size": 300,
        "learner": {"lrs": [1e-2, 3e-3], "width": 16, "batch_size": 32, "steps": 60, "train_size": 500,
                    "eval_every": 20},
        "series": [{"task": "toy-parity", "values": [2, 4, 6], "roles": ["hard", "control"]}],
        "quick": {"seeds": [0], "learner": {"steps": 20}},
    }
    for k, v in over.items():
        d[k] = v
    return d


def _rows(table, drop=("seconds",)):
    d = table.to_pydict()
    keys = [k for k in d if k not in drop]
    def cell(v):  # NaN (no training loss yet at step 0) must compare equal to itself
        return "nan" if isinstance(v, float) and v != v else v

    rows = sorted((tuple(cell(d[k][i]) for k in keys) for i in range(table.num_rows)), key=repr)
    return keys, rows


# ------------------------------------------------------------------------------ specs
def test_sweep_expansion():
    spec = spec_from_dict(toy_spec(series=[
        {"task": "toy-parity", "values": [2, 4, 6], "roles": ["hard", "control"], "label": "a"},
        {"task": "toy-parity", "values": [3], "roles": ["control"], "label": "b"},
    ]))
    chunks = expand(spec)
    assert len(chunks) == 3 * 2 + 1
    h = spec.hash()
    assert len(h) == 16 and [c.chunk_id for c in chunks[:3]] == [f"{h}__a__hard__2", f"{h}__a__control__2",
                                                                  f"{h}__a__hard__4"]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.members == 2 * 2 for c in chunks)
    # the random streams depend on (series, value) only: hard and control share inputs and init
    assert chunks[0].streams() == chunks[1].streams()
    assert chunks[0].streams() != chunks[2].streams()
    assert len(set(chunks[0].streams())) == 4
    # quick overrides merge into the learner table and replace lists
    q = spec_from_dict(toy_spec(), quick=True)
    assert q.seeds == (0,) and q.learner.steps == 20 and q.learner.batch_size == 32 and q.quick
    assert q.hash() != spec_from_dict(toy_spec()).hash()


@pytest.mark.parametrize(
    "over, match",
    [
        ({"stepz": 3}, r"unknown key 'stepz'; allowed: name, description, imports, seeds"),
        ({"learner": {"stepz": 3}}, r"unknown key learner.'stepz'; allowed: optimizer, lrs"),
        ({"series": [{"task": "nope", "values": [2]}]}, r"series\[0\].task == 'nope' is unknown; allowed: .*toy-parity"),
        ({"series": [{"task": "toy-parity", "values": []}]}, r"series\[0\].values must be a non-empty list"),
        ({"series": []}, r"series must be a non-empty list"),
        ({"seeds": []}, r"seeds must be a non-empty list"),
        ({"test_size": -5}, r"test_size == -5, must be an integer in \[1, 2\^63 - 1\]"),
        ({"learner": {"steps": -1}}, r"learner.steps == -1, must be an integer in \[1, 2\^63 - 1\]"),
        ({"learner": {"train_size": -10}}, r"learner.train_size == -10, must be an integer in \[0, 2\^63 - 1\]"),
        ({"learner": {"lrs": [0.1, -0.2]}}, r"learner.lrs must be a finite number > 0"),
        ({"learner": {"optimizer": "lbfgs"}}, r"learner.optimizer == 'lbfgs'; allowed: adam, sgd"),
        ({"series": [{"task": "toy-parity", "values": [2], "roles": ["easy"]}]}, r"roles has 'easy'; allowed: hard, control"),
        ({"series": [{"task": "toy-parity", "values": [2], "colour": 1}]}, r"unknown key series\[0\].'colour'"),
        ({"quick": {"bogus": 1}}, r"unknown key quick.'bogus'"),
        ({"imports": ["no_such_module_xyz"]}, r"cannot import module 'no_such_module_xyz'"),
    ],
)
def test_bad_specs(over, match):
    with pytest.raises(InvalidParameterError, match=match) as info:
        spec_from_dict(toy_spec(**over))
    assert "\n" not in str(info.value)


def test_bad_spec_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\n[learner\n")
    with pytest.raises(SymhardError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(InvalidParameterError, match="unknown spec 'nosuch'; allowed: a .toml path or one of"):
        load_spec("nosuch")
    # the CLI turns it into one line and exit status 2
    out = subprocess.run([sys.executable, "-m", "symhard", "run", str(bad)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "not valid TOML" in out.stderr


def test_builtin_specs_parse():
    names = builtin_spec_names()
    for required in ("boolean", "gnn-degree-parity", "gnn-features", "cnn", "frames", "polynomials"):
        assert required in names
    from symhard.families.base import all_tasks

    tasks = all_tasks()
    for name in names:
        for quick in (False, True):
            spec = load_spec(name, quick=quick, check_tasks=False)
            assert spec.name == name and spec.quick == quick
            landed = all(s.task in tasks for s in spec.series)
            if landed:  # a spec whose tasks exist validates against the registry too
                load_spec(name, quick=quick)
        full, quick = load_spec(name, check_tasks=False), load_spec(name, quick=True, check_tasks=False)
        assert sum(len(s.values) * len(s.roles) for s in quick.series) * len(quick.seeds) * quick.learner.steps <= \
            sum(len(s.values) * len(s.roles) for s in full.series) * len(full.seeds) * full.learner.steps
        for spec in (full, quick):  # every task swept has a control; extra series may be hard-only
            for task in {s.task for s in spec.series}:
                assert any("control" in s.roles for s in spec.series if s.task == task), f"{name} needs a control"
            assert all("hard" in s.roles for s in spec.series)


# ------------------------------------------------------------------------------ store
def test_store_schema_and_contents(tmp_path):
    spec = spec_from_dict(toy_spec())
    s = run_spec(spec, out_dir=tmp_path / "toy", progress=False)
    assert s.chunks == 6 and s.ran == 6 and s.skipped == 0
    files = sorted((tmp_path / "toy" / "runs").glob("*.parquet"))
    assert len(files) == 6
    t = pq.read_table(files[0])  # plain pyarrow, no symhard
    assert t.schema.equals(RUN_SCHEMA)
    for col in ("spec", "role", "param_name", "param_value", "seed", "lr", "test_error", "diverged"):
        assert col in t.column_names
    runs = read_runs(tmp_path / "toy")
    assert runs.num_rows == 6 * 2 * 2  # chunks x seeds x lrs
    d = runs.to_pydict()
    assert set(d["role"]) == {"hard", "control"} and set(d["param_name"]) == {"n"}
    assert sorted(set(zip(d["seed"], d["lr"]))) == [(0, 3e-3), (0, 1e-2), (1, 3e-3), (1, 1e-2)]
    # the CSQ budget is steps x params at tolerance 1/sqrt(batch)
    i = 0
    assert d["csq_queries"][i] == 60 * d["params_per_member"][i]
    assert math.isclose(d["csq_tau"][i], 1 / math.sqrt(32))
    # toy-parity: params = n*width + width
    assert d["params_per_member"][i] == d["param_value"][i] * 16 + 16
    curves = read_curves(tmp_path / "toy").to_pydict()
    assert sorted(set(curves["step"])) == [0, 20, 40, 60]
    assert len(curves["step"]) == 6 * 4 * 4
    # every run row names its chunk, whose id begins with the spec hash
    assert all(c.startswith(spec.hash() + "__") for c in d["chunk_id"])
    # degree-1 control is learned, the n=6 parity (degree 3) is not at this budget
    best = {}
    for role, v, e in zip(d["role"], d["param_value"], d["test_error"]):
        best[(role, v)] = min(best.get((role, v), 9), e)
    assert best[("control", 6)] < best[("hard", 6)]
    # pandas reads the folder without symhard
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(tmp_path / "toy" / "runs")
    assert len(df) == runs.num_rows
    manifest = json.loads((tmp_path / "toy" / "manifest.json").read_text())
    assert manifest["spec_hash"] == spec.hash() and "torch" in manifest["versions"]
    assert "git_commit" in manifest and len(manifest["chunks"]) == 6


def test_store_refuses_other_spec_and_cleans_temporaries(tmp_path):
    spec = spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [2], "roles": ["hard"]}]))
    run_spec(spec, out_dir=tmp_path / "toy", progress=False)
    store = ResultStore(tmp_path / "toy")
    (store.runs_dir / ".x.parquet.tmp-123").write_bytes(b"partial")
    store.open(spec)
    store.close()
    assert not list(store.runs_dir.glob(".*"))
    other = spec_from_dict(toy_spec(seeds=[5]))
    with pytest.raises(StoreIntegrityError, match="holds results of another spec"):
        store.open(other)


def test_chunk_is_deterministic_and_independent_of_neighbours():
    spec = spec_from_dict(toy_spec())
    chunks = expand(spec)
    a = run_chunk(chunks[3])
    b = run_chunk(chunks[3])
    assert a.runs["test_error"] == b.runs["test_error"]
    # the same setting inside a spec with other values and seeds order gives the same numbers
    spec2 = spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [4], "roles": ["control"]}]))
    c = run_chunk(expand(spec2)[0])
    assert c.runs["test_error"] == a.runs["test_error"]
    # ... but the two specs differ, and so do the chunk ids (they carry the spec hash)
    assert c.chunk_id != a.chunk_id and c.chunk_id.partition("__")[2] == a.chunk_id.partition("__")[2]


def test_process_and_ray_executors_match_serial():
    spec = spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [3, 5], "roles": ["hard", "control"]}]))
    chunks = expand(spec)
    serial = {r.chunk_id: r.runs["test_error"] for r in execute(chunks, imports=spec.imports)}
    pool = {r.chunk_id: r.runs["test_error"]
            for r in execute(chunks, executor="process", workers=2, imports=spec.imports, sys_path=[str(TESTS)])}
    assert serial.keys() == pool.keys()
    for k in serial:
        np.testing.assert_allclose(pool[k], serial[k], rtol=1e-5, atol=1e-7, err_msg=k)
    pytest.importorskip("ray")
    ray_res = {}
    order = []
    for r in execute(chunks, executor="ray", workers=2, max_in_flight=2, imports=spec.imports, sys_path=[str(TESTS)]):
        ray_res[r.chunk_id] = r.runs["test_error"]
        order.append(r.chunk_id)
    assert sorted(order) == sorted(serial)  # every chunk exactly once
    for k in serial:
        np.testing.assert_allclose(ray_res[k], serial[k], rtol=1e-5, atol=1e-7, err_msg=k)


def test_bad_executor_arguments():
    with pytest.raises(InvalidParameterError, match="executor must be one of serial, process, ray"):
        execute([], executor="dask")
    with pytest.raises(InvalidParameterError, match="--address only applies to --executor ray"):
        execute([], executor="serial", address="auto")


# ------------------------------------------------------------------------------ CLI + report
def test_cli_run_and_report(tmp_path):
    spec_file = tmp_path / "toy.toml"
    spec_file.write_text(
        'name = "toy"\nimports = ["toy_tasks"]\nseeds = [0]\ntest_size = 200\n'
        '[learner]\nlrs = [1e-2]\nwidth = 8\nbatch_size = 32\nsteps = 20\ntrain_size = 200\neval_every = 10\n'
        '[[series]]\ntask = "toy-parity"\nvalues = [2, 4]\n'
        '[quick]\nlearner = { steps = 10 }\n'
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "symhard", "run", str(spec_file), "--quick", "--out", str(tmp_path / "res"), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["out_dir"] == str(tmp_path / "res" / "toy-quick") and summary["ran"] == 4
    assert {r["role"] for r in summary["summary"]} == {"hard", "control"}
    rep = subprocess.run([sys.executable, "-m", "symhard", "report", str(tmp_path / "res"), "--json"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert rep.returncode == 0, rep.stderr
    paths = json.loads(rep.stdout)
    md = Path(paths["report.md"]).read_text()
    assert "Experiment `toy` (quick)" in md and "| toy-parity | hard | n=4 |" in md
    html = Path(paths["report.html"]).read_text()
    assert html.count("<img") == 3
    figs = sorted(p.name for p in (tmp_path / "res" / "figures").iterdir())
    assert {"exp-toy-quick-error.png", "exp-toy-quick-error.svg", "exp-toy-quick-curves.png",
            "exp-toy-quick-bound.svg"} <= set(figs)
    bad = subprocess.run([sys.executable, "-m", "symhard", "run", str(spec_file), "--executor", "dask"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "executor must be one of" in bad.stderr


def test_series_train_size_overrides_the_learner():
    """A series may use its own training-set size (how the transition moves with the data)."""
    spec = spec_from_dict(toy_spec(series=[
        {"task": "toy-parity", "values": [4], "roles": ["hard"], "label": "base"},
        {"task": "toy-parity", "values": [4], "roles": ["hard"], "label": "more", "train_size": 2000},
        {"task": "toy-parity", "values": [4], "roles": ["hard"], "label": "fresh", "train_size": 0},
    ]))
    base, more, fresh = (run_chunk(c) for c in expand(spec))
    assert set(base.runs["train_size"]) == {500}
    assert set(more.runs["train_size"]) == {2000}
    assert set(fresh.runs["train_size"]) == {0}
    assert base.runs["test_error"] != more.runs["test_error"]  # a different training set was used
    with pytest.raises(InvalidParameterError, match="train_size == -1"):
        spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [4], "train_size": -1}]))


def test_sample_learner_series_runs_the_sq_learner_beside_gd():
    """A series with learner = "sq-polynomial" runs the SQ learner on its own fixed sample."""
    spec = spec_from_dict({
        "name": "sqmix", "seeds": [0, 1], "test_size": 500,
        "learner": {"lrs": [1e-2], "width": 8, "batch_size": 32, "steps": 5, "train_size": 200},
        "series": [{"task": "polynomials", "label": "SQ", "learner": "sq-polynomial", "values": [6],
                    "roles": ["hard"], "options": {"k": 2}, "train_size": 40000}],
    })
    (chunk,) = expand(spec)
    res = run_chunk(chunk)
    assert res.runs["seed"] == [0, 1] and all(math.isnan(lr) for lr in res.runs["lr"])
    assert set(res.runs["train_size"]) == {40000} and set(res.runs["optimizer"]) == {"sq-polynomial"}
    assert max(res.runs["test_error"]) < 1e-2  # exact support recovery, coefficients to sampling error
    assert all(q > 0 for q in res.runs["csq_queries"]) and not any(v for v in res.curves.values())
    with pytest.raises(InvalidParameterError, match=r"learner == 'sgd-ish' is unknown; allowed: gd, sq-polynomial"):
        spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [4], "learner": "sgd-ish"}]))
    with pytest.raises(InvalidParameterError, match="train_size must be > 0"):
        spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [4], "learner": "sq-polynomial",
                                         "train_size": 0}]))


# ------------------------------------------------------------------------------ names, duplicates, quick
@pytest.mark.parametrize("name", ["..", ".hidden", "a/b", "a\\b", "", "x..y", "-x", "a b", "x.", "../../etc", 7])
def test_spec_name_must_be_a_plain_file_name(name):
    with pytest.raises(InvalidParameterError, match="name must be a plain name") as info:
        spec_from_dict(toy_spec(name=name))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("label", ["..", ".hidden", "a/b", "a\\b", "x..y", " a", "a ", "a\nb", "x" * 65, "a;b"])
def test_series_label_has_no_path_syntax(label):
    with pytest.raises(InvalidParameterError, match=r"series\[0\].label must be empty or a label"):
        spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [2], "label": label}]))


def test_display_labels_are_allowed_and_never_make_hidden_files():
    labels = ["k=6, 4x data", "SQ learner", "a.b", "_x", "n (dense)"]
    spec = spec_from_dict(toy_spec(series=[{"task": "toy-parity", "values": [2], "label": lab} for lab in labels]))
    ids = [c.chunk_id for c in expand(spec)]
    assert all(not i.startswith(".") and "/" not in i and ".." not in i and " " not in i for i in ids)
    assert [s.name for s in spec.series] == labels


@pytest.mark.parametrize("over, match", [
    ({"learner": {"lrs": [1e-2, 1e-2]}}, r"learner.lrs has repeated entries"),
    ({"series": [{"task": "toy-parity", "values": [2], "roles": ["hard", "hard"]}]}, r"roles has repeated entries"),
    ({"seeds": [1, 2, 1]}, r"seeds has repeated entries"),
    ({"seeds": [-1]}, r"seeds == -1, must be an integer in \[0, 2\^63 - 1\]"),
    ({"data_seed": 2**63}, r"data_seed == 9223372036854775808"),
])
def test_repeated_or_out_of_range_values_are_refused(over, match):
    with pytest.raises(InvalidParameterError, match=match):
        spec_from_dict(toy_spec(**over))


def test_the_quick_section_is_validated_on_every_load():
    bad_quick = toy_spec(quick={"series": [{"task": "toy-parity", "values": [4, 4]}]})
    for quick in (False, True):
        with pytest.raises(InvalidParameterError, match=r"spec \[quick\]: series\[0\].values has repeated entries"):
            spec_from_dict(bad_quick, quick=quick)
    bad_full = toy_spec(learner={"steps": 0}, quick={"learner": {"steps": 5}})
    with pytest.raises(InvalidParameterError, match=r"^spec: learner.steps == 0"):
        spec_from_dict(bad_full, quick=True)  # the full variant is checked on a quick run too
    spec_from_dict(toy_spec(), quick=False)


def test_spec_imports_that_raise_name_the_file_and_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "user_mod_raises.py").write_text("x = 1\nraise RuntimeError('boom in user code')\n")
    (tmp_path / "user_mod_exits.py").write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(InvalidParameterError, match=r"importing 'user_mod_raises' raised RuntimeError at "
                                                    r".*user_mod_raises.py:2: boom in user code"):
        spec_from_dict(toy_spec(imports=["user_mod_raises"]))
    with pytest.raises(InvalidParameterError, match=r"importing 'user_mod_exits' raised SystemExit at .*:2"):
        spec_from_dict(toy_spec(imports=["user_mod_exits"]))


def test_a_spec_file_that_is_not_utf8_is_one_line(tmp_path):
    bad = tmp_path / "latin.toml"
    bad.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(SymhardError, match=r"not UTF-8 text \(byte 11\)"):
        load_spec(bad)
    with pytest.raises(InvalidParameterError, match="does not exist or is not a file"):
        load_spec(tmp_path)  # a folder


def test_learning_rate_is_chosen_on_validation_data_never_on_the_test_set():
    """Per seed, `chosen` marks the lr with the smallest validation error; the summary reports its test error."""
    import pyarrow as pa

    from symhard.experiments.runner import summarize_runs

    spec = spec_from_dict(toy_spec(learner={"lrs": [1e-3, 3e-2, 3.0], "width": 16, "batch_size": 32, "steps": 60,
                                            "train_size": 500, "eval_every": 20, "loss": "square", "val_fraction": 0.25},
                                   series=[{"task": "toy-parity", "values": [4], "roles": ["control"]}]))
    res = run_chunk(expand(spec)[0])
    rows = [dict(zip(res.runs, vals)) for vals in zip(*res.runs.values())]
    assert {r["val_size"] for r in rows} == {125} and {r["train_size"] for r in rows} == {500}
    assert {r["loss"] for r in rows} == {"square"}
    for seed in {r["seed"] for r in rows}:
        mine = [r for r in rows if r["seed"] == seed]
        chosen = [r for r in mine if r["chosen"]]
        assert len(chosen) == 1
        finite = [r["val_error"] for r in mine if r["val_error"] == r["val_error"]]
        assert chosen[0]["val_error"] == min(finite)
    summary = summarize_runs(pa.Table.from_pydict(res.runs))
    want = np.mean([r["test_error"] for r in rows if r["chosen"]])
    assert summary[0]["mean_error"] == pytest.approx(want)
    with pytest.raises(InvalidParameterError, match="learner.val_fraction"):
        spec_from_dict(toy_spec(learner={"val_fraction": 1.0}))
    with pytest.raises(InvalidParameterError, match="learner.loss == 'hinge'; allowed: square, l1, huber"):
        spec_from_dict(toy_spec(learner={"loss": "hinge"}))
