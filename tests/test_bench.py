"""Tests of ``symhard bench``: user models from files, invariance check, learners, validation split, BatchNorm, CLI."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from symhard import bench
from symhard.errors import InvalidParameterError
from symhard.families.base import LowerBound, register_task, unregister_task
from symhard.groups import PermutationGroup

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

# 320 samples: 256 for training, 64 (20 %) held out for validation
TINY = dict(budget_samples=320, budget_steps=20, seeds=2, batch_size=64, n_test=256, invariance_samples=32)


# ------------------------------------------------------------------ a tiny S_n-invariant task
class _SumTask:
    """x ~ N(0, I_n); y = (Σ_i ReLU(x_i) − n/√(2π)) / √(n(1/2 − 1/(2π))), exactly unit variance.

    Var ReLU(z) = E[ReLU²] − E[ReLU]² = 1/2 − 1/(2π); the n terms are independent."""

    family = "bench-test-sum"
    param_name = "n"
    hidden_units = 1
    input_actions = ("rows",)

    def __init__(self, n, role, seed):
        self.param_value, self.role, self.seed = n, role, seed
        self.group = PermutationGroup.symmetric(n)
        self.sign = 1.0 if seed % 2 == 0 else -1.0

    def sample_inputs(self, m, generator):
        return (torch.randn(m, self.param_value, generator=generator),)

    def target(self, x):
        n = self.param_value
        return self.sign * (torch.relu(x).sum(1) - n / math.sqrt(2 * math.pi)) / math.sqrt(n * (0.5 - 1 / (2 * math.pi)))

    def make_model(self, ensemble, width, generator):
        return _EnsDeepSet(ensemble, width, generator)

    def lower_bound(self, tau):
        return LowerBound(queries=2.0 ** self.param_value * tau**2 / 2, tau=tau, formula="2^n tau^2 / 2 (test)")


class _EnsDeepSet(nn.Module):
    def __init__(self, M, h, gen):
        super().__init__()
        self.w = nn.Parameter(torch.randn(M, h, generator=gen))
        self.b = nn.Parameter(0.1 * torch.randn(M, h, generator=gen))
        self.a = nn.Parameter(torch.randn(M, h, generator=gen) / h)

    def forward(self, x):  # x [B, n] -> [M, B]
        h = torch.relu(x[None, :, :, None] * self.w[:, None, None, :] + self.b[:, None, None, :])
        return (h.sum(2) * self.a[:, None, :]).sum(-1)


@pytest.fixture
def sum_task():
    register_task("bench-test-sum")(lambda v, role, seed, **o: _SumTask(v, role, seed))
    yield "bench-test-sum"
    unregister_task("bench-test-sum")


class _DeepSet(nn.Module):
    """Plain (single) S_n-invariant model  f(x) = ρ(Σ_i φ(x_i))."""

    def __init__(self, h=16):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(1, h), nn.ReLU(), nn.Linear(h, h))
        self.rho = nn.Linear(h, 1)

    def forward(self, x):
        return self.rho(self.phi(x[..., None]).sum(1))  # [B, 1]: the harness accepts it


# ------------------------------------------------------------------ user models from files
USER_CNN = textwrap.dedent(
    """
    import torch
    from torch import nn

    class CircularNet(nn.Module):
        # f(X) = (1/n) sum_s a^T relu(W^T shift_s(x)): invariant under cyclic shifts
        def __init__(self, n, h=16):
            super().__init__()
            self.w = nn.Parameter(torch.randn(n, h) / n ** 0.5)
            self.a = nn.Parameter(torch.randn(h) / h ** 0.5)

        def forward(self, X):
            x = X[..., 0]
            n = x.shape[1]
            idx = (torch.arange(n)[:, None] + torch.arange(n)[None, :]) % n
            return (torch.relu(x[:, idx] @ self.w) @ self.a).mean(1)

    def make_model(info):
        return CircularNet(info.input_shapes[0][0])
    """
)


def test_user_model_from_file_end_to_end_cnn(tmp_path):
    f = tmp_path / "user_cnn.py"
    f.write_text(USER_CNN)
    res = bench.run("cnn", {"n": [8]}, model=f"{f}:make_model", lrs=[1e-3, 1e-2], out_dir=tmp_path / "out", **TINY)
    user = [r for r in res.records if r["learner"] == "user"]
    base = [r for r in res.records if r["learner"] == "baseline"]
    assert len(user) == len(base) == 2 * 2  # seeds x lrs
    assert {(r["seed"], r["lr"]) for r in user} == {(s, lr) for s in (0, 1) for lr in (1e-3, 1e-2)}
    for r in user + base:
        assert r["invariant"], r
        assert r["budget_samples"] == 320 and r["n_train"] == 256 and r["n_val"] == 64
        assert r["budget_steps"] == 20 and r["n_test"] == 256
        assert np.isfinite(r["val_error"]) and r["val_error"] >= 0
        assert np.isfinite(r["test_error"]) and r["test_error"] >= 0
        assert r["group"] == "cyclic:8"
    assert user[0]["ensemble_mode"] == "vmap"
    assert user[0]["params"] == 8 * 16 + 16
    lines = (tmp_path / "out" / "runs.jsonl").read_text().splitlines()
    assert len(lines) == len(res.records) and json.loads(lines[0])["family"] == "cnn"
    assert not (tmp_path / "out" / "bench.png").exists() and res.figure is None  # drawing is the CLI's (report layer)
    assert json.loads((tmp_path / "out" / "bench.json").read_text())["summary"]


def test_gin_example_on_gnn_features_and_invariance():
    """The worked example: a PyG GIN from a separate file on the GNN feature family."""
    res = bench.run("gnn-features", {"d": [4]}, model=f"{EXAMPLES / 'gin_model.py'}:make_model", **TINY)
    user = [r for r in res.records if r["learner"] == "user"]
    assert user and all(r["invariant"] for r in user)
    assert user[0]["invariance_rel_violation"] < 1e-4
    assert all(np.isfinite(r["test_error"]) for r in res.records)
    inv = [c for c in res.config["invariance"] if c["learner"] == "baseline"]
    assert inv and inv[0]["invariant"]


def test_invariance_check_catches_noninvariant_example(sum_task):
    res = bench.run(sum_task, {"n": [6]}, model=f"{EXAMPLES / 'noninvariant_model.py'}:make_model", **TINY)
    user = [r for r in res.records if r["learner"] == "user"]
    assert not any(r["invariant"] for r in user)
    assert user[0]["invariance_rel_violation"] > 1e-2
    # the non-invariant model is still trained and labelled, and the baseline is invariant
    assert all(np.isfinite(r["test_error"]) for r in user)
    assert all(r["invariant"] for r in res.records if r["learner"] == "baseline")


def test_invariance_check_matches_brute_force():
    """f(x) = x_0 under Z_n: the violation is max_i |x_i[g_i⁻¹(0)] − x_i[0]|, recomputed by hand."""
    n, B = 7, 50
    G = PermutationGroup.cyclic(n)
    x = torch.randn(B, n, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    rep = bench.invariance_check(lambda t: t[:, 0], (x,), G, ("rows",), seed=11)
    perms = G.random_elements(B, seed=11)  # the same draw
    inv = np.argsort(perms, axis=1)  # g⁻¹
    moved0 = x.numpy()[np.arange(B), inv[:, 0]]  # (g·x)[0] = x[g⁻¹(0)]
    expect = np.abs(moved0 - x.numpy()[:, 0]).max()
    assert rep.max_abs_violation == pytest.approx(expect, rel=1e-12)
    assert not rep.invariant
    # a genuinely invariant function passes, on graphs too (A -> P A Pᵀ, X -> P X)
    Gs = PermutationGroup.symmetric(5)
    A = (torch.rand(B, 5, 5, generator=torch.Generator().manual_seed(1)) < 0.5).double()
    A = torch.triu(A, 1) + torch.triu(A, 1).transpose(1, 2)
    X = torch.randn(B, 5, 3, dtype=torch.float64)
    f = lambda X, A: torch.relu(A @ X).sum((1, 2)) + (A @ A @ A).diagonal(dim1=1, dim2=2).sum(1)
    rep = bench.invariance_check(f, (X, A), Gs, ("rows", "graph"), seed=2)
    assert rep.invariant and rep.max_abs_violation < 1e-10
    # ... and the wrong action (rows only on A) is caught
    assert not bench.invariance_check(f, (X, A), Gs, ("rows", "rows"), seed=2).invariant


def test_stacked_ensemble_equals_separate_modules():
    torch.manual_seed(0)
    mods = [_DeepSet() for _ in range(3)]
    x = torch.randn(10, 5)
    ref = torch.stack([m(x)[:, 0] for m in mods]).detach()
    for mode in ("auto", "loop"):
        ens = bench.StackedEnsemble(mods, mode=mode, probe=(x[:2],))
        assert ens.mode == ("vmap" if mode == "auto" else "loop")
        assert torch.allclose(ens(x), ref, atol=1e-6)
        assert all(p.shape[0] == 3 for p in ens.parameters())


def test_stacked_ensemble_falls_back_to_loop_on_data_dependent_control_flow():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 1)

        def forward(self, x):
            if self.lin.weight.sum() > 0:  # Python control flow on a (vmapped) parameter: vmap cannot trace it
                return self.lin(x)
            return -self.lin(x)

    mods = [Branchy() for _ in range(2)]
    x = torch.randn(6, 4)
    ens = bench.StackedEnsemble(mods, probe=(x,))
    assert ens.mode == "loop" and "vmap failed" in ens.mode_reason
    ref = torch.stack([m(x)[:, 0] for m in mods]).detach()
    assert torch.allclose(ens(x), ref, atol=1e-6)


def test_vmap_and_loop_training_agree(sum_task):
    kw = dict(TINY, seeds=1, baseline=False)
    a = bench.run(sum_task, {"n": [5]}, model=lambda info: _DeepSet(), ensemble_mode="vmap", **kw)
    b = bench.run(sum_task, {"n": [5]}, model=lambda info: _DeepSet(), ensemble_mode="loop", **kw)
    ea = [r["test_error"] for r in a.records]
    eb = [r["test_error"] for r in b.records]
    assert np.allclose(ea, eb, rtol=1e-4)
    assert ea[0] < 1.0  # the invariant DeepSet learns the invariant target a bit in 20 steps


# ------------------------------------------------------------------ learners
def test_learner_mode_zero_and_budget(sum_task):
    seen = {}

    def zero_learner(sample, budget):
        x, y = sample(budget.samples)
        seen["n"], seen["steps"], seen["shape"] = len(y), budget.steps, tuple(x[0].shape)
        return lambda x: torch.zeros(x.shape[0])

    res = bench.run(sum_task, {"n": [4]}, learner=zero_learner, **TINY)
    user = [r for r in res.records if r["learner"] == "user"]
    assert seen == {"n": 256, "steps": 20, "shape": (256, 4)}  # N − N_val = 320 − 64
    # the zero predictor scores exactly 1 by the definition of the normalized error
    assert all(r["test_error"] == pytest.approx(1.0, abs=1e-12) for r in user)
    assert all(r["val_error"] == pytest.approx(1.0, abs=1e-12) for r in user)
    assert all(r["invariant"] for r in user)

    def greedy(sample, budget):
        sample(budget.samples)
        sample(1)
        return lambda x: torch.zeros(x.shape[0])

    with pytest.raises(bench.BudgetExceededError, match="only 0 of the budget of 256"):
        bench.run(sum_task, {"n": [4]}, learner=greedy, **TINY)


def test_learner_least_squares_on_invariant_features(sum_task):
    """A non-network learner: least squares on the invariant features (1, Σ ReLU(x_i)) recovers the
    target exactly (it is affine in Σ ReLU(x_i)), so the test error is ~0."""

    def ls(sample, budget):
        (x,), y = sample(budget.samples)
        F = torch.stack([torch.ones(len(y)), torch.relu(x).sum(1)], 1).double()
        coef = torch.linalg.lstsq(F, y.double()[:, None]).solution[:, 0]
        return lambda x: coef[0] + coef[1] * torch.relu(x.double()).sum(1)

    res = bench.run(sum_task, {"n": [4]}, learner=ls, **TINY)
    assert max(r["test_error"] for r in res.records if r["learner"] == "user") < 1e-8


# ------------------------------------------------------------------ bad input
def test_parse_sweep_and_load_object_errors(tmp_path):
    assert bench.parse_sweep("d=8, 16,32") == {"d": [8, 16, 32]}
    for bad, msg in [("d8,16", "name=v1"), ("d=8,x", "not an integer"), ("d=0", "positive"), ("1d=3", "not a valid name")]:
        with pytest.raises(InvalidParameterError, match=msg):
            bench.parse_sweep(bad)
    with pytest.raises(InvalidParameterError, match="cannot import model module"):
        bench.load_object("no_such_pkg_xyz.mod:make_model")
    with pytest.raises(InvalidParameterError, match="has no attribute 'nope'"):
        bench.load_object(f"{EXAMPLES / 'noninvariant_model.py'}:nope")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        bench.load_object(f"{tmp_path / 'missing.py'}:make_model")
    with pytest.raises(InvalidParameterError, match="must look like"):
        bench.load_object("just_a_module")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(InvalidParameterError, match="RuntimeError: boom"):
        bench.load_object(f"{broken}:make_model")


def test_run_rejects_bad_arguments(sum_task):
    mk = lambda info: _DeepSet()
    with pytest.raises(InvalidParameterError, match="unknown task"):
        bench.run("no-such-family", {"n": [4]}, model=mk)
    with pytest.raises(InvalidParameterError, match="exactly one of model"):
        bench.run(sum_task, {"n": [4]}, model=mk, learner=lambda s, b: None)
    with pytest.raises(InvalidParameterError, match="sweeps 'n', not 'd'"):
        bench.run(sum_task, {"d": [4]}, model=mk, **TINY)
    with pytest.raises(InvalidParameterError, match="budget_steps == 0"):
        bench.run(sum_task, {"n": [4]}, model=mk, budget_steps=0)
    with pytest.raises(bench.UserCodeError, match=r"must return shape \[B\] or \[B, 1\] with B = 4, got \(4, 3\)"):
        bench.run(sum_task, {"n": [4]}, model=lambda info: nn.Linear(4, 3), **TINY)
    with pytest.raises(InvalidParameterError, match="given twice"):
        bench.run(sum_task, {"n": [4, 4]}, model=mk, **TINY)
    with pytest.raises(InvalidParameterError, match="79 samples leave 63 for training .* fewer than one batch of 64; give at least 80 samples"):
        bench.run(sum_task, {"n": [4]}, model=mk, **{**TINY, "budget_samples": 79})
    bench.run(sum_task, {"n": [4]}, model=mk, **{**TINY, "budget_samples": 80, "budget_steps": 1, "seeds": 1})  # 64 + 16
    with pytest.raises(InvalidParameterError, match="nothing|exactly one of model"):
        bench.run(sum_task, {"n": [4]}, baseline=False, **TINY)


def _cli(argv, capsys):
    from symhard.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "no_such_pkg_xyz:make_model", "--family", "cnn", "--sweep", "n=8"], "cannot import model module"),
        (["--model", "examples/noninvariant_model.py:missing", "--family", "cnn", "--sweep", "n=8"], "has no attribute 'missing'"),
        (["--model", "examples/noninvariant_model.py:make_model", "--family", "cnn", "--sweep", "n:8"], "sweep must look like"),
        (["--model", "examples/noninvariant_model.py:make_model", "--family", "nope", "--sweep", "n=8"], "unknown task 'nope'"),
        (["--family", "cnn", "--sweep", "n=8"], "exactly one of --model"),
        (["--model", "examples/noninvariant_model.py:make_model", "--family", "cnn", "--sweep", "n=8", "--lr", "fast"], "--lr value 'fast'"),
        (["--baseline", "--family", "cnn", "--sweep", "n=6,6"], "sweep value 6 of 'n' is given twice"),
        (["--baseline", "--family", "cnn", "--sweep", "n=8", "--budget-samples", "100"], "fewer than one batch of 128"),
        (["--baseline", "--family", "cnn", "--sweep", "n=8", "--option", "k=3"], "k must be an even integer"),
        (["--baseline", "--family", "cnn", "--sweep", "n=8", "--seed", "1", "--harness-seed", "2"], "disagree"),
        (["--baseline", "--suite", "v1", "--budget-steps", "5"], "--suite fixes the tasks, budget and seeds; drop --budget-steps"),
        (["--baseline", "--suite", "v0"], "unknown suite 'v0'; allowed: v1"),
        (["--baseline", "--family", "cnn", "--sweep", "n=8", "--quick"], "--quick and --tasks go with --suite"),
        (["--baseline", "--suite", "v1", "--tasks", "gin-*"], "--tasks 'gin-*' matches no task of suite v1"),
    ],
)
def test_cli_bad_input_one_line_exit_2(extra, message, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, err = _cli(["bench", *extra], capsys)
    assert code == 2
    assert err.startswith("symhard: error:") and message in err, err
    assert err.count("\n") == 1


def test_cli_json_with_learner_file(tmp_path, capsys, sum_task):
    f = tmp_path / "learners.py"
    f.write_text("import torch\ndef learn(sample, budget):\n    sample(10)\n    return lambda x: torch.zeros(x.shape[0])\n")
    from symhard.cli import main

    main(["bench", "--learner", f"{f}:learn", "--family", sum_task, "--sweep", "n=4", "--budget-samples", "200",
          "--budget-steps", "5", "--seeds", "1", "--n-test", "64", "--json", "--out", str(tmp_path / "o")])
    d = json.loads(capsys.readouterr().out)
    assert d["out_dir"] == str(tmp_path / "o") and (tmp_path / "o" / "bench.json").is_file()
    user = [r for r in d["records"] if r["learner"] == "user"]
    assert user[0]["kind"] == "learner" and user[0]["samples_used"] == 10
    assert user[0]["test_error"] == pytest.approx(1.0)
    assert {r["learner"] for r in d["records"]} == {"user", "baseline"}


_SMALL = {"boolean": 8, "cnn": 8, "frames": 8, "gnn-degree-parity": 6, "gnn-features": 4, "polynomials": 8}


@pytest.mark.parametrize("name", sorted(_SMALL))
def test_every_builtin_task_has_a_group_action(name):
    """task_symmetry knows every built-in task: its target and its own baseline are invariant under
    the action the harness applies, and a coordinate-mixing map is not."""
    from symhard.families.base import all_tasks

    tasks = all_tasks()
    assert name in tasks, f"task {name!r} is not registered"
    t = tasks[name](_SMALL[name], "hard", 0)
    x = tuple(t.sample_inputs(32, torch.Generator().manual_seed(0)))
    G, actions = bench.task_symmetry(t, x)
    assert G.degree == _SMALL[name] and G.order > 1
    assert bench.invariance_check(lambda *a: t.target(*a), x, G, actions, seed=1).invariant
    assert bench.invariance_check(t.make_model(2, 8, torch.Generator().manual_seed(1)), x, G, actions, seed=1).invariant
    # two coordinates of the most varied input are not invariant: the action really moves things
    i = max(range(len(x)), key=lambda j: float(x[j].float().std()))
    first = lambda *a: a[i].reshape(a[i].shape[0], -1)[:, 0] + 0.1 * a[i].reshape(a[i].shape[0], -1)[:, 1]
    assert not bench.invariance_check(first, x, G, actions, seed=1).invariant


def test_figure_title_names_the_group_by_its_parameter_only_when_it_follows_the_sweep():
    from types import SimpleNamespace

    from symhard.report.bench import _group

    def result(pairs):
        return SimpleNamespace(param_name="d", records=[{"group": g, "param_value": v} for g, v in pairs])

    assert _group(result([("symmetric:4", 4), ("symmetric:6", 6)])) == "symmetric:d"
    # S_4 on the nodes at every feature dimension: the 4 is the node count, not the swept d
    assert _group(result([("symmetric:4", 4), ("symmetric:4", 8)])) == "symmetric:4"
    assert _group(result([("symmetric:4", 4)])) == "symmetric:4"
    assert _group(result([])) == "not stated by the task"
