"""``symhard np``: the NP-hardness reduction (1-in-3-SAT ≤ consistency of 1ᵀReLU(AXw)).

* ``symhard np reduce INSTANCE.cnf --out DATA.npz``: build the GNN data set of the reduction;
* ``symhard np check --random 200 --vars 8 --seed 0 [--json]``: cross-check python-sat and z3
  on random instances (exit status 1 if any answer or witness disagrees);
* ``symhard np solve DATA.npz [--json] [--smt2 FILE]``: consistent weights, or z3's unsat core
  of graphs (``--smt2`` writes the SMT-LIB script for other solvers).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import apply_limits, max_memory_option, max_time_option, print_json, print_table

np_app = typer.Typer(
    help="NP-hardness of properly learning GNN weights: reduce, check, solve.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _fmt_weights(exact: list[str] | None) -> str:
    return "[" + ", ".join(exact) + "]" if exact else "-"


@np_app.command("reduce")
def reduce_cmd(
    instance: Path = typer.Argument(..., help="1-in-3-SAT instance in DIMACS CNF (every clause: exactly one literal true)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the data set (.npz)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    max_memory: float = max_memory_option(),
    max_time: float = max_time_option(),
) -> None:
    """Reduce a 1-in-3-SAT instance to a GNN consistency data set.

    The DIMACS header is checked against --max-memory / --max-time before any clause is read."""
    from .._files import check_output_file
    from ..reductions.dimacs import read_dimacs
    from ..reductions.np_hardness import reduce_instance
    from ..resources import reduction_estimate, require

    from ._progress import reporter

    apply_limits(max_memory, max_time)
    check_output_file(out, "--out")
    with reporter("np reduce") as progress:
        progress(0, None, f"reducing {instance} to a GNN consistency data set")
        inst = read_dimacs(instance, on_header=lambda n, m: require(reduction_estimate(n, m)) and None)
        data = reduce_instance(inst)
        data.save(out)
    info = {
        "instance": str(instance),
        "out": str(out),
        "n_vars": inst.n_vars,
        "n_clauses": inst.n_clauses,
        "graphs": data.n_graphs,
        "dim": data.dim,
        "max_nodes": int(data.node_mask.shape[1]),
    }
    if as_json:
        print_json(info)
    else:
        print_table("np reduce", [(k, str(v)) for k, v in info.items()])


@np_app.command("check")
def check_cmd(
    random: int = typer.Option(200, "--random", min=1, help="Number of random instances."),
    n_vars: int = typer.Option(8, "--vars", min=3, help="Variables per instance."),
    clauses: int = typer.Option(None, "--clauses", min=0, help="Clauses per instance (default: round(ratio * vars))."),
    ratio: float = typer.Option(None, "--ratio", min=0.0, help="Clause density m/n (default 0.75)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the instance stream."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    max_memory: float = max_memory_option(),
) -> int:
    """Cross-check python-sat (1-in-3-SAT) against z3 (real GNN weights) on random instances."""
    from ..reductions.dimacs import DEFAULT_RATIO
    from ..reductions.np_hardness import check_random

    from ._progress import reporter

    apply_limits(max_memory)
    with reporter("np check") as progress:
        progress(0, None, f"{random} random instances with {n_vars} variables, each solved by python-sat and z3")
        rep = check_random(random, n_vars, n_clauses=clauses, ratio=DEFAULT_RATIO if ratio is None else ratio,
                           seed=seed)
    d = rep.to_dict()
    if as_json:
        print_json(d)
    else:
        d["seconds"] = f"{rep.seconds:.2f}"
        d["verdict"] = "OK" if rep.ok else "FAILED"
        print_table("np check (python-sat vs z3)", [(k, str(v)) for k, v in d.items()])
    return 0 if rep.ok else 1


@np_app.command("solve")
def solve_cmd(
    data: Path = typer.Argument(..., help="Data set (.npz) written by 'symhard np reduce' or in its format."),
    timeout_ms: int = typer.Option(None, "--timeout-ms", min=1, help="z3 time limit in milliseconds."),
    smt2: Path = typer.Option(None, "--smt2", help="Also write the SMT-LIB 2 (QF_LRA) script that z3 solves."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    max_memory: float = max_memory_option(),
) -> None:
    """Decide with z3 whether weights w with 1ᵀReLU(A X w) = y on every graph exist."""
    from ..reductions.dimacs import satisfies
    from ..reductions.np_hardness import GADGET_NAMES, GraphDataset, max_label_error, solve_consistency, to_smtlib, weights_to_assignment

    from .._files import atomic_write_bytes, check_output_file
    from ._progress import reporter

    apply_limits(max_memory)
    if smt2 is not None:
        check_output_file(smt2, "--smt2")
    ds = GraphDataset.load(data)
    if smt2 is not None:
        smt2.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(smt2, to_smtlib(ds).encode())
    with reporter("np solve") as progress:
        progress(0, None, f"z3 on {ds.n_graphs} graphs of {data}")
        res = solve_consistency(ds, timeout_ms=timeout_ms)
    out = res.to_dict()
    if res.consistent:
        out["max_label_error"] = max_label_error(ds, res.weights)
        if ds.instance is not None:
            a = weights_to_assignment(res.weights)
            out["assignment"] = [int(i + 1) if v else -int(i + 1) for i, v in enumerate(a)]
            out["assignment_satisfies"] = satisfies(ds.instance, a)
    elif ds.gadget is not None and ds.gadget_index is not None:
        out["unsat_core_gadgets"] = [
            f"{GADGET_NAMES[ds.gadget[g]]} {ds.gadget_index[g]}" for g in res.unsat_core
        ]
    if as_json:
        print_json(out)
        return
    rows = [("consistent", str(res.consistent))]
    if res.consistent:
        rows += [("weights", _fmt_weights(res.weights_exact)), ("max_label_error", f"{out['max_label_error']:.3g}")]
        if "assignment" in out:
            rows += [("assignment", " ".join(map(str, out["assignment"]))),
                     ("assignment_satisfies", str(out["assignment_satisfies"]))]
    else:
        rows.append(("unsat_core (graphs)", " ".join(map(str, res.unsat_core))))
        if "unsat_core_gadgets" in out:
            rows.append(("unsat_core (gadgets)", ", ".join(out["unsat_core_gadgets"])))
    rows.append(("seconds", f"{res.seconds:.3f}"))
    print_table(f"np solve: {data}", rows)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    app.add_typer(np_app, name="np")
