r"""Ensemble gradient descent: train ``M`` independent models at once through their ensemble axis.

Every model of :mod:`symhard.models` carries a leading ensemble axis: each parameter has shape
``[M, ...]`` and ``forward(*inputs)`` returns predictions ``[M, B]``. Member ``m`` is an
independent network; the members only share the computation. :func:`train_ensemble` minimizes,
for every member separately, the mini-batch loss

.. math::

    L_m(\theta_m) = \frac{1}{b} \sum_{i \in \text{batch}} \ell\bigl(f_{\theta_m}(x_i) - y_{m,i}\bigr),
    \qquad \ell(r) = r^2 \;(\texttt{square}),\ |r| \;(\texttt{l1}),\
    \begin{cases} r^2/2 & |r| \le \delta \\ \delta(|r| - \delta/2) & \text{else} \end{cases}\;(\texttt{huber}),

by back-propagating :math:`\sum_m L_m`. The loss matters for the theory: on the square loss a
gradient is a batch of correlational queries (:func:`symhard.queries.bounds.gd_as_csq`), on other
losses it is not (with ℓ1, gradient queries reach the power of SQ: Joshi, Misiakiewicz, Srebro
2024), so every run records its loss. Errors reported are always the normalized squared error. Because :math:`\partial L_{m'} / \partial \theta_m = 0` for
:math:`m' \ne m`, the gradient of the sum restricted to the slice ``[m]`` is the gradient of
:math:`L_m` alone, so one backward pass gives all ``M`` gradients, and the ensemble run equals
``M`` separate runs (to floating-point round-off of the batched contractions).

Optimizers
----------
``torch.optim`` applies one learning rate per parameter *tensor*, but an lr grid inside one
ensemble needs one learning rate per *slice* ``[m]``. This module therefore implements Adam and
SGD itself, vectorized over the ensemble axis (no Python loop over members):

* SGD:  :math:`\theta_m \leftarrow \theta_m - \eta_m (g_m + \lambda \theta_m)`.
* Adam (Kingma & Ba 2015, with the L2 coupling of ``torch.optim.Adam``):
  :math:`g \leftarrow g + \lambda\theta`, :math:`u \leftarrow \beta_1 u + (1-\beta_1) g`,
  :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
  :math:`\theta_m \leftarrow \theta_m - \eta_m \frac{u/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}`,
  with :math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-8}` (the ``torch`` defaults; the tests
  check one member against ``torch.optim.Adam``).

Divergence, early stopping
--------------------------
After each step a member whose batch loss or updated parameters are not finite (NaN/inf) is
marked *diverged*: its update is discarded, so it keeps its last finite parameters, and it is
frozen for the rest of the run; the other members are unaffected. With ``patience = p`` a member
whose mean training loss over an evaluation window has not dropped below ``(1 - min_delta)`` times
its best for ``p`` consecutive evaluations is *stopped* (frozen); the run ends when every member is
stopped or diverged. The plateau is judged on the training loss, never on the test set, so the
reported test error is not selected on the test set.

Data
----
``train_inputs`` is a tuple of tensors with a leading sample axis ``N`` (shared by all members),
or ``[M, N, ...]`` with ``inputs_per_member=True``; ``train_y`` is ``[N]`` (one target) or
``[M, N]`` (one target per member, e.g. one random class member per seed). Every step draws one
mini-batch of ``batch_size`` indices uniformly with replacement from ``range(N)``, the same indices
for all members, from a generator seeded with ``config.seed``. Alternatively ``sampler(b,
generator) -> (inputs, y)`` draws fresh samples every step (online SGD on the population loss).

Precision: ``config.precision`` (fp32, tf32, bf16) sets the arithmetic of the steps only; the
evaluations run in IEEE float32 (:mod:`symhard.learners.device` states what each changes).

Modes
-----
Steps run in training mode (``model.train()``), every evaluation in evaluation mode
(``model.eval()``), as PyTorch users expect: BatchNorm uses batch statistics (and updates its
running ones) while training and its running statistics when evaluated.

Validation
----------
``val_inputs``/``val_y`` (optional, held out from the training data by the caller) give every
member a validation error, recorded at each evaluation and at the end (``val_error``).
Hyperparameters (the learning rate of an lr grid) are chosen on it, never on the test set
(:func:`choose_by_validation`).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..errors import InvalidParameterError, check_float, check_int
from ._optim import EnsembleOptimizer
from .device import check_precision, forward_autocast, precision_flags, resolve_device
from .device import ensemble_size as _ensemble_size

__all__ = ["TrainConfig", "TrainResult", "train_ensemble", "resolve_device", "choose_by_validation", "LOSSES"]

#: Training losses (:class:`TrainConfig` ``loss``).
LOSSES = ("square", "l1", "huber")

#: Evaluation runs in chunks of about this many (member, sample) pairs, so that memory does not
#: grow with the ensemble size (M = 256 members × 4096 samples of a CNN would need ~14 GB).
_EVAL_MEMBER_SAMPLES = 1 << 16

Sampler = Callable[[int, torch.Generator], tuple[tuple[torch.Tensor, ...], torch.Tensor]]


@dataclass
class TrainConfig:
    """Hyperparameters of one ensemble run.

    Parameters
    ----------
    optimizer : {"adam", "sgd"}
    lr : float or sequence of M floats
        One learning rate for all members, or one per member (an lr grid as one ensemble).
    steps : int
        Maximum number of optimizer steps (>= 1).
    batch_size : int
        Mini-batch size ``b`` (>= 1).
    weight_decay : float
        L2 coefficient ``lambda`` added to the gradient (>= 0).
    patience : int or None
        Evaluations without a relative train-loss improvement of ``min_delta`` before a member
        stops; ``None`` disables early stopping.
    eval_every : int
        Steps between evaluations (test error, curve points, plateau checks).
    device : {"cpu", "cuda", "auto"}
    seed : int
        Seeds the mini-batch indices (or the sampler's generator).
    min_delta : float
        Relative improvement that resets the patience counter.
    loss : {"square", "l1", "huber"}
        The training loss (the reported errors are always normalized squared errors).
    huber_delta : float
        The δ of the Huber loss.
    precision : {"fp32", "tf32", "bf16"}
        Arithmetic of the gradient steps only (:mod:`symhard.learners.device`); errors are always
        evaluated in IEEE float32, and no certificate depends on it.
    """

    optimizer: str = "adam"
    lr: float | Sequence[float] = 1e-3
    steps: int = 1000
    batch_size: int = 256
    weight_decay: float = 0.0
    patience: int | None = None
    eval_every: int = 100
    device: str = "cpu"
    seed: int = 0
    min_delta: float = 1e-3
    loss: str = "square"
    huber_delta: float = 1.0
    precision: str = "fp32"

    def validate(self) -> "TrainConfig":
        if self.optimizer not in ("adam", "sgd"):
            raise InvalidParameterError(f"optimizer must be 'adam' or 'sgd'; got {self.optimizer!r}.")
        lrs = [self.lr] if isinstance(self.lr, numbers.Real) else list(self.lr)
        if not lrs:
            raise InvalidParameterError("lr must be a positive float or a non-empty sequence of positive floats.")
        for v in lrs:
            check_float(v, "lr", low=0.0, low_open=True)
        check_int(self.steps, "steps", min_value=1)
        check_int(self.batch_size, "batch_size", min_value=1)
        check_float(self.weight_decay, "weight_decay", low=0.0)
        if self.patience is not None:
            check_int(self.patience, "patience", min_value=1)
        check_int(self.eval_every, "eval_every", min_value=1)
        check_int(self.seed, "seed", min_value=0)
        check_float(self.min_delta, "min_delta", low=0.0, high=1.0)
        if self.loss not in LOSSES:
            raise InvalidParameterError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}.")
        check_float(self.huber_delta, "huber_delta", low=0.0, low_open=True)
        resolve_device(self.device)
        check_precision(self.precision)
        return self


@dataclass
class TrainResult:
    """Outcome of :func:`train_ensemble`; arrays have one entry per member ``[M]``.

    ``test_error`` is the test MSE divided by the mean square of the test targets (the zero
    predictor scores 1); for a diverged member it is the error of its last finite parameters.
    ``curves`` is a list of dicts with keys ``step, member, train_loss, test_error, val_error`` (one
    per member and evaluation; ``train_loss`` is the mean batch loss since the previous evaluation).
    ``val_error`` is the normalized squared error on the validation set (NaN without one).
    """

    test_error: np.ndarray
    final_train_loss: np.ndarray
    diverged: np.ndarray
    curves: list[dict[str, Any]] = field(default_factory=list)
    steps_run: int = 0
    seconds: float = 0.0
    stopped_at: np.ndarray | None = None  # step at which each member stopped or diverged (steps_run if never)
    config: dict[str, Any] | None = None
    val_error: np.ndarray | None = None


# ------------------------------------------------------------------------------ helpers
def _as_inputs(inputs: Any, name: str) -> tuple[torch.Tensor, ...]:
    if isinstance(inputs, torch.Tensor):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)) or not inputs or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise InvalidParameterError(f"{name} must be a tensor or a non-empty tuple of tensors.")
    return tuple(inputs)


def _sample_axis_len(inputs: tuple[torch.Tensor, ...], per_member: bool, M: int, name: str) -> int:
    axis = 1 if per_member else 0
    sizes = set()
    for t in inputs:
        if t.dim() <= axis or (per_member and t.shape[0] != M):
            want = "[M, N, ...]" if per_member else "[N, ...]"
            raise InvalidParameterError(f"every tensor of {name} must have shape {want} with M = {M}; got {tuple(t.shape)}.")
        sizes.add(t.shape[axis])
    if len(sizes) != 1:
        raise InvalidParameterError(f"the tensors of {name} disagree on the number of samples: {sorted(sizes)}.")
    return sizes.pop()


def _check_targets(y: torch.Tensor, M: int, N: int, name: str) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.dim() not in (1, 2) or y.shape[-1] != N or (y.dim() == 2 and y.shape[0] != M):
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise InvalidParameterError(f"{name} must have shape [N] or [M, N] = [{M}, {N}]; got {shape}.")
    return y


def _take(inputs: tuple[torch.Tensor, ...], idx: torch.Tensor, per_member: bool) -> tuple[torch.Tensor, ...]:
    return tuple(t.index_select(1 if per_member else 0, idx) for t in inputs)


def _expand_lr(lr: float | Sequence[float], M: int) -> list[float]:
    if isinstance(lr, numbers.Real):
        return [float(lr)] * M
    lrs = [float(v) for v in lr]
    if len(lrs) != M:
        raise InvalidParameterError(f"lr has {len(lrs)} entries but the ensemble has M = {M} members.")
    return lrs


def _per_member_loss(pred: torch.Tensor, y: torch.Tensor, M: int, loss: str = "square",
                     delta: float = 1.0) -> torch.Tensor:
    """Mean loss per member: pred ``[M, B]``, y ``[B]`` or ``[M, B]`` -> ``[M]`` (see the module docstring)."""
    if pred.dim() != 2 or pred.shape[0] != M:
        raise InvalidParameterError(f"model.forward must return [M, B] with M = {M}; got {tuple(pred.shape)}.")
    r = pred - y
    if loss == "square":
        return (r**2).mean(dim=1)
    if loss == "l1":
        return r.abs().mean(dim=1)
    return torch.nn.functional.huber_loss(pred, y.expand_as(pred), reduction="none", delta=delta).mean(dim=1)


def choose_by_validation(val_error: Sequence[float], groups: Sequence[Any]) -> dict[Any, int]:
    """For each group of members (e.g. one seed's lr grid), the member with the smallest validation error.

    ``groups[j]`` names the group of member ``j``; diverged members (NaN/inf) are never chosen
    unless the whole group diverged. Returns ``{group: member index}``.

    >>> choose_by_validation([0.5, 0.2, 0.9, float("nan")], ["a", "a", "b", "b"])
    {'a': 1, 'b': 2}
    """
    best: dict[Any, int] = {}
    for j, (err, g) in enumerate(zip(val_error, groups)):
        e = float(err) if err is not None and math.isfinite(float(err)) else math.inf
        if g not in best:
            best[g] = j
            continue
        cur = float(val_error[best[g]]) if math.isfinite(float(val_error[best[g]])) else math.inf
        if e < cur:
            best[g] = j
    return best


@torch.no_grad()
def _evaluate(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], y: torch.Tensor, per_member: bool,
              M: int, device: torch.device) -> torch.Tensor:
    """Sum over chunks of squared errors ``[M]`` divided by N: the MSE per member (in evaluation mode)."""
    axis = 1 if per_member else 0
    N = inputs[0].shape[axis]
    total = torch.zeros(M, dtype=torch.float64, device=device)
    chunk = max(64, _EVAL_MEMBER_SAMPLES // max(M, 1))
    was = model.training
    model.eval()  # BatchNorm uses its running statistics, dropout is off (PyTorch's convention)
    try:
        for start in range(0, N, chunk):
            sl = slice(start, min(N, start + chunk))
            xs = tuple((t[:, sl] if per_member else t[sl]).to(device) for t in inputs)
            ys = (y[..., sl]).to(device)
            pred = model(*xs)
            total += ((pred - ys) ** 2).sum(dim=1).double()
    finally:
        model.train(was)
    return total / N


def _mean_square(y: torch.Tensor, M: int) -> torch.Tensor:
    ms = (y.double() ** 2).mean(dim=-1)
    return ms.expand(M) if ms.dim() == 0 else ms


# ------------------------------------------------------------------------------ trainer
def train_ensemble(
    model: torch.nn.Module,
    train_inputs: tuple[torch.Tensor, ...] | None,
    train_y: torch.Tensor | None,
    *,
    test_inputs: tuple[torch.Tensor, ...],
    test_y: torch.Tensor,
    config: TrainConfig,
    sampler: Sampler | None = None,
    inputs_per_member: bool = False,
    val_inputs: tuple[torch.Tensor, ...] | None = None,
    val_y: torch.Tensor | None = None,
) -> TrainResult:
    """Train every member of an ensemble model by mini-batch gradient descent on the square loss.

    Parameters
    ----------
    model : torch.nn.Module
        Every parameter has leading ensemble dimension ``M``; ``model(*inputs)`` returns ``[M, B]``.
        Trained in place (moved to ``config.device``).
    train_inputs : tuple of tensors ``[N, ...]`` (or ``[M, N, ...]`` with ``inputs_per_member``)
        The finite training set; ``None`` when ``sampler`` is given.
    train_y : tensor ``[N]`` or ``[M, N]``
        Training targets (shared, or one target per member).
    test_inputs, test_y : the test set, same layout with ``N_test`` samples.
    config : TrainConfig
    sampler : callable ``(b, generator) -> (inputs, y)``, optional
        Fresh samples every step instead of a finite training set (inputs shared, ``y`` ``[b]``
        or ``[M, b]``).
    inputs_per_member : bool
        Whether the input tensors carry the ensemble axis first.
    val_inputs, val_y : optional validation set (same layout as the test set), held out from
        the training data; its normalized error is recorded (``val_error``) for choosing
        hyperparameters.

    Returns
    -------
    TrainResult
        ``test_error [M]`` (test MSE / mean square of the test targets), ``final_train_loss [M]``
        (MSE on the whole training set, or the last window's mean batch loss with a sampler),
        ``diverged [M]``, ``curves``, ``steps_run``, ``seconds``.

    Notes
    -----
    On CPU the same model initialization, data and ``config.seed`` give bit-identical results.
    """
    t0 = time.perf_counter()
    run = _Training(model, config, test_inputs, test_y, inputs_per_member, val_inputs, val_y)
    with precision_flags("fp32", run.device):  # evaluations in IEEE float32; the steps set their own precision
        run.set_data(train_inputs, train_y, sampler)
        run.record(0)
        step = 0
        for step in range(1, config.steps + 1):
            run.step(step)
            at_eval = step % config.eval_every == 0 or step == config.steps
            if at_eval:
                run.close_window(step)
            if not bool(run.active.any()):
                if not at_eval:
                    run.record(step)
                break
        return run.result(step, time.perf_counter() - t0)


class _Training:
    """The state of one :func:`train_ensemble` run: data, optimizer, active/diverged masks, windows, curves."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig, test_inputs: Any, test_y: torch.Tensor,
                 per_member: bool, val_inputs: Any, val_y: torch.Tensor | None) -> None:
        if not isinstance(config, TrainConfig):
            raise InvalidParameterError(f"config must be a TrainConfig, not {type(config).__name__}.")
        config.validate()
        self.model, self.config, self.per_member = model, config, per_member
        M = self.M = _ensemble_size(model)
        self.lrs = _expand_lr(config.lr, M)
        self.device = resolve_device(config.device)
        model.to(self.device)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.test = self._held_out(test_inputs, test_y, "test")
        if (val_inputs is None) != (val_y is None):
            raise InvalidParameterError("give both val_inputs and val_y, or neither.")
        self.val = None if val_inputs is None else self._held_out(val_inputs, val_y, "val")
        self.gen = torch.Generator(device="cpu")
        self.gen.manual_seed(int(config.seed))
        self.opt = EnsembleOptimizer(self.params, self.lrs, config.optimizer, float(config.weight_decay))
        model.train()  # steps run in training mode; every evaluation in evaluation mode (see _evaluate)
        dev = self.device
        self.active = torch.ones(M, dtype=torch.bool, device=dev)
        self.diverged = torch.zeros(M, dtype=torch.bool, device=dev)
        self.stopped_at = np.full(M, -1, dtype=np.int64)
        self.best_loss = torch.full((M,), math.inf, dtype=torch.float64, device=dev)
        self.bad_evals = torch.zeros(M, dtype=torch.int64, device=dev)
        self.window_sum = torch.zeros(M, dtype=torch.float64, device=dev)
        self.window_n = 0
        self.last_window = torch.full((M,), math.nan, dtype=torch.float64, device=dev)
        self.curves: list[dict[str, Any]] = []

    def _held_out(self, inputs: Any, y: torch.Tensor, name: str) -> tuple:
        inputs = _as_inputs(inputs, f"{name}_inputs")
        y = _check_targets(y, self.M, _sample_axis_len(inputs, self.per_member, self.M, f"{name}_inputs"), f"{name}_y")
        scale = _mean_square(y, self.M).to(self.device)
        if bool((scale <= 0).any()):
            raise InvalidParameterError(f"{name}_y has zero mean square; the normalized {name} error is undefined.")
        return inputs, y, scale

    def set_data(self, train_inputs: Any, train_y: torch.Tensor | None, sampler: Sampler | None) -> None:
        self.sampler = sampler
        if sampler is None:
            if train_inputs is None or train_y is None:
                raise InvalidParameterError("give train_inputs and train_y, or a sampler.")
            train_inputs = _as_inputs(train_inputs, "train_inputs")
            self.n_train = _sample_axis_len(train_inputs, self.per_member, self.M, "train_inputs")
            self.train_y = _check_targets(train_y, self.M, self.n_train, "train_y").to(self.device)
            self.train = tuple(t.to(self.device) for t in train_inputs)
        elif not callable(sampler):
            raise InvalidParameterError("sampler must be callable as sampler(batch_size, generator).")

    def error(self, held_out: tuple | None) -> np.ndarray:
        """Normalized squared error per member on a held-out set (NaN without one)."""
        if held_out is None:
            return np.full(self.M, np.nan)
        inputs, y, scale = held_out
        return (_evaluate(self.model, inputs, y, self.per_member, self.M, self.device) / scale).cpu().numpy()

    def record(self, at_step: int) -> None:
        err, verr = self.error(self.test), self.error(self.val)
        wl = (self.window_sum / self.window_n).cpu().numpy() if self.window_n else np.full(self.M, np.nan)
        for m in range(self.M):
            self.curves.append({"step": at_step, "member": m, "train_loss": float(wl[m]), "test_error": float(err[m]),
                                "val_error": float(verr[m])})

    def _batch(self) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        b = self.config.batch_size
        if self.sampler is None:
            idx = torch.randint(self.n_train, (b,), generator=self.gen).to(self.device)
            return _take(self.train, idx, self.per_member), self.train_y.index_select(-1, idx)
        xs, yb = self.sampler(b, self.gen)
        xs = _as_inputs(xs, "sampler inputs")
        return tuple(t.to(self.device) for t in xs), _check_targets(yb, self.M, b, "sampler targets").to(self.device)

    def step(self, step: int) -> None:
        """One mini-batch step of every active member; members whose loss or update is not finite freeze."""
        xb, yb = self._batch()
        for p in self.params:
            p.grad = None
        cfg = self.config
        with precision_flags(cfg.precision, self.device):
            with forward_autocast(cfg.precision, self.device):
                pred = self.model(*xb)
            losses = _per_member_loss(pred if pred.dtype == torch.float64 else pred.float(), yb, self.M, cfg.loss, cfg.huber_delta)
            finite_loss = torch.isfinite(losses)
            newly = self.active & ~finite_loss
            torch.where(self.active & finite_loss, losses, torch.zeros_like(losses)).sum().backward()
        newly |= self.opt.step(self.active & finite_loss)
        if bool(newly.any()):
            self.diverged |= newly
            self.active &= ~newly
            self.stopped_at[newly.cpu().numpy()] = step
        self.window_sum += torch.where(self.active, losses.detach().double(), torch.zeros_like(self.window_sum))
        self.window_n += 1

    def close_window(self, step: int) -> None:
        """At an evaluation: record the curves, apply early stopping on the training loss, reset the window."""
        wl = self.window_sum / self.window_n
        self.last_window = torch.where(self.active, wl, self.last_window)
        self.record(step)
        cfg = self.config
        if cfg.patience is not None:
            improved = wl < self.best_loss * (1 - cfg.min_delta)
            self.best_loss = torch.where(self.active & improved, wl, self.best_loss)
            self.bad_evals = torch.where(self.active & ~improved, self.bad_evals + 1, torch.zeros_like(self.bad_evals))
            stop = self.active & (self.bad_evals >= cfg.patience)
            if bool(stop.any()):
                self.stopped_at[stop.cpu().numpy()] = step
                self.active &= ~stop
        self.window_sum.zero_()
        self.window_n = 0

    def result(self, step: int, seconds: float) -> TrainResult:
        if self.sampler is None:
            final_train = _evaluate(self.model, self.train, self.train_y, self.per_member, self.M, self.device).cpu().numpy()
        else:
            final_train = self.last_window.cpu().numpy()
        self.stopped_at[self.stopped_at < 0] = step
        cfg = asdict(self.config)
        cfg["lr"] = self.lrs
        return TrainResult(
            test_error=self.error(self.test).astype(np.float64),
            final_train_loss=np.asarray(final_train, dtype=np.float64),
            diverged=self.diverged.cpu().numpy().astype(bool), curves=self.curves, steps_run=int(step),
            seconds=seconds, stopped_at=self.stopped_at, config=cfg, val_error=self.error(self.val).astype(np.float64),
        )

