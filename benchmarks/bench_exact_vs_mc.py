r"""Time to a correlation estimate within 1e-3: the exact route against Monte-Carlo sampling.

For two members f, g of a family the normalized correlation is
:math:`\rho = E[fg]/\sqrt{E[f^2]E[g^2]}`.

* exact: the arc-cosine kernel (:mod:`symhard.queries.arccos`) for the GNN-feature family on a
  fixed graph (:func:`symhard.families.gnn_features.fixed_graph_gram`) and for the CNN family
  (:func:`symhard.families.cnn.gram_exact`); the truth table and the Walsh–Hadamard transform
  (:func:`symhard.queries.walsh.fwht`) for Boolean functions on {±1}^n.
* Monte Carlo: :math:`\hat\rho = \overline{fg}/\sqrt{\overline{f^2}\,\overline{g^2}}` on N
  i.i.d. inputs, with the delta-method standard error
  :math:`\mathrm{se} = \mathrm{sd}(\psi)/\sqrt N`, :math:`\psi_i = f_ig_i/\sqrt{ab} -
  \tfrac{\hat\rho}{2}(f_i^2/a + g_i^2/b)`, :math:`a = \overline{f^2}, b = \overline{g^2}`.
  A pilot of ``N0`` samples estimates sd(ψ); the run then uses :math:`N = (\mathrm{sd}/10^{-3})^2`
  samples (the time to reach se = 1e-3). When that N exceeds ``cap`` samples, the time is
  extrapolated linearly from a run of ``cap`` samples and the row says so. Every Monte-Carlo
  estimate is checked against the exact value (|difference| ≤ 4 se).

    python benchmarks/bench_exact_vs_mc.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import best_time  # noqa: E402

TARGET_SE = 1e-3


def _corr_and_psi(f: np.ndarray, g: np.ndarray) -> tuple[float, float, float]:
    a, b = float(np.mean(f * f)), float(np.mean(g * g))
    rho = float(np.mean(f * g)) / math.sqrt(a * b)
    psi = f * g / math.sqrt(a * b) - 0.5 * rho * (f * f / a + g * g / b)
    return rho, float(np.std(psi)), float(np.std(psi) / math.sqrt(len(f)))


def _mc(sample_pair, pilot: int, cap: int, chunk: int, seed: int) -> dict:
    """sample_pair(m, rng) -> (f [m], g [m]). Returns N needed, seconds (measured or extrapolated), estimate."""
    rng = np.random.default_rng(seed)
    f, g = sample_pair(pilot, rng)
    _, sd, _ = _corr_and_psi(f, g)
    need = int(math.ceil((sd / TARGET_SE) ** 2))
    run_n = min(need, cap)
    t0 = time.perf_counter()
    fs, gs = [], []
    done = 0
    while done < run_n:
        m = min(chunk, run_n - done)
        a, b = sample_pair(m, rng)
        fs.append(a)
        gs.append(b)
        done += m
    f, g = np.concatenate(fs), np.concatenate(gs)
    rho, _, se = _corr_and_psi(f, g)
    secs = time.perf_counter() - t0
    return {"samples_needed": need, "samples_run": run_n, "extrapolated": need > run_n,
            "seconds": secs * need / run_n, "estimate": rho, "stderr": se}


def gnn_features(quick: bool) -> dict:
    from symhard.families import _alternating_relu as ar
    from symhard.families.gnn_features import feature_target, fixed_graph_gram

    d, k, nodes = (8, 4, 4) if quick else (16, 4, 4)
    frames = ar.random_orthonormal_frame(d, 1, count=2)
    rng = np.random.default_rng(5)
    A = np.triu((rng.random((nodes, nodes)) < 0.5).astype(float), 1)
    A_hat = A + A.T + np.eye(nodes)

    def exact():
        G = fixed_graph_gram(frames, k, A_hat)
        return G[0, 1] / math.sqrt(G[0, 0] * G[1, 1])

    rho = exact()
    t_exact = best_time(exact, repeat=5, min_time=0.05)

    # Monte Carlo with the fastest evaluator at hand: the ensemble GNN 1ᵀ ReLU(ÂXW) a in torch (float64)
    import torch

    from symhard.families.gnn_features import feature_weights
    from symhard.models.gnn import OneHiddenLayerGNN

    W, a = feature_weights(frames, k)
    net = OneHiddenLayerGNN.from_weights(torch.as_tensor(W), torch.as_tensor(np.broadcast_to(a, (2, 2 * k)).copy()))
    At = torch.as_tensor(A_hat)
    X0 = np.random.default_rng(0).standard_normal((4, nodes, d))
    with torch.no_grad():
        ref = net(torch.as_tensor(X0), At.expand(4, nodes, nodes)).numpy()
    assert np.allclose(ref, [feature_target(X0, A_hat[None], V, k) for V in frames])  # same functions

    def pair(m, r):
        X = torch.as_tensor(r.standard_normal((m, nodes, d)))
        with torch.no_grad():
            out = net(X, At.expand(m, nodes, nodes)).numpy()
        return out[0], out[1]

    mc = _mc(pair, pilot=20000, cap=400_000 if quick else 4_000_000, chunk=100_000, seed=7)
    return {"family": f"gnn-features (d={d}, k={k}, {nodes} nodes, fixed graph)", "exact": rho, "exact_seconds": t_exact, **mc}


def cnn(quick: bool) -> dict:
    from symhard.families.cnn import gram_exact, sample_frames, target_values
    from symhard.groups import PermutationGroup

    n, k = (12, 4) if quick else (24, 4)
    G = PermutationGroup.cyclic(n)
    V = sample_frames(n, 2, 3)

    def exact():
        M = gram_exact(V, G, k)
        return M[0, 1] / math.sqrt(M[0, 0] * M[1, 1])

    rho = exact()
    t_exact = best_time(exact, repeat=5, min_time=0.05)

    # Monte Carlo with the fastest evaluator at hand: the circular (FFT) GroupAveragedNetwork, float64
    import torch

    from symhard.families.cnn import network_weights
    from symhard.models.cnn import GroupAveragedNetwork

    W, a = network_weights(V, k)
    net = GroupAveragedNetwork.from_weights(G, torch.as_tensor(W), torch.as_tensor(a))
    X0 = np.random.default_rng(0).standard_normal((4, n, 1))
    with torch.no_grad():
        assert np.allclose(net(torch.as_tensor(X0)).numpy(), target_values(V, G, k, X0))  # same functions

    def pair(m, r):
        with torch.no_grad():
            out = net(torch.as_tensor(r.standard_normal((m, n, 1)))).numpy()
        return out[0], out[1]

    mc = _mc(pair, pilot=20000, cap=200_000 if quick else 2_000_000, chunk=50_000, seed=8)
    return {"family": f"cnn (n={n}, k={k}, cyclic)", "exact": rho, "exact_seconds": t_exact, **mc}


def boolean(quick: bool) -> list[dict]:
    from symhard.families.boolean import random_invariant_tables
    from symhard.groups import PermutationGroup
    from symhard.queries.walsh import fwht

    n = 14 if quick else 18
    G = PermutationGroup.cyclic(n)
    tables, _ = random_invariant_tables(G, 2, seed=4)
    f, g = tables[0].astype(np.float64), tables[1].astype(np.float64)
    S = 0b1011  # the parity χ_S, S = {0, 1, 3}
    idx = np.arange(1 << n)
    chi = 1.0 - 2.0 * (np.bitwise_count(idx & S) & 1)

    # one correlation: E[f g] = mean over the truth tables (f, g are ±1: unit norm)
    # (einsum, not f @ g: the BLAS dot spins its threads and is ~40x slower on a loaded 2-core machine)
    exact_fg = float(np.einsum("i,i->", f, g)) / (1 << n)
    t_fg = best_time(lambda: float(np.einsum("i,i->", f, g)) / (1 << n), repeat=5, min_time=0.05)
    # the whole Walsh spectrum f̂(S) = (H f)[S] / 2^n: every parity correlation at once
    spectrum = fwht(f) / (1 << n)
    assert abs(spectrum[S] - float(np.einsum('i,i->', f, chi)) / (1 << n)) < 1e-12
    t_wht = best_time(lambda: fwht(f), repeat=3)

    def pair_fg(m, r):
        x = r.integers(0, 1 << n, m)
        return f[x], g[x]

    def pair_chi(m, r):
        x = r.integers(0, 1 << n, m)
        return f[x], 1.0 - 2.0 * (np.bitwise_count(x & S) & 1)

    mc_fg = _mc(pair_fg, pilot=20000, cap=4_000_000, chunk=1_000_000, seed=9)
    mc_chi = _mc(pair_chi, pilot=20000, cap=4_000_000, chunk=1_000_000, seed=10)
    all_mc = {**mc_chi, "seconds": mc_chi["seconds"] * (1 << n), "samples_needed": mc_chi["samples_needed"] * (1 << n),
              "extrapolated": True}
    return [
        {"family": f"boolean (n={n}, cyclic): E[f g], one pair", "exact": exact_fg, "exact_seconds": t_fg, **mc_fg},
        {"family": f"boolean (n={n}, cyclic): all 2^{n} Walsh coefficients (WHT vs MC per coefficient)",
         "exact": float(spectrum[S]), "exact_seconds": t_wht, **all_mc},
    ]


def run(quick: bool = False) -> dict:
    rows = [gnn_features(quick), cnn(quick), *boolean(quick)]
    for r in rows:
        r["ratio"] = r["seconds"] / r["exact_seconds"]
        r["mc_agrees_with_exact"] = bool(abs(r["estimate"] - r["exact"]) <= 4 * r["stderr"] + 1e-12)
    return {"name": "exact_vs_mc", "target_stderr": TARGET_SE, "rows": rows,
            "goal": "exact at least 1000x faster", "goal_met": {r["family"]: bool(r["ratio"] >= 1000) for r in rows}}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    print(json.dumps(run(p.parse_args().quick), indent=2))
