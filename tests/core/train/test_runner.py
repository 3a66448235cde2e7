"""The runner and the four implementations: convergence, agreement, the guard, stopping, progress."""

from __future__ import annotations

import math

import pytest
import torch

from tests.core.train.pacing import ManualClock, count_steps
from tests.train_fit import fit_of
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset
from tui_lab.core.train.guard import divergence_message, explain_failure, first_bad
from tui_lab.core.train.impls import ConciseEngine, ManualEngine, ScratchEngine, augment, closed_form
from tui_lab.core.train.outcome import Progress, RunStatus
from tui_lab.core.train.runner import run


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual", "closed"])
def test_defaults_learn_w_and_b_to_within_0_01(impl: str) -> None:
    result = run(TrainConfig(impl=impl))
    assert result.status is RunStatus.FINISHED
    w_error, b_error = fit_of(result).w_error, fit_of(result).b_error
    assert w_error is not None and b_error is not None
    assert max(abs(e) for e in w_error) < 0.01 and abs(b_error) < 0.01
    assert result.final_loss is not None and result.final_loss < 1e-3


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_manual_gradient_matches_autograd_and_torch_optim(optimizer: str, loss: str) -> None:
    config = TrainConfig(optimizer=optimizer, loss=loss, n=200, epochs=2, lr=0.01)
    manual = run(config.with_changes(impl="manual"))
    concise = run(config.with_changes(impl="concise"))
    assert fit_of(manual).w == pytest.approx(fit_of(concise).w, abs=1e-4)
    assert fit_of(manual).b == pytest.approx(fit_of(concise).b, abs=1e-4)
    assert manual.epoch_losses == pytest.approx(concise.epoch_losses, rel=1e-3)


def test_manual_step_is_the_derived_gradient() -> None:
    config = TrainConfig(impl="manual", lr=0.1, init_std=1.0, seed=3)
    X, y = torch.randn(8, 2), torch.randn(8)
    engine = ManualEngine(config, 2, "cpu")
    theta = engine.flat().requires_grad_(True)
    loss = ((augment(X) @ theta - y) ** 2).mean()
    loss.backward()
    assert theta.grad is not None
    expected = theta.detach() - 0.1 * theta.grad
    losses, hist = torch.zeros(1), torch.zeros(3, 3)
    engine.begin_chunk(hist)
    engine.step(0, augment(X), y, losses, hist)
    engine.end_chunk(hist, 1)
    assert torch.allclose(engine.flat(), expected, atol=1e-6)
    assert losses[0].item() / 8 == pytest.approx(loss.item(), rel=1e-5)
    assert torch.equal(hist[1], theta.detach())  # θ before the update is kept for the guard


def test_scratch_follows_the_course_halved_loss() -> None:
    """The course's squared_loss is ½e² and sgd divides by the batch: half concise's step at equal lr."""
    scratch = run(TrainConfig(impl="scratch", lr=0.06, n=300, epochs=1))
    concise = run(TrainConfig(impl="concise", lr=0.03, n=300, epochs=1))
    assert fit_of(scratch).w == pytest.approx(fit_of(concise).w, abs=1e-4)
    assert scratch.epoch_losses[0] == pytest.approx(concise.epoch_losses[0], rel=1e-3)


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_lr_100_diverges_and_keeps_the_last_good_parameters(impl: str) -> None:
    result = run(TrainConfig(impl=impl, lr=100))
    assert result.status is RunStatus.DIVERGED
    assert result.diverged_at is not None
    epoch, step = result.diverged_at
    assert result.message == divergence_message(epoch, step)
    assert "try a smaller learning rate" in result.message
    assert all(math.isfinite(v) for v in (*fit_of(result).w, fit_of(result).b))
    assert all(math.isfinite(v) and v < 1e4 * result.initial_loss for v in result.step_losses)
    w = result.artifacts["w"]
    assert isinstance(w, torch.Tensor) and torch.isfinite(w).all()


def test_guard_finds_nan_and_blowups() -> None:
    assert first_bad([1.0, 2.0, float("nan")], 10.0) == 2
    assert first_bad([1.0, 11.0], 10.0) == 1
    assert first_bad([1.0, float("inf")], 10.0) == 1
    assert first_bad([1.0, 2.0], 10.0) is None


def test_stop_takes_effect_within_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = count_steps(monkeypatch, "scratch")
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1 if steps else 0  # the polls after the first step (preparing polls too, every 10 ms)
        return bool(steps)

    result = run(TrainConfig(impl="scratch", n=100_000, epochs=5), should_stop=stop)
    assert result.status is RunStatus.STOPPED and calls == 1
    assert len(result.step_losses) <= 256
    w = result.artifacts["w"]
    assert isinstance(w, torch.Tensor) and w.shape == (2,)


def test_progress_is_throttled_and_complete() -> None:
    seen: list[Progress] = []
    result = run(TrainConfig(impl="manual", n=20_000, epochs=2), on_progress=seen.append, progress_interval=3600)
    assert len(seen) <= 3  # the clock never allows more than the first tick and the final report
    everything = run(TrainConfig(impl="manual", n=20_000, epochs=2), on_progress=seen.append, progress_interval=0)
    steps = sum(len(p.new_step_losses) for p in seen)
    epochs = sum(len(p.epoch_losses) for p in seen)
    assert steps == len(result.step_losses) + len(everything.step_losses)
    assert epochs == 4
    last = seen[-1]
    assert last.step == last.steps_total == 4000 and last.eta == 0 and last.samples_per_s > 0


def test_batch_larger_than_n_is_one_batch_per_epoch() -> None:
    result = run(TrainConfig(impl="manual", n=50, batch_size=1000, epochs=4, lr=0.3))
    assert result.steps_per_epoch == 1 and len(result.step_losses) == 4 and result.samples == 200


def test_uneven_last_batch_is_used() -> None:
    result = run(TrainConfig(impl="concise", n=25, batch_size=10, epochs=1))
    assert result.steps_per_epoch == 3 and result.samples == 25


def test_closed_form_matches_lstsq_and_reports_one_loss() -> None:
    result = run(TrainConfig(impl="closed", n=5000))
    assert result.status is RunStatus.FINISHED and len(result.epoch_losses) == 1
    assert fit_of(result).w == pytest.approx((2.0, -3.4), abs=1e-3) and fit_of(result).closed_w == fit_of(result).w
    assert result.final_loss == pytest.approx(1e-4, rel=0.2)


def test_closed_form_handles_collinear_columns() -> None:
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # one-hot columns sum to the bias column
    theta = closed_form(X, torch.tensor([3.0, 5.0, 3.0]))
    assert torch.allclose(augment(X) @ theta, torch.tensor([3.0, 5.0, 3.0]), atol=1e-4)


def test_workspace_data_has_no_errors() -> None:
    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    y = X @ torch.tensor([1.0, 2.0, 3.0]) + 0.5
    data = Dataset(X, y, None, None, "workspace")
    result = run(TrainConfig(impl="manual", lr=0.1, epochs=20, data="workspace"), dataset=data)
    assert fit_of(result).w_error is None and fit_of(result).b_error is None
    assert fit_of(result).w == pytest.approx((1.0, 2.0, 3.0), abs=1e-3)


def test_publishes_net_only_for_concise() -> None:
    assert isinstance(run(TrainConfig(n=30, epochs=1)).artifacts["net"], torch.nn.Module)
    assert "net" not in run(TrainConfig(impl="manual", n=30, epochs=1)).artifacts


def test_unknown_device_is_refused_before_training() -> None:
    from tui_lab.core.devices import DeviceError

    with pytest.raises(DeviceError):
        run(TrainConfig(), "cuda:7" if not torch.cuda.is_available() else "cuda:99")


def test_failures_are_explained() -> None:
    oom = explain_failure(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"), "cuda:0")
    assert "CUDA out of memory on cuda:0" in oom and "smaller" in oom
    assert explain_failure(RuntimeError("boom\nmore"), "cpu") == "training failed on cpu: boom"


def test_engines_share_the_initialisation() -> None:
    config = TrainConfig(init_std=0.5, seed=7)
    flats = [engine(config, 2, "cpu").flat() for engine in (ScratchEngine, ConciseEngine, ManualEngine)]
    assert all(torch.equal(flats[0], f) for f in flats[1:])


def test_slow_chunks_shrink_without_changing_the_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrainConfig(impl="manual", optimizer="momentum", n=3000, epochs=2)
    reference = run(config, clock=ManualClock())  # a clock that stands still: chunks grow to 256 steps
    clock = ManualClock()
    steps = count_steps(monkeypatch, "manual", clock, seconds_per_step=1.0)  # every step over budget: chunks of 1
    shrunk = run(config, clock=clock)
    assert reference.chunks == 11 and steps == [1] * 600 and shrunk.chunks == 600
    assert fit_of(shrunk).w == fit_of(reference).w and shrunk.epoch_losses == reference.epoch_losses


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
@pytest.mark.parametrize("csv", ["house_tiny.csv", "housing.csv"])
def test_raw_house_prices_train_or_stop_with_the_guards_message(impl: str, csv: str) -> None:
    """The Data pane's X, y from the sample CSVs, prices unscaled, at lr 0.03: never NaN, never a crash."""
    from pathlib import Path

    import pandas as pd

    from tui_lab.core.data.tensors import to_tensors

    frame = pd.read_csv(Path(__file__).resolve().parents[3] / "sample_data" / csv)
    frame = pd.get_dummies(frame.fillna(frame.mean(numeric_only=True)), dummy_na=True, dtype="float64")
    tensors = to_tensors(frame, ["Price"]).tensors
    config = TrainConfig(impl=impl, data="workspace", x_name="X", y_name="y", lr=0.03, batch_size=10, epochs=3)
    result = run(config, lookup=tensors.get)
    assert result.status in (RunStatus.FINISHED, RunStatus.DIVERGED)
    fit = fit_of(result)
    assert all(math.isfinite(v) for v in (*fit.w, fit.b, *result.step_losses, *result.epoch_losses))
    assert fit_of(result).w_error is None  # no truth for workspace data: the pane shows "n/a"
    if result.status is RunStatus.DIVERGED:
        assert result.diverged_at is not None
        assert result.message == divergence_message(*result.diverged_at)
    if csv == "housing.csv":  # 29 unscaled columns (LotArea ~1e4): the first SGD step overshoots
        assert result.status is RunStatus.DIVERGED and result.diverged_at == (1, 2)
    else:  # four rows, three columns: lr 0.03 still shrinks the loss
        assert result.status is RunStatus.FINISHED and result.epoch_losses[-1] < result.initial_loss
