"""Executors: run chunks serially, on a local process pool, or as Ray tasks, streaming results back.

Every executor is a generator ``execute(chunks, ...) -> Iterator[ChunkResult]`` that yields each
chunk's result as soon as it is finished (in completion order, not submission order). The caller
(:mod:`symhard.experiments.runner`) is the only writer of the store, so a worker never touches the
results folder and a Ray worker on another machine needs no shared disk.

* ``serial``: one chunk after the other in this process.
* ``process``: a :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method, one torch
  thread per worker) with at most ``2 * workers`` chunks in flight (backpressure).
* ``ray``: ``address="auto"``, ``"host:port"`` or ``"ray://host:port"`` joins an existing cluster;
  without an address a local Ray is started with ``workers`` CPUs. Each chunk is a Ray task that
  declares its :class:`ChunkResources` (``num_cpus`` = its torch threads, ``num_gpus`` = its GPU
  fraction when the chunk runs on CUDA), so Ray places CUDA chunks on GPU nodes only and CPU chunks
  anywhere. Before anything is submitted the cluster's live nodes are checked: a chunk that no node
  can hold (a GPU chunk on a CPU-only cluster) is refused with one line instead of waiting forever.
  A task whose worker or node dies is resubmitted up to :data:`RAY_MAX_RETRIES` times (an exception
  raised by the chunk itself is not retried). At most ``max_in_flight`` tasks are pending at once
  (default twice the cluster's task slots) and ``ray.wait`` streams results back as they finish.

What runs is ``work(item, device)`` for each item (default :func:`~symhard.experiments.sweep.run_chunk`
on :class:`~symhard.experiments.sweep.Chunk` items); ``work`` must be a module-level function and each
item must carry a ``chunk_id`` (a name for progress and Ray). The bench suite sends its tasks this way.

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
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ..errors import InvalidParameterError
from ..resources import available_cpus
from ._worker import prepare as _prepare
from ._worker import worker_init as _worker_init
from .sweep import Chunk, ChunkResult, run_chunk

__all__ = ["EXECUTORS", "RAY_MAX_RETRIES", "ChunkResources", "execute", "check_executor", "check_device",
           "check_cluster", "check_fits", "available_cpus", "probe_ray_address"]

EXECUTORS = ("serial", "process", "ray")
#: How often Ray resubmits a chunk whose worker process or node died (``max_retries`` of every task).
RAY_MAX_RETRIES = 3


@dataclass(frozen=True)
class ChunkResources:
    """What one chunk asks of the node that runs it: ``cpus`` (its torch threads) and ``gpu_fraction``.

    On Ray these are the task's ``num_cpus`` and ``num_gpus`` (:meth:`ray_options`): Ray starts a
    chunk only on a node with that much free, so on a mixed cluster CUDA chunks go to GPU nodes and
    at most ``1 / gpu_fraction`` of them share one GPU, while CPU chunks (``gpu_fraction = 0``) use
    any node's CPUs. :meth:`for_device` derives them from the run's device.
    """

    cpus: float = 1.0
    gpu_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.cpus, (int, float)) and self.cpus > 0):
            raise InvalidParameterError(f"a chunk's cpus must be a positive number; got {self.cpus!r}.")
        if not (isinstance(self.gpu_fraction, (int, float)) and 0 <= self.gpu_fraction <= 1):
            raise InvalidParameterError(f"a chunk's gpu_fraction must be in [0, 1]; got {self.gpu_fraction!r}.")

    @classmethod
    def for_device(cls, device: str, threads: int | None = 1, gpu_fraction: float = 1.0) -> "ChunkResources":
        """``cpu``: ``threads`` CPUs, no GPU; ``cuda``: ``threads`` CPUs and ``gpu_fraction`` of a GPU."""
        return cls(cpus=float(threads or 1), gpu_fraction=float(gpu_fraction) if device == "cuda" else 0.0)

    def ray_options(self) -> dict[str, float]:
        """The Ray task options that declare these resources."""
        return {"num_cpus": self.cpus, "num_gpus": self.gpu_fraction}


def check_fits(resources: ChunkResources, nodes: Sequence[dict[str, float]], where: str = "the Ray cluster") -> None:
    """Refuse (one line) when no node of ``nodes`` (each a Ray resource dict) can hold one chunk.

    Ray would otherwise keep an infeasible task pending forever. A cluster that autoscales counts
    only the nodes it has now: start one node of the needed kind first.
    """
    def fits(r: dict[str, float]) -> bool:
        return r.get("CPU", 0.0) >= resources.cpus and r.get("GPU", 0.0) >= resources.gpu_fraction

    if any(fits(r) for r in nodes):
        return
    have = ", ".join(f"{r.get('CPU', 0):g} CPU + {r.get('GPU', 0):g} GPU" for r in nodes) or "no live node"
    need = f"{resources.cpus:g} CPU" + (f" + {resources.gpu_fraction:g} GPU" if resources.gpu_fraction else "")
    hint = ("use --device cpu or auto, or add a GPU node" if resources.gpu_fraction
            else "use fewer --threads, or add a larger node")
    raise InvalidParameterError(f"each chunk needs {need} but no node of {where} has that (nodes: {have}); {hint}.")


def check_device(device: str, executor: str, address: str | None = None) -> None:
    """Validate ``device``; CUDA must exist here unless the chunks run on a Ray cluster at ``address``
    (then :func:`check_cluster` checks its nodes)."""
    if executor == "ray" and address:
        if device not in ("cpu", "cuda", "auto"):
            raise InvalidParameterError(f"device must be one of 'auto', 'cpu', 'cuda'; got {device!r}.")
        return
    from ..learners.gd import resolve_device

    resolve_device(device)


def check_cluster(executor: str, address: str | None, device: str = "cpu", threads: int | None = 1,
                  resources: ChunkResources | None = None) -> None:
    """Join the Ray cluster at ``address`` and check that a live node can hold one chunk (one line if not).

    Callers run it before they write anything; :func:`execute` then reuses the connection. A no-op
    unless ``executor == "ray"`` with an address (a local Ray is this machine: :func:`check_device`).
    """
    if executor != "ray" or not address:
        return
    ray = _import_ray()
    _join_ray(ray, address, None)
    _ray_plan(ray, device, threads, resources, address)


def _run(chunk: Any, device: str, imports: Sequence[str], sys_path: Sequence[str], threads: int | None = 0,
         work: Callable[[Any, str], Any] = run_chunk) -> Any:
    if threads:
        import torch

        torch.set_num_threads(threads)
    _prepare(imports, sys_path)
    return work(chunk, device)


def _serial(chunks, device, threads, imports, sys_path, work) -> Iterator[Any]:
    import torch

    _prepare(imports, sys_path)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or previous)
    try:
        for c in chunks:
            yield work(c, device)
    finally:
        torch.set_num_threads(previous)


def _process(chunks, device, workers, threads, imports, sys_path, work) -> Iterator[Any]:
    import multiprocessing as mp

    workers = workers or available_cpus()
    todo = list(chunks)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                               initargs=(threads or 1, list(imports), list(sys_path), os.getpid()))
    finished = False
    try:
        pending = set()
        while todo or pending:
            while todo and len(pending) < 2 * workers:
                pending.add(pool.submit(_run, todo.pop(0), device, list(imports), list(sys_path), 0, work))
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


def _ray_messages_to_stderr() -> None:
    """Send the messages Ray's driver relays from the raylets (e.g. "Task failed ... will be retried"
    after a node died) to stderr, where diagnostics belong: Ray prints them on stdout, which carries
    ``--json``. It wraps a private Ray function; where Ray's internals differ this does nothing."""
    try:
        from ray._private import worker as ray_worker
    except Exception:  # noqa: BLE001 - not this Ray (or a stand-in): leave it as it is
        return
    original = getattr(ray_worker, "print_to_stdstream", None)
    if not callable(original) or getattr(original, "symhard_stderr", False):
        return

    def to_stderr(data: dict, *args: Any, **kwargs: Any) -> Any:
        return original({**data, "is_err": True}, *args, **kwargs)

    to_stderr.symhard_stderr = True  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = to_stderr


def _join_ray(ray: Any, address: str | None, workers: int | None) -> bool:
    """Join the cluster at ``address`` (or start a local Ray); True when this call started it."""
    _ray_messages_to_stderr()
    if ray.is_initialized():
        return False
    try:
        if address:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            return False
        ray.init(num_cpus=workers or available_cpus(), include_dashboard=False,
                 ignore_reinit_error=True, log_to_driver=False)
        return True
    except Exception as err:  # noqa: BLE001 - Ray raises many types; the user needs one line
        where = f"at {address!r}" if address else "locally"
        raise InvalidParameterError(f"cannot start or join Ray {where}: {type(err).__name__}: "
                                    f"{' '.join(str(err).split())[:300]}") from None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InvalidParameterError("executor 'ray' needs the ray extra: pip install 'symhard[ray]'.") from None
    return ray


def _ray_plan(ray: Any, device: str, threads: int | None, resources: ChunkResources | None,
              address: str | None) -> tuple[str, ChunkResources, dict[str, float]]:
    """(device of the tasks, resources of one chunk, the cluster's resources); refuses what no node holds."""
    res = ray.cluster_resources()
    remote_device = ("cuda" if res.get("GPU", 0) > 0 else "cpu") if device == "auto" else device
    need = resources or ChunkResources.for_device(remote_device, threads)
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive", n.get("alive", False))]
    check_fits(need, nodes, f"the Ray cluster at {address!r}" if address else "the local Ray")
    return remote_device, need, res


def _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path, work,
         resources: ChunkResources | None) -> Iterator[Any]:
    ray = _import_ray()
    started = _join_ray(ray, address, workers)
    try:
        remote_device, need, res = _ray_plan(ray, device, threads, resources, address)
        task = ray.remote(**need.ray_options(), max_retries=RAY_MAX_RETRIES, retry_exceptions=False)(_run)
        slots = (res.get("GPU", 0) / need.gpu_fraction) if need.gpu_fraction else res.get("CPU", 1) / need.cpus
        limit = max_in_flight or max(2, 2 * int(slots))
        todo = list(chunks)
        pending = []
        while todo or pending:
            while todo and len(pending) < limit:
                pending.append(task.options(name=f"symhard:{todo[0].chunk_id}").remote(
                    todo.pop(0), remote_device, list(imports), list(sys_path), threads, work))
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def execute(
    chunks: Sequence[Any],
    *,
    executor: str = "serial",
    device: str = "cpu",
    workers: int | None = None,
    address: str | None = None,
    max_in_flight: int | None = None,
    threads: int | None = 1,
    imports: Sequence[str] = (),
    sys_path: Sequence[str] = (),
    work: Callable[[Any, str], Any] = run_chunk,
    resources: ChunkResources | None = None,
) -> Iterator[Any]:
    """Run ``work(chunk, device)`` for every chunk with the chosen executor; yield each result when finished.

    ``threads=None`` leaves torch's thread count as it is (serial only; pools and Ray use one);
    ``resources`` overrides what each Ray task declares (default :meth:`ChunkResources.for_device`).
    """
    check_executor(executor, workers=workers, threads=threads, address=address)
    if executor == "serial":
        return _serial(chunks, device, threads, imports, sys_path, work)
    if executor == "process":
        return _process(chunks, device, workers, threads, imports, sys_path, work)
    return _ray(chunks, device, workers, address, max_in_flight, threads, imports, sys_path, work, resources)


def check_executor(executor: str, *, workers: int | None = None, threads: int | None = 1, address: str | None = None) -> None:
    """Validate executor arguments (before anything runs or is written); one line on failure."""
    if executor not in EXECUTORS:
        raise InvalidParameterError(f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}.")
    cpus = available_cpus()
    for name, v in (("threads", threads), ("workers", workers)):
        if v is None:
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
