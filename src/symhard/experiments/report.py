"""The report: every registered family's section (certificates, text, figures) in ``report.md``.

:func:`collect_sections` calls ``report_section(out_dir, quick)`` of every family registered
in :mod:`symhard.families`; a family that raises becomes an error entry instead of stopping
the others. :func:`write_report` writes ``report.md`` with one certificate table across
families, then each section with its figures; ``extra_sections`` (e.g. experiment results)
are appended as given.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..families.base import Certificate, ReportSection, all_families


@dataclass
class SectionError:
    """A family whose ``report_section`` raised: its name and the one-line error."""

    family: str
    error: str


def collect_sections(out_dir: Path, quick: bool = True, families: Iterable[str] | None = None
                     ) -> tuple[list[ReportSection], list[SectionError]]:
    """Run ``report_section`` of every registered family (or of ``families``), never raising."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    registry = all_families()
    names = list(registry) if families is None else list(families)
    sections: list[ReportSection] = []
    errors: list[SectionError] = []
    for name in names:
        try:
            sections.append(registry[name]().report_section(out_dir, quick))
        except Exception as err:  # noqa: BLE001 - one failing family must not stop the report
            last = traceback.format_exception_only(type(err), err)[-1].strip()
            errors.append(SectionError(family=name, error=" ".join(last.split())))
    return sections, errors


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def certificate_table(certs: Sequence[Certificate]) -> str:
    """One Markdown table row per certificate with the common keys."""
    head = ("| family | params | method | members | realization error | max off-diag corr (± se) "
            "| min norm | lower bound: log10 queries @ τ |\n|---|---|---|---|---|---|---|---|")
    rows = []
    for c in certs:
        d = c.to_dict()
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in d["params"].items())
        lb = d["lower_bound"]
        rows.append(
            f"| {d['family']} | {params} | {d['method']} | {d['members']} | {_fmt(d['realization_error'])} | "
            f"{_fmt(d['max_offdiag_corr'])} ± {_fmt(d['max_offdiag_corr_stderr'])} | {_fmt(d['min_norm'])} | "
            f"{_fmt(lb['log10_queries'])} @ {_fmt(lb['tau'])} |"
        )
    return "\n".join([head, *rows])


def write_report(out_dir: Path, sections: Sequence[ReportSection], extra_sections: Sequence[ReportSection] = (),
                 errors: Sequence[SectionError] = ()) -> Path:
    """Write ``out_dir/report.md`` and return its path.

    Figures are linked relative to ``out_dir`` (families write them there).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# symhard report", ""]
    certs = [c for s in sections for c in s.certificates]
    if certs:
        lines += ["## Certificates", "", certificate_table(certs), "",
                  "How to read the last column: a class of m unit-norm members with pairwise |correlation| ≤ γ "
                  "needs at least m(τ² − γ)/2 CSQ queries of tolerance τ (Szörényi 2009; Feldman 2017), so the "
                  "bound exceeds one query only once m ≫ 1/τ² (10⁴ members at τ = 0.01). The certificates above "
                  "are taken at sizes small enough to check exhaustively, where it is below one query (a negative "
                  "log10) or vacuous (–, when γ ≥ τ²); each family's section below shows how the class and its bound "
                  "scale with the size, which is what the theorems are about.", ""]
    if errors:
        lines += ["## Errors", ""]
        lines += [f"- ERROR in family `{e.family}`: {e.error}" for e in errors]
        lines.append("")
    for s in [*sections, *extra_sections]:
        lines += [f"## {s.title}", "", s.text, ""]
        for fig in s.figures:
            fig = Path(fig)
            rel = fig.relative_to(out_dir) if fig.is_absolute() and out_dir.resolve() in fig.resolve().parents else fig.name
            lines += [f"![{fig.stem}]({rel})", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
