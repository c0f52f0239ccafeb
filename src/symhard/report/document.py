r"""The report document: collect every section, draw every figure, write ``report.md`` and ``report.html``.

* :func:`collect_sections` asks every registered family for ``report_section(quick)`` (data:
  text, certificates, tables, :class:`~symhard.sections.Figure`\ s), then the SQ/CSQ separation
  section of :mod:`symhard.learners.separation` when that module provides
  ``separation_section(quick)``. A family (or the separation) that raises becomes a
  :class:`SectionError`, not a crash.
* :func:`write_report` renders every figure (:mod:`symhard.report.render`, PNG and SVG in
  ``<out>/figures/``) and writes

  - ``report.md``: one certificate table across families (as ``symhard check --json`` gives it),
    the errors, then each section with its text, tables and figures (linked, with captions);
  - ``report.html``: the same as ONE self-contained file: a table of contents with an anchor per
    section, the figures inlined as base64 PNG, no external reference (it opens offline).

* :func:`write_experiment_report` adds the experiment section of every spec folder of a results
  root (:mod:`symhard.report.experiments`) after the family sections.

Families written for the older ``report_section(out_dir, quick)``, which draw their own PNG files
and return their paths in ``figures``, are still accepted when ``collect_sections`` is given
``out_dir``: their files are linked (Markdown) and inlined (HTML) as they are.
"""

from __future__ import annotations

import inspect
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InvalidParameterError
from ..families.base import Certificate, all_families
from ..progress import Progress, as_progress, nested
from ..sections import Section
from . import _html
from .render import render_figure

__all__ = ["SectionError", "collect_sections", "certificate_table", "write_report", "write_experiment_report",
           "FIGURE_DIR"]

#: Sub-folder of the report folder that holds the figures (PNG and SVG).
FIGURE_DIR = "figures"

CERTIFICATE_NOTE = (
    "How to read the last column: a class of m unit-norm members with pairwise |correlation| ≤ γ needs at least "
    "(m − 1)(τ² − γ)/(1 − γ) CSQ queries of tolerance τ (the counting lemma; Szörényi 2009, Feldman 2017), so the "
    "bound exceeds one query only once m ≫ 1/τ² (10⁴ members at τ = 0.01). The certificates above are taken at "
    "sizes small enough to check exhaustively, where it is below one query (a negative log10) or vacuous (–, when "
    "γ ≥ τ²); each family's section below shows how the class and its bound scale with the size, which is what the "
    "theorems are about.")


@dataclass
class SectionError:
    """A family (or other section) whose ``report_section`` raised: its name and the one-line error."""

    family: str
    error: str


def _one_line(err: BaseException) -> str:
    last = traceback.format_exception_only(type(err), err)[-1].strip()
    return " ".join(last.split())


def _takes_out_dir(method: Any) -> bool:
    try:
        return "out_dir" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _family_section(cls: type, quick: bool, out_dir: Path | None) -> Section:
    fam = cls()
    if _takes_out_dir(fam.report_section):
        if out_dir is None:
            raise InvalidParameterError(f"family {cls.name!r} uses the older report_section(out_dir, quick); "
                                        "pass out_dir to collect_sections.")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        return fam.report_section(Path(out_dir), quick)
    return fam.report_section(quick)


def collect_sections(quick: bool = True, families: Iterable[str] | None = None, *, separation: bool | None = None,
                     out_dir: str | Path | None = None,
                     progress: Progress | None = None) -> tuple[list[Section], list[SectionError]]:
    """Every registered family's section (or those named in ``families``), never raising.

    ``separation`` (default: when all families are collected) appends
    ``symhard.learners.separation.separation_section(quick)`` if that function exists.
    ``out_dir`` is only needed by families with the older ``report_section(out_dir, quick)``.
    ``progress`` (:mod:`symhard.progress`) hears of every section (and of the separation's steps).
    """
    registry = all_families()
    names = list(registry) if families is None else list(families)
    if separation is None:
        separation = families is None
    sections: list[Section] = []
    errors: list[SectionError] = []
    jobs: list[tuple[str, Any]] = [(name, None) for name in names]
    make = None
    try:
        make = separation_factory() if separation else None
    except Exception as err:  # noqa: BLE001 - the separation module failed to import
        errors.append(SectionError(family="separation", error=_one_line(err)))
    if make is not None:
        jobs.append(("separation", make))
    report = as_progress(progress)
    for i, (name, job) in enumerate(jobs):
        report(i, len(jobs), f"computing the report section of {name}")
        try:
            if job is not None:
                sections.append(_call_with_progress(job, quick, nested(progress, name)))
                continue
            if name not in registry:
                raise InvalidParameterError(f"unknown family {name!r}; allowed: {', '.join(registry)}.")
            sections.append(_family_section(registry[name], quick, None if out_dir is None else Path(out_dir)))
        except Exception as err:  # noqa: BLE001 - one failing family must not stop the report
            errors.append(SectionError(family=name, error=_one_line(err)))
    report(len(jobs), len(jobs), "computing the report sections")
    return sections, errors


def _call_with_progress(make: Any, quick: bool, progress: Progress) -> Section:
    """``make(quick, progress=progress)`` where ``make`` takes ``progress``, else ``make(quick)``."""
    try:
        takes = "progress" in inspect.signature(make).parameters
    except (TypeError, ValueError):
        takes = False
    return make(quick, progress=progress) if takes else make(quick)


def separation_factory() -> Any:
    """``symhard.learners.separation.separation_section`` (``quick -> Section``), or None where absent."""
    from ..learners import separation as sep_module

    return getattr(sep_module, "separation_section", None)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _count(v: Any) -> str:
    """A class size: exact up to 10^12, then in scientific notation (a 2^352-member class is not 106 digits)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**12:
        return f"{float(v):.3e}" if v < 10**300 else f"≈ 2^{v.bit_length() - 1}"
    return _fmt(v)


def _method(d: dict[str, Any]) -> str:
    """``exact``/``mc``, or ``mixed`` with which quantity used which method."""
    methods = d.get("methods")
    if d["method"] == "mixed" and isinstance(methods, dict):
        return "mixed (" + ", ".join(f"{k}: {v}" for k, v in methods.items()) + ")"
    return str(d["method"])


def certificate_table(certs: Sequence[Certificate]) -> str:
    """One Markdown table row per certificate with the common keys; a Monte-Carlo norm carries its
    standard error, a ``mixed`` method says which quantity was computed how."""
    head = ("| family | params | method | members | realization error | max off-diag corr (± se) "
            "| min norm (± se) | lower bound: log10 queries @ τ |\n|---|---|---|---|---|---|---|---|")
    rows = []
    for c in certs:
        d = c.to_dict()
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in d["params"].items())
        lb = d["lower_bound"]
        norm = _fmt(d["min_norm"]) + (f" ± {_fmt(d['min_norm_stderr'])}" if d.get("min_norm_stderr") else "")
        rows.append(
            f"| {d['family']} | {params} | {_method(d)} | {_count(d['members'])} | {_fmt(d['realization_error'])} | "
            f"{_fmt(d['max_offdiag_corr'])} ± {_fmt(d['max_offdiag_corr_stderr'])} | {norm} | "
            f"{_fmt(lb['log10_queries'])} @ {_fmt(lb['tau'])} |"
        )
    return "\n".join([head, *rows])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _anchors(sections: Sequence[Section], taken: set[str]) -> list[str]:
    out = []
    for s in sections:
        a, k = s.anchor or _slug(s.title), 2
        base = a
        while a in taken:
            a, k = f"{base}-{k}", k + 1
        taken.add(a)
        out.append(a)
    return out


@dataclass
class _Drawn:
    """A figure as written: its title, caption and files (an older family's figure has no SVG)."""

    title: str
    caption: str
    png: Path
    svg: Path | None


def _draw(section: Section, fig_dir: Path, used: set[str], on_figure: Any) -> list[_Drawn]:
    """Render the section's figures (file stems unique across the report: ``name``, ``name-2``, ...);
    ``on_figure(stem)`` is called before each one is drawn."""
    out = []
    for f in section.figures:
        if isinstance(f, (str, Path)):  # drawn by a family with the older report_section(out_dir, quick)
            out.append(_Drawn(Path(f).stem, "", Path(f), None))
            continue
        stem, k = f.name, 2
        while stem in used:
            stem, k = f"{f.name}-{k}", k + 1
        used.add(stem)
        on_figure(stem)
        png, svg = render_figure(f, fig_dir, name=stem)
        out.append(_Drawn(f.title, f.caption, png, svg))
    return out


def _rel(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _section_blocks(sec: Section, anchor: str, drawn: list[_Drawn], out_dir: Path) -> tuple[list[str], str]:
    """The Markdown lines and the HTML block of one section."""
    md = [f"<a id=\"{anchor}\"></a>", f"## {sec.title}", "", sec.text, ""]
    body = [f"<section id='{anchor}'><h2>{_html.inline(sec.title)}</h2>", _html.markdown_to_html(sec.text, out_dir)]
    for t in sec.tables:
        md += [t.markdown(), ""] + ([f"*{t.caption}*", ""] if t.caption else [])
        body.append(_html.markdown_to_html(t.markdown()) + (f"<p><em>{_html.inline(t.caption)}</em></p>" if t.caption else ""))
    for d in drawn:
        md += [f"![{d.title}]({_rel(d.png, out_dir)})", ""]
        if d.caption:
            md += [f"*{d.title}.* {d.caption}", ""]
        if d.svg is not None:
            md += [f"(vector version: [{d.svg.name}]({_rel(d.svg, out_dir)}))", ""]
        body.append(_html.figure_html(d.png, d.title, d.caption) if d.png.is_file()
                    else f"<p class='err'>figure file missing: {_html.inline(str(d.png))}</p>")
    body.append("</section>")
    return md, "\n".join(body)


def write_report(out_dir: str | Path, sections: Sequence[Section], errors: Sequence[SectionError] = (),
                 title: str = "symhard report", progress: Progress | None = None) -> dict[str, Path]:
    """Draw every figure and write ``out_dir/report.md`` and ``out_dir/report.html``; ``progress``
    (:mod:`symhard.progress`) hears of every figure (``done`` of ``total`` figures drawn).

    Returns ``{"report.md": ..., "report.html": ..., "figures": <out_dir>/figures}``.
    """
    out_dir = Path(out_dir)
    fig_dir = out_dir / FIGURE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    md = [f"# {title}", ""]
    body: list[str] = []
    toc: list[tuple[str, str]] = []
    certs = [c for s in sections for c in s.certificates]
    if certs:
        toc.append(("certificates", "Certificates"))
        md += ["<a id=\"certificates\"></a>", "## Certificates", "", certificate_table(certs), "", CERTIFICATE_NOTE, ""]
        body.append("<section id='certificates'><h2>Certificates</h2>"
                    + _html.markdown_to_html(certificate_table(certs)) + f"<p>{_html.inline(CERTIFICATE_NOTE)}</p></section>")
    if errors:
        toc.append(("errors", "Errors"))
        lines = [f"- ERROR in family `{e.family}`: {e.error}" for e in errors]
        md += ["<a id=\"errors\"></a>", "## Errors", "", *lines, ""]
        body.append("<section id='errors'><h2>Errors</h2><div class='err'>"
                    + _html.markdown_to_html("\n".join(lines)) + "</div></section>")
    anchors = _anchors(sections, {"certificates", "errors"})
    used: set[str] = set()
    report = as_progress(progress)
    total = sum(not isinstance(f, (str, Path)) for sec in sections for f in sec.figures)
    drawn_so_far = [0]

    def on_figure(stem: str) -> None:
        report(drawn_so_far[0], total, f"drawing figure {stem} (PNG and SVG)")
        drawn_so_far[0] += 1

    for sec, anchor in zip(sections, anchors):
        toc.append((anchor, sec.title))
        sec_md, sec_html = _section_blocks(sec, anchor, _draw(sec, fig_dir, used, on_figure), out_dir)
        md += sec_md
        body.append(sec_html)
    report(total, total, "writing report.md and report.html")
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text("\n".join(md), encoding="utf-8")
    html_path.write_text(_html.page(title, toc, body), encoding="utf-8")
    return {"report.md": md_path, "report.html": html_path, "figures": fig_dir}


def write_experiment_report(root: str | Path, family_sections: Sequence[Section] | None = None,
                            errors: Sequence[SectionError] | None = None,
                            progress: Progress | None = None) -> dict[str, Path]:
    """``report.md`` and ``report.html`` in ``root``: the family sections (when given), the experiment
    section of every spec folder under ``root`` (or of ``root`` itself), then "Theory meets
    experiment": every frontier under ``root/frontier``. Returns the paths.
    ``progress`` (:mod:`symhard.progress`) hears of every spec folder read and every figure drawn."""
    from .experiments import experiment_section, spec_folders
    from .frontier import frontier_sections

    root = Path(root).resolve()
    folders = spec_folders(root)
    exp = []
    for i, folder in enumerate(folders):
        as_progress(progress)(i, len(folders), f"reading the results in {folder.name}")
        exp.append(experiment_section(folder))
    exp += frontier_sections(root)
    if not exp and not family_sections:
        raise InvalidParameterError(f"{root} holds no experiment results (no <spec>/manifest.json); "
                                    "run 'symhard run SPEC'.")
    return write_report(root, [*(family_sections or []), *exp], errors=list(errors or []), progress=progress)
