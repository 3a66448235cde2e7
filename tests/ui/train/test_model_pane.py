"""The Train pane beyond linear regression: a workspace model, and a run in several processes."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from textual.pilot import Pilot
from textual.widgets import Input, Static
from torch import nn

from tests.ui.train.helpers import ready_screen, settle, type_into
from tui_lab.core.train.outcome import RunStatus
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.form import ChoiceField, TrainForm
from tui_lab.ui.train.summary import TrainStats

MakeApp = Callable[..., TuiLabApp]


async def choose(pilot: Pilot[None], form: TrainForm, field: str, value: str) -> None:
    """Cycle a choice field with → until it shows ``value``."""
    widget = form.query_one(f"#field-{field}", ChoiceField)
    widget.focus()
    for _ in range(len(widget.choices)):
        if widget.value == value:
            return
        await pilot.press("right")
    assert widget.value == value


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))


async def test_an_mlp_from_the_workspace_trains_and_is_published_with_its_original_kept(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        net = mlp()
        app.workspace.publish("net", net, "repl")
        await pilot.pause()
        form = screen.form
        await choose(pilot, form, "impl", "model")
        assert not form.query_one("#row-model_name").has_class("-hidden")
        await type_into(pilot, form, "model_name", "n")
        field = form.query_one("#field-model_name", Input)
        for _ in range(50):  # the suggester answers in a worker
            await app.workers.wait_for_complete()
            await pilot.pause()
            if field._suggestion:
                break
        assert field._suggestion == "net"  # the form completes names of workspace modules
        await type_into(pilot, form, "model_name", "net")
        await type_into(pilot, form, "lr", "0.1")
        await type_into(pilot, form, "epochs", "10")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.FINISHED and record.epoch_losses[-1] < 1e-3
        trained = app.workspace["net"]
        assert isinstance(trained, nn.Module) and trained is not net and app.workspace["net_init"] is net
        assert "kept as net_init" in screen.query_one(TrainStats).plain


async def test_a_model_run_stops_mid_way(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first progress report waits at a gate until F7 has been pressed: the stop lands mid-run, whatever the speed."""
    from tui_lab.core.train.report import RunReporter

    reached, release = threading.Event(), threading.Event()
    real_report = RunReporter.report

    def gated_report(self: RunReporter, theta: Any = None, *, force: bool = False) -> None:
        if not reached.is_set() and self.losses.count:
            reached.set()
            release.wait(timeout=60)  # the bound only guards a hang
        real_report(self, theta, force=force)

    monkeypatch.setattr(RunReporter, "report", gated_report)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        app.workspace.publish("net", mlp(), "repl")
        await choose(pilot, screen.form, "impl", "model")
        await pilot.press("f6")
        for _ in range(2000):
            if reached.is_set():
                break
            await pilot.pause()
        assert reached.is_set()
        await pilot.press("f7")
        release.set()
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.STOPPED and record.message.startswith("stopped in epoch 1 at step")
        assert isinstance(app.workspace["net"], nn.Module) and "net_init" in app.workspace


async def test_a_mismatched_model_is_explained_and_nothing_starts(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        app.workspace.publish("wide", nn.Linear(3, 1), "repl")
        await choose(pilot, screen.form, "impl", "model")
        await type_into(pilot, screen.form, "model_name", "wide")
        await type_into(pilot, screen.form, "lr", "x")
        await pilot.press("f6")
        await pilot.pause()
        assert screen.records == [] and not screen.running
        model_error = str(screen.form.query_one("#error-model_name", Static).render())
        assert "X has 2 feature(s) per sample, but its first layer Linear(3, 1) expects 3" in model_error
        assert "not a number" in str(screen.form.query_one("#error-lr", Static).render())  # both in one round


def fake_launcher(tmp_path: Path) -> list[str]:
    """Stands in for ``tui-lab train --nproc-per-node 2``: a launcher with a second process, reporting forever."""
    progress = {
        "event": "progress", "epoch": 1, "epochs": 3, "step": 5, "steps_total": 150, "steps_per_epoch": 50,
        "new_step_losses": [1.0] * 5, "epoch_losses": [], "w": [1.0, -1.0], "b": 0.5, "elapsed": 0.1,
        "samples_per_s": 500.0, "eta": 3.0, "cuda_memory": None,
    }  # fmt: skip
    script = tmp_path / "launcher.py"
    script.write_text(
        "import json, os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(tmp_path / 'pids')!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "print(json.dumps({'event': 'start', 'world_size': 2}), flush=True)\n"
        f"while True:\n    print({json.dumps(progress)!r}, flush=True)\n    time.sleep(0.05)\n"
    )
    return [sys.executable, str(script)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"


async def test_a_two_process_run_draws_live_and_f7_leaves_no_process(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tui_lab.core.train import remote

    argv = fake_launcher(tmp_path)
    seen: list[list[str]] = []

    def fake_command(config: Any, device: str) -> list[str]:
        seen.append(remote.train_arguments(config, device))
        return argv

    monkeypatch.setattr(remote, "command", fake_command)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await type_into(pilot, screen.form, "processes", "2")
        await pilot.press("f6")
        for _ in range(2000):
            if screen.records and screen.records[-1].steps:
                break
            await pilot.pause()
        assert screen.records[-1].steps >= 5  # drawn live like any run
        assert "--nproc-per-node=2" in seen[0] and "--progress-jsonl" in seen[0]
        await pilot.press("f7")
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.STOPPED and "all 2 processes ended" in record.message
    launcher, rank = (int(p) for p in (tmp_path / "pids").read_text().split())
    assert not alive(launcher) and not alive(rank)
