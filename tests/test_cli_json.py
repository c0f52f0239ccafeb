"""Golden keys of every command's ``--json`` output, as a script that parses it meets them.

Each command with ``--json`` runs on small inputs through :func:`symhard.cli.main`; its stdout
must be ONE JSON object (nothing else on stdout: progress goes to stderr), and the set of its
top-level keys (and of the nested objects whose keys are stable) must equal the golden list
below. A renamed, removed or added output key fails here: change the golden list in the same
commit, and say so in the changelog, because scripts read these keys.

Commands and their owners: ``check FAMILY`` (the families), ``families``, ``groups``, ``np``,
``separate``, ``report``, ``reproduce`` (ux), ``run`` (store/scale), ``bench`` (bench).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import toy_tasks  # noqa: F401  (the toy-parity task of the tiny spec)
from symhard.cli import main
from symhard.families.base import Certificate, all_families

COMMON = set(Certificate.COMMON_KEYS)
LOWER_BOUND = {"condition", "formula", "inputs", "kind", "log10_queries", "queries", "tau"}

# ------------------------------------------------------------------------------ golden lists
#: The certificate keys of each family beyond the common ones (Certificate.COMMON_KEYS).
CHECK = {
    "boolean-parity": (["check", "boolean-parity", "--group", "cyclic:6", "--k", "2"], {
        "degree", "group", "group_order", "members_checked", "n", "offdiag_inner_products_zero", "orbit_count",
        "orbit_count_burnside", "orbit_sizes_max", "realization_members_checked", "realization_note", "subsets",
        "sum_orbit_mass_sq", "walsh_support_exact"}),
    "boolean-random": (["check", "boolean-random", "--group", "cyclic:6"], {
        "class_size_log2", "cyclic_asymptotic", "group", "group_bound", "group_order", "members_checked", "n",
        "orbit_count", "orbit_count_burnside", "realization_note", "seed", "sum_orbit_mass_sq",
        "sum_orbit_mass_sq_exact", "symmetric_asymptotic", "symmetric_reference"}),
    "cnn": (["check", "cnn", "--n", "8", "--k", "4", "--members", "4", "--samples", "16"], {
        "F_k_norm_sq", "bound_used", "corr_hermite_bound", "corr_hermite_bound_vacuous", "group_order",
        "max_norm_sq_raw", "members_checked", "min_norm_sq_raw", "mu_offdiag_max", "norm_sq_lower_bound_min",
        "norm_sq_lower_bound_note", "norm_sq_lower_bound_vacuous", "norm_sq_paper_bound_min", "nu_k_times_order_max",
        "nu_max", "nu_median", "packing", "paper_bound", "realization_samples", "sampled"}),
    "frames": (["check", "frames", "--n", "6", "--k", "2", "--members", "3"], {
        "frame", "gamma_bound", "group_order", "k_log", "log10_n_pow_log2_n", "log10_orbits_at_k_log",
        "log10_queries_at_k_log", "max_norm_sq", "members_checked", "methods", "min_norm_sq", "min_norm_sq_stderr",
        "min_norm_stderr", "orbit_count", "orbit_count_lower", "pairs_checked", "paper_bound", "unaveraged_norm_sq"}),
    "gnn-degree-parity": (["check", "gnn-degree-parity", "--n", "5"], {
        "bound_counting", "codes_tested", "confidence", "constant_parities", "gram_lambda_max", "gram_method",
        "graphs_enumerated", "lambda_max_bound", "max_abs_bias", "max_abs_bias_stderr", "max_abs_bias_upper",
        "members_checked", "p_max", "p_max_upper", "p_uniform", "parity_affine_dim", "parity_affine_dim_expected",
        "realization_graphs", "realization_mode", "samples", "window_choice", "window_degrees"}),
    "gnn-features": (["check", "gnn-features", "--d", "4", "--k", "2", "--n", "3", "--members", "3"], {
        "F_k_norm_sq", "bound_used", "frobenius_sq_A_hat", "graph_measure", "graphs", "max_corr_over_hermite_bound",
        "max_corr_over_overlap_pow_k", "max_pair_overlap", "mc_samples", "mean_pair_overlap", "members_checked",
        "methods", "norm_sq_raw", "overlap_curve", "overlap_slope", "overlap_slope_expected", "packing", "sampled",
        "scale", "self_loops", "tolerance_threshold"}),
    "polynomials": (["check", "polynomials", "--group", "cyclic:6", "--k", "2", "--members", "3"], {
        "architecture", "gamma_proof", "group_order", "members_checked", "n", "orbits", "orbits_lower_estimate",
        "realization_samples"}),
}

#: Nested objects of certificates whose keys are stable.
CHECK_NESTED = {
    ("cnn", "sampled"): {"gamma", "log10_queries", "m", "queries"},
    ("cnn", "packing"): {"available", "gamma", "log10_m", "log10_queries", "m", "note", "orbit_frequencies",
                         "orbit_norm_sq", "orbit_size", "pair_prob_bound", "pair_tail", "queries", "s"},
    ("frames", "methods"): {"correlations", "norms"},
    ("gnn-degree-parity", "bound_counting"): {"formula", "gamma", "log10_queries", "queries"},
    ("gnn-degree-parity", "constant_parities"): {"all", "even", "odd"},
    ("gnn-features", "methods"): {"lower_bound", "max_offdiag_corr", "min_norm"},
    ("gnn-features", "sampled"): {"gamma", "gamma_stderr", "gamma_used", "log10_queries", "m", "queries"},
    ("gnn-features", "packing"): {"d_for_one_query", "gamma", "gamma_constant", "gamma_constant_from", "log10_m",
                                  "log10_queries", "m", "note", "pair_prob_bound", "pair_tail", "queries", "s"},
}

FAMILY_DESCRIPTION = {"bound", "name", "params", "summary", "symmetry", "task", "theorem"}
FAMILY_PARAM = {"aliases", "allowed", "choices", "default", "flag", "help", "high", "low", "name", "type"}
FAMILY_TASK = {"name", "options", "param", "summary"}
GROUPS_INFO = {"degree", "generators", "group", "order"}
GROUPS_ORBITS = {"degree", "group", "on", "orbit_count", "orbit_count_burnside", "orbit_count_enumerated", "order"}
NP_REDUCE = {"dim", "graphs", "instance", "max_nodes", "n_clauses", "n_vars", "out"}
NP_CHECK = {"agree", "consistent", "failures", "instances", "n_clauses", "n_vars", "satisfiable", "seconds", "seed",
            "witnesses_checked", "witnesses_ok"}
NP_SOLVE_COMMON = {"consistent", "seconds", "unsat_core", "weights", "weights_exact"}
NP_SOLVE_SAT = NP_SOLVE_COMMON | {"assignment", "assignment_satisfies", "max_label_error"}
NP_SOLVE_UNSAT = NP_SOLVE_COMMON | {"unsat_core_gadgets"}
SEPARATE = {"gd", "group", "k", "n", "orbits", "orbits_over_samples", "sample_rule", "samples", "seed", "sq",
            "target_orbit_representative"}
SEPARATE_SQ = {"exact_error", "min_tolerance_sq_units", "queries", "query_bound", "recovered_support",
               "samples_required", "samples_sufficient", "seconds", "test_error", "union_bound_log_term"}
SEPARATE_GD = {"batch_size", "final_train_loss", "lr", "model", "seconds", "steps", "test_error", "test_error_curve",
               "test_error_per_lr", "width"}
RUN = {"chunks", "curves", "estimate", "out_dir", "quarantined", "ran", "runs", "seconds", "skipped", "spec", "spec_hash",
       "summary"}
RUN_SUMMARY_ROW = {"log10_csq_queries", "bound_log10_queries", "max_error", "mean_error", "min_error", "param_name",
                   "param_value", "role", "seeds", "series", "success_rate"}
REPORT = {"figures", "report.html", "report.md"}
REPRODUCE = REPORT | {"errors", "experiments"}
REPRODUCE_EXPERIMENT = {"chunks", "out_dir", "ran", "seconds", "skipped", "spec"}
PLAN = {"calibration_seconds", "chunks", "device", "notes", "out_dir", "precision", "threads", "total", "what"}
PLAN_CHUNK = {"batch_size", "bytes", "chunk_id", "label", "members", "seconds", "steps", "stored", "width"}
PLAN_TOTAL = {"chunks", "not_estimated", "peak_bytes", "seconds", "stored", "to_compute"}
BENCH = {"config", "family", "figure", "out_dir", "param_name", "records", "reused", "seconds", "summary"}


# ------------------------------------------------------------------------------ helpers
def run_json(argv: list[str], capsys) -> dict:
    """Run ``symhard ARGV`` in-process; stdout must be exactly one JSON object."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert code in (0, None), (argv, code, out.err[-2000:])
    return json.loads(out.out)


def toy_spec(tmp_path: Path) -> Path:
    f = tmp_path / "toy.toml"
    f.write_text('name = "toy"\nimports = ["toy_tasks"]\nseeds = [0]\ntest_size = 100\n'
                 '[learner]\nlrs = [1e-2]\nwidth = 8\nbatch_size = 32\nsteps = 10\ntrain_size = 100\neval_every = 5\n'
                 '[[series]]\ntask = "toy-parity"\nvalues = [2]\n')
    return f


# ------------------------------------------------------------------------------ the tests
def test_closed_sets_are_the_ones_the_library_accepts():
    from symhard.cli._choices import Device, Executor
    from symhard.errors import InvalidParameterError
    from symhard.experiments.executors import EXECUTORS
    from symhard.learners.gd import resolve_device

    assert tuple(e.value for e in Executor) == EXECUTORS
    for device in Device:
        try:
            resolve_device(device.value)
        except InvalidParameterError as err:  # cuda without a GPU: refused as unavailable, not as unknown
            assert "not available" in str(err)
    with pytest.raises(InvalidParameterError, match="must be one of"):
        resolve_device("tpu")


def test_every_family_has_a_golden_entry():
    assert set(CHECK) == set(all_families()), "a family was added or renamed: add its golden keys to CHECK"


@pytest.mark.parametrize("name", sorted(CHECK))
def test_check_json_keys(name, capsys):
    argv, extra = CHECK[name]
    d = run_json([*argv, "--json"], capsys)
    assert set(d) == COMMON | extra, (set(d) ^ (COMMON | extra))
    assert d["family"] == name
    assert set(d["params"]) == {p.name for p in all_families()[name].params}  # one key per declared parameter
    assert set(d["lower_bound"]) == LOWER_BOUND
    for (fam, key), golden in CHECK_NESTED.items():
        if fam == name:
            assert set(d[key]) == golden, (key, set(d[key]) ^ golden)


def test_families_json_keys(capsys):
    d = run_json(["families", "--json"], capsys)
    assert set(d) == set(all_families())
    for name, desc in d.items():
        assert set(desc) == FAMILY_DESCRIPTION, name
        assert desc["params"] and all(set(p) == FAMILY_PARAM for p in desc["params"]), name
        assert desc["task"] is None or set(desc["task"]) == FAMILY_TASK, name


def test_groups_json_keys(capsys):
    assert set(run_json(["groups", "info", "cyclic:6", "--json"], capsys)) == GROUPS_INFO
    assert set(run_json(["groups", "orbits", "cyclic:6", "--json"], capsys)) == GROUPS_ORBITS
    subsets = run_json(["groups", "orbits", "cyclic:6", "--on", "subsets", "--k", "2", "--json"], capsys)
    assert set(subsets) == GROUPS_ORBITS | {"k"}


def test_np_json_keys(tmp_path, capsys):
    pytest.importorskip("pysat")
    pytest.importorskip("z3")
    assert set(run_json(["np", "check", "--random", "3", "--vars", "4", "--json"], capsys)) == NP_CHECK
    sat, unsat = tmp_path / "sat.cnf", tmp_path / "unsat.cnf"
    sat.write_text("p cnf 3 1\n1 2 3 0\n")
    unsat.write_text("p cnf 3 2\n1 2 3 0\n-1 -2 -3 0\n")  # one true literal in each clause is impossible
    for cnf, golden in ((sat, NP_SOLVE_SAT), (unsat, NP_SOLVE_UNSAT)):
        data = cnf.with_suffix(".npz")
        assert set(run_json(["np", "reduce", str(cnf), "--out", str(data), "--json"], capsys)) == NP_REDUCE
        assert set(run_json(["np", "solve", str(data), "--json"], capsys)) == golden


def test_separate_json_keys(capsys):
    d = run_json(["separate", "--group", "cyclic:6", "--k", "2", "--steps", "3", "--json"], capsys)
    assert set(d) == SEPARATE and set(d["sq"]) == SEPARATE_SQ and set(d["gd"]) == SEPARATE_GD


def test_run_report_and_reproduce_json_keys(tmp_path, capsys, monkeypatch):
    spec = toy_spec(tmp_path)
    d = run_json(["run", str(spec), "--out", str(tmp_path / "res"), "--json"], capsys)
    assert set(d) == RUN and d["summary"] and all(set(r) == RUN_SUMMARY_ROW for r in d["summary"])
    d = run_json(["report", str(tmp_path / "res"), "--json"], capsys)
    assert set(d) == REPORT and all(Path(v).exists() for v in d.values())
    import symhard.report.document as document

    monkeypatch.setattr(document, "all_families", lambda: {})  # the families' sections are tested elsewhere
    monkeypatch.setattr(document, "separation_factory", lambda: None)
    d = run_json(["reproduce", "--specs", str(spec), "--out", str(tmp_path / "rep"), "--json"], capsys)
    assert set(d) == REPRODUCE and d["errors"] == []
    assert [set(e) for e in d["experiments"]] == [REPRODUCE_EXPERIMENT]
    assert (d["experiments"][0]["ran"], d["experiments"][0]["skipped"]) == (2, 0)  # hard and control at n = 2


def test_reproduce_reuses_stored_chunks_unless_forced(tmp_path, capsys, monkeypatch):
    import symhard.report.document as document

    monkeypatch.setattr(document, "all_families", lambda: {})
    monkeypatch.setattr(document, "separation_factory", lambda: None)
    paths = {"report.md": tmp_path / "r.md", "report.html": tmp_path / "r.html", "figures": tmp_path}
    monkeypatch.setattr(document, "write_experiment_report", lambda *a, **k: paths)  # drawing is tested above
    argv = ["reproduce", "--specs", str(toy_spec(tmp_path)), "--out", str(tmp_path / "rep"), "--json"]
    counts = [(e["ran"], e["skipped"]) for _ in range(2) for e in run_json(argv, capsys)["experiments"]]
    forced = run_json([*argv, "--force"], capsys)["experiments"][0]
    assert counts == [(2, 0), (0, 2)] and (forced["ran"], forced["skipped"]) == (2, 0)
    assert list((tmp_path / "rep" / "toy-quick" / "quarantine").iterdir())  # the old files were moved aside, not lost


def test_bench_json_keys(tmp_path, capsys):
    learn = tmp_path / "zero.py"
    learn.write_text("import torch\ndef learn(sample, budget):\n    sample(8)\n    return lambda x: torch.zeros(x.shape[0])\n")
    d = run_json(["bench", "--learner", f"{learn}:learn", "--family", "boolean", "--sweep", "n=6", "--budget-samples",
                  "64", "--budget-steps", "2", "--seeds", "1", "--n-test", "32", "--batch-size", "16", "--json"], capsys)
    assert set(d) == BENCH and d["summary"] and d["records"]


def test_frontier_json_keys(tmp_path, capsys, monkeypatch):
    """The keys issue 14 names, and the nested keys of thresholds and fits (on a tiny plan)."""
    import sys
    from pathlib import Path

    import symhard.frontier.config as config

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_frontier import tiny_plan

    monkeypatch.setattr(config, "plan_for", tiny_plan)
    d = run_json(["frontier", "boolean", "--out", str(tmp_path), "--json"], capsys)
    assert set(d) == {"family", "axis", "thresholds", "fits", "quick", "out_dir", "seeds", "error_threshold",
                      "computed_points", "reused_points", "seconds", "figures"}
    assert {"k", "budget", "threshold", "ci_low", "ci_high", "seeds"} <= set(d["thresholds"][0])
    assert {"k", "slope", "slope_ci_low", "slope_ci_high", "predicted_slope"} <= set(d["fits"][0])


def test_plan_json_keys(tmp_path, capsys):
    """``run --plan --json`` (frontier and bench --suite print the same object: tests/test_plan.py)."""
    d = run_json(["run", str(toy_spec(tmp_path)), "--out", str(tmp_path / "res"), "--plan", "--json"], capsys)
    assert set(d) == PLAN and set(d["total"]) == PLAN_TOTAL
    assert d["chunks"] and all(set(c) == PLAN_CHUNK for c in d["chunks"])
