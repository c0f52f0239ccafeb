"""Closed sets of the command line as typer choices: one enum per concept, shared by every command.

``tests/test_cli_json.py`` checks that these sets equal the ones the library validates
(:data:`symhard.experiments.executors.EXECUTORS`, :func:`symhard.learners.gd.resolve_device`,
:data:`symhard.learners.device.PRECISIONS`), so a new executor, device or precision cannot be
added on one side only.
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


class Precision(str, enum.Enum):
    """Arithmetic of the gradient steps (training only; certificates are float64 on the CPU)."""

    fp32 = "fp32"
    tf32 = "tf32"
    bf16 = "bf16"


#: The help text of ``--precision``, one for every command.
PRECISION_HELP = ("Training arithmetic: fp32 | tf32 (CUDA TensorFloat-32; no effect on a CPU) | bf16 (autocast). "
                  "Training only: certificates and bounds are float64 on the CPU whatever this says.")
