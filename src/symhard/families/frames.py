r"""Family ``frames``: Goel et al. (2020) sign networks, frame-averaged with a sign-invariant frame.

Class
-----
For :math:`S \subseteq [n]`, :math:`|S| = k` even, the sign network of Goel, Gollakota, Jin,
Karmalkar and Klivans (2020) is

.. math::

    f_S(x) = \sum_{w\in\{\pm1\}^k}\Bigl(\prod_i w_i\Bigr)\,\mathrm{ReLU}\bigl(\langle w, x_S\rangle/\sqrt{k}\bigr),

a one-hidden-layer ReLU network with :math:`2^k` units (odd k gives :math:`f_S \equiv 0`). For a
group :math:`G \le S_n` and a *sign-invariant* frame :math:`F` (computed from :math:`|x|`, see
:mod:`symhard.groups.frames`), the class is :math:`\bar f_S = \langle f_S\rangle_F`, i.e.
:class:`symhard.models.frame_averaged.FrameAveraged` around the sign network (checked by
``realization_error``). Inputs: :math:`x \sim N(0, I_n)`.

Orthogonality (exact)
---------------------
Condition on :math:`r = |x|`: the frame :math:`F(x) = F(r)` is fixed and the signs
:math:`\varepsilon_i = \mathrm{sign}(x_i)` are i.i.d. uniform, independent of :math:`r`. The term
:math:`f_S(h^{-1}x)` depends on the signs on :math:`h(S)` only and is odd in each of them
(flipping :math:`x_j` flips :math:`\prod w_i` under :math:`w_j \mapsto -w_j`). So
:math:`E_\varepsilon[f_S(h^{-1}x) f_T(h'^{-1}x)] = 0` unless :math:`h(S) = h'(T)`, which forces
:math:`T \in G·S`. Hence :math:`E[\bar f_S\bar f_T \mid r] = 0` for every r whenever S and T lie
in different G-orbits. The certificate computes :math:`E_\varepsilon[\bar f_S \bar f_T \mid r]`
*exactly* (an average over every sign pattern on :math:`\bigcup h(S) \cup h'(T)`) for a sample
of r: ``method = "exact"``. Norms :math:`\|\bar f_S\|^2 = E_r E_\varepsilon[\bar f_S^2 \mid r]`
are Monte Carlo over r (exact over the signs), with standard errors; a vanishing norm would void
the bound, so the smallest is reported.

Lower bound
-----------
One representative per G-orbit of k-subsets gives :math:`m = \#\text{orbits}` (Burnside, exact)
unit-norm pairwise-orthogonal functions, :math:`m \ge \binom{n}{k}/|G|`; the pairwise CSQ bound
gives :math:`q \ge m\tau^2/2` queries of tolerance :math:`\tau`. With :math:`k \approx \log_2 n`,
:math:`m = n^{\Omega(\log n)}`, and :math:`\tau = n^{-c}` gives the paper's "for any constant c,
either :math:`n^{\log n}` queries or a query of accuracy :math:`n^{-c}`" (reported as
``log10_orbits_at_k_log`` and ``log10_queries_at_k_log``; orthogonality there holds by the same
proof but is certified numerically only at the k of the certificate).
"""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._random import as_generator, torch_generator
from ..errors import InvalidParameterError, check_float, check_int, check_tau
from ..groups import PermutationGroup, as_group
from ..groups.frames import Frame, default_frame, frame_average
from ..queries.arccos import network_gram
from ..queries.bounds import csq_pairwise_bound
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role

PAPER_BOUND = ("for any constant c, either n^{log n} queries or a query of accuracy n^{−c} "
               "(Kiani et al. 2024, frame-averaged networks for permutation subgroups, CSQ)")

MAX_K = 10


# ----------------------------------------------------------------------------- validation
def resolve_group(group: Any, n: int) -> PermutationGroup:
    """``group`` (spec or PermutationGroup) checked to act on exactly n points."""
    return as_group(group, n, acting_on="input coordinates")


def check_k(k: Any, n: int) -> int:
    """k even, 2 ≤ k ≤ min(n, MAX_K) (odd k gives f_S ≡ 0 for ReLU)."""
    k = check_int(k, "k", min_value=2)
    if k % 2:
        raise InvalidParameterError(f"k == {k}: the ReLU sign network f_S is identically zero for odd k; k must be even and >= 2.")
    if k > n:
        raise InvalidParameterError(f"k == {k} exceeds n == {n}; k must be even with 2 <= k <= n.")
    if k > MAX_K:
        raise InvalidParameterError(f"k == {k}: the sign network has 2^k units; k must be <= {MAX_K}.")
    return k


# ----------------------------------------------------------------------------- the sign network
def sign_patterns(k: int) -> np.ndarray:
    """All w ∈ {±1}^k, shape ``(2^k, k)``."""
    return np.array(list(product((1.0, -1.0), repeat=k)))


def sign_network_weights(S: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, a) of f_S: W[:, j] = w_j on the coordinates S, /√k; a_j = Π w_j. ``W (n, 2^k)``, ``a (2^k,)``."""
    S = np.asarray(S, dtype=np.int64)
    k = S.size
    w = sign_patterns(k)
    W = np.zeros((n, w.shape[0]))
    W[S] = w.T / math.sqrt(k)
    return W, w.prod(axis=1)


def f_sign(xS: np.ndarray) -> np.ndarray:
    """f_S evaluated on the restricted inputs ``xS [..., k]``: Σ_w (Πw) ReLU(⟨w, x_S⟩/√k)."""
    k = xS.shape[-1]
    w = sign_patterns(k)
    return np.maximum(xS @ w.T / math.sqrt(k), 0.0) @ w.prod(axis=1)


def f_bar(S: Any, x: np.ndarray, frame: Frame) -> np.ndarray:
    """f̄_S(x) = ⟨f_S⟩_F(x) from the formula (numpy): ``x [B, n]`` → ``[B]``."""
    S = np.asarray(S, dtype=np.int64)
    return frame_average(lambda y: f_sign(y[:, S]), x, frame)


# ----------------------------------------------------------------------------- exact sign averages
def conditional_products(R: np.ndarray, frame: Frame, SA: np.ndarray, SB: np.ndarray) -> np.ndarray:
    """E_ε[f̄_A(ε∘r) f̄_B(ε∘r)] exactly, for every r in ``R [N, n]`` and every pair (A, B).

    ``SA``, ``SB``: ``(P, k)`` subsets (pairs row by row). Returns ``(N, P)``. For frame elements
    h, h' the term E_ε[f_A((ε∘r)[h(A)]) f_B((ε∘r)[h'(B)])] is an average over all 2^{2k}
    assignments of signs to the distinct coordinates of the 2k slots h(A) ⊔ h'(B), where a slot repeating an earlier
    coordinate reuses that coordinate's sign (each distinct sign pattern on the union is then
    counted equally often, so the average is exact). Only 2^u patterns are enumerated, u the
    largest number of distinct coordinates among the slots (k on the diagonal of a canonicalization).
    """
    perms, mask = frame.elements(R)  # [N, K, n], [N, K]
    N, K, n = perms.shape
    k = SA.shape[1]
    posA = perms[:, :, SA]  # [N, K, P, k]: h(A) as coordinates
    posB = perms[:, :, SB]
    slots = np.concatenate([
        np.broadcast_to(posA[:, :, None], (N, K, K, *posA.shape[2:])),
        np.broadcast_to(posB[:, None, :], (N, K, K, *posB.shape[2:])),
    ], axis=-1)  # [N, K, K', P, 2k]
    first = (slots[..., :, None] == slots[..., None, :]).argmax(-1)  # index of the first equal slot
    is_first = first == np.arange(2 * k)
    ids = np.take_along_axis(np.cumsum(is_first, axis=-1) - 1, first, axis=-1)  # distinct coordinate id of each slot
    u = int(is_first.sum(-1).max())  # largest number of distinct coordinates
    bits = ((np.arange(1 << u)[:, None] >> np.arange(u)) & 1)  # [Q, u]: every sign pattern on u coordinates
    eps = 1.0 - 2.0 * bits
    eps_slots = eps[:, ids]  # [Q, N, K, K', P, 2k]
    vals = np.take_along_axis(np.broadcast_to(R[:, None, None, None, :], (*slots.shape[:-1], n)), slots, axis=-1)
    signed = eps_slots * vals
    prod = f_sign(signed[..., :k]) * f_sign(signed[..., k:])  # [Q, N, K, K', P]
    term = prod.mean(0)
    w = mask[:, :, None].astype(float) * mask[:, None, :]  # [N, K, K']
    cnt = mask.sum(1).astype(float)
    return np.einsum("nkjp,nkj->np", term, w) / (cnt**2)[:, None]


# ----------------------------------------------------------------------------- certificate
def _k_log(n: int) -> int:
    """The even k nearest log2 n (at least 2, at most min(n, ...))."""
    return int(min(n - n % 2, max(2, 2 * round(math.log2(n) / 2))))


def certify(n: int = 12, group: Any = None, k: int = 2, members: int = 16, abs_samples: int = 64,
            norm_samples: int = 4000, tau: float | None = None, c: float = 1.0, seed: int = 0,
            realization_samples: int = 64) -> Certificate:
    """Certificate of the frames family (module docstring)."""
    n = check_int(n, "n", min_value=2)
    G = resolve_group(group if group is not None else f"cyclic:{n}", n)
    k = check_k(k, n)
    members = check_int(members, "members", min_value=2, max_value=512)
    abs_samples = check_int(abs_samples, "abs_samples", min_value=1)
    norm_samples = check_int(norm_samples, "norm_samples", min_value=2)
    c = check_float(c, "c", low=0.0, low_open=True)
    seed = check_int(seed, "seed", min_value=0)
    tau_used = n ** (-c) if tau is None else check_tau(tau)
    rng = as_generator(seed)
    frame = default_frame(G, sign_invariant=True)
    orbit_count = G.orbit_count_subsets(k)
    reps = np.array(G.subset_orbit_representatives(k), dtype=np.int64)
    if len(reps) > members:
        reps = reps[np.sort(rng.choice(len(reps), members, replace=False))]
    m = len(reps)
    if m < 2:
        raise InvalidParameterError(f"{G.name} has a single orbit of {k}-subsets: no pair of orthogonal members to certify.")

    # realization: FrameAveraged(sign network weights) against the formula
    from ..models.frame_averaged import EnsembleMLP, FrameAveraged

    Ws, As = zip(*(sign_network_weights(S, n) for S in reps))
    net = FrameAveraged(EnsembleMLP.from_weights(np.stack(Ws), np.stack(As)), frame)
    X = rng.standard_normal((realization_samples, n))
    with torch.no_grad():
        out = net(torch.as_tensor(X)).numpy()
    ref = np.stack([f_bar(S, X, frame) for S in reps])
    realization_error = float(np.abs(out - ref).max())

    # norms: Monte Carlo over |x|, exact over the signs
    Rn = np.abs(rng.standard_normal((norm_samples, n)))
    diag = conditional_products(Rn, frame, reps, reps)  # [N, m]
    norms_sq = diag.mean(0)
    norms_se = diag.std(0, ddof=1) / math.sqrt(norm_samples)
    # orthogonality: exact over the signs for a sample of |x|
    iu, ju = np.triu_indices(m, 1)
    Ro = np.abs(rng.standard_normal((abs_samples, n)))
    off = conditional_products(Ro, frame, reps[iu], reps[ju])  # [N, P]
    corr = np.abs(off) / np.sqrt(norms_sq[iu] * norms_sq[ju])[None]
    gamma = float(corr.max())
    # un-averaged reference norm ‖f_S‖² (exact, arc-cosine kernel; the same for every S)
    W0, a0 = sign_network_weights(np.arange(k), k)
    plain_norm_sq = float(network_gram(a0[None], W0.T[None])[0, 0])

    lb = csq_pairwise_bound(orbit_count, min(1.0, gamma), tau_used)
    kl = _k_log(n)
    orbits_kl = G.orbit_count_subsets(kl)
    lb_kl = csq_pairwise_bound(orbits_kl, 0.0, tau_used)
    return Certificate(
        family="frames",
        params={"n": n, "group": G.name, "k": k, "members": m, "frame": repr(frame), "abs_samples": abs_samples,
                "norm_samples": norm_samples, "tau": tau_used, "c": c, "seed": seed},
        method="exact",
        members=orbit_count,
        realization_error=realization_error,
        max_offdiag_corr=gamma,
        max_offdiag_corr_stderr=0.0,
        min_norm=float(np.sqrt(norms_sq.min())),
        lower_bound=lb,
        extra={
            "group_order": G.order,
            "orbit_count": orbit_count,
            "orbit_count_lower": math.comb(n, k) / G.order,
            "members_checked": m,
            "pairs_checked": int(iu.size),
            "min_norm_sq": float(norms_sq.min()),
            "min_norm_sq_stderr": float(norms_se[np.argmin(norms_sq)]),
            "max_norm_sq": float(norms_sq.max()),
            "unaveraged_norm_sq": plain_norm_sq,
            "k_log": kl,
            "log10_orbits_at_k_log": math.log10(orbits_kl),
            "log10_n_pow_log2_n": math.log2(n) * math.log10(n),
            "log10_queries_at_k_log": lb_kl.log10_queries,
            "paper_bound": PAPER_BOUND,
        },
    )


class FramesFamily(Family):
    """Goel et al. sign networks, frame-averaged with a sign-invariant frame."""

    name = "frames"
    summary = "f̄_S = ⟨f_S⟩_F, f_S(x) = Σ_w (Πw) ReLU(⟨w, x_S⟩/√k), F a sign-invariant frame of G ≤ S_n; Gaussian x"
    theorem = "CSQ: n^{log n} queries or accuracy n^{−c}; certified: #orbits of k-subsets · τ²/2 (exact orthogonality)"

    symmetry = "G <= S_n permuting the n coordinates of x, through a sign-invariant frame"
    bound = "csq-counting"
    params = (
        Param("n", "int", 12, "dimension of the Gaussian input", low=2),
        Param("group", "group", None, "group acting on the n coordinates (default cyclic:N)", optional=True),
        Param("k", "int", 2, "subset size, 2 <= k <= n", low=2, high=MAX_K, multiple_of=2),
        Param("members", "int", 16, "orbit representatives checked pairwise", low=2, high=512),
        Param("abs_samples", "int", 64, "samples of |x| for the exact orthogonality check", low=1),
        Param("norm_samples", "int", 4000, "Monte-Carlo samples of |x| for the norms", low=2),
        Param("tau", "float", None, "query tolerance (default n^-c)", low=0.0, high=1.0, low_open=True, optional=True),
        Param("c", "float", 1.0, "exponent c of the default tolerance n^-c", low=0.0, low_open=True),
        Param("seed", "int", 0, "seed of the samples", low=0),
        Param("realization_samples", "int", 64, "inputs of the realization check", low=1),
    )

    def _certify(self, **params: Any) -> Certificate:
        return certify(**params)

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ns = [6, 8, 10, 12] if quick else [6, 8, 10, 12, 16, 20, 24]
        rows, certs = [], []
        for kind in ("cyclic", "dihedral"):
            for n in ns:
                cert = certify(n=n, group=f"{kind}:{n}", k=2, members=8, abs_samples=16,
                               norm_samples=400 if quick else 2000, realization_samples=8)
                certs.append(cert)
                rows.append((kind, n, cert.extra["orbit_count"], cert.max_offdiag_corr, cert.extra["min_norm_sq"],
                             cert.extra["min_norm_sq_stderr"], cert.extra["log10_orbits_at_k_log"]))
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
        for kind, marker in (("cyclic", "o"), ("dihedral", "s")):
            sel = [r for r in rows if r[0] == kind]
            x = [r[1] for r in sel]
            axes[0].semilogy(x, [max(r[3], 1e-18) for r in sel], marker=marker, label=kind)
            axes[1].errorbar(x, [r[4] for r in sel], yerr=[2 * r[5] for r in sel], marker=marker, label=kind, capsize=3)
            axes[2].plot(x, [r[6] for r in sel], marker=marker, label=kind)
        for ax, title in zip(axes, ("max |corr| across orbits (exact given |x|)", "min ‖f̄_S‖² (MC, ±2 s.e.)",
                                    "log10 #orbits at k ≈ log2 n")):
            ax.set_xlabel("n")
            ax.set_title(title, fontsize=9)
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "frames_corr_norm.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        table = ["| group | n | #orbits (k=2) | max corr | min ‖f̄‖² | s.e. |", "|---|---|---|---|---|---|"]
        table += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1e} | {r[4]:.4f} | {r[5]:.1e} |" for r in rows]
        text = f"k = 2, sign-invariant frames, Gaussian x. Paper bound: {PAPER_BOUND}.\n\n" + "\n".join(table)
        return ReportSection(title="Frame-averaged networks (Goel et al. sign networks)", text=text,
                             certificates=certs, figures=[path])


# ----------------------------------------------------------------------------- learning task
def _torch_gen(generator: Any) -> torch.Generator:
    return torch_generator(generator)


class FramesTask:
    """x ~ N(0, I_n); hard: f̄_S for a random k-subset S; control: a frame-averaged random narrow ReLU teacher."""

    family = "frames"
    param_name = "n"

    def __init__(self, n: int, role: str, seed: int, k: int = 4, group: Any = None, control_width: int = 4,
                 norm_samples: int = 20_000) -> None:
        from ..models.frame_averaged import EnsembleMLP, FrameAveraged

        check_role(role)
        self.param_value = n = check_int(n, "n", min_value=2)
        self.role = role
        self.seed = check_int(seed, "seed", min_value=0)
        self.group = resolve_group(group if group is not None else f"cyclic:{n}", n)
        self.k = check_k(k, n)
        self.frame = default_frame(self.group, sign_invariant=True)
        rng = as_generator(seed)
        if role == "hard":
            self.S = np.sort(rng.choice(n, self.k, replace=False))
            W, a = sign_network_weights(self.S, n)
        else:
            self.S = None
            width = check_int(control_width, "control_width", min_value=1)
            W = rng.standard_normal((n, width)) / math.sqrt(n)
            a = rng.standard_normal(width)
        self.hidden_units = W.shape[1]
        self._net = FrameAveraged(EnsembleMLP.from_weights(W, a), self.frame)
        # normalization to unit second moment: Monte Carlo with a fixed seed (relative s.e. reported)
        x = torch.as_tensor(as_generator(10_000 + seed).standard_normal((norm_samples, n)))
        with torch.no_grad():
            y2 = self._net(x)[0] ** 2
        self.norm_sq = float(y2.mean())
        self.norm_sq_stderr = float(y2.std() / math.sqrt(norm_samples))
        self._scale = 1.0 / math.sqrt(self.norm_sq)

    def sample_inputs(self, m: int, generator: Any) -> tuple[torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        return (torch.randn(m, self.param_value, generator=_torch_gen(generator), dtype=torch.float64).float(),)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return (self._net(x.to(torch.float64))[0] * self._scale).to(x.dtype)

    def make_model(self, ensemble: int, width: int, generator: Any) -> torch.nn.Module:
        from ..models.frame_averaged import EnsembleMLP, FrameAveraged

        return FrameAveraged(EnsembleMLP(self.param_value, width, ensemble, generator=_torch_gen(generator)), self.frame)

    def lower_bound(self, tau: float) -> LowerBound:
        return csq_pairwise_bound(self.group.orbit_count_subsets(self.k), 0.0, tau)


def frames_task(param_value: int, role: str, seed: int, **options: Any) -> FramesTask:
    """``frames`` task: n = param_value; options k (default 4), group (default cyclic:n), control_width."""
    return FramesTask(param_value, role, seed, **options)


#: The ``frames`` learning task: a frame-averaged sign network (hard) against a frame-averaged narrow ReLU teacher.
FRAMES_TASK = TaskSpec(
    name="frames",
    factory=frames_task,
    param=Param("n", "int", None, "dimension of the Gaussian input", low=2),
    options=(
        Param("k", "int", 4, "size of the hidden subset S (even)", low=2, high=MAX_K, multiple_of=2),
        Param("group", "group", None, "group on the n coordinates (default cyclic:N)", optional=True),
        Param("control_width", "int", 4, "hidden units of the control teacher", low=1),
        Param("norm_samples", "int", 20000, "Monte-Carlo samples normalizing the target", low=100),
    ),
    summary="Goel et al. sign network averaged over a sign-invariant frame vs a narrow frame-averaged ReLU teacher",
)
FramesFamily.task = FRAMES_TASK
