"""Run every benchmark, write ``benchmarks/results.json`` and print a table (``make bench``).

    python benchmarks/run_all.py [--quick] [--only training,exact_vs_mc,walsh,reproduce] [--out FILE]
    python benchmarks/run_all.py --gpu [--quick]     (the GPU table: bench_gpu.py, CPU column beside)

``--quick`` runs every benchmark at small sizes (a smoke test of the scripts, not a
measurement). The benchmarks are kept out of the test suite; BENCHMARKS.md records a full run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_exact_vs_mc  # noqa: E402
import bench_reproduce  # noqa: E402
import bench_training  # noqa: E402
import bench_walsh  # noqa: E402
from _util import load, machine  # noqa: E402

BENCHES = {"training": bench_training, "exact_vs_mc": bench_exact_vs_mc, "walsh": bench_walsh, "reproduce": bench_reproduce}


def _fmt(x, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def print_table(results: dict) -> None:
    lines = []
    tr = results.get("training")
    if tr:
        lines.append("== training: ensemble trainer vs plain loop (models x steps / s) ==")
        lines.append(f"{'model':<48} {'loop':<34} {'dev':<5} {'M':>4} {'ensemble':>10} {'loop':>9} {'ratio':>7}")
        for r in tr["rows"] + (tr.get("gpu_rows") or []):
            lines.append(f"{r['model'][:48]:<48} {r['loop'][:34]:<34} {r['device']:<5} {r['M']:>4} "
                         f"{r['ensemble_models_steps_per_s']:>10.1f} {r['loop_models_steps_per_s']:>9.1f} {r['ratio']:>7.2f}")
        for r in tr.get("cnn_gflops") or []:
            lines.append(f"  CNN ensemble M={r['M']} ({r['device']}, {r['threads']} thr): {r['ensemble_GFLOPs']:.1f} GFLOP/s vs torch.matmul "
                         f"{r['matmul_shape']} {r['matmul_GFLOPs']:.1f} GFLOP/s ({r['fraction_of_matmul']:.0%}); "
                         f"kernel alone {r['circular_form_GFLOPs']:.1f}, previous conv1d kernel "
                         f"{r['conv1d_form_GFLOPs']:.1f} GFLOP/s")
        lines.append(f"GPU: {tr['gpu']}")
        for c in tr.get("gpu_contraction") or []:
            lines.append(f"  {c['contraction']} {c['dtype']}: {c['TFLOPs']:.1f} TFLOP/s")
    ev = results.get("exact_vs_mc")
    if ev:
        lines.append("== exact vs Monte Carlo: time to a correlation within 1e-3 ==")
        for r in ev["rows"]:
            lines.append(f"{r['family'][:70]:<70} exact {_fmt(r['exact_seconds'])} s  MC {_fmt(r['seconds'])} s "
                         f"(N={r['samples_needed']:.3g}{', extrap.' if r['extrapolated'] else ''})  ratio {r['ratio']:.3g}"
                         f"  agree={r['mc_agrees_with_exact']}")
    wa = results.get("walsh")
    if wa:
        lines.append(f"== Walsh-Hadamard 2^{wa['table_log2']} vs copy ({wa['copy_seconds'] * 1e3:.1f} ms, "
                     f"{wa['copy_bandwidth_GBps']:.2f} GB/s) ==")
        for r in wa["rows"]:
            lines.append(f"{r['what']:<50} {r['seconds'] * 1e3:9.1f} ms   ratio to copy {r['ratio_to_copy']:.1f}")
    rp = results.get("reproduce")
    if rp:
        lines.append(f"== {rp['command']}: {rp['seconds']:.1f} s, exit {rp['returncode']} ==")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes: smoke-test the scripts")
    p.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ",".join(BENCHES))
    p.add_argument("--out", default=None, help="default benchmarks/results.json (results-gpu.json with --gpu)")
    p.add_argument("--gpu", action="store_true", help="only the GPU table (bench_gpu.py): ensemble vs loop, "
                   "TFLOP/s against the peak, quick frontier time; CPU figures beside; CPU only without CUDA")
    args = p.parse_args(argv)
    if args.gpu:
        return _gpu(args.quick, args.out or str(HERE / "results-gpu.json"))
    args.out = args.out or str(HERE / "results.json")
    names = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in names if s not in BENCHES]
    if bad:
        p.error(f"unknown benchmark(s) {bad}; allowed: {', '.join(BENCHES)}")
    results = {"machine": machine(), "quick": args.quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    for name in names:
        print(f"[run_all] {name} (load {load():.2f}) ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        results[name] = BENCHES[name].run(quick=args.quick)
        results[name]["wall_seconds"] = time.perf_counter() - t0
        results[name]["load_1min_after"] = load()
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print_table(results)
    print(f"[run_all] wrote {args.out}", file=sys.stderr)
    return 0


def _gpu(quick: bool, out: str) -> int:
    import bench_gpu
    import torch

    if not torch.cuda.is_available():
        print(bench_gpu.NO_CUDA, file=sys.stderr)
    results = {"machine": machine(), "quick": quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    t0 = time.perf_counter()
    results["gpu"] = bench_gpu.run(quick=quick)
    results["gpu"]["wall_seconds"] = time.perf_counter() - t0
    Path(out).write_text(json.dumps(results, indent=2, default=str))
    print(bench_gpu.table(results["gpu"]))
    print(f"[run_all] wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
