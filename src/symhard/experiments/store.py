"""The results store: one pair of Parquet files per finished chunk, a manifest that vouches for them.

Layout of ``<out>/<spec>/``::

    manifest.json               the resolved spec and its hash, the planned chunk ids, and for every
                                finished chunk the SHA-256 and row count of its two files
    runs/<chunk_id>.parquet     one row per (setting, seed, lr)   (see sweep.RUN_COLUMNS)
    curves/<chunk_id>.parquet   learning curves in long format    (see sweep.CURVE_COLUMNS)
    quarantine/<time>-<pid>/    files moved aside by ``--repair`` or ``--force`` (never read)
    .lock                       locked (``flock``) by the one process writing the folder

Chunk ids begin with the spec hash (``<hash>__<series>__<role>__<value>``, see
:attr:`symhard.experiments.sweep.Chunk.chunk_id`), so a file written for another spec is never
taken for one of this spec, whatever happened to the manifest.

**Commit protocol.** Every file is written to a hidden temporary in its own folder
(``.<name>.tmp-<pid>``), flushed, fsync'ed, renamed over its final name (``os.replace`` is atomic
on POSIX) and the folder fsync'ed. A chunk writes its curves file, then its runs file, then the
manifest with the chunk's checksums; **a chunk is finished exactly when the manifest records
it.** A process killed at any instant (SIGKILL included) therefore leaves finished chunks, plus at
most: hidden temporaries (deleted by the next writer), and chunk files of this spec that the
manifest does not record ("pending": never read, recomputed and overwritten on resume). Resuming
loses no finished chunk and duplicates none.

**Integrity.** :func:`check_store` verifies a folder: the manifest parses and its spec hashes to
its ``spec_hash``; every recorded file exists and has its recorded SHA-256; every other file in
``runs/`` or ``curves/`` is a pending chunk of this spec or a problem (a file of another spec, an
unknown file). A writer refuses a folder with problems (:class:`StoreIntegrityError`, naming
every bad file) unless asked to ``repair`` (move the bad files aside into ``quarantine/`` and
recompute what is missing) or ``force`` (move everything aside and recompute all). The readers
:func:`read_runs` and :func:`read_curves` run the same check and raise rather than return a row
whose file does not match its checksum. Plain ``pyarrow``/``pandas``/DuckDB can still read
``runs/*.parquet`` directly, without these guarantees.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import SymhardError
from ._files import atomic_write_bytes, check_output_dir, fsync_dir, parquet_bytes, sha256
from .spec import ExperimentSpec, spec_hash
from .sweep import CURVE_COLUMNS, RUN_COLUMNS, ChunkResult, expand

__all__ = ["ResultStore", "StoreIntegrityError", "StoreCheck", "Problem", "check_store", "check_output_dir",
           "RUN_SCHEMA", "CURVE_SCHEMA", "FORMAT", "read_runs", "read_curves", "read_manifest"]

#: Version tag of the folder layout, recorded in the manifest.
FORMAT = "symhard-store/3"  # 3: val_error, chosen, val_size, loss columns
_KINDS = ("runs", "curves")
_TMP = re.compile(r"\..+\.tmp-\d+")
_HASHED = re.compile(r"([0-9a-f]{16})__.+\.parquet")
_SHA = re.compile(r"[0-9a-f]{64}")

_TYPES = {
    "spec": pa.string(), "series": pa.string(), "task": pa.string(), "role": pa.string(),
    "param_name": pa.string(), "param_value": pa.int64(), "seed": pa.int64(), "lr": pa.float64(),
    "test_error": pa.float64(), "val_error": pa.float64(), "chosen": pa.bool_(), "val_size": pa.int64(),
    "loss": pa.string(), "diverged": pa.bool_(), "final_train_loss": pa.float64(),
    "steps_run": pa.int64(), "stopped_at": pa.int64(), "width": pa.int64(), "hidden_units": pa.int64(),
    "params_per_member": pa.int64(), "train_size": pa.int64(), "test_size": pa.int64(),
    "batch_size": pa.int64(), "steps": pa.int64(), "optimizer": pa.string(), "csq_queries": pa.float64(),
    "csq_tau": pa.float64(), "log10_csq_queries": pa.float64(), "bound_queries": pa.float64(),
    "bound_log10_queries": pa.float64(), "bound_tau": pa.float64(), "bound_formula": pa.string(),
    "chunk_id": pa.string(), "seconds": pa.float64(), "device": pa.string(), "step": pa.int64(),
    "train_loss": pa.float64(),
}
#: Arrow schema of the run table.
RUN_SCHEMA = pa.schema([(c, _TYPES[c]) for c in RUN_COLUMNS])
#: Arrow schema of the learning curves.
CURVE_SCHEMA = pa.schema([(c, _TYPES[c]) for c in CURVE_COLUMNS])
_SCHEMAS = {"runs": RUN_SCHEMA, "curves": CURVE_SCHEMA}


class StoreIntegrityError(SymhardError):
    """A results folder holds files that cannot be verified (foreign, corrupt, changed, missing)."""


@dataclass(frozen=True)
class Problem:
    """One bad entry of a results folder: ``path`` relative to the folder, ``what`` is wrong."""

    path: str
    what: str
    chunk: str | None = None  # the recorded chunk the file belongs to, if any


@dataclass
class StoreCheck:
    """What :func:`check_store` found. ``finished``: recorded chunks whose two files verify, in
    planned order; ``pending``: this spec's chunk files the manifest does not record yet."""

    root: Path
    manifest: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    temporaries: list[Path] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def error(self) -> StoreIntegrityError:
        """One line naming every bad file (the first 12) and the way out."""
        shown = "; ".join(f"{p.path}: {p.what}" for p in self.problems[:12])
        more = f"; and {len(self.problems) - 12} more" if len(self.problems) > 12 else ""
        return StoreIntegrityError(
            f"results folder {str(self.root)!r} fails its integrity check ({len(self.problems)} problem(s)): "
            f"{shown}{more}. Rerun with --repair to move the bad files into {self.root / 'quarantine'} and "
            "recompute exactly what is missing (or --force to recompute everything).")


# ------------------------------------------------------------------------------ checking
def _listing(root: Path) -> tuple[list[str], list[Path]]:
    """(entries of runs/ and curves/ relative to ``root``, hidden temporaries of a writer)."""
    files: list[str] = []
    tmps = sorted(p for p in root.glob(".manifest.json.tmp-*") if _TMP.fullmatch(p.name)) if root.is_dir() else []
    for kind in _KINDS:
        d = root / kind
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if _TMP.fullmatch(p.name) and p.is_file():
                    tmps.append(p)
                else:
                    files.append(f"{kind}/{p.name}")
        elif d.exists():
            files.append(kind)
    return files, tmps


def _load_manifest(path: Path) -> dict[str, Any]:
    """Parse and validate a manifest; raise :class:`StoreIntegrityError` saying what is wrong."""
    try:
        m = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StoreIntegrityError(f"{path} is not a readable manifest ({type(err).__name__}); rerun with --repair.") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        got = m.get("format") if isinstance(m, dict) else None
        raise StoreIntegrityError(f"{path} has format {got!r}, not {FORMAT!r} (written by another symhard "
                                  "version or not by symhard); rerun with --force to recompute it.")
    h, planned, chunks = m.get("spec_hash"), m.get("planned"), m.get("chunks")
    if not isinstance(m.get("spec"), dict) or spec_hash(m["spec"]) != h:
        raise StoreIntegrityError(f"{path}: its spec does not hash to its spec_hash {h!r} (edited by hand?).")
    if not (isinstance(planned, list) and all(isinstance(c, str) and c.startswith(f"{h}__") for c in planned)):
        raise StoreIntegrityError(f"{path}: 'planned' must list chunk ids beginning with the spec hash {h}.")
    if not isinstance(chunks, dict) or not set(chunks) <= set(planned):
        raise StoreIntegrityError(f"{path}: 'chunks' must record planned chunk ids only.")
    for cid, entry in chunks.items():
        ok = isinstance(entry, dict) and all(
            isinstance(entry.get(k), dict) and isinstance(entry[k].get("sha256"), str)
            and _SHA.fullmatch(entry[k]["sha256"]) and isinstance(entry[k].get("rows"), int) for k in _KINDS)
        if not ok:
            raise StoreIntegrityError(f"{path}: the record of chunk {cid} lacks a checksum or a row count.")
    return m


def _explain(data: bytes, kind: str, cid: str) -> str:
    """Why a recorded file's bytes do not have their checksum: corrupt, foreign, swapped or edited."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception:  # noqa: BLE001 - any parse failure means the same thing here
        return "corrupt or truncated (not a readable Parquet file)"
    if not table.schema.equals(_SCHEMAS[kind]):
        return f"another schema (not a symhard {kind} file)"
    ids = sorted(set(table.column("chunk_id").to_pylist()))
    if ids and ids != [cid]:
        return f"checksum mismatch: holds the rows of chunk {', '.join(ids)[:120]} (swapped)"
    return "checksum mismatch: changed after it was written"


def _check_recorded(root: Path, m: dict[str, Any], out: StoreCheck) -> set[str]:
    recorded = set()
    for cid in m["planned"]:
        if cid not in m["chunks"]:
            continue
        ok = True
        for kind in _KINDS:
            rel = f"{kind}/{cid}.parquet"
            recorded.add(rel)
            path = root / rel
            if not path.is_file():
                out.problems.append(Problem(rel, "missing (deleted?)", cid))
                ok = False
                continue
            data = path.read_bytes()
            if sha256(data) != m["chunks"][cid][kind]["sha256"]:
                out.problems.append(Problem(rel, _explain(data, kind, cid), cid))
                ok = False
        if ok:
            out.finished.append(cid)
    return recorded


def check_store(root: str | Path) -> StoreCheck:
    """Verify a results folder against its manifest (see the module docstring); reads, never writes."""
    root = Path(root)
    files, tmps = _listing(root)
    out = StoreCheck(root=root, manifest=None, temporaries=tmps, files=files)
    man = root / "manifest.json"
    if not man.exists():
        out.problems = [Problem(f, "cannot be verified: the folder has no manifest.json") for f in files]
        return out
    try:
        m = _load_manifest(man)
    except StoreIntegrityError as err:
        out.problems = [Problem("manifest.json", " ".join(str(err).split()))]
        out.problems += [Problem(f, "cannot be verified: manifest.json is unusable") for f in files]
        return out
    out.manifest = m
    recorded = _check_recorded(root, m, out)
    planned = set(m["planned"])
    for rel in files:
        if rel in recorded:
            continue
        name = rel.partition("/")[2]
        hashed = _HASHED.fullmatch(name)
        if hashed and hashed.group(1) == m["spec_hash"] and name[: -len(".parquet")] in planned:
            out.pending.append(rel)
        elif hashed and hashed.group(1) != m["spec_hash"]:
            out.problems.append(Problem(rel, f"foreign: written for spec hash {hashed.group(1)}, this folder "
                                             f"holds {m['spec_hash']}"))
        else:
            out.problems.append(Problem(rel, "unknown file (not a chunk of this spec)"))
    return out


# ------------------------------------------------------------------------------ the writer
def _versions() -> dict[str, str]:
    import numpy
    import torch

    from .. import __version__

    return {"symhard": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "pyarrow": pa.__version__}


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class ResultStore:
    """The folder of one spec's results, opened by the one process that writes it.

    Parameters
    ----------
    root : path
        ``<out>/<spec>``; created by :meth:`open`, which also checks it (see the module docstring).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest: dict[str, Any] | None = None
        self.quarantined: list[Path] = []  # where open() moved files aside
        self._lock_fd: int | None = None

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def curves_dir(self) -> Path:
        return self.root / "curves"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def open(self, spec: ExperimentSpec, device: str = "cpu", *, repair: bool = False,
             force: bool = False) -> dict[str, Any]:
        """Create, verify and lock the folder for ``spec``; return the manifest.

        A folder of this spec resumes: its finished chunks are kept. A folder that fails
        :func:`check_store` raises :class:`StoreIntegrityError` unless ``repair`` (bad files are
        moved into ``quarantine/<time>-<pid>/`` and their chunks recomputed) or ``force`` (every
        file is moved aside). A folder of another spec raises unless ``force``, or unless it holds
        no chunk file at all (then nothing is lost and it is re-initialized).
        """
        planned = [c.chunk_id for c in expand(spec)]
        check_output_dir(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self.manifest = self._open_locked(spec, device, planned, repair, force)
        except BaseException:
            self.close()
            raise
        return self.manifest

    def _open_locked(self, spec: ExperimentSpec, device: str, planned: list[str], repair: bool,
                     force: bool) -> dict[str, Any]:
        h = spec.hash()
        chk = check_store(self.root)
        for tmp in chk.temporaries:  # a killed writer's half-written files: never part of the store
            tmp.unlink(missing_ok=True)
        old = chk.manifest
        everything = chk.files + (["manifest.json"] if self.manifest_path.exists() else [])
        if force:
            self._quarantine(everything)
            return self._fresh(spec, device, planned)
        if old is not None and old["spec_hash"] != h:
            if not chk.files:
                return self._fresh(spec, device, planned)
            raise StoreIntegrityError(
                f"results folder {str(self.root)!r} holds results of another spec ({old.get('spec_name')!r}, hash "
                f"{old['spec_hash']}; this one is {h}); use another --out folder, or --force to move them into "
                f"{self.root / 'quarantine'} and recompute.")
        if old is not None and old["planned"] != planned:
            raise StoreIntegrityError(f"results folder {str(self.root)!r}: its manifest plans other chunks than spec "
                                      f"hash {h} expands to; rerun with --force to recompute.")
        if chk.problems and not repair:
            raise chk.error()
        if old is None:
            self._quarantine(everything)
            return self._fresh(spec, device, planned)
        bad_chunks = {p.chunk for p in chk.problems if p.chunk}
        moved = [p.path for p in chk.problems]
        moved += [f"{k}/{c}.parquet" for c in bad_chunks for k in _KINDS if f"{k}/{c}.parquet" not in moved]
        self._quarantine(moved)
        if bad_chunks:
            for c in bad_chunks:
                del old["chunks"][c]
            atomic_write_bytes(self.manifest_path, json.dumps(old, indent=1).encode())
        return old

    def _fresh(self, spec: ExperimentSpec, device: str, planned: list[str]) -> dict[str, Any]:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.curves_dir.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT, "spec_name": spec.name, "spec_hash": spec.hash(), "quick": spec.quick,
            "spec": spec.to_dict(), "planned": planned, "chunks": {}, "versions": _versions(),
            "git_commit": _git_commit(), "device": device, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=1).encode())
        return manifest

    def _quarantine(self, rels: Iterable[str]) -> None:
        rels = [r for r in dict.fromkeys(rels) if (self.root / r).exists()]
        if not rels:
            return
        dest = self.root / "quarantine" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        for rel in rels:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / rel, target)
        for d in {(self.root / r).parent for r in rels}:
            fsync_dir(d)
        self.quarantined.append(dest)

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreIntegrityError(f"results folder {str(self.root)!r} is being written by another symhard "
                                      "process; wait for it to finish or use another --out folder.") from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder's lock (the operating system also releases it when the process dies)."""
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            self._lock_fd = None
            os.close(fd)

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def finished(self) -> set[str]:
        """Chunk ids the manifest records (all verified by :meth:`open`)."""
        return set(self.manifest["chunks"]) if self.manifest else set()

    def write(self, result: ChunkResult, expected_rows: int | None = None) -> None:
        """Commit one finished chunk: curves file, runs file, then the manifest with their checksums."""
        m = self.manifest
        cid = result.chunk_id
        if m is None or cid not in m["planned"]:
            raise StoreIntegrityError(f"chunk {cid} is not planned in {self.root} (open the store for its spec first).")
        tables = {"runs": pa.Table.from_pydict(result.runs, schema=RUN_SCHEMA),
                  "curves": pa.Table.from_pydict(result.curves, schema=CURVE_SCHEMA)}
        rows = tables["runs"].num_rows
        if rows == 0 or (expected_rows is not None and rows != expected_rows):
            raise StoreIntegrityError(f"chunk {cid} returned {rows} run rows, expected {expected_rows}; not stored.")
        entry: dict[str, Any] = {}
        for kind in ("curves", "runs"):
            if set(tables[kind].column("chunk_id").to_pylist()) - {cid}:
                raise StoreIntegrityError(f"chunk {cid} returned {kind} rows of another chunk; not stored.")
            data = parquet_bytes(tables[kind])
            atomic_write_bytes(self.root / kind / f"{cid}.parquet", data)
            entry[kind] = {"sha256": sha256(data), "rows": tables[kind].num_rows}
        entry["seconds"] = round(float(result.seconds), 3)
        m["chunks"][cid] = entry
        atomic_write_bytes(self.manifest_path, json.dumps(m, indent=1).encode())

    def runs(self) -> pa.Table:
        return read_runs(self.root)

    def curves(self) -> pa.Table:
        return read_curves(self.root)


# ------------------------------------------------------------------------------ the readers
def _read_verified(root: str | Path, kind: str) -> pa.Table:
    root = Path(root)
    if not (root / "manifest.json").exists():
        raise StoreIntegrityError(f"{root} has no manifest.json; it is not a symhard results folder.")
    chk = check_store(root)
    if chk.problems:
        raise chk.error()
    tables = []
    for cid in chk.finished:
        rec = chk.manifest["chunks"][cid][kind]
        data = (root / kind / f"{cid}.parquet").read_bytes()
        if sha256(data) != rec["sha256"]:
            raise StoreIntegrityError(f"{root / kind / cid}.parquet changed while it was read; read again.")
        table = pq.read_table(pa.BufferReader(data), schema=_SCHEMAS[kind])
        if table.num_rows != rec["rows"]:
            raise StoreIntegrityError(f"{root / kind / cid}.parquet has {table.num_rows} rows, its record says "
                                      f"{rec['rows']}.")
        tables.append(table)
    return pa.concat_tables(tables) if tables else _SCHEMAS[kind].empty_table()


def read_runs(root: str | Path) -> pa.Table:
    """The run table (:data:`RUN_SCHEMA`) of a spec folder: every finished chunk, in planned order.

    Raises :class:`StoreIntegrityError` (one line, naming the files) if the folder fails
    :func:`check_store`: no row is returned from a file that does not match its checksum.
    """
    return _read_verified(root, "runs")


def read_curves(root: str | Path) -> pa.Table:
    """The learning curves (:data:`CURVE_SCHEMA`) of the finished chunks, verified as in :func:`read_runs`."""
    return _read_verified(root, "curves")


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a spec folder (validated: format, spec hash, chunk records)."""
    path = Path(root) / "manifest.json"
    if not path.exists():
        raise StoreIntegrityError(f"{Path(root)} has no manifest.json; it is not a symhard results folder.")
    return _load_manifest(path)
