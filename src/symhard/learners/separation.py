r"""The SQ/CSQ separation for invariant polynomials, end to end.

A random hard target :math:`y = p_{[S]}(x)` (multilinear degree-k orbit sum under :math:`\mathbb{Z}_n`,
:math:`x\sim N(0, I_n)`) and one training sample of size m are drawn. Two learners see exactly the
same m samples:

* **SQ**: :class:`~symhard.learners.sq_polynomial.SQPolynomialLearner` against an
  :class:`~symhard.learners.sq_polynomial.EmpiricalOracle` on the m samples (its queries
  :math:`y^2 R_U(x)` are not correlational). It uses at most n + 293 queries for k = 4 (the bound of
  :func:`~symhard.learners.sq_polynomial.query_bound`; 52 at n = 64).
* **GD**: an overparameterized :math:`\mathbb{Z}_n`-averaged ReLU network
  (:class:`symhard.models.cnn.GroupAveragedNetwork`, d = 1, circular form, width 256) trained by
  Adam on the square loss with :func:`symhard.learners.gd.train_ensemble`. Gradient descent is a
  CSQ algorithm (digest §1.2): T steps of a p-parameter model are T·p correlational queries of
  tolerance about :math:`1/\sqrt{b}`, and the class has :math:`N_k(\mathbb{Z}_n) \ge \binom nk/n`
  orthonormal members, so it needs :math:`N_k\tau^2/2` queries.

Both are scored by the test error normalized by :math:`\mathbb{E}[y^2] = 1` on fresh test points
(the zero predictor scores 1).

``samples=None`` chooses m by a deterministic pilot (:func:`auto_samples`): the SQ learner runs
once, without the sample check, on ``pilot`` = 20 000 extra labelled samples of the same target
(drawn from a generator seeded by ``seed``, used for nothing else) and records the plug-in sample
requirement of every query it asks (:func:`~symhard.learners.sq_polynomial.required_samples`,
Bernstein + union bound over the distinct queries, plug-in second moments × ``safety`` = 1.25);
m = ⌈1.5 × the largest one⌉. The main run recomputes its own plug-in requirement on the m samples
and reports it (``samples_required``, ``samples_sufficient``) instead of raising or retrying; with
an explicit ``samples`` it raises :class:`~symhard.learners.sq_polynomial.InsufficientSamplesError`.
The pilot's largest requirement is noisy on these heavy-tailed statistics (one extreme pilot point
can multiply it by 5); at n = 64, k = 4 the main run's requirement was 0.14–0.86 × the pilot's for
three targets, so the margin 1.5 left every run sufficient. With many more samples than the
pilot the plug-in requirement can still grow (heavier tails at small n), so ``samples_sufficient``
is reported, not assumed.

GD budget (default): one ensemble of two members, Adam with learning rates 10⁻³ and 3·10⁻³ (the
best member over this grid is reported), 1000 steps of batch 256 drawn uniformly with replacement
from the same m samples. 1000 steps, not 3000, to fit the 10-minute budget of a 2-core CPU (about
0.26 s per step for the two members at n = 64 under load 4); measured at n = 64, k = 4 with 10⁵
samples, 3000 steps reached only 0.95, and the test error curve in the output shows no progress.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .._random import as_generator
from ..errors import check_float, check_int
from ..families.polynomials import _check_k, hard_class_size, random_hard_member, resolve_group
from .sq_polynomial import EmpiricalOracle, SQPolynomialLearner

__all__ = ["run_separation", "separation_sweep", "plot_separation", "auto_samples"]

_PILOT = 20_000
_MARGIN = 1.5


def _normalized_error(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((pred - y) ** 2) / np.mean(y**2))


def auto_samples(group: Any, k: int, seed: int = 0, *, pilot: int = _PILOT, margin: float = _MARGIN,
                 target: Any = None) -> int:
    """Deterministic sample size for the SQ learner: ⌈``margin`` × the largest plug-in requirement
    of the queries asked in a pilot run on ``pilot`` extra samples of the target (default: the
    random hard member of ``seed``, the one :func:`run_separation` learns)."""
    G = resolve_group(group)
    k = _check_k(k, G.degree)
    pilot = check_int(pilot, "pilot", min_value=100)
    if target is None:
        _, target = random_hard_member(G, k, seed=seed)
    x = as_generator(seed + 0x5EED).standard_normal((pilot, G.degree))
    res = SQPolynomialLearner(G, k).fit(EmpiricalOracle(x, target(x)), check_samples=False)
    return int(math.ceil(margin * (res.samples_required or pilot)))


def run_separation(group: Any = "cyclic:64", k: int = 4, samples: int | None = None, *, seed: int = 0,
                   steps: int = 1000, width: int = 256, lrs: Sequence[float] = (1e-3, 3e-3),
                   batch_size: int = 256, test_samples: int = 5000, evals: int = 4,
                   run_gd: bool = True) -> dict[str, Any]:
    """Run both learners on one random hard target; returns a JSON-ready dict with keys
    ``sq``, ``gd`` (each with ``test_error``, ``queries``/``steps``, ``seconds``) and the setting.

    ``samples=None``: m from :func:`auto_samples` (the main run's own requirement is reported, not
    enforced). Given ``samples``: raises :class:`InsufficientSamplesError` (saying how many samples
    are needed) when m is too small for the SQ learner's tolerances.
    GD's test error is recorded ``evals`` times along the run (its curve) and at the end.
    ``test_error`` is the MSE on ``test_samples`` fresh points divided by their mean square; for
    the SQ learner ``exact_error`` = E(f̂ − f)²/E f² is also given (Hermite orthogonality).
    """
    G = resolve_group(group)
    n = G.degree
    k = _check_k(k, n)
    seed = check_int(seed, "seed", min_value=0)
    steps = check_int(steps, "steps", min_value=1)
    evals = check_int(evals, "evals", min_value=1)
    test_samples = check_int(test_samples, "test_samples", min_value=2)
    lrs = [check_float(v, "lr", low=0.0, low_open=True) for v in (lrs if isinstance(lrs, (list, tuple)) else [lrs])]
    subset, target = random_hard_member(G, k, seed=seed)
    auto = samples is None
    t0 = time.perf_counter()
    samples = auto_samples(G, k, seed, target=target) if auto else check_int(samples, "samples", min_value=2)
    pilot_seconds = time.perf_counter() - t0
    rng = as_generator(seed + 1)
    x = rng.standard_normal((samples, n))
    y = target(x)
    x_test = rng.standard_normal((test_samples, n))
    y_test = target(x_test)
    learner = SQPolynomialLearner(G, k)
    res = learner.fit(EmpiricalOracle(x, y), check_samples=not auto)
    pred = res.predictor
    sq = {
        "test_error": _normalized_error(res.predict(x_test), y_test),
        "exact_error": max(pred.norm_sq() - 2 * pred.inner(target) + target.norm_sq(), 0.0) / target.norm_sq(),
        "queries": res.queries,
        "query_bound": res.query_bound,
        "seconds": res.seconds,
        "samples_required": res.samples_required,
        "samples_sufficient": bool(res.samples_required is None or res.samples_required <= samples),
        "min_tolerance_sq_units": res.min_sq_tau,
        "union_bound_log_term": learner.log_term,
        "recovered_support": [list(V) for V, _ in res.support],
    }
    out: dict[str, Any] = {
        "group": G.name, "n": n, "k": k, "samples": samples, "seed": seed,
        "sample_rule": (f"auto: ceil({_MARGIN} x max plug-in need on a {_PILOT}-sample pilot) "
                        f"({pilot_seconds:.1f} s)") if auto else "given",
        "target_orbit_representative": list(subset), "orbits": hard_class_size(G, k),
        "orbits_over_samples": hard_class_size(G, k) / samples, "sq": sq,
    }
    if run_gd:
        out["gd"] = _run_gd(G, x, y, x_test, y_test, steps=steps, width=width, lrs=lrs, batch_size=batch_size,
                            seed=seed, evals=evals)
    return out


def _run_gd(G, x, y, x_test, y_test, *, steps: int, width: int, lrs: list[float], batch_size: int,
            seed: int, evals: int = 4) -> dict[str, Any]:
    """Adam on the square loss for an ensemble of ``len(lrs)`` G-averaged ReLU networks (one per
    learning rate), mini-batches drawn uniformly with replacement from the m training samples."""
    from ..models.cnn import GroupAveragedNetwork, is_cyclic_shift_group
    from .gd import TrainConfig, train_ensemble

    n = G.degree
    M = len(lrs)
    gen = torch.Generator().manual_seed(seed)
    form = "circular" if is_cyclic_shift_group(G) else "generic"
    net = GroupAveragedNetwork(G, n, width, ensemble=M, activation="relu", form=form, generator=gen)
    X = torch.as_tensor(x, dtype=torch.float32).unsqueeze(-1)
    Y = torch.as_tensor(y, dtype=torch.float32)
    Xt = torch.as_tensor(x_test, dtype=torch.float32).unsqueeze(-1)

    def sampler(b: int, g: torch.Generator) -> tuple[tuple[torch.Tensor], torch.Tensor]:
        # the same law as train_ensemble's finite mode, without its final pass over all m samples
        idx = torch.randint(X.shape[0], (b,), generator=g)
        return (X[idx],), Y[idx]

    cfg = TrainConfig(optimizer="adam", lr=list(lrs) if M > 1 else lrs[0], steps=steps, batch_size=batch_size,
                      eval_every=max(steps // evals, 1), seed=seed)
    t0 = time.perf_counter()
    r = train_ensemble(net, None, None, test_inputs=(Xt,), test_y=torch.as_tensor(y_test, dtype=torch.float32),
                       config=cfg, sampler=sampler)
    errs = np.where(r.diverged, np.inf, r.test_error)
    best = int(np.argmin(errs))
    curve = [(c["step"], round(c["test_error"], 4)) for c in r.curves if c["member"] == best]
    return {
        "test_error": float(r.test_error[best]), "steps": int(r.steps_run), "seconds": time.perf_counter() - t0,
        "lr": lrs[best], "test_error_per_lr": {str(lr): float(e) for lr, e in zip(lrs, r.test_error)},
        "final_train_loss": float(r.final_train_loss[best]), "test_error_curve": curve,
        "width": width, "batch_size": batch_size,
        "model": f"GroupAveragedNetwork({G.name}, relu, {form}, width {width}), Adam, best of lr grid {lrs}",
    }


def separation_sweep(ns: Sequence[int], k: int = 4, seed: int = 0, *, steps: int = 1000,
                     lrs: Sequence[float] = (1e-3, 3e-3), evals: int = 4) -> list[dict[str, Any]]:
    """:func:`run_separation` for the cyclic groups Z_n, n in ``ns`` (automatic sample sizes)."""
    return [run_separation(f"cyclic:{n}", k, None, seed=seed, steps=steps, lrs=lrs, evals=evals) for n in ns]


def plot_separation(rows: list[dict[str, Any]], path: Path, k: int, caption: str = "") -> Path:
    """Two panels (PNG, Agg backend): left, normalized test error of the SQ learner and of GD
    against n; right, the number N_k(Z_n) of hard orbit sums (Burnside, exact for n up to 2048)
    against the sample size m each run used (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..groups import PermutationGroup

    ns = [r["n"] for r in rows]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    ax.plot(ns, [r["sq"]["test_error"] for r in rows], "o-", label="SQ learner (support growth)")
    ax.plot(ns, [r["gd"]["test_error"] for r in rows], "s-", label="GD, Z_n-averaged ReLU net (best lr)")
    ax.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(v) for v in ns])
    ax.set_ylim(-0.05, 1.2)
    ax.set_xlabel("n")
    ax.set_ylabel("test MSE / E[y²]")
    ax.set_title(f"random degree-{k} orbit sums under Z_n, same m samples", fontsize=9)
    ax.legend(fontsize=8, loc="center right")
    grid = [v for v in (8, 16, 32, 64, 128, 256, 512, 1024, 2048) if v >= k]
    bx.plot(grid, [PermutationGroup.cyclic(v).orbit_count_subsets(k) for v in grid], "^-",
            label=f"N_{k}(Z_n) orbits (Burnside)")
    bx.plot(grid, [math.comb(v, k) / v for v in grid], ":", color="gray", label=f"C(n,{k})/n")
    bx.plot(ns, [r["samples"] for r in rows], "o", color="C3", label="samples m used")
    bx.set_xscale("log", base=2)
    bx.set_yscale("log")
    bx.set_xlabel("n")
    bx.set_title("hard class size vs sample size", fontsize=9)
    bx.legend(fontsize=8)
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=7, ha="left", va="bottom", wrap=True)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    else:
        fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
