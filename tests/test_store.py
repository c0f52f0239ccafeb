"""The result store cannot lie: chunk ids carry the spec hash, the manifest vouches for every file
with its SHA-256 and row count, a folder is checked when opened and when read, bad files are
named and moved aside only on --repair / --force, a crash at any commit point resumes exactly,
and a rerun of a finished spec changes nothing. Uses the toy task of tests/toy_tasks.py."""

from __future__ import annotations

import hashlib
import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import toy_tasks  # noqa: F401  (registers "toy-parity")
from symhard.errors import InvalidParameterError, SymhardError
from symhard.experiments import _files, runner
from symhard.experiments.runner import run_spec
from symhard.experiments.spec import spec_from_dict
from symhard.experiments.store import (FORMAT, ResultStore, StoreIntegrityError, check_store, read_curves,
                                       read_manifest, read_runs)
from symhard.experiments.sweep import expand
from test_experiments import _rows, toy_spec

TINY = {"lrs": [1e-2, 3e-3], "width": 8, "batch_size": 32, "steps": 20, "train_size": 200, "eval_every": 10}


def tiny_spec(**over):
    return spec_from_dict(toy_spec(learner=dict(TINY), test_size=100, **over))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A finished 6-chunk folder; tests copy it instead of recomputing."""
    spec = tiny_spec()
    out = tmp_path_factory.mktemp("ref") / "toy"
    run_spec(spec, out_dir=out, progress=False)
    return spec, out


@pytest.fixture
def folder(reference, tmp_path):
    spec, ref = reference
    out = tmp_path / "toy"
    shutil.copytree(ref, out)
    return spec, out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _same_table(a: pa.Table, b: pa.Table) -> bool:
    return _rows(a) == _rows(b)


# ------------------------------------------------------------------------------ what is recorded
def test_chunk_ids_carry_the_spec_hash_and_the_manifest_vouches_for_each_file(folder):
    spec, out = folder
    m = _manifest(out)
    h = spec.hash()
    assert m["format"] == FORMAT and m["spec_hash"] == h
    assert m["planned"] == [c.chunk_id for c in expand(spec)] and all(c.startswith(h + "__") for c in m["planned"])
    assert sorted(m["chunks"]) == sorted(m["planned"])
    for cid, entry in m["chunks"].items():
        for kind in ("runs", "curves"):
            path = out / kind / f"{cid}.parquet"
            assert entry[kind]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()  # independent hash
            assert entry[kind]["rows"] == pq.ParquetFile(path).metadata.num_rows
        assert entry["runs"]["rows"] == 2 * 2  # seeds x lrs
    assert check_store(out).problems == []
    assert read_runs(out).num_rows == 6 * 4


def test_a_quick_and_a_full_variant_have_different_hashes_and_ids():
    full, quick = spec_from_dict(toy_spec()), spec_from_dict(toy_spec(), quick=True)
    assert full.hash() != quick.hash()
    assert not {c.chunk_id for c in expand(full)} & {c.chunk_id for c in expand(quick)}


# ------------------------------------------------------------------------------ foreign chunks
def test_deleting_the_manifest_and_changing_the_spec_never_reuses_old_chunks(folder):
    spec, out = folder
    (out / "manifest.json").unlink()
    other = tiny_spec(seeds=[0, 7])
    with pytest.raises(StoreIntegrityError, match="no manifest.json.*--repair") as info:
        run_spec(other, out_dir=out, progress=False)
    assert "\n" not in str(info.value) and "runs/" in str(info.value)
    s = run_spec(other, out_dir=out, progress=False, repair=True)
    assert s.ran == 6 and s.skipped == 0  # nothing of the old spec was reused
    assert set(read_runs(out).column("seed").to_pylist()) == {0, 7}
    moved = sorted(p.name for p in s.quarantined[0].rglob("*.parquet"))
    assert len(moved) == 12 and all(name.startswith(spec.hash()) for name in moved)


def test_a_folder_of_another_spec_is_refused_unless_forced(folder):
    spec, out = folder
    other = tiny_spec(seeds=[3])
    with pytest.raises(StoreIntegrityError, match=r"holds results of another spec .*--force") as info:
        run_spec(other, out_dir=out, progress=False, repair=True)
    assert spec.hash() in str(info.value) and other.hash() in str(info.value)
    s = run_spec(other, out_dir=out, progress=False, force=True)
    assert s.ran == 6 and set(read_runs(out).column("seed").to_pylist()) == {3}
    assert (s.quarantined[0] / "manifest.json").exists()  # moved aside, never deleted


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _swap(path: Path) -> None:  # the content of another chunk of the same spec, a valid file
    other = sorted(p for p in path.parent.glob("*.parquet") if p != path)[0]
    path.write_bytes(other.read_bytes())


def _other_schema(path: Path) -> None:
    pq.write_table(pa.table({"seed": [1, 2], "test_error": [0.5, 0.1]}), path)


def _edit(path: Path) -> None:  # same schema and chunk, one number changed
    t = pq.read_table(path)
    err = t.column("test_error").to_pylist()
    err[0] = 0.0
    pq.write_table(t.set_column(t.schema.get_field_index("test_error"), "test_error", pa.array(err)), path)


CORRUPTIONS = {
    "truncated runs": ("runs", _truncate, "corrupt or truncated"),
    "truncated curves": ("curves", _truncate, "corrupt or truncated"),
    "deleted curves": ("curves", lambda p: p.unlink(), "missing"),
    "deleted runs": ("runs", lambda p: p.unlink(), "missing"),
    "swapped runs": ("runs", _swap, "checksum mismatch: holds the rows of chunk .* \\(swapped\\)"),
    "swapped curves": ("curves", _swap, "checksum mismatch: holds the rows of chunk .* \\(swapped\\)"),
    "another schema": ("runs", _other_schema, "another schema"),
    "edited number": ("runs", _edit, "checksum mismatch: changed after it was written"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_bad_recorded_file_is_named_and_repair_recomputes_exactly_its_chunk(folder, case):
    spec, out = folder
    kind, damage, what = CORRUPTIONS[case]
    ref_runs, ref_curves = read_runs(out), read_curves(out)
    cid = expand(spec)[3].chunk_id
    damage(out / kind / f"{cid}.parquet")
    bad = f"{kind}/{cid}.parquet"
    problems = check_store(out).problems
    assert [p.path for p in problems] == [bad] and problems[0].chunk == cid
    for call in (read_runs, read_curves, lambda o: run_spec(spec, out_dir=o, progress=False)):
        with pytest.raises(StoreIntegrityError, match=f"{bad}: {what}.*--repair") as info:
            call(out)  # the readers never return rows they cannot verify, so neither can the report
        assert "\n" not in str(info.value)
    s = run_spec(spec, out_dir=out, progress=False, repair=True)
    assert s.ran == 1 and s.skipped == 5  # exactly the damaged chunk
    moved = {str(p.relative_to(s.quarantined[0])) for p in s.quarantined[0].rglob("*.parquet")}
    assert bad in moved or case.startswith("deleted")
    assert _same_table(read_runs(out), ref_runs) and _same_table(read_curves(out), ref_curves)
    assert check_store(out).problems == []


@pytest.mark.parametrize("name, what", [
    ("notes.txt", "unknown file"),
    (".hidden.parquet", "unknown file"),
    ("0123456789abcdef__toy-parity__hard__2.parquet", "foreign: written for spec hash 0123456789abcdef"),
])
def test_unknown_and_foreign_files_are_named_and_moved_aside_on_repair(folder, name, what):
    spec, out = folder
    shutil.copy(next((out / "runs").glob("*.parquet")), out / "runs" / name)
    with pytest.raises(StoreIntegrityError, match=f"runs/{name}: {what}"):
        read_runs(out)
    s = run_spec(spec, out_dir=out, progress=False, repair=True)
    assert s.ran == 0 and (s.quarantined[0] / "runs" / name).exists() and not (out / "runs" / name).exists()
    assert read_runs(out).num_rows == 24


def test_a_broken_manifest_is_reported_and_repair_recomputes_everything(folder):
    spec, out = folder
    ref = read_runs(out)
    (out / "manifest.json").write_text("{ not json")
    with pytest.raises(StoreIntegrityError, match=r"manifest.json is not a readable manifest \(JSONDecodeError\); rerun with --repair"):
        read_manifest(out)
    with pytest.raises(StoreIntegrityError, match="manifest.json is unusable"):
        run_spec(spec, out_dir=out, progress=False)
    s = run_spec(spec, out_dir=out, progress=False, repair=True)
    assert s.ran == 6 and _same_table(read_runs(out), ref)
    m = _manifest(out)
    m["spec"]["seeds"] = [0, 9]  # edited by hand: the spec no longer hashes to spec_hash
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(StoreIntegrityError, match="does not hash to its spec_hash"):
        read_runs(out)


def test_force_moves_everything_aside_and_recomputes(folder):
    spec, out = folder
    ref = read_runs(out)
    s = run_spec(spec, out_dir=out, progress=False, force=True)
    assert s.ran == 6 and _same_table(read_runs(out), ref)
    assert len(list(s.quarantined[0].rglob("*.parquet"))) == 12


def test_readers_refuse_a_folder_without_manifest(tmp_path):
    for reader in (read_runs, read_curves, read_manifest):
        with pytest.raises(StoreIntegrityError, match="has no manifest.json") as info:
            reader(tmp_path)
        assert isinstance(info.value, SymhardError)


# ------------------------------------------------------------------------------ idempotence, pending
def test_rerunning_a_finished_spec_changes_nothing(folder):
    spec, out = folder
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    s = run_spec(spec, out_dir=out, progress=False)
    assert s.ran == 0 and s.skipped == 6 and not s.quarantined
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert after == before  # no row added, no file rewritten


def test_an_unrecorded_chunk_of_this_spec_is_pending_never_read_and_recomputed(folder):
    """A kill between a chunk's files and the manifest update leaves exactly this state."""
    spec, out = folder
    ref = read_runs(out)
    m = _manifest(out)
    cid = m["planned"][2]
    del m["chunks"][cid]
    (out / "manifest.json").write_text(json.dumps(m))
    chk = check_store(out)
    assert chk.problems == [] and sorted(chk.pending) == [f"curves/{cid}.parquet", f"runs/{cid}.parquet"]
    assert read_runs(out).num_rows == 20 and cid not in read_runs(out).column("chunk_id").to_pylist()
    s = run_spec(spec, out_dir=out, progress=False)
    assert s.ran == 1 and _same_table(read_runs(out), ref)


def test_an_interrupt_keeps_the_committed_chunks_and_releases_the_folder(tmp_path):
    spec = tiny_spec()
    out = tmp_path / "toy"
    seen = []

    def ctrl_c_after_two(res):
        seen.append(res.chunk_id)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_spec(spec, out_dir=out, progress=False, on_chunk=ctrl_c_after_two)
    assert sorted(_manifest(out)["chunks"]) == sorted(seen) and check_store(out).problems == []
    s = run_spec(spec, out_dir=out, progress=False)  # the lock was released, the folder resumes
    assert (s.skipped, s.ran) == (2, 4) and read_runs(out).num_rows == 24


def test_a_second_writer_is_locked_out(folder):
    spec, out = folder
    first = ResultStore(out)
    first.open(spec)
    try:
        with pytest.raises(StoreIntegrityError, match="being written by another symhard process"):
            ResultStore(out).open(spec)
    finally:
        first.close()
    with ResultStore(out) as again:  # released
        again.open(spec)
    ResultStore(out).open(spec)  # a store dropped without close() releases its lock too
    ResultStore(out).open(spec)


# ------------------------------------------------------------------------------ crash at every commit point
class _Crash(BaseException):
    """Stands for SIGKILL: nothing after it runs (BaseException, so no `except Exception` sees it)."""


@contextmanager
def _crash_at(monkeypatch, call: int, mode: str):
    """Make the ``call``-th atomic write of the store die: ``torn`` halfway through the temporary,
    ``unrenamed`` after the temporary is complete, ``renamed`` right after the rename."""
    count = {"n": 0}
    real = _files.atomic_write_bytes

    def fake(path: Path, data: bytes) -> None:
        count["n"] += 1
        if count["n"] != call:
            return real(path, data)
        tmp = path.with_name(f".{path.name}.tmp-4242")
        if mode == "torn":
            tmp.write_bytes(data[: len(data) // 2])
        elif mode == "unrenamed":
            tmp.write_bytes(data)
        else:
            real(path, data)
        raise _Crash

    monkeypatch.setattr("symhard.experiments.store.atomic_write_bytes", fake)
    yield count
    monkeypatch.setattr("symhard.experiments.store.atomic_write_bytes", real)


def test_a_crash_at_every_commit_point_resumes_without_loss_or_duplication(tmp_path, monkeypatch):
    spec = tiny_spec(series=[{"task": "toy-parity", "values": [2, 3], "roles": ["hard"]}])
    cache = {}
    for res in runner.execute(expand(spec), imports=spec.imports):
        cache[res.chunk_id] = res

    def cached_execute(chunks, **_):  # the store is under test, not the training
        for c in chunks:
            yield cache[c.chunk_id]

    monkeypatch.setattr(runner, "execute", cached_execute)
    ref = run_spec(spec, out_dir=tmp_path / "ref", progress=False)
    writes = 1 + 3 * len(cache)  # the first manifest, then curves, runs, manifest per chunk
    for call in range(1, writes + 1):
        for mode in ("torn", "unrenamed", "renamed"):
            out = tmp_path / f"c{call}{mode}"
            with _crash_at(monkeypatch, call, mode), pytest.raises(_Crash):
                run_spec(spec, out_dir=out, progress=False)
            committed = len(_manifest(out)["chunks"]) if (out / "manifest.json").exists() else 0
            s = run_spec(spec, out_dir=out, progress=False)
            assert (s.skipped, s.ran) == (committed, len(cache) - committed), (call, mode)
            assert _rows(read_runs(out), drop=()) == _rows(read_runs(ref.out_dir), drop=()), (call, mode)
            assert _rows(read_curves(out), drop=()) == _rows(read_curves(ref.out_dir), drop=()), (call, mode)
            assert not [p for p in out.rglob(".*") if p.name != ".lock"], (call, mode)  # temporaries cleaned


# ------------------------------------------------------------------------------ validation writes nothing
def _broken_task_module(tmp_path: Path) -> str:
    (tmp_path / "broken_task_mod.py").write_text(
        "from symhard.families.base import register_task\n"
        "@register_task('toy-broken')\n"
        "def make(value, role, seed, **options):\n"
        "    raise RuntimeError('this task cannot be built')\n")
    return "broken_task_mod"


@pytest.mark.parametrize("kwargs, match", [
    ({"spec_over": {"seeds": [0, 0]}}, "seeds has repeated entries"),
    ({"spec_over": {"quick": {"seeds": [-1]}}}, r"\[quick\]: seeds == -1"),
    ({"spec_over": {"series": [{"task": "toy-parity", "values": [2, 2]}]}}, r"values has repeated entries"),
    ({"spec_over": {"series": [{"task": "toy-parity", "values": [2], "label": "a b"},
                               {"task": "toy-parity", "values": [2], "label": "a-b"}]}}, "same chunk file name"),
    ({"threads": 10**5}, r"threads \(--threads\) == 100000, must be an integer in \[1, "),
    ({"workers": 10**5, "executor": "process"}, r"workers \(--workers\) == 100000"),
    ({"executor": "dask"}, "executor must be one of"),
    ({"repair": True, "force": True}, "exclude each other"),
])
def test_a_failed_validation_writes_nothing(tmp_path, kwargs, match):
    kwargs = dict(kwargs)
    over = kwargs.pop("spec_over", {})
    out = tmp_path / "res" / "toy"
    with pytest.raises(InvalidParameterError, match=match):
        spec = spec_from_dict(toy_spec(learner=dict(TINY), **over))
        run_spec(spec, out_dir=out, progress=False, **kwargs)
    assert not (tmp_path / "res").exists()


def test_an_output_path_that_cannot_be_a_folder_is_refused_before_writing(tmp_path):
    spec = tiny_spec()
    (tmp_path / "file").write_text("x")
    for out, match in ((tmp_path / "file", "exists and is not a folder"),
                       (tmp_path / "file" / "sub" / "toy", "is a file")):
        with pytest.raises(InvalidParameterError, match=match):
            run_spec(spec, out_dir=out, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_run_that_fails_does_not_block_the_corrected_spec(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _broken_task_module(tmp_path)
    broken = spec_from_dict(toy_spec(imports=["toy_tasks", mod], learner=dict(TINY),
                                     series=[{"task": "toy-broken", "values": [2]}]))
    with pytest.raises(RuntimeError, match="cannot be built"):
        run_spec(broken, out_dir=tmp_path / "toy", progress=False)
    fixed = tiny_spec()
    s = run_spec(fixed, out_dir=tmp_path / "toy", progress=False)  # the empty folder is taken over
    assert s.ran == 6 and read_manifest(tmp_path / "toy")["spec_hash"] == fixed.hash()


def test_the_largest_seed_is_stored_exactly(tmp_path):
    big = 2**63 - 1
    spec = tiny_spec(seeds=[big], series=[{"task": "toy-parity", "values": [2], "roles": ["hard"]}])
    run_spec(spec, out_dir=tmp_path / "toy", progress=False)
    assert set(read_runs(tmp_path / "toy").column("seed").to_pylist()) == {big}
    with pytest.raises(InvalidParameterError, match=r"seeds == 9223372036854775808, must be an integer in \[0, 2\^63 - 1\]"):
        tiny_spec(seeds=[2**63])
    with pytest.raises(InvalidParameterError, match=r"seeds == 18446744073709551616"):
        tiny_spec(seeds=[2**64])
