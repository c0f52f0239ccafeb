"""Writers of ``symhard export``: NumPy ``.npz`` with a JSON sidecar, Parquet tables, a PyG ``InMemoryDataset``.

Every file is written atomically (temporary name, fsync, rename). None of the formats needs
symhard to be read back:

* ``npz``: ``{split}.npz`` with one array per input (``[n, ...]`` float32, named as in the
  metadata) and ``y`` ``[n, 2M]``; ``metadata.json`` beside them.
* ``parquet``: ``{split}.parquet``, one row per sample: each input flattened row-major into a
  fixed-size list column (its shape in the schema metadata under the key ``symhard``), one float32
  column per target; ``metadata.json`` beside them.
* ``pyg``: ``processed/{split}.pt`` written by ``InMemoryDataset.save`` (one ``Data`` per graph:
  ``x`` the node features, ``edge_index`` every nonzero ``A[v, u]`` as the edge ``u → v`` — self
  loops included where the task's adjacency has them —, ``y`` ``[1, 2M]``), ``dataset.py`` (a
  standalone ``InMemoryDataset`` that imports only torch and torch_geometric) and ``metadata.json``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .._files import commit, temporary_path
from .._json import jsonable
from ..errors import InvalidParameterError
from ._collect import SPLITS, ExportData

__all__ = ["WRITERS", "write_metadata"]


def _atomic(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
    """Let ``write(fh)`` fill a temporary file, then commit it over ``path`` (:mod:`symhard._files`)."""
    tmp = temporary_path(path)
    with open(tmp, mode) as fh:
        write(fh)
    commit(tmp, path)


def write_metadata(data: ExportData, out: Path, fmt: str, files: list[str]) -> None:
    meta = {**data.metadata, "format": fmt, "files": files}
    _atomic(out / "metadata.json", lambda fh: fh.write(json.dumps(jsonable(meta), indent=2)), "w")


def write_npz(data: ExportData, out: Path) -> list[str]:
    files = []
    for split in SPLITS:
        xs, y = data.splits[split]
        arrays = {name: x for name, x in zip(data.input_names, xs)} | {"y": y}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        _atomic(out / f"{split}.npz", lambda fh: fh.write(buf.getvalue()))
        files.append(f"{split}.npz")
    return files


def write_parquet(data: ExportData, out: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema_meta = {"symhard": json.dumps(jsonable({
        "inputs": data.metadata["inputs"], "targets": data.target_names,
        "layout": "each input column holds the sample's array flattened in row-major (C) order; reshape to its shape"}))}
    files = []
    for split in SPLITS:
        xs, y = data.splits[split]
        cols, fields = [], []
        for name, x in zip(data.input_names, xs):
            width = int(np.prod(x.shape[1:]))
            flat = pa.array(np.ascontiguousarray(x.reshape(len(x), width)).reshape(-1), type=pa.float32())
            cols.append(pa.FixedSizeListArray.from_arrays(flat, width))
            fields.append(pa.field(name, pa.list_(pa.float32(), width)))
        for j, name in enumerate(data.target_names):
            cols.append(pa.array(y[:, j], type=pa.float32()))
            fields.append(pa.field(name, pa.float32()))
        table = pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=schema_meta))
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf)
        _atomic(out / f"{split}.parquet", lambda fh: fh.write(buf.getvalue().to_pybytes()))
        files.append(f"{split}.parquet")
    return files


DATASET_PY = '''"""A PyTorch Geometric dataset written by ``symhard export`` (imports only torch and torch_geometric).

    import sys; sys.path.insert(0, ROOT)          # ROOT: the folder of this file
    from dataset import SymhardDataset
    train = SymhardDataset(ROOT, split="train")   # also "val" and "test"
    train[0]            # Data(x=[n, d], edge_index=[2, E], y=[1, 2M])
    train.metadata      # metadata.json: task, sizes, seeds, harness seed, targets, certificate

``y[0, j]`` is the target of the member ``metadata["targets"][j]`` (the M hard members, then the M
controls); ``edge_index`` holds every nonzero entry A[v, u] of the task's adjacency as the edge u -> v
(self loops included where the task's adjacency has them).
"""

import json
import os

from torch_geometric.data import InMemoryDataset

SPLITS = ("train", "val", "test")


class SymhardDataset(InMemoryDataset):
    def __init__(self, root=None, split="train", transform=None):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        root = root or os.path.dirname(os.path.abspath(__file__))
        super().__init__(root, transform)
        self.load(self.processed_paths[SPLITS.index(split)])
        with open(os.path.join(root, "metadata.json"), encoding="utf-8") as fh:
            self.metadata = json.load(fh)

    @property
    def raw_file_names(self):
        return []

    @property
    def processed_file_names(self):
        return [f"{s}.pt" for s in SPLITS]

    def download(self):
        pass

    def process(self):
        raise RuntimeError("processed/*.pt are missing: this folder was not written by symhard export")
'''


def _graphs(data: ExportData, split: str) -> list[Any]:
    import torch
    from torch_geometric.data import Data

    xs, y = data.splits[split]
    g = data.input_actions.index("graph")
    A = torch.from_numpy(xs[g])
    feats = [torch.from_numpy(x if x.ndim == 3 else x[..., None]) for i, x in enumerate(xs) if i != g]
    if not feats:
        raise InvalidParameterError("the pyg format needs node features beside the adjacency.")
    X = torch.cat(feats, dim=-1)
    Y = torch.from_numpy(y)
    out = []
    for b in range(A.shape[0]):  # one Data object per graph is what an InMemoryDataset stores
        vu = A[b].nonzero()  # rows (v, u) of the nonzero A[v, u]: the edge u -> v
        out.append(Data(x=X[b].clone(), edge_index=vu.flip(1).t().contiguous(), y=Y[b:b + 1].clone(),
                        num_nodes=int(A.shape[1])))
    return out


def write_pyg(data: ExportData, out: Path) -> list[str]:
    from ..models.pyg import require_pyg

    require_pyg()
    from torch_geometric.data import InMemoryDataset

    if not data.is_graph:
        raise InvalidParameterError(f"the pyg format is for graph tasks (gnn-features, gnn-degree-parity); task "
                                    f"{data.metadata['task']!r} has no graph input; use --format parquet or npz.")
    (out / "processed").mkdir(exist_ok=True)
    files = []
    for split in SPLITS:
        path = out / "processed" / f"{split}.pt"
        tmp = temporary_path(path)
        InMemoryDataset.save(_graphs(data, split), str(tmp))
        commit(tmp, path)
        files.append(f"processed/{split}.pt")
    _atomic(out / "dataset.py", lambda fh: fh.write(DATASET_PY), "w")
    return files + ["dataset.py"]


#: format name -> writer(data, out_dir) -> files written.
WRITERS: dict[str, Callable[[ExportData, Path], list[str]]] = {"npz": write_npz, "parquet": write_parquet, "pyg": write_pyg}
