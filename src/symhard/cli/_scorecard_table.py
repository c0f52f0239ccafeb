"""The scorecard of ``symhard bench --suite`` as a table on the terminal."""

from __future__ import annotations

from typing import Any

from ._common import console

__all__ = ["print_scorecard", "bound_text"]


def bound_text(lb: dict[str, Any] | None, role: str) -> str:
    """log10 of the certified query bound of the task's hard class at τ = 1/√b (``vacuous`` when 0)."""
    if not lb:
        return "-"
    v = lb.get("log10_queries")
    text = "vacuous" if v is None else f"{v:.1f}".replace("-0.0", "0.0")
    return text if role == "hard" else f"({text})"


def print_scorecard(card: dict[str, Any]) -> None:
    """Header (suite, hash, version, machine, submission), one row per task, totals, the file."""
    from rich.markup import escape
    from rich.table import Table

    m, sub = card["machine"], card["submission"]
    who = "the built-in GD baseline" if sub["kind"] == "baseline" else f"{sub['kind']} {sub['spec']}"
    table = Table(title=escape(f"suite {card['suite']}{' (quick subset)' if card['quick'] else ''}: {who}"))
    table.add_column("task", no_wrap=True)
    for col in ("role", "size", "error", "ok", "inv", "log10 LB"):
        table.add_column(col, no_wrap=True)
    for r in card["tasks"]:
        table.add_row(escape(r["id"]), "hard" if r["role"] == "hard" else "ctrl", f"{r['param_name']}={r['value']}",
                      f"{r['mean_test_error']:.3f}", f"{round(r['success_rate'] * len(r['seeds']))}/{len(r['seeds'])}",
                      "yes" if r["invariant"] else "NO", bound_text(r["lower_bound"], r["role"]))
    c = console()
    c.print(table)
    b = card["definition"]["budget"]
    c.print(escape(f"budget of every task: {b['samples']} samples ({b['val_fraction']:.0%} held out for validation), "
                   f"{b['steps']} Adam steps × batch {b['batch_size']}, lr grid {', '.join(f'{x:g}' for x in b['lrs'])} "
                   f"(chosen per seed on validation), seeds {card['definition']['seeds']}"))
    t = card["totals"]
    c.print(escape(f"hard classes learned (every seed error < {card['definition']['success_threshold']}): "
                   f"{t['hard']['solved']}/{t['hard']['tasks']}; controls learned: "
                   f"{t['control']['solved']}/{t['control']['tasks']}"))
    c.print(escape(f"suite {card['suite']} sha256 {card['suite_sha256'][:16]}…; symhard {card['symhard_version']}; "
                   f"{m['cpu']} ({m['cpu_count']} cores), torch {m['torch']}, device {m['device']}; "
                   f"{card['seconds']:.0f} s"))
    c.print(escape("error = mean normalized test error over seeds; ok = seeds with error < "
                   f"{card['definition']['success_threshold']}; inv = passed the invariance check; LB = the family's "
                   "certified CSQ lower bound at tau = 1/sqrt(batch) (in parentheses on controls, for reference)"))
    c.print(escape(f"scorecard: {card['file']}"))
