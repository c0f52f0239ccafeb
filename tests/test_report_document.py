"""The certificate table of the report as a reader meets it (symhard.report.document.certificate_table):
a ``mixed`` method says which quantity was computed how, a Monte-Carlo norm carries its standard
error, a class of 2^352 members is not printed as 106 digits, and every bound is the counting
lemma recomputed here independently."""

from __future__ import annotations

import math
import re

from symhard.families.base import Certificate
from symhard.queries.bounds import csq_pairwise_bound
from symhard.report.document import certificate_table


def _cert(**kw) -> Certificate:
    base = dict(family="fam", params={"n": 6}, method="exact", members=12, realization_error=1e-15,
                max_offdiag_corr=0.0, max_offdiag_corr_stderr=0.0, min_norm=1.0,
                lower_bound=csq_pairwise_bound(12, 0.0, 0.1))
    base.update(kw)
    return Certificate(**base)


def _row(table: str, i: int = 0) -> list[str]:
    line = table.splitlines()[2 + i]
    return [c.strip() for c in line.strip("|").split("|")]


def test_mixed_method_and_monte_carlo_norm_are_spelled_out():
    cert = _cert(method="mixed", min_norm=0.437, extra={"methods": {"correlations": "exact", "norms": "mc"},
                                                        "min_norm_stderr": 0.02})
    row = _row(certificate_table([cert]))
    assert row[2] == "mixed (correlations: exact, norms: mc)"
    assert row[6] == "0.437 ± 0.02"
    assert _row(certificate_table([_cert()]))[6] == "1"  # exact: no error bar


def test_huge_class_sizes_are_readable_and_bounds_are_the_counting_lemma():
    m = 2**352
    cert = _cert(members=m, lower_bound=csq_pairwise_bound(m, 0.0, 0.01))
    table = certificate_table([cert, _cert()])
    big, small = _row(table, 0), _row(table, 1)
    assert big[3] == f"{float(m):.3e}" and len(big[3]) < 12
    assert small[3] == "12"
    # log10 of (m - 1) tau^2 / 1, recomputed without the library
    expected = math.log10(m - 1) + 2 * math.log10(0.01)
    shown = float(re.match(r"(-?[\d.]+)", big[7]).group(1))
    assert abs(shown - expected) < 1e-3 * abs(expected)
    assert float(small[7].split(" @ ")[0]) == float(f"{math.log10(11 * 0.1**2):.4g}")
