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
from typing import Any, Sequence

import numpy as np
import torch

from .._random import as_generator
from ..errors import check_float, check_int
from ..resources import require
from ..families.polynomials import check_degree, hard_class_size, random_hard_member, resolve_group
from ..progress import Progress, as_progress, nested, track
from ..sections import Figure, Panel, Section, Series, Table
from .sq_polynomial import EmpiricalOracle, SQPolynomialLearner

__all__ = ["run_separation", "separation_sweep", "separation_figure", "separation_table", "separation_section",
           "auto_samples"]

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
    k = check_degree(k, G.degree)
    pilot = check_int(pilot, "pilot", min_value=100)
    if target is None:
        _, target = random_hard_member(G, k, seed=seed)
    x = as_generator(seed + 0x5EED).standard_normal((pilot, G.degree))
    res = SQPolynomialLearner(G, k).fit(EmpiricalOracle(x, target(x)), check_samples=False)
    return int(math.ceil(margin * (res.samples_required or pilot)))


def separation_estimate(G: Any, k: int, samples: int, test_samples: int = 5000, width: int = 256,
                        members: int = 2) -> Any:
    """Memory of :func:`run_separation` in closed form: the hidden orbit sum (up to ``O = min(|G|, C(n, k))``
    monomials of n exponents), the samples (``(m + test) × n`` float64, a few copies) and the GD ensemble's
    activations on them (``members × width`` per sample)."""
    from ..resources import Estimate, array_estimate

    n = G.degree
    orbit = min(G.order, math.comb(n, k))
    lower = "lower --samples or k, or use a smaller group"
    member = Estimate(f"the orbit sum of degree {k} under {G.name} (up to {orbit:.3g} monomials)",
                      bytes=16.0 * orbit * n, lower=lower)
    data = array_estimate(f"{samples} samples in dimension {n}", samples + test_samples, n + members * width / 4,
                          copies=4, lower=lower)
    return member.peak(data)


def run_separation(group: Any = "cyclic:64", k: int = 4, samples: int | None = None, *, seed: int = 0,
                   steps: int = 1000, width: int = 256, lrs: Sequence[float] = (1e-3, 3e-3),
                   batch_size: int = 256, test_samples: int = 5000, evals: int = 4,
                   run_gd: bool = True, progress: Progress | None = None) -> dict[str, Any]:
    """Run both learners on one random hard target; returns a JSON-ready dict with keys
    ``sq``, ``gd`` (each with ``test_error``, ``queries``/``steps``, ``seconds``) and the setting.

    ``samples=None``: m from :func:`auto_samples` (the main run's own requirement is reported, not
    enforced). Given ``samples``: raises :class:`InsufficientSamplesError` (saying how many samples
    are needed) when m is too small for the SQ learner's tolerances.
    GD's test error is recorded ``evals`` times along the run (its curve) and at the end.
    ``test_error`` is the MSE on ``test_samples`` fresh points divided by their mean square; for
    the SQ learner ``exact_error`` = E(f̂ − f)²/E f² is also given (Hermite orthogonality).
    ``progress`` (:mod:`symhard.progress`) hears of the pilot, the SQ learner and every GD step.
    """
    G = resolve_group(group)
    n = G.degree
    k = check_degree(k, n)
    seed = check_int(seed, "seed", min_value=0)
    steps = check_int(steps, "steps", min_value=1)
    evals = check_int(evals, "evals", min_value=1)
    test_samples = check_int(test_samples, "test_samples", min_value=2)
    lrs = [check_float(v, "lr", low=0.0, low_open=True) for v in (lrs if isinstance(lrs, (list, tuple)) else [lrs])]
    require(separation_estimate(G, k, _PILOT if samples is None else check_int(samples, "samples", min_value=2),
                                test_samples, width, len(lrs)))
    subset, target = random_hard_member(G, k, seed=seed)
    auto = samples is None
    report = as_progress(progress)
    if auto:
        report(0, None, f"{G.name}, k={k}: pilot run of the SQ learner on {_PILOT} samples (choosing m)")
    t0 = time.perf_counter()
    samples = auto_samples(G, k, seed, target=target) if auto else check_int(samples, "samples", min_value=2)
    pilot_seconds = time.perf_counter() - t0
    require(separation_estimate(G, k, samples, test_samples, width, len(lrs)))
    rng = as_generator(seed + 1)
    x = rng.standard_normal((samples, n))
    y = target(x)
    x_test = rng.standard_normal((test_samples, n))
    y_test = target(x_test)
    learner = SQPolynomialLearner(G, k)
    report(0, None, f"{G.name}, k={k}: SQ learner on m = {samples} samples")
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
                            seed=seed, evals=evals, progress=report)
    return out


def _run_gd(G, x, y, x_test, y_test, *, steps: int, width: int, lrs: list[float], batch_size: int,
            seed: int, evals: int = 4, progress: Progress = as_progress(None)) -> dict[str, Any]:
    """Adam on the square loss for an ensemble of ``len(lrs)`` G-averaged ReLU networks (one per
    learning rate), mini-batches drawn uniformly with replacement from the m training samples."""
    from ..models.cnn import GroupAveragedNetwork
    from .gd import TrainConfig, train_ensemble

    n = G.degree
    M = len(lrs)
    gen = torch.Generator().manual_seed(seed)
    form = "circular" if G.is_cyclic_shift() else "generic"
    net = GroupAveragedNetwork(G, n, width, ensemble=M, activation="relu", form=form, generator=gen)
    X = torch.as_tensor(x, dtype=torch.float32).unsqueeze(-1)
    Y = torch.as_tensor(y, dtype=torch.float32)
    Xt = torch.as_tensor(x_test, dtype=torch.float32).unsqueeze(-1)

    label = f"{G.name}: gradient descent steps ({M} network(s) of width {width})"
    done = [0]

    def sampler(b: int, g: torch.Generator) -> tuple[tuple[torch.Tensor], torch.Tensor]:
        # the same law as train_ensemble's finite mode, without its final pass over all m samples;
        # train_ensemble draws one batch per step, so the calls count the steps
        progress(done[0], steps, label)
        done[0] += 1
        idx = torch.randint(X.shape[0], (b,), generator=g)
        return (X[idx],), Y[idx]

    cfg = TrainConfig(optimizer="adam", lr=list(lrs) if M > 1 else lrs[0], steps=steps, batch_size=batch_size,
                      eval_every=max(steps // evals, 1), seed=seed)
    t0 = time.perf_counter()
    r = train_ensemble(net, None, None, test_inputs=(Xt,), test_y=torch.as_tensor(y_test, dtype=torch.float32),
                       config=cfg, sampler=sampler)
    progress(done[0], steps, label)
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
                     lrs: Sequence[float] = (1e-3, 3e-3), evals: int = 4,
                     progress: Progress | None = None) -> list[dict[str, Any]]:
    """:func:`run_separation` for the cyclic groups Z_n, n in ``ns`` (automatic sample sizes); ``progress``
    hears of each n, and of each run's steps through :func:`symhard.progress.nested`."""
    return [run_separation(f"cyclic:{n}", k, None, seed=seed, steps=steps, lrs=lrs, evals=evals,
                           progress=nested(progress, f"n = {n}"))
            for n in track(list(ns), progress, "separation run, Z_n with n")]


def separation_figure(rows: list[dict[str, Any]], k: int, caption: str = "") -> Figure:
    """Figure data (no drawing) for rows of :func:`run_separation` on Z_n: left, the normalized test
    error of the SQ learner and of GD against n; right, the number N_k(Z_n) of hard orbit sums
    (Burnside, exact for n up to 2048) and C(n,k)/n against n, with the sample size m each run used."""
    from ..groups import PermutationGroup

    ns = [r["n"] for r in rows]
    errors = Panel(
        title=f"random degree-{k} orbit sums under Z_n, same m samples", xlabel="n (input dimension)",
        ylabel="test MSE / E[y²] (dimensionless)", xscale="log", ylim=(-0.05, 1.2),
        series=[Series(ns, [r["sq"]["test_error"] for r in rows], "SQ learner (support growth)", style="o-"),
                Series(ns, [r["gd"]["test_error"] if "gd" in r else math.nan for r in rows],
                       "GD, Z_n-averaged ReLU net (best lr)", style="s-")],
        hlines=[(1.0, "zero predictor")])
    if not any("gd" in r for r in rows):
        errors.note = "gradient descent was not run (run_gd=False)"
    grid = [v for v in (8, 16, 32, 64, 128, 256, 512, 1024, 2048) if v >= k]
    sizes = Panel(
        title="hard class size vs sample size", xlabel="n (input dimension)", ylabel="count (members or samples)",
        xscale="log", yscale="log",
        series=[Series(grid, [PermutationGroup.cyclic(v).orbit_count_subsets(k) for v in grid],
                       f"N_{k}(Z_n) orbits (Burnside)", style="^-"),
                Series(grid, [math.comb(v, k) / v for v in grid], f"C(n,{k})/n", style=":", color="gray"),
                Series(ns, [r["samples"] for r in rows], "samples m used", style="o", color="C3")])
    gd = [r["gd"] for r in rows if "gd" in r]
    budget = f"SQ learner: at most {max(r['sq']['queries'] for r in rows)} queries" if rows else "no runs"
    if gd:
        budget += f"; GD: {max(g['steps'] for g in gd)} steps × batch {gd[0]['batch_size']}"
    return Figure(name="polynomials-separation",
                  title=f"polynomials (hard class): SQ learner vs gradient descent; degree-{k} orbit sums, group Z_n, "
                        f"n = {', '.join(map(str, ns))}; budget: the same m samples, {budget}",
                  panels=[errors, sizes], caption=caption)


def separation_table(rows: list[dict[str, Any]]) -> Table:
    """One row per run: n, N_k, m, and each learner's error and budget (SQ: queries and samples;
    GD: steps of batch b on the same samples)."""
    out = []
    for r in rows:
        sq, gd = r["sq"], r.get("gd")
        out.append([str(r["n"]), str(r["orbits"]), str(r["samples"]), f"{sq['test_error']:.3g}",
                    f"{sq['queries']} (bound {sq['query_bound']})",
                    "not run" if gd is None else f"{gd['test_error']:.3g}",
                    "not run" if gd is None else f"{gd['steps']} × {gd['batch_size']}"])
    return Table(header=["n", "orbits N_k", "samples m", "SQ error", "SQ queries", "GD error", "GD steps × batch"],
                 rows=out, caption="Both learners see the same m samples; errors are test MSE / E[y²].")


def _separation_section(ns: Sequence[int], k: int, steps: int, evals: int, quick: bool,
                        progress: Progress | None = None) -> Section:
    rows = separation_sweep(ns, k=k, seed=0, steps=steps, evals=evals, progress=progress)
    caption = (f"GD: Z_n-averaged ReLU net (width 256, circular form), Adam, best of lr 1e-3 / 3e-3, "
               f"{steps} steps of batch 256 from the same m samples as the SQ learner"
               + (" (quick budget; `symhard separate` uses 1000 steps)." if quick else "."))
    text = (f"Random multilinear degree-{k} orbit sums under Z_n (x ~ N(0, I_n)). The SQ learner (support "
            "growth with E[y² Π(x_j²−1)], then E[y·p_[U]]) runs from the same m samples as gradient descent; "
            "its budget is its queries and the m samples, gradient descent's its steps. " + caption)
    return Section(title="polynomials: SQ learner vs gradient descent (the SQ/CSQ separation)", text=text,
                   tables=[separation_table(rows)], figures=[separation_figure(rows, k, caption)],
                   anchor="polynomials-separation")


def separation_section(quick: bool = True, progress: Progress | None = None) -> Section:
    """SQ vs GD on random degree-4 orbit sums under Z_n, as report data (no drawing).

    Quick: n = 16, 32, GD 150 steps (one ensemble of lrs 1e-3, 3e-3); full: n = 16, 32, 64, 128
    with the default GD budget of ``symhard separate`` (1000 steps). ``progress``: see :mod:`symhard.progress`.
    """
    if quick:
        return _separation_section([16, 32], 4, steps=150, evals=2, quick=True, progress=progress)
    return _separation_section([16, 32, 64, 128], 4, steps=1000, evals=4, quick=False, progress=progress)
