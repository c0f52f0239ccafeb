"""Executors: run chunks serially, on a local process pool, or as Ray tasks, streaming results back.

Every executor is a generator ``execute(chunks, ...) -> Iterator[ChunkResult]`` that yields each
chunk's result as soon as it is finished (in completion order, not submission order). The caller
(:mod:`symhard.experiments.runner`) is the only writer of the store, so a worker never touches the
results folder and a Ray worker on another machine needs no shared disk.

* ``serial``: one chunk after the other in this process.
* ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method, one torch
  thread per worker) with at most ``2 * workers`` chunks in flight (backpressure).
* ``ray``: ``address="auto"`` (or ``"ray://host:port"``) joins an existing cluster; without an
  address a local Ray is started with ``workers`` CPUs. Each chunk is a Ray task asking for one CPU,
  or one GPU when ``device`` is ``"cuda"``/``"auto"`` and the cluster has GPUs; at most ``max_in_flight``
  tasks are pending at once (default twice the cluster's task slots) and ``ray.wait`` streams
  results back as they finish.

Threads: every chunk runs with ``threads`` torch threads (default 1). The ensembles are small,
and on a shared 2-core machine one thread per chunk measured 5x faster than two (thread
contention); parallelism comes from the executors instead. The same thread count everywhere
also makes all executors give bit-identical numbers on CPU.

Workers import ``imports`` (module names, e.g. a user's module that registers its own tasks)
before running a chunk, and prepend ``sys_path`` to their module search path (local runs).
"""

from __future__ import annotations

import importlib
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterator, Sequence

from ..errors import InvalidParameterError
from .sweep import Chunk, ChunkResult, run_chunk

__all__ = ["EXECUTORS", "execute"]

EXECUTORS = ("serial", "process", "ray")


def _prepare(imports: Sequence[str], sys_path: Sequence[str]) -> None:
    for p in reversed(list(sys_path)):
        if p not in sys.path:
            sys.path.insert(0, p)
    for mod in imports:
        importlib.import_module(mod)


def _worker_init(threads: int, imports: Sequence[str], sys_path: Sequence[str]) -> None:
    import torch

    torch.set_num_threads(threads)
    _prepare(imports, sys_path)


def _run(chunk: Chunk, device: str, imports: Sequence[str], sys_path: Sequence[str], threads: int = 0) -> ChunkResult:
    if threads:
        import torch

        torch.set_num_threads(threads)
    _prepare(imports, sys_path)
    return run_chunk(chunk, device)


def _serial(chunks, device, threads, imports, sys_path) -> Iterator[ChunkResult]:
    import torch

    _prepare(imports, sys_path)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for c in chunks:
            yield run_chunk(c, device)
    finally:
        torch.set_num_threads(previous)


def _process(chunks, device, workers, threads, imports, sys_path) -> Iterator[ChunkResult]:
    import multiprocessing as mp

    workers = workers or max(1, os.cpu_count() or 1)
    todo = list(chunks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                             initializer=_worker_init, initargs=(threads, list(imports), list(sys_path))) as pool:
        pending = set()
        while todo or pending:
            while todo and len(pending) < 2 * workers:
                pending.add(pool.submit(_run, todo.pop(0), device, list(imports), list(sys_path)))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()


def _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path) -> Iterator[ChunkResult]:
    try:
        import ray
    except ImportError:
        raise InvalidParameterError("executor 'ray' needs the ray extra: pip install 'symhard[ray]'.") from None
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or max(1, os.cpu_count() or 1), include_dashboard=False,
                     ignore_reinit_error=True, log_to_driver=False)
            started = True
    try:
        res = ray.cluster_resources()
        gpus = int(res.get("GPU", 0))
        use_gpu = device in ("cuda", "auto") and gpus > 0
        remote_device = ("cuda" if use_gpu else "cpu") if device == "auto" else device
        task = ray.remote(num_cpus=1, num_gpus=1 if use_gpu else 0)(_run)
        slots = gpus if use_gpu else max(1, int(res.get("CPU", 1)))
        limit = max_in_flight or 2 * slots
        todo = list(chunks)
        pending = []
        while todo or pending:
            while todo and len(pending) < limit:
                pending.append(task.options(name=f"symhard:{todo[0].chunk_id}").remote(
                    todo.pop(0), remote_device, list(imports), list(sys_path), threads))
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def execute(
    chunks: Sequence[Chunk],
    *,
    executor: str = "serial",
    device: str = "cpu",
    workers: int | None = None,
    address: str | None = None,
    max_in_flight: int | None = None,
    threads: int = 1,
    imports: Sequence[str] = (),
    sys_path: Sequence[str] = (),
) -> Iterator[ChunkResult]:
    """Run ``chunks`` with the chosen executor and yield each :class:`ChunkResult` when finished."""
    if executor not in EXECUTORS:
        raise InvalidParameterError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}.")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InvalidParameterError(f"workers must be a positive integer; got {workers!r}.")
    if not isinstance(threads, int) or threads < 1:
        raise InvalidParameterError(f"threads must be a positive integer; got {threads!r}.")
    if address and executor != "ray":
        raise InvalidParameterError("--address only applies to --executor ray.")
    if executor == "serial":
        return _serial(chunks, device, threads, imports, sys_path)
    if executor == "process":
        return _process(chunks, device, workers, threads, imports, sys_path)
    return _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path)
