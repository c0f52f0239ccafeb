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

Limits: ``threads`` and ``workers`` may not exceed the CPUs this process may use
(:func:`available_cpus`); a larger value is refused with one line, before anything runs.

Process lifetime (``process`` executor): a worker dies with its driver. On Linux each worker
asks the kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``); everywhere, a
daemon thread in each worker waits on the parent's process sentinel and exits the worker when
it fires. Workers ignore SIGINT: a Ctrl-C reaches the driver, which stops submitting, terminates
its workers and lets the interrupt propagate (the store keeps every chunk committed so far).
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterator, Sequence

from ..errors import InvalidParameterError
from ..resources import available_cpus
from ._worker import prepare as _prepare
from ._worker import worker_init as _worker_init
from .sweep import Chunk, ChunkResult, run_chunk

__all__ = ["EXECUTORS", "execute", "check_executor", "available_cpus", "probe_ray_address"]

EXECUTORS = ("serial", "process", "ray")


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

    workers = workers or available_cpus()
    todo = list(chunks)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                               initargs=(threads, list(imports), list(sys_path), os.getpid()))
    finished = False
    try:
        pending = set()
        while todo or pending:
            while todo and len(pending) < 2 * workers:
                pending.add(pool.submit(_run, todo.pop(0), device, list(imports), list(sys_path)))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # an error, an interrupt or the consumer stopped: do not wait for running chunks
            _terminate(pool)


def _terminate(pool: ProcessPoolExecutor) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path) -> Iterator[ChunkResult]:
    try:
        import ray
    except ImportError:
        raise InvalidParameterError("executor 'ray' needs the ray extra: pip install 'symhard[ray]'.") from None
    started = False
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(num_cpus=workers or available_cpus(), include_dashboard=False,
                         ignore_reinit_error=True, log_to_driver=False)
                started = True
        except InvalidParameterError:
            raise
        except Exception as err:  # noqa: BLE001 - Ray raises many types; the user needs one line
            where = f"at {address!r}" if address else "locally"
            raise InvalidParameterError(f"cannot start or join Ray {where}: {type(err).__name__}: "
                                        f"{' '.join(str(err).split())[:300]}") from None
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
    check_executor(executor, workers=workers, threads=threads, address=address)
    if executor == "serial":
        return _serial(chunks, device, threads, imports, sys_path)
    if executor == "process":
        return _process(chunks, device, workers, threads, imports, sys_path)
    return _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path)


def check_executor(executor: str, *, workers: int | None = None, threads: int = 1, address: str | None = None) -> None:
    """Validate executor arguments (before anything runs or is written); one line on failure."""
    if executor not in EXECUTORS:
        raise InvalidParameterError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}.")
    cpus = available_cpus()
    for name, v in (("threads", threads), ("workers", workers)):
        if v is None and name == "workers":
            continue
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= cpus:
            raise InvalidParameterError(f"{name} (--{name}) == {v!r}, must be an integer in [1, {cpus}] "
                                        f"(the CPUs available to this process).")
    if address and executor != "ray":
        raise InvalidParameterError("--address only applies to --executor ray.")
    if address:
        probe_ray_address(address)


def probe_ray_address(address: str, timeout: float = 5.0) -> tuple[str, int]:
    """Check that something listens at a Ray address before ``ray.init`` (which would wait forever).

    ``address``: ``host:port`` (the GCS), ``ray://host:port`` (Ray Client) or ``auto`` (the
    address in ``RAY_ADDRESS`` or of the cluster last started on this machine).
    """
    target = address
    if address == "auto":
        target = os.environ.get("RAY_ADDRESS", "")
        if not target:
            try:
                from ray._private.utils import read_ray_address

                target = read_ray_address() or ""
            except Exception:  # noqa: BLE001 - a private Ray helper; absent means "not found"
                target = ""
        if not target:
            raise InvalidParameterError("--address auto: no running Ray cluster found on this machine; start one "
                                        "with 'ray start --head' or give --address host:port.")
    hostport = target.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidParameterError(f"--address must be host:port, ray://host:port or auto; got {address!r}.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise InvalidParameterError(f"no Ray cluster answers at {target!r} within {timeout:g} s ({err.strerror or err}); "
                                    "start one with 'ray start --head' or fix --address.") from None
    return host, int(port)
