"""Atomic file writes (temporary file, fsync, rename, fsync the folder) and checksums: one home for every writer.

A file written this way either has its old content or its whole new content, whatever moment
the process is killed at: the bytes go to a hidden temporary ``.<name>.tmp-<pid>`` in the same
folder, are flushed and fsync'ed, then renamed over the final name (``os.replace`` is atomic on
POSIX), and the folder is fsync'ed so that the rename itself survives a crash. The result store,
the bench, the frontier and the export all write through these functions.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import InvalidParameterError

__all__ = ["sha256", "fsync_dir", "temporary_path", "commit", "atomic_write_bytes", "atomic_write_text",
           "check_output_dir", "check_output_file"]


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def fsync_dir(folder: Path) -> None:
    """fsync a folder (so that a rename inside it is durable); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def temporary_path(path: str | Path) -> Path:
    """The hidden temporary next to ``path`` that :func:`commit` renames over it."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def commit(tmp: Path, path: str | Path) -> None:
    """fsync ``tmp`` (written by someone else, e.g. a library's ``save``), rename it over ``path``, fsync the folder."""
    path = Path(path)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (module docstring)."""
    path = Path(path)
    tmp = temporary_path(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def check_output_dir(path: str | Path, what: str = "results folder") -> Path:
    """Check, without writing, that the folder ``path`` is or can become a writable folder: not an existing
    file, not below a file, not in a read-only folder. One line (``InvalidParameterError``, exit 2) otherwise."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise InvalidParameterError(f"{what} {str(p)!r} exists and is not a folder; give a folder path.")
    anc = p.absolute()
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InvalidParameterError(f"{what} {str(p)!r} cannot be created: {str(anc)!r} is a file.")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"{what} {str(p)!r} cannot be written: {str(anc)!r} is not writable.")
    return p


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Check, without writing, that the file ``path`` can be written: not a folder, its folder writable or
    creatable (:func:`check_output_dir`); an existing file is replaced (atomically) by the command."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise InvalidParameterError(f"{what} {str(p)!r} is a folder; give a file path.")
    if p.exists() and not os.access(p, os.W_OK):
        raise InvalidParameterError(f"{what} {str(p)!r} exists and is not writable.")
    check_output_dir(p.parent, f"the folder of {what}")
    return p
