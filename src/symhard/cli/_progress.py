"""The one drawing of :mod:`symhard.progress` for the ``symhard`` command: rich bars or log lines on stderr.

:func:`reporter` gives a :class:`Reporter`, a progress callback (``(done, total, label)``) and a
context manager. Everything goes to stderr, so stdout holds only the result (pure JSON with
``--json``):

* on a terminal: one rich line per activity (spinner, description, bar, count, elapsed time),
  a nested activity (:meth:`Task.nested`) as a second line; removed when the command ends;
* otherwise (logs, pipes, CI): one line ``[command 12s] label (done/total, about 3 min left)``
  per new activity (12 s since the command started; the time left from the rate so far),
  repeated with the new count at most every ``every`` seconds (10 s) while the activity runs.

Nothing is shown during the first ``delay`` seconds (2 s), so a command that answers at once stays
silent and its one-line errors stay one line; a timer shows the current state once the delay has
passed, even if the library is inside a long step that does not call back.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, Optional, TextIO

#: Seconds of silence before anything is shown; seconds between two log lines of one activity.
DELAY_S = 2.0
EVERY_S = 10.0


class Task:
    """One activity: a progress callback; ``nested(label)`` gives the callback of an inner activity."""

    def __init__(self, owner: "Reporter", prefix: str, depth: int, parent: "Task | None" = None) -> None:
        self.owner, self.prefix, self.depth, self.parent = owner, prefix, depth, parent
        self.done, self.total, self.label = 0, None, ""
        self.children: list[Task] = []
        self.handle: Any = None  # the rich task id, once drawn
        self.logged_label: Optional[str] = None
        self.logged_at = 0.0
        self.started, self.start_done = time.perf_counter(), 0

    def __call__(self, done: int, total: Optional[int], label: str) -> None:
        with self.owner.lock:
            changed = label != self.label
            if changed:
                self.started, self.start_done = time.perf_counter(), int(done)
            self.done, self.total, self.label = int(done), total, str(label)
            for child in self.children:
                self.owner.drop(child)
            self.children = []
            self.owner.draw(self, changed)

    def nested(self, label: str) -> "Task":
        with self.owner.lock:
            child = Task(self.owner, label, self.depth + 1, self)
            self.children.append(child)
            return child

    def text(self) -> str:
        """``outer › inner › label``: the prefixes of the enclosing activities (not their labels), then this one."""
        parts, t = [self.label], self
        while t is not None:
            parts.insert(0, t.prefix)
            t = t.parent
        return " › ".join(p for p in parts if p)


class Reporter(Task):
    """The top activity of a command and its drawing (see the module docstring)."""

    def __init__(self, name: str, *, stream: TextIO | None = None, tty: bool | None = None,
                 delay: float | None = None, every: float | None = None, enabled: bool = True) -> None:
        super().__init__(self, "", 0)
        self.name, self.stream = name, stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.delay = DELAY_S if delay is None else delay
        self.every = EVERY_S if every is None else every
        self.enabled = enabled
        self.lock = threading.RLock()
        self.shown = self.closed = False
        self.live: Any = None
        self.timer: threading.Timer | None = None
        self.t0 = time.perf_counter()

    # -- lifecycle
    def __enter__(self) -> "Reporter":
        self.t0 = time.perf_counter()
        if self.enabled:
            self.timer = threading.Timer(self.delay, self.show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        with self.lock:
            if self.live is not None:
                self.live.stop()
                self.live = None
            self.shown, self.closed = False, True

    @contextmanager
    def paused(self) -> Iterator[None]:
        """On a terminal, draw nothing while the body runs: another part draws its own bar there (the
        chunk bar of an experiment run) and rich allows one live display at a time. Log lines go on."""
        if not self.tty:
            yield
            return
        self.close()
        try:
            yield
        finally:
            with self.lock:
                for t in self.tasks():
                    t.handle = None
                self.closed = False
            self.show()

    def show(self) -> None:
        """Start drawing (the delay has passed): draw every activity as it stands now."""
        with self.lock:
            if self.shown or self.closed or not self.enabled:
                return
            self.shown = True
            if self.tty:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
                from rich.table import Column

                # the description gives way first on a narrow terminal; the count and the time stay
                self.live = Progress(SpinnerColumn(),
                                     TextColumn("{task.description}", table_column=Column(
                                         ratio=1, no_wrap=True, overflow="ellipsis")),
                                     BarColumn(bar_width=16), TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
                                     console=Console(file=self.stream, highlight=False, force_terminal=True),
                                     transient=True, expand=True)
                self.live.start()
            for t in self.tasks():
                if t.label or t.prefix:
                    self.draw(t, True)

    def tasks(self) -> list[Task]:
        out, todo = [], [self]
        while todo:
            t = todo.pop(0)
            out.append(t)
            todo = t.children + todo
        return out

    # -- drawing
    def drop(self, task: Task) -> None:
        for child in task.children:
            self.drop(child)
        if self.live is not None and task.handle is not None:
            self.live.remove_task(task.handle)
        task.handle = None

    def draw(self, task: Task, changed: bool) -> None:
        if not self.shown:
            return
        if self.live is not None:
            desc = ("  " * task.depth) + " › ".join(p for p in (task.prefix, task.label) if p)
            count = f"{task.done}/{task.total}" if task.total is not None else ""
            if task.handle is None:
                task.handle = self.live.add_task(desc, total=task.total, completed=task.done, count=count)
            else:
                self.live.update(task.handle, description=desc, total=task.total, completed=task.done, count=count)
            return
        now = time.perf_counter()
        if not changed and task.logged_label == task.label and now - task.logged_at < self.every:
            return
        task.logged_label, task.logged_at = task.label, now
        count = f" ({task.done}/{task.total}{_eta(task, now)})" if task.total is not None else ""
        print(f"[{self.name} {now - self.t0:.0f}s] {task.text()}{count}", file=self.stream, flush=True)


def _eta(task: Task, now: float) -> str:
    """``, about 3 min left`` from the rate since the activity began (nothing before a unit is done)."""
    done = task.done - task.start_done
    if done <= 0 or task.total is None or task.done >= task.total:
        return ""
    left = (now - task.started) / done * (task.total - task.done)
    return f", about {left:.0f} s left" if left < 120 else f", about {left / 60:.0f} min left"


def reporter(name: str, *, enabled: bool = True, **kwargs: Any) -> Reporter:
    """The progress of command ``name`` on stderr (``with reporter("separate") as progress: ...``)."""
    return Reporter(name, enabled=enabled, **kwargs)
