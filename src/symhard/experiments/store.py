"""The results store: one Parquet file per finished chunk, written atomically, plus a manifest.

Layout of ``<out>/<spec>/``::

    manifest.json          spec (resolved), spec hash, quick flag, package/library versions, git commit
    runs/<chunk_id>.parquet    one row per (setting, seed, lr)   (see sweep.RUN_COLUMNS)
    curves/<chunk_id>.parquet  learning curves in long format    (see sweep.CURVE_COLUMNS)

Atomicity: each file is written to a hidden temporary name in the same folder (``.<name>.tmp-<pid>``),
flushed and fsync'ed, then renamed over the final name (``os.replace`` is atomic on POSIX). The
curves file of a chunk is written before its runs file, and a chunk counts as finished exactly
when its runs file exists, so a process killed at any moment (``kill -9`` included) leaves either a
finished chunk or no trace of it but a hidden temporary, which the next run deletes and redoes.
Readers skip hidden files: ``pandas.read_parquet("<out>/<spec>/runs")`` or DuckDB's
``read_parquet('<out>/<spec>/runs/*.parquet')`` read the table without symhard.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InvalidParameterError
from .spec import ExperimentSpec
from .sweep import CURVE_COLUMNS, RUN_COLUMNS, ChunkResult

__all__ = ["ResultStore", "RUN_SCHEMA", "CURVE_SCHEMA", "read_runs", "read_curves", "read_manifest"]

_TYPES = {
    "spec": pa.string(), "series": pa.string(), "task": pa.string(), "role": pa.string(),
    "param_name": pa.string(), "param_value": pa.int64(), "seed": pa.int64(), "lr": pa.float64(),
    "test_error": pa.float64(), "diverged": pa.bool_(), "final_train_loss": pa.float64(),
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


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ResultStore:
    """The folder of one spec's results; see the module docstring for the layout.

    Parameters
    ----------
    root : path
        ``<out>/<spec>``; created on :meth:`open`.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def curves_dir(self) -> Path:
        return self.root / "curves"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def open(self, spec: ExperimentSpec, device: str = "cpu") -> dict[str, Any]:
        """Create the folder (or reopen it for a resume) and return the manifest.

        Raises :class:`InvalidParameterError` if the folder holds results of a different spec
        (another hash), since mixing them would silently corrupt the table.
        """
        h = spec.hash()
        if self.manifest_path.exists():
            old = json.loads(self.manifest_path.read_text())
            if old.get("spec_hash") != h:
                raise InvalidParameterError(
                    f"{self.root} holds results of a different spec (hash {old.get('spec_hash')}, this one {h}); "
                    "use another --out folder or delete it."
                )
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.curves_dir.mkdir(parents=True, exist_ok=True)
        for d in (self.runs_dir, self.curves_dir, self.root):
            for stale in d.glob(".*.tmp-*"):
                stale.unlink(missing_ok=True)
        if self.manifest_path.exists():
            return json.loads(self.manifest_path.read_text())
        manifest = {
            "spec_name": spec.name, "spec_hash": h, "quick": spec.quick, "spec": spec.to_dict(),
            "versions": _versions(), "git_commit": _git_commit(), "device": device,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=2).encode())
        return manifest

    def finished(self) -> set[str]:
        """Chunk ids whose runs file exists."""
        if not self.runs_dir.exists():
            return set()
        return {p.name[: -len(".parquet")] for p in self.runs_dir.glob("*.parquet") if not p.name.startswith(".")}

    def write(self, result: ChunkResult) -> None:
        """Write one finished chunk: curves first, then the runs file that marks it finished."""
        curves = pa.Table.from_pydict(result.curves, schema=CURVE_SCHEMA)
        runs = pa.Table.from_pydict(result.runs, schema=RUN_SCHEMA)
        _atomic_write_table(self.curves_dir / f"{result.chunk_id}.parquet", curves)
        _atomic_write_table(self.runs_dir / f"{result.chunk_id}.parquet", runs)

    def runs(self) -> pa.Table:
        return read_runs(self.root)

    def curves(self) -> pa.Table:
        return read_curves(self.root)


def _read_dir(folder: Path, schema: pa.Schema, finished: set[str] | None = None) -> pa.Table:
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(".")) if folder.exists() else []
    if finished is not None:
        files = [p for p in files if p.name[: -len(".parquet")] in finished]
    if not files:
        return schema.empty_table()
    return pa.concat_tables([pq.read_table(p, schema=schema) for p in files])


def read_runs(root: str | Path) -> pa.Table:
    """The run table of a spec folder (all finished chunks, sorted by chunk file name)."""
    return _read_dir(Path(root) / "runs", RUN_SCHEMA)


def read_curves(root: str | Path) -> pa.Table:
    """The learning curves of the finished chunks of a spec folder."""
    root = Path(root)
    done = {p.name[: -len(".parquet")] for p in (root / "runs").glob("*.parquet") if not p.name.startswith(".")}
    return _read_dir(root / "curves", CURVE_SCHEMA, finished=done)


def read_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root) / "manifest.json"
    if not path.exists():
        raise InvalidParameterError(f"{Path(root)} has no manifest.json; it is not a symhard results folder.")
    return json.loads(path.read_text())
