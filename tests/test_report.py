"""Tests of the report layer (symhard.report), as a reader meets it: the produced PNG and SVG files
are opened (every panel has data or its stated reason; every legend label is in the SVG), the
HTML report is one self-contained file (no external resource, every table-of-contents anchor
exists), and the experiment section's figure data is checked against the store recomputed
independently with pyarrow (golden test: titles, legends, units, the SQ learner's budget)."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from symhard.cli import main
from symhard.experiments.runner import run_spec
from symhard.experiments.spec import spec_from_dict
from symhard.experiments.store import read_runs
from symhard.families.base import Family
from symhard.report import document
from symhard.report.experiments import CEIL, FLOOR, experiment_section
from symhard.report.render import drawable_points, panel_is_empty, render_figure
from symhard.sections import Figure, Heatmap, Panel, Section, Series, Table

SRC = Path(__file__).resolve().parents[1] / "src" / "symhard"

# polynomials (cyclic:n): gradient descent, the same with 4x the data (hard only), the SQ learner
MINI = {
    "name": "mini", "seeds": [0, 1], "test_size": 300, "success_threshold": 0.1,
    "learner": {"lrs": [1e-2, 3e-3], "width": 8, "batch_size": 32, "steps": 30, "train_size": 400, "eval_every": 10},
    "series": [
        {"task": "polynomials", "label": "GD", "values": [4, 6], "options": {"k": 2}},
        {"task": "polynomials", "label": "GD, 4x data", "values": [4, 6], "roles": ["hard"], "options": {"k": 2},
         "train_size": 1600},
        {"task": "polynomials", "label": "SQ learner", "learner": "sq-polynomial", "values": [4, 6],
         "options": {"k": 2}, "train_size": 5000},
    ],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    run_spec(spec_from_dict(MINI), out_dir=root / "mini", progress=False)
    return root


@pytest.fixture(scope="module")
def written(store):
    return document.write_experiment_report(store)


# ------------------------------------------------------------------------------ file readers
def svg_texts(path: Path) -> str:
    """Every text of an SVG (matplotlib writes <text> with svg.fonttype = none), whitespace-normalized."""
    root = ET.parse(path).getroot()
    texts = ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("text")]
    return " ".join(" ".join(texts).split())


def _norm(text: str) -> str:
    return " ".join(text.split())


def cells(png: Path, fig: Figure) -> list[np.ndarray]:
    """The PNG cut into the figure's grid of panels (below the title strip), one RGB array per panel."""
    import matplotlib.image as mpimg

    img = mpimg.imread(png)[..., :3]
    n = len(fig.panels)
    cols = min(n, fig.columns or n)
    rows = math.ceil(n / cols)
    top = int(img.shape[0] * 0.08)
    h, w = (img.shape[0] - top) // rows, img.shape[1] // cols
    return [img[top + r * h: top + (r + 1) * h, c * w: (c + 1) * w] for r in range(rows) for c in range(cols)][:n]


def coloured(cell: np.ndarray) -> int:
    """Pixels with a visible hue (data: red, blue, viridis...), not black, grey or white."""
    return int(((cell.max(axis=2) - cell.min(axis=2)) > 0.25).sum())


def inked(cell: np.ndarray) -> int:
    return int((cell.min(axis=2) < 0.6).sum())


# ------------------------------------------------------------------------------ renderer
def _figure_with_every_kind_of_panel() -> Figure:
    return Figure(name="kinds", title="family f; hard vs control; group cyclic:n; budget 10 steps", columns=2, panels=[
        Panel("lines", "n (bits)", "error (dimensionless)", yscale="log", hlines=[(1.0, "zero predictor")],
              series=[Series([2, 4, 6], [0.5, 0.2, 0.9], "hard line", band=([0.4, 0.1, 0.8], [0.6, 0.3, 1.0])),
                      Series([2, 4, 6], [0.01, 0.02, 0.03], "control line", "s--", yerr=[0.001, 0.002, 0.003])]),
        Panel("vacuous", "n (bits)", "log10 queries (count)", series=[Series([2, 4], [math.nan, math.nan], "bound")],
              note="The bound is vacuous at these sizes: gamma >= tau^2."),
        Panel("zeros on a log axis", "n (bits)", "error (dimensionless)", yscale="log",
              series=[Series([2, 4], [0.0, -1.0], "all non-positive")], note="Every error is exactly 0 here."),
        Panel("phase", "n (bits)", "k (degree)", heatmap=Heatmap([1, 2, 3], [1, 2], [[0, 1, 2], [1, 2, 3]],
                                                               "success rate (fraction)")),
    ])


def test_render_writes_png_and_svg_with_notes_in_place_of_empty_axes(tmp_path):
    fig = _figure_with_every_kind_of_panel()
    png, svg = render_figure(fig, tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and svg.exists()
    assert [panel_is_empty(p) for p in fig.panels] == [False, True, True, False]
    text = svg_texts(svg)
    for label in ("hard line", "control line", "zero predictor", "success rate (fraction)", fig.title):
        assert label in text, label
    for p in fig.panels:  # titles and axis labels always written; an empty panel shows its note
        assert p.title in text and p.xlabel in text and p.ylabel in text
        if panel_is_empty(p):
            assert _norm(p.note) in text
    assert "all non-positive" not in text and "bound" not in text.replace("bound is", "")  # nothing drawn, no legend
    parts = cells(png, fig)
    assert coloured(parts[0]) > 200 and coloured(parts[3]) > 2000  # lines and bands; the heat map
    assert inked(parts[1]) > 100 and inked(parts[2]) > 100  # the notes' text
    assert coloured(parts[1]) == 0 and coloured(parts[2]) == 0  # no data drawn there


def test_render_names_files_by_the_figure_and_keeps_dots(tmp_path):
    fig = Figure(name="a.b", title="t", panels=[Panel("p", "x (u)", "y (u)", series=[Series([1], [1], "s")])])
    assert [p.name for p in render_figure(fig, tmp_path)] == ["a.b.png", "a.b.svg"]


def test_no_backend_is_selected_in_the_drawing_layers():
    """The report draws with matplotlib's object-oriented API: no matplotlib.use, no pyplot."""
    mine = [*sorted((SRC / "report").glob("*.py")), *sorted((SRC / "cli").glob("*.py")), *sorted((SRC / "bench").glob("*.py")),
            *sorted((SRC / "experiments").glob("*.py"))]
    for path in mine:
        text = path.read_text()
        assert "matplotlib.use(" not in text, path
        assert not re.search(r"import matplotlib\.pyplot|from matplotlib import pyplot", text), path
    outside = [p for p in mine if p.parent.name not in ("report", "cli")]
    assert not [p for p in outside if "import matplotlib" in p.read_text()]


# ------------------------------------------------------------------------------ experiment section (golden)
def _best(store) -> dict[tuple, list[float]]:
    """Independent reference: per (series, role, value) and seed the test error of the lr with the smallest
    validation error (the sample learner, with no lr grid, has one row per seed)."""
    rows = read_runs(store / "mini").to_pylist()
    pick: dict[tuple, dict] = {}
    for r in rows:
        key = (r["series"], r["role"], r["param_value"], r["seed"])
        v = r["val_error"] if r["val_error"] == r["val_error"] else -1.0  # NaN: the only row of a sample learner
        if key not in pick or v < pick[key]["_v"]:
            pick[key] = dict(r, _v=v)
    out: dict[tuple, list[float]] = {}
    for (series, role, value, _), r in sorted(pick.items()):
        out.setdefault((series, role, value), []).append(r["test_error"])
    return out


def test_experiment_section_figure_data_golden(store):
    sec = experiment_section(store / "mini")
    assert sec.title == "Experiment `mini`" and not sec.problems()
    assert [f.name for f in sec.figures] == ["exp-mini-error", "exp-mini-curves", "exp-mini-bound"]
    err, curves, bound = sec.figures
    for f in sec.figures:
        assert "Family polynomials" in f.title and "group cyclic:n" in f.title, f.title
        assert "30 steps × batch 32" in f.title and "hard" in f.title
        for p in f.panels:
            assert p.has_data() or p.note, (f.name, p.title)
            assert "(" in p.xlabel and "(" in p.ylabel, (p.xlabel, p.ylabel)  # units in parentheses
    assert "control" in err.title and "SQ learner': sq-polynomial on 5000 samples" in err.title
    # error panels: one per series, legends match the roles; the control is named as the control
    tops = err.panels[:3]
    assert [p.title.split("'")[1] for p in tops] == ["GD", "GD, 4x data", "SQ learner"]
    assert [s.label for s in tops[0].series] == ["hard: GD (mean over seeds)", "hard: each seed",
                                                 "control: a degree-2 orbit sum (mean over seeds)", "control: each seed"]
    assert [s.label for s in tops[1].series] == ["hard: GD, 4x data (mean over seeds)", "hard: each seed"]
    # the plotted means are the per-seed errors of the lr chosen on validation, clipped to [FLOOR, CEIL]
    ref = _best(store)
    for p in tops:
        name = p.title.split("'")[1]
        for s in p.series[::2]:
            role = "hard" if s.label.startswith("hard") else "control"
            want = [np.mean(np.clip(ref[(name, role, v)], FLOOR, CEIL)) for v in s.x]
            np.testing.assert_allclose(s.y, want, rtol=1e-12)
            low = sum(int(e < FLOOR) for v in s.x for e in ref[(name, role, v)])
            if low:
                assert "below 0.0001 drawn at 0.0001" in p.note
    # curves: gradient-descent series only; the SQ learner has no curve and the caption says so
    assert [p.title.split("'")[1] for p in curves.panels] == ["GD", "GD, 4x data"]
    assert "'SQ learner' (sq-polynomial)" in curves.caption and "no learning curve" in curves.caption
    assert {s.label for s in curves.panels[0].series} == {"n=4 hard", "n=6 hard", "n=4 control", "n=6 control"}
    # errors above 1 (mean over seeds; at step 0 of a curve) are explained where they occur
    start = max(s.y[0] for p in curves.panels for s in p.series if s.x[0] == 0)
    assert ("At step 0 the error is that of the untrained network" in curves.caption) == (start > 1)
    top = max(y for p in tops for s in p.series[::2] for y in s.y)
    assert ("Mean errors above 1" in err.caption) == (top > 1)
    # bound: the SQ learner's queries are not drawn as a GD budget
    sq = bound.panels[2]
    assert sq.series[0].label.startswith("sq-polynomial: log10 statistical queries")
    assert all(0 < y < 2 for y in sq.series[0].y)  # a handful of queries, not steps x params


def test_experiment_table_and_text_say_what_is_held_fixed(store):
    sec = experiment_section(store / "mini")
    (table,) = sec.tables
    cells_ = [c for r in table.rows for c in r]
    assert not [c for c in cells_ if "nan" in c.lower()]
    sq_rows = [r for r in table.rows if r[0] == "SQ learner"]
    assert sq_rows and all(re.fullmatch(r"5000 samples, \d+(\.\d+)? SQ queries", r[6]) for r in sq_rows)
    assert all(r[8].startswith("–") for r in table.rows if r[1] == "control")  # the bound is the hard class's
    assert "'GD, 4x data' against 'GD': changes 1600 training samples instead of 400; holds fixed task options (k=2)" \
        in sec.text
    assert "30 × 32 = 960 examples either way" in sec.text
    assert "'SQ learner' against 'GD': changes the learner (sq-polynomial instead of gd)" in sec.text


def test_a_spec_folder_without_finished_chunks_says_so(tmp_path):
    from symhard.experiments.store import ResultStore

    ResultStore(tmp_path / "mini").open(spec_from_dict(MINI))
    sec = experiment_section(tmp_path / "mini")
    assert sec.text == "No finished chunk yet." and not sec.figures and not sec.tables


# ------------------------------------------------------------------------------ files as a reader opens them
def test_report_pngs_have_data_or_a_note_in_every_panel(store, written):
    sec = experiment_section(store / "mini")
    for fig in sec.figures:
        png = written["figures"] / f"{fig.name}.png"
        for p, cell in zip(fig.panels, cells(png, fig)):
            if panel_is_empty(p):
                assert inked(cell) > 100, (fig.name, p.title)
            else:
                assert coloured(cell) > 50, (fig.name, p.title)


def test_report_svgs_carry_every_legend_label_and_title(store, written):
    sec = experiment_section(store / "mini")
    for fig in sec.figures:
        text = svg_texts(written["figures"] / f"{fig.name}.svg")
        assert _norm(fig.title) in text
        for p in fig.panels:
            assert _norm(p.title) in text and p.xlabel in text and p.ylabel in text
            for s in p.series:  # drawn series are in the legend; one with nothing to draw has its reason
                if drawable_points(s, p):
                    assert s.label in text, (fig.name, s.label)
                else:
                    assert p.note and _norm(p.note) in text, (fig.name, s.label)
            for _, label in p.hlines:
                assert label in text
            if p.note:
                assert _norm(p.note) in text, (fig.name, p.note)


def test_html_is_self_contained_with_a_working_table_of_contents(written):
    html = written["report.html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<link" not in html and "<script" not in html
    srcs = re.findall(r"""src=['"]([^'"]*)['"]""", html)
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
    ids = set(re.findall(r"""id=['"]([^'"]+)['"]""", html))
    hrefs = re.findall(r"""href=['"]([^'"]+)['"]""", html)
    assert hrefs and all(h.startswith("#") and h[1:] in ids for h in hrefs)
    md = written["report.md"].read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", md):
        assert (written["report.md"].parent / target).is_file(), target


# ------------------------------------------------------------------------------ collecting sections
class _Good(Family):
    name = "fake-good"

    def _certify(self, **params):
        from symhard.families.boolean import BooleanParity

        return BooleanParity().certificate(group="cyclic:6", degree=2)

    def contract_case(self, seed=0):
        from symhard.families.boolean import BooleanParity

        return BooleanParity().contract_case(seed)

    def report_section(self, quick=True):
        fig = Figure(name="fake-bound", title="fake-good: bound; hard class; group cyclic:n; budget none", panels=[
            Panel("bound", "n (bits)", "log10 queries (count)", series=[Series([4, 6], [0.5, 1.5], "bound")]),
            Panel("vacuous here", "n (bits)", "log10 queries (count)", note="vacuous: gamma >= tau^2")])
        return Section(title="Fake good", text="Some **text** with `code`.", certificates=[self.certificate()],
                       tables=[Table(["a", "b"], [["1", "2"]], caption="a table")], figures=[fig])


class _Broken(Family):
    name = "fake-broken"

    def _certify(self, **params):
        raise RuntimeError("no certificate")

    def contract_case(self, seed=0):
        raise RuntimeError("deliberately broken")

    def report_section(self, quick=True):
        raise RuntimeError("deliberately broken")


def test_collect_sections_new_signature_errors_and_separation(tmp_path, monkeypatch):
    monkeypatch.setattr(document, "all_families", lambda: {"fake-good": _Good, "fake-broken": _Broken})
    seen = []

    def separation(quick):
        seen.append(quick)
        return Section(title="SQ against CSQ", text="separation")

    monkeypatch.setattr(document, "separation_factory", lambda: separation)
    sections, errors = document.collect_sections(quick=True)
    assert [s.title for s in sections] == ["Fake good", "SQ against CSQ"] and seen == [True]
    assert [(e.family, e.error) for e in errors] == [("fake-broken", "RuntimeError: deliberately broken")]
    only, none = document.collect_sections(quick=True, families=["fake-good"])
    assert [s.title for s in only] == ["Fake good"] and not none  # no separation for a named subset
    paths = document.write_report(tmp_path, sections, errors)
    md = paths["report.md"].read_text()
    assert "ERROR in family `fake-broken`" in md and "| boolean-parity |" in md
    assert "![fake-good: bound" in md and (tmp_path / "figures" / "fake-bound.svg").exists()
    html = paths["report.html"].read_text()
    assert "<b>text</b>" in html and "<code>code</code>" in html and html.count("<img") == 1
    assert "href='#fake-good'" in html and "id='fake-good'" in html
    assert "vacuous: gamma >= tau^2" in svg_texts(tmp_path / "figures" / "fake-bound.svg")


def test_reproduce_json_prints_the_written_paths(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(document, "all_families", lambda: {"fake-good": _Good})
    monkeypatch.setattr(document, "separation_factory", lambda: None)
    main(["reproduce", "--quick", "--no-experiments", "--out", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    d = json.loads(out)
    assert set(d) == {"report.md", "report.html", "figures", "experiments", "errors"}
    assert d["errors"] == [] and d["experiments"] == []  # --no-experiments
    assert Path(d["report.html"]).is_file() and Path(d["figures"], "fake-bound.png").is_file()


# ------------------------------------------------------------------------------ bench figure
def test_bench_cli_draws_its_figure_and_run_does_not(tmp_path, capsys):
    learn = tmp_path / "zero.py"
    learn.write_text("import torch\ndef learn(sample, budget):\n    sample(8)\n    return lambda x: torch.zeros(x.shape[0])\n")
    out = tmp_path / "out"
    main(["bench", "--learner", f"{learn}:learn", "--family", "boolean", "--sweep", "n=6,8", "--budget-samples", "128",
          "--budget-steps", "5", "--seeds", "1", "--n-test", "64", "--batch-size", "32", "--out", str(out), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["figure"] == str(out / "bench.png") and json.loads((out / "bench.json").read_text())["figure"] == d["figure"]
    text = svg_texts(out / "bench.svg")
    assert "yours: " in text and "baseline: boolean GD" in text and "family lower bound" in text
    assert "family boolean; role hard (hard class); group cyclic:n; budget 128 samples, 5 steps × batch 32" in text
    assert "zero predictor (error 1)" in text and "baseline GD as CSQ: log10(steps × parameters)" in text
