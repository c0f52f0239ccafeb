"""Tests of the ensemble gradient-descent trainer (symhard.learners.gd).

References: M separate single-member runs (the ensemble axis must not couple members), and
torch.optim.Adam / torch.optim.SGD driven by the same mini-batches (the vectorized optimizer).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from symhard.errors import InvalidParameterError, SymhardError
from symhard.learners.gd import TrainConfig, TrainResult, train_ensemble


class EnsembleMLP(torch.nn.Module):
    """f_m(x) = a_m^T relu(W_m^T x + b_m); W [M, n, h], b [M, h], a [M, h]; x [B, n] or [M, B, n] -> [M, B]."""

    def __init__(self, W: torch.Tensor, b: torch.Tensor, a: torch.Tensor) -> None:
        super().__init__()
        self.W = torch.nn.Parameter(W.clone())
        self.b = torch.nn.Parameter(b.clone())
        self.a = torch.nn.Parameter(a.clone())

    @classmethod
    def init(cls, M: int, n: int, h: int, seeds: list[int]) -> "EnsembleMLP":
        Ws, bs, As = [], [], []
        for s in seeds:
            g = torch.Generator().manual_seed(s)
            Ws.append(torch.randn(n, h, generator=g) / math.sqrt(n))
            bs.append(torch.zeros(h))
            As.append(torch.randn(h, generator=g) / math.sqrt(h))
        return cls(torch.stack(Ws), torch.stack(bs), torch.stack(As))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            z = torch.einsum("bn,mnh->mbh", x, self.W)
        else:
            z = torch.einsum("mbn,mnh->mbh", x, self.W)
        return torch.einsum("mbh,mh->mb", torch.relu(z + self.b[:, None, :]), self.a)


def _data(N: int, n: int, seed: int, k_targets: int = 1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, n, generator=g)
    ys = []
    for _ in range(k_targets):
        w = torch.randn(n, generator=g)
        y = torch.relu(x @ w / math.sqrt(n)) - 1 / math.sqrt(2 * math.pi)
        ys.append(y / y.pow(2).mean().sqrt())
    return x, torch.stack(ys)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_ensemble_equals_separate_runs(optimizer):
    n, h, N = 5, 8, 300
    x, Y = _data(N, n, seed=1, k_targets=3)
    xt, Yt = x[:100], Y[:, :100]
    seeds = [11, 12, 13]
    lrs = [1e-2, 3e-3, 3e-2] if optimizer == "adam" else [0.05, 0.1, 0.02]
    cfg = TrainConfig(optimizer=optimizer, lr=lrs, steps=60, batch_size=32, eval_every=20, seed=7, weight_decay=1e-3)
    ens = EnsembleMLP.init(3, n, h, seeds)
    res = train_ensemble(ens, (x,), Y, test_inputs=(xt,), test_y=Yt, config=cfg)
    assert isinstance(res, TrainResult) and res.test_error.shape == (3,)
    for m in range(3):
        single = EnsembleMLP.init(1, n, h, [seeds[m]])
        cfg1 = TrainConfig(optimizer=optimizer, lr=lrs[m], steps=60, batch_size=32, eval_every=20, seed=7, weight_decay=1e-3)
        r1 = train_ensemble(single, (x,), Y[m], test_inputs=(xt,), test_y=Yt[m], config=cfg1)
        np.testing.assert_allclose(res.test_error[m], r1.test_error[0], rtol=1e-5, err_msg=f"member {m}")
        np.testing.assert_allclose(res.final_train_loss[m], r1.final_train_loss[0], rtol=1e-5, err_msg=f"member {m}")
        for name in ("W", "b", "a"):
            torch.testing.assert_close(getattr(ens, name)[m], getattr(single, name)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_matches_torch_optim(optimizer):
    """One member with the vectorized optimizer equals torch.optim on the same batches."""
    n, h, N = 4, 6, 200
    x, Y = _data(N, n, seed=2)
    y = Y[0]
    lr, wd, steps, b, seed = (3e-3 if optimizer == "adam" else 0.05), 1e-2, 40, 16, 3
    ours = EnsembleMLP.init(1, n, h, [5])
    ref = EnsembleMLP.init(1, n, h, [5])
    cfg = TrainConfig(optimizer=optimizer, lr=lr, steps=steps, batch_size=b, seed=seed, weight_decay=wd, eval_every=steps)
    train_ensemble(ours, (x,), y, test_inputs=(x,), test_y=y, config=cfg)
    opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    opt = opt_cls(ref.parameters(), lr=lr, weight_decay=wd)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(N, (b,), generator=gen)
        opt.zero_grad()
        loss = ((ref(x[idx])[0] - y[idx]) ** 2).mean()
        loss.backward()
        opt.step()
    for name in ("W", "b", "a"):
        torch.testing.assert_close(getattr(ours, name), getattr(ref, name), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss, ref_loss", [
    ("l1", torch.nn.L1Loss()), ("huber", torch.nn.HuberLoss(delta=0.5)),
])
def test_other_losses_match_torch(loss, ref_loss):
    """The l1 and Huber losses: one member equals torch.optim.Adam on torch.nn's own loss module."""
    n, h, N, steps, b, lr, seed = 4, 6, 200, 30, 16, 3e-3, 7
    x, Y = _data(N, n, seed=4)
    y = Y[0]
    ours = EnsembleMLP.init(1, n, h, [9])
    ref = EnsembleMLP.init(1, n, h, [9])
    cfg = TrainConfig(lr=lr, steps=steps, batch_size=b, seed=seed, eval_every=steps, loss=loss, huber_delta=0.5)
    res = train_ensemble(ours, (x,), y, test_inputs=(x,), test_y=y, config=cfg)
    assert res.config["loss"] == loss
    opt = torch.optim.Adam(ref.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(N, (b,), generator=gen)
        opt.zero_grad()
        ref_loss(ref(x[idx])[0], y[idx]).backward()
        opt.step()
    for name in ("W", "b", "a"):
        torch.testing.assert_close(getattr(ours, name), getattr(ref, name), rtol=1e-5, atol=1e-6)


def test_validation_error_is_recorded_and_chooses_the_lr():
    """val_error = normalized MSE on the held-out set, computed here directly; the choice uses it."""
    from symhard.learners.gd import choose_by_validation

    n, h = 5, 16
    x, Y = _data(600, n, seed=11)
    y = Y[0]
    tr, va, te = slice(0, 400), slice(400, 500), slice(500, 600)
    model = EnsembleMLP.init(3, n, h, [1, 1, 1])
    cfg = TrainConfig(lr=[1e-5, 3e-3, 3.0], steps=150, batch_size=32, seed=0, eval_every=50)
    res = train_ensemble(model, (x[tr],), y[tr], test_inputs=(x[te],), test_y=y[te], config=cfg,
                         val_inputs=(x[va],), val_y=y[va])
    with torch.no_grad():
        direct = ((model(x[va]) - y[va]) ** 2).mean(1) / (y[va] ** 2).mean()
    np.testing.assert_allclose(res.val_error, direct.double().numpy(), rtol=1e-5)
    assert {c["step"] for c in res.curves if np.isfinite(c["val_error"])} == {0, 50, 100, 150}
    chosen = choose_by_validation(res.val_error, ["seed0"] * 3)["seed0"]
    assert chosen == int(np.nanargmin(np.where(np.isfinite(res.val_error), res.val_error, np.inf)))
    # without a validation set the error is NaN, never silently the test error
    res2 = train_ensemble(EnsembleMLP.init(1, n, h, [1]), (x[tr],), y[tr], test_inputs=(x[te],), test_y=y[te],
                          config=TrainConfig(steps=5, eval_every=5))
    assert np.isnan(res2.val_error).all()
    with pytest.raises(InvalidParameterError, match="both val_inputs and val_y"):
        train_ensemble(model, (x[tr],), y[tr], test_inputs=(x[te],), test_y=y[te], config=cfg, val_inputs=(x[va],))


def test_choose_by_validation_ignores_diverged_members():
    from symhard.learners.gd import choose_by_validation

    assert choose_by_validation([math.nan, 0.7, math.inf, 0.3], [0, 0, 1, 1]) == {0: 1, 1: 3}
    assert choose_by_validation([math.nan, math.nan], [0, 0]) == {0: 0}  # all diverged: the first


def test_divergence_masked_and_frozen():
    n, h, N = 5, 8, 300
    x, Y = _data(N, n, seed=3)
    y = Y[0] * 1e3  # large targets: SGD at lr 10 explodes
    ens = EnsembleMLP.init(3, n, h, [1, 2, 3])
    cfg = TrainConfig(optimizer="sgd", lr=[1e-7, 10.0, 2e-7], steps=200, batch_size=32, eval_every=50)
    res = train_ensemble(ens, (x,), y, test_inputs=(x,), test_y=y, config=cfg)
    assert res.diverged.tolist() == [False, True, False]
    assert all(torch.isfinite(p).all() for p in ens.parameters())  # last finite parameters kept
    assert np.isfinite(res.test_error[[0, 2]]).all()
    assert res.stopped_at[1] < 200 and res.steps_run == 200
    # the healthy members equal their separate runs: the diverged one did not contaminate them
    for m, s, lr in ((0, 1, 1e-7), (2, 3, 2e-7)):
        single = EnsembleMLP.init(1, n, h, [s])
        r1 = train_ensemble(single, (x,), y, test_inputs=(x,), test_y=y,
                            config=TrainConfig(optimizer="sgd", lr=lr, steps=200, batch_size=32, eval_every=50))
        np.testing.assert_allclose(res.test_error[m], r1.test_error[0], rtol=1e-5)


def test_learns_easy_target_and_deterministic():
    n, h, N = 4, 32, 2000
    x, Y = _data(N, n, seed=4)
    xt, Yt = _data(500, n, seed=5)
    # same teacher direction for test: rebuild targets with the train teacher
    g = torch.Generator().manual_seed(4)
    torch.randn(N, n, generator=g)
    w = torch.randn(n, generator=g)
    yt = torch.relu(xt @ w / math.sqrt(n)) - 1 / math.sqrt(2 * math.pi)
    scale = (torch.relu(x @ w / math.sqrt(n)) - 1 / math.sqrt(2 * math.pi)).pow(2).mean().sqrt()
    yt = yt / scale
    cfg = TrainConfig(lr=1e-2, steps=400, batch_size=64, eval_every=100, seed=0)
    r1 = train_ensemble(EnsembleMLP.init(2, n, h, [1, 2]), (x,), Y[0], test_inputs=(xt,), test_y=yt, config=cfg)
    r2 = train_ensemble(EnsembleMLP.init(2, n, h, [1, 2]), (x,), Y[0], test_inputs=(xt,), test_y=yt, config=cfg)
    assert (r1.test_error < 0.05).all(), r1.test_error
    np.testing.assert_array_equal(r1.test_error, r2.test_error)  # bit-identical on CPU
    # curves: long format, one point per member and evaluation, step 0 = untrained
    steps = sorted({c["step"] for c in r1.curves})
    assert steps == [0, 100, 200, 300, 400]
    assert len(r1.curves) == 2 * 5
    first = [c["test_error"] for c in r1.curves if c["step"] == 0]
    assert min(first) > 0.1


def test_sampler_fresh_samples_and_early_stopping():
    n, h = 3, 16
    w = torch.tensor([1.0, -0.5, 0.25])

    def target(x):
        return x @ w / w.norm()

    def sampler(b, gen):
        x = torch.randn(b, n, generator=gen)
        return (x,), target(x) + 0.5 * torch.randn(b, generator=gen)  # label noise: the loss plateaus at 0.25

    xt = torch.randn(400, n, generator=torch.Generator().manual_seed(9))
    cfg = TrainConfig(lr=1e-2, steps=5000, batch_size=64, eval_every=50, patience=3, min_delta=0.05)
    res = train_ensemble(EnsembleMLP.init(2, n, h, [1, 2]), None, None, test_inputs=(xt,), test_y=target(xt),
                         config=cfg, sampler=sampler)
    assert res.steps_run < 5000  # the plateau stopped every member early
    assert (res.test_error < 0.05).all()
    assert not res.diverged.any()


def test_per_member_inputs():
    n, h, N = 3, 8, 100
    x = torch.randn(2, N, n, generator=torch.Generator().manual_seed(0))
    y = x[..., 0]
    cfg = TrainConfig(lr=1e-2, steps=30, batch_size=16, eval_every=10)
    ens = EnsembleMLP.init(2, n, h, [1, 2])
    res = train_ensemble(ens, (x,), y, test_inputs=(x,), test_y=y, config=cfg, inputs_per_member=True)
    single = EnsembleMLP.init(1, n, h, [2])
    r1 = train_ensemble(single, (x[1],), y[1], test_inputs=(x[1],), test_y=y[1], config=cfg)
    np.testing.assert_allclose(res.test_error[1], r1.test_error[0], rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"optimizer": "rmsprop"}, "optimizer must be 'adam' or 'sgd'"),
        ({"lr": -1.0}, "lr"),
        ({"lr": [1e-3, 1e-3, 1e-3]}, "lr has 3 entries but the ensemble has M = 2"),
        ({"steps": 0}, "steps == 0, must be >= 1"),
        ({"batch_size": -4}, "batch_size"),
        ({"device": "tpu"}, "device must be one of"),
        ({"patience": 0}, "patience"),
        ({"loss": "hinge"}, "loss must be one of square, l1, huber"),
        ({"huber_delta": 0.0}, "huber_delta"),
    ],
)
def test_bad_config(kwargs, match):
    x = torch.randn(10, 3)
    with pytest.raises(InvalidParameterError, match=match):
        train_ensemble(EnsembleMLP.init(2, 3, 4, [1, 2]), (x,), x[:, 0], test_inputs=(x,), test_y=x[:, 0],
                       config=TrainConfig(**kwargs))


def test_bad_shapes():
    x = torch.randn(10, 3)
    model = EnsembleMLP.init(2, 3, 4, [1, 2])
    with pytest.raises(SymhardError, match=r"train_y must have shape \[N\] or \[M, N\]"):
        train_ensemble(model, (x,), torch.zeros(3, 10), test_inputs=(x,), test_y=x[:, 0], config=TrainConfig())
    with pytest.raises(SymhardError, match="zero mean square"):
        train_ensemble(model, (x,), x[:, 0], test_inputs=(x,), test_y=torch.zeros(10), config=TrainConfig())


def test_family_architecture_learns_its_control():
    """A model of the family's own architecture (CNN: the Z_n-averaged network) learns the
    control member (k = 2) of its class; and the ensemble trains through the family's model."""
    from symhard.families.base import get_task

    task = get_task("cnn")(8, "control", 0)
    g = torch.Generator().manual_seed(0)
    x = task.sample_inputs(2000, g)
    y = task.target(*x)
    xt = task.sample_inputs(1000, g)
    yt = task.target(*xt)
    np.testing.assert_allclose(float(yt.pow(2).mean()), 1.0, atol=0.15)  # unit second moment
    model = task.make_model(2, 32, g)
    res = train_ensemble(model, x, y, test_inputs=xt, test_y=yt,
                         config=TrainConfig(lr=[3e-3, 1e-2], steps=300, batch_size=64, eval_every=100))
    assert res.test_error.min() < 0.05, res.test_error
    assert res.curves[0]["test_error"] > 0.5  # untrained: no better than about the zero predictor
