"""Helpers shared by the benchmark scripts: timing, machine description, load."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from typing import Any, Callable


def best_time(fn: Callable[[], Any], repeat: int = 3, min_time: float = 0.0) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` (each call repeated until ``min_time`` s elapse)."""
    best = float("inf")
    for _ in range(repeat):
        calls = 0
        t0 = time.perf_counter()
        while True:
            fn()
            calls += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = min(best, dt / calls)
    return best


def load() -> float:
    """1-minute load average."""
    return os.getloadavg()[0]


def machine() -> dict[str, Any]:
    """CPU model, core count, Python / torch / numpy versions, GPU name when CUDA is available."""
    import numpy as np
    import torch

    model = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    info = {
        "cpu": model,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda": torch.cuda.is_available(),
        "load_1min_at_start": load(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info
