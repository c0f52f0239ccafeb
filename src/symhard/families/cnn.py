r"""Family ``cnn``: the DKKZ hard class on group-averaged networks and circular CNNs.

Class
-----
For a group :math:`G \le S_n` acting on the rows of :math:`X \in \mathbb{R}^{n\times d}` with
i.i.d. :math:`N(0,1)` entries, even :math:`k \ge 2` and :math:`V \in \mathbb{R}^{n\times 2}` with
orthonormal columns,

.. math::

    f_V(X) = \frac{1}{|G|}\sum_{g\in G}\sum_{c=1}^{d} F_k\bigl(V^\top g^{-1} x_c\bigr),
    \qquad F_k(u) = \sum_{j=0}^{2k-1} (-1)^j\,\mathrm{ReLU}(\langle d_j, u\rangle),

(:mod:`symhard.families._alternating_relu`). It is the architecture
:class:`symhard.models.cnn.GroupAveragedNetwork` with :math:`W = V[\cos\theta;\sin\theta]`,
:math:`a_j = (-1)^j` (ReLU), or :math:`a_j = (-1)^j/2` with :math:`\sigma = |\cdot|`, because
:math:`F_k^{\mathrm{relu}} = \tfrac12 F_k^{\mathrm{abs}}` for even k. The certificate *evaluates*
these weights against the formula (``realization_error``).

Exact Gram matrix
-----------------
Write :math:`g^{-1}x` for the action on a column; then :math:`V^\top g^{-1}x = (g·V)^\top x` with
:math:`g·V = P_g V`. The columns are independent and :math:`E F_k = 0` (the 2k signs alternate),
so only :math:`c = c'` contributes:

.. math::

    E[f_V f_U] = \frac{d}{|G|^2}\sum_{g,h}\Phi\bigl(V^\top P_g^\top P_h U\bigr)
               = \frac{d}{|G|}\sum_{u\in G}\Phi\bigl(V^\top P_u U\bigr),
    \qquad \Phi(C) = \sum_{p,q} a_p a_q\,\kappa\bigl(d_p^\top C d_q\bigr),

where the second form re-indexes by :math:`u = g^{-1}h` (each :math:`u` occurs :math:`|G|`
times) and :math:`\kappa(\rho) = E[\mathrm{ReLU}(y)\mathrm{ReLU}(z)]` for unit Gaussians of
correlation :math:`\rho` is the arc-cosine kernel (:mod:`symhard.queries.arccos`). This is exact
(no sampling): ``method = "exact"``.

Norm bound (what is proved here)
--------------------------------
Let :math:`\nu = \max_{u\ne e}\|V^\top P_u V\|_{op}`. By Mehler's formula,
:math:`\Phi(C) = \sum_m \langle F_m, C^{\otimes m} F_m\rangle` over the Hermite components
:math:`F_m` of :math:`F_k`, which vanish for :math:`m < k`; since
:math:`\|C^{\otimes m}\|_{op} = \|C\|_{op}^m \le 1`, :math:`|\Phi(C)| \le \|C\|_{op}^k\|F_k\|^2`.
Splitting :math:`u = e` (where :math:`\Phi(I) = \|F_k\|^2`) from the rest,

.. math::

    \|f_V\|^2 \ge \frac{d\|F_k\|^2}{|G|}\bigl(1 - (|G|-1)\nu^k\bigr)
              \ge d\|F_k\|^2\Bigl(\frac{1}{|G|} - \nu^k\Bigr),

the inequality of the paper's construction, slightly sharpened; likewise
:math:`|E f_V f_U| \le d\,\mu^k\|F_k\|^2` with :math:`\mu = \max_u\|V^\top P_u U\|_{op}`. Both are
checked numerically against the exact values by the tests and reported in the certificate
(``norm_sq_lower_bound``, ``corr_hermite_bound``).

Lower bound
-----------
The paper reports: a CSQ learner needs :math:`2^{n^{\Omega(1)}}/|G|^2` queries or a query of
tolerance :math:`|G|\,2^{-n^{\Omega(1)}} + \sqrt{|G|}\,n^{-\Omega(k)}`. The certificate computes a
concrete instance from the *measured* family: with :math:`m` members normalized to unit norm and
largest off-diagonal correlation :math:`\gamma` (exact), the pairwise bound (Szörényi 2009)
:math:`q \ge m(\tau^2-\gamma)/2` queries of tolerance :math:`\tau` (valid when :math:`\tau^2 > \gamma`;
``queries = 0`` otherwise).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._random import as_generator, torch_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup, as_group
from ..queries.activations import check_activation, gaussian_pair_expectation
from ..queries.bounds import csq_pairwise_bound
from . import _alternating_relu as ar
from ..parameters import Param
from .base import Certificate, Family, LowerBound, ReportSection, TaskSpec, check_role

PAPER_BOUND = ("either 2^{n^Ω(1)}/|G|² queries or a query of tolerance |G|·2^{−n^Ω(1)} + √|G|·n^{−Ω(k)} "
               "(Kiani et al. 2024, CNN / group-averaged networks, CSQ)")

#: Largest |G| for which the family enumerates the group (the Gram sums over G).
MAX_GROUP_ORDER = 50_000


# ----------------------------------------------------------------------------- validation
def resolve_group(group: Any, n: int) -> PermutationGroup:
    """``group`` (spec string or :class:`PermutationGroup`) checked to act on exactly n points."""
    G = as_group(group, n, acting_on="input rows")
    if G.order > MAX_GROUP_ORDER:
        raise InvalidParameterError(
            f"group {G.name} has order {G.order}; the cnn family sums over the group and allows |G| <= {MAX_GROUP_ORDER}."
        )
    return G


def check_k(k: Any, n: int) -> int:
    """k even, 2 ≤ k ≤ n (the construction needs F_k's k-fold symmetry and n ≥ k dimensions)."""
    k = ar.check_even_k(k)
    if k > n:
        raise InvalidParameterError(f"k == {k} exceeds n == {n}; k must be even with 2 <= k <= n.")
    return k


def _check_activation(activation: Any) -> str:
    return check_activation(activation, ar.ACTIVATIONS)


# ----------------------------------------------------------------------------- members
def sample_frames(n: int, members: int, seed: Any) -> np.ndarray:
    """``members`` uniformly random V ∈ St(n, 2), shape ``(members, n, 2)``."""
    members = check_int(members, "members", min_value=1)
    return ar.random_orthonormal_frame(check_int(n, "n", min_value=2), seed, count=members)


def network_weights(V: np.ndarray, k: int, activation: str = "relu") -> tuple[np.ndarray, np.ndarray]:
    """(W, a) with f_V = GroupAveragedNetwork(W, a, σ): W = V[cos θ; sin θ], a = (−1)^j (ReLU) or (−1)^j/2 (abs).

    ``V``: ``(n, 2)`` or ``(M, n, 2)`` → ``W`` ``(…, n, 2k)``, ``a`` ``(…, 2k)``.
    """
    activation = _check_activation(activation)
    W = ar.hidden_weights(V, k)
    a = ar.signs(k) * (1.0 if activation == "relu" else 0.5)
    return W, np.broadcast_to(a, W.shape[:-2] + a.shape).copy()


def target_values(V: np.ndarray, group: PermutationGroup, k: int, X: np.ndarray) -> np.ndarray:
    """f_V(X) from the formula (1/|G|) Σ_g Σ_c F_k(Vᵀ g⁻¹ x_c), numpy float64.

    ``V``: ``(M, n, 2)``; ``X``: ``(B, n, d)`` → ``(M, B)``. Independent of the network code.
    """
    V = np.asarray(V, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    E = group.elements()
    out = np.zeros((V.shape[0], X.shape[0]))
    for g in E:  # loop over group elements, vectorized over members and samples
        Y = X[:, g, :]  # (g⁻¹·X)[i] = X[g(i)]
        u = np.einsum("bic,mip->mbcp", Y, V)
        out += ar.F_k(u, k, "relu").sum(-1)
    return out / len(E)


def _cross_blocks(Va: np.ndarray, Vb: np.ndarray, group: PermutationGroup) -> np.ndarray:
    """C[i, j, u] = V_aᵢᵀ P_u V_bⱼ for every element u, shape ``(ma, mb, |G|, 2, 2)``."""
    E = group.elements()
    inv = np.argsort(E, axis=-1)
    Vb_moved = Vb[:, inv, :]  # (u·V)[r] = V[u⁻¹(r)]: (mb, |G|, n, 2)
    return np.einsum("irp,jurq->ijupq", Va, Vb_moved)


def gram_exact(V: np.ndarray, group: PermutationGroup, k: int, d: int = 1, Vb: np.ndarray | None = None) -> np.ndarray:
    """The exact matrix E[f_{V_i} f_{V_j}] = (d/|G|) Σ_u Φ(V_iᵀ P_u V_j) (module docstring).

    ``V``: ``(m, n, 2)``; optional ``Vb`` ``(m', n, 2)`` for a rectangular block. Returns ``(m, m')``.
    """
    V = np.asarray(V, dtype=np.float64)
    Vb = V if Vb is None else np.asarray(Vb, dtype=np.float64)
    D = ar.directions(k)
    a = ar.signs(k)
    kappa = gaussian_pair_expectation("relu")
    out = np.empty((V.shape[0], Vb.shape[0]))
    per_row = max(1, Vb.shape[0] * group.order * (2 * k) ** 2)
    rows = max(1, (1 << 22) // per_row)
    for s in range(0, V.shape[0], rows):
        C = _cross_blocks(V[s:s + rows], Vb, group)
        cross = np.einsum("ap,ijuab,bq->ijupq", D, C, D)
        Phi = np.einsum("p,ijupq,q->iju", a, kappa(cross, 1.0, 1.0), a)
        out[s:s + rows] = d * Phi.mean(axis=-1)
    return out


def nu(V: np.ndarray, group: PermutationGroup) -> np.ndarray:
    """ν(V) = max_{u≠e} ‖Vᵀ P_u V‖_op for each member, shape ``(m,)`` (0 for the trivial group)."""
    V = np.asarray(V, dtype=np.float64)
    if group.order == 1:
        return np.zeros(V.shape[0])
    E = group.elements()[1:]
    inv = np.argsort(E, axis=-1)
    C = np.einsum("irp,iurq->iupq", V, V[:, inv, :])
    return np.linalg.norm(C, ord=2, axis=(-2, -1)).max(axis=-1)


def mu(V: np.ndarray, group: PermutationGroup) -> np.ndarray:
    """μ(V_i, V_j) = max_u ‖V_iᵀ P_u V_j‖_op, shape ``(m, m)``."""
    C = _cross_blocks(V, V, group)
    return np.linalg.norm(C, ord=2, axis=(-2, -1)).max(axis=-1)


# ----------------------------------------------------------------------------- bounds
def pairwise_csq_bound(members: int, gamma: float, tau: float) -> LowerBound:
    """The pairwise-correlation CSQ bound q ≥ m(τ² − γ)/2 (0 when τ² ≤ γ); see
    :func:`symhard.queries.bounds.csq_pairwise_bound`."""
    return csq_pairwise_bound(members, gamma, tau)


def default_tau(gamma: float) -> float:
    """τ = √(2γ) (so γ ≤ τ²/2 and the bound is ≥ mτ²/4), at least 0.01 and at most 1."""
    return float(min(1.0, max(0.01, math.sqrt(2 * max(gamma, 0.0)))))


# ----------------------------------------------------------------------------- certificate
def certify(n: int = 16, group: Any = None, k: int = 4, members: int = 32, tau: float | None = None,
            seed: int = 0, activation: str = "relu", d: int = 1, samples: int = 256) -> Certificate:
    """Certificate of the cnn family: realization error, exact Gram, ν, norm bound, CSQ bound."""
    n = check_int(n, "n", min_value=2)
    G = resolve_group(group if group is not None else f"cyclic:{n}", n)
    k = check_k(k, n)
    members = check_int(members, "members", min_value=2, max_value=4096)
    d = check_int(d, "d", min_value=1, max_value=64)
    activation = _check_activation(activation)
    samples = check_int(samples, "samples", min_value=1)
    seed = check_int(seed, "seed", min_value=0)
    rng = as_generator(seed)
    V = sample_frames(n, members, rng)

    # the class is inside the architecture: evaluate the weights against the formula
    from ..models.cnn import GroupAveragedNetwork

    W, a = network_weights(V, k, activation)
    net = GroupAveragedNetwork.from_weights(G, W, a, activation=activation)
    X = rng.standard_normal((samples, n, d))
    with torch.no_grad():
        net_out = net(torch.as_tensor(X)).numpy()
    realization_error = float(np.abs(net_out - target_values(V, G, k, X)).max())

    gram = gram_exact(V, G, k, d)
    norms_sq = np.diag(gram).copy()
    corr = gram / np.sqrt(np.outer(norms_sq, norms_sq))
    off = ~np.eye(members, dtype=bool)
    gamma = float(np.abs(corr[off]).max())
    nus = nu(V, G)
    mus = mu(V, G)
    F2 = ar.norm_sq(k, "relu")
    norm_lb = d * F2 * (1 - (G.order - 1) * nus**k) / G.order
    corr_bound = float(np.max(d * mus[off] ** k * F2 / np.sqrt(np.outer(norms_sq, norms_sq))[off]))
    tau_used = default_tau(gamma) if tau is None else check_tau(tau)
    lb = pairwise_csq_bound(members, gamma, tau_used)
    return Certificate(
        family="cnn",
        params={"n": n, "group": G.name, "k": k, "members": members, "d": d, "activation": activation,
                "seed": seed, "tau": tau_used},
        method="exact",
        members=members,
        realization_error=realization_error,
        max_offdiag_corr=gamma,
        max_offdiag_corr_stderr=0.0,
        min_norm=float(np.sqrt(norms_sq.min())),
        lower_bound=lb,
        extra={
            "group_order": G.order,
            "min_norm_sq": float(norms_sq.min()),
            "max_norm_sq": float(norms_sq.max()),
            "F_k_norm_sq": F2,
            "nu_max": float(nus.max()),
            "nu_median": float(np.median(nus)),
            "nu_k_times_order_max": float((G.order * nus**k).max()),
            "norm_sq_lower_bound_min": float(norm_lb.min()),
            "norm_sq_paper_bound_min": float((d * F2 * (1 / G.order - nus**k)).min()),
            "mu_offdiag_max": float(mus[off].max()),
            "corr_hermite_bound": corr_bound,
            "paper_bound": PAPER_BOUND,
            "realization_samples": samples,
        },
    )


class CNNFamily(Family):
    """DKKZ alternating-ReLU targets averaged over a permutation group (circular CNN for Z_n)."""

    name = "cnn"
    summary = "f_V(X) = (1/|G|) Σ_g Σ_c F_k(Vᵀ g⁻¹ x_c), V ∈ St(n,2): group-averaged nets / circular CNNs on Gaussian X"
    theorem = "CSQ: 2^{n^Ω(1)}/|G|² queries or tolerance |G|2^{−n^Ω(1)} + √|G| n^{−Ω(k)}; certified: m(τ²−γ)/2"

    symmetry = "G <= S_n permuting the n rows of X (Z_n: a circular CNN)"
    bound = "csq-counting"
    params = (
        Param("n", "int", 16, "number of input rows", low=2),
        Param("group", "group", None, "group acting on the n rows (default cyclic:N)", optional=True),
        Param("k", "int", 4, "order of F_k, 2 <= k <= n", low=2, multiple_of=2),
        Param("members", "int", 32, "random members V", low=2, high=4096),
        Param("tau", "float", None, "query tolerance (default sqrt(2 gamma))", low=0.0, high=1.0, low_open=True,
              optional=True),
        Param("seed", "int", 0, "seed of the members and of the realization check", low=0),
        Param("activation", "str", "relu", "relu, or the sign-invariant |z|", choices=("relu", "abs")),
        Param("d", "int", 1, "number of input columns", low=1, high=64),
        Param("samples", "int", 256, "inputs of the realization check", low=1),
    )

    def _certify(self, **params: Any) -> Certificate:
        return certify(**params)

    def report_section(self, out_dir: Path, quick: bool = True) -> ReportSection:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ns = [8, 12, 16, 24] if quick else [8, 12, 16, 24, 32, 48, 64]
        members = 12 if quick else 32
        rows = []
        certs = []
        for kind in ("cyclic", "dihedral"):
            for n in ns:
                c = certify(n=n, group=f"{kind}:{n}", k=4, members=members, seed=0, samples=16)
                certs.append(c)
                rows.append((kind, n, c.extra["group_order"], c.extra["nu_max"], c.extra["min_norm_sq"],
                             c.max_offdiag_corr, c.realization_error))
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
        for kind, marker in (("cyclic", "o"), ("dihedral", "s")):
            sel = [r for r in rows if r[0] == kind]
            x = [r[1] for r in sel]
            axes[0].plot(x, [r[3] for r in sel], marker=marker, label=kind)
            axes[1].plot(x, [r[4] for r in sel], marker=marker, label=kind)
            axes[2].semilogy(x, [r[5] for r in sel], marker=marker, label=kind)
        for ax, title in zip(axes, ("ν = max_{g≠e} ‖VᵀP_gV‖", "min ‖f_V‖² (exact)", "max off-diag |corr| (exact)")):
            ax.set_xlabel("n")
            ax.set_title(title, fontsize=9)
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "cnn_nu_norm_corr.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        table = ["| group | n | |G| | ν max | min ‖f‖² | max corr | realization err |", "|---|---|---|---|---|---|---|"]
        table += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.3f} | {r[4]:.4f} | {r[5]:.3g} | {r[6]:.1e} |" for r in rows]
        text = (
            f"k = 4, d = 1, {members} random V per size, exact Gram by the arc-cosine kernel. "
            f"Paper bound: {PAPER_BOUND}.\n\n" + "\n".join(table)
        )
        return ReportSection(title="CNN / group-averaged networks (DKKZ class)", text=text,
                             certificates=certs, figures=[path])


# ----------------------------------------------------------------------------- learning task
def _torch_gen(generator: Any) -> torch.Generator:
    return torch_generator(generator)


class CNNTask:
    """Learning task: X ~ N(0, I) in R^{n×1}, target f_V / ‖f_V‖ (hard: k; control: k = 2)."""

    family = "cnn"
    param_name = "n"

    def __init__(self, n: int, role: str, seed: int, k: int = 4, group: Any = None, activation: str = "relu") -> None:
        check_role(role)
        self.param_value = check_int(n, "n", min_value=4)
        self.role = role
        self.group = resolve_group(group if group is not None else f"cyclic:{n}", n)
        self.k_hard = check_k(k, n)
        self.k = self.k_hard if role == "hard" else 2
        self.activation = _check_activation(activation)
        self.seed = check_int(seed, "seed", min_value=0)
        self.V = sample_frames(n, 1, seed)
        self.hidden_units = 2 * self.k
        from ..models.cnn import GroupAveragedNetwork

        self._norm = float(np.sqrt(gram_exact(self.V, self.group, self.k)[0, 0]))
        W, a = network_weights(self.V, self.k, "relu")
        self._net = GroupAveragedNetwork.from_weights(self.group, W, a / self._norm)

    def sample_inputs(self, m: int, generator: Any) -> tuple[torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        return (torch.randn(m, self.param_value, 1, generator=_torch_gen(generator), dtype=torch.float64).float(),)

    def target(self, X: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self._net(X.to(torch.float64))[0].to(X.dtype)

    def make_model(self, ensemble: int, width: int, generator: Any) -> torch.nn.Module:
        from ..models.cnn import GroupAveragedNetwork

        return GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble,
                                    activation=self.activation, generator=_torch_gen(generator))

    def lower_bound(self, tau: float) -> LowerBound:
        cert = certify(n=self.param_value, group=self.group, k=self.k_hard, members=16, tau=tau, seed=self.seed, samples=4)
        return cert.lower_bound


def cnn_task(param_value: int, role: str, seed: int, **options: Any) -> CNNTask:
    """``cnn`` task: n = param_value, options k (default 4), group (default cyclic:n), activation."""
    return CNNTask(param_value, role, seed, **options)


#: The ``cnn`` learning task: a group-averaged DKKZ target of order k (hard) against k = 2 (control).
CNN_TASK = TaskSpec(
    name="cnn",
    factory=cnn_task,
    param=Param("n", "int", None, "number of input rows", low=4),
    options=(
        Param("k", "int", 4, "order of the hard F_k", low=2, multiple_of=2),
        Param("group", "group", None, "group on the n rows (default cyclic:N)", optional=True),
        Param("activation", "str", "relu", "activation of the trained network", choices=("relu", "abs")),
    ),
    summary="DKKZ alternating-ReLU target averaged over G (a circular CNN for Z_n) vs its k = 2 member",
)
CNNFamily.task = CNN_TASK
