r"""Sample-size rules of the SQ learner: clipping levels, Bernstein sample sizes and the query bound.

Bounded queries, truncation and samples
---------------------------------------
An SQ query must take values in :math:`[-1, 1]`: the learner asks
:math:`\mathrm{clip}(\varphi, -B, B)/B` with tolerance :math:`0.9\,t / B`. The truncation error is

.. math::

    \bigl|\mathbb{E}\varphi - \mathbb{E}\,\mathrm{clip}(\varphi, \pm B)\bigr|
    \le \mathbb{E}\bigl[|\varphi|\,1\{|\varphi| > B\}\bigr] \;(\le \mathbb{E}[\varphi^2]/B),

and B is chosen so that it is at most :math:`t/10`; the answer is then correct to :math:`t`
whenever the oracle is within its tolerance. For a sampled oracle (the mean of the clipped query
over :math:`m` samples) Bernstein's inequality with a union bound over the
:math:`Q_{\rm all} = \sum_{\ell=1}^{k-1} N_\ell(G) + \sum_{\ell=0}^{k} N_\ell(G)` distinct query
functions the learner could ever ask (Reynolds-averaged queries of sets in one orbit are the same
function; :math:`N_\ell(G)` = orbits on ℓ-subsets, Burnside; so adaptivity costs nothing) gives the
tolerance with probability :math:`1-\delta` once

.. math::

    \sqrt{2\sigma^2 L/m} + 2L/(3m) \le 0.9\, t/B,\qquad
    \sigma^2 = V/B^2,\ V \ge \mathbb{E}\,\mathrm{clip}(\varphi,\pm B)^2,\ L = \ln(2 Q_{\rm all}/\delta)

(:math:`L \approx 13.0` for :math:`\mathbb{Z}_{64}`, k = 4, δ = 0.05, against 17.8 for a union over all
:math:`2\sum_\ell\binom{n}{\ell}` subsets). Strictly, B is chosen from the same sample (below), so the
union bound is over the queries at the chosen clipping levels.

:func:`required_samples` solves this for :math:`m`. **Caveat**: no useful a-priori bound on
:math:`V = \mathbb{E}[y^4 R_U^2]` or on the tail is known to us (hypercontractivity gives
:math:`9^k`-type constants, three orders of magnitude too loose), so with a fixed-sample oracle
:math:`V` is the *plug-in* value ``safety`` × (empirical second moment of the clipped query), and B is
the smallest level whose empirical tail :math:`\mathbb{E}[|\varphi|1\{|\varphi|>B\}]` times
``safety`` is at most :math:`t/10`. ``safety`` = 1.25 (it was 2): measured on :math:`\mathbb{Z}_{64}`, k = 4,
three random targets, the largest plug-in requirement moved by −10 % … +16 % between 2·10⁴ and
1.5·10⁵ samples, so 1.25 covers the drift of the plug-in estimate at the sizes used (on heavier tails,
small n, it does not: at n = 12, k = 3 the requirement grows about 3× from 2·10⁴ to 1.5·10⁵ samples).
The sample requirement is therefore data-driven, not a
worst-case guarantee. Exact and adversarial oracles need neither (``B = 10/t`` only rescales the
query); a fresh-sample oracle (``SampledOracle``) gets the same ``B = 10/t``, whose truncation
error is then not certified a priori (the tests measure recovery instead). A fixed-sample oracle with too few samples raises :class:`InsufficientSamplesError`, which
says how many samples the failing query needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["InsufficientSamplesError", "required_samples", "query_bound", "clip_level", "TOL_FRACTION",
           "TRUNC_FRACTION"]

#: Raw tolerance of a query as a fraction of its decision gap (t = 0.45 × the gap).
TOL_FRACTION = 0.45
#: Largest truncation error of a clipped query as a fraction of its tolerance.
TRUNC_FRACTION = 0.1


class InsufficientSamplesError(InvalidParameterError):
    """The sample size is too small for the tolerance a query needs (the message says how many)."""


def clip_level(raw: Any, t: float, safety: float) -> tuple[float, float]:
    r"""The plug-in clipping level B and second moment V of a query from its values on a fixed sample.

    ``raw (m,)``: the unclipped values φ. B is the smallest sample value (at least 1e-12) whose
    empirical tail :math:`\mathbb{E}[|\varphi|\,1\{|\varphi| > B\}]` times ``safety`` is at most
    :math:`t/10`; :math:`V = \text{safety}\cdot\mathbb{E}[\mathrm{clip}(\varphi, \pm B)^2]` (Bernstein
    needs the variance of the clipped query only). Returns ``(B, V)``.
    """
    raw = np.abs(np.asarray(raw, dtype=np.float64))
    desc = np.sort(raw)[::-1]
    tail = (np.cumsum(desc) - desc) / raw.size  # tail[i] = E[|φ| 1{|φ| > desc[i]}] (ties aside)
    ok = np.flatnonzero(safety * tail <= TRUNC_FRACTION * t)
    B = max(float(desc[ok[-1]]) if ok.size else float(desc[0]), 1e-12)
    clipped = np.minimum(raw, B)
    return B, max(safety * float(np.mean(clipped * clipped)), 1e-300)


def required_samples(tolerance: float, second_moment: float, B: float, log_term: float) -> int:
    r"""Smallest m with :math:`\sqrt{2\sigma^2L/m} + 2L/(3m) \le 0.9\, t/B`, :math:`\sigma^2 = V/B^2`
    (Bernstein for the clipped query in [−1, 1], truncation :math:`\le t/10` taken out)."""
    tau = (1.0 - TRUNC_FRACTION) * tolerance / B
    a, b = 2.0 * log_term / 3.0, math.sqrt(2.0 * second_moment / B**2 * log_term)
    u = (-b + math.sqrt(b * b + 4 * a * tau)) / (2 * a)
    return int(math.ceil(1.0 / u**2))


def query_bound(n: int, k: int, sparsity: int = 1, *, support_levels: int | None = None,
                transitive: bool = False, max_stabilizer: int = 1) -> int:
    r"""The stated query bound (answers within tolerance).

    Every level tested (``support_levels`` None or :math:`\ge k-1`): :math:`s\,2^{k+1}(n+1)`.
    Otherwise (``2 ≤ support_levels = σ < k − 1``), with :math:`a_1 = 1` for a transitive group
    (else :math:`sk`) and :math:`D = \min(n-1,\ s\,k(k-1)\,\max_v|\mathrm{Stab}(v)|)`:

    .. math::

        Q \le [\text{not transitive}]\,n + a_1 (n-1) + \sum_{\ell=3}^{\sigma} a_1\binom{D}{\ell-1}
              + 1 + a_1 + s\binom k2 + a_1 \sum_{\ell=3}^{k} \binom{D}{\ell-1}.

    *Proof.* Level 2 has at most :math:`a_1(n-1)` candidate orbits and :math:`|A_2| \le s\binom k2`.
    Every candidate of level :math:`\ell \ge 3` passed the Apriori filter, so all its pairs lie in
    :math:`A_2`-orbits: it is an ℓ-clique of the pair graph, whose degree is at most
    :math:`D` (a pair orbit :math:`O` gives a point :math:`v` at most :math:`2|\mathrm{Stab}(v)|`
    neighbours). Each clique orbit has a member through one of the :math:`a_1` point
    representatives, whose other ℓ − 1 points are neighbours of it. For :math:`\mathbb{Z}_n`,
    :math:`D \le 2s\binom k2` does not grow with n, so :math:`Q = O(n)` for fixed s, k. ∎
    """
    if support_levels is None or support_levels >= k - 1:
        return sparsity * 2 ** (k + 1) * (n + 1)
    a1 = 1 if transitive else sparsity * k
    D = min(n - 1, sparsity * k * (k - 1) * max_stabilizer)
    cliques = [a1 * math.comb(D, l - 1) for l in range(3, k + 1)]  # levels 3..k
    return ((0 if transitive else n) + a1 * (n - 1) + sum(cliques[: max(support_levels - 2, 0)])
            + 1 + a1 + sparsity * math.comb(k, 2) + sum(cliques))
