"""Snapshots of the Graph pane in use: the course's y = 2⟨x, x⟩ after backward, two steps into the walk.

At 80×24 (info panel below the graph) and 120×40 (beside it). The device line is pinned by a
fixture, so a GPU host draws the same picture. Update after an intended change with
``pytest tests/ui/graph/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp

DOT = "x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x)"


@pytest.fixture(autouse=True)
def hermetic_device(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The status bar's device text and thread count come from here, not from the host."""
    monkeypatch.setattr("tui_lab.ui.app.device_status_label", lambda device: f"{device} · 2 threads")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


async def _backward_then_walk(pilot: Any) -> None:
    app = pilot.app
    await pilot.pause()
    field = app.screen.query_one("#graph-input")
    field.focus()
    field.value = DOT
    await pilot.press("enter")
    for key in ("f10", "ctrl+t", "ctrl+t"):  # backward(retain_graph=True), then two steps
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(key)
    await app.workers.wait_for_complete()
    await pilot.pause()
    field.value = ""  # the cursor's blink is not part of the picture
    app.screen.query_one("#graph-view").focus()
    await pilot.pause()


def _app() -> TuiLabApp:
    workspace = Workspace()
    workspace.load_preloads()
    return TuiLabApp(pane="graph", workspace=workspace)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_graph_after_backward_with_a_walk(size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(_app(), run_before=_backward_then_walk, terminal_size=size)
