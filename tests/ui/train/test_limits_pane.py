"""The Train form refuses what cannot fit or overflows, beside the field, before anything is allocated."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from textual.widgets import Input, Static

from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.screen import TrainScreen

MakeApp = Callable[..., TuiLabApp]


async def test_a_run_too_large_for_memory_is_refused_at_the_n_field(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_lab.core.train import data as train_data
    from tui_lab.core.train import limits

    def never(*_args: object) -> None:
        raise AssertionError("the data was made although it cannot fit")

    monkeypatch.setattr(limits, "free_ram", lambda: 4 * 2**30)
    monkeypatch.setattr(train_data, "synthetic_data", never)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.torch_ready:
                break
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        field = screen.form.query_one("#field-n", Input)
        field.focus()
        await pilot.press("ctrl+u", *"1e9", "f6")
        await pilot.pause()
        message = str(screen.form.query_one("#error-n", Static).render())
        assert "needs about 22.4 GiB on cpu" in message and "only 4 GiB is free" in message
        assert screen.records == [] and not screen.running


async def test_workspace_data_beyond_float32_is_called_data_overflow(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.torch_ready:
                break
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        app.workspace.publish_many(
            {"X": torch.ones(4, 1), "y": torch.tensor([1.0, 2.0, 3.0, 1e300], dtype=torch.float64)}, "data"
        )
        screen.form.set_value("data", "workspace")
        await pilot.press("f6")
        for _ in range(200):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not screen.running:
                break
        message = str(screen.form.query_one("#error-y_name", Static).render())
        assert "data overflow" in message and "learning rate" not in message
        assert screen.records == []
