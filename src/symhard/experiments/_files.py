"""Files of the results store: atomic writes, checksums, Parquet bytes, the output-folder check."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from .._files import atomic_write_bytes, check_output_dir, fsync_dir, sha256  # noqa: F401 (re-exported for the store)

__all__ = ["sha256", "fsync_dir", "atomic_write_bytes", "parquet_bytes", "check_output_dir"]


def parquet_bytes(table: pa.Table) -> bytes:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()
