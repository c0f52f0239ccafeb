r"""The harness's data: exactly the training, validation and test sets of one swept value.

For a task ``T``, a swept value ``v``, a list of member seeds and a harness seed ``h``:

* the ``N`` training inputs are ``T.sample_inputs(N, g_train)`` with ``g_train`` a
  ``torch.Generator`` seeded with ``stream(h, v, 1)``; the first ``N − N_val`` are the training
  set and the last ``N_val = max(1, round(val_fraction · N))`` the validation set
  (``val_fraction = 0.2`` by default);
* the ``n_test`` test inputs are ``T.sample_inputs(n_test, g_test)``, ``g_test`` seeded with
  ``stream(h, v, 2)``: an independent stream, never shown to a learner;
* the target of seed ``s`` is ``T_s.target(*inputs)`` for the member ``T_s = task(v, role, s)``
  (one target per seed, the inputs shared by every seed and by both roles).

``stream(h, *words)`` spawns an integer from ``numpy.random.SeedSequence([h, *words])`` (never
``h + i``), so the streams are independent and the same call gives the same numbers on CPU.
:func:`harness_data` is the one place these sets are made: :func:`symhard.bench.run` trains on
them and :mod:`symhard.export` writes them to disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from ..errors import InvalidParameterError, check_float, check_int

__all__ = ["VAL_FRACTION", "HarnessData", "harness_data", "split_sizes", "stream", "generator", "member_init_seed", "batch_seed",
           "ROLE_TRAIN", "ROLE_TEST", "ROLE_INIT", "ROLE_BATCH", "ROLE_INV"]

#: Fraction of the ``N`` training samples held out for validation (choosing the learning rate).
VAL_FRACTION = 0.2

#: Stream words: training inputs, test inputs, initializations, mini-batch indices, invariance inputs.
ROLE_TRAIN, ROLE_TEST, ROLE_INIT, ROLE_BATCH, ROLE_INV = 1, 2, 3, 4, 5


def stream(base: int, *words: int) -> int:
    """An integer seed for one role, spawned from ``SeedSequence([base, *words])`` (< 2⁶²)."""
    return int(np.random.SeedSequence([int(base), *[int(w) for w in words]]).generate_state(1, dtype=np.uint64)[0] % (2**62))


def generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed) % (2**63))
    return g


def split_sizes(samples: int, val_fraction: float = VAL_FRACTION) -> tuple[int, int]:
    """``(N − N_val, N_val)`` with ``N_val = max(1, round(val_fraction · N))``; both parts non-empty.

    >>> split_sizes(1000)
    (800, 200)
    """
    samples = check_int(samples, "samples", min_value=2)
    val_fraction = check_float(val_fraction, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    n_val = max(1, int(round(val_fraction * samples)))
    if n_val >= samples:
        raise InvalidParameterError(f"val_fraction {val_fraction} of {samples} samples leaves no training sample.")
    return samples - n_val, n_val


@dataclass
class HarnessData:
    """The sets of one swept value. Inputs are tuples of tensors ``[n, ...]`` (shared by every
    seed); targets are float32 ``[S, n]``, one row per seed of ``seeds``."""

    family: str
    param_name: str
    value: int
    role: str
    seeds: list[int]
    options: dict[str, Any]
    harness_seed: int
    samples: int
    n_val: int
    n_test: int
    tasks: list[Any]
    train_x: tuple[torch.Tensor, ...]
    train_y: torch.Tensor
    val_x: tuple[torch.Tensor, ...]
    val_y: torch.Tensor
    test_x: tuple[torch.Tensor, ...]
    test_y: torch.Tensor
    streams: dict[str, int] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return self.samples - self.n_val

    def describe(self) -> dict[str, Any]:
        """The generating parameters (JSON-ready): enough to regenerate every set."""
        return {"task": self.family, "param_name": self.param_name, "param_value": self.value, "role": self.role,
                "seeds": list(self.seeds), "options": dict(self.options), "harness_seed": self.harness_seed,
                "samples": self.samples, "n_train": self.n_train, "n_val": self.n_val, "n_test": self.n_test,
                "streams": dict(self.streams),
                "split": "training inputs = task.sample_inputs(samples, torch.Generator().manual_seed(streams['train'])); "
                         "the first n_train are the training set, the last n_val the validation set; test inputs = "
                         "task.sample_inputs(n_test, torch.Generator().manual_seed(streams['test']))"}


def _targets(tasks: Sequence[Any], inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
    return torch.stack([torch.as_tensor(t.target(*inputs)) for t in tasks]).to(torch.float32)


def harness_data(family: str, value: int, *, seeds: Sequence[int], samples: int, n_test: int, role: str = "hard",
                 harness_seed: int = 0, options: dict[str, Any] | None = None,
                 val_fraction: float = VAL_FRACTION) -> HarnessData:
    """The training, validation and test sets of ``family`` at ``value`` (see the module docstring).

    ``options`` are validated against the task's declaration (unknown or out-of-range options
    name the allowed ones). Returns a :class:`HarnessData`.
    """
    from ..families.base import check_role, get_task

    spec = get_task(family)
    check_role(role)
    opts = spec.validate_options(dict(options or {}))
    seeds = [check_int(s, "seed", min_value=0) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise InvalidParameterError(f"seeds must be a non-empty list of distinct non-negative ints, got {seeds!r}.")
    n_train, n_val = split_sizes(samples, val_fraction)
    n_test = check_int(n_test, "n_test", min_value=2)
    harness_seed = check_int(harness_seed, "harness_seed", min_value=0)
    tasks = [spec(value, role, s, **opts) for s in seeds]
    t0 = tasks[0]
    streams = {"train": stream(harness_seed, value, ROLE_TRAIN), "test": stream(harness_seed, value, ROLE_TEST)}
    all_x = tuple(t0.sample_inputs(samples, generator(streams["train"])))
    test_x = tuple(t0.sample_inputs(n_test, generator(streams["test"])))
    train_x = tuple(t[:n_train] for t in all_x)
    val_x = tuple(t[n_train:] for t in all_x)
    return HarnessData(family=family, param_name=str(getattr(t0, "param_name", "value")), value=int(value), role=role,
                       seeds=seeds, options=opts, harness_seed=harness_seed, samples=int(samples), n_val=n_val,
                       n_test=n_test, tasks=tasks, train_x=train_x, train_y=_targets(tasks, train_x), val_x=val_x,
                       val_y=_targets(tasks, val_x), test_x=test_x, test_y=_targets(tasks, test_x), streams=streams)


def member_init_seed(harness_seed: int, value: int, seed: int, lr: float | None = None) -> int:
    """The ``torch.manual_seed`` under which the user's ``make_model`` (``lr`` given) or ``learn`` (``lr=None``)
    of member ``seed`` is called: ``stream(h, v, 3, seed[, int(lr·10¹²)])``."""
    words = [ROLE_INIT, seed] if lr is None else [ROLE_INIT, seed, int(lr * 1e12)]
    return stream(harness_seed, value, *words)


def batch_seed(harness_seed: int, value: int) -> int:
    """Seed of the mini-batch indices: step ``t`` trains on ``torch.randint(N − N_val, (b,), generator=g)``,
    the ``t``-th draw of ``g = torch.Generator().manual_seed(batch_seed)`` (the same for every member)."""
    return stream(harness_seed, value, ROLE_BATCH) % (2**31)
