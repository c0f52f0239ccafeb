"""The Ray cluster as a tested promise (docs/cluster.md).

Part 1, without a cluster: every chunk declares its resources (CPUs, a GPU fraction) and they
reach Ray's task options, with retries for lost workers; a chunk that no node can hold is
refused with one line before anything is submitted (a fake ``ray`` module records the calls).

Part 2, a real cluster: two Ray nodes started on this machine as separate processes (``ray
start --head`` and ``ray start --address``, each with its own temporary folder and one CPU), a
sweep run on it through ``symhard run --executor ray --address HOST:PORT``, its rows compared
exactly with the serial run; then the worker node is killed with SIGKILL while it computes a
chunk, and the sweep still completes (Ray resubmits the lost task) -- or, were it to fail, its
rerun resumes -- with every row of the serial run exactly once. A CUDA sweep on this CPU-only
cluster fails with one line. The test stops only the processes it started: those whose
command line names its own temporary folder, and their descendants.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from symhard.errors import InvalidParameterError
from symhard.experiments import executors
from symhard.experiments.executors import RAY_MAX_RETRIES, ChunkResources, check_fits, execute

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ part 1: resources, no cluster
@dataclass(frozen=True)
class _Item:
    chunk_id: str


def _echo(item: _Item, device: str) -> tuple[str, str]:
    """A stand-in for run_chunk: says which item ran on which device."""
    return item.chunk_id, device


class _FakeRemote:
    def __init__(self, ray: "_FakeRay", fn) -> None:
        self.ray, self.fn = ray, fn

    def options(self, **kw):
        self.ray.names.append(kw.get("name"))
        return self

    def remote(self, *args):
        return self.fn(*args)  # the "object ref" is the result itself


class _FakeRay:
    """Just enough of ``ray`` for the executor: records the task options it is given."""

    def __init__(self, nodes: list[dict[str, float]]) -> None:
        self._nodes = nodes
        self.options: dict | None = None
        self.names: list[str] = []

    def is_initialized(self) -> bool:
        return True

    def cluster_resources(self) -> dict[str, float]:
        keys = {k for n in self._nodes for k in n}
        return {k: sum(n.get(k, 0.0) for n in self._nodes) for k in keys}

    def nodes(self) -> list[dict]:
        return [{"Alive": True, "Resources": dict(n)} for n in self._nodes] + [{"Alive": False, "Resources": {"GPU": 8.0}}]

    def remote(self, **options):
        self.options = options
        return lambda fn: _FakeRemote(self, fn)

    def wait(self, pending, num_returns=1):
        return pending[:num_returns], pending[num_returns:]

    def get(self, ref):
        return ref

    def shutdown(self) -> None:  # pragma: no cover - never started by the executor here
        raise AssertionError("the executor must not shut down a cluster it joined")


MIXED = [{"CPU": 8.0}, {"CPU": 4.0, "GPU": 1.0}]
CPU_ONLY = [{"CPU": 8.0}, {"CPU": 4.0}]
ITEMS = [_Item(f"c{i}") for i in range(5)]


def _run_fake(monkeypatch, nodes, **kw):
    fake = _FakeRay(nodes)
    monkeypatch.setitem(sys.modules, "ray", fake)
    out = list(execute(ITEMS, executor="ray", work=_echo, **kw))
    return fake, out


def test_cuda_chunks_declare_a_gpu_and_retries(monkeypatch):
    fake, out = _run_fake(monkeypatch, MIXED, device="cuda")
    assert fake.options == {"num_cpus": 1.0, "num_gpus": 1.0, "max_retries": RAY_MAX_RETRIES, "retry_exceptions": False}
    assert RAY_MAX_RETRIES >= 1
    assert sorted(out) == [(i.chunk_id, "cuda") for i in ITEMS]  # every chunk once, on the device asked
    assert fake.names == [f"symhard:{i.chunk_id}" for i in ITEMS]


def test_cpu_chunks_ask_for_their_threads_and_no_gpu(monkeypatch):
    fake, out = _run_fake(monkeypatch, MIXED, device="cpu", threads=2)
    assert (fake.options["num_cpus"], fake.options["num_gpus"]) == (2.0, 0.0)
    assert {d for _, d in out} == {"cpu"}


def test_auto_takes_the_gpu_only_where_the_cluster_has_one(monkeypatch):
    fake, out = _run_fake(monkeypatch, MIXED, device="auto")
    assert fake.options["num_gpus"] == 1.0 and {d for _, d in out} == {"cuda"}
    fake, out = _run_fake(monkeypatch, CPU_ONLY, device="auto")
    assert fake.options["num_gpus"] == 0.0 and {d for _, d in out} == {"cpu"}


def test_declared_resources_override_the_default(monkeypatch):
    fake, _ = _run_fake(monkeypatch, MIXED, device="cuda", resources=ChunkResources(cpus=2, gpu_fraction=0.25))
    assert (fake.options["num_cpus"], fake.options["num_gpus"]) == (2.0, 0.25)


def test_a_gpu_chunk_on_a_cpu_only_cluster_is_one_line_not_a_hang(monkeypatch):
    fake = _FakeRay(CPU_ONLY)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(InvalidParameterError) as err:
        list(execute(ITEMS, executor="ray", work=_echo, device="cuda"))
    msg = str(err.value)
    assert "\n" not in msg and "1 GPU" in msg and "8 CPU + 0 GPU" in msg and "--device cpu" in msg
    assert fake.options is None and fake.names == []  # nothing was submitted
    # the dead node's 8 GPUs do not count; a chunk too large for every live node is refused too
    with pytest.raises(InvalidParameterError, match="each chunk needs 9 CPU"):
        list(execute(ITEMS, executor="ray", work=_echo, resources=ChunkResources(cpus=9)))


def test_check_fits_needs_one_node_with_both():
    need = ChunkResources(cpus=4, gpu_fraction=0.5)
    check_fits(need, [{"CPU": 4.0, "GPU": 0.5}])
    with pytest.raises(InvalidParameterError):  # the CPUs and the GPU are on different nodes
        check_fits(need, [{"CPU": 8.0}, {"CPU": 2.0, "GPU": 1.0}])
    with pytest.raises(InvalidParameterError, match="no live node"):
        check_fits(ChunkResources(), [])
    assert ChunkResources.for_device("cuda", 2, gpu_fraction=0.25).ray_options() == {"num_cpus": 2.0, "num_gpus": 0.25}
    assert ChunkResources.for_device("cpu", 3).ray_options() == {"num_cpus": 3.0, "num_gpus": 0.0}
    for bad in (dict(cpus=0), dict(gpu_fraction=1.5), dict(gpu_fraction=-0.1)):
        with pytest.raises(InvalidParameterError):
            ChunkResources(**bad)
    assert executors.check_device("cuda", "ray") is None  # the driver needs no GPU; the cluster is checked
