"""The ``model`` implementation: any workspace nn.Module, trained on a copy, mismatches explained first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import DataError
from tui_lab.core.train.outcome import STOPPED_BEFORE_FIRST_STEP, RunStatus
from tui_lab.core.train.runner import run


def space(**values: Any) -> Callable[[str, Any], Any]:
    return lambda name, default: values.get(name, default)


def mlp(width_in: int = 2, outputs: int = 1) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(width_in, 16), nn.ReLU(), nn.Linear(16, outputs))


def test_an_mlp_learns_the_course_data_and_the_original_is_kept() -> None:
    net = mlp()
    before = [p.detach().clone() for p in net.parameters()]
    result = run(TrainConfig(impl="model", lr=0.1, epochs=10), lookup=space(net=net))
    assert result.status is RunStatus.FINISHED and result.epoch_losses[-1] < 1e-3
    trained, kept = result.artifacts["net"], result.artifacts["net_init"]
    assert kept is net and trained is not net and isinstance(trained, nn.Module)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert "kept as net_init" in result.notes[0]
    X = torch.randn(5, 2)
    assert torch.allclose(trained(X).view(-1), X @ torch.tensor([2.0, -3.4]) + 4.2, atol=0.2)


@pytest.mark.parametrize(
    ("module", "loss", "needle"),
    [
        (mlp(width_in=3), "mse", "X has 2 feature(s) per sample, but its first layer Linear(3, 16) expects 3"),
        (mlp(outputs=3), "mse", "gives output of shape (2, 3) for 2 samples, but y has one number per sample"),
        (mlp(outputs=1), "cross_entropy", "cross-entropy needs one score per class"),
        (nn.Sequential(nn.Flatten(0), nn.Linear(4, 1)), "mse", "gives output of shape (1,) for 2 samples"),
        (nn.Conv2d(1, 1, 3), "mse", "net(X) failed"),
    ],
)
def test_a_mismatched_model_is_explained_before_the_run(module: nn.Module, loss: str, needle: str) -> None:
    with pytest.raises(DataError) as caught:
        run(TrainConfig(impl="model", loss=loss), lookup=space(net=module))
    assert caught.value.field == "model_name" and needle in str(caught.value)


def test_missing_or_wrong_workspace_names_are_explained() -> None:
    with pytest.raises(DataError, match="no 'net' in the workspace: define one in the REPL"):
        run(TrainConfig(impl="model"), lookup=space())
    with pytest.raises(DataError, match="net is a Tensor, not an nn.Module"):
        run(TrainConfig(impl="model"), lookup=space(net=torch.ones(2)))
    with pytest.raises(DataError, match="use the Train pane"):
        run(TrainConfig(impl="model"))


def test_cross_entropy_on_class_indices() -> None:
    torch.manual_seed(1)
    X = torch.randn(400, 2)
    labels = (X[:, 0] + X[:, 1] > 0).long()
    config = TrainConfig(impl="model", data="workspace", loss="cross_entropy", lr=0.1, epochs=5)
    result = run(config, lookup=space(X=X, y=labels, net=nn.Linear(2, 2)))
    assert result.status is RunStatus.FINISHED and result.epoch_losses[-1] < result.initial_loss / 2
    net = result.artifacts["net"]
    assert isinstance(net, nn.Module)
    accuracy = (net(X).argmax(1) == labels).float().mean()
    assert accuracy > 0.95
    with pytest.raises(DataError, match="class index 2, but net gives 2 scores"):
        run(config, lookup=space(X=X, y=labels * 2, net=nn.Linear(2, 2)))
    with pytest.raises(DataError, match="class indices"):
        run(config, lookup=space(X=X, y=labels + 0.5, net=nn.Linear(2, 2)))


def test_stop_returns_the_model_trained_so_far() -> None:
    steps: list[int] = []
    hook = register_optimizer_step_post_hook(lambda optimizer, args, kwargs: steps.append(1))
    try:
        result = run(
            TrainConfig(impl="model", epochs=3),
            lookup=space(net=mlp()),
            should_stop=lambda: len(steps) >= 2,
            clock=lambda: 0.0,  # time stands still: chunks of 1, 2, 4 … steps
        )
    finally:
        hook.remove()
    assert result.status is RunStatus.STOPPED and result.message == "stopped in epoch 1 at step 3"
    assert "net" in result.artifacts and len(result.step_losses) == 3


def test_a_stop_while_the_model_prepares_ends_the_run_at_once() -> None:
    """The copy, the optimizer (torch.optim's first use imports torch._dynamo) and the initial loss are not waited for."""
    building, release = threading.Event(), threading.Event()

    class Slow(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.inner(x)

        def __deepcopy__(self, memo: dict[int, Any]) -> Slow:
            building.set()
            release.wait(30)
            return self

    try:
        result = run(TrainConfig(impl="model"), lookup=space(net=Slow()), should_stop=building.is_set)
    finally:
        release.set()
    assert (result.status, result.message, len(result.step_losses)) == ("stopped", STOPPED_BEFORE_FIRST_STEP, 0)
    assert result.artifacts == {}  # nothing was trained, so nothing is published


def test_divergence_rolls_back_to_finite_parameters() -> None:
    result = run(TrainConfig(impl="model", lr=1e3), lookup=space(net=mlp()))
    assert result.status is RunStatus.DIVERGED and "try a smaller learning rate" in result.message
    net = result.artifacts["net"]
    assert isinstance(net, nn.Module) and all(torch.isfinite(p).all() for p in net.parameters())


def test_progress_reports_every_step_once() -> None:
    seen: list[Any] = []
    result = run(TrainConfig(impl="model", epochs=2), lookup=space(net=mlp()), on_progress=seen.append)
    assert sum(len(p.new_step_losses) for p in seen) == len(result.step_losses) == 200
    assert sum(len(p.epoch_losses) for p in seen) == 2 and seen[-1].w == ()
