"""The harness of ``symhard bench``: the data streams, the validation split, the lr choice, BatchNorm modes,
the default output folder, resume and ``--force``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from symhard import bench
from symhard.bench.data import batch_seed, generator, harness_data, member_init_seed, split_sizes, stream
from symhard.families.base import LowerBound, register_task, unregister_task
from symhard.groups import PermutationGroup

TINY = dict(budget_samples=320, budget_steps=20, seeds=2, batch_size=64, n_test=256, invariance_samples=32)


class _SumTask:
    """x ~ N(0, I_n), y = ±(Σ ReLU(x_i) − n/√(2π)) / √(n(1/2 − 1/(2π))): unit variance, S_n-invariant."""

    family = "bench-harness-sum"
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
        return _EnsLinearSum(ensemble, generator)

    def lower_bound(self, tau):
        return LowerBound(queries=1.0, tau=tau, formula="1 (test)")


class _EnsLinearSum(nn.Module):
    def __init__(self, M, gen):
        super().__init__()
        self.w = nn.Parameter(torch.randn(M, generator=gen))

    def forward(self, x):
        return self.w[:, None] * torch.relu(x).sum(1)[None, :]


@pytest.fixture
def task():
    register_task("bench-harness-sum")(lambda v, role, seed, **o: _SumTask(v, role, seed))
    yield "bench-harness-sum"
    unregister_task("bench-harness-sum")


class _BNSet(nn.Module):
    """f(x) = ρ(BN(Σ_i φ(x_i))): S_n-invariant, with BatchNorm running statistics."""

    def __init__(self, h=8):
        super().__init__()
        self.phi = nn.Linear(1, h)
        self.bn = nn.BatchNorm1d(h)
        self.rho = nn.Linear(h, 1)

    def forward(self, x):
        return self.rho(self.bn(torch.relu(self.phi(x[..., None])).sum(1)))[:, 0]


# ------------------------------------------------------------------ data streams
def test_harness_data_is_the_documented_streams(task):
    d = harness_data(task, 5, seeds=[0, 3], samples=100, n_test=30, harness_seed=7)
    assert (d.n_train, d.n_val, d.n_test) == (80, 20, 30) == (*split_sizes(100), 30)
    # an independent recomputation from the documented recipe
    ss = np.random.SeedSequence([7, 5, 1]).generate_state(1, dtype=np.uint64)[0] % (2**62)
    assert d.streams["train"] == int(ss) == stream(7, 5, 1)
    x = torch.randn(100, 5, generator=torch.Generator().manual_seed(int(ss)))
    assert torch.equal(d.train_x[0], x[:80]) and torch.equal(d.val_x[0], x[80:])
    xt = torch.randn(30, 5, generator=torch.Generator().manual_seed(stream(7, 5, 2)))
    assert torch.equal(d.test_x[0], xt)
    # targets: one row per seed, the seed-1 member is the negative of the seed-0 one (sign by parity)
    assert d.train_y.shape == (2, 80) and torch.allclose(d.train_y[1], -d.train_y[0])
    ref = _SumTask(5, "hard", 3).target(x[:80])
    assert torch.allclose(d.train_y[1], ref)
    # role does not change the inputs (hard and control share the streams)
    c = harness_data(task, 5, seeds=[0], samples=100, n_test=30, harness_seed=7, role="control")
    assert torch.equal(c.train_x[0], d.train_x[0])


def test_learner_and_networks_see_the_same_training_samples(task):
    seen = {}

    def learner(sample, budget):
        (x,), y = sample(budget.samples)
        seen.setdefault("x", []).append(x)
        return lambda x: torch.zeros(x.shape[0])

    bench.run(task, {"n": [4]}, learner=learner, baseline=False, **TINY)
    d = harness_data(task, 4, seeds=[0, 1], samples=320, n_test=256)
    assert all(torch.equal(x, d.train_x[0]) for x in seen["x"])
    # the validation rows are not among them
    assert not any(bool((d.val_x[0][i] == d.train_x[0]).all(1).any()) for i in range(d.n_val))


def test_lr_is_chosen_on_validation_never_on_training_loss(task):
    """Per seed the summary reports the test error of the lr with the smallest val_error."""
    res = bench.run(task, {"n": [4]}, model=lambda info: _BNSet(), lrs=[1e-4, 1e-2, 1.0], **TINY)
    summ = next(r for r in res.summary if r["learner"] == "user")
    for i, s in enumerate((0, 1)):
        rs = [r for r in res.records if r["learner"] == "user" and r["seed"] == s]
        assert len(rs) == 3 and all("val_error" in r for r in rs)
        finite = [r for r in rs if math.isfinite(r["val_error"])]
        best = min(finite, key=lambda r: r["val_error"])
        assert summ["chosen_lrs"][i] == best["lr"]
        assert summ["test_errors"][i] == best["test_error"]
    assert "validation" in res.config["lr_selection"]
    assert summ["success_rate"] == np.mean(np.array(summ["test_errors"]) < 0.1)


# ------------------------------------------------------------------ BatchNorm: train mode for steps, eval mode otherwise
def test_batchnorm_train_mode_while_training_eval_mode_for_evaluation(task):
    from symhard.learners.gd import TrainConfig, train_ensemble

    torch.manual_seed(0)
    mods = [_BNSet() for _ in range(2)]
    d = harness_data(task, 5, seeds=[0, 1], samples=320, n_test=128)
    ens = bench.StackedEnsemble(mods, probe=tuple(t[:4] for t in d.train_x))
    running0 = ens.b0.clone()
    assert torch.equal(running0, torch.zeros_like(running0))  # the probe left the running mean alone
    rep = bench.invariance_check(ens.eval(), d.test_x, PermutationGroup.symmetric(5), ("rows",), seed=1)
    assert rep.invariant and torch.equal(ens.b0, running0)  # evaluation mode: no statistics updated
    ens.train()
    res = train_ensemble(ens, d.train_x, d.train_y, test_inputs=d.test_x, test_y=d.test_y,
                         config=TrainConfig(lr=1e-2, steps=15, batch_size=32, eval_every=5),
                         val_inputs=d.val_x, val_y=d.val_y)
    assert not torch.equal(ens.b0, running0)  # training mode updated every member's running statistics
    assert int(ens.b2[0]) == 15 and int(ens.b2[1]) == 15  # num_batches_tracked: one per step, never per evaluation
    # the reported errors are those of plain modules in eval mode with the trained parameters and buffers
    for m in range(2):
        ref = _BNSet()
        ref.load_state_dict({k: v[m] for k, v in zip([n for n, _ in mods[0].named_parameters()], ens.parameters())}
                            | {k: v[m] for k, v in zip([n for n, _ in mods[0].named_buffers()], ens.buffers())})
        ref.eval()
        with torch.no_grad():
            pred = ref(d.test_x[0]).double()
        y = d.test_y[m].double()
        assert res.test_error[m] == pytest.approx(float(((pred - y) ** 2).mean() / (y**2).mean()), rel=1e-5)
        with torch.no_grad():
            pv = ref(d.val_x[0]).double()
        assert res.val_error[m] == pytest.approx(float(((pv - d.val_y[m]) ** 2).mean() / (d.val_y[m].double() ** 2).mean()), rel=1e-5)


def test_bench_with_a_batchnorm_model_is_invariant_and_learns(task):
    res = bench.run(task, {"n": [5]}, model=lambda info: _BNSet(), lrs=[1e-2], **{**TINY, "budget_steps": 60})
    user = [r for r in res.records if r["learner"] == "user"]
    assert all(r["invariant"] for r in user)  # checked in eval mode: a per-batch statistic would break invariance
    assert max(r["test_error"] for r in user) < 0.5


# ------------------------------------------------------------------ protocol seeds documented for replication
def test_protocol_seeds():
    assert batch_seed(3, 8) == stream(3, 8, 4) % (2**31)
    assert member_init_seed(3, 8, 1, 1e-3) == stream(3, 8, 3, 1, int(1e-3 * 1e12))
    g = generator(5)
    assert torch.equal(torch.randint(10, (4,), generator=g), torch.randint(10, (4,), generator=torch.Generator().manual_seed(5)))


# ------------------------------------------------------------------ CLI: default folder, reuse, --force
def test_cli_default_folder_reuse_and_force(tmp_path, monkeypatch, capsys, task):
    from symhard.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["bench", "--baseline", "--family", task, "--sweep", "n=4", "--budget-samples", "200", "--budget-steps", "3",
            "--seeds", "1", "--batch-size", "32", "--n-test", "64"]
    main(argv)
    out = capsys.readouterr().out
    folders = list((tmp_path / "symhard-results" / "bench").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith(f"{task}-")
    assert f"results written to symhard-results/bench/{folders[0].name}" in " ".join(out.split())
    assert "budget: 200 samples (160 training + 40 validation), 3 adam steps × batch 32" in " ".join(out.split())
    stamp = (folders[0] / "bench.json").stat().st_mtime_ns
    main(argv)
    assert "results reused from" in " ".join(capsys.readouterr().out.split())
    assert (folders[0] / "bench.json").stat().st_mtime_ns == stamp
    main(argv + ["--force"])
    assert "results written to" in " ".join(capsys.readouterr().out.split())
    assert (folders[0] / "bench.json").stat().st_mtime_ns != stamp
    main(argv[:-2] + ["--n-test", "32"])  # another configuration: another folder
    capsys.readouterr()
    assert len(list((tmp_path / "symhard-results" / "bench").iterdir())) == 2
    d = json.loads((folders[0] / "bench.json").read_text())
    assert d["config"]["key"] and d["figure"].endswith("bench.png")
