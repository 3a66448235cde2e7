"""Graph pane timings in a headless app: build + first render, and one navigation keypress.

Run: .venv/bin/python bench/graph.py [--repeats 5]

Prints medians (and p95 for keypresses) for graphs of 100, 1,000 and 10,000 nodes, in three
shapes: a loop of additions (folds into one chain node), alternating add/mul (nothing
folds, every node is a row) and a wide one (n/2 inputs stacked: one node with n/2 edges). Targets: first screen of a 10,000-node graph within 1 s; one
navigation keypress on it within 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("TUI_LAB_HOME", tempfile.mkdtemp(prefix="tui-lab-bench-"))

from tui_lab.core.workspace import Workspace  # noqa: E402
from tui_lab.ui.app import TuiLabApp  # noqa: E402
from tui_lab.ui.graph.view import GraphView  # noqa: E402

SIZES = (100, 1_000, 10_000)


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
        for label, name, key in (
            ("unbound key (pilot overhead)", "mixed10000", "f11"),
            ("'down' on mixed100", "mixed100", "down"),
            ("'down' on mixed10000", "mixed10000", "down"),
            ("'pagedown' on mixed10000", "mixed10000", "pagedown"),
        ):
            screen.inspect(name)  # type: ignore[attr-defined]
            await app.workers.wait_for_complete()
            await pilot.pause()
            view.focus()
            times = []
            for i in range(presses):
                if i % 50 == 49:
                    await pilot.press("home")
                start = time.perf_counter()
                await pilot.press(key)
                times.append(time.perf_counter() - start)
            results[label] = times
            assert app.screen is screen, f"{key!r} opened {app.screen!r}: pick a key nothing binds"
        base = statistics.median(results["unbound key (pilot overhead)"])
        for label, times in results.items():
            median = statistics.median(times)
            print(
                f"keypress {label:<30} median {median * 1000:6.1f} ms  p95 {_p95(times) * 1000:6.1f} ms  "
                f"minus overhead {max(0.0, median - base) * 1000:6.1f} ms"
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
