"""The stacked engine behind a batched sweep: Θ (R, d+1) for R runs, one step for all of them.

manual with matrix products, scratch with the course's ``linreg``, ``squared_loss`` and ``sgd``
broadcast over runs (w is (R, d, 1), a learning rate per run), concise with ``functional_call`` +
``vmap`` over one ``nn.Linear`` and ``torch.optim``-style updates on the stacked parameters (each
run's step scaled by its own rate). :mod:`tui_lab.core.train.sweep` drives it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.impls import HandOptimizer, huber_loss, initial_params, linreg, sgd
from tui_lab.core.train.impls import squared_loss as course_squared_loss


class BatchedEngine:
    """R runs of one engine; ``step`` writes Θ before the update into ``hist[j + 1]`` and losses (R,) into ``losses[j]``."""

    def __init__(self, configs: Sequence[TrainConfig], d: int, device: str) -> None:
        cfg = self.config = configs[0]
        self.d, self.R = d, len(configs)
        self.lr = torch.tensor([c.lr for c in configs], device=device)
        theta = initial_params(d, cfg, device).repeat(self.R, 1)
        self.report_scale = 2.0 if cfg.loss == "mse" and cfg.impl == "scratch" else 1.0
        if cfg.impl == "manual":
            self.theta = theta
            self.opt = HandOptimizer(cfg, [self.theta], rate=self.lr)
        elif cfg.impl == "scratch":
            self.w = theta[:, :d].reshape(self.R, d, 1).clone().requires_grad_(True)
            self.b = theta[:, d:].reshape(self.R, 1, 1).clone().requires_grad_(True)
            self.opt = HandOptimizer(cfg, [self.w, self.b], rate=self.lr)
        else:
            self.module = nn.Linear(d, 1).to(device)
            self.weight = theta[:, :d].reshape(self.R, 1, d).clone().requires_grad_(True)
            self.bias = theta[:, d:].clone().requires_grad_(True)
            stacked = [self.weight, self.bias]
            if cfg.optimizer == "adam":
                self.torch_opt: torch.optim.Optimizer = torch.optim.Adam(stacked, lr=1.0)
            else:
                momentum = cfg.momentum if cfg.optimizer == "momentum" else 0.0
                self.torch_opt = torch.optim.SGD(stacked, lr=1.0, momentum=momentum)
            self.loss = nn.MSELoss() if cfg.loss == "mse" else nn.HuberLoss(delta=cfg.huber_delta)

    def flat(self) -> torch.Tensor:
        if self.config.impl == "manual":
            return self.theta.clone()
        if self.config.impl == "scratch":
            return torch.cat([self.w.detach().view(self.R, -1), self.b.detach().view(self.R, 1)], dim=1)
        return torch.cat([self.weight.detach().view(self.R, -1), self.bias.detach()], dim=1)

    def load_rows(self, rows: torch.Tensor, theta: torch.Tensor) -> None:
        """Set Θ[rows] and forget their optimizer state (a stopped run stays where it was rolled back to)."""
        d = self.d
        with torch.no_grad():
            if self.config.impl == "manual":
                self.theta[rows] = theta
            elif self.config.impl == "scratch":
                self.w[rows] = theta[:, :d].reshape(-1, d, 1)
                self.b[rows] = theta[:, d:].reshape(-1, 1, 1)
            else:
                self.weight[rows] = theta[:, :d].reshape(-1, 1, d)
                self.bias[rows] = theta[:, d:]
                for param in (self.weight, self.bias):
                    for state in self.torch_opt.state.get(param, {}).values():
                        if isinstance(state, torch.Tensor) and state.dim() > 0:
                            state[rows] = 0
        if self.config.impl != "concise":
            self.opt.forget(rows)

    def run_steps(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """Steps 0..k-1 of a chunk: ``hist[j + 1]`` gets Θ before step j, ``losses[j]`` its summed losses (R,)."""
        full = min(k, Xc.shape[0] // batch)
        cfg = self.config
        if cfg.impl == "manual" and cfg.optimizer == "sgd" and cfg.loss == "mse" and full > 0:
            self._manual_sgd(Xc, yc, full, batch, losses, hist)
        else:
            full = 0
        for j in range(full, k):
            hist[j + 1] = self.flat()
            losses[j] = self.step(Xc[j * batch : (j + 1) * batch], yc[j * batch : (j + 1) * batch])

    def _manual_sgd(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """Θ ← Θ − lr·(2/B)(ΘXᵀ − y)X for k full batches, Θ kept in ``hist`` (views made once, no allocation per step)."""
        blocks = Xc[: k * batch].view(k, batch, -1)
        X_batches, Xt_batches = blocks.unbind(0), blocks.transpose(1, 2).contiguous().unbind(0)
        y_batches = yc[: k * batch].view(k, 1, batch).expand(k, self.R, batch).unbind(0)
        thetas, loss_out = hist.unbind(0), losses.unbind(0)
        residual = torch.empty(self.R, batch, device=Xc.device, dtype=Xc.dtype)
        square = torch.empty_like(residual)
        step = (-2.0 / batch * self.lr).unsqueeze(1)
        hist[1].copy_(self.theta)
        for j in range(k):
            torch.addmm(y_batches[j], thetas[j + 1], Xt_batches[j], beta=-1, out=residual)  # ΘXᵀ − y
            torch.mul(residual, residual, out=square)
            torch.sum(square, 1, out=loss_out[j])
            torch.addcmul(thetas[j + 1], step, residual @ X_batches[j], out=thetas[j + 2])
        self.theta.copy_(hist[k + 1])

    def step(self, Xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """One minibatch for every run; returns the summed losses (R,) as the single runs report them."""
        cfg, batch = self.config, Xb.shape[0]
        if cfg.impl == "manual":
            residual = self.theta @ Xb.T - yb  # Xb is [X, 1]
            if cfg.loss == "mse":
                losses, signal, scale = (residual * residual).sum(1), residual, 2.0 / batch
            else:
                size = residual.abs()
                clipped = size.clamp(max=cfg.huber_delta)
                losses = (clipped * (size - clipped / 2)).sum(1)
                signal, scale = residual.clamp(-cfg.huber_delta, cfg.huber_delta), 1.0 / batch
            self.opt.update([self.theta], [(signal @ Xb).mul_(scale)])
            return losses
        if cfg.impl == "scratch":
            # The course's functions broadcast over runs: X (B, d) @ w (R, d, 1) + b (R, 1, 1) is ŷ (R, B, 1).
            y_hat = linreg(Xb, self.w, self.b)
            y_runs = yb.expand(self.R, -1).unsqueeze(2)
            if cfg.loss == "mse":
                l = course_squared_loss(y_hat, y_runs).sum((1, 2))  # noqa: E741
            else:
                l = huber_loss(y_hat, y_runs, cfg.huber_delta).sum((1, 2))  # noqa: E741
            l.sum().backward()
            if cfg.optimizer == "sgd":
                sgd([self.w, self.b], self.lr.view(-1, 1, 1), batch)  # type: ignore[arg-type]  # the course's sgd, a rate per run
            else:
                assert self.w.grad is not None and self.b.grad is not None
                with torch.no_grad():
                    self.opt.update([self.w, self.b], [self.w.grad / batch, self.b.grad / batch])
                self.w.grad.zero_()
                self.b.grad.zero_()
            return l.detach() * self.report_scale

        def one_linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            loss: torch.Tensor = self.loss(
                functional_call(self.module, {"weight": weight, "bias": bias}, (Xb,)).view(-1), yb
            )
            return loss

        l = vmap(one_linear)(self.weight, self.bias)  # noqa: E741
        self.torch_opt.zero_grad(set_to_none=False)
        l.sum().backward()
        before = [self.weight.detach().clone(), self.bias.detach().clone()]
        self.torch_opt.step()  # at lr 1; each run's step is then scaled by its own rate
        with torch.no_grad():
            for param, old, shape in ((self.weight, before[0], (-1, 1, 1)), (self.bias, before[1], (-1, 1))):
                param.copy_(old + self.lr.view(shape) * (param - old))
        return l.detach() * batch
