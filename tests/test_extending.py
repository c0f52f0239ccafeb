"""The worked example of docs/extending.md: a family added from outside the package gets the CLI and the contract.

``examples/symmetric_parities.py`` is the example the docs walk through. Importing it registers
the family; this file runs the registry's contract checks on it (the same assertions as
tests/test_family_contract.py) and its generated ``symhard check`` command, and checks its
mathematics against independent references (the Krawtchouk values against brute-force sums,
the bound against the formula written out).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from symhard.cli import main
from symhard.families.base import Certificate, family_names, get_family, unregister_family

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "symmetric_parities.py"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_family_contract import act, documented_bound  # noqa: E402


@pytest.fixture
def example():
    spec = importlib.util.spec_from_file_location("symmetric_parities_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    unregister_family("symmetric-parities")


def test_importing_the_module_registers_the_family(example):
    assert "symmetric-parities" in family_names()
    assert get_family("symmetric-parities") is example.SymmetricParities


def test_krawtchouk_values_are_the_sums_of_parities(example):
    n = 6
    for k in range(n + 1):
        for w in range(n + 1):
            x = np.array([-1] * w + [1] * (n - w))
            brute = sum(int(np.prod(x[list(T)])) for T in combinations(range(n), k))
            assert example.krawtchouk(n, k, w) == brute


def test_the_contract_holds_for_the_example(example):
    c = example.SymmetricParities().contract_case()
    y = c.target(c.inputs)
    assert np.abs(c.network(c.inputs) - y).max() <= c.atol
    for perm in c.group.random_elements(3, seed=0):
        np.testing.assert_allclose(c.target(act(perm, c.inputs, c.input_actions)), y, atol=1e-12)
    np.testing.assert_allclose(c.gram.gram, np.eye(len(c.members)), atol=1e-12)  # orthonormal, exactly
    d = json.loads(c.certificate.to_json())
    assert Certificate.from_dict(d).to_dict() == d
    lb = c.certificate.lower_bound
    assert lb.queries == pytest.approx(documented_bound(lb.kind, lb.inputs))
    assert lb.queries == pytest.approx(5 * 0.5**2)  # (m - 1) tau^2 with m = n + 1 = 6


def test_the_generated_check_command(example, capsys):
    main(["check", "symmetric-parities", "--n", "6", "--tau", "0.1", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["family"] == "symmetric-parities" and d["members"] == 7
    assert d["lower_bound"]["queries"] == pytest.approx(6 * 0.01)
    assert d["realization_error"] < 1e-12 and d["max_offdiag_corr"] < 1e-12
    with pytest.raises(SystemExit) as info:
        main(["check", "symmetric-parities", "--n", "40"])
    assert info.value.code == 2
    assert "n must be an integer in [1, 16]; got 40" in capsys.readouterr().err


def test_report_section_is_data(example):
    sec = example.SymmetricParities().report_section(quick=True)
    assert sec.tables and sec.certificates and not sec.problems()
    assert sec.tables[0].rows[0][2] == f"{(5 - 1) * 0.01**2:.3g}"
