r"""The run loop of ``symhard bench``: the locked harness around a user's model or learner.

For every swept value ``v`` (:func:`run`):

1. :func:`symhard.bench.data.harness_data` makes the training, validation and test sets (the
   same for everyone);
2. the user's ``make_model`` builds ``M = seeds × lrs`` copies, stacked into one
   :class:`~symhard.bench.ensemble.StackedEnsemble`; it is checked for invariance (evaluation
   mode) and finite outputs, then trained by :func:`symhard.learners.gd.train_ensemble` on the
   ``N − N_val`` training samples (training mode), and evaluated on the validation and test sets
   (evaluation mode). Or the user's ``learn(sample, budget)`` gets the same training samples and
   its ``predict`` is scored on the same sets;
3. the built-in baseline (the task's own architecture, width ``baseline_width``) is trained
   likewise;
4. per seed, the learning rate with the smallest *validation* error is chosen
   (:func:`symhard.learners.gd.choose_by_validation`); only its test error enters the summary.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import InvalidParameterError, check_float, check_int
from ._guest import UserCode
from .contracts import Budget, ModelInfo, Sampler
from .data import (ROLE_INIT, ROLE_INV, VAL_FRACTION, HarnessData, batch_seed, generator, harness_data,
                   member_init_seed, split_sizes, stream)
from .defaults import DEFAULTS
from .ensemble import StackedEnsemble, as_vector
from .invariance import invariance_check, task_symmetry
from .results import BenchResult, check_out_dir, summarize, write_result

__all__ = ["run"]


@dataclass
class _Plan:
    """The validated arguments of :func:`run`."""

    family: str
    pname: str
    values: list[int]
    seeds: list[int]
    lrs: list[float]
    samples: int
    steps: int
    batch_size: int
    val_fraction: float
    optimizer: str
    role: str
    options: dict[str, Any]
    baseline: bool
    baseline_width: int
    n_test: int
    invariance_samples: int
    invariance_tol: float
    ensemble_mode: str
    harness_seed: int
    device: str
    precision: str
    model: Callable[..., Any] | None
    learner: Callable[..., Any] | None
    user: UserCode | None
    user_name: str

    @property
    def tau(self) -> float:
        return min(1.0, 1.0 / math.sqrt(self.batch_size))

    @property
    def members(self) -> list[tuple[int, float]]:
        return [(s, lr) for s in self.seeds for lr in self.lrs]


def _user_callable(obj: Any, what: str) -> tuple[Callable[..., Any] | None, UserCode | None]:
    from ._loading import load_object

    if obj is None:
        return None, None
    if isinstance(obj, str):
        obj = load_object(obj, what)
    if not callable(obj):
        form = "make_model(info)" if what == "model" else "learn(sample, budget)"
        raise InvalidParameterError(f"{what} must be callable as {form}, got {type(obj).__name__}.")
    return obj, UserCode(f"your {what}", obj)


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return list(range(check_int(seeds, "seeds", min_value=1)))
    out = [check_int(s, "seed", min_value=0) for s in seeds]
    if not out or len(set(out)) != len(out):
        raise InvalidParameterError(f"seeds must be a positive count or a list of distinct non-negative ints, got {seeds!r}.")
    return out


def _sweep(sweep: dict[str, list[int]] | str) -> tuple[str, list[int]]:
    from ._loading import parse_sweep

    if isinstance(sweep, str):
        sweep = parse_sweep(sweep)
    if not isinstance(sweep, dict) or len(sweep) != 1:
        raise InvalidParameterError(f"sweep must name exactly one parameter, e.g. {{'d': [8, 16]}}; got {sweep!r}.")
    (pname, values), = sweep.items()
    values = [check_int(v, f"sweep value of {pname!r}", min_value=1) for v in values]
    if not values:
        raise InvalidParameterError(f"sweep of {pname!r} has no values.")
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise InvalidParameterError(f"sweep value(s) {dup} of {pname!r} are given twice; give each value once.")
    return str(pname), values


def _check_choices(**kw: tuple[Any, tuple[str, ...]]) -> None:
    for name, (value, allowed) in kw.items():
        if value not in allowed:
            raise InvalidParameterError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}.")


def _min_samples(batch_size: int, val_fraction: float) -> int:
    """The smallest N whose training part N − N_val holds one batch."""
    n = max(2, math.floor(batch_size / (1 - val_fraction)))
    while split_sizes(n, val_fraction)[0] < batch_size:
        n += 1
    return n


def _plan(family: str, sweep: Any, model: Any, learner: Any, name: str | None, kw: dict[str, Any]) -> _Plan:
    """Validate every argument of :func:`run` before any work."""
    from ..families.base import get_task
    from ..learners.device import check_precision, resolve_device

    if model is not None and learner is not None:
        raise InvalidParameterError("give exactly one of model (make_model(info) -> nn.Module) or learner (learn(sample, budget) -> predict).")
    if model is None and learner is None and not kw["baseline"]:
        raise InvalidParameterError("give exactly one of model (make_model(info) -> nn.Module) or learner "
                                    "(learn(sample, budget) -> predict), or baseline=True to run the baseline alone.")
    spec_name = model if model is not None else learner
    label = name or (spec_name if isinstance(spec_name, str) else
                     f"{getattr(spec_name, '__module__', '')}.{getattr(spec_name, '__qualname__', 'user')}".lstrip("."))
    model_fn, guest_m = _user_callable(model, "model")
    learner_fn, guest_l = _user_callable(learner, "learner")
    spec = get_task(family)
    pname, values = _sweep(sweep)
    options = spec.validate_options(dict(kw["task_options"] or {}))
    for v in values:
        spec.validate_value(v, f"task {family}: {pname} = ")
    lrs = kw["lrs"]
    lrs = [check_float(lr, "lr", low=0.0, low_open=True) for lr in ([lrs] if isinstance(lrs, (int, float)) else list(lrs))]
    if not lrs:
        raise InvalidParameterError("lrs must hold at least one learning rate.")
    _check_choices(optimizer=(kw["optimizer"], ("adam", "sgd")), role=(kw["role"], ("hard", "control")),
                   ensemble_mode=(kw["ensemble_mode"], ("auto", "vmap", "loop")))
    resolve_device(kw["device"]), check_precision(kw["precision"])
    plan = _Plan(
        family=family, pname=pname, values=values, seeds=_seed_list(kw["seeds"]), lrs=lrs,
        samples=check_int(kw["budget_samples"], "budget_samples", min_value=2),
        steps=check_int(kw["budget_steps"], "budget_steps", min_value=1),
        batch_size=check_int(kw["batch_size"], "batch_size", min_value=1),
        val_fraction=float(kw["val_fraction"]), optimizer=kw["optimizer"], role=kw["role"], options=options,
        baseline=bool(kw["baseline"]),
        baseline_width=check_int(kw["baseline_width"] or DEFAULTS["baseline_width"], "baseline_width", min_value=1),
        n_test=check_int(kw["n_test"], "n_test", min_value=2),
        invariance_samples=check_int(kw["invariance_samples"], "invariance_samples", min_value=1),
        invariance_tol=check_float(kw["invariance_tol"], "invariance_tol", low=0.0),
        ensemble_mode=kw["ensemble_mode"], harness_seed=check_int(kw["harness_seed"], "harness_seed", min_value=0),
        device=kw["device"], precision=kw["precision"], model=model_fn, learner=learner_fn, user=guest_m or guest_l, user_name=str(label))
    n_train, n_val = split_sizes(plan.samples, plan.val_fraction)
    if (plan.model is not None or plan.baseline) and n_train < plan.batch_size:
        raise InvalidParameterError(
            f"{plan.samples} samples leave {n_train} for training after holding out {n_val} for validation, fewer "
            f"than one batch of {plan.batch_size}; give at least {_min_samples(plan.batch_size, plan.val_fraction)} "
            "samples (budget_samples, --budget-samples) or a smaller batch (batch_size, --batch-size).")
    _check_resources(plan, spec)
    return plan


def _check_resources(plan: _Plan, spec: Any) -> None:
    """The memory of each swept value, in closed form (data, and the baseline's ensemble), before any work."""
    from ..experiments.sweep import task_estimate
    from ..resources import require

    for v in plan.values:
        task = spec(v, plan.role, plan.seeds[0], **plan.options)
        require(task_estimate(task, f"bench {plan.family} {plan.pname}={v} ({len(plan.members)} networks)",
                              members=len(plan.members), width=plan.baseline_width if plan.baseline else None,
                              batch=plan.batch_size, samples=plan.samples + plan.n_test + plan.invariance_samples,
                              steps=plan.steps, lower="lower --budget-samples, --baseline-width, --seeds or --n-test"))


@dataclass
class _Value:
    """Everything of one swept value that the learners share."""

    data: HarnessData
    inv_x: tuple[torch.Tensor, ...]
    group: Any
    actions: tuple[str, ...]
    info: ModelInfo
    common: dict[str, Any]
    config: Any  # TrainConfig
    inv_seed: int


def _prepare_value(plan: _Plan, v: int) -> _Value:
    from ..learners.gd import TrainConfig

    data = harness_data(plan.family, v, seeds=plan.seeds, samples=plan.samples, n_test=plan.n_test, role=plan.role,
                        harness_seed=plan.harness_seed, options=plan.options, val_fraction=plan.val_fraction)
    t0 = data.tasks[0]
    if getattr(t0, "param_name", plan.pname) != plan.pname:
        raise InvalidParameterError(f"task {plan.family!r} sweeps {t0.param_name!r}, not {plan.pname!r}; "
                                    f"use --sweep {t0.param_name}=...")
    inv_x = tuple(t0.sample_inputs(plan.invariance_samples, generator(stream(plan.harness_seed, v, ROLE_INV))))
    group, actions = task_symmetry(t0, data.train_x)
    lb = t0.lower_bound(plan.tau)
    bound = {"queries": lb.queries, "log10_queries": lb.log10_queries, "tau": lb.tau, "formula": lb.formula}
    info = ModelInfo(task=plan.family, param_name=plan.pname, param_value=v,
                     input_shapes=tuple(tuple(int(s) for s in t.shape[1:]) for t in data.train_x),
                     input_dtypes=tuple(str(t.dtype).replace("torch.", "") for t in data.train_x),
                     input_actions=actions, group=group, hidden_units=int(t0.hidden_units), options=dict(plan.options))
    common = {"family": plan.family, "param_name": plan.pname, "param_value": v, "role": plan.role,
              "budget_samples": plan.samples, "n_train": data.n_train, "n_val": data.n_val,
              "budget_steps": plan.steps, "batch_size": plan.batch_size, "optimizer": plan.optimizer,
              "n_test": plan.n_test, "group": group.name, "lower_bound": bound}
    config = TrainConfig(optimizer=plan.optimizer, lr=[lr for _, lr in plan.members], steps=plan.steps,
                         batch_size=plan.batch_size, eval_every=plan.steps, device=plan.device,
                         seed=batch_seed(plan.harness_seed, v), precision=plan.precision)
    return _Value(data=data, inv_x=inv_x, group=group, actions=actions, info=info, common=common, config=config,
                  inv_seed=stream(plan.harness_seed, v, ROLE_INV, 1))


def _check_invariance(plan: _Plan, val: _Value, forward: Callable[..., torch.Tensor], who: str,
                      seed: int | None = None) -> Any:
    """The invariance check (evaluation mode for modules); a non-finite output on it is the user's error."""
    was = getattr(forward, "training", None)
    if isinstance(forward, nn.Module):
        forward.eval()
    try:
        inv = invariance_check(forward, val.inv_x, val.group, val.actions, seed=val.inv_seed, tol=plan.invariance_tol)
    finally:
        if isinstance(forward, nn.Module) and was is not None:
            forward.train(was)
    if who == "user" and not math.isfinite(inv.rms_output) and plan.user is not None:
        raise plan.user.fail(f"the {'model' if plan.model else 'learner'} returned NaN or inf on "
                             f"{plan.invariance_samples} task inputs before training")
    return inv


def _train(plan: _Plan, val: _Value, model: nn.Module) -> Any:
    from ..learners.gd import train_ensemble

    L = len(plan.lrs)
    d = val.data
    return train_ensemble(model, d.train_x, d.train_y.repeat_interleave(L, dim=0), test_inputs=d.test_x,
                          test_y=d.test_y.repeat_interleave(L, dim=0), config=val.config, val_inputs=d.val_x,
                          val_y=d.val_y.repeat_interleave(L, dim=0))


def _network_records(plan: _Plan, val: _Value, res: Any, inv: Any, who: str, name: str, n_params: int,
                     mode: str, reason: str) -> list[dict[str, Any]]:
    M = len(plan.members)
    return [{**val.common, "learner": who, "kind": "model", "name": name, "seed": s, "lr": lr,
             "test_error": float(res.test_error[m]), "val_error": float(res.val_error[m]),
             "final_train_loss": float(res.final_train_loss[m]), "diverged": bool(res.diverged[m]),
             "params": int(n_params), "ensemble_mode": mode, "ensemble_mode_reason": reason,
             "invariant": inv.invariant, "invariance_violation": inv.max_abs_violation,
             "invariance_rel_violation": inv.max_rel_violation, "seconds": res.seconds / M}
            for m, (s, lr) in enumerate(plan.members)]


def _run_user_model(plan: _Plan, val: _Value, say: Callable[[str], None]) -> tuple[list, dict]:
    v = val.info.param_value
    say(f"{plan.pname}={v}: building {len(plan.members)} copies of {plan.user_name}")
    mods = []
    for s, lr in plan.members:
        with torch.random.fork_rng(), plan.user.running("building the model (make_model)"):
            torch.manual_seed(member_init_seed(plan.harness_seed, v, s, lr))
            mods.append(plan.model(replace(val.info, seed=s, lr=lr)))
    probe = tuple(t[: min(4, val.data.n_train)] for t in val.data.train_x)
    ens = StackedEnsemble(mods, mode=plan.ensemble_mode, probe=probe, user=plan.user)
    inv = _check_invariance(plan, val, ens, "user")
    say(f"{plan.pname}={v}: invariance max|f(gx)-f(x)| = {inv.max_abs_violation:.3g} "
        f"(relative {inv.max_rel_violation:.3g}); training ({ens.mode})")
    n_params = sum(p.numel() for p in ens.parameters()) // len(plan.members)
    res = _train(plan, val, ens)
    recs = _network_records(plan, val, res, inv, "user", plan.user_name, n_params, ens.mode, ens.mode_reason)
    return recs, {"learner": "user", "param_value": v, **asdict(inv)}


def _predict_all(plan: _Plan, predict: Callable[..., Any], inputs: tuple[torch.Tensor, ...],
                 chunk: int = 4096) -> torch.Tensor:
    """``predict`` over ``inputs`` in chunks, as a float64 ``[B]`` tensor; failures are the user's."""
    user = plan.user
    site = user.location() if user is not None else None
    outs = []
    B = int(inputs[0].shape[0])
    for s in range(0, B, chunk):
        xs = tuple(t[s:s + chunk].clone() for t in inputs)
        with torch.no_grad(), (user.running("running predict") if user is not None else _nothing()):
            out = predict(*xs)
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu()
        else:
            try:
                out = torch.as_tensor(np.asarray(out, dtype=np.float64))
            except (TypeError, ValueError):
                msg = f"predict must return a tensor or array of numbers [B], got {type(out).__name__}"
                raise (user.fail(msg, site) if user is not None else InvalidParameterError(msg + ".")) from None
        outs.append(as_vector(out.double(), int(xs[0].shape[0]), user, site))
    return torch.cat(outs)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return False


def _normalized_error(pred: torch.Tensor, y: torch.Tensor) -> float:
    return float(((pred - y.double()) ** 2).mean() / (y.double() ** 2).mean())


def _run_one_learner(plan: _Plan, val: _Value, i: int, s: int) -> tuple[dict, dict]:
    d = val.data
    sampler = Sampler(d.train_x, d.train_y[i])
    budget = Budget(samples=d.n_train, steps=plan.steps, batch_size=plan.batch_size, seed=s,
                    info=replace(val.info, seed=s, lr=float("nan")))
    ts = time.perf_counter()
    with torch.random.fork_rng(), plan.user.running("learning (learn(sample, budget))"):
        torch.manual_seed(member_init_seed(plan.harness_seed, val.info.param_value, s))
        predict = plan.learner(sampler, budget)
    if not callable(predict):
        raise plan.user.fail(f"the learner must return a callable predict(*inputs) -> [B], got {type(predict).__name__}")
    inv = _check_invariance(plan, val, lambda *x: _predict_all(plan, predict, x), "user")
    test_pred = _predict_all(plan, predict, d.test_x)
    val_pred = _predict_all(plan, predict, d.val_x)
    if not (bool(torch.isfinite(test_pred).all()) and bool(torch.isfinite(val_pred).all())):
        raise plan.user.fail("predict returned NaN or inf on the test or validation inputs")
    rec = {**val.common, "learner": "user", "kind": "learner", "name": plan.user_name, "seed": s, "lr": None,
           "test_error": _normalized_error(test_pred, d.test_y[i]), "val_error": _normalized_error(val_pred, d.val_y[i]),
           "final_train_loss": None, "diverged": False, "samples_used": sampler.used, "params": None,
           "ensemble_mode": None, "ensemble_mode_reason": None, "invariant": inv.invariant,
           "invariance_violation": inv.max_abs_violation, "invariance_rel_violation": inv.max_rel_violation,
           "seconds": time.perf_counter() - ts}
    return rec, {"learner": "user", "param_value": val.info.param_value, "seed": s, **asdict(inv)}


def _run_user_learner(plan: _Plan, val: _Value, say: Callable[[str], None]) -> tuple[list, list]:
    say(f"{plan.pname}={val.info.param_value}: running {plan.user_name} on {len(plan.seeds)} seed(s)")
    out = [_run_one_learner(plan, val, i, s) for i, s in enumerate(plan.seeds)]
    return [r for r, _ in out], [c for _, c in out]


def _run_baseline(plan: _Plan, val: _Value, say: Callable[[str], None]) -> tuple[list, dict, float]:
    v = val.info.param_value
    t0 = val.data.tasks[0]
    M = len(plan.members)
    say(f"{plan.pname}={v}: baseline {plan.family} architecture, width {plan.baseline_width}, {M} members")
    model = t0.make_model(M, plan.baseline_width, generator(stream(plan.harness_seed, v, ROLE_INIT, 10**6)))
    inv = _check_invariance(plan, val, model, "baseline")
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad) // M
    res = _train(plan, val, model)
    recs = _network_records(plan, val, res, inv, "baseline", f"{plan.family} GD (width {plan.baseline_width})",
                            n_params, "native", "task.make_model")
    return recs, {"learner": "baseline", "param_value": v, **asdict(inv)}, float(n_params) * plan.steps


def run(
    family: str,
    sweep: dict[str, list[int]] | str,
    model: Callable[[ModelInfo], nn.Module] | str | None = None,
    learner: Callable[..., Callable[..., Any]] | str | None = None,
    *,
    budget_samples: int = DEFAULTS["budget_samples"],
    budget_steps: int = DEFAULTS["budget_steps"],
    seeds: int | Sequence[int] = DEFAULTS["seeds"],
    batch_size: int = DEFAULTS["batch_size"],
    lrs: Sequence[float] = DEFAULTS["lrs"],
    val_fraction: float = VAL_FRACTION,
    optimizer: str = "adam",
    role: str = "hard",
    task_options: dict[str, Any] | None = None,
    baseline: bool = True,
    baseline_width: int | None = None,
    n_test: int = DEFAULTS["n_test"],
    invariance_samples: int = 64,
    invariance_tol: float = 1e-4,
    ensemble_mode: str = "auto",
    harness_seed: int = 0,
    device: str = "cpu",
    precision: str = "fp32",
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    name: str | None = None,
) -> BenchResult:
    """Benchmark a user model (or learner) on a family's learning task beside the GD baseline.

    Parameters
    ----------
    family : str    a registered learning task (``symhard.families.base.all_tasks()``), e.g. ``"gnn-features"``
    sweep : dict ``{param_name: [values]}`` or ``"d=8,16,32"``: the hardness parameter, distinct values
    model : ``make_model(info) -> nn.Module`` or ``"module:function"`` / ``"file.py:function"``
    learner : ``learn(sample, budget) -> predict`` or a spec string (exclusive with ``model``);
        with neither, ``baseline=True`` runs the baseline alone
    budget_samples : int   N; ``N_val = max(1, round(val_fraction·N))`` are held out for validation,
        the other ``N − N_val`` (at least one batch) are every learner's training set
    budget_steps : int     optimizer steps of every network (``budget.steps`` for learners)
    seeds : int or list of int   number of family members (seeds ``0..seeds-1``) or the seeds
    batch_size : int       mini-batch size b of every network
    lrs : sequence of float    lr grid of the user model and the baseline; each (seed, lr) is a
        member, and per seed the lr with the smallest validation error is reported
    val_fraction : float   fraction of N held out for validation (0.2)
    optimizer : {"adam", "sgd"};  role : {"hard", "control"}
    task_options : dict    task options, validated against the task's declaration (``{"k": 4}``)
    baseline : bool;  baseline_width : int (default ``DEFAULTS["baseline_width"]``)
    n_test : int           fresh test inputs per swept value
    invariance_samples, invariance_tol : the invariance check (:mod:`symhard.bench.invariance`)
    ensemble_mode : {"auto", "vmap", "loop"}   how the user's copies are evaluated
    harness_seed : int     seeds every stream (:mod:`symhard.bench.data`);  device : {"cpu", "cuda", "auto"}
    precision : {"fp32", "tf32", "bf16"}   arithmetic of the gradient steps only (:mod:`symhard.learners.device`)
    out_dir : path, optional   ``runs.jsonl`` and ``bench.json``, written atomically (no figure:
        :func:`symhard.report.bench.bench_figure` draws it)
    progress : callable, optional   called with one line per stage
    name : str, optional   label of the user's model (default: the spec string or ``module.qualname``)

    Returns
    -------
    BenchResult
    """
    t_start = time.perf_counter()
    plan = _plan(family, sweep, model, learner, name, dict(
        budget_samples=budget_samples, budget_steps=budget_steps, seeds=seeds, batch_size=batch_size, lrs=lrs,
        val_fraction=val_fraction, optimizer=optimizer, role=role, task_options=task_options, baseline=baseline,
        baseline_width=baseline_width, n_test=n_test, invariance_samples=invariance_samples,
        invariance_tol=invariance_tol, ensemble_mode=ensemble_mode, harness_seed=harness_seed, device=device,
        precision=precision))
    if out_dir is not None:
        check_out_dir(out_dir)
    records, invariance, spent = _run_values(plan, progress or (lambda _msg: None))
    result = BenchResult(family=family, param_name=plan.pname, records=records, summary=summarize(records, plan.values),
                         config=_config(plan, invariance, spent), seconds=time.perf_counter() - t_start)
    if out_dir is not None:
        write_result(result, out_dir)
    return result


def _run_values(plan: _Plan, say: Callable[[str], None]) -> tuple[list, list, dict[int, float]]:
    """Every swept value: the user's model or learner, then the baseline; records, invariance checks, queries."""
    records: list[dict[str, Any]] = []
    invariance: list[dict[str, Any]] = []
    spent: dict[int, float] = {}
    for v in plan.values:
        val = _prepare_value(plan, v)
        if plan.model is not None:
            recs, inv = _run_user_model(plan, val, say)
            records += recs
            invariance.append(inv)
        elif plan.learner is not None:
            recs, invs = _run_user_learner(plan, val, say)
            records += recs
            invariance += invs
        if plan.baseline:
            recs, inv, spent[v] = _run_baseline(plan, val, say)
            records += recs
            invariance.append(inv)
    return records, invariance, spent


def _config(plan: _Plan, invariance: list[dict[str, Any]], spent: dict[int, float]) -> dict[str, Any]:
    n_train, n_val = split_sizes(plan.samples, plan.val_fraction)
    kind = "model" if plan.model is not None else "learner" if plan.learner is not None else "none"
    return {"family": plan.family, "sweep": {plan.pname: plan.values}, "user": plan.user_name if kind != "none" else None,
            "user_kind": kind, "budget_samples": plan.samples, "n_train": n_train, "n_val": n_val,
            "val_fraction": plan.val_fraction, "budget_steps": plan.steps, "seeds": plan.seeds,
            "batch_size": plan.batch_size, "lrs": plan.lrs, "optimizer": plan.optimizer, "role": plan.role,
            "task_options": plan.options, "baseline": plan.baseline, "baseline_width": plan.baseline_width,
            "n_test": plan.n_test, "tau": plan.tau, "harness_seed": plan.harness_seed, "device": plan.device,
            "precision": plan.precision,
            "invariance": invariance, "baseline_queries_spent": spent,
            "lr_selection": f"per seed, the lr with the smallest error on the {n_val} validation samples "
                            f"(held out from the {plan.samples}); never the training loss or the test set"}
