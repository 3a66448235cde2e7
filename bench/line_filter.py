"""What the control filter (tui_lab.ui.textual_adapter.ControlFilter) costs per frame.

A frame here is every line of every widget on screen rendered afresh (each widget refreshed, then
its lines rendered through the app's line filters), which is the part of a frame the filter
touches, and more than a real frame renders: Textual repaints only changed lines, and a line
already filtered comes from a cache. The Data pane shows a 2,000-row table at 120×40, once with
plain cells and once with every cell holding ESC sequences (the filter's worst case: every line
rewritten). Each round renders a frame without the filter, then one with it, on the same app, so
machine noise hits both. A busy machine moves the
frame figures by more than the filter costs; the per-line figure (the best of 15 repeats, beside
Textual's own NO_COLOR filter on the same line) is the steady one.

    python bench/line_filter.py [--rounds 40]

Target: the median frame with the filter within a few per cent (well under a millisecond) of
the one without.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import timeit
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import LineFilter, Monochrome
from textual.geometry import Region
from textual.widget import Widget

from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.textual_adapter import ControlFilter


class Toggled(TuiLabApp):
    """tui-lab whose control filter can be switched off (``control = False``: Textual's filters only)."""

    control = True

    def get_line_filters(self) -> Sequence[LineFilter]:
        return super().get_line_filters() if self.control else App.get_line_filters(self)


def write_table(folder: Path, hostile: bool) -> Path:
    cell = "\x1b]52;c;UFdORUQ=\x1b\\x\x1b[2J" if hostile else "plain value"
    frame = pd.DataFrame({f"col{i}": [f"{cell}{row}" for row in range(2_000)] for i in range(12)})
    path = folder / ("hostile.csv" if hostile else "plain.csv")
    frame.to_csv(path, index=False)
    return path


def frame_ms(app: App[None]) -> float:
    """Milliseconds to render every line of every visible widget afresh."""
    widgets = [w for w in app.screen.walk_children(Widget) if w.display and w.region.area]
    for widget in widgets:
        widget.refresh()
    start = time.perf_counter()
    for widget in widgets:
        widget.render_lines(Region(0, 0, *widget.region.size))
    return (time.perf_counter() - start) * 1_000


async def measure(csv: Path, workspace: Workspace, rounds: int) -> tuple[list[float], list[float]]:
    """Frame times without and with the filter, taken in adjacent pairs on one app."""
    app = Toggled(csv_path=str(csv), pane="data", workspace=workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if getattr(app.screen, "pipeline", None) is not None:
                break
        without, with_filter = [], []
        for _ in range(rounds):
            app.control = False
            without.append(frame_ms(app))
            app.control = True
            with_filter.append(frame_ms(app))
        return without, with_filter


def line_us(line_filter: LineFilter) -> float:
    """Microseconds to filter one clean 30-segment line (best of 15 repeats)."""
    line = [Segment(f"cell {i:5d} ", Style(bold=i % 2 == 0, color="red")) for i in range(30)]
    black, number = Color(0, 0, 0), 5_000
    return min(timeit.repeat(lambda: line_filter.apply(line, black), number=number, repeat=15)) / number * 1e6


async def main(rounds: int) -> None:
    print(
        f"one line of 30 segments: {line_us(ControlFilter()):.1f} µs (Textual's NO_COLOR filter: {line_us(Monochrome()):.1f} µs)"
    )
    workspace = Workspace()
    workspace.load_preloads()
    with tempfile.TemporaryDirectory() as folder:
        for hostile in (False, True):
            without, with_filter = await measure(write_table(Path(folder), hostile), workspace, rounds)
            a, b = statistics.median(without), statistics.median(with_filter)
            pairs = statistics.median(y - x for x, y in zip(without, with_filter, strict=True))
            kind = "hostile cells" if hostile else "plain cells  "
            print(
                f"{kind}: median frame {a:6.2f} ms without the filter, {b:6.2f} ms with it "
                f"(median of the paired differences {pairs:+.2f} ms)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
