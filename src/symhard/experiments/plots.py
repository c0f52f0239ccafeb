"""The experiment part of the report: figures and tables for every spec folder of a results root.

For one spec folder (``<root>/<spec>/``, see :mod:`symhard.experiments.store`) it shows

1. the normalized test error against the hardness parameter, hard class and control side by
   side: per seed the best error over the lr grid, then the mean over seeds with the min–max
   spread and every seed as a dot, the zero predictor (error 1) and the success threshold as
   lines; below it the success rate (fraction of seeds with best error < threshold);
2. learning curves: test error against steps, mean over seeds of each seed's best-lr member;
3. the bound next to the budget: ``log10`` of the family's CSQ lower bound at the run's
   tolerance against ``log10`` of the run's CSQ-equivalent budget (``gd_as_csq``: steps x
   parameters queries of tolerance 1/sqrt(batch)); where the bound exceeds the budget, the theory
   says this gradient-descent run cannot learn the whole class.

Figures are written as PNG and SVG (matplotlib, Agg backend). Each spec folder becomes one
:class:`~symhard.families.base.ReportSection`; :func:`write_experiment_report` writes ``report.md``
through :func:`symhard.experiments.report.write_report` and renders it to ``report.html``.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .store import read_curves, read_manifest, read_runs

__all__ = ["spec_folders", "experiment_blocks", "experiment_sections", "render_markdown", "markdown_to_html",
           "write_experiment_report"]

Block = tuple[str, Any]  # ("h2"|"h3"|"p"|"table"|"figure", payload)


def spec_folders(root: str | Path) -> list[Path]:
    """``root`` itself if it is a spec folder, else its sub-folders holding a ``manifest.json``."""
    root = Path(root)
    if not root.exists():
        raise InvalidParameterError(f"results folder {str(root)!r} does not exist; run 'symhard run SPEC' first.")
    if (root / "manifest.json").exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "manifest.json").exists())


def _best_per_seed(runs: dict[str, list]) -> dict[tuple, dict[int, tuple[float, float]]]:
    """(series, role, value) -> seed -> (best error, its lr); diverged members count as inf."""
    out: dict[tuple, dict[int, tuple[float, float]]] = {}
    for i in range(len(runs["seed"])):
        key = (runs["series"][i], runs["role"][i], runs["param_value"][i])
        e = runs["test_error"][i]
        e = math.inf if runs["diverged"][i] or e is None or e != e else float(e)
        per = out.setdefault(key, {})
        s = runs["seed"][i]
        if s not in per or e < per[s][0]:
            per[s] = (e, runs["lr"][i])
    return out


def _savefig(fig, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=110, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    return paths


def experiment_blocks(spec_dir: str | Path, fig_dir: str | Path) -> list[Block]:
    """Report blocks of one spec folder; figures are written into ``fig_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec_dir, fig_dir = Path(spec_dir), Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    man = read_manifest(spec_dir)
    spec = man["spec"]
    thr = float(spec.get("success_threshold", 0.1))
    table = read_runs(spec_dir)
    title = f"Experiment `{man.get('spec_name', spec_dir.name)}`" + (" (quick)" if man.get("quick") else "")
    blocks: list[Block] = [("h2", title)]
    if spec.get("description"):
        blocks.append(("p", spec["description"]))
    lrn = spec["learner"]
    width = f"width {lrn['width']}" if lrn.get("width") else f"width {lrn['width_multiple']:g} x target hidden units"
    data = f"{lrn['train_size']} training samples" if lrn["train_size"] else "fresh samples every step"
    blocks.append(("p", f"Learner: {lrn['optimizer']} over lrs {lrn['lrs']}, {width}, {lrn['steps']} steps of batch "
                        f"{lrn['batch_size']}, {data}, {spec['test_size']} test samples; seeds {spec['seeds']}. "
                        f"Error = test MSE / E[y^2] (zero predictor = 1); per seed the best lr; success = best error "
                        f"< {thr:g}. Spec hash {man['spec_hash']}, git {str(man.get('git_commit'))[:10]}."))
    if table.num_rows == 0:
        blocks.append(("p", "No finished chunk yet."))
        return blocks
    runs = table.to_pydict()
    best = _best_per_seed(runs)
    series = list(dict.fromkeys(runs["series"]))
    pname = {runs["series"][i]: runs["param_name"][i] for i in range(len(runs["seed"]))}
    meta = {}
    for i in range(len(runs["seed"])):
        meta[(runs["series"][i], runs["role"][i], runs["param_value"][i])] = (
            runs["log10_csq_queries"][i], runs["bound_log10_queries"][i], runs["csq_tau"][i], runs["bound_formula"][i])
    slug = spec_dir.name

    # 1. error vs hardness parameter, with success rate
    fig, axes = plt.subplots(2, len(series), figsize=(4.6 * len(series), 6.2), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1.2]}, sharex="col")
    for j, s in enumerate(series):
        ax, ax2 = axes[0, j], axes[1, j]
        for role, color, ls in (("hard", "tab:red", "-"), ("control", "tab:blue", "--")):
            keys = sorted((k for k in best if k[0] == s and k[1] == role), key=lambda k: k[2])
            if not keys:
                continue
            xs = np.array([k[2] for k in keys], dtype=float)
            errs = [np.array([v[0] for v in best[k].values()]) for k in keys]
            clip = [np.clip(np.where(np.isfinite(e), e, 10.0), 1e-4, 10.0) for e in errs]
            mean = np.array([c.mean() for c in clip])
            lo = np.array([c.min() for c in clip])
            hi = np.array([c.max() for c in clip])
            ax.plot(xs, mean, ls, color=color, marker="o", label=f"{role} (mean over seeds)")
            ax.fill_between(xs, lo, hi, color=color, alpha=0.15)
            for x, c in zip(xs, clip):
                ax.scatter(np.full(c.size, x), c, s=10, color=color, alpha=0.6)
            ax2.plot(xs, [float((e < thr).mean()) for e in errs], ls, color=color, marker="o")
        ax.axhline(1.0, color="gray", lw=0.8, ls=":", label="zero predictor")
        ax.axhline(thr, color="green", lw=0.8, ls=":", label=f"success < {thr:g}")
        ax.set_yscale("log")
        ax.set_ylim(5e-5, 12)
        ax.set_title(s)
        ax.set_ylabel("normalized test error")
        ax2.set_ylabel("success rate")
        ax2.set_ylim(-0.05, 1.05)
        ax2.set_xlabel(pname.get(s, "param"))
        if j == 0:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{slug}: where learning breaks (red: hard class, blue: control)")
    figs = _savefig(fig, fig_dir / f"exp-{slug}-error")
    plt.close(fig)
    blocks.append(("figure", (figs[0], f"{slug}: test error and success rate against the hardness parameter")))

    # table
    rows = [["series", "role", "param", "mean error", "spread [min, max]", "success", "log10 GD budget (tau)",
             "log10 CSQ bound", "budget < bound"]]
    for s in series:
        for role in ("hard", "control"):
            for k in sorted((k for k in best if k[0] == s and k[1] == role), key=lambda k: k[2]):
                e = np.array([v[0] for v in best[k].values()])
                fin = e[np.isfinite(e)]
                lq, lb, tau, _ = meta[k]
                below = "yes" if (lb is not None and lq is not None and lb == lb and lb > lq) else "no"
                rows.append([s, role, f"{pname[s]}={k[2]}",
                             f"{fin.mean():.3g}" if fin.size else "diverged",
                             f"[{fin.min():.3g}, {fin.max():.3g}]" if fin.size else "-",
                             f"{(e < thr).mean():.0%} of {e.size}",
                             f"{lq:.2f} ({tau:.3g})", "-" if lb is None or lb != lb else f"{lb:.2f}", below])
    blocks.append(("table", rows))
    formulas = sorted({m[3] for k, m in meta.items() if k[1] == "hard"})
    if formulas:
        blocks.append(("p", "Lower bound formula(s): " + "; ".join(formulas)))

    # 2. learning curves
    curves = read_curves(spec_dir).to_pydict()
    if curves["step"]:
        fig, axes = plt.subplots(1, len(series), figsize=(4.6 * len(series), 3.6), squeeze=False)
        cmap = plt.get_cmap("viridis")
        for j, s in enumerate(series):
            ax = axes[0, j]
            vals = sorted({k[2] for k in best if k[0] == s})
            for vi, v in enumerate(vals):
                color = cmap(vi / max(1, len(vals) - 1))
                for role, ls in (("hard", "-"), ("control", "--")):
                    if (s, role, v) not in best:
                        continue
                    picks = {(seed, lr) for seed, (_, lr) in best[(s, role, v)].items()}
                    sel = [i for i in range(len(curves["step"]))
                           if curves["series"][i] == s and curves["role"][i] == role and curves["param_value"][i] == v
                           and (curves["seed"][i], curves["lr"][i]) in picks]
                    steps = sorted({curves["step"][i] for i in sel})
                    by = {st: [] for st in steps}
                    for i in sel:
                        by[curves["step"][i]].append(curves["test_error"][i])
                    ys = [float(np.clip(np.nanmean(np.clip(by[st], 0, 10)), 1e-4, 10)) for st in steps]
                    ax.plot(steps, ys, ls, color=color, label=f"{pname[s]}={v} {role}" if role == "hard" or vi == 0 else None)
            ax.set_yscale("log")
            ax.set_title(f"{s}: solid hard, dashed control")
            ax.set_xlabel("step")
            ax.set_ylabel("test error (mean over seeds, best lr)")
            ax.legend(fontsize=6)
        figs2 = _savefig(fig, fig_dir / f"exp-{slug}-curves")
        plt.close(fig)
        blocks.append(("figure", (figs2[0], f"{slug}: learning curves")))

    # 3. bound vs budget
    fig, axes = plt.subplots(1, len(series), figsize=(4.6 * len(series), 3.4), squeeze=False)
    for j, s in enumerate(series):
        ax = axes[0, j]
        keys = sorted((k for k in meta if k[0] == s and k[1] == "hard"), key=lambda k: k[2])
        if not keys:
            continue
        xs = [k[2] for k in keys]
        ax.plot(xs, [meta[k][0] for k in keys], "o-", color="black", label="GD run as CSQ: log10(steps x params)")
        lb = [meta[k][1] if meta[k][1] is not None else np.nan for k in keys]
        ax.plot(xs, lb, "s-", color="tab:red", label="log10 CSQ lower bound (hard class)")
        vac = [x for x, v in zip(xs, lb) if not np.isfinite(v)]
        if vac:
            ax.text(0.02, 0.02, f"bound vacuous at tau = {meta[keys[0]][2]:.3g} for {pname[s]} in {vac}",
                    transform=ax.transAxes, fontsize=7, color="tab:red")
        ax.set_xlabel(pname[s])
        ax.set_ylabel("log10 queries")
        ax.set_title(s)
        ax.legend(fontsize=7)
    figs3 = _savefig(fig, fig_dir / f"exp-{slug}-bound")
    plt.close(fig)
    blocks.append(("figure", (figs3[0], f"{slug}: the lower bound next to the run's CSQ-equivalent budget")))
    return blocks


# ------------------------------------------------------------------------------ rendering
def render_markdown(blocks: list[Block], base: Path) -> str:
    out = []
    for kind, payload in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + payload + "\n")
        elif kind == "p":
            out.append(payload + "\n")
        elif kind == "table":
            head, *body = payload
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out.extend("| " + " | ".join(str(c) for c in r) + " |" for r in body)
            out.append("")
        elif kind == "figure":
            path, caption = payload
            out.append(f"![{caption}]({Path(path).relative_to(base).as_posix()})\n")
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escape HTML and render `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def markdown_to_html(md: str, title: str = "symhard report") -> str:
    """Render the Markdown subset the report uses (headings, pipe tables, images, lists,
    paragraphs, fenced code) as one self-contained HTML page."""
    import re

    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
           "<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
           "table{border-collapse:collapse;font-size:90%;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px}"
           "img{max-width:100%}code{background:#f4f4f4}</style></head><body>"]
    lines = md.splitlines()
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        img = re.fullmatch(r"!\[(.*)\]\((.*)\)\s*", line)
        if line.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append("<pre>" + html.escape("\n".join(lines[i + 1:j])) + "</pre>")
            i = j + 1
            continue
        if line.startswith("#"):
            flush()
            level = min(6, len(line) - len(line.lstrip("#")))
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif img:
            flush()
            out.append(f"<figure><img src='{html.escape(img.group(2))}' alt='{html.escape(img.group(1))}'>"
                       f"<figcaption>{_inline(img.group(1))}</figcaption></figure>")
        elif line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                i += 1
            if rows:
                out.append("<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in rows[0]) + "</tr>")
                out.extend("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
                out.append("</table>")
            continue
        elif line.lstrip().startswith(("- ", "* ")):
            flush()
            out.append("<ul>")
            while i < len(lines) and lines[i].lstrip().startswith(("- ", "* ")):
                out.append("<li>" + _inline(lines[i].lstrip()[2:]) + "</li>")
                i += 1
            out.append("</ul>")
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    out.append("</body></html>")
    return "\n".join(out)


def experiment_sections(root: str | Path) -> list[Any]:
    """One :class:`~symhard.families.base.ReportSection` per spec folder under ``root``; figures go
    to ``<root>/figures`` and are listed in the section (the report links them after the text)."""
    from ..families.base import ReportSection

    root = Path(root).resolve()
    sections = []
    for folder in spec_folders(root):
        blocks = experiment_blocks(folder, root / "figures")
        title = blocks[0][1]
        text = render_markdown([b for b in blocks[1:] if b[0] != "figure"], root)
        figures = [Path(b[1][0]) for b in blocks if b[0] == "figure"]
        sections.append(ReportSection(title=title, text=text, figures=figures))
    return sections


def write_experiment_report(root: str | Path, family_sections: list[Any] | None = None,
                            errors: list[Any] | None = None) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` into ``root`` (figures in ``<root>/figures``, PNG and
    SVG) with the experiment section of every spec folder under ``root`` (or of ``root`` itself),
    after the families' certificate sections when given. Returns the written paths."""
    from .report import write_report

    root = Path(root).resolve()
    exp = experiment_sections(root)
    if not exp and not family_sections:
        raise InvalidParameterError(f"{root} holds no experiment results (no <spec>/manifest.json); run 'symhard run SPEC'.")
    md = write_report(root, list(family_sections or []), extra_sections=exp, errors=list(errors or []))
    page = root / "report.html"
    page.write_text(markdown_to_html(md.read_text(encoding="utf-8")), encoding="utf-8")
    return {"report.md": md, "report.html": page, "figures": root / "figures"}
