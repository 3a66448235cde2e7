"""The book's cells pasted into the REPL pane: results and plots land in the log, a live Animator replaces itself."""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import pytest
import torch
from textual.pilot import Pilot

from tui_lab.core.repl.d2l import animator
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.blocks import LogBlock
from tui_lab.ui.repl.editor import ReplInput
from tui_lab.ui.repl.log import ReplLog
from tui_lab.ui.repl.screen import ReplScreen

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0] + "/tests/core/repl")
from test_d2l_book import CALCULUS_CELLS, SCRATCH_CELLS  # noqa: E402

from tests.ui.repl.helpers import next_number, wait_for_run  # noqa: E402
from tui_lab.core.repl import figures  # noqa: E402

AppFactory = Callable[..., TuiLabApp]


@pytest.fixture(autouse=True)
def fresh_d2l(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``d2l`` imported afresh, drawing text plots as without matplotlib (test_figures*.py cover matplotlib)."""
    monkeypatch.setattr(figures, "matplotlib_available", lambda: False)
    for name in [n for n in sys.modules if n.split(".")[0] in ("d2l", "matplotlib_inline")]:
        del sys.modules[name]
    yield
    for name in [n for n in sys.modules if n.split(".")[0] in ("d2l", "matplotlib_inline")]:
        del sys.modules[name]


def log_lines(app: TuiLabApp) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen.query_one("#repl-log", ReplLog).lines]


async def paste_and_run(pilot: Pilot[Any], cell: str) -> None:
    """Put ``cell`` in the input as a paste would, press Enter once (a pasted cell runs once it compiles) and wait."""
    number = next_number(pilot)
    editor = pilot.app.screen.query_one("#repl-input", ReplInput)
    editor.replace_text(cell)
    await pilot.press("enter")
    await wait_for_run(pilot, number)
    assert not editor.text.strip(), "the cell ran"


async def test_scratch_section_pasted_into_the_pane(make_app: AppFactory) -> None:
    torch.manual_seed(0)
    app = make_app(pane="repl")
    async with app.run_test(size=(120, 40)) as pilot:
        for cell in SCRATCH_CELLS:
            await paste_and_run(pilot, cell)
        lines = log_lines(app)
        text = "\n".join(lines)
        assert "%matplotlib inline: skipped" in text
        scatter_at = next(i for i, line in enumerate(lines) if "d2l.plt.scatter" in line)
        frame = [i for i, line in enumerate(lines) if "┌" in line and i > scatter_at]
        assert frame and frame[0] < next(i for i, line in enumerate(lines) if "def data_iter" in line), (
            "the scatter plot is drawn right below the cell that drew it"
        )
        log_width = app.screen.query_one("#repl-log", ReplLog).scrollable_content_region.width
        assert max(len(line) for line in lines[frame[0] : frame[0] + 10]) <= log_width
        assert [line.split(",")[0] for line in lines if line.startswith("epoch ")] == ["epoch 1", "epoch 2", "epoch 3"]
        assert "error in estimating w: tensor([" in text and "error in estimating b: tensor([" in text
        assert "Traceback" not in text


async def test_calculus_plot_fits_an_80_column_log(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        for cell in CALCULUS_CELLS:
            await paste_and_run(pilot, cell)
        lines = log_lines(app)
        log = app.screen.query_one("#repl-log", ReplLog)
        plot = [line for line in lines if "│" in line or "┌" in line or "└" in line]
        assert any("Tangent line (x=1)" in line for line in lines) and plot
        assert max(len(line) for line in plot) <= log.scrollable_content_region.width
        assert len(plot) <= log.size.height, "the picture fits the log's height"


async def test_animator_redraws_in_place_while_the_loop_runs(make_app: AppFactory, monkeypatch: Any) -> None:
    monkeypatch.setattr(animator, "FIRST_DRAW_AFTER", 0.0)
    monkeypatch.setattr(animator, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(animator, "DUTY", 1e12)
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await paste_and_run(pilot, "from d2l import torch as d2l")
        assert isinstance(app.screen, ReplScreen)
        frames: list[int] = []
        original = ReplLog.show

        def counting(self: ReplLog, key: Hashable, content: LogBlock) -> None:
            original(self, key, content)
            frames.append(sum(1 for strip in self.lines if "┌" in strip.text))

        monkeypatch.setattr(ReplLog, "show", counting)
        await paste_and_run(
            pilot,
            "animator = d2l.Animator(xlabel='epoch', legend=['loss'])\n"
            "for epoch in range(8):\n    animator.add(epoch + 1, 1 / (epoch + 1))\n",
        )
        assert len(frames) >= 2 and set(frames) == {1}, f"each redraw replaced the one picture: {frames}"
        lines = log_lines(app)
        assert sum(1 for line in lines if "┌" in line) == 1, "the final picture alone stays in the log"
        assert any("epoch" in line for line in lines)
