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

Bounds (what is proved here)
----------------------------
By the Mehler lemma (:mod:`symhard.families._alternating_relu`), :math:`|\Phi(C)| \le \|C\|_{op}^k\|F_k\|^2`,
so with :math:`\mu = \max_u\|V^\top P_u U\|_{op}` and :math:`\nu = \max_{u\ne e}\|V^\top P_u V\|_{op}`

.. math::

    |E f_V f_U| \le d\,\mu^k\|F_k\|^2, \qquad
    \|f_V\|^2 \ge \frac{d\|F_k\|^2}{|G|}\bigl(1 - (|G|-1)\nu^k\bigr) \ge d\|F_k\|^2\Bigl(\frac{1}{|G|} - \nu^k\Bigr)

(:mod:`symhard.families._cnn_gram`). For random frames at the sizes one can run, ``ν`` is 0.5–0.97
and the norm bound is negative: the certificate flags it (``norm_sq_lower_bound_vacuous``) and
relies on the exact norms.

*Whole class.* For groups inside the dihedral group of the n-cycle (``cyclic:n``, ``dihedral:n``),
the sub-class ``{Q_ε V0}`` of :mod:`symhard.families._cnn_gram` (sign flips of the frequency
components of one frame ``V0``, which commute with the group) has members of equal exact norm
and, by Hoeffding and a union bound over the group, a certified packing of ``m(s)`` members with
pairwise ``μ ≤ s``; their correlations are at most ``γ(s) = d s^k‖F_k‖²/‖f_{V0}‖²``. The
certificate's bound is the larger of the counting lemma
:math:`(m(s)-1)(\tau^2-\gamma(s))/(1-\gamma(s))` maximized over ``s`` (whole class) and the same lemma
for the ``members`` sampled frames with their exact largest correlation (the cross-check);
``extra["bound_used"]`` says which. The paper's statement is asymptotic ("2^{n^Ω(1)}/|G|² queries
or a query of tolerance |G|·2^{−n^Ω(1)} + √|G|·n^{−Ω(k)}"); **at n ≤ 64 the whole-class packing
certifies a single member at every useful overlap, so that bound is vacuous, and the sampled
bound (a few queries at τ = √(2γ)) is what the certificate reports**.

Normalized norm
---------------
``min_norm`` is :math:`\min_V \sqrt{\|f_V\|^2/(d\|F_k\|^2)}`: the norm relative to the
un-averaged building block (``d`` columns of ``F_k``); it is about :math:`|G|^{-1/2}` when the
group averaging keeps only the ``u = e`` term.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import torch

from .._random import as_generator, torch_generator
from ..errors import InvalidParameterError, check_int, check_tau
from ..groups import PermutationGroup, as_group
from ..parameters import Param
from ..queries import gram as qgram
from ..queries.activations import check_activation
from ..queries.bounds import LowerBound, csq_pairwise_bound
from ..queries.distributions import GaussianMatrix
from ..queries.packing import choose_bound
from ..sections import Section
from . import _alternating_relu as ar
from ._cnn_gram import class_bound, corr_upper_bound, gram_exact, mu, norm_sq_lower_bound, nu
from .base import Certificate, ContractCase, Family, TaskSpec, check_role

__all__ = [
    "PAPER_BOUND", "MAX_GROUP_ORDER", "resolve_group", "check_k", "sample_frames", "network_weights",
    "target_values", "gram_exact", "nu", "mu", "norm_sq_lower_bound", "corr_upper_bound", "class_bound",
    "default_tau", "certify", "CNNFamily", "CNNTask", "cnn_task", "CNN_TASK",
]

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


def _network(group: PermutationGroup, V: np.ndarray, k: int, activation: str, scale: float = 1.0):
    from ..models.cnn import GroupAveragedNetwork

    W, a = network_weights(V, k, activation)
    return GroupAveragedNetwork.from_weights(group, W, a * scale, activation=activation)


def default_tau(gamma: float) -> float:
    """τ = √(2γ) (so γ ≤ τ²/2 and the bound is ≥ (m − 1)τ²/2), at least 0.01 and at most 1."""
    return float(min(1.0, max(0.01, math.sqrt(2 * max(gamma, 0.0)))))


# ----------------------------------------------------------------------------- certificate
def _norm_extra(V: np.ndarray, G: PermutationGroup, k: int, d: int, norms_sq: np.ndarray) -> dict[str, Any]:
    """ν, the Hermite norm lower bound (flagged when vacuous) and the Hermite correlation bound."""
    F2 = ar.norm_sq(k)
    nus = nu(V, G)
    lower = norm_sq_lower_bound(V, G, k, d)
    off = ~np.eye(V.shape[0], dtype=bool)
    corr_bound = float(np.max(d * mu(V, G)[off] ** k * F2 / np.sqrt(np.outer(norms_sq, norms_sq))[off]))
    vacuous = bool(lower.min() <= 0)
    return {
        "group_order": G.order, "min_norm_sq_raw": float(norms_sq.min()), "max_norm_sq_raw": float(norms_sq.max()),
        "F_k_norm_sq": F2, "nu_max": float(nus.max()), "nu_median": float(np.median(nus)),
        "nu_k_times_order_max": float((G.order * nus**k).max()),
        "norm_sq_lower_bound_min": float(lower.min()),
        "norm_sq_lower_bound_vacuous": vacuous,
        "norm_sq_lower_bound_note": (
            f"the Hermite bound d||F_k||^2(1 - (|G|-1) nu^k)/|G| is <= 0 for {int((lower <= 0).sum())} of {len(lower)} "
            f"members because (|G|-1) nu^k >= 1 (nu_max = {nus.max():.3g}); the exact norms certify non-degeneracy"
        ) if vacuous else "",
        "norm_sq_paper_bound_min": float((d * F2 * (1 / G.order - nus**k)).min()),
        "mu_offdiag_max": float(mu(V, G)[off].max()),
        "corr_hermite_bound": corr_bound,
        "corr_hermite_bound_vacuous": corr_bound >= 1.0,
    }


def _packing_extra(packing, orbit, G: PermutationGroup) -> dict[str, Any]:
    if packing is None:
        why = ("the group is not inside the dihedral group of the n-cycle" if G.degree >= 5
               else "n < 5: fewer than two 2-dimensional frequency classes")
        return {"available": False, "note": f"no certified packing: {why}; the bound is that of the sampled members"}
    return {"available": True, **packing.summary(), "orbit_norm_sq": orbit.norm_sq,
            "orbit_frequencies": [list(f) for f in orbit.freqs], "orbit_size": orbit.size,
            "pair_tail": "P(mu > s) <= sum_u sum_p 2 exp(-s^2/(2 sum_w t_pw(u)^2)) (Hoeffding + union over G)"}


def certify(n: int = 16, group: Any = None, k: int = 4, members: int = 32, tau: float | None = None,
            seed: int = 0, activation: str = "relu", d: int = 1, samples: int = 256) -> Certificate:
    """Certificate of the cnn family: realization error, exact Gram, ν, norm bounds, whole-class CSQ bound."""
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
    X = rng.standard_normal((samples, n, d))  # the class is inside the architecture: weights against the formula
    with torch.no_grad():
        net_out = _network(G, V, k, activation)(torch.as_tensor(X)).numpy()
    realization_error = float(np.abs(net_out - target_values(V, G, k, X)).max())

    summary = qgram.exact_gram(gram_exact(V, G, k, d))
    gamma = summary.max_offdiag_corr
    tau_used = default_tau(gamma) if tau is None else check_tau(tau)
    sampled = csq_pairwise_bound(members, gamma, tau_used)
    packing, orbit = class_bound(G, k, d, tau_used, seed)
    used = "sampled" if packing is None else choose_bound(sampled, packing.bound)
    norms_sq = summary.norms**2
    extra = {"members_checked": members, "bound_used": used,
             "sampled": {"m": members, "gamma": gamma, "queries": sampled.queries,
                         "log10_queries": sampled.log10_queries},
             "packing": _packing_extra(packing, orbit, G), **_norm_extra(V, G, k, d, norms_sq),
             "paper_bound": PAPER_BOUND, "realization_samples": samples}
    return Certificate(
        family="cnn", params={"n": n, "group": G.name, "k": k, "members": members, "tau": tau_used, "seed": seed,
                              "activation": activation, "d": d, "samples": samples},
        method="exact", members=packing.m if used == "packing" else members, realization_error=realization_error,
        max_offdiag_corr=packing.gamma if used == "packing" else gamma, max_offdiag_corr_stderr=0.0,
        min_norm=float(np.sqrt(norms_sq.min() / (d * ar.norm_sq(k)))),
        lower_bound=packing.bound if used == "packing" else sampled, extra=extra)


class CNNFamily(Family):
    """DKKZ alternating-ReLU targets averaged over a permutation group (circular CNN for Z_n)."""

    name = "cnn"
    summary = "f_V(X) = (1/|G|) Σ_g Σ_c F_k(Vᵀ g⁻¹ x_c), V ∈ St(n,2): group-averaged nets / circular CNNs on Gaussian X"
    theorem = ("CSQ: 2^{n^Ω(1)}/|G|² queries or tolerance |G|2^{−n^Ω(1)} + √|G| n^{−Ω(k)}; certified: "
               "(m−1)(τ²−γ)/(1−γ), the larger of a whole-class packing and the sampled members")

    symmetry = "G <= S_n permuting the n rows of X (Z_n: a circular CNN)"
    bound = "csq-counting"
    params = (
        Param("n", "int", 16, "number of input rows", low=2),
        Param("group", "group", None, "group acting on the n rows (default cyclic:N)", optional=True),
        Param("k", "int", 4, "order of F_k, 2 <= k <= n", low=2, multiple_of=2),
        Param("members", "int", 32, "random members V checked numerically", low=2, high=4096),
        Param("tau", "float", None, "query tolerance (default sqrt(2 gamma))", low=0.0, high=1.0, low_open=True,
              optional=True),
        Param("seed", "int", 0, "seed of the members and of the realization check", low=0),
        Param("activation", "str", "relu", "relu, or the sign-invariant |z|", choices=("relu", "abs")),
        Param("d", "int", 1, "number of input columns", low=1, high=64),
        Param("samples", "int", 256, "inputs of the realization check", low=1),
    )

    def _certify(self, **params: Any) -> Certificate:
        return certify(**params)

    def estimate(self, n: int, group: Any, k: int, members: int, d: int, samples: int, **_: Any) -> Any:
        """The realization check (``samples × members × |G| × 2k`` activations), ν (``members × |G| × n × 2``
        rotated frames) and the exact Gram matrix (``members² |G| (2k)²`` pair expectations)."""
        from ..resources import array_estimate

        G = resolve_group(group if group is not None else f"cyclic:{n}", n)  # |G| <= MAX_GROUP_ORDER
        lower = "lower --samples or --members, or use a smaller group"
        net = array_estimate(f"the cnn realization check on {samples} inputs under {G.name}", samples,
                             members * G.order * 2 * k + n * d, copies=2, flops_per_item=2 * n, lower=lower)
        nu_ = array_estimate(f"ν of {members} frames under {G.name}", members, G.order, n, 2, copies=2, lower=lower)
        gram = array_estimate(f"the exact cnn Gram matrix of {members} members under {G.name}", members, members,
                              G.order, (2 * k) ** 2, copies=0, flops_per_item=30, lower=lower)
        return net.peak(nu_).peak(gram)

    def contract_case(self, seed: int = 0) -> ContractCase:
        """Four random frames, dihedral group on n = 6 rows, k = 4, d = 2 columns, 16 samples."""
        n, k, d, members, batch = 6, 4, 2, 4, 16
        G = resolve_group(f"dihedral:{n}", n)
        cert = certify(n=n, group=G, k=k, members=members, tau=0.9, seed=seed, d=d, samples=8)
        V = sample_frames(n, members, as_generator(seed))  # the certificate's frames
        (X,) = GaussianMatrix(n, d).sample_numpy(batch, seed)
        net = _network(G, V, k, "relu")

        def network(inputs):
            with torch.no_grad():
                return net(torch.as_tensor(inputs[0])).numpy()

        return ContractCase(members=[f"V_{i} (seed {seed}, n={n})" for i in range(members)], group=G,
                            input_actions=("rows",), inputs=(X,), target=lambda inp: target_values(V, G, k, inp[0]),
                            network=network, gram=qgram.exact_gram(gram_exact(V, G, k, d)), certificate=cert,
                            atol=1e-10)

    def report_section(self, quick: bool = True) -> Section:
        """Figure data: ν, normalized norm, largest correlation and certified bound against n."""
        from ._cnn_report import report_section

        return report_section(quick)


# ----------------------------------------------------------------------------- learning task
_BOUND_CACHE: dict[tuple, LowerBound] = {}


def whole_class_bound(group: PermutationGroup, k: int, tau: float, members: int = 16) -> LowerBound:
    """The larger of the whole-class packing bound and the bound of ``members`` sampled frames (seed 0), cached."""
    key = (group.name, group.degree, group.generators.tobytes(), k, float(tau), members)
    if key not in _BOUND_CACHE:
        V = sample_frames(group.degree, members, 0)
        sampled = csq_pairwise_bound(members, qgram.exact_gram(gram_exact(V, group, k)).max_offdiag_corr, tau)
        packing, _ = class_bound(group, k, 1, tau, 0)
        use_packing = packing is not None and choose_bound(sampled, packing.bound) == "packing"
        _BOUND_CACHE[key] = packing.bound if use_packing else sampled
    return _BOUND_CACHE[key]


class CNNTask:
    """Learning task: X ~ N(0, I) in R^{n×1}, target f_V / ‖f_V‖ (hard: k; control: k = 2).

    Inputs ``(X[m, n, 1],)`` are drawn by :class:`~symhard.queries.distributions.GaussianMatrix`;
    the group acts on the rows. ``lower_bound(tau)`` is the bound of the hard class (order
    ``k_hard``) at this ``n``.
    """

    family = "cnn"
    param_name = "n"
    input_actions = ("rows",)

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

    @cached_property
    def _net(self):
        norm = float(np.sqrt(gram_exact(self.V, self.group, self.k)[0, 0]))
        return _network(self.group, self.V, self.k, "relu", scale=1.0 / norm)

    def sample_inputs(self, m: int, generator: Any) -> tuple[torch.Tensor]:
        m = check_int(m, "m", min_value=1)
        return GaussianMatrix(self.param_value, 1).sample(m, torch_generator(generator), dtype="float32")

    def target(self, X: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self._net(X.to(torch.float64))[0].to(X.dtype)

    def make_model(self, ensemble: int, width: int, generator: Any) -> torch.nn.Module:
        from ..models.cnn import GroupAveragedNetwork

        return GroupAveragedNetwork(self.group, self.param_value, width, ensemble=ensemble,
                                    activation=self.activation, generator=torch_generator(generator))

    def lower_bound(self, tau: float) -> LowerBound:
        return whole_class_bound(self.group, self.k_hard, check_tau(tau))


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
