"""Walsh–Hadamard transform of a 2^24 table against the memory-bandwidth bound, measured in one run.

The bound: any transform must read and write the whole table at least once, so it can be no
faster than one plain copy of the table (``np.copyto``: one read + one write of N·8 bytes),
timed here on the same array in the same run. ``ratio = t_fwht / t_copy`` (goal: ≤ 2).
``symhard.queries.walsh.fwht`` makes log2(N) butterfly passes over the table; each pass reads
and writes it (plus a half-size temporary), so a pass-per-level implementation is bounded
below by about log2(N) copies once the table is larger than the caches.

    python benchmarks/bench_walsh.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import best_time  # noqa: E402


def run(quick: bool = False) -> dict:
    from symhard.queries.walsh import fwht, fwht_torch

    log2n = 20 if quick else 24
    N = 1 << log2n
    rng = np.random.default_rng(0)
    a = rng.standard_normal(N)
    b = np.empty_like(a)
    repeat = 2 if quick else 3
    t_copy = best_time(lambda: np.copyto(b, a), repeat=repeat + 2, min_time=0.05)
    bandwidth = 2 * a.nbytes / t_copy  # bytes read + written per second
    # correctness spot check on a small table against the definition (H_8 from scipy)
    from scipy.linalg import hadamard

    small = rng.standard_normal((3, 8))
    assert np.allclose(fwht(small), small @ hadamard(8).T)
    t_np = best_time(lambda: fwht(a), repeat=repeat)
    at = torch.from_numpy(a)
    t_torch = best_time(lambda: fwht_torch(at), repeat=repeat)
    rows = [
        {"what": f"fwht numpy, 2^{log2n} float64", "seconds": t_np, "copy_seconds": t_copy, "ratio_to_copy": t_np / t_copy},
        {"what": f"fwht_torch, 2^{log2n} float64 ({torch.get_num_threads()} threads)", "seconds": t_torch,
         "copy_seconds": t_copy, "ratio_to_copy": t_torch / t_copy},
    ]
    return {
        "name": "walsh",
        "table_log2": log2n,
        "table_bytes": a.nbytes,
        "copy_seconds": t_copy,
        "copy_bandwidth_GBps": bandwidth / 1e9,
        "passes": log2n,
        "rows": rows,
        "goal": "t_fwht <= 2 x t_copy",
        "goal_met": bool(min(t_np, t_torch) <= 2 * t_copy),
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    print(json.dumps(run(p.parse_args().quick), indent=2))
