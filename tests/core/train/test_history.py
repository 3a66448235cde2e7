"""Run history: smoothing, downsampling bounded by the plot width, CSV and JSON export."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from tests.train_fit import fit_of
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import BucketedSeries, RunRecord, downsample, moving_average, runs_to_csv, runs_to_json
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.train.runner import run


def test_moving_average_is_a_trailing_mean() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    assert moving_average(values, 2).tolist() == [1.0, 1.5, 2.5, 3.5]
    assert moving_average(values, 1).tolist() == values.tolist()


def test_downsample_bounds_points_and_keeps_the_mean() -> None:
    x = np.arange(100_000, dtype=np.float64)
    y = np.random.default_rng(0).random(100_000)
    dx, dy = downsample(x, y, 160)
    assert len(dx) == len(dy) == 160
    assert abs(dy.mean() - y.mean()) < 1e-3
    assert downsample(x[:10], y[:10], 160)[1].tolist() == y[:10].tolist()


def test_bucketed_series_is_exact_and_bounded() -> None:
    values = np.random.default_rng(1).random(10_001)
    series = BucketedSeries(10_001, resolution=100)
    for chunk in np.array_split(values, 37):
        series.extend(chunk)
    steps, means = series.points()
    assert series.bucket == 101 and len(means) == 100 and series.count == 10_001
    assert np.isclose(means[0], values[:101].mean()) and np.isclose(means[-1], values[99 * 101 :].mean())
    assert np.isclose(steps[0], 51.0)


def test_record_curves_grow_with_progress_and_end_with_the_result() -> None:
    record = RunRecord(1, TrainConfig(n=100, epochs=2), status=RunStatus.RUNNING)
    record.add_steps(np.array([4.0, 3.0]), steps_per_epoch=10)
    record.add_steps(np.array([2.0]), steps_per_epoch=10)
    assert record.steps == 3
    x, y = record.step_curve(100)
    assert np.allclose(x, [0.1, 0.2, 0.3]) and np.allclose(y, [4.0, 3.0, 2.0])  # too short to smooth
    result = run(TrainConfig(n=100, epochs=2))
    record.finish(result)
    assert record.status is RunStatus.FINISHED and record.steps == 20
    assert record.epoch_curve() == ([1.0, 2.0], list(result.epoch_losses))
    assert record.label.startswith("#1 concise sgd")


def test_exports_are_tidy_csv_and_json() -> None:
    records = []
    for run_id, lr in ((1, 0.03), (2, 100.0)):
        record = RunRecord(run_id, TrainConfig(lr=lr, n=1000, epochs=2))
        record.finish(run(record.config))
        records.append(record)
    rows = list(csv.DictReader(io.StringIO(runs_to_csv(records))))
    assert [r["run"] for r in rows] == ["1", "1", "2"]  # the diverged run keeps one row, without epochs
    assert rows[2]["status"] == "diverged" and rows[2]["epoch"] == ""
    assert float(rows[1]["loss"]) < 0.01 and float(rows[0]["w_error_max"]) < 0.05
    document = json.loads(runs_to_json(records))
    assert [r["status"] for r in document["runs"]] == ["finished", "diverged"]
    assert document["runs"][0]["closed_form"]["w"][0] == (fit_of(records[0].result).closed_w or ())[0]


def test_loss_buffer_is_exact_below_its_cap_and_bounded_beyond() -> None:
    from tui_lab.core.train.history import LossBuffer

    values = np.random.default_rng(2).random(1000)
    exact = LossBuffer(cap=1024)
    exact.extend(values)
    assert exact.bucket == 1 and np.allclose(exact.values(), values)
    bounded = LossBuffer(cap=64)
    for chunk in np.array_split(values, 13):
        bounded.extend(chunk)
    kept = bounded.values()
    assert bounded.count == 1000 and bounded.bucket == 16 and len(kept) <= 65
    assert int(bounded.weights().sum()) == 1000
    assert np.allclose(kept, [values[i : i + 16].mean() for i in range(0, 1000, 16)], atol=1e-6)
    assert kept.dtype == np.float32 and bounded.nbytes == 64 * 4


def test_loss_buffer_hands_out_new_values_once() -> None:
    from tui_lab.core.train.history import LossBuffer

    buffer = LossBuffer(cap=4, track_new=True)
    buffer.extend([1.0, 2.0, 3.0])
    assert buffer.take_new().tolist() == [1.0, 2.0, 3.0]
    buffer.extend([4.0, 5.0, 6.0])
    assert buffer.take_new().tolist() == [4.0, 5.0, 6.0] and buffer.take_new().tolist() == []
    assert np.allclose(buffer.values(), [1.5, 3.5, 5.5])


def test_a_long_run_keeps_a_bounded_history() -> None:
    """5M steps of losses (the issue's 5M-step run) take at most LOSS_CAP float32 in the result's buffer."""
    from tui_lab.core.train.history import LOSS_CAP, LossBuffer

    buffer = LossBuffer()
    for _ in range(50):
        buffer.extend(np.ones(100_000))
    assert buffer.count == 5_000_000 and len(buffer.values()) <= LOSS_CAP + 1
    record = RunRecord(1, TrainConfig(n=1_000_000, batch_size=10, epochs=50), status=RunStatus.RUNNING)
    for _ in range(50):
        record.add_steps(np.ones(100_000), 100_000)
    assert record.steps == 5_000_000 and len(record.step_curve(10_000)[1]) <= 4096


def test_a_workspace_model_run_exports_as_strict_json_and_csv() -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    space = {"net": nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))}
    record = RunRecord(1, TrainConfig(impl="model", epochs=1))
    record.finish(run(record.config, lookup=lambda name, default: space.get(name, default)))

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON export")

    document = json.loads(runs_to_json([record]), parse_constant=refuse)
    assert document["runs"][0]["w"] == [] and document["runs"][0]["b"] is None
    rows = list(csv.DictReader(io.StringIO(runs_to_csv([record]))))
    assert rows[0]["b"] == "" and rows[0]["impl"] == "model"


def test_a_finished_runs_bucketed_curve_is_kept_as_means_never_expanded_to_steps() -> None:
    """A restored run's curve used to be ``np.repeat``-ed back to steps: a session claiming buckets of 10**12
    steps asked for terabytes (and 2**62 crashed the process with SIGSEGV inside numpy)."""
    import dataclasses

    config = TrainConfig(n=100, epochs=2)
    result = run(config)
    means = np.linspace(3.0, 1.0, 4096)
    claimed = dataclasses.replace(result, step_losses=means, step_bucket=10**12, steps_per_epoch=2048 * 10**12)
    record = RunRecord(1, config, status=RunStatus.RUNNING)
    record.finish(claimed)
    x, y = record.step_curve(100)
    assert len(x) == len(y) <= 100 and np.all(np.diff(x) > 0)
    assert y[0] > y[-1] and 1.0 <= y.min() and y.max() <= 3.0
    assert 0.0 < x[0] and x[-1] <= 2.0  # in epochs: the curve spans the run
