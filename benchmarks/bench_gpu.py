r"""One GPU at full speed, with the CPU figures beside it: one command, one table.

    python benchmarks/run_all.py --gpu            (or: python benchmarks/bench_gpu.py [--quick])

Measures, on the CPU always and on CUDA when ``torch.cuda.is_available()``:

1. **ensemble vs plain loop** at M = 64 and 256 for the GNN ``1ᵀReLU(AXW)a`` (4 nodes, d = 16,
   width 32) and the circular CNN (n = 32, width 64): models × steps per second of
   :func:`symhard.learners.gd.train_ensemble` against ``torch.optim.Adam`` training the same
   models one after another (the helpers of ``bench_training.py``). Goal on one H100-class GPU:
   ≥ 50× at M ≥ 64.
2. **achieved TFLOP/s of the main contraction** against the device's peak, in fp32, TF32 and bf16
   (autocast), each at a size that fills the device: the GNN hidden layer
   ``einsum('bd,mdw->mbw')`` (forward) and the CNN's circular pooled pre-activation
   (:func:`symhard.models._circular.circular_pool`, forward + ∂W: ``4·R·n²·K`` flops). Peak =
   the dense spec-sheet figure of the GPU (:data:`PEAKS_TFLOPS`, matched on the device name) and
   the measured rate of a large square ``torch.matmul`` in the same precision (the attainable
   peak, the only one on the CPU).
3. **the quick frontier's wall time** (``symhard frontier gnn-features`` quick plan, into a
   temporary folder) on the GPU; on the CPU only with ``--cpu-frontier`` (it takes many
   minutes on a 2-core CPU).

Without CUDA it says so in one line and measures the CPU columns only (exit status 0). The
CPU runs with one torch thread, as the experiment executors run every chunk.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_training as bt  # noqa: E402

NO_CUDA = "bench_gpu: CUDA is not available on this machine; measuring the CPU columns only."

#: Dense (no sparsity) peak TFLOP/s from NVIDIA's data sheets: (fp32, tf32 tensor core, bf16 tensor core).
#: Matched in order on ``torch.cuda.get_device_name()``; the first key contained in the name wins.
PEAKS_TFLOPS = {
    "H100 PCIe": (51.0, 378.0, 756.0),
    "H100 NVL": (60.0, 417.5, 835.5),
    "H100": (67.0, 494.5, 989.5),  # SXM
    "H200 NVL": (60.0, 417.5, 835.5),
    "H200": (67.0, 494.5, 989.5),  # SXM
    "A100": (19.5, 156.0, 312.0),
    "L40S": (91.6, 183.0, 366.0),
    "L4": (30.3, 60.0, 121.0),
    "A10": (31.2, 62.5, 125.0),
}
PRECISIONS = ("fp32", "tf32", "bf16")


def spec_peak(name: str) -> dict[str, float] | None:
    """The spec-sheet peaks of a GPU name, or None when the name is not in :data:`PEAKS_TFLOPS`."""
    for key, peaks in PEAKS_TFLOPS.items():
        if key in name:
            return dict(zip(PRECISIONS, peaks))
    return None


def _timed(fn, device: str, repeat: int) -> float:
    """Seconds per call of ``fn`` (one warm-up call, then ``repeat`` calls between two syncs)."""
    fn()
    bt._sync(device)
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    bt._sync(device)
    return (time.perf_counter() - t0) / repeat


def matmul_peak(device: str, precision: str, size: int, repeat: int) -> float:
    """Measured TFLOP/s of ``[size, size] @ [size, size]`` in ``precision`` (bf16: bfloat16 inputs)."""
    from symhard.learners.device import precision_flags

    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    g = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, generator=g, device=device).to(dtype)
    b = torch.randn(size, size, generator=g, device=device).to(dtype)
    with precision_flags(precision, torch.device(device)):
        dt = _timed(lambda: torch.matmul(a, b), device, repeat)
    return 2 * size**3 / dt / 1e12


def contraction_tflops(device: str, precision: str, M: int, B: int, repeat: int) -> dict[str, float]:
    """Achieved TFLOP/s of the two main contractions at ensemble size ``M`` and batch ``B``."""
    from symhard.learners.device import forward_autocast, precision_flags
    from symhard.models._circular import circular_pool

    dev = torch.device(device)
    g = torch.Generator(device=device).manual_seed(0)
    nodes, d, w = 4, 64, 256  # GNN hidden layer
    z = torch.randn(B * nodes, d, generator=g, device=device)
    W = torch.randn(M, d, w, generator=g, device=device)
    n, h = 32, 64  # CNN
    x = torch.randn(1, B, n, generator=g, device=device)
    Wc = torch.randn(1, n, M * h, generator=g, device=device, requires_grad=True)

    def cnn_step():
        circular_pool(x, Wc, None, "relu").sum().backward()
        Wc.grad = None

    with precision_flags(precision, dev), forward_autocast(precision, dev):
        t_gnn = _timed(lambda: torch.einsum("bd,mdw->mbw", z, W), device, repeat)
        t_cnn = _timed(cnn_step, device, max(1, repeat // 4))
    return {"gnn": 2 * M * B * nodes * d * w / t_gnn / 1e12, "cnn": 4 * B * n * n * M * h / t_cnn / 1e12}


def ensemble_vs_loop(device: str, quick: bool) -> list[dict]:
    """Rows (model, M, ensemble rate, loop rate, ratio) at M = 64 and 256, circular CNN and GNN."""
    from symhard.groups import PermutationGroup
    from symhard.models.cnn import GroupAveragedNetwork
    from symhard.models.gnn import OneHiddenLayerGNN

    gpu = device == "cuda"
    steps = (50 if quick else 200) if gpu else (3 if quick else 10)
    loop_models = (8 if quick else 16) if gpu else 2
    rows = []
    for M in (64, 256):
        n, width = 32, 64
        tx, ty, vx, vy = bt._cnn_data(n, M, device)
        cnn = GroupAveragedNetwork(PermutationGroup.cyclic(n), n, width, ensemble=M, form="circular",
                                   generator=torch.Generator().manual_seed(0)).to(device)
        idx = [i.to(device) for i in bt._batch_indices(steps)]
        ens, loop = bt._best_of(1 if quick else 2,
                                lambda: bt._ensemble_rate(cnn, tx, ty, vx, vy, steps, device),
                                lambda: bt._loop_rate(lambda: bt.PlainCircularCNN(n, width), [tx[0][i] for i in idx],
                                                      [ty[:, i] for i in idx], min(M, loop_models), steps, device,
                                                      lambda mod, b: mod(b)))
        rows.append({"model": "cnn", "M": M, "device": device, "ensemble": ens, "loop": loop, "ratio": ens / loop})
        nodes, d, gw = 4, 16, 32
        tx, ty, vx, vy = bt._gnn_data(nodes, d, M, device)
        gnn = OneHiddenLayerGNN(M, d, gw, generator=torch.Generator().manual_seed(0)).to(device)
        ens, loop = bt._best_of(1 if quick else 2,
                                lambda: bt._ensemble_rate(gnn, tx, ty, vx, vy, steps, device),
                                lambda: bt._loop_rate(lambda: bt.PlainGNN(d, gw), [(tx[0][i], tx[1][i]) for i in idx],
                                                      [ty[:, i] for i in idx], min(M, loop_models), steps, device,
                                                      lambda mod, b: mod(*b)))
        rows.append({"model": "gnn", "M": M, "device": device, "ensemble": ens, "loop": loop, "ratio": ens / loop})
    return rows


def fill_device(device: str, M: int = 256) -> dict:
    """The ensemble size that fills the device for the CNN (n = 32, width 64, batch 128), from the estimate
    of :func:`symhard.learners.device.measure_member_bytes` and the device's free memory."""
    from symhard.groups import PermutationGroup
    from symhard.learners.device import ensemble_chunk_size, free_memory_bytes, measure_member_bytes
    from symhard.models.cnn import GroupAveragedNetwork

    n, width = 32, 64
    model = GroupAveragedNetwork(PermutationGroup.cyclic(n), n, width, ensemble=8, form="circular").to(device)
    per = measure_member_bytes(model, (torch.randn(bt.BATCH, n, 1, device=device),))
    huge = 1 << 20
    return {"bytes_per_member": per, "free_bytes": free_memory_bytes(device), "members": M,
            "chunk_size": ensemble_chunk_size(per, M, device), "fill_size": ensemble_chunk_size(per, huge, device)}


def frontier_seconds(device: str, family: str) -> float:
    """Wall time of the quick frontier of ``family`` on ``device``, into a temporary folder."""
    from symhard.frontier import run_frontier

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_frontier(family, quick=True, out=tmp, device=device)
        return time.perf_counter() - t0


def measure(device: str, quick: bool, frontier: str | None) -> dict:
    """Every figure of one device column."""
    gpu = device == "cuda"
    col: dict = {"device": device, "name": torch.cuda.get_device_name(0) if gpu else bt_machine_cpu()}
    col["ensemble_vs_loop"] = ensemble_vs_loop(device, quick)
    precisions = PRECISIONS if gpu else ("fp32",)  # a CPU has no TF32, and bf16 is emulated on most
    M, B = (256, 1024) if gpu else (64, 128)
    rep = (5 if quick else 20) if gpu else 2
    size = 8192 if gpu else 1024
    col["matmul_peak_TFLOPs"] = {p: matmul_peak(device, p, size, rep) for p in precisions}
    col["contraction_TFLOPs"] = {p: contraction_tflops(device, p, M, B, rep) for p in precisions}
    col["contraction_size"] = {"M": M, "B": B}
    col["spec_peak_TFLOPs"] = spec_peak(col["name"]) if gpu else None
    col["fill"] = fill_device(device)
    col["frontier"] = frontier
    col["frontier_seconds"] = frontier_seconds(device, frontier) if frontier else None
    return col


def bt_machine_cpu() -> str:
    from _util import machine

    m = machine()
    return f"{m['cpu']} ({m['cores']} cores)"


def run(quick: bool = False, frontier: str = "gnn-features", cpu_frontier: bool = False) -> dict:
    """The GPU table: CPU column always (one torch thread), CUDA column when available."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cpu = measure("cpu", quick, frontier if cpu_frontier else None)
    finally:
        torch.set_num_threads(previous)
    result = {"name": "gpu", "cpu": cpu, "cuda": None, "cuda_available": torch.cuda.is_available(), "frontier": frontier,
              "goal": ">= 50x ensemble vs loop on one H100-class GPU at M >= 64"}
    if torch.cuda.is_available():
        result["cuda"] = measure("cuda", quick, frontier)
    else:
        result["note"] = NO_CUDA
    return result


def table(result: dict) -> str:
    """A plain-text table: one row per quantity, a CPU and a GPU column."""
    cpu, gpu = result["cpu"], result.get("cuda")
    lines = [f"{'quantity':<52} {'CPU (1 thread)':>22} {'GPU':>22}",
             f"{'device':<52} {cpu['name'][:22]:>22} {(gpu or {}).get('name', 'none (no CUDA)')[:22]:>22}"]

    def cell(col, fn):
        try:
            return fn(col) if col else "-"
        except (KeyError, TypeError):
            return "-"

    for model in ("gnn", "cnn"):
        for M in (64, 256):
            def ratio(col, model=model, M=M):
                r = next(r for r in col["ensemble_vs_loop"] if r["model"] == model and r["M"] == M)
                return f"{r['ratio']:.1f}x ({r['ensemble']:.0f}/{r['loop']:.0f})"
            lines.append(f"{f'{model} ensemble vs loop, M={M} (models*steps/s)':<52} {cell(cpu, ratio):>22} "
                         f"{cell(gpu, ratio):>22}")
    for p in PRECISIONS:
        for what in ("gnn", "cnn"):
            def tf(col, p=p, what=what):
                got = col["contraction_TFLOPs"][p][what]
                peak = (col.get("spec_peak_TFLOPs") or {}).get(p) or col["matmul_peak_TFLOPs"][p]
                return f"{got:.3g} ({got / peak:.0%} of peak)"
            lines.append(f"{f'{what} main contraction TFLOP/s, {p}':<52} {cell(cpu, tf):>22} {cell(gpu, tf):>22}")
        def peak(col, p=p):
            return "%.3g" % col["matmul_peak_TFLOPs"][p]
        lines.append(f"{f'matmul measured peak TFLOP/s, {p}':<52} {cell(cpu, peak):>22} {cell(gpu, peak):>22}")

    def fill(col):
        f = col["fill"]
        return "%d (%.1f MB each)" % (f["fill_size"], f["bytes_per_member"] / 1e6)

    def fr(col):
        return "not run" if col["frontier_seconds"] is None else "%.0f s" % col["frontier_seconds"]
    lines.append(f"{'cnn members that fill the device (estimate)':<52} {cell(cpu, fill):>22} {cell(gpu, fill):>22}")
    lines.append(f"{'quick frontier (' + result['frontier'] + ') wall time':<52} {cell(cpu, fr):>22} {cell(gpu, fr):>22}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats (a smoke test)")
    p.add_argument("--frontier", default="gnn-features", help="family of the quick frontier that is timed")
    p.add_argument("--cpu-frontier", action="store_true", help="also time the quick frontier on the CPU (slow)")
    p.add_argument("--out", default=None, help="write the JSON here")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print(NO_CUDA, file=sys.stderr)
    res = run(args.quick, args.frontier, args.cpu_frontier)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=2, default=str))
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
