"""The Ray cluster as a tested promise (docs/cluster.md).

Part 1, without a cluster: every chunk declares its resources (CPUs, a GPU fraction) and they
reach Ray's task options, with retries for lost workers; a chunk that no node can hold is
refused with one line before anything is submitted (a fake ``ray`` module records the calls).

Part 2, a real cluster: two Ray nodes started on this machine as separate processes (``ray
start --head`` and ``ray start --address``, each with its own temporary folder and one CPU), a
sweep run on it through ``symhard run --executor ray --address HOST:PORT``, its rows compared
exactly with the serial run, and ``symhard bench --suite`` there equals its serial scorecard;
then the worker node is killed with SIGKILL while it computes a chunk, and the sweep still
completes (Ray resubmits the lost task) -- or, were it to fail, its rerun resumes -- with every
row of the serial run exactly once. A CUDA sweep on this CPU-only cluster fails with one line. The test stops only the processes it started: those whose
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

from mini_suite import MINI_SUITE
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
    # the driver needs no GPU when the chunks go to a cluster (whose nodes are checked); a local Ray is this machine
    assert executors.check_device("cuda", "ray", "host:6379") is None
    with pytest.raises(InvalidParameterError, match="device must be one of"):
        executors.check_device("tpu", "ray", "host:6379")
    executors.check_cluster("process", None, "cuda")  # a no-op off Ray: nothing to join


# ------------------------------------------------------------------ part 2: a real two-node cluster
TINY_SPEC = """
name = "cluster-tiny"
description = "A small Boolean sweep for the two-node cluster test: 8 chunks of 4 members."
seeds = [0, 1]
test_size = 500

[learner]
optimizer = "adam"
lrs = [1e-2, 3e-2]
width = 16
batch_size = 64
steps = 200
train_size = 2000
eval_every = 100

[[series]]
task = "boolean"
values = [6, 7, 8, 9]
options = { group = "cyclic", hard = "parity" }
"""
CHUNKS = 8
ROWS = CHUNKS * 2 * 2  # chunks x seeds x lrs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process this user can see (/proc)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out[int(d)] = (ppid, cmd)
    return out


def _tree(tag: str) -> tuple[set[int], dict[int, tuple[int, str]]]:
    """The processes whose command line contains ``tag`` (a node's own folder) and all their descendants.

    Ray's daemons (GCS, raylet, log monitor) name their node's temporary folder on their command
    line; the worker processes are the raylet's children (they rename themselves ``ray::...``).
    """
    ps = _processes()
    tree = {p for p, (_, cmd) in ps.items() if tag in cmd and p != os.getpid()}
    grew = True
    while grew:
        new = {p for p, (pp, _) in ps.items() if pp in tree} - tree
        tree |= new
        grew = bool(new)
    return tree, ps


def _kill(pids: set[int]) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Cluster:
    address: str
    root: Path
    env: dict[str, str]

    def node(self, name: str) -> str:
        return f"{self.root}/{name}/"  # the tag on that node's daemons' command lines


def _ray_start(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "start", *args, "--disable-usage-stats"],
                          env=env, capture_output=True, text=True, timeout=180, start_new_session=True)
    assert proc.returncode == 0, f"ray start {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def cluster():
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.skip("ray is not installed (pip install 'symhard[ray]'): the two-node cluster test needs it")
    if not sys.platform.startswith("linux"):
        pytest.skip("the cluster test finds the processes it started through /proc (Linux)")
    import re

    root = Path(tempfile.mkdtemp(prefix="shc", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    path = [str(ROOT / "src")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path),  # every node runs this checkout's symhard
           "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0",
           # this cluster's own token (Ray >= 2.5x; ignored by older Ray): no dependence on ~/.ray/auth_token
           "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    try:
        port = _free_port()
        out = _ray_start(["--head", f"--port={port}", "--num-cpus=1", "--num-gpus=0", f"--temp-dir={root}/head",
                          "--include-dashboard=false", f"--dashboard-agent-listen-port={_free_port()}"], env)
        found = re.search(r"--address='([^']+)'", out)
        address = found.group(1) if found else f"127.0.0.1:{port}"
        _ray_start([f"--address={address}", "--num-cpus=1", "--num-gpus=0", f"--temp-dir={root}/worker",
                    f"--dashboard-agent-listen-port={_free_port()}"], env)
        yield Cluster(address, root, env)
    finally:
        for _ in range(3):  # only what we started: the processes naming our folder, and their children
            pids, _ps = _tree(str(root))
            if not pids:
                break
            _kill(pids)
            time.sleep(0.5)
        shutil.rmtree(root, ignore_errors=True)


def _symhard(args: list[str], env: dict[str, str], watch=None, timeout: float = 240) -> tuple[int, str, str]:
    """Run ``symhard ARGS``; while it runs, call ``watch()`` every 0.1 s until it returns True."""
    start = time.monotonic()
    try:
        return _symhard_run(args, env, watch, timeout)
    finally:  # seen with pytest -s: where the test's time goes
        print(f"symhard {' '.join(a for a in args[:4] if '/' not in a)} ... {time.monotonic() - start:.1f} s", flush=True)


def _symhard_run(args: list[str], env: dict[str, str], watch, timeout: float) -> tuple[int, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "symhard", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        while watch is not None and proc.poll() is None and time.monotonic() - t0 < timeout:
            if watch():
                break
            time.sleep(0.1)
        out, err = proc.communicate(timeout=max(1.0, timeout - (time.monotonic() - t0)))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


def _running_chunk(cluster: Cluster, node: str) -> tuple[set[int], bool]:
    """(the node's processes, whether one of them is computing a chunk right now)."""
    pids, ps = _tree(cluster.node(node))
    # a Ray worker renames itself after its task: ray::symhard:<chunk id> (ray::_run where Ray uses the function)
    return pids, any(ps[p][1].startswith(("ray::symhard:", "ray::_run")) for p in pids if p in ps)


def _rows(folder: Path) -> dict[tuple, str]:
    """The stored run rows keyed by (series, role, value, seed, lr), each as canonical JSON minus its time."""
    from symhard.experiments.store import read_runs

    rows = read_runs(folder).to_pylist()
    keyed = {(r["series"], r["role"], r["param_value"], r["seed"], r["lr"]): r for r in rows}
    assert len(keyed) == len(rows), "a row is stored twice"
    return {k: json.dumps({c: v for c, v in r.items() if c != "seconds"}, sort_keys=True, default=str)
            for k, r in keyed.items()}


def test_a_sweep_on_a_two_node_cluster_survives_losing_a_node(cluster, tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_SPEC)
    env = {**cluster.env, "COLUMNS": "200"}
    rc, out, err = _symhard(["run", str(spec), "--executor", "serial", "--out", str(tmp_path / "serial"), "--json"], env)
    assert rc == 0, err
    serial = json.loads(out)
    reference = _rows(Path(serial["out_dir"]))
    assert len(reference) == ROWS

    # 1. the same sweep on the cluster: the worker node computes chunks, the table and rows equal the serial run
    seen = []

    def note_worker() -> bool:
        seen.append(_running_chunk(cluster, "worker")[1])
        return False

    ray_args = ["run", str(spec), "--executor", "ray", "--address", cluster.address, "--json"]
    rc, out, err = _symhard(ray_args + ["--out", str(tmp_path / "ray")], env, watch=note_worker)
    assert rc == 0, err[-3000:]
    first = json.loads(out)
    assert any(seen), "the worker node never computed a chunk"
    assert (first["ran"], first["skipped"]) == (CHUNKS, 0)
    assert json.dumps(first["summary"], sort_keys=True) == json.dumps(serial["summary"], sort_keys=True)
    assert _rows(Path(first["out_dir"])) == reference

    # 1b. the bench suite on the cluster: its scorecard equals the serial one (one torch thread per task)
    from symhard.bench.scorecard import run_suite
    from symhard.bench.suite import load_suite

    suite_file = tmp_path / "mini.toml"
    suite_file.write_text(MINI_SUITE)
    rc, out, err = _symhard(["bench", "--suite", str(suite_file), "--baseline", "--executor", "ray", "--address",
                             cluster.address, "--out", str(tmp_path / "suite-ray"), "--json"], env)
    assert rc == 0, err[-3000:]
    card = json.loads(out)
    local = run_suite(load_suite(str(suite_file)), out_dir=tmp_path / "suite-serial", threads=1)
    assert card["executor"] == "ray" and "on the Ray cluster at" in card["machine"]["device"]
    strip = lambda c: [{k: v for k, v in r.items() if k != "seconds"} for r in c["tasks"]]  # noqa: E731
    assert strip(card) == strip(local)

    # 2. again, and SIGKILL every process of the worker node while it computes a chunk
    killed = []

    def kill_worker_node() -> bool:
        pids, busy = _running_chunk(cluster, "worker")
        if busy:
            _kill(pids)
            killed.append(len(pids))
        return busy

    folder = tmp_path / "ray-killed"
    rc, out, err = _symhard(ray_args + ["--out", str(folder)], env, watch=kill_worker_node)
    assert killed, "the worker node was never seen computing a chunk"
    t0 = time.monotonic()
    while _tree(cluster.node("worker"))[0] and time.monotonic() - t0 < 10:
        time.sleep(0.1)
    assert not _tree(cluster.node("worker"))[0], "the worker node's processes survived SIGKILL"
    print(f"killed the worker node's {killed[0]} processes mid-chunk; the sweep "
          + ("completed" if rc == 0 else f"failed (exit {rc}); rerunning it to resume"))
    if rc != 0:  # Ray gave up on the lost tasks: the rerun (on the head node alone) must resume
        rc, out, err = _symhard(ray_args + ["--out", str(folder)], env)
        assert rc == 0, err[-3000:]
        assert json.loads(out)["skipped"] > 0, "the rerun did not resume"
    assert rc == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["ran"] + summary["skipped"] == CHUNKS
    assert json.dumps(summary["summary"], sort_keys=True) == json.dumps(serial["summary"], sort_keys=True)
    assert _rows(Path(summary["out_dir"])) == reference  # nothing lost, nothing twice, the same numbers

    # 3. CUDA chunks on this CPU-only cluster: one line and exit 2, before anything is written
    rc, out, err = _symhard(ray_args[:-1] + ["--device", "cuda", "--out", str(tmp_path / "cuda")], env, timeout=120)
    assert rc == 2, err[-3000:]
    line = [x for x in err.splitlines() if x.startswith("symhard:")]
    assert len(line) == 1 and "1 GPU" in line[0] and "no node of the Ray cluster" in line[0], err[-2000:]
    assert not (tmp_path / "cuda").exists()
