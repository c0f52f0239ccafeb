"""``symhard export``: each format loads with its own library alone and gives exactly the harness's samples;
a GIN trained from the exported PyG dataset reaches the error ``symhard bench`` reports for the same budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from symhard.bench.data import harness_data
from symhard.errors import InvalidParameterError

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}  # the readers must not find symhard
SIZE = dict(size=4, members=2, samples=100, n_test=20)


def _export(tmp_path, fmt, task="gnn-features", **kw):
    from symhard.export import export

    return export(task, fmt=fmt, out=tmp_path / fmt, **{**SIZE, **kw})


def _reference(task="gnn-features", size=4, members=2, samples=100, n_test=20, options=None):
    """The harness's own sets: inputs per split and targets [n, 2M] (hard seeds, then controls)."""
    kw = dict(seeds=list(range(members)), samples=samples, n_test=n_test, options=options)
    hard, ctrl = harness_data(task, size, role="hard", **kw), harness_data(task, size, role="control", **kw)
    out = {}
    for split in ("train", "val", "test"):
        xs = [t.numpy() for t in getattr(hard, f"{split}_x")]
        y = torch.cat([getattr(hard, f"{split}_y"), getattr(ctrl, f"{split}_y")]).T.numpy()
        out[split] = (xs, y)
    return out


def _read_without_symhard(script: str, folder: Path) -> dict[str, np.ndarray]:
    """Run ``script`` in a fresh interpreter without symhard on the path; it saves arrays to ``folder/read.npz``."""
    code = textwrap.dedent(script) + "\nimport sys\nassert not any(m == 'symhard' or m.startswith('symhard.') for m in sys.modules)\n"
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=ENV,
                          timeout=120, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    with np.load(folder / "read.npz") as z:
        return dict(z)


def _assert_same(read: dict[str, np.ndarray], ref, names) -> None:
    for split, (xs, y) in ref.items():
        for name, x in zip(names, xs):
            np.testing.assert_array_equal(read[f"{split}_{name}"], x)
        np.testing.assert_array_equal(read[f"{split}_y"], y)


def test_npz_loads_with_numpy_alone_and_equals_the_harness(tmp_path):
    meta = _export(tmp_path, "npz")
    read = _read_without_symhard("""
        import json, sys, numpy as np
        root = sys.argv[1] + "/npz"
        meta = json.load(open(root + "/metadata.json"))
        out = {}
        for split in ("train", "val", "test"):
            with np.load(f"{root}/{split}.npz") as z:
                for k in z.files:
                    out[f"{split}_{k}"] = z[k]
        np.savez(sys.argv[1] + "/read.npz", **out)
    """, tmp_path)
    _assert_same(read, _reference(), ["X", "A"])
    assert meta["targets"] == ["y_hard_s0", "y_hard_s1", "y_control_s0", "y_control_s1"]
    assert (meta["n_train"], meta["n_val"], meta["n_test"]) == (80, 20, 20)


def test_parquet_loads_with_pyarrow_and_pandas_alone(tmp_path):
    _export(tmp_path, "parquet")
    read = _read_without_symhard("""
        import json, sys, numpy as np, pyarrow.parquet as pq, pandas as pd
        root = sys.argv[1] + "/parquet"
        out = {}
        for split in ("train", "val", "test"):
            table = pq.read_table(f"{root}/{split}.parquet")
            meta = json.loads(table.schema.metadata[b"symhard"])
            df = pd.read_parquet(f"{root}/{split}.parquet")
            for inp in meta["inputs"]:
                out[f"{split}_{inp['name']}"] = np.stack(df[inp["name"]].to_numpy()).reshape(-1, *inp["shape"])
            out[f"{split}_y"] = df[meta["targets"]].to_numpy()
        np.savez(sys.argv[1] + "/read.npz", **out)
    """, tmp_path)
    _assert_same(read, _reference(), ["X", "A"])


def test_parquet_reads_in_duckdb(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    _export(tmp_path, "parquet")
    n = duckdb.sql(f"select count(*) from '{tmp_path / 'parquet' / 'train.parquet'}'").fetchone()[0]
    assert n == 80


@pytest.mark.slow
def test_pyg_loads_with_torch_geometric_alone(tmp_path):
    pytest.importorskip("torch_geometric")
    _export(tmp_path, "pyg")
    read = _read_without_symhard("""
        import sys, numpy as np, torch
        from torch_geometric.utils import to_dense_adj
        sys.path.insert(0, sys.argv[1] + "/pyg")
        from dataset import SymhardDataset
        out = {}
        for split in ("train", "val", "test"):
            ds = SymhardDataset(sys.argv[1] + "/pyg", split=split)
            X, A, Y = [], [], []
            for g in ds:
                X.append(g.x.numpy())
                # edge u -> v is A[v, u]
                A.append(to_dense_adj(g.edge_index, max_num_nodes=g.num_nodes)[0].T.numpy())
                Y.append(g.y[0].numpy())
            out[f"{split}_X"], out[f"{split}_A"], out[f"{split}_y"] = np.stack(X), np.stack(A), np.stack(Y)
            assert ds.metadata["task"] == "gnn-features"
        np.savez(sys.argv[1] + "/read.npz", **out)
    """, tmp_path)
    _assert_same(read, _reference(), ["X", "A"])


def test_export_other_tasks_and_the_certificate(tmp_path):
    meta = _export(tmp_path, "npz", task="boolean-parity", size=6)
    assert meta["task"] == "boolean" and meta["family"] == "boolean-parity"
    cert = meta["certificate"]
    assert cert is not None and cert["family"] == "boolean-parity" and cert["params"]["group"] == "cyclic:6"
    with np.load(tmp_path / "npz" / "train.npz") as z:
        ref = _reference("boolean", size=6)
        np.testing.assert_array_equal(z["x"], ref["train"][0][0])
        assert set(np.unique(z["x"])) <= {-1.0, 1.0}
    # a certificate that cannot be computed at this size says why, in one line
    meta = _export(tmp_path / "small", "npz", task="frames", size=4)
    assert meta["certificate"] is None and "single orbit of 4-subsets" in meta["reason"] and "\n" not in meta["reason"]
    assert json.loads((tmp_path / "small" / "npz" / "metadata.json").read_text())["reason"] == meta["reason"]


@pytest.mark.parametrize("kw, message", [
    (dict(task="cnn", fmt="pyg"), "the pyg format is for graph tasks"),
    (dict(task="nope", fmt="npz"), "unknown task or family 'nope'"),
    (dict(task="gnn-features", fmt="csv"), "format must be one of npz, parquet, pyg"),
    (dict(task="gnn-features", fmt="npz", options={"k": 3}), "option k must be an even integer"),
    (dict(task="gnn-features", fmt="npz", options={"colour": 3}), "colour"),
    (dict(task="gnn-features", fmt="npz", samples=10**9), "raise the limit with --max-memory"),
])
def test_export_bad_input_writes_nothing(tmp_path, kw, message):
    from symhard.export import export

    task, fmt = kw.pop("task"), kw.pop("fmt")
    with pytest.raises(InvalidParameterError, match=None) as exc:
        export(task, fmt=fmt, out=tmp_path / "o", **{**SIZE, **kw})
    assert message in str(exc.value)
    assert not (tmp_path / "o").exists()


def test_export_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "npz").mkdir()
    (tmp_path / "npz" / "mine.txt").write_text("keep")
    with pytest.raises(InvalidParameterError, match="not empty"):
        _export(tmp_path, "npz")
    _export(tmp_path, "npz", force=True)
    assert (tmp_path / "npz" / "mine.txt").read_text() == "keep"


def test_cli_export(tmp_path, capsys):
    from symhard.cli import main

    main(["export", "gnn-features", "--size", "4", "--members", "1", "--samples", "50", "--n-test", "10",
          "--format", "npz", "--out", str(tmp_path / "e"), "--option", "k=4", "--json"])
    meta = json.loads(capsys.readouterr().out)
    assert meta["options"]["k"] == 4 and meta["files"] == ["train.npz", "val.npz", "test.npz", "metadata.json"]


GIN_USER = '''
import torch
from torch import nn
from torch_geometric.nn import GINConv, global_add_pool


class GIN(nn.Module):
    """One GINConv layer (trainable eps), sum pooling, a linear head: PyG code, no symhard."""

    def __init__(self, d, hidden=16):
        super().__init__()
        self.conv = GINConv(nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden)), train_eps=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, edge_index, batch, num_graphs):
        h = torch.relu(self.conv(x, edge_index))
        return self.head(global_add_pool(h, batch, size=num_graphs))[:, 0]


class DenseGIN(nn.Module):
    """What symhard bench calls: dense (X, A); a nonzero A[b, v, u] is the edge u -> v, as in the export."""

    def __init__(self, d):
        super().__init__()
        self.gin = GIN(d)

    def forward(self, X, A):
        B, n, d = X.shape
        bvu = A.nonzero()
        edge_index = torch.stack([bvu[:, 0] * n + bvu[:, 2], bvu[:, 0] * n + bvu[:, 1]])
        return self.gin(X.reshape(B * n, d), edge_index, torch.arange(B).repeat_interleave(n), B)


def make_model(info):
    return DenseGIN(info.input_shapes[0][-1])
'''

TRAIN_FROM_EXPORT = """
import json, sys
import numpy as np, torch
from torch_geometric.data import Batch
root, user, lr, steps, b = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, root)
sys.path.insert(0, user)
from dataset import SymhardDataset
from gin_user import DenseGIN
train, val, test = (SymhardDataset(root, split=s) for s in ("train", "val", "test"))
meta = train.metadata
col = meta["targets"].index("y_hard_s0")
h, v = meta["harness_seed"], meta["param_value"]
init = int(np.random.SeedSequence([h, v, 3, 0, int(lr * 1e12)]).generate_state(1, dtype=np.uint64)[0] % 2**62)
torch.manual_seed(init)
model = DenseGIN(train[0].x.shape[1])
opt = torch.optim.Adam(model.parameters(), lr=lr)
g = torch.Generator().manual_seed(meta["training_protocol"]["batch_seed"])
for _ in range(steps):
    idx = torch.randint(len(train), (b,), generator=g)
    batch = Batch.from_data_list([train[int(i)] for i in idx])
    loss = ((model.gin(batch.x, batch.edge_index, batch.batch, b) - batch.y[:, col]) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

def error(ds):
    batch = Batch.from_data_list(list(ds))
    with torch.no_grad():
        pred = model.gin(batch.x, batch.edge_index, batch.batch, len(ds)).double()
    y = batch.y[:, col].double()
    return float(((pred - y) ** 2).mean() / (y ** 2).mean())

print(json.dumps({"test_error": error(test), "val_error": error(val)}))
"""


@pytest.mark.slow
def test_gin_trained_from_the_pyg_export_matches_symhard_bench(tmp_path):
    """Same data, seeds, batches and optimizer: the error of a plain PyG training loop on the exported
    dataset equals the one ``symhard bench`` reports (up to float32 round-off of Adam's update order)."""
    pytest.importorskip("torch_geometric")
    from symhard import bench

    (tmp_path / "gin_user.py").write_text(GIN_USER)
    lr, steps, b = 1e-2, 30, 32
    _export(tmp_path, "pyg", members=1, samples=200, n_test=64)
    res = bench.run("gnn-features", {"d": [4]}, model=f"{tmp_path / 'gin_user.py'}:make_model", seeds=[0], lrs=[lr],
                    budget_samples=200, budget_steps=steps, batch_size=b, n_test=64, baseline=False)
    rec = res.records[0]
    code = TRAIN_FROM_EXPORT
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "pyg"), str(tmp_path), str(lr), str(steps), str(b)],
                          capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["test_error"] == pytest.approx(rec["test_error"], rel=1e-4, abs=1e-6)
    assert out["val_error"] == pytest.approx(rec["val_error"], rel=1e-4, abs=1e-6)
    assert 0.0 < rec["test_error"] < 5.0 and rec["test_error"] != pytest.approx(1.0, abs=1e-3)  # it trained
