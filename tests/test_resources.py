"""The closed forms of symhard.resources against independent references (sympy, math, small enumerations).

Each estimate is only as good as the count it rests on: group orders, partition numbers, divisor
sums, the size of a cycle index, subset counts, the parameters and activations of a network of
any width. Those counts are checked exactly here; the refusals themselves (one line, exit 2,
nothing written) are checked command by command in tests/test_fuzz.py.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from itertools import combinations

import numpy as np
import pytest
import sympy
from sympy.combinatorics import named_groups

from symhard import resources as R
from symhard.errors import InvalidParameterError, SymhardError
from symhard.groups import PermutationGroup, parse_group

KINDS = ("trivial", "cyclic", "dihedral", "symmetric", "alternating")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", range(1, 9))
def test_closed_form_orders_equal_schreier_sims(kind, n):
    G = parse_group(f"{kind}:{n}")
    assert G.order == R.group_order(kind, n) == int(G._sympy.order())


def test_orders_of_products_and_of_huge_groups_need_no_enumeration():
    G = parse_group("blocks:cyclic:4+symmetric:3+dihedral:5")
    assert G.order == 4 * 6 * 10 == int(G._sympy.order())
    assert parse_group("symmetric:100").order == math.factorial(100)
    assert parse_group("dihedral:99999").order == 199998
    assert parse_group("cyclic:100000").is_cyclic_shift()


def test_partition_numbers_equal_sympy_and_the_asymptotic_is_close():
    for n in list(range(0, 60)) + [100, 250, 999, 1000]:
        assert R.partition_count(n) == int(sympy.partition(n)), n
    for n in (1001, 2000, 5000):  # Hardy–Ramanujan: relative error ~ 1/sqrt(n), well within a factor 2
        ratio = R.partition_count(n) / float(sympy.partition(n))
        assert 0.5 < ratio < 2.0, (n, ratio)


@pytest.mark.parametrize("n", [1, 2, 12, 97, 360, 100000, 99999])
def test_divisor_count_and_sum_equal_sympy(n):
    assert R.divisor_count(n) == int(sympy.divisor_count(n))
    assert R.divisor_sum(n) == int(sympy.divisor_sigma(n))


@pytest.mark.parametrize("kind,n", [("cyclic", 12), ("cyclic", 97), ("cyclic", 360), ("dihedral", 9), ("dihedral", 12),
                                    ("symmetric", 7), ("alternating", 7), ("trivial", 5)])
def test_cycle_index_size_bounds_the_computed_cycle_index(kind, n):
    counts = parse_group(f"{kind}:{n}").cycle_type_counts()
    types, cycles = R.cycle_index_size(kind, n)
    actual_cycles = sum(len(t) for t in counts)
    if kind in ("cyclic", "trivial"):
        assert (types, cycles) == (len(counts), actual_cycles)  # exact
    elif kind == "symmetric":
        assert types == len(counts) and cycles >= actual_cycles
    elif kind == "dihedral":
        assert types >= len(counts) and actual_cycles <= cycles <= actual_cycles + n + 2
    else:
        assert types >= len(counts) and cycles >= actual_cycles


def test_the_orbit_counts_of_the_issue_are_exact_and_fast():
    """Binary necklaces of length n: N(n) = (1/n) Σ_{d | n} φ(d) 2^{n/d} (an independent closed form)."""
    n = 100000
    necklaces = sum(int(sympy.totient(d)) * 2 ** (n // d) for d in sympy.divisors(n)) // n
    assert parse_group(f"cyclic:{n}").orbit_count_boolean() == necklaces
    from symhard.cli import main

    out = io.StringIO()
    old, sys.stdout = sys.stdout, out
    try:
        main(["groups", "orbits", f"cyclic:{n}", "--json"])
    finally:
        sys.stdout = old
    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # 30103 digits: a reader of such JSON in Python lifts the default cap too
    try:
        assert json.loads(out.getvalue())["orbit_count"] == necklaces
    finally:
        sys.set_int_max_str_digits(digits)


def test_subset_counts_equal_enumeration():
    for n in range(1, 10):
        for k in range(0, n + 1):
            est = R.subsets_estimate("G", n, k)
            assert est.bytes == pytest.approx(len(list(combinations(range(n), k))) * (8 + 56))


def test_burnside_estimate_counts_one_polynomial_product_per_cycle():
    G = PermutationGroup.cyclic(360)
    types, cycles = G._cost
    est_cube = R.burnside_estimate(G.name, types, cycles, 360)
    est_k = R.burnside_estimate(G.name, types, cycles, 360, k=5)
    assert est_k.seconds > est_cube.seconds > 0
    assert est_cube.bytes == 56 * types + 8 * cycles


def test_a_refusal_gives_the_estimate_the_limit_and_the_flag():
    est = R.Estimate("building a thing", bytes=3 * R.GiB, seconds=7200, lower="lower --size")
    with pytest.raises(R.ResourceLimitError) as info:
        R.require(est, R.Limits(max_memory=R.GiB))
    msg = str(info.value)
    assert "building a thing: needs about 3 GiB of memory, above the limit of 1 GiB" in msg
    assert "lower --size, or raise the limit with --max-memory GiB" in msg and "\n" not in msg
    with pytest.raises(R.ResourceLimitError, match=r"about 2 h, above the limit of 10 min.*--max-time"):
        R.require(est, R.Limits(max_memory=4 * R.GiB, max_time=600))
    assert R.require(est, R.Limits(max_memory=4 * R.GiB)) is est  # no time limit
    assert isinstance(info.value, SymhardError) and isinstance(info.value, InvalidParameterError)


def test_combined_estimates_name_the_largest_and_the_slowest_part():
    a = R.Estimate("big", bytes=100, seconds=1)
    b = R.Estimate("slow", bytes=10, seconds=50)
    seq, both = a.peak(b), a + b
    assert (seq.bytes, seq.seconds, seq.what, seq.slow) == (100, 51, "big", "slow")
    assert (both.bytes, both.seconds) == (110, 51)


def test_limits_are_scoped_and_validated():
    base = R.current_limits()
    with R.limits(2, 30) as lim:
        assert lim == R.Limits(2 * R.GiB, 30.0) == R.current_limits()
    assert R.current_limits() == base
    for bad in (0, -1, float("nan")):
        with pytest.raises(InvalidParameterError):
            R.set_limits(max_memory_gib=bad)


def test_the_default_memory_limit_is_half_of_what_the_process_may_use():
    phys = R.physical_memory()
    assert phys is None or 0 < R.default_max_memory() <= phys // 2
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))\n"
            "from symhard.resources import default_max_memory; print(default_max_memory())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) <= 3 * 2**30 // 2


def test_dimacs_header_is_checked_before_any_clause_is_read():
    from symhard.reductions.dimacs import parse_dimacs

    def lines():
        yield "c a comment"
        yield "p cnf 10 100000000"
        raise AssertionError("a clause was read before the header's estimate")

    with R.limits(1), pytest.raises(R.ResourceLimitError, match="declares 100000000 clauses"):
        parse_dimacs(lines(), source="big.cnf")
    seen = []
    parse_dimacs("p cnf 3 1\n1 2 3 0\n", on_header=lambda n, m: seen.append((n, m)))
    assert seen == [(3, 1)]


def test_reduction_and_npz_estimates_cover_the_arrays_they_describe(tmp_path):
    from symhard.reductions.dimacs import random_instance
    from symhard.reductions.np_hardness import _npz_bytes, reduce_instance

    inst = random_instance(7, 9, seed=0)
    data = reduce_instance(inst)
    held = data.adjacency.nbytes + data.features.nbytes + data.node_mask.nbytes + data.labels.nbytes
    assert held <= R.reduction_estimate(7, 9).bytes <= 4 * held
    path = data.save(tmp_path / "d.npz")
    with np.load(path) as z:
        assert _npz_bytes(path) == sum(z[k].nbytes for k in z.files)


@pytest.mark.parametrize("task,value", [("boolean", 8), ("gnn-features", 8), ("cnn", 8), ("polynomials", 8)])
def test_network_parameters_and_activations_are_affine_in_the_width(task, value):
    """The chunk estimate extrapolates from widths 1 and 2; measure widths 5 and 13 directly."""
    from symhard.experiments.sweep import _probe
    from symhard.families.base import get_task

    t = get_task(task)(value, "hard", 0)
    (p1, a1), (p2, a2) = _probe(t, 1), _probe(t, 2)
    for w in (5, 13):
        p, a = _probe(t, w)
        assert p == p1 + (p2 - p1) * (w - 1)
        assert a == pytest.approx(a1 + (a2 - a1) * (w - 1))


def test_a_chunk_estimate_counts_its_data_and_scales_with_width():
    from symhard.experiments.spec import load_spec
    from symhard.experiments.sweep import chunk_estimate, expand

    chunk = expand(load_spec("boolean", quick=True, check_tasks=True))[0]
    est = chunk_estimate(chunk)
    n = chunk.value
    data = 8 * n * (chunk.learner.train_size + 2 * chunk.test_size)
    assert est.bytes > data
    from dataclasses import replace

    wide = replace(chunk, series=replace(chunk.series, width=100 * (chunk.series.width or chunk.learner.width)))
    assert chunk_estimate(wide).bytes > 50 * (est.bytes - data)


def test_named_groups_agree_with_sympy_named_groups():
    """The named constructors' generators give sympy's groups (a second reference for the orders)."""
    assert parse_group("dihedral:7").order == named_groups.DihedralGroup(7).order()
    assert parse_group("alternating:6").order == named_groups.AlternatingGroup(6).order()
