"""User code is a guest: failures of a user's model or learner become one line naming the user's file.

``symhard bench --model FILE:FACTORY`` and ``--learner FILE:LEARN`` run arbitrary Python (like
any plugin). Whatever that code does wrong, the harness reports it as a :class:`UserCodeError`
(a :class:`~symhard.errors.SymhardError`, so the CLI prints one line and exits with status 2):

* an exception raised by the factory, the model's forward, the learner or its ``predict``;
* ``SystemExit`` (``sys.exit`` called from user code);
* a wrong return type (a factory that returns no ``nn.Module``, a learner that returns no
  callable, a ``predict`` whose output is not numeric);
* a wrong output shape (anything but ``[B]`` or ``[B, 1]``);
* NaN or infinite outputs on the first inputs (before training) or from a learner's ``predict``.

The line names the user's file and line: the innermost traceback frame that lies in one of the
user's files (the file the spec string named, the file that defines the callable and the
file that defines the module's class); when the failure has no such frame (a wrong return type,
an error inside a torch layer the user composed), the place where the user's callable or class
is defined.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import traceback
from typing import Any, Iterator

from ..errors import SymhardError

__all__ = ["UserCodeError", "UserCode", "source_file", "definition_site"]

_MAX_MESSAGE = 200


class UserCodeError(SymhardError, RuntimeError):
    """The user's model or learner failed; the message names the user's file and line."""


def source_file(obj: Any) -> str | None:
    """The resolved path of the file that defines ``obj`` (a function, class or instance), if any."""
    target = obj if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj) else type(obj)
    try:
        path = inspect.getsourcefile(target) or inspect.getfile(target)
    except (TypeError, OSError):
        return None
    return os.path.realpath(path) if path else None


def definition_site(obj: Any) -> str | None:
    """``"file.py:LINE"`` where ``obj`` (or its class) is defined, when Python knows it."""
    target = obj if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj) else type(obj)
    path = source_file(target)
    if path is None:
        return None
    try:
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return path
    return f"{path}:{line}"


def _first_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "(no message)"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


class UserCode:
    """The files of one user's model or learner, and a context that turns its failures into one line.

    Parameters
    ----------
    name : str       how the user's code is called in messages, e.g. ``"make_model"``
    obj : callable   the user's factory or learner (its file is a user file)
    path : str, optional   the file named by the spec string (``file.py:function``)
    """

    def __init__(self, name: str, obj: Any, path: str | None = None) -> None:
        self.name = name
        self.files: set[str] = set()
        self.site = definition_site(obj) or name
        for p in (path, source_file(obj)):
            if p:
                self.files.add(os.path.realpath(p))

    def add_object(self, obj: Any) -> None:
        """Count the file that defines ``obj``'s class as the user's, unless it is torch's or symhard's."""
        path = source_file(obj)
        if path and not _is_library(path):
            self.files.add(path)

    def location(self, err: BaseException | None = None) -> str:
        """``file:line`` of the innermost frame of ``err``'s traceback in a user file, else the definition site."""
        if err is not None and err.__traceback__ is not None:
            for frame in reversed(traceback.extract_tb(err.__traceback__)):
                if os.path.realpath(frame.filename) in self.files:
                    return f"{frame.filename}:{frame.lineno}"
        return self.site

    def fail(self, what: str, site: str | None = None) -> UserCodeError:
        """A :class:`UserCodeError` ``"<what> (at <site>)"``; the caller raises it."""
        return UserCodeError(f"{what} (at {site or self.site}).")

    @contextlib.contextmanager
    def running(self, what: str) -> Iterator[None]:
        """Run user code: an exception or ``SystemExit`` becomes a :class:`UserCodeError` naming the place.

        ``what`` completes the sentence "... while <what>", e.g. ``"building the model"``.
        Errors that symhard raises on purpose (budget exceeded, a wrong shape already reported
        as a :class:`UserCodeError`) pass through unchanged.
        """
        try:
            yield
        except SymhardError:
            raise
        except SystemExit as err:
            raise UserCodeError(
                f"{self.name} called sys.exit({err.code!r}) while {what} (at {self.location(err)}); "
                "user code must raise an exception or return, not exit."
            ) from None
        except Exception as err:  # noqa: BLE001 - any failure of the guest's code is reported, in one line
            raise UserCodeError(
                f"{self.name} raised {type(err).__name__} while {what} (at {self.location(err)}): {_first_line(err)}"
            ) from err


def _is_library(path: str) -> bool:
    """Files of symhard itself, of torch and of the standard library are never the user's."""
    real = os.path.realpath(path)
    here = os.path.realpath(os.path.join(os.path.dirname(__file__), os.pardir))
    return real.startswith(here + os.sep) or f"{os.sep}site-packages{os.sep}" in real or f"{os.sep}lib{os.sep}python" in real
