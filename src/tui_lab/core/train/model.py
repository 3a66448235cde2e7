"""Train any workspace ``nn.Module`` on X, y: the ``model`` implementation.

The learner types ``net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))`` in the
REPL and trains it here with the same guard, stop and progress as the course's linear models.
A copy is trained: the result publishes the trained module under its own name and the untouched
original as ``<name>_init``. :func:`check_model` runs the module on two rows before anything
else, so a model that does not fit X or y is explained, never a traceback mid-run.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import nn

from tui_lab.core.train.chunks import (
    CHUNK_STEPS,
    PROGRESS_INTERVAL,
    Checkpoint,
    Clock,
    StoppedBeforeFirstStep,
    default_clock,
    never,
    next_chunk_size,
    unless_stopped,
)
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import DataError, Dataset, Lookup, load_dataset
from tui_lab.core.train.guard import (
    BLOWUP_FACTOR,
    divergence_message,
    explain_failure,
    finished_message,
    first_bad,
    stopped_message,
)
from tui_lab.core.train.outcome import ProgressCallback, RunStatus, TrainingOutcome
from tui_lab.core.train.report import RunReporter, stopped_before_first_step

#: Rows per forward pass when the full-data loss is measured after each epoch.
EVAL_ROWS = 1 << 16


def init_name(name: str) -> str:
    """The workspace name that keeps the untrained original: ``net`` → ``net_init``."""
    return f"{name}_init"


def find_module(name: str, lookup: Lookup | None) -> nn.Module:
    """The workspace's ``nn.Module`` called ``name``, or DataError saying how to make one."""
    value = None if lookup is None else lookup(name, None)
    if lookup is None:
        raise DataError("model_name", "impl model trains a workspace nn.Module: use the Train pane")
    if value is None:
        example = f"{name} = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))"
        raise DataError("model_name", f"no {name!r} in the workspace: define one in the REPL, e.g. {example}")
    if not isinstance(value, nn.Module):
        raise DataError("model_name", f"{name} is a {type(value).__name__}, not an nn.Module")
    if not any(p.requires_grad for p in value.parameters()):
        raise DataError("model_name", f"{name} has no trainable parameters")
    return value


def _first_layer(module: nn.Module) -> str:
    """``nn.Linear(3, 16)`` for the first module that declares its input width, or ''."""
    for sub in module.modules():
        width = getattr(sub, "in_features", None)
        if isinstance(width, int):
            return f"its first layer {type(sub).__name__}({width}, {getattr(sub, 'out_features', '…')}) expects {width}"
    return ""


def target_kind(loss: str) -> str:
    """How a loss wants y: ``index`` (class indices, cross-entropy) or ``value`` (regression)."""
    return "index" if loss == "cross_entropy" else "value"


def check_model(module: nn.Module, name: str, X: torch.Tensor, y: torch.Tensor, loss: str) -> None:
    """Run ``module`` on two rows of X and check its output against y and the loss; DataError explains a mismatch."""
    d = X.shape[1]
    sample = X[:2]
    params = list(module.parameters())
    if params:
        sample = sample.to(device=params[0].device, dtype=params[0].dtype)
    try:
        with torch.no_grad():
            out = module(sample)
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        layer = _first_layer(module)
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        why = f"X has {d} feature(s) per sample, but {layer}" if layer else f"{name}(X) failed: {detail}"
        raise DataError("model_name", f"{name} does not fit X: {why}") from None
    if not isinstance(out, torch.Tensor):
        raise DataError("model_name", f"{name}(X) returned a {type(out).__name__}, not a tensor")
    rows = sample.shape[0]
    if target_kind(loss) == "value":
        if out.shape not in ((rows,), (rows, 1)):
            hint = " (or use loss cross_entropy if y holds class indices)" if out.dim() == 2 else ""
            raise DataError(
                "model_name",
                f"{name} gives output of shape {tuple(out.shape)} for {rows} samples, but y has one number per "
                f"sample: end it with a layer of one output, e.g. nn.Linear(…, 1){hint}",
            )
        return
    if out.dim() != 2 or out.shape[1] < 2:
        raise DataError(
            "model_name",
            f"cross-entropy needs one score per class (output N × C, C ≥ 2), but {name} gives shape "
            f"{tuple(out.shape)} for 2 samples",
        )
    classes = int(out.shape[1])
    if not bool(torch.all(y == y.round())) or float(y.min()) < 0:
        raise DataError("y_name", "cross-entropy needs y to hold class indices 0, 1, 2, … (whole numbers ≥ 0)")
    if int(y.max()) >= classes:
        raise DataError(
            "y_name", f"y has class index {int(y.max())}, but {name} gives {classes} scores (classes 0…{classes - 1})"
        )


def _loss_fn(config: TrainConfig) -> nn.Module:
    if config.loss == "huber":
        return nn.HuberLoss(delta=config.huber_delta)
    if config.loss == "cross_entropy":
        return nn.CrossEntropyLoss()
    return nn.MSELoss()


def _optimizer(config: TrainConfig, module: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in module.parameters() if p.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return torch.optim.SGD(params, lr=config.lr, momentum=momentum)


def train_model(
    config: TrainConfig,
    device: str,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = never,
    *,
    dataset: Dataset | None = None,
    lookup: Lookup | None = None,
    progress_interval: float = PROGRESS_INTERVAL,
    clock: Clock | None = None,
) -> TrainingOutcome:
    """Train a copy of the workspace module ``config.model_name``; DataError before the run for any mismatch.

    Everything before the first step (the checks, the copy, the optimizer, the initial loss) runs
    while ``should_stop`` is polled, as for the course's engines.
    """
    clock = clock or default_clock()
    began = clock()

    def prepare(checkpoint: Checkpoint) -> tuple[nn.Module, _ModelTrainer, Exception | None]:
        original = find_module(config.model_name, lookup)
        data = dataset if dataset is not None else load_dataset(config, lookup, device)
        checkpoint()
        check_model(original, config.model_name, data.X, data.y, config.loss)
        try:
            trained = copy.deepcopy(original)
        except Exception as error:  # arbitrary user modules: any failure to copy is explained, not raised
            raise DataError("model_name", f"cannot copy {config.model_name} to train it: {error}") from None
        checkpoint()
        trainer = _ModelTrainer(config, device, data, trained, on_progress, should_stop, progress_interval, clock)
        checkpoint()
        try:
            trainer.reporter.initial_loss = trainer.full_loss()
        except (RuntimeError, MemoryError) as error:
            return original, trainer, error
        return original, trainer, None

    try:
        original, trainer, failure = unless_stopped(prepare, should_stop)
    except StoppedBeforeFirstStep:
        return stopped_before_first_step(config, device, clock() - began)
    try:
        if failure is not None:
            raise failure
        result = trainer.train()
    except (RuntimeError, MemoryError) as error:
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        result = trainer.result(RunStatus.FAILED, explain_failure(error, device), None)
    result.artifacts.update({config.model_name: trainer.module, init_name(config.model_name): original})
    return result


class _ModelTrainer:
    """One run of a module: data on the device, the optimizer, and its reporter (bounded losses, progress, outcome)."""

    def __init__(
        self,
        config: TrainConfig,
        device: str,
        data: Dataset,
        module: nn.Module,
        on_progress: ProgressCallback | None,
        should_stop: Callable[[], bool],
        interval: float,
        clock: Clock,
    ) -> None:
        self.config, self.device, self.data, self.clock = config, device, data, clock
        self.should_stop = should_stop
        self.module = module.to(device)
        dtype = next(module.parameters()).dtype
        self.X = data.X.to(device=device, dtype=dtype)
        kind = target_kind(config.loss)
        self.y = data.y.to(device=device, dtype=torch.long if kind == "index" else dtype)
        self.loss_fn = _loss_fn(config)
        self.opt = _optimizer(config, self.module)
        self.steps_per_epoch = math.ceil(data.n / config.batch_size)
        # the initial loss is measured before the first step (train_model's preparation)
        self.reporter = RunReporter(
            config, device, steps_per_epoch=self.steps_per_epoch, on_progress=on_progress, interval=interval,
            clock=clock,
        )  # fmt: skip

    def _batch_loss(self, Xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        out = self.module(Xb)
        if self.config.loss != "cross_entropy":
            out = out.reshape(-1)
        loss: torch.Tensor = self.loss_fn(out, yb)
        return loss

    def full_loss(self) -> float:
        """Mean loss over all of X, y (in slices, so a large N needs no second copy)."""
        total, n = 0.0, self.data.n
        self.module.eval()  # dropout off, batch-norm statistics untouched while measuring
        try:
            with torch.no_grad():
                for start in range(0, n, EVAL_ROWS):
                    stop = min(n, start + EVAL_ROWS)
                    total += float(self._batch_loss(self.X[start:stop], self.y[start:stop])) * (stop - start)
        finally:
            self.module.train()
        return total / n

    def train(self) -> TrainingOutcome:
        cfg, n, B, reporter = self.config, self.data.n, self.config.batch_size, self.reporter
        initial = reporter.initial_loss
        limit = BLOWUP_FACTOR * max(initial, 1e-8) if math.isfinite(initial) else math.inf
        if not math.isfinite(initial):
            message = "the untrained model's loss is already NaN/Inf: check its output"
            return self.result(RunStatus.DIVERGED, message, (1, 0))
        gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        chunk, losses = 1, torch.zeros(CHUNK_STEPS, device=self.device)
        reporter.begin()
        for epoch in range(1, cfg.epochs + 1):
            perm = torch.randperm(n, generator=gen, device=self.device)
            step = 0
            while step < self.steps_per_epoch:
                k = min(chunk, self.steps_per_epoch - step)
                began = self.clock()
                saved = copy.deepcopy(self.module.state_dict())  # the last good parameters, for the guard
                sizes = []
                for j in range(k):
                    rows = perm[(step + j) * B : (step + j + 1) * B]
                    loss = self._batch_loss(self.X[rows], self.y[rows])
                    self.opt.zero_grad(set_to_none=True)
                    loss.backward()
                    self.opt.step()
                    losses[j] = loss.detach()
                    sizes.append(len(rows))
                values = losses[:k].tolist()
                bad = first_bad(values, limit)
                if bad is not None:
                    reporter.add_steps(values[:bad], sum(sizes[:bad]))
                    self.module.load_state_dict(saved)
                    where = (epoch, step + bad + 1)
                    return self.result(RunStatus.DIVERGED, divergence_message(*where), where)
                reporter.add_steps(values, sum(sizes))
                step += k
                if self.should_stop():
                    return self.result(RunStatus.STOPPED, stopped_message(epoch, step), None)
                chunk = next_chunk_size(chunk, self.clock() - began, CHUNK_STEPS)
                reporter.report()
            loss_value = self.full_loss()
            if not math.isfinite(loss_value) or loss_value > limit:
                where = (epoch, self.steps_per_epoch)
                return self.result(RunStatus.DIVERGED, divergence_message(*where), where)
            reporter.add_epoch(loss_value)
            reporter.report()
        return self.result(RunStatus.FINISHED, finished_message(cfg.epochs), None)

    def result(self, status: RunStatus, message: str, where: tuple[int, int] | None) -> TrainingOutcome:
        """The outcome of this run as it stands (no linear fit; the trained module goes out through ``artifacts``)."""
        seconds = self.reporter.elapsed
        self.reporter.report(force=True)
        count = parameter_count(self.module)
        name = self.config.model_name
        kept = init_name(name)
        self.reporter.notes[:] = [f"{name} trained ({count:,} parameters); the untrained original is kept as {kept}"]
        return self.reporter.outcome(status, message, seconds=seconds, diverged_at=where)


def parameter_count(module: nn.Module) -> int:
    """Trainable numbers in ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ["check_model", "find_module", "init_name", "parameter_count", "train_model"]
