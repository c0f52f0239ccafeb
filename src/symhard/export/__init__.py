"""The hard classes as datasets for other frameworks: ``symhard export``.

:func:`export` writes the training, validation and test sets of ``M`` hard members and ``M``
controls of a family's learning task at one size — exactly the sets ``symhard bench`` trains and
scores on for the same task, size, seeds, sample counts and harness seed
(:func:`symhard.bench.data.harness_data`) — in a format another framework reads without symhard:
``npz`` (NumPy arrays and a JSON sidecar), ``parquet`` (one table per split, readable by pyarrow,
pandas or DuckDB) or ``pyg`` (an on-disk PyTorch Geometric ``InMemoryDataset`` with a standalone
``dataset.py``; graph tasks only). The metadata (``metadata.json``, and the Parquet schema)
carries the generating parameters (task, size, options, seeds, harness seed, sample counts, the
seed streams, the symhard version), the training protocol of the bench (mini-batch and
initialization seeds) and the family's certificate at that size, or the one-line reason it cannot
be computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError, check_int

__all__ = ["export", "FORMATS"]

#: The formats of :func:`export`.
FORMATS = ("npz", "parquet", "pyg")


def _check_out(out: str | Path, force: bool) -> Path:
    from ..bench.results import check_out_dir

    path = check_out_dir(out)
    if path.is_dir() and any(path.iterdir()) and not force:
        raise InvalidParameterError(f"output folder {str(path)!r} is not empty; give an empty or new folder, or --force "
                                    "to overwrite the export there.")
    return path


def _check_graph(task: str, size: int, options: dict[str, Any]) -> None:
    import torch

    from ..bench.invariance import task_symmetry
    from ..families.base import get_task
    from ..models.pyg import require_pyg

    probe = get_task(task)(size, "hard", 0, **options)
    x = tuple(probe.sample_inputs(2, torch.Generator().manual_seed(0)))
    if "graph" not in task_symmetry(probe, x)[1]:
        raise InvalidParameterError(f"the pyg format is for graph tasks (gnn-features, gnn-degree-parity); task "
                                    f"{task!r} has no graph input; use --format parquet or npz.")
    require_pyg()


def export(name: str, *, size: int, members: int, samples: int, fmt: str, out: str | Path, n_test: int = 2048,
           options: dict[str, Any] | None = None, harness_seed: int = 0, force: bool = False,
           max_bytes: int = 4 << 30) -> dict[str, Any]:
    """Write the sets of ``members`` hard members and ``members`` controls of task (or family) ``name``.

    Parameters
    ----------
    name : str          a task (``gnn-features``) or a family (``boolean-parity``: its task)
    size : int          the task's hardness parameter (``d`` for gnn-features, ``n`` otherwise)
    members : int       M: seeds ``0..M-1`` of each role
    samples : int       N: training samples, of which 20 % form the validation split (as the bench)
    fmt : {"npz", "parquet", "pyg"}
    out : path          an empty or new folder (``force`` overwrites)
    n_test : int        test samples
    options : dict      task options, validated by the task's declaration
    harness_seed : int  seeds the data streams (the bench's ``--seed``)
    max_bytes : int     refuse when the sets would need more memory than this

    Returns the metadata written to ``out/metadata.json`` (with ``files``).
    """
    from ..families.base import get_task
    from ._collect import collect, resolve_task
    from ._writers import WRITERS, write_metadata

    if fmt not in FORMATS:
        raise InvalidParameterError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    task, _ = resolve_task(name)
    spec = get_task(task)
    opts = spec.validate_options(dict(options or {}), where=f"task {task}: option ")
    size = spec.validate_value(size, f"task {task}: --size ")
    n_test = check_int(n_test, "n_test", min_value=2)
    path = _check_out(out, force)
    if fmt == "pyg":
        _check_graph(task, size, opts)
    data = collect(name, size=size, members=members, samples=samples, n_test=n_test, options=options,
                   harness_seed=harness_seed, max_bytes=max_bytes)
    path.mkdir(parents=True, exist_ok=True)
    files = WRITERS[fmt](data, path)
    write_metadata(data, path, fmt, files + ["metadata.json"])
    return {**data.metadata, "format": fmt, "files": files + ["metadata.json"], "out": str(path)}
