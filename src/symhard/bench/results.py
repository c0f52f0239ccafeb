"""Results of ``symhard bench``: records, the per-value summary (lr chosen on validation), files on disk.

Files are written atomically (to a temporary file in the same folder, flushed, ``fsync``'ed,
then renamed over the final name), so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._json import jsonable
from ..errors import InstanceFormatError
from .._files import atomic_write_text
from .defaults import SUCCESS_THRESHOLD

__all__ = ["BenchResult", "summarize", "write_result", "atomic_write_text", "chosen_records", "check_out_dir"]


def chosen_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per seed, the record whose lr has the smallest validation error (:func:`choose_by_validation`)."""
    from ..learners.gd import choose_by_validation

    best = choose_by_validation([r.get("val_error") for r in records], [r["seed"] for r in records])
    return [records[best[s]] for s in sorted(best)]


def summarize(records: list[dict[str, Any]], values: list[int]) -> list[dict[str, Any]]:
    """One row per (learner, value): statistics over seeds of the test error at the chosen lr.

    Keys: ``median/q25/q75/mean_test_error``, ``success_rate`` (fraction of seeds with error <
    :data:`~symhard.bench.defaults.SUCCESS_THRESHOLD`), ``chosen_lrs``, ``chosen_val_errors``,
    ``test_errors`` (per seed), invariance and the log10 of the lower bound.
    """
    out = []
    for who in ("user", "baseline"):
        for v in values:
            rs = [r for r in records if r["learner"] == who and r["param_value"] == v]
            if not rs:
                continue
            per_seed = chosen_records(rs)
            errs = np.array([r["test_error"] for r in per_seed], dtype=float)
            finite = errs[np.isfinite(errs)]
            q = np.percentile(finite, [25, 50, 75]) if finite.size else [math.nan] * 3
            out.append({"learner": who, "name": rs[0]["name"], "param_value": v, "seeds": len(per_seed),
                        "median_test_error": float(q[1]), "q25_test_error": float(q[0]), "q75_test_error": float(q[2]),
                        "mean_test_error": float(errs.mean()),
                        "success_rate": float(np.mean(errs < SUCCESS_THRESHOLD)),
                        "test_errors": [float(e) for e in errs],
                        "chosen_lrs": [r["lr"] for r in per_seed],
                        "chosen_val_errors": [r.get("val_error") for r in per_seed],
                        "invariant": bool(rs[0]["invariant"]),
                        "invariance_rel_violation": max(r["invariance_rel_violation"] for r in rs),
                        "lower_bound_log10_queries": rs[0]["lower_bound"]["log10_queries"]})
    return out


@dataclass
class BenchResult:
    """Output of :func:`symhard.bench.run`.

    ``records``: one JSON-able dict per (learner, value, seed, lr) run, with ``test_error`` and
    ``val_error``; ``summary``: one dict per (learner, value) over seeds, each seed at the lr
    with the smallest validation error; ``config``: the arguments, the invariance checks and the
    baseline's budget as queries; ``figure``: the PNG path once the report layer has drawn the
    figure (``symhard bench`` does), else None; :func:`run` itself never draws.
    """

    family: str
    param_name: str
    records: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    config: dict[str, Any]
    figure: Path | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"family": self.family, "param_name": self.param_name, "config": self.config,
                         "summary": self.summary, "records": self.records,
                         "figure": str(self.figure) if self.figure else None, "seconds": self.seconds})

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BenchResult":
        """Inverse of :meth:`to_dict` (JSON ``null`` errors come back as NaN)."""
        try:
            records = [{k: (math.nan if v is None and k in ("test_error", "val_error") else v) for k, v in r.items()}
                       for r in d["records"]]
            res = cls(family=d["family"], param_name=d["param_name"], records=records, summary=list(d["summary"]),
                      config=dict(d["config"]), figure=Path(d["figure"]) if d.get("figure") else None,
                      seconds=float(d.get("seconds", 0.0)))
        except (KeyError, TypeError, ValueError) as err:
            raise InstanceFormatError(f"not a bench result ({type(err).__name__}: {err}).") from None
        res.config["baseline_queries_spent"] = {int(k): v for k, v in (res.config.get("baseline_queries_spent") or {}).items()}
        return res

    @classmethod
    def load(cls, path: str | Path) -> "BenchResult":
        """Read ``bench.json`` written by :func:`write_result`."""
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InstanceFormatError(f"cannot read bench result {str(path)!r}: {type(err).__name__}: {err}") from None
        return cls.from_dict(d)


def write_result(result: BenchResult, out_dir: str | Path) -> Path:
    """``out_dir/runs.jsonl`` (one record per line) and ``out_dir/bench.json`` (everything), atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = result.to_dict()
    atomic_write_text(out / "runs.jsonl", "".join(json.dumps(rec) + "\n" for rec in d["records"]))
    atomic_write_text(out / "bench.json", json.dumps(d, indent=2))
    return out / "bench.json"


def check_out_dir(path: str | Path) -> Path:
    """``path`` as a folder that can be created or written, checked before any work (nothing is created):
    :func:`symhard.experiments._files.check_output_dir`."""
    from ..experiments._files import check_output_dir

    return check_output_dir(Path(path).expanduser())
