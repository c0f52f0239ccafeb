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
of r and checks that it vanishes to round-off. Norms
:math:`\|\bar f_S\|^2 = E_r E_\varepsilon[\bar f_S^2 \mid r]` are Monte Carlo over r (exact over
the signs), with standard errors; a vanishing norm would void the bound, so the smallest is
reported, relative to the un-averaged :math:`\|f_S\|` (exact, arc-cosine kernel:
``min_norm`` = :math:`\min_S \|\bar f_S\| / \|f_S\|`). Hence ``method = "mixed"``:
correlations exact given :math:`|x|`, norms Monte Carlo (``extra["methods"]``).

Lower bound
-----------
One representative per G-orbit of k-subsets gives :math:`m = \#\text{orbits}` (Burnside, exact,
:math:`m \ge \binom{n}{k}/|G|`) pairwise-orthogonal functions: γ = 0 for the whole class by the
proof above (the certificate refuses if the exact conditional correlations it computes exceed
round-off). The counting lemma (:func:`symhard.queries.bounds.csq_pairwise_bound`) gives

.. math:: q \ge (m - 1)(\tau^2 - \gamma)/(1 - \gamma) = (m - 1)\tau^2

queries of tolerance τ for the normalized members :math:`\bar f_S/\|\bar f_S\|` (normalizing keeps
γ = 0), under the lemma's condition: a deterministic CSQ learner that learns every member to
squared error below 1/2, in particular one that identifies the member. With
:math:`k \approx \log_2 n`, :math:`m = n^{\Omega(\log n)}`, and :math:`\tau = n^{-c}` gives the paper's
"for any constant c, either :math:`n^{\log n}` queries or a query of accuracy :math:`n^{-c}`"
(reported as ``log10_orbits_at_k_log`` and ``log10_queries_at_k_log``; orthogonality there holds
by the same proof but is certified numerically only at the k of the certificate).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random import as_generator, torch_generator
from ..errors import InvalidParameterError, SymhardError, check_float, check_int, check_tau
from ..groups import PermutationGroup, as_group
from ..groups.frames import Frame, default_frame
from ..parameters import Param
from ..queries.arccos import network_gram
from ..queries.bounds import LowerBound, csq_pairwise_bound
from ..sections import Figure, Panel, Section, Series, Table
from ._sign_networks import conditional_gram, conditional_products, f_bar, f_sign, sign_network_weights, sign_patterns
from .base import Certificate, ContractCase, Family, TaskSpec, check_role

__all__ = [
    "sign_patterns", "sign_network_weights", "f_sign", "f_bar", "conditional_products", "conditional_gram",
    "certify", "FramesFamily", "FramesTask", "FRAMES_TASK",
]

PAPER_BOUND = ("for any constant c, either n^{log n} queries or a query of accuracy n^{−c} "
               "(Kiani et al. 2024, frame-averaged networks for permutation subgroups, CSQ)")

MAX_K = 10
#: Largest exact conditional correlation between distinct orbits accepted as float64 round-off.
ROUND_OFF = 1e-9


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


# ----------------------------------------------------------------------------- certificate
def _k_log(n: int) -> int:
    """The even k nearest log2 n (at least 2, at most n)."""
    return int(min(n - n % 2, max(2, 2 * round(math.log2(n) / 2))))


def frame_averaged_network(reps: Any, n: int, frame: Frame) -> Any:
    """``FrameAveraged(EnsembleMLP.from_weights(W, a))`` with one ensemble member per subset of
    ``reps (m, k)`` (float64 weights of :func:`sign_network_weights`): ``forward(x [B, n]) -> [m, B]``."""
    from ..models.frame_averaged import EnsembleMLP, FrameAveraged

    Ws, As = zip(*(sign_network_weights(S, n) for S in reps))
    return FrameAveraged(EnsembleMLP.from_weights(np.stack(Ws), np.stack(As)), frame)


def _realization_error(reps: np.ndarray, n: int, frame: Frame, X: np.ndarray) -> float:
    """max |FrameAveraged(sign-network weights)(X) − f̄_S(X)| over the members and inputs."""
    import torch

    with torch.no_grad():
        out = frame_averaged_network(reps, n, frame)(torch.as_tensor(X)).numpy()
    ref = np.stack([f_bar(S, X, frame) for S in reps])
    return float(np.abs(out - ref).max())


def _representatives(G: PermutationGroup, k: int, members: int, rng: np.random.Generator) -> np.ndarray:
    """One subset per G-orbit of k-subsets (all of them, or ``members`` chosen at random)."""
    reps = np.array(G.subset_orbit_representatives(k), dtype=np.int64)
    if len(reps) > members:
        reps = reps[np.sort(rng.choice(len(reps), members, replace=False))]
    if len(reps) < 2:
        raise InvalidParameterError(f"{G.name} has a single orbit of {k}-subsets: no pair of orthogonal members to certify.")
    return reps


def certify(n: int = 12, group: Any = None, k: int = 2, members: int = 16, abs_samples: int = 64,
            norm_samples: int = 4000, tau: float | None = None, c: float = 1.0, seed: int = 0,
            realization_samples: int = 64) -> Certificate:
    """Certificate of the frames family (module docstring): the bound for all #orbits members, the
    exact conditional correlations and Monte-Carlo norms of ``members`` of them, the realization."""
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
    reps = _representatives(G, k, members, rng)
    realization_error = _realization_error(reps, n, frame, rng.standard_normal((realization_samples, n)))
    R_norm = np.abs(rng.standard_normal((norm_samples, n)))
    R_corr = np.abs(rng.standard_normal((abs_samples, n)))
    gram, gamma_measured, norm_sq_se = conditional_gram(reps, frame, R_norm, R_corr)
    if gamma_measured > ROUND_OFF:
        raise SymhardError(f"frames: distinct orbits gave a conditional correlation {gamma_measured:.3g} > {ROUND_OFF:g}; "
                           "the orthogonality proof says 0 exactly, so the computation is wrong.")
    W0, a0 = sign_network_weights(np.arange(k), k)
    plain_norm_sq = float(network_gram(a0[None], W0.T[None])[0, 0])  # ‖f_S‖², the same for every S
    norms_sq = gram.norms**2
    i_min = int(np.argmin(norms_sq))
    kl = _k_log(n)
    orbits_kl = G.orbit_count_subsets(kl)
    bound = csq_pairwise_bound(orbit_count, 0.0, tau_used)
    bound.condition += "; for the normalized members f̄_S/‖f̄_S‖ (gamma = 0 by the orthogonality proof)"
    return Certificate(
        family="frames",
        params={"n": n, "group": G.name, "k": k, "members": members, "abs_samples": abs_samples,
                "norm_samples": norm_samples, "tau": tau_used, "c": c, "seed": seed,
                "realization_samples": realization_samples},
        method="mixed",
        members=orbit_count,
        realization_error=realization_error,
        max_offdiag_corr=gamma_measured,
        max_offdiag_corr_stderr=0.0,
        min_norm=math.sqrt(norms_sq[i_min] / plain_norm_sq),
        lower_bound=bound,
        extra={
            "methods": {"correlations": "exact given |x| (every sign pattern), for abs_samples draws of |x|; "
                                        "0 for every |x| by the orthogonality proof",
                        "norms": "mc"},
            "frame": repr(frame),
            "group_order": G.order,
            "orbit_count": orbit_count,
            "orbit_count_lower": math.comb(n, k) / G.order,
            "members_checked": len(reps),
            "pairs_checked": len(reps) * (len(reps) - 1) // 2,
            "gamma_bound": 0.0,
            "min_norm_sq": float(norms_sq[i_min]),
            "min_norm_sq_stderr": float(norm_sq_se[i_min]),
            "min_norm_stderr": float(norm_sq_se[i_min]) / (2 * math.sqrt(norms_sq[i_min] * plain_norm_sq)),
            "max_norm_sq": float(norms_sq.max()),
            "unaveraged_norm_sq": plain_norm_sq,
            "k_log": kl,
            "log10_orbits_at_k_log": math.log10(orbits_kl),
            "log10_n_pow_log2_n": math.log2(n) * math.log10(n),
            "log10_queries_at_k_log": csq_pairwise_bound(orbits_kl, 0.0, tau_used).log10_queries,
            "paper_bound": PAPER_BOUND,
        },
    )


# ----------------------------------------------------------------------------- the family
class FramesFamily(Family):
    """Goel et al. sign networks, frame-averaged with a sign-invariant frame."""

    name = "frames"
    summary = "f̄_S = ⟨f_S⟩_F, f_S(x) = Σ_w (Πw) ReLU(⟨w, x_S⟩/√k), F a sign-invariant frame of G ≤ S_n; Gaussian x"
    theorem = ("CSQ: n^{log n} queries or accuracy n^{−c}; certified: (#orbits of k-subsets − 1)·τ² "
               "(counting lemma, γ = 0 by exact orthogonality given |x|)")

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

    def estimate(self, n: int, group: Any, k: int, abs_samples: int, norm_samples: int, realization_samples: int,
                 members: int, **_: Any) -> Any:
        """The frame's table of up to ``F = min(|G|, 2n)`` permutations (``F × n`` int64, at least ``n × n``),
        the ``(abs + norm + realization) × n`` Gaussian samples and the frame average of ``members`` networks
        over the realization inputs (``members × samples × F × n``)."""
        from ..resources import array_estimate

        G = as_group(group if group is not None else f"cyclic:{n}", n)
        F = min(G.order, 2 * n)
        lower = "lower n or the samples (--abs-samples, --norm-samples, --realization-samples)"
        table = array_estimate(f"the frame of {G.name}", max(F, n), n, copies=2, lower=lower)
        draws = array_estimate(f"the frames certificate's samples in dimension {n}",
                               abs_samples + norm_samples + realization_samples, n, copies=3,
                               flops_per_item=members * F * 2 ** k / n, lower=lower)
        real = array_estimate(f"the frame average of {members} networks on {realization_samples} inputs",
                              realization_samples, F, n, copies=2, flops_per_item=members * 2 ** k, lower=lower)
        return table.peak(draws).peak(real)

    def report_section(self, quick: bool = True) -> Section:
        """Certificates, a table and figure data for k = 2 under Z_n and D_n (no drawing)."""
        ns = [6, 8, 10, 12] if quick else [6, 8, 10, 12, 16, 20, 24]
        certs = {(kind, n): certify(n=n, group=f"{kind}:{n}", k=2, members=8, abs_samples=16,
                                    norm_samples=400 if quick else 2000, realization_samples=8)
                 for kind in ("cyclic", "dihedral") for n in ns}
        rows = [[kind, str(n), str(c.members), f"{c.max_offdiag_corr:.1e}", f"{c.min_norm:.3f}",
                 f"{c.extra['min_norm_stderr']:.1e}", f"{c.extra['log10_orbits_at_k_log']:.2f}", f"{c.realization_error:.1e}"]
                for (kind, n), c in certs.items()]
        table = Table(header=["group", "n", "#orbits (k = 2)", "max \\|corr\\| given \\|x\\|", "min ‖f̄_S‖/‖f_S‖", "s.e.",
                              "log10 #orbits at k ≈ log₂ n", "realization error"], rows=rows,
                      caption="Z_n and D_n acting on the coordinates; k = 2 unless stated.")
        text = (f"Hard class: one frame-averaged sign network f̄_S = ⟨f_S⟩_F per G-orbit of k-subsets S, with a "
                f"sign-invariant frame F and Gaussian x. Given |x| the members of distinct orbits are exactly "
                f"orthogonal (γ = 0), so the whole class of #orbits members gives the counting-lemma bound "
                f"(#orbits − 1)·τ². Norms are Monte Carlo over |x| (exact over the signs), relative to the "
                f"un-averaged f_S. Paper bound: {PAPER_BOUND}.")
        return Section(title="frames: frame-averaged sign networks (Goel et al. 2020), hard class", text=text,
                       certificates=list(certs.values()), tables=[table], figures=[_frames_figure(ns, certs)],
                       anchor="frames")

    def contract_case(self, seed: int = 0) -> ContractCase:
        """All three orbits of 2-subsets under Z_6: FrameAveraged(EnsembleMLP.from_weights(...)) against
        the formula f̄_S; Gram matrix exact given |x| (correlations), Monte Carlo over |x| (norms)."""
        n, k, G = 6, 2, PermutationGroup.cyclic(6)
        frame = default_frame(G, sign_invariant=True)
        reps = np.array(G.subset_orbit_representatives(k), dtype=np.int64)
        rng = as_generator(seed)
        x = rng.standard_normal((32, n))
        gram, _, _ = conditional_gram(reps, frame, np.abs(rng.standard_normal((400, n))),
                                      np.abs(rng.standard_normal((16, n))))
        net = frame_averaged_network(reps, n, frame)

        def target(inputs: tuple) -> np.ndarray:
            return np.stack([f_bar(S, np.asarray(inputs[0], dtype=float), frame) for S in reps])

        def network(inputs: tuple) -> np.ndarray:
            import torch

            with torch.no_grad():
                return net(torch.as_tensor(np.asarray(inputs[0], dtype=float))).numpy()

        cert = certify(n=n, group=G.name, k=k, members=len(reps), abs_samples=16, norm_samples=400, tau=0.5,
                       seed=seed, realization_samples=16)
        return ContractCase(members=[f"f̄_{set(S.tolist())}" for S in reps], group=G, input_actions=("rows",),
                            inputs=(x,), target=target, network=network, gram=gram, certificate=cert, atol=1e-9)


def _frames_figure(ns: list[int], certs: dict) -> Figure:
    """Three panels: the exact conditional correlations (linear axis: they are 0), the relative
    norms with ±2 s.e., and log10 of the class size at k = 2 and k ≈ log₂ n."""
    styles = {"cyclic": ("o-", "o:", "Z_n"), "dihedral": ("s--", "s-.", "D_n")}
    corr, norm, size = [], [], []
    for kind, (style, style_log, sym) in styles.items():
        cs = [certs[(kind, n)] for n in ns]
        corr.append(Series(ns, [c.max_offdiag_corr for c in cs], f"{sym}, k = 2", style=style))
        norm.append(Series(ns, [c.min_norm for c in cs], f"{sym}, k = 2", style=style,
                           yerr=[2 * c.extra["min_norm_stderr"] for c in cs]))
        size.append(Series(ns, [math.log10(c.members) for c in cs], f"{sym}, k = 2", style=style))
        size.append(Series(ns, [c.extra["log10_orbits_at_k_log"] for c in cs],
                           f"{sym}, k = even integer nearest log₂ n", style=style_log))
    size.append(Series(ns, [certs[("cyclic", n)].extra["log10_n_pow_log2_n"] for n in ns], "n^(log₂ n)", style="k-"))
    largest = max(c.max_offdiag_corr for c in certs.values())
    panels = [
        Panel(title="largest |correlation| between distinct orbits (exact given |x|)", xlabel="n (input dimension)",
              ylabel="|normalized correlation| (dimensionless)", series=corr, ylim=(-0.05, 1.0),
              note=f"0 up to float64 round-off at every n (largest {largest:.1e}); linear axis: the bound uses γ = 0"),
        Panel(title="smallest norm kept by the frame average (Monte Carlo, ±2 s.e.)", xlabel="n (input dimension)",
              ylabel="min_S ‖f̄_S‖ / ‖f_S‖ (dimensionless)", series=norm, hlines=[(1.0, "un-averaged norm")]),
        Panel(title="size of the hard class (Burnside, exact)", xlabel="n (input dimension)",
              ylabel="log10(number of members)", series=size),
    ]
    return Figure(name="frames-class",
                  title=f"frames (hard class): frame-averaged sign networks, G = Z_n and D_n, n = {ns[0]}…{ns[-1]}, k = 2",
                  panels=panels,
                  caption="Correlations exact given |x| (every sign pattern); norms Monte Carlo over |x|; orbit counts exact.")


# ----------------------------------------------------------------------------- learning task
class FramesTask:
    """x ~ N(0, I_n); hard: f̄_S for a random k-subset S; control: a frame-averaged random narrow ReLU teacher.

    Inputs ``x [m, n]`` (``Gaussian(n)``, float32, from the generator given); the target is
    normalized to unit second moment by Monte Carlo with a fixed seed (``norm_sq_stderr``).
    """

    family = "frames"
    param_name = "n"
    input_actions = ("rows",)

    def __init__(self, n: int, role: str, seed: int, k: int = 4, group: Any = None, control_width: int = 4,
                 norm_samples: int = 20_000) -> None:
        from ..models.frame_averaged import EnsembleMLP, FrameAveraged
        from ..queries.distributions import Gaussian

        check_role(role)
        self.param_value = n = check_int(n, "n", min_value=2)
        self.role = role
        self.seed = check_int(seed, "seed", min_value=0)
        self.group = resolve_group(group if group is not None else f"cyclic:{n}", n)
        self.k = check_k(k, n)
        self.frame = default_frame(self.group, sign_invariant=True)
        self.distribution = Gaussian(n)
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
        (x,) = self.distribution.sample(norm_samples, 10_000 + seed, dtype="float64")
        y2 = self._raw(x) ** 2
        self.norm_sq = float(y2.mean())
        self.norm_sq_stderr = float(y2.std() / math.sqrt(norm_samples))
        self._scale = 1.0 / math.sqrt(self.norm_sq)

    def _raw(self, x: Any) -> Any:
        import torch

        with torch.no_grad():
            return self._net(x.to(torch.float64))[0]

    def sample_inputs(self, m: int, generator: Any) -> tuple[Any, ...]:
        return self.distribution.sample(check_int(m, "m", min_value=1), torch_generator(generator), dtype="float32")

    def target(self, x: Any) -> Any:
        return (self._raw(x) * self._scale).to(x.dtype)

    def make_model(self, ensemble: int, width: int, generator: Any) -> Any:
        from ..models.frame_averaged import EnsembleMLP, FrameAveraged

        return FrameAveraged(EnsembleMLP(self.param_value, width, ensemble, generator=torch_generator(generator)),
                             self.frame)

    def lower_bound(self, tau: float) -> LowerBound:
        """The whole-class bound (#orbits of k-subsets − 1)·τ² (counting lemma, γ = 0)."""
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
