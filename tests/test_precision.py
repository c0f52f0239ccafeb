"""Device, training precision and ensemble sizing (symhard.learners.device).

What must hold (docs/experiments.md, "Device and precision"):

* the precision changes the arithmetic of the gradient steps only: tf32 on a CPU is
  bit-identical to fp32; bf16 on a small task gives the same learned / not-learned verdict as
  fp32, every chosen member's test error within 0.05 of fp32's (the stated tolerance);
* certificates and the bound columns of a run are identical whatever the precision context
  (they are float64, which autocast never touches);
* the TF32 flags are set inside a training step and restored after it;
* ``--device cuda`` without CUDA is one line on stderr and exit status 2;
* the ensemble chunk size is ``min(M, floor(fraction * free / bytes_per_member))``, at least 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import toy_tasks  # noqa: F401  (registers the task "toy-parity")
from symhard.errors import InvalidParameterError
from symhard.experiments.spec import spec_from_dict
from symhard.experiments.sweep import expand, run_chunk
from symhard.learners import device as dv
from symhard.learners.gd import TrainConfig, train_ensemble

TESTS = Path(__file__).resolve().parent
TOLERANCE = 0.05  # |test error (bf16) - test error (fp32)| of every chosen member
THRESHOLD = 0.1  # learned = normalized test error below this


def _spec():
    return spec_from_dict({
        "name": "toy-precision", "imports": ["toy_tasks"], "seeds": [0, 1], "test_size": 500,
        "learner": {"lrs": [1e-2, 3e-2], "width": 32, "batch_size": 64, "steps": 150, "train_size": 1000,
                    "eval_every": 50},
        "series": [{"task": "toy-parity", "values": [3, 10], "roles": ["hard", "control"]}],
    })


def _chosen(res):
    return [e for e, k in zip(res.runs["test_error"], res.runs["chosen"]) if k]


@pytest.fixture(scope="module")
def runs():
    """Every chunk of the small spec trained in fp32, tf32 and bf16 (about 4 s on one core)."""
    return {(c.role, c.value, p): run_chunk(replace(c, precision=p))
            for c in expand(_spec()) for p in ("fp32", "tf32", "bf16")}


def test_tf32_on_a_cpu_is_bit_identical_to_fp32(runs):
    for (role, value, p), res in runs.items():
        if p == "tf32":
            assert res.runs["test_error"] == runs[(role, value, "fp32")].runs["test_error"], (role, value)
            assert res.runs["device"][0] == "cpu+tf32"


def test_bf16_gives_the_same_verdict_within_the_stated_tolerance(runs):
    verdicts = set()
    for (role, value, p), res in runs.items():
        if p != "bf16":
            continue
        ref = _chosen(runs[(role, value, "fp32")])
        got = _chosen(res)
        assert len(got) == len(ref) == 2
        for r, g in zip(ref, got):
            assert abs(g - r) <= TOLERANCE, (role, value, r, g)
            assert (g < THRESHOLD) == (r < THRESHOLD), (role, value, r, g)
            verdicts.add(r < THRESHOLD)
        assert res.runs["device"][0] == "cpu+bf16"
        # bf16 really changed the arithmetic: some error differs from fp32 in some chunk
    assert verdicts == {True, False}, "the task must contain a learned and a failed setting"
    assert any(runs[k].runs["test_error"] != runs[(k[0], k[1], "fp32")].runs["test_error"]
               for k in runs if k[2] == "bf16")


def test_bound_columns_do_not_depend_on_the_precision(runs):
    cols = [c for c in runs[("hard", 10, "fp32")].runs if c.startswith(("bound_", "csq_", "log10_"))]
    assert "bound_queries" in cols and "csq_tau" in cols
    for (role, value, p), res in runs.items():
        for c in cols:
            assert res.runs[c] == runs[(role, value, "fp32")].runs[c], (role, value, p, c)


@pytest.mark.parametrize("family", ["cnn", "frames", "gnn-features", "polynomials", "boolean-random"])
def test_certificates_are_identical_under_every_precision_context(family):
    from symhard.families.base import get_family

    ref = get_family(family)().contract_case(seed=0).certificate.to_json()
    for p in dv.PRECISIONS:
        with dv.precision_flags(p, "cpu"), dv.forward_autocast(p, "cpu"):
            got = get_family(family)().contract_case(seed=0).certificate.to_json()
        assert got == ref, (family, p)


class _Probe(torch.nn.Module):
    """f_m(x) = a_m . relu(W_m^T x); records the dtype of its hidden layer in training and in evaluation."""

    def __init__(self, M: int, n: int, h: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.W = torch.nn.Parameter(torch.randn(M, n, h, generator=g) / n**0.5)
        self.a = torch.nn.Parameter(torch.randn(M, h, generator=g) / h**0.5)
        self.seen: dict[bool, set] = {True: set(), False: set()}

    def forward(self, x):
        z = torch.einsum("bn,mnh->mbh", x, self.W)
        self.seen[self.training].add(z.dtype)
        return torch.einsum("mbh,mh->mb", torch.relu(z), self.a)


@pytest.mark.parametrize("precision,train_dtype", [("fp32", torch.float32), ("tf32", torch.float32),
                                                   ("bf16", torch.bfloat16)])
def test_precision_applies_to_the_steps_and_never_to_the_evaluations(precision, train_dtype):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(200, 6, generator=g), torch.randn(200, generator=g)
    model = _Probe(3, 6, 8)
    res = train_ensemble(model, (x,), y, test_inputs=(x,), test_y=y,
                         config=TrainConfig(steps=5, batch_size=32, eval_every=5, precision=precision))
    assert model.seen[True] == {train_dtype}
    assert model.seen[False] == {torch.float32}
    assert res.config["precision"] == precision
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_tf32_flags_are_set_in_the_block_and_restored():
    before = dv._tf32_state()
    cuda = torch.device("cuda")  # the flags are global switches; setting them needs no GPU
    with dv.precision_flags("tf32", cuda):
        state = dv._tf32_state()
        assert state[1:] == (("tf32", "tf32") if state[0] == "new" else (True, True))
    with dv.precision_flags("fp32", cuda):
        state = dv._tf32_state()
        assert state[1:] == (("ieee", "ieee") if state[0] == "new" else (False, False))
    with pytest.raises(RuntimeError):
        with dv.precision_flags("bf16", cuda):
            raise RuntimeError("inside")
    assert dv._tf32_state() == before
    with dv.precision_flags("tf32", "cpu"):  # the CPU: nothing changes
        assert dv._tf32_state() == before


def test_bad_precision_and_device_are_one_line_errors():
    with pytest.raises(InvalidParameterError, match="precision must be one of fp32, tf32, bf16; got 'fp16'"):
        TrainConfig(precision="fp16").validate()
    with pytest.raises(InvalidParameterError, match="device must be one of"):
        dv.resolve_device("tpu")
    assert dv.device_label("cuda", "bf16") == "cuda+bf16" and dv.device_label("cpu", "fp32") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_device_cuda_without_cuda_is_one_line_exit_2(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    for args in (["run", "boolean", "--quick", "--device", "cuda"],
                 ["frontier", "gnn-features", "--device", "cuda"],
                 ["bench", "--baseline", "--family", "boolean", "--sweep", "n=6", "--device", "cuda"]):
        out = subprocess.run([sys.executable, "-m", "symhard", *args, "--out", str(tmp_path / "o")],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "CUDA is not available" in lines[0], (args, out.stderr)
        assert not (tmp_path / "o").exists(), args  # refused before anything was written


def test_ensemble_chunk_size_fills_the_stated_fraction():
    gib = 1 << 30
    assert dv.ensemble_chunk_size(gib // 10, 1000, "cpu", fraction=0.5, free_bytes=4 * gib) == 20
    assert dv.ensemble_chunk_size(gib // 10, 7, "cpu", fraction=0.5, free_bytes=4 * gib) == 7  # capped at M
    assert dv.ensemble_chunk_size(8 * gib, 5, "cpu", free_bytes=gib) == 1  # at least one member
    assert dv.ensemble_chunk_size(1000, 10**9, "cpu", fraction=0.5) <= dv.free_memory_bytes("cpu") // 2000
    with pytest.raises(InvalidParameterError, match="fraction"):
        dv.ensemble_chunk_size(1000, 10, "cpu", fraction=1.5)


def test_member_bytes_follow_the_formula_and_grow_with_the_batch():
    model = _Probe(4, 6, 8)
    P = sum(p.numel() * 4 for p in model.parameters())
    small = dv.measure_member_bytes(model, (torch.randn(16, 6),))
    large = dv.measure_member_bytes(model, (torch.randn(256, 6),))
    assert 5 * P / 4 < small < large
    # the hidden activation [M, B, h] in float32 is saved (for relu and the read-out): at least 2 * B * h * 4 bytes per member
    assert large >= 5 * P / 4 + 2 * 256 * 8 * 4
    json.dumps({"bytes": large})


def test_memory_estimates_are_bounded_by_the_gpu_free_memory_on_cuda(monkeypatch):
    from symhard.resources import Estimate, ResourceLimitError, limits

    est = Estimate("training 64 members", bytes=3 * 2**30, seconds=1.0)
    with limits(max_memory_gib=8.0):
        assert dv.require_on_device(est, "cpu") is est  # 3 GiB under the 8 GiB limit, no GPU involved
        # a GPU with 2 GiB free refuses what the host limit allows, naming GPU memory
        monkeypatch.setattr(dv, "resolve_device", lambda d: torch.device("cuda", 0))
        monkeypatch.setattr(dv, "free_memory_bytes", lambda d: 2 * 2**30)
        monkeypatch.setattr(dv, "device_name", lambda d: "a test GPU")
        with pytest.raises(ResourceLimitError, match="GPU memory.*2 GiB free on a test GPU"):
            dv.require_on_device(est, "cuda")
        monkeypatch.setattr(dv, "free_memory_bytes", lambda d: 16 * 2**30)
        assert dv.require_on_device(est, "cuda") is est
    with limits(max_memory_gib=2.0), pytest.raises(ResourceLimitError, match="--max-memory"):
        dv.require_on_device(est, "cuda")  # the host limit still applies on a large GPU
