"""The course's linear regression, three iterative ways plus the closed form.

Each iterative engine exposes the same small protocol to the runner (``step`` on one
minibatch, ``flat``/``load_flat`` for the parameters θ = [w…, b]). ``step(j, …)`` writes
θ before its update into ``hist[j + 1]`` and the batch's summed loss into ``losses[j]``, so
the runner can check a whole chunk of steps with one device sync and roll back to the last
good θ. Reported losses are per sample: (ŷ − y)² for MSE (as ``nn.MSELoss``), Huber(δ) as
``nn.HuberLoss``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from tui_lab.core.train.closed import augment, solve
from tui_lab.core.train.config import TrainConfig

__all__ = ["ENGINES", "Engine", "augment", "closed_form", "full_loss", "initial_params"]

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


# -- the course's functions (d2l 3.2) ------------------------------------------------


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear regression model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared loss, halved as in the course."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def huber_loss(y_hat: torch.Tensor, y: torch.Tensor, delta: float) -> torch.Tensor:
    """Huber loss (the course's exercise): ½e² near zero, δ(|e| − ½δ) beyond δ."""
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error <= delta, error**2 / 2, delta * (error - delta / 2))


def sgd(params: list[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent, as in the course."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size  # type: ignore[operator]
            param.grad.zero_()  # type: ignore[union-attr]


class HandOptimizer:
    """SGD, SGD with momentum (v ← μv + g) and Adam, written out: the one update rule of the hand-written paths.

    ``rate`` is the learning rate: a number for one run (scratch, manual), or a tensor (R,) for a
    batched sweep, whose parameters hold one row per run; row r then moves by its own rate. With a
    number the arithmetic is exactly that of a single run before the two were merged (tested bit
    for bit), so a sweep's rows agree with their runs alone to float tolerance.
    """

    def __init__(
        self, config: TrainConfig, params: list[torch.Tensor], rate: float | torch.Tensor | None = None
    ) -> None:
        self.kind, self.mu = config.optimizer, config.momentum
        self.rate: float | torch.Tensor = config.lr if rate is None else rate
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        """Move each parameter in place against its gradient."""
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            if self.kind == "sgd":
                self._descend(p, g, self.rate)
            elif self.kind == "momentum":
                m.mul_(self.mu).add_(g)
                self._descend(p, m, self.rate)
            else:
                beta1, beta2 = ADAM_BETAS
                m.lerp_(g, 1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                denom = (v / (1 - beta2**self.t)).sqrt_().add_(ADAM_EPS)
                p.sub_(self._per_row(self.rate / (1 - beta1**self.t), p) * m / denom)

    def forget(self, rows: torch.Tensor) -> None:
        """Zero the moments of these rows (runs of a sweep that were rolled back and stopped)."""
        for state in (*self.m, *self.v):
            state[rows] = 0

    @staticmethod
    def _per_row(rate: float | torch.Tensor, p: torch.Tensor) -> float | torch.Tensor:
        """A rate per run shaped to broadcast over the rows of ``p`` (a number as it is)."""
        return rate.view(-1, *([1] * (p.dim() - 1))) if isinstance(rate, torch.Tensor) else rate

    def _descend(self, p: torch.Tensor, direction: torch.Tensor, rate: float | torch.Tensor) -> None:
        """p ← p − rate · direction (a number goes in as ``alpha``: one fused kernel, as single runs always did)."""
        if isinstance(rate, torch.Tensor):
            p.sub_(self._per_row(rate, p) * direction)
        else:
            p.sub_(direction, alpha=rate)


def initial_params(d: int, config: TrainConfig, device: str) -> torch.Tensor:
    """θ₀ = [w ~ N(0, init_std²), b = 0], drawn on the CPU so every device starts alike."""
    gen = torch.Generator().manual_seed(config.seed)
    w = torch.normal(0.0, config.init_std, (d,), generator=gen) if config.init_std > 0 else torch.zeros(d)
    return torch.cat([w, torch.zeros(1)]).to(device)


class Engine:
    """Base of the iterative implementations; see the module docstring for the protocol."""

    #: True when ``step`` wants X with a column of ones appended (θ acts on [X, 1]).
    augmented = False
    #: True when a chunk of steps can be captured in a CUDA graph (no host-side state per step).
    graphable = False

    def __init__(self, config: TrainConfig, d: int, device: str) -> None:
        self.config, self.d, self.device = config, d, device

    def begin_chunk(self, hist: torch.Tensor) -> None:
        """Called before the steps of a chunk."""

    def end_chunk(self, hist: torch.Tensor, k: int) -> None:
        """Called after ``k`` steps of a chunk."""

    def step(self, j: int, Xb: torch.Tensor, yb: torch.Tensor, losses: torch.Tensor, hist: torch.Tensor) -> None:
        """One minibatch update."""
        raise NotImplementedError

    def run_steps(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """Steps 0..k-1 of a chunk whose rows start at Xc[0] (the last batch may be short)."""
        for j in range(k):
            self.step(j, Xc[j * batch : (j + 1) * batch], yc[j * batch : (j + 1) * batch], losses, hist)

    def flat(self) -> torch.Tensor:
        """The current θ = [w…, b], detached."""
        raise NotImplementedError

    def load_flat(self, theta: torch.Tensor) -> None:
        """Set θ (used to roll back to the last good parameters)."""
        raise NotImplementedError

    def artifacts(self) -> dict[str, object]:
        """What to publish to the workspace besides ``w`` and ``b``."""
        return {}


class ScratchEngine(Engine):
    """The course's from-scratch loop: ``linreg``, ``squared_loss`` (or Huber), ``sgd``, autograd."""

    def __init__(self, config: TrainConfig, d: int, device: str) -> None:
        super().__init__(config, d, device)
        theta = initial_params(d, config, device)
        self.w = theta[:d].reshape(d, 1).clone().requires_grad_(True)
        self.b = theta[d:].clone().requires_grad_(True)
        self.opt = None if config.optimizer == "sgd" else HandOptimizer(config, [self.w, self.b])
        #: Hand-written Adam keeps its step count on the host, so only sgd and momentum replay in a CUDA graph.
        self.graphable = config.optimizer != "adam"
        #: squared_loss is ½e²; reported MSE is e².
        self.report_scale = 2.0 if config.loss == "mse" else 1.0

    def step(self, j: int, Xb: torch.Tensor, yb: torch.Tensor, losses: torch.Tensor, hist: torch.Tensor) -> None:
        with torch.no_grad():
            torch.cat([self.w.view(-1), self.b], out=hist[j + 1])
        y_hat = linreg(Xb, self.w, self.b)
        cfg = self.config
        l = squared_loss(y_hat, yb) if cfg.loss == "mse" else huber_loss(y_hat, yb, cfg.huber_delta)  # noqa: E741
        l.sum().backward()
        with torch.no_grad():
            torch.mul(l.sum(), self.report_scale, out=losses[j])
        batch = Xb.shape[0]
        if self.opt is None:
            sgd([self.w, self.b], cfg.lr, batch)
        else:
            assert self.w.grad is not None and self.b.grad is not None
            grads = [self.w.grad / batch, self.b.grad / batch]
            with torch.no_grad():
                self.opt.update([self.w, self.b], grads)
            self.w.grad.zero_()  # type: ignore[union-attr]
            self.b.grad.zero_()  # type: ignore[union-attr]

    def flat(self) -> torch.Tensor:
        return torch.cat([self.w.detach().view(-1), self.b.detach()])

    def load_flat(self, theta: torch.Tensor) -> None:
        with torch.no_grad():
            self.w.copy_(theta[: self.d].view(self.d, 1))
            self.b.copy_(theta[self.d :])


class ConciseEngine(Engine):
    """The concise version: ``nn.Linear``, ``nn.MSELoss``/``nn.HuberLoss`` and ``torch.optim``.

    On CUDA, Adam is built with ``capturable=True`` (its step count lives on the device), so every
    optimizer's whole step (forward, backward, ``opt.step()``) can be captured in a CUDA graph.
    """

    graphable = True

    def __init__(self, config: TrainConfig, d: int, device: str) -> None:
        super().__init__(config, d, device)
        self.layer = nn.Linear(d, 1)
        self.net = nn.Sequential(self.layer).to(device)
        self.load_flat(initial_params(d, config, device))
        params = self.net.parameters()
        if config.optimizer == "sgd":
            self.opt: torch.optim.Optimizer = torch.optim.SGD(params, lr=config.lr)
        elif config.optimizer == "momentum":
            self.opt = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
        else:
            self.opt = torch.optim.Adam(params, lr=config.lr, capturable=device.startswith("cuda"))
        self.loss: nn.Module = nn.MSELoss() if config.loss == "mse" else nn.HuberLoss(delta=config.huber_delta)

    def step(self, j: int, Xb: torch.Tensor, yb: torch.Tensor, losses: torch.Tensor, hist: torch.Tensor) -> None:
        layer = self.layer
        with torch.no_grad():
            torch.cat([layer.weight.view(-1), layer.bias], out=hist[j + 1])
        l = self.loss(self.net(Xb).view(-1), yb)  # noqa: E741
        self.opt.zero_grad(set_to_none=False)
        l.backward()
        self.opt.step()
        with torch.no_grad():
            torch.mul(l, Xb.shape[0], out=losses[j])

    def flat(self) -> torch.Tensor:
        layer = self.layer
        return torch.cat([layer.weight.detach().view(-1), layer.bias.detach()])

    def load_flat(self, theta: torch.Tensor) -> None:
        layer = self.layer
        with torch.no_grad():
            layer.weight.copy_(theta[: self.d].view(1, self.d))
            layer.bias.copy_(theta[self.d :])

    def artifacts(self) -> dict[str, object]:
        return {"net": self.net}


class ManualEngine(Engine):
    """No autograd: the gradient of Σ(Xθ − y)² is 2 Xᵀ(Xθ − y), written out on [X, 1].

    θ lives in ``hist`` during a chunk (step j reads row j + 1 and writes row j + 2), so SGD
    is three kernels per step: the residual, its dot product (the loss) and one ``addmv``.
    """

    augmented = True

    def __init__(self, config: TrainConfig, d: int, device: str) -> None:
        super().__init__(config, d, device)
        self.theta = initial_params(d, config, device)
        self.velocity = torch.zeros_like(self.theta)
        self.opt = HandOptimizer(config, [self.theta]) if config.optimizer == "adam" else None
        self.graphable = config.optimizer != "adam"

    def begin_chunk(self, hist: torch.Tensor) -> None:
        hist[1].copy_(self.theta)

    def end_chunk(self, hist: torch.Tensor, k: int) -> None:
        self.theta.copy_(hist[k + 1])

    def step(self, j: int, Xb: torch.Tensor, yb: torch.Tensor, losses: torch.Tensor, hist: torch.Tensor) -> None:
        cfg, batch = self.config, Xb.shape[0]
        theta, new_theta = hist[j + 1], hist[j + 2]
        residual = torch.addmv(yb, Xb, theta, beta=-1)  # Xθ − y
        if cfg.loss == "mse":
            torch.dot(residual, residual, out=losses[j])
            signal, scale = residual, 2.0 / batch  # ∂/∂θ mean((Xθ − y)²) = (2/B) Xᵀ(Xθ − y)
        else:
            delta = cfg.huber_delta
            size = residual.abs()
            clipped = size.clamp(max=delta)
            torch.dot(clipped, torch.add(size, clipped, alpha=-0.5), out=losses[j])
            signal, scale = residual.clamp(-delta, delta), 1.0 / batch  # Huber's derivative clips the error
        if cfg.optimizer == "sgd":
            torch.addmv(theta, Xb.t(), signal, alpha=-cfg.lr * scale, out=new_theta)
        elif cfg.optimizer == "momentum":
            self.velocity.addmv_(Xb.t(), signal, beta=cfg.momentum, alpha=scale)
            torch.add(theta, self.velocity, alpha=-cfg.lr, out=new_theta)
        else:
            assert self.opt is not None
            new_theta.copy_(theta)
            self.opt.update([new_theta], [torch.mv(Xb.t(), signal).mul_(scale)])

    def run_steps(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """The fast loop for MSE with SGD or momentum: views made once per chunk, no allocation per step."""
        cfg = self.config
        full = min(k, Xc.shape[0] // batch)
        if cfg.loss != "mse" or cfg.optimizer == "adam" or full == 0:
            super().run_steps(Xc, yc, k, batch, losses, hist)
            return
        blocks = Xc[: full * batch].view(full, batch, -1)
        # Xᵀ made contiguous once per chunk: addmv on a transposed view is 3x slower and, with several
        # threads on a busy machine, can stall for milliseconds in OpenMP's barrier.
        X_batches, Xt_batches = blocks.unbind(0), blocks.transpose(1, 2).contiguous().unbind(0)
        y_batches = yc[: full * batch].view(full, batch).unbind(0)
        thetas, loss_out = hist.unbind(0), losses.unbind(0)
        residual = torch.empty(batch, device=Xc.device, dtype=Xc.dtype)
        scale = 2.0 / batch
        for j in range(full):
            torch.addmv(y_batches[j], X_batches[j], thetas[j + 1], beta=-1, out=residual)  # Xθ − y
            torch.dot(residual, residual, out=loss_out[j])
            if cfg.optimizer == "sgd":  # θ ← θ − lr · (2/B) Xᵀ(Xθ − y)
                torch.addmv(thetas[j + 1], Xt_batches[j], residual, alpha=-cfg.lr * scale, out=thetas[j + 2])
            else:  # v ← μv + (2/B) Xᵀ(Xθ − y);  θ ← θ − lr · v
                self.velocity.addmv_(Xt_batches[j], residual, beta=cfg.momentum, alpha=scale)
                torch.add(thetas[j + 1], self.velocity, alpha=-cfg.lr, out=thetas[j + 2])
        for j in range(full, k):
            self.step(j, Xc[j * batch : (j + 1) * batch], yc[j * batch : (j + 1) * batch], losses, hist)

    def flat(self) -> torch.Tensor:
        return self.theta.clone()

    def load_flat(self, theta: torch.Tensor) -> None:
        self.theta.copy_(theta)


ENGINES: dict[str, type[Engine]] = {"scratch": ScratchEngine, "concise": ConciseEngine, "manual": ManualEngine}


def closed_form(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """θ* = argmin ‖[X, 1]θ − y‖² in float64, returned as float32 on the CPU (see ``closed.solve``)."""
    return solve(X, y).theta


def full_loss(X: torch.Tensor, y: torch.Tensor, theta: torch.Tensor, config: TrainConfig) -> float:
    """Mean loss over all of (X, y) at θ: the per-epoch figure the course prints."""
    with torch.no_grad():
        y_hat = torch.addmv(theta[-1:].expand(X.shape[0]), X, theta[:-1])
        if config.loss == "mse":
            return float(F.mse_loss(y_hat, y))
        return float(F.huber_loss(y_hat, y, delta=config.huber_delta))
