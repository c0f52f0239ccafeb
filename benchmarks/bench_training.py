r"""The ensemble trainer against a plain PyTorch loop that trains the same M models one after another.

Two architectures of the paper, at M = 16, 64, 256 members:

* ``cnn``: the circular CNN / Z_n-averaged network f(x) = (1/n) Σ_s aᵀ ReLU(Wᵀ shift_s x)
  (n = 32, width 64): :class:`symhard.models.cnn.GroupAveragedNetwork` (ensemble axis, circular
  form: tiled circulant matrix products, ``symhard.models._circular``)
  trained by :func:`symhard.learners.gd.train_ensemble`, against a plain ``nn.Module``
  (``Conv1d`` over the circularly padded input, mean pooling, linear read-out) trained by
  ``torch.optim.Adam`` in an ordinary loop, one model after another.
* ``gnn``: the one-hidden-layer GNN f(X, A) = 1ᵀ ReLU(A X W) a (4 nodes, d = 16, width 32):
  :class:`symhard.models.gnn.OneHiddenLayerGNN` + ``train_ensemble`` against (a) a plain dense
  ``nn.Module`` and (b) the same function built from PyTorch Geometric layers
  (``GCNConv(normalize=False, add_self_loops=False, bias=False)`` computes Σ_{u→v} A_vu (XW)_u,
  then ReLU, ``global_add_pool`` and a linear read-out), each trained by ``torch.optim.Adam``.

Same data (N = 4096 training samples, one target per member), batch 128, Adam, T steps, for
everyone. The loops get their mini-batches (and PyG their sparse ``Batch`` objects) prepared
before the clock starts; the ensemble trainer's time includes drawing its mini-batches and its two test
evaluations. The plain loop's cost per model does not depend on M, so it is timed on
``min(M, loop_models)`` models and reported as a rate (models × steps / s), the quantity
compared. ``ratio`` = ensemble rate / loop rate. Each contender is measured ``repeats`` times,
alternating with the others, and keeps its best rate (the machine is shared). The CNN ensemble
is measured in both forms of GroupAveragedNetwork (``circular`` and ``generic`` gather).

CNN at the matrix-multiply rate (:func:`cnn_gflops`): the achieved GFLOP/s of the CNN ensemble's
training step (circular form; ``4·B·n²·h`` flops per member and step: ``2·B·n²·h`` forward and as
many for ∂W) and of its kernel alone (forward + ∂W), against a plain ``torch.matmul`` of the same
shapes, ``[B·n, n] × [n, M·h]``, and the previous ``conv1d`` form's kernel, timed in the same run
(alternating, best of ``repeats``).

GPU section (when CUDA is available): the same comparison on the GPU, and the achieved TFLOP/s
of the main contraction of each model (the batched matmul of the ensemble GNN hidden layer and
of the generic CNN gather form) with TF32 and with bf16.

    python benchmarks/bench_training.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

N_TRAIN, N_TEST, BATCH = 4096, 256, 128


# ------------------------------------------------------------------ plain single models
class PlainCircularCNN(nn.Module):
    """f(x) = (1/n) Σ_s aᵀ ReLU(Wᵀ shift_s x) via Conv1d on the circularly padded input."""

    def __init__(self, n: int, width: int) -> None:
        super().__init__()
        self.n = n
        self.conv = nn.Conv1d(1, width, n, bias=False)
        self.a = nn.Linear(width, 1, bias=False)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        x = F.pad(X[..., 0][:, None, :], (0, self.n - 1), mode="circular")  # [B, 1, 2n-1]
        return self.a(torch.relu(self.conv(x)).mean(-1)).squeeze(-1)


class PlainGNN(nn.Module):
    """f(X, A) = 1ᵀ ReLU(A X W) a, dense."""

    def __init__(self, d: int, width: int) -> None:
        super().__init__()
        self.W = nn.Linear(d, width, bias=False)
        self.a = nn.Linear(width, 1, bias=False)

    def forward(self, X: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        return self.a(torch.relu(A @ self.W(X))).sum((1, 2))


class PyGGNN(nn.Module):
    """The same function from PyTorch Geometric layers: GCNConv (no normalization) + global_add_pool."""

    def __init__(self, d: int, width: int) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv = GCNConv(d, width, normalize=False, add_self_loops=False, bias=False)
        self.a = nn.Linear(width, 1, bias=False)

    def forward(self, batch) -> torch.Tensor:
        from torch_geometric.nn import global_add_pool

        h = torch.relu(self.conv(batch.x, batch.edge_index, batch.edge_weight))
        return self.a(global_add_pool(h, batch.batch, size=int(batch.num_graphs))).squeeze(-1)


# ------------------------------------------------------------------ data
def _cnn_data(n: int, M: int, device: str):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(N_TRAIN + N_TEST, n, 1, generator=g)
    Y = torch.randn(M, N_TRAIN + N_TEST, generator=g)  # targets only matter for the loss value
    return (X[:N_TRAIN].to(device),), Y[:, :N_TRAIN].to(device), (X[N_TRAIN:].to(device),), Y[:, N_TRAIN:].to(device)


def _gnn_data(nodes: int, d: int, M: int, device: str):
    g = torch.Generator().manual_seed(0)
    N = N_TRAIN + N_TEST
    X = torch.randn(N, nodes, d, generator=g)
    A = torch.triu((torch.rand(N, nodes, nodes, generator=g) < 0.5).float(), 1)
    A = A + A.transpose(1, 2) + torch.eye(nodes)
    Y = torch.randn(M, N, generator=g)
    tr, te = slice(0, N_TRAIN), slice(N_TRAIN, N)
    return ((X[tr].to(device), A[tr].to(device)), Y[:, tr].to(device),
            (X[te].to(device), A[te].to(device)), Y[:, te].to(device))


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _calls_per_second(once, steps: int, device: str) -> float:
    """``steps`` calls of ``once`` per second, after one warm-up call (device synchronized around the loop)."""
    once()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        once()
    _sync(device)
    return steps / (time.perf_counter() - t0)


# ------------------------------------------------------------------ the two contenders
def _ensemble_rate(model, train_x, train_y, test_x, test_y, steps: int, device: str) -> float:
    """Mini-batches drawn uniformly from the fixed training set through a ``sampler`` (the same
    work as the finite-set mode, without its final full-training-set evaluation, whose
    ``[M, 4096, ...]`` activations do not fit in memory for the CNN at M = 256)."""
    from symhard.learners.gd import TrainConfig, train_ensemble

    def sampler(b, gen):
        idx = torch.randint(N_TRAIN, (b,), generator=gen).to(train_y.device)
        return tuple(t[idx] for t in train_x), train_y[:, idx]

    cfg = TrainConfig(optimizer="adam", lr=1e-3, steps=steps, batch_size=BATCH, eval_every=steps, device=device, seed=0)
    # one warm-up step outside the clock (allocations, kernel selection)
    train_ensemble(model, None, None, test_inputs=test_x, test_y=test_y, sampler=sampler,
                   config=TrainConfig(optimizer="adam", lr=1e-3, steps=1, batch_size=BATCH, eval_every=1, device=device))
    _sync(device)
    t0 = time.perf_counter()
    res = train_ensemble(model, None, None, test_inputs=test_x, test_y=test_y, config=cfg, sampler=sampler)
    _sync(device)
    dt = time.perf_counter() - t0
    M = train_y.shape[0]
    assert res.steps_run == steps
    return M * steps / dt


def _loop_rate(make, batches, targets, models: int, steps: int, device: str, call) -> float:
    """Train ``models`` fresh models one after another for ``steps`` Adam steps each."""
    torch.manual_seed(0)
    m0 = make().to(device)  # warm-up
    opt = torch.optim.Adam(m0.parameters(), lr=1e-3)
    loss = ((call(m0, batches[0]) - targets[0][0]) ** 2).mean()
    loss.backward()
    opt.step()
    _sync(device)
    t0 = time.perf_counter()
    for m in range(models):
        model = make().to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for t in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = ((call(model, batches[t]) - targets[t][m]) ** 2).mean()
            loss.backward()
            opt.step()
    _sync(device)
    dt = time.perf_counter() - t0
    return models * steps / dt


def _batch_indices(steps: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return [torch.randint(N_TRAIN, (BATCH,), generator=g) for _ in range(steps)]


def _best_of(repeats: int, *measures):
    """Run the measurements alternately ``repeats`` times; keep each one's best rate (robust to
    transient load from other processes on a shared machine)."""
    best = [0.0] * len(measures)
    for _ in range(repeats):
        for i, m in enumerate(measures):
            best[i] = max(best[i], m())
    return best


def bench_cnn(M: int, steps: int, loop_models: int, device: str, repeats: int = 1, n: int = 32,
              width: int = 64) -> list[dict]:
    from symhard.groups import PermutationGroup
    from symhard.models.cnn import GroupAveragedNetwork

    train_x, train_y, test_x, test_y = _cnn_data(n, M, device)
    G = PermutationGroup.cyclic(n)
    models = {form: GroupAveragedNetwork(G, n, width, ensemble=M, form=form,
                                         generator=torch.Generator().manual_seed(0)).to(device)
              for form in ("circular", "generic")}
    idx = _batch_indices(steps)
    batches = [train_x[0][i.to(device)] for i in idx]
    targets = [train_y[:, i.to(device)] for i in idx]
    circ, gen, loop = _best_of(
        repeats,
        lambda: _ensemble_rate(models["circular"], train_x, train_y, test_x, test_y, steps, device),
        lambda: _ensemble_rate(models["generic"], train_x, train_y, test_x, test_y, steps, device),
        lambda: _loop_rate(lambda: PlainCircularCNN(n, width), batches, targets, min(M, loop_models), steps, device,
                           lambda mod, b: mod(b)),
    )
    return [{"model": f"cnn (Z_{n}-averaged, width {width}), {form} form", "M": M, "steps": steps, "device": device,
             "ensemble_models_steps_per_s": ens, "loop_models_steps_per_s": loop, "loop": "plain PyTorch (Conv1d)",
             "loop_models_timed": min(M, loop_models), "ratio": ens / loop}
            for form, ens in (("circular", circ), ("generic", gen))]


def bench_gnn(M: int, steps: int, loop_models: int, device: str, pyg: bool, repeats: int = 1, nodes: int = 4,
              d: int = 16, width: int = 32) -> list[dict]:
    from symhard.models.gnn import OneHiddenLayerGNN

    train_x, train_y, test_x, test_y = _gnn_data(nodes, d, M, device)
    model = OneHiddenLayerGNN(M, d, width, generator=torch.Generator().manual_seed(0)).to(device)
    idx = [i.to(device) for i in _batch_indices(steps)]
    targets = [train_y[:, i] for i in idx]
    dense_batches = [(train_x[0][i], train_x[1][i]) for i in idx]
    measures = [
        lambda: _ensemble_rate(model, train_x, train_y, test_x, test_y, steps, device),
        lambda: _loop_rate(lambda: PlainGNN(d, width), dense_batches, targets, min(M, loop_models), steps, device,
                           lambda mod, b: mod(*b)),
    ]
    if pyg:
        from symhard.models.pyg import dense_to_batch

        pyg_batches = [dense_to_batch(X.contiguous(), A.contiguous()) for X, A in dense_batches]
        measures.append(lambda: _loop_rate(lambda: PyGGNN(d, width), pyg_batches, targets, min(M, loop_models), steps,
                                           device, lambda mod, b: mod(b)))
    rates = _best_of(repeats, *measures)
    ens, loop = rates[0], rates[1]
    rows = []
    name = f"gnn 1ᵀReLU(AXW)a ({nodes} nodes, d={d}, width {width})"
    rows.append({"model": name, "M": M, "steps": steps, "device": device, "ensemble_models_steps_per_s": ens,
                 "loop_models_steps_per_s": loop, "loop": "plain PyTorch (dense)",
                 "loop_models_timed": min(M, loop_models), "ratio": ens / loop})
    if pyg:
        loop = rates[2]
        rows.append({"model": name, "M": M, "steps": steps, "device": device, "ensemble_models_steps_per_s": ens,
                     "loop_models_steps_per_s": loop, "loop": "PyTorch Geometric (GCNConv + global_add_pool)",
                     "loop_models_timed": min(M, loop_models), "ratio": ens / loop})
    return rows


def cnn_gflops(M: int, steps: int, device: str, repeats: int = 3, n: int = 32, width: int = 64,
               threads: int | None = None) -> dict:
    """Achieved GFLOP/s of the CNN ensemble's training steps against ``torch.matmul`` of the same shapes.

    ``threads``: torch threads for both (default: unchanged); the experiment executors run every
    chunk with one thread.
    """
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _cnn_gflops(M, steps, device, repeats, n, width)
    finally:
        torch.set_num_threads(previous)


def _cnn_gflops(M: int, steps: int, device: str, repeats: int, n: int, width: int) -> dict:
    from symhard.groups import PermutationGroup
    from symhard.models.cnn import GroupAveragedNetwork

    train_x, train_y, test_x, test_y = _cnn_data(n, M, device)
    model = GroupAveragedNetwork(PermutationGroup.cyclic(n), n, width, ensemble=M, form="circular",
                                 generator=torch.Generator().manual_seed(0)).to(device)
    g = torch.Generator(device=device).manual_seed(0)
    A = torch.randn(BATCH * n, n, generator=g, device=device)
    Bm = torch.randn(n, M * width, generator=g, device=device)

    def matmul_rate() -> float:
        return _calls_per_second(lambda: torch.matmul(A, Bm), steps, device)

    xb, W0 = train_x[0][:BATCH], model.W.detach().clone().requires_grad_(True)

    def conv1d_rate() -> float:
        """Forward + ∂W of the previous circular form: one conv1d, M·width output channels (no optimizer)."""
        def once():
            x = xb.permute(0, 2, 1).reshape(BATCH, 1, n)
            pre = F.conv1d(torch.cat([x, x[..., : n - 1]], -1), W0.permute(0, 2, 1).reshape(M * width, 1, n))
            torch.relu(pre).sum().backward()
        return _calls_per_second(once, steps, device)

    def circular_rate() -> float:
        """Forward + ∂W of the circular form's kernel alone (symhard.models._circular.circular_pool)."""
        from symhard.models._circular import circular_pool

        def once():
            circular_pool(xb.reshape(1, BATCH, n), W0.permute(1, 0, 2).reshape(1, n, M * width), None, "relu").sum().backward()
        return _calls_per_second(once, steps, device)

    ens, mm, conv, circ = _best_of(repeats, lambda: _ensemble_rate(model, train_x, train_y, test_x, test_y, steps, device),
                                   matmul_rate, conv1d_rate, circular_rate)
    flops_member_step = 4 * BATCH * n * n * width
    ens_gflops = ens * flops_member_step / 1e9
    mm_gflops = mm * 2 * BATCH * n * n * M * width / 1e9
    conv_gflops = conv * flops_member_step * M / 1e9
    return {"model": f"cnn (Z_{n}-averaged, width {width}), circular form", "M": M, "steps": steps, "device": device,
            "batch": BATCH, "threads": torch.get_num_threads(), "ensemble_GFLOPs": ens_gflops, "matmul_GFLOPs": mm_gflops,
            "matmul_shape": f"[{BATCH * n}, {n}] x [{n}, {M * width}]", "fraction_of_matmul": ens_gflops / mm_gflops,
            "conv1d_form_GFLOPs": conv_gflops, "circular_form_GFLOPs": circ * flops_member_step * M / 1e9,
            "note": "ensemble: train_ensemble steps incl. mini-batch drawing, Adam and two test evaluations; "
                    "circular_form / conv1d_form: forward + dW of the kernel alone (no optimizer, no data)"}


def contraction_tflops(device: str, dtype: torch.dtype, M: int = 256, B: int = 1024, nodes: int = 4, d: int = 64,
                       width: int = 256, n: int = 64, repeat: int = 20) -> list[dict]:
    """Achieved TFLOP/s of the main contraction of each ensemble model.

    GNN hidden layer: Z[B·nodes, d] × W[M, d, width] (2·M·B·nodes·d·width flops).
    CNN generic form: the shifted inputs [M, B·n, n] × W[M, n, width] (2·M·B·n·n·width flops).
    """
    from symhard.learners.device import precision_flags  # TF32 on (the new flag API; never mixed with the legacy one)

    with precision_flags("tf32", torch.device(device)):
        return _contraction_tflops(device, dtype, M, B, nodes, d, width, n, repeat)


def _contraction_tflops(device: str, dtype: torch.dtype, M: int, B: int, nodes: int, d: int, width: int, n: int,
                        repeat: int) -> list[dict]:
    out = []
    g = torch.Generator(device=device).manual_seed(0)
    cases = [
        ("gnn hidden layer einsum('bd,mdw->mbw')", (B * nodes, d), (M, d, width), 2 * M * B * nodes * d * width,
         lambda x, w: torch.einsum("bd,mdw->mbw", x, w)),
        ("cnn generic bmm [M,B*n,n]x[M,n,w]", (M, B * n // 8, n), (M, n, width), 2 * M * (B * n // 8) * n * width,
         lambda x, w: torch.bmm(x, w)),
    ]
    for name, xs, ws, flops, fn in cases:
        x = torch.randn(*xs, generator=g, device=device, dtype=dtype)
        w = torch.randn(*ws, generator=g, device=device, dtype=dtype)
        dt = 1.0 / _calls_per_second(lambda: fn(x, w), repeat, device)
        out.append({"contraction": name, "dtype": str(dtype).replace("torch.", ""), "device": device,
                    "seconds": dt, "TFLOPs": flops / dt / 1e12})
    return out


def run(quick: bool = False) -> dict:
    try:
        import torch_geometric  # noqa: F401

        pyg = True
    except ImportError:
        pyg = False
    Ms = (16, 64) if quick else (16, 64, 256)
    steps = 5 if quick else 20
    loop_models = 4 if quick else 8
    repeats = 1 if quick else 3
    rows = []
    for M in Ms:
        rows.extend(bench_cnn(M, steps, loop_models, "cpu", repeats))
        rows.extend(bench_gnn(M, steps, loop_models, "cpu", pyg, repeats))
    gflops = [cnn_gflops(M, 3 if quick else 10, "cpu", repeats, threads=th)
              for M in ((16,) if quick else (64, 256)) for th in (1, torch.get_num_threads())]
    result = {"name": "training", "rows": rows, "cnn_gflops": gflops, "cpu_threads": torch.get_num_threads(),
              "goal": ">= 5x on a 2-core CPU and >= 50x on one H100-class GPU at M >= 64"}
    if torch.cuda.is_available():
        gpu_rows = []
        for M in (16, 64, 256):
            gpu_rows.extend(bench_cnn(M, 200, 16, "cuda", 2))
            gpu_rows.extend(bench_gnn(M, 200, 16, "cuda", pyg, 2))
        result["gpu_rows"] = gpu_rows
        result["gpu"] = torch.cuda.get_device_name(0)
        result["gpu_contraction"] = (contraction_tflops("cuda", torch.float32, repeat=50)
                                     + contraction_tflops("cuda", torch.bfloat16, repeat=50))
    else:
        result["gpu_rows"] = None
        result["gpu"] = "not measured: CUDA is not available on this machine"
        # exercise the measuring code on the CPU at a small size (not a GPU number)
        result["cpu_contraction_smoke"] = contraction_tflops("cpu", torch.float32, M=16, B=64, repeat=2)
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    print(json.dumps(run(p.parse_args().quick), indent=2))
