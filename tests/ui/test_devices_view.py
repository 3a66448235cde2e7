"""The GPU in view: status bar and device picker on a faked two-GPU host and a faked CPU-only one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import OptionList

from tests.ui.conftest import NotificationRecorder
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.chrome import StatusBar
from tui_lab.ui.modals import PickerScreen

MakeApp = Callable[..., TuiLabApp]


async def _status(app: TuiLabApp, pilot: Any, wanted: str) -> str:
    """The status bar's text once it contains ``wanted`` (bounded by frames, not time)."""
    text = ""
    for _ in range(300):
        await pilot.pause()
        text = str(app.screen.query_one(StatusBar).build_text())
        if wanted in text:
            return text
    raise AssertionError(f"{wanted!r} never appeared in the status bar: {text!r}")


async def _picker_labels(app: TuiLabApp, pilot: Any) -> list[str]:
    await pilot.press("f12")
    for _ in range(100):
        await pilot.pause()
        if isinstance(app.screen, PickerScreen):
            break
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_two_gpu_host_shows_utilisation_memory_and_temperature(make_app: MakeApp, fake_gpu_host: Any) -> None:
    fake_gpu_host.cards[1].utilization = 88
    fake_gpu_host.cards[1].temperature = 67
    app = make_app(device="cuda:1")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await _status(app, pilot, "cuda:1")
        assert "NVIDIA H100" in text and "88%" in text and "67°C" in text and "GiB" in text
        fake_gpu_host.cards[1].utilization = 12  # the status bar follows the card about once a second
        await _status(app, pilot, "12%")
        labels = await _picker_labels(app, pilot)
        assert labels[0].startswith("cpu · 2 threads")
        assert [label.split(" · ")[0] for label in labels] == ["cpu", "cuda:0", "cuda:1"]
        assert f"{fake_gpu_host.cards[0].utilization}%" in labels[1] and "(current)" in labels[2]


async def test_cpu_only_host_degrades_silently(
    make_app: MakeApp, cpu_only_host: None, notes: NotificationRecorder
) -> None:
    app = make_app(device="cuda:0")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await _status(app, pilot, "cpu · 2 threads")
        assert "cuda" not in text
        assert any("Staying on cpu" in n.message for n in notes.notes)
        labels = await _picker_labels(app, pilot)
        assert labels == ["cpu · 2 threads  (current)"]
