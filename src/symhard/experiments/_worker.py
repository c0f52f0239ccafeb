"""What a process-executor worker runs first: die with the driver, ignore Ctrl-C, set threads, import.

Kept free of heavy imports (torch is imported inside :func:`worker_init`, after the death
watch is armed), so that a worker spawned just before its driver is killed notices within
milliseconds rather than after importing torch.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from typing import Sequence

__all__ = ["die_with_parent", "worker_init", "prepare"]


def prepare(imports: Sequence[str], sys_path: Sequence[str]) -> None:
    """Prepend ``sys_path`` to the module search path and import ``imports`` (user task modules)."""
    for p in reversed(list(sys_path)):
        if p not in sys.path:
            sys.path.insert(0, p)
    for mod in imports:
        importlib.import_module(mod)


def die_with_parent(parent_pid: int) -> None:
    """Make this worker exit when its parent dies: PR_SET_PDEATHSIG on Linux, a watcher thread everywhere."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the thread below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        os._exit(1)
    import multiprocessing as mp
    from multiprocessing.connection import wait as mp_wait

    parent = mp.parent_process()
    if parent is None or parent.sentinel is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        mp_wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="symhard-parent-watch", daemon=True).start()


def worker_init(threads: int, imports: Sequence[str], sys_path: Sequence[str], parent_pid: int = 0) -> None:
    if parent_pid:
        die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    import torch

    torch.set_num_threads(threads)
    prepare(imports, sys_path)
