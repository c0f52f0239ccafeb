r"""Where and how ensembles train: the device, the training precision, and the ensemble size that fills the device.

Device
------
``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when ``torch.cuda.is_available()``, else the CPU),
resolved by :func:`resolve_device`; ``"cuda"`` on a machine without CUDA is refused with one line.

Precision (training only)
-------------------------
``precision`` of :class:`symhard.learners.gd.TrainConfig` (``--precision`` on the command line)
changes the arithmetic of the **gradient steps** of :func:`symhard.learners.gd.train_ensemble`
and nothing else:

* ``"fp32"`` (default): IEEE float32 throughout. On CUDA, TF32 is switched *off* for matrix
  products and cuDNN convolutions during training (PyTorch's default lets convolutions use TF32).
* ``"tf32"``: on CUDA (Ampere and later), matrix products and convolutions of float32 tensors
  round their inputs to TensorFloat-32 (10-bit mantissa, relative rounding ``2^-11``) and
  accumulate in float32. On the CPU it changes nothing: CPUs have no TF32 arithmetic, and a run
  is bit-identical to ``"fp32"``.
* ``"bf16"``: mixed precision. The forward pass runs under ``torch.autocast(dtype=bfloat16)``:
  matrix products and convolutions take bfloat16 inputs (8-bit mantissa, relative rounding
  ``2^-8 ≈ 4·10⁻³``) and their backward passes follow; parameters, gradients, optimizer state
  and the loss stay float32. Works on the CPU too (slowly where the CPU has no bfloat16 unit).
  ``autocast`` never casts float64 tensors, so a float64 model trains in float64 whatever the flag.

Effect on the certified quantities: **none**. A certificate (``symhard check``: max |network −
target|, the Gram matrix and its max off-diagonal correlation, the minimum norm, the lower bound)
is computed by its family in float64 on the CPU, outside :func:`precision_flags` and
:func:`forward_autocast`; ``autocast`` leaves float64 untouched, and the flags are restored when a
training run ends. The bound columns of a run row (``bound_*``, ``csq_*``) are the same numbers
under every precision. What the precision can change is the *trained network*, hence the
reported test/validation errors; those are always evaluated in the parameters' own dtype with
TF32 off (IEEE float32), never under autocast. In the CSQ reading of gradient descent
(:func:`symhard.queries.bounds.gd_as_csq`: each step asks correlational queries answered to
tolerance about ``1/sqrt(b)``) a rounded gradient is one more bounded perturbation of the
answer, of relative size about ``2^-8`` in bf16, far below ``1/sqrt(b)`` for every batch size
below ~6·10⁴, so the query count and its tolerance describe a bf16 run as well.

Ensemble sizing
---------------
Members of an ensemble are independent, so the ensemble axis can be cut into sub-ensembles of
any size. :func:`ensemble_chunk_size` picks the largest size whose estimated training memory
fits in a fraction of the device's free memory (``torch.cuda.mem_get_info`` on CUDA, the
kernel's ``MemAvailable`` on the CPU): ``min(M, ⌊fraction · free / bytes_per_member⌋)``, at least 1.
:func:`measure_member_bytes` estimates ``bytes_per_member`` from one forward pass of the model:

.. math::

    \text{bytes per member} = \frac{2\,S + 5\,P}{M},

where ``S`` is the bytes of the tensors autograd saves for the backward pass on one mini-batch
(the activations; the factor 2 covers the gradients of the activations that the backward pass
creates) and ``P`` the bytes of the trainable parameters (parameter, gradient, two Adam moments,
the candidate update). It is an estimate, not a bound (allocator slack is not counted), hence the
fraction (0.8 of free GPU memory, 0.5 of available RAM by default).
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any, Iterator

import torch

from ..errors import InvalidParameterError, check_float, check_int

__all__ = ["DEVICES", "PRECISIONS", "resolve_device", "check_precision", "precision_flags", "forward_autocast",
           "device_label", "free_memory_bytes", "ensemble_size", "measure_member_bytes", "ensemble_chunk_size", "device_name"]

#: The devices accepted by :func:`resolve_device` (and ``--device``).
DEVICES = ("auto", "cpu", "cuda")
#: The training precisions (``--precision``); see the module docstring for what each changes.
PRECISIONS = ("fp32", "tf32", "bf16")
#: Default fraction of the free memory an ensemble may fill: GPU memory, CPU RAM.
DEFAULT_FRACTION = {"cuda": 0.8, "cpu": 0.5}


def resolve_device(device: str | torch.device) -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available, else CPU) as a :class:`torch.device`."""
    if isinstance(device, torch.device):
        device = device.type
    if device not in DEVICES:
        raise InvalidParameterError(f"device must be one of 'auto', 'cpu', 'cuda'; got {device!r}.")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError("device 'cuda' was requested but CUDA is not available; use 'cpu' or 'auto'.")
    return torch.device(device)


def check_precision(precision: Any) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else a one-line error."""
    if precision not in PRECISIONS:
        raise InvalidParameterError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}.")
    return str(precision)


def device_name(device: str | torch.device) -> str:
    """``"cpu"`` or ``"cuda (<GPU name>)"`` for a resolved device."""
    dev = resolve_device(device)
    return "cpu" if dev.type == "cpu" else f"cuda ({torch.cuda.get_device_name(dev)})"


def device_label(device: str, precision: str = "fp32") -> str:
    """How a result was trained, as stored (the ``device`` column of a run row, a manifest, a task key):
    the device (``"cpu"``, ``"cuda"``, ``"auto"``) alone in fp32, else ``"<device>+<precision>"`` (``"cuda+bf16"``)."""
    return device if check_precision(precision) == "fp32" else f"{device}+{precision}"


# ------------------------------------------------------------------------------ precision
def _tf32_state() -> tuple[str, Any, Any]:
    m, c = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(m, "fp32_precision") and hasattr(c, "conv"):  # torch >= 2.9: the new API (do not mix the two)
        return "new", m.fp32_precision, c.conv.fp32_precision
    return "legacy", m.allow_tf32, c.allow_tf32


def _set_tf32(state: tuple[str, Any, Any]) -> None:
    api, matmul, conv = state
    if api == "new":
        torch.backends.cuda.matmul.fp32_precision = matmul
        torch.backends.cudnn.conv.fp32_precision = conv
    else:
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = conv


@contextlib.contextmanager
def precision_flags(precision: str, device: str | torch.device) -> Iterator[None]:
    """Within the block, float32 matmuls/convolutions on CUDA use TF32 iff ``precision == "tf32"``.

    On the CPU nothing is changed. The previous flags are restored on exit (also on an error).
    """
    precision = check_precision(precision)
    dev = device if isinstance(device, torch.device) else torch.device(resolve_device(device))
    if dev.type != "cuda":
        yield
        return
    saved = _tf32_state()
    on = precision == "tf32"
    want = ("tf32" if on else "ieee", "tf32" if on else "ieee") if saved[0] == "new" else (on, on)
    _set_tf32((saved[0], *want))
    try:
        yield
    finally:
        _set_tf32(saved)


def forward_autocast(precision: str, device: str | torch.device) -> contextlib.AbstractContextManager:
    """``torch.autocast(device_type, dtype=torch.bfloat16)`` for ``"bf16"``, else a context that does nothing.

    Use it around the forward pass (and the loss) only; the backward pass runs outside it.
    """
    if check_precision(precision) != "bf16":
        return contextlib.nullcontext()
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    return torch.autocast(device_type=dev.type, dtype=torch.bfloat16)


# ------------------------------------------------------------------------------ memory
def _mem_available_bytes() -> int:
    """``MemAvailable`` of ``/proc/meminfo`` (Linux), else the free physical pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - platforms without sysconf
        return 1 << 30


def free_memory_bytes(device: str | torch.device) -> int:
    """Free memory of the device in bytes: ``torch.cuda.mem_get_info`` on CUDA, available RAM on the CPU."""
    dev = resolve_device(device)
    if dev.type == "cuda":
        return int(torch.cuda.mem_get_info(dev)[0])
    return _mem_available_bytes()


def require_on_device(est: Any, device: str | torch.device) -> Any:
    """:func:`symhard.resources.require` for a run on ``device``: on CUDA the memory limit is also the GPU's
    free memory (``torch.cuda.mem_get_info``), so ``--max-memory`` and the device both bound the estimate.

    Only the local device is checked; chunks sent to a Ray cluster are placed by their declared resources.
    """
    from ..resources import Limits, ResourceLimitError, current_limits, fmt_bytes, require

    lim = current_limits()
    dev = resolve_device(device)
    if dev.type == "cuda":
        free = free_memory_bytes(dev)
        if est.bytes > free:
            raise ResourceLimitError(f"{est.what}: needs about {fmt_bytes(est.bytes)} of GPU memory, above the "
                                     f"{fmt_bytes(free)} free on {device_name(dev)}; {est.lower or 'make the run smaller'}.")
        lim = Limits(min(lim.max_memory, free), lim.max_time)
    return require(est, lim)


def ensemble_size(model: torch.nn.Module) -> int:
    """M, the common leading axis of every trainable parameter (one-line error otherwise)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise InvalidParameterError("model has no trainable parameters.")
    M = params[0].shape[0] if params[0].dim() else 0
    for p in params:
        if p.dim() == 0 or p.shape[0] != M:
            raise InvalidParameterError(
                f"every parameter must have the ensemble axis first with the same size M; got shapes "
                f"{[tuple(q.shape) for q in params]}."
            )
    return M


def measure_member_bytes(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], members: int | None = None) -> int:
    """Estimated training memory per ensemble member, ``(2 S + 5 P) / M`` (see the module docstring).

    ``model`` is an ensemble of ``M`` members (every trainable parameter ``[M, ...]``), ``inputs`` one
    mini-batch. One forward pass is run (on the model's device) to count the bytes autograd saves;
    nothing is trained and no gradient is kept.
    """
    M = check_int(members if members is not None else ensemble_size(model), "members", min_value=1)
    params = [p for p in model.parameters() if p.requires_grad]
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.device.type != "meta":
            key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
            seen[key] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(*inputs)
        out.float().square().sum()
    del out
    saved = sum(seen.values())
    P = sum(p.numel() * p.element_size() for p in params)
    return max(1, math.ceil((2 * saved + 5 * P) / M))


def ensemble_chunk_size(bytes_per_member: int, members: int, device: str | torch.device, *,
                        fraction: float | None = None, free_bytes: int | None = None) -> int:
    """The number of members trained at once that fills ``fraction`` of the device's free memory.

    ``min(members, ⌊fraction · free / bytes_per_member⌋)``, at least 1. ``free_bytes`` defaults to
    :func:`free_memory_bytes`; ``fraction`` to 0.8 on CUDA and 0.5 on the CPU.
    """
    bytes_per_member = check_int(bytes_per_member, "bytes_per_member", min_value=1)
    members = check_int(members, "members", min_value=1)
    dev = resolve_device(device)
    if fraction is None:
        fraction = DEFAULT_FRACTION[dev.type]
    fraction = check_float(fraction, "fraction", low=0.0, high=1.0, low_open=True)
    free = free_memory_bytes(dev) if free_bytes is None else check_int(free_bytes, "free_bytes", min_value=0)
    return max(1, min(members, int(fraction * free) // bytes_per_member))
