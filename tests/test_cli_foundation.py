"""CLI of the foundation: bad input is one line + exit 2, certificate JSON keys, groups, reproduce."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symhard.cli import main
from symhard.families.base import Certificate, Family, ReportSection

COMMON = set(Certificate.COMMON_KEYS)


def _run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv,needle", [
    (["check", "boolean-parity", "--group", "cyc:10"], "unknown group kind"),
    (["check", "boolean-random", "--group", "cyclic:x"], "not an integer"),
    (["check", "boolean-parity", "--group", "gens:6:(0 1"], "malformed"),
    (["check", "boolean-parity", "--group", "cyclic:30"], "enumeration limit"),
    (["check", "boolean-random", "--group", "cyclic:24"], "enumeration limit"),
    (["check", "boolean-random", "--tau", "0"], "tau"),
    (["check", "boolean-parity", "--tau", "1.5"], "tau"),
    (["check", "boolean-parity", "--tau", "-0.1"], "tau"),
    (["check", "boolean-parity", "--degree", "11"], "k == 11, must be <= 10"),
    (["check", "boolean-parity", "--k", "-1"], "k must be an integer >= 0"),
    (["groups", "orbits", "dihedral:", "--on", "boolean"], "group spec"),
    (["groups", "orbits", "cyclic:6", "--on", "cube"], "--on"),
    (["groups", "orbits", "cyclic:6", "--on", "subsets"], "--k"),
])
def test_bad_input_is_one_line_with_status_2(argv, needle, capsys):
    code, out, err = _run(argv, capsys)
    assert code == 2, (argv, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symhard: error:"), err
    assert needle in lines[0]


def test_bad_input_through_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "symhard", "check", "boolean-parity", "--group", "cyclic:40"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "2^40" in proc.stderr


def test_boolean_parity_json(capsys):
    code, out, _ = _run(["check", "boolean-parity", "--group", "cyclic:10", "--degree", "3", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert COMMON <= set(d) and {"orbit_count", "orbit_count_burnside", "sum_orbit_mass_sq"} <= set(d)
    assert set(d["lower_bound"]) >= {"queries", "tau", "formula"}
    assert d["family"] == "boolean-parity" and d["method"] == "exact"
    assert d["orbit_count"] == d["orbit_count_burnside"] == 12  # C(10,3) = 120 = 12 orbits of 10
    assert d["max_offdiag_corr"] == 0 and d["max_offdiag_corr_stderr"] == 0 and d["min_norm"] == 1
    assert d["realization_error"] < 1e-12
    assert d["lower_bound"]["queries"] == pytest.approx((12 - 1) * 0.01**2)  # (m-1)(τ²-γ)/(1-γ), γ = 0


def test_boolean_random_json_and_table(capsys):
    code, out, _ = _run(["check", "boolean-random", "--group", "cyclic:12", "--tau", "0.1", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert COMMON <= set(d) and {"orbit_count", "orbit_count_burnside", "sum_orbit_mass_sq"} <= set(d)
    assert d["orbit_count"] == d["orbit_count_burnside"] == 352
    assert d["lower_bound"]["tau"] == 0.1
    code, out, _ = _run(["check", "boolean-random", "--group", "symmetric:6"], capsys)
    assert code == 0 and "sum_orbit_mass_sq" in out and "orbit_count" in out


def test_groups_orbits_and_info(capsys):
    code, out, _ = _run(["groups", "orbits", "cyclic:12", "--on", "boolean", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["orbit_count"] == 352 and d["orbit_count_enumerated"] == 352
    code, out, _ = _run(["groups", "orbits", "cyclic:40", "--on", "boolean", "--json"], capsys)
    d = json.loads(out)
    assert d["orbit_count"] == 27487816992 and d["orbit_count_enumerated"] is None  # OEIS A000031(40)
    code, out, _ = _run(["groups", "orbits", "symmetric:9", "--on", "subsets", "--k", "4", "--json"], capsys)
    assert json.loads(out)["orbit_count"] == 1
    code, out, _ = _run(["groups", "info", "gens:12:(0 1 2)(3 4);(0 5)", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["order"] == 48 and d["degree"] == 12 and d["generators"] == ["(0 1 2)(3 4)", "(0 5)"]


class _Broken(Family):
    name = "broken-test-family"

    def _certify(self, **params):
        raise RuntimeError("no certificate")

    def contract_case(self, seed=0):
        raise RuntimeError("deliberately broken")

    def report_section(self, quick=True):
        raise RuntimeError("deliberately broken")


class _Small(Family):
    name = "small-test-family"

    def _certify(self, **params):
        from symhard.families.boolean import BooleanParity

        return BooleanParity().certificate(group="cyclic:6", degree=2)

    def contract_case(self, seed=0):
        from symhard.families.boolean import BooleanParity

        return BooleanParity().contract_case(seed)

    def report_section(self, quick=True):
        from symhard.sections import Figure, Panel, Series

        fig = Figure(name="small", title="small", panels=[Panel("p", "n (bits)", "y (units)", [Series([1, 2], [1, 2], "s")])])
        return ReportSection(title="Small", text="text", certificates=[self.certificate()], figures=[fig])


def test_reproduce_reports_a_failing_family_and_exits_1(tmp_path, capsys, monkeypatch):
    import symhard.report.document as report

    monkeypatch.setattr(report, "all_families", lambda: {"small-test-family": _Small, "broken-test-family": _Broken})
    monkeypatch.setattr(report, "separation_factory", lambda: None)
    code, out, err = _run(["reproduce", "--quick", "--no-experiments", "--out", str(tmp_path)], capsys)
    assert code == 1
    text = (tmp_path / "report.md").read_text()
    assert "ERROR in family `broken-test-family`" in text and "deliberately broken" in text
    assert "| boolean-parity |" in text and "![small](figures/small.png)" in text
    assert "broken-test-family" in err


def test_boolean_report_section_writes_its_figure(tmp_path):
    from symhard.report.document import collect_sections, write_report

    sections, errors = collect_sections(quick=True, families=["boolean-random"], out_dir=tmp_path / "figures")
    assert not errors
    paths = write_report(tmp_path, sections)
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", paths["report.md"].read_text())
    assert links and all((tmp_path / link).read_bytes()[:4] == b"\x89PNG" for link in links)
