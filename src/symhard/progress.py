r"""Progress reporting without a user interface: library code calls back, the command line draws.

A *progress callback* is any callable ``progress(done, total, label)``:

* ``done`` (int): units of the current activity finished so far (steps, sections, figures);
* ``total`` (int or None): how many units the activity has; ``None`` when unknown (a spinner);
* ``label`` (str): what is being done, in words a reader understands ("gradient descent on Z_16").

Each call describes the *current* activity; a new label starts a new one. Library functions that
may run for seconds take ``progress: Progress | None = None`` and call it at every step; they
never print. Nothing here imports ``rich``: the ``symhard`` command supplies the one drawing
implementation (rich bars on a terminal, one line per step in logs, see ``symhard.cli._progress``),
and a script may pass any callable, e.g. ``lambda done, total, label: print(done, total, label)``.

An activity made of smaller ones (a report made of sections, a section made of training runs)
hands :func:`nested` of its callback to the inner work. An implementation may offer a method
``nested(label)`` that returns a callback for the inner work (the CLI draws it as a second line,
removed when the outer activity moves on); for a plain callable, :func:`nested` prefixes the inner
labels with ``label`` and passes the inner counts through.

>>> seen = []
>>> for x in track("abc", lambda d, t, l: seen.append((d, t, l)), "letter"):
...     pass
>>> seen
[(0, 3, 'letter: a'), (1, 3, 'letter: b'), (2, 3, 'letter: c'), (3, 3, 'letter: c')]
>>> inner = nested(lambda d, t, l: seen.append((d, t, l)), "section cnn")
>>> inner(1, 4, "figure"); seen[-1]
(1, 4, 'section cnn › figure')
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Protocol, Sequence, TypeVar

__all__ = ["Progress", "silent", "as_progress", "nested", "track"]

T = TypeVar("T")


class Progress(Protocol):
    """``progress(done, total, label)``: the current activity has ``done`` of ``total`` units finished."""

    def __call__(self, done: int, total: Optional[int], label: str) -> None: ...


def silent(done: int, total: Optional[int], label: str) -> None:
    """The callback that reports nothing (the default of every library function)."""


def as_progress(progress: Optional[Progress]) -> Progress:
    """``progress``, or :func:`silent` for ``None``."""
    return silent if progress is None else progress


def nested(progress: Optional[Progress], label: str) -> Progress:
    """The callback for work nested inside the current activity of ``progress`` (see the module docstring)."""
    if progress is None:
        return silent
    make = getattr(progress, "nested", None)
    if callable(make):
        return make(label)

    def inner(done: int, total: Optional[int], text: str) -> None:
        progress(done, total, f"{label} › {text}")

    return inner


def track(items: Iterable[T], progress: Optional[Progress], label: str) -> Iterator[T]:
    """Yield ``items``, reporting ``(i, n, "label: item")`` before item i and ``(n, n, ...)`` (the same label)
    after the last one."""
    report = as_progress(progress)
    seq: Sequence[T] = items if isinstance(items, Sequence) else list(items)
    n = len(seq)
    text = label
    for i, item in enumerate(seq):
        text = f"{label}: {item}"
        report(i, n, text)
        yield item
    report(n, n, text)
