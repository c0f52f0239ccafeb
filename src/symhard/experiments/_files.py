"""Files of the results store: atomic writes, checksums, Parquet bytes, the output-folder check."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .._files import atomic_write_bytes, fsync_dir, sha256  # noqa: F401 (re-exported for the store)
from ..errors import InvalidParameterError

__all__ = ["sha256", "fsync_dir", "atomic_write_bytes", "parquet_bytes", "check_output_dir"]


def parquet_bytes(table: pa.Table) -> bytes:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()


def check_output_dir(path: str | Path) -> Path:
    """Check, without writing, that the results folder ``path`` is or can become a writable folder."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidParameterError(f"results folder {str(p)!r} exists and is not a folder; give a folder path.")
    anc = p.absolute()
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InvalidParameterError(f"results folder {str(p)!r} cannot be created: {str(anc)!r} is a file.")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"results folder {str(p)!r} cannot be written: {str(anc)!r} is not writable.")
    return p
