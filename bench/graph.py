"""Graph pane timings in a headless app: build + first render, and one navigation keypress.

Run: .venv/bin/python bench/graph.py [--repeats 5]

Prints medians (and p95 for keypresses) for graphs of 100, 1,000 and 10,000 nodes, in three
shapes: a loop of additions (folds into one chain node), alternating add/mul (nothing
folds, every node is a row) and a wide one (n/2 inputs stacked: one node with n/2 edges).
Targets: first screen of a 10,000-node graph within 1 s; one navigation keypress on it
within 16 ms (one frame) beyond Pilot's own overhead (a key nothing binds).

For each keypress it also says where the time goes: how many frames the press drew (screen
compositor refreshes), the milliseconds spent composing them, and how many graph rows were
drawn (``GraphView.render_line``) with their milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TUI_LAB_HOME", tempfile.mkdtemp(prefix="tui-lab-bench-"))

from tui_lab.core.workspace import Workspace  # noqa: E402
from tui_lab.ui.app import TuiLabApp  # noqa: E402
from tui_lab.ui.graph.view import GraphView  # noqa: E402

SIZES = (100, 1_000, 10_000)

#: A key nothing binds in the Graph pane (Pilot's own overhead per press).
UNBOUND = "f24"

#: Frames, compositor seconds, graph rows drawn and their seconds since the last reset.
COSTS: dict[str, float] = {}


def _instrument() -> None:
    """Count frames and rows: wrap the screen's compositor refresh and the graph's render_line."""
    from textual.screen import Screen

    def timed(owner: Any, name: str, count: str, seconds: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                COSTS[count] = COSTS.get(count, 0.0) + 1
                COSTS[seconds] = COSTS.get(seconds, 0.0) + time.perf_counter() - start

        setattr(owner, name, wrapper)

    timed(Screen, "_compositor_refresh", "frames", "frame_s")
    timed(GraphView, "render_line", "rows", "row_s")


def _make_graphs(workspace: Workspace) -> None:
    """Tensors whose graphs have about n nodes, bound in the workspace."""
    import torch

    x = torch.ones(3, requires_grad=True)
    workspace.namespace["x"] = x
    for n in SIZES:
        y = x
        for _ in range(n):
            y = y + x
        workspace.namespace[f"chain{n}"] = y
        y = x
        for i in range(n):
            y = y + 1 if i % 2 else y * 1.5
        workspace.namespace[f"mixed{n}"] = y
        v = torch.ones(n // 2, requires_grad=True)
        workspace.namespace[f"wide{n}"] = torch.stack([v[i] * 2 for i in range(n // 2)]).sum()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def _bench(repeats: int, presses: int) -> None:
    _instrument()
    workspace = Workspace()
    workspace.load_preloads()
    _make_graphs(workspace)
    app = TuiLabApp(pane="graph", workspace=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.query_one(GraphView)
        print(f"{'graph':<14}{'nodes':>8}{'rows':>8}{'median s':>11}{'max s':>9}")
        for shape in ("chain", "mixed", "wide"):
            for n in SIZES:
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    screen.inspect(f"{shape}{n}")  # type: ignore[attr-defined]
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    times.append(time.perf_counter() - start)
                assert view.model is not None and view.model.layout is not None
                rows = len(view.model.layout)
                print(
                    f"{shape + str(n):<14}{len(view.model.graph):>8}{rows:>8}{statistics.median(times):>11.3f}{max(times):>9.3f}"
                )
        view.focus()
        await pilot.pause()
        results: dict[str, list[float]] = {}
        costs: dict[str, Counter[str]] = {}  # totals over the presses
        for label, name, key in (
            ("unbound key (pilot overhead)", "mixed10000", UNBOUND),
            ("'down' on mixed100", "mixed100", "down"),
            ("'down' on mixed10000", "mixed10000", "down"),
            ("'pagedown' on mixed10000", "mixed10000", "pagedown"),
        ):
            screen.inspect(name)  # type: ignore[attr-defined]
            await app.workers.wait_for_complete()
            await pilot.pause()
            view.focus()
            await pilot.pause()
            times = []
            spent: Counter[str] = Counter()
            for i in range(presses):
                if i % 50 == 49:
                    await pilot.press("home")
                COSTS.clear()
                start = time.perf_counter()
                await pilot.press(key)
                times.append(time.perf_counter() - start)
                spent.update(COSTS)
            results[label] = times
            costs[label] = spent
            assert app.screen is screen, f"{key!r} opened {app.screen!r}: pick a key nothing binds"
        base = statistics.median(results["unbound key (pilot overhead)"])
        for label, times in results.items():
            median = statistics.median(times)
            spent = costs[label]
            print(
                f"keypress {label:<30} median {median * 1000:6.1f} ms  p95 {_p95(times) * 1000:6.1f} ms  "
                f"minus overhead {max(0.0, median - base) * 1000:6.1f} ms"
            )
            print(
                f"    per press: {spent['frames'] / presses:.1f} frame(s) composed in "
                f"{spent['frame_s'] / presses * 1000:5.1f} ms, {spent['rows'] / presses:4.1f} graph row(s) drawn in "
                f"{spent['row_s'] / presses * 1000:5.1f} ms"
            )
        small, large = (
            statistics.median(results["'down' on mixed100"]),
            statistics.median(results["'down' on mixed10000"]),
        )
        print(f"ratio 'down' mixed10000 / mixed100: {large / small:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(_bench(args.repeats, args.presses))


if __name__ == "__main__":
    main()
