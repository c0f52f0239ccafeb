"""Loading the user's objects (``"file.py:function"`` or ``"package.module:function"``) and parsing sweeps.

Importing a user's file runs it: it is arbitrary Python, like any plugin (see ``docs/bench.md``).
A failure at import (an exception or ``sys.exit``) is reported in one line that names the file
and line where it happened.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from ..errors import InvalidParameterError

__all__ = ["load_object", "parse_sweep", "spec_fingerprint", "absolute_spec"]

_SPEC_HELP = "'package.module:function' or 'file.py:function'"


def _split_spec(spec: Any, what: str) -> tuple[str, str]:
    if not isinstance(spec, str) or spec.count(":") < 1:
        raise InvalidParameterError(f"{what} spec must look like {_SPEC_HELP}, got {spec!r}.")
    left, _, attr = spec.rpartition(":")
    if not left or not attr.isidentifier():
        raise InvalidParameterError(f"{what} spec must look like {_SPEC_HELP}, got {spec!r}.")
    return left, attr


def _is_path(left: str) -> bool:
    return left.endswith(".py") or "/" in left or "\\" in left


def _where(err: BaseException, path: Path) -> str:
    """``file:line`` of the innermost traceback frame inside ``path`` (else the file alone)."""
    real = os.path.realpath(path)
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if os.path.realpath(frame.filename) == real:
            return f"{path}:{frame.lineno}"
    lineno = getattr(err, "lineno", None)  # a SyntaxError knows its line
    return f"{path}:{lineno}" if lineno else str(path)


def _import_file(path: Path, what: str) -> Any:
    name = f"_symhard_user_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}"
    spec_obj = importlib.util.spec_from_file_location(name, path)
    if spec_obj is None or spec_obj.loader is None:
        raise InvalidParameterError(f"cannot import {what} file {str(path)!r} (is it a .py file?).")
    module = importlib.util.module_from_spec(spec_obj)
    sys.modules[name] = module
    try:
        spec_obj.loader.exec_module(module)
    except SystemExit as err:
        sys.modules.pop(name, None)
        raise InvalidParameterError(
            f"importing {what} file {str(path)!r} called sys.exit({err.code!r}) (at {_where(err, path)}).") from None
    except Exception as err:  # noqa: BLE001 - the user's file failed at import: report it in one line
        sys.modules.pop(name, None)
        msg = " ".join(str(err).split())
        raise InvalidParameterError(
            f"importing {what} file {str(path)!r} failed at {_where(err, path)}: {type(err).__name__}: {msg}") from err
    return module


def absolute_spec(spec: str) -> str:
    """``"file.py:fn"`` with the file's absolute path (for workers with another working folder); others as given."""
    left, _, attr = spec.rpartition(":")
    if left and _is_path(left):
        return f"{Path(left).expanduser().resolve()}:{attr}"
    return spec


def load_object(spec: str, what: str = "model") -> Callable[..., Any]:
    """Load ``"package.module:attr"`` or ``"path/to/file.py:attr"`` and return the attribute.

    Importing runs the module's code. Raises :class:`InvalidParameterError` naming the problem
    (bad syntax, file missing, import failed — with the file and line —, attribute missing or
    not callable).
    """
    left, attr = _split_spec(spec, what)
    if _is_path(left):
        path = Path(left).expanduser()
        if not path.is_file():
            raise InvalidParameterError(f"{what} file {str(path)!r} does not exist.")
        module = _import_file(path, what)
    else:
        try:
            module = importlib.import_module(left)
        except SystemExit as err:
            raise InvalidParameterError(f"importing {what} module {left!r} called sys.exit({err.code!r}).") from None
        except Exception as err:  # noqa: BLE001 - reported in one line
            raise InvalidParameterError(f"cannot import {what} module {left!r}: {type(err).__name__}: {err}") from err
    if not hasattr(module, attr):
        raise InvalidParameterError(f"{what} module {left!r} has no attribute {attr!r}.")
    obj = getattr(module, attr)
    if not callable(obj):
        raise InvalidParameterError(f"{what} {spec!r} is not callable (it is a {type(obj).__name__}).")
    return obj


def spec_fingerprint(spec: str) -> str:
    """SHA-256 of the source file a spec string names (so that an edited model is a new result).

    ``"file.py:fn"`` hashes the file; ``"package.module:fn"`` hashes the module's file when it
    has one; otherwise the spec string itself.
    """
    left, _ = _split_spec(spec, "model")
    path: str | None = None
    if _is_path(left):
        path = str(Path(left).expanduser())
    else:
        try:
            found = importlib.util.find_spec(left)
        except (ImportError, ValueError):
            found = None
        path = getattr(found, "origin", None)
    h = hashlib.sha256(spec.encode())
    if path and os.path.isfile(path):
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def parse_sweep(text: str) -> dict[str, list[int]]:
    """``"d=8,16,32"`` -> ``{"d": [8, 16, 32]}`` (distinct positive integers, at least one)."""
    if not isinstance(text, str) or text.count("=") != 1:
        raise InvalidParameterError(f"sweep must look like 'name=v1,v2,...' (e.g. 'd=8,16,32'), got {text!r}.")
    name, _, values = text.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise InvalidParameterError(f"sweep parameter name {name!r} is not a valid name (e.g. 'd' or 'n').")
    out: list[int] = []
    for tok in values.split(","):
        tok = tok.strip()
        try:
            v = int(tok)
        except ValueError:
            raise InvalidParameterError(f"sweep value {tok!r} of {name!r} is not an integer; give e.g. '{name}=8,16,32'.") from None
        if v < 1:
            raise InvalidParameterError(f"sweep value {v} of {name!r} must be a positive integer.")
        if v in out:
            raise InvalidParameterError(f"sweep value {v} of {name!r} is given twice; give each value once.")
        out.append(v)
    return {name: out}
