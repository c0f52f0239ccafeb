"""Progress as a user meets it: the protocol of :mod:`symhard.progress`, its one drawing in the CLI
(:mod:`symhard.cli._progress`), and the library functions that call it (the separation, the report).

The counts a library reports are checked against what it did (the GD steps it ran, the sections
and figures it wrote), so progress that lies about the work fails here.
"""

from __future__ import annotations

import io
import json
import time

import pytest

from symhard.cli import _progress, main
from symhard.cli._progress import Reporter
from symhard.progress import as_progress, nested, silent, track


class Recorder:
    """A plain progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None, str]] = []

    def __call__(self, done, total, label):
        self.calls.append((done, total, label))


# ------------------------------------------------------------------------------ the protocol
def test_track_reports_before_each_item_and_at_the_end():
    rec = Recorder()
    assert list(track(["a", "b"], rec, "item")) == ["a", "b"]
    assert rec.calls == [(0, 2, "item: a"), (1, 2, "item: b"), (2, 2, "item: b")]
    assert list(track([], rec, "none")) == [] and rec.calls[-1] == (0, 0, "none")


def test_nested_prefixes_a_plain_callback_and_uses_an_implementations_own_nesting():
    rec = Recorder()
    nested(rec, "outer")(3, 7, "inner")
    assert rec.calls == [(3, 7, "outer › inner")]
    assert nested(None, "x") is silent and as_progress(None) is silent and as_progress(rec) is rec
    stream = io.StringIO()
    with Reporter("cmd", stream=stream, tty=False, delay=0) as rep:
        child = nested(rep, "outer")
        assert child in rep.children  # the CLI's reporter draws it as its own line


# ------------------------------------------------------------------------------ the CLI drawing
def _wait_for(predicate, timeout=5.0):
    t0 = time.perf_counter()
    while not predicate() and time.perf_counter() - t0 < timeout:
        time.sleep(0.01)
    return predicate()


def test_log_lines_one_per_activity_with_counts_and_nesting():
    stream = io.StringIO()
    with Reporter("cmd", stream=stream, tty=False, delay=0, every=3600) as rep:
        assert _wait_for(lambda: rep.shown)
        rep(0, 2, "first")
        rep(0, 2, "first")  # same activity, within `every`: no new line
        child = rep.nested("first")
        child(1, 10, "steps")
        child(2, 10, "steps")
        rep(1, 2, "second")
        assert child not in rep.children  # the outer activity moved on: its inner work is done
        grandchild = rep.nested("outer").nested("inner")
        grandchild(0, None, "deep")
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == ["first (0/2)", "first › steps (1/10)", "second (1/2)", "outer › inner › deep"]
    assert all(line.startswith("[cmd ") for line in stream.getvalue().splitlines())


def test_nothing_is_shown_for_a_command_that_ends_before_the_delay():
    stream = io.StringIO()
    with Reporter("cmd", stream=stream, tty=False, delay=60) as rep:
        rep(0, None, "fast")
    time.sleep(0.05)
    assert stream.getvalue() == ""


def test_the_timer_shows_a_long_step_that_never_calls_back():
    stream = io.StringIO()
    with Reporter("cmd", stream=stream, tty=False, delay=0.05) as rep:
        rep(0, None, "one long opaque step")
        assert _wait_for(lambda: "one long opaque step" in stream.getvalue())


def test_terminal_bars_draw_every_activity_and_pause_for_another_display():
    stream = io.StringIO()
    with Reporter("cmd", stream=stream, tty=True, delay=0) as rep:
        assert _wait_for(lambda: rep.live is not None)
        rep(0, None, "spinner step")
        rep.nested("outer")(1, 5, "inner steps")
        with rep.paused():
            assert rep.live is None  # another live display (the runner's chunk bar) may draw now
        assert rep.live is not None
        rep(2, 3, "after the pause")
    assert rep.live is None
    text = stream.getvalue()
    assert "spinner step" in text and "outer › inner steps" in text and "after the pause" in text


# ------------------------------------------------------------------------------ library functions
def test_run_separation_reports_every_gd_step_it_runs():
    from symhard.learners.separation import run_separation

    rec = Recorder()
    out = run_separation("cyclic:6", 2, None, steps=7, evals=1, test_samples=200, progress=rec)
    labels = [label for _, _, label in rec.calls]
    assert "pilot run of the SQ learner" in labels[0] and "SQ learner on m =" in labels[1]
    gd = [(d, t) for d, t, label in rec.calls if "gradient descent" in label]
    assert [d for d, _ in gd] == list(range(out["gd"]["steps"] + 1)) and {t for _, t in gd} == {7}
    assert out["gd"]["steps"] == 7


def test_report_progress_counts_every_figure_it_draws(tmp_path):
    from symhard.report import document
    from symhard.sections import Figure, Panel, Section, Series

    def fig(name):
        return Figure(name=name, title=name, panels=[Panel("p", "n (bits)", "y (units)", [Series([1, 2], [1, 2], "s")])])

    sections = [Section(title="A", text="a", figures=[fig("fa1"), fig("fa2")]), Section(title="B", text="b"),
                Section(title="C", text="c", figures=[fig("fa1")])]
    rec = Recorder()
    paths = document.write_report(tmp_path, sections, progress=rec)
    assert [(d, t) for d, t, _ in rec.calls] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [label.split()[2] for _, _, label in rec.calls[:3]] == ["fa1", "fa2", "fa1-2"]  # the files' stems
    assert all((tmp_path / "figures" / f"{stem}.svg").is_file() for stem in ("fa1", "fa2", "fa1-2"))
    assert "report.html" in rec.calls[-1][2] and paths["report.html"].is_file()


def test_collect_sections_reports_each_family_then_the_separation(monkeypatch):
    from symhard.report import document
    from symhard.sections import Section

    class Fam:
        def report_section(self, quick=True):
            return Section(title="F", text="f")

    def separation(quick, progress=None):
        progress(0, 5, "inner step")
        return Section(title="S", text="s")

    monkeypatch.setattr(document, "all_families", lambda: {"fam-a": Fam, "fam-b": Fam})
    monkeypatch.setattr(document, "separation_factory", lambda: separation)
    rec = Recorder()
    sections, errors = document.collect_sections(quick=True, progress=rec)
    assert [s.title for s in sections] == ["F", "F", "S"] and not errors
    assert rec.calls == [(0, 3, "computing the report section of fam-a"), (1, 3, "computing the report section of fam-b"),
                         (2, 3, "computing the report section of separation"), (0, 5, "separation › inner step"),
                         (3, 3, "computing the report sections")]


# ------------------------------------------------------------------------------ commands
def test_check_shows_its_step_on_stderr_and_keeps_stdout_json(capsys, monkeypatch):
    monkeypatch.setattr(_progress, "DELAY_S", 0.0)
    main(["check", "boolean-parity", "--group", "cyclic:6", "--k", "2", "--json"])
    out = capsys.readouterr()
    assert json.loads(out.out)["family"] == "boolean-parity"
    assert "computing the certificate of boolean-parity" in out.err


def test_separate_logs_its_steps_from_the_start(capsys, monkeypatch):
    monkeypatch.setattr(_progress, "DELAY_S", 0.0)
    main(["separate", "--group", "cyclic:6", "--k", "2", "--steps", "3", "--json"])
    out = capsys.readouterr()
    assert set(json.loads(out.out)) >= {"sq", "gd"}
    err = out.err.splitlines()
    assert err and "loading the learners" in err[0]
    assert any("pilot run" in line for line in err) and any("gradient descent" in line for line in err)


@pytest.mark.parametrize("as_json", [False, True])
def test_reproduce_says_where_the_results_are(tmp_path, capsys, monkeypatch, as_json):
    from symhard.report import document
    from symhard.sections import Section

    monkeypatch.setattr(document, "all_families", lambda: {})
    monkeypatch.setattr(document, "separation_factory", lambda: lambda quick: Section(title="S", text="s"))
    main(["reproduce", "--no-experiments", "--out", str(tmp_path), *(["--json"] if as_json else [])])
    out = capsys.readouterr().out
    if as_json:
        assert json.loads(out)["report.html"] == str((tmp_path / "report.html").resolve())
    else:
        assert "the results are in" in out and str((tmp_path / "report.html").resolve()) in out
