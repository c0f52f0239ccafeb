r"""A worked example of a new family (docs/extending.md): parities under the full symmetric group.

Class
-----
On x uniform in {±1}^n, the S_n-invariant parities are the normalized elementary symmetric
polynomials

.. math::

    f_k(x) = \binom{n}{k}^{-1/2} \sum_{|T| = k} \prod_{i \in T} x_i = \binom{n}{k}^{-1/2} K_k(w),
    \qquad k = 0, \dots, n,

where w is the number of −1 coordinates and K_k the Krawtchouk polynomial: S_n has one orbit of
k-subsets per k, so the invariant parity class of ``boolean-parity`` collapses to n + 1 members.

Certificate
-----------
* *Exact orthonormality.* Parities of distinct sets are orthonormal, so E[f_k f_l] = [k = l];
  computed here exactly in integers from the Krawtchouk values and the binomial weights
  C(n, w)/2^n (no sampling).
* *Realization.* f_k depends on x only through s = Σ_i x_i ∈ {−n, −n+2, …, n}, so it is the
  piecewise-linear interpolant of its n + 1 values, an S_n-invariant one-hidden-layer ReLU
  network of s: f(x) = c_0 + Σ_j a_j ReLU(s − s_j) with knots s_j = −n + 2j (exact on the cube).
* *Bound.* The counting lemma with m = n + 1, γ = 0: q ≥ n τ² — linear in n. This is the
  point of the example: the full symmetric group makes the parity class easy (compare
  ``symhard check boolean-parity --group symmetric:N``), while small groups keep it exponential.

To try it: ``python -c "import examples.symmetric_parities"`` registers the family; the tests
(``tests/test_extending.py``) run the family contract on it and its generated ``symhard check``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np

from symhard.families.base import Certificate, ContractCase, Family, register_family
from symhard.groups import PermutationGroup
from symhard.parameters import Param
from symhard.queries.bounds import csq_pairwise_bound
from symhard.queries.gram import exact_gram
from symhard.sections import Section, Table


def krawtchouk(n: int, k: int, w: int) -> int:
    """K_k(w) = Σ_j (−1)^j C(w, j) C(n − w, k − j): the sum of x_T over |T| = k when w coordinates are −1."""
    return sum((-1) ** j * math.comb(w, j) * math.comb(n - w, k - j) for j in range(k + 1))


def exact_gram_raw(n: int) -> np.ndarray:
    """E[f_k f_l] for k, l = 0..n, exactly: Σ_w C(n, w)/2^n · K_k(w) K_l(w) / √(C(n,k) C(n,l))."""
    K = [[krawtchouk(n, k, w) for w in range(n + 1)] for k in range(n + 1)]
    raw = np.empty((n + 1, n + 1))
    for k in range(n + 1):
        for l in range(n + 1):
            s = sum(Fraction(math.comb(n, w), 2**n) * K[k][w] * K[l][w] for w in range(n + 1))
            raw[k, l] = float(s) / math.sqrt(math.comb(n, k) * math.comb(n, l))
    return raw


def network_weights(n: int, k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(c0, a, knots) with f_k(x) = c0 + Σ_j a_j ReLU(Σ_i x_i − knots_j), exact on {±1}^n."""
    s = -n + 2 * np.arange(n + 1)  # s = n − 2w for w = n..0
    values = np.array([krawtchouk(n, k, (n - int(v)) // 2) for v in s], dtype=float) / math.sqrt(math.comb(n, k))
    slopes = np.diff(values) / 2.0
    a = np.concatenate([[slopes[0]], np.diff(slopes)])
    return float(values[0]), a, s[:-1].astype(float)


def network(n: int, k: int, x: np.ndarray) -> np.ndarray:
    """The S_n-invariant ReLU network of :func:`network_weights` on ``x [B, n]`` -> ``[B]``."""
    c0, a, knots = network_weights(n, k)
    return c0 + np.maximum(x.sum(-1)[:, None] - knots[None, :], 0.0) @ a


def formula(n: int, k: int, x: np.ndarray) -> np.ndarray:
    """f_k(x) from its definition: the normalized sum of the parities of all k-subsets."""
    total = sum(np.prod(x[:, list(T)], axis=1) for T in combinations(range(n), k)) if k else np.ones(x.shape[0])
    return total / math.sqrt(math.comb(n, k))


@register_family
class SymmetricParities(Family):
    """Normalized elementary symmetric polynomials on {±1}^n: the S_n-invariant parities."""

    name = "symmetric-parities"
    summary = "f_k(x) = C(n,k)^(-1/2) sum_{|T|=k} prod_{i in T} x_i, k = 0..n, x uniform on {±1}^n"
    theorem = "orthonormal, n + 1 members => any CSQ learner needs >= n tau^2 queries (linear: S_n makes parities easy)"
    symmetry = "S_n permuting the n coordinates"
    bound = "csq-counting"
    params = (
        Param("n", "int", 8, "number of bits", low=1, high=16),
        Param("tau", "float", 0.01, "query tolerance of the bound", low=0.0, high=1.0, low_open=True),
    )

    def _certify(self, n: int, tau: float) -> Certificate:
        gram = exact_gram(exact_gram_raw(n))
        x = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)  # the whole cube
        err = max(float(np.abs(network(n, k, x) - formula(n, k, x)).max()) for k in range(n + 1))
        return Certificate(
            family=self.name, params={"n": n, "tau": tau}, method="exact", members=n + 1, realization_error=err,
            max_offdiag_corr=gram.max_offdiag_corr, max_offdiag_corr_stderr=0.0, min_norm=gram.min_norm,
            lower_bound=csq_pairwise_bound(n + 1, gram.max_offdiag_corr, tau), extra={"members_checked": n + 1},
        )

    def report_section(self, quick: bool = True) -> Section:
        rows = [[str(n), str(n + 1), f"{self.certificate(n=n).lower_bound.queries:.3g}"] for n in (4, 8, 12)]
        return Section(title="Parities under S_n (worked example)",
                       text="Under the full symmetric group the parity class has n + 1 members: the bound is linear.",
                       certificates=[self.certificate(n=8)],
                       tables=[Table(["n", "members", "bound at tau = 0.01"], rows)])

    def contract_case(self, seed: int = 0) -> ContractCase:
        n = 5
        x = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        ks = range(n + 1)
        return ContractCase(
            members=[f"k={k}" for k in ks], group=PermutationGroup.symmetric(n), input_actions=("rows",), inputs=(x,),
            target=lambda inputs: np.stack([formula(n, k, inputs[0]) for k in ks]),
            network=lambda inputs: np.stack([network(n, k, inputs[0]) for k in ks]),
            gram=exact_gram(exact_gram_raw(n)), certificate=self.certificate(n=n, tau=0.5), atol=1e-9,
        )
