"""Closed sets of the command line as typer choices: one enum per concept, shared by every command.

``tests/test_cli_json.py`` checks that these sets equal the ones the library validates
(:data:`symhard.experiments.executors.EXECUTORS`, :func:`symhard.learners.gd.resolve_device`),
so a new executor or device cannot be added on one side only.
"""

from __future__ import annotations

import enum


class Executor(str, enum.Enum):
    """Where the chunks of a sweep run: in this process, in a process pool, or on Ray."""

    serial = "serial"
    process = "process"
    ray = "ray"


class Device(str, enum.Enum):
    """Where tensors live: ``auto`` takes CUDA when available, else the CPU."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
