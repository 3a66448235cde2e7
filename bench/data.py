"""Data pane figures on a 1,000,000 × 12 CSV, each beside the same job done with pandas alone.

Generates (once) ``bench/out/data_1m.csv``: 4 float columns with ~5% NaN, 5 int columns, a
10-category text column with NaN, a date column and a float target. Then prints medians:

1. ``tui-lab FILE`` (headless, a fresh process each run) until the first frame shows rows,
   and until the whole file is loaded: wall time and peak RSS. pandas alone: a fresh process
   that imports pandas and runs ``pd.read_csv``. Targets: ≤ 2.0 s and ≤ 0.5 GiB.
2. End (jump to the last row) and redraw the visible lines. Target: ≤ 50 ms.
3. fill mean → one-hot → float32 tensors through the pipeline, against the course's
   ``df.values`` path and a hand-written ``to_numpy`` path. Target: ≤ 0.5 s.
4. Export the table as CSV: the pane's chunked, cancellable, atomic write against one
   ``to_csv``; and how long a cancel (Esc, ctrl+q) takes to stop it. Target: cancel ≤ 1 s.

    python bench/data.py [--runs 5] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"

#: Peak RSS of this process alone. ``getrusage`` is no good here: Linux carries ``ru_maxrss`` over
#: ``exec`` (a child forked from this big bench process starts with the bench's peak), and
#: RUSAGE_CHILDREN is the largest child so far. ``VmHWM`` is the high-water mark of this image.
PEAK_RSS = """
def peak_rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""

APP_RUN = (
    PEAK_RSS
    + """
import sys, time
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.data.grid import DataGrid

class Timed(TuiLabApp):
    def on_ready(self):  # TuiLabApp.on_ready runs as well: Textual calls every class's handler
        self.shown = False
        self.set_interval(0.005, self._poll)
    def _poll(self):
        grids = self.screen.query(DataGrid)
        grid = grids.first() if grids else None
        if grid is None or not grid.row_count:
            return
        if not self.shown:
            self.shown = True
            self.call_after_refresh(self._report, "ROWS", grid.row_count)
        screen = grid.screen
        if getattr(screen, "pipeline", None) is not None:
            self._report("LOADED", grid.row_count)
            self.exit()
    def _report(self, what, rows):
        print(what, time.time(), peak_rss(), rows, flush=True)

Timed(csv_path=sys.argv[1], pane="data").run(headless=True, size=(120, 40))
"""
)

PANDAS_RUN = (
    PEAK_RSS
    + """
import sys, time
import pandas as pd
frame = pd.read_csv(sys.argv[1])
print("LOADED", time.time(), peak_rss(), len(frame), flush=True)
"""
)


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    """The bench file: floats with NaN, ints, a 10-category text column with NaN, dates, a target."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(4):
        values = rng.normal(100 * i, 10 + i, rows).round(4)
        values[rng.random(rows) < 0.05] = np.nan
        columns[f"f{i}"] = values
    for i in range(5):
        columns[f"i{i}"] = rng.integers(0, 10 ** (i + 2), rows)
    categories = np.array([f"cat{k}" for k in range(10)], dtype=object)
    text = categories[rng.integers(0, 10, rows)]
    text[rng.random(rows) < 0.05] = None
    columns["category"] = text
    columns["date"] = (np.datetime64("2020-01-01") + rng.integers(0, 2000, rows)).astype("datetime64[D]").astype(str)
    columns["target"] = rng.normal(0, 1, rows).round(5)
    tmp = path.with_suffix(".tmp")
    pd.DataFrame(columns).to_csv(tmp, index=False)
    os.replace(tmp, path)


def run_child(script: str, path: Path) -> dict[str, tuple[float, int]]:
    """Run a child process; returns {marker: (seconds since spawn, peak RSS bytes)}."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(script)
    with tempfile.TemporaryDirectory(prefix="bench-data-") as home:
        env = dict(os.environ, TUI_LAB_HOME=home)
        start = time.time()
        result = subprocess.run([sys.executable, handle.name, str(path)], capture_output=True, text=True, env=env)
    os.unlink(handle.name)
    marks = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in ("ROWS", "LOADED"):
            marks[parts[0]] = (float(parts[1]) - start, int(parts[2]))
    if "LOADED" not in marks:
        raise RuntimeError(f"child failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return marks


def summary(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(values) * scale:8.3f} {unit}  p95 {p95 * scale:8.3f} {unit}  (n={len(values)})"


def bench_startup(path: Path, runs: int) -> None:
    print("\n1. whole process: spawn → first frame with rows / whole file loaded (headless, 120×40)")
    app_rows, app_rows_rss, app_loaded, app_rss, pandas_time, pandas_rss = [], [], [], [], [], []
    for _ in range(runs):  # alternate so machine noise hits both
        marks = run_child(APP_RUN, path)
        app_rows.append(marks.get("ROWS", marks["LOADED"])[0])
        app_rows_rss.append(marks.get("ROWS", marks["LOADED"])[1] / 2**30)
        app_loaded.append(marks["LOADED"][0])
        app_rss.append(marks["LOADED"][1] / 2**30)
        plain = run_child(PANDAS_RUN, path)
        pandas_time.append(plain["LOADED"][0])
        pandas_rss.append(plain["LOADED"][1] / 2**30)
    print(f"   tui-lab first rows on screen   {summary(app_rows)}   target ≤ 2.0 s")
    print(f"   tui-lab peak RSS at first rows {summary(app_rows_rss, 'GiB')}   target ≤ 0.5 GiB")
    print(f"   tui-lab whole file loaded      {summary(app_loaded)}")
    print(f"   tui-lab peak RSS, whole file   {summary(app_rss, 'GiB')}")
    print(f"   pandas alone: import+read_csv  {summary(pandas_time)}")
    print(f"   pandas alone: peak RSS         {summary(pandas_rss, 'GiB')}")
    ratio = statistics.median(app_loaded) / statistics.median(pandas_time)
    print(f"   ratio tui-lab loaded / pandas alone: {ratio:.2f}×")


async def _pilot_end(path: Path, runs: int) -> list[float]:
    """Press End and wait for the refresh, on any file: the Pilot round trip alone."""
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.data.screen import DataScreen

    app = TuiLabApp(csv_path=str(path), pane="data")
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, DataScreen))
        while screen.pipeline is None:
            await pilot.pause(0.05)
        for _ in range(runs):
            await pilot.press("home")
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("end")
            await pilot.pause()
            out.append(time.perf_counter() - start)
    return out


async def _jump(path: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    from tui_lab.core.workspace import Workspace
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.data.screen import DataScreen

    workspace = Workspace()
    app = TuiLabApp(csv_path=str(path), pane="data", workspace=workspace)
    redraw, roundtrip, pandas_view = [], [], []
    frame: pd.DataFrame | None = None
    async with app.run_test(size=(120, 40)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, DataScreen))
        while screen.pipeline is None:
            await pilot.pause(0.05)
        await pilot.pause()
        grid = screen.grid
        frame = screen.pipeline.frame
        height = grid.scrollable_content_region.height
        for _ in range(runs):
            grid.action_first_row()
            await pilot.pause()
            grid._blocks.clear()  # cold cache: the last rows were never formatted
            start = time.perf_counter()
            grid.action_last_row()
            lines = [grid.render_line(y) for y in range(height)]
            redraw.append(time.perf_counter() - start)
            assert str(len(frame) - 1) in lines[-1].text or str(len(frame) - 1) in "".join(s.text for s in lines)
            await pilot.press("home")
            await pilot.pause()
            grid._blocks.clear()
            start = time.perf_counter()
            await pilot.press("end")
            await pilot.pause()
            roundtrip.append(time.perf_counter() - start)
    assert frame is not None
    for _ in range(runs):
        start = time.perf_counter()
        frame.iloc[-(height - 2) :].to_string()
        pandas_view.append(time.perf_counter() - start)
    return redraw, roundtrip, pandas_view


def bench_jump(path: Path, runs: int) -> None:
    print("\n2. End: jump to the last row and redraw (cold cell cache)")
    redraw, roundtrip, pandas_view = asyncio.run(_jump(path, runs))
    print(f"   grid: move + render visible lines  {summary(redraw, 'ms', 1000)}   target ≤ 50 ms")
    print(f"   Pilot: press End + screen refresh  {summary(roundtrip, 'ms', 1000)}")
    tiny = Path(__file__).resolve().parents[1] / "sample_data" / "house_tiny.csv"
    baseline = asyncio.run(_pilot_end(tiny, runs))
    print(f"   same on the 4-row house_tiny.csv   {summary(baseline, 'ms', 1000)}   (Pilot + compositor baseline)")
    print(f"   pandas alone: tail(38).to_string() {summary(pandas_view, 'ms', 1000)}")


def timed(job: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        out.append(time.perf_counter() - start)
    return out


def bench_pipeline(path: Path, runs: int) -> None:
    import torch

    from tui_lab.core.data.load import load_csv
    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.steps import DropColumns, FillMissing, OneHot, SetTarget
    from tui_lab.core.data.tensors import to_tensors

    loaded = load_csv(path)
    frame = loaded.frame

    pipeline = Pipeline(loaded.path, frame)
    for step in (SetTarget(("target",)), DropColumns(("date",))):
        pipeline.apply(step)
    to_tensors(pd.DataFrame({"a": [1.0]}), ())  # pay for torch's first-call set-up outside the timing

    def pane() -> object:
        pipeline.apply(FillMissing("mean"))
        pipeline.apply(OneHot(("category",), dummy_na=True))
        result = to_tensors(pipeline.frame, pipeline.target)
        pipeline.undo()
        pipeline.undo()
        return result

    base = frame.drop(columns=["date"])

    def course_values() -> object:
        inputs, outputs = base.drop(columns=["target"]), base["target"]
        inputs = inputs.fillna(inputs.mean(numeric_only=True))
        inputs = pd.get_dummies(inputs, dummy_na=True)
        return torch.tensor(inputs.values.astype(float), dtype=torch.float32), torch.tensor(outputs.values)

    def pandas_to_numpy() -> object:
        inputs, outputs = base.drop(columns=["target"]), base["target"]
        numeric = inputs.select_dtypes("number").columns
        inputs = inputs.fillna(inputs[numeric].mean())
        inputs = pd.get_dummies(inputs, columns=["category"], dummy_na=True)
        return torch.from_numpy(inputs.to_numpy(dtype="float32")), torch.from_numpy(outputs.to_numpy(dtype="float32"))

    print(f"\n3. fill mean → one-hot → float32 tensors on {len(frame):,} rows (target set, date dropped before timing)")
    pane_t = timed(pane, runs)
    values_t = timed(course_values, runs)
    numpy_t = timed(pandas_to_numpy, runs)
    print(f"   tui-lab pipeline + to_tensors      {summary(pane_t)}   target ≤ 0.5 s")
    print(f"   pandas alone, course df.values     {summary(values_t)}")
    print(f"   pandas alone, to_numpy(float32)    {summary(numpy_t)}")
    print(f"   ratio tui-lab / df.values path: {statistics.median(pane_t) / statistics.median(values_t):.2f}×")
    print(f"   ratio tui-lab / to_numpy path:  {statistics.median(pane_t) / statistics.median(numpy_t):.2f}×")


def bench_export(path: Path, runs: int) -> None:
    import threading

    from tui_lab.core.data.files import export_csv
    from tui_lab.core.data.load import load_csv
    from tui_lab.core.fileio import WriteCancelled

    frame = load_csv(path).frame
    print(f"\n4. export {len(frame):,} rows as CSV (chunked, atomic) and cancel it")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        target = Path(folder) / "out.csv"
        pane = timed(lambda: export_csv(frame, target, None), runs)
        plain = timed(lambda: frame.to_csv(Path(folder) / "plain.csv", index=False), runs)
        stops = []
        for _ in range(runs):
            stop = threading.Event()
            stopped: list[float] = []

            def run(stop: threading.Event = stop, stopped: list[float] = stopped) -> None:
                try:
                    export_csv(frame, target, None, should_stop=stop.is_set)
                except WriteCancelled:
                    stopped.append(time.perf_counter())

            thread = threading.Thread(target=run)
            thread.start()
            time.sleep(0.5)  # mid-export, as a user pressing Esc would
            asked = time.perf_counter()
            stop.set()
            thread.join()
            stops.append(stopped[0] - asked if stopped else float("nan"))
    print(f"   tui-lab export_csv (chunks)        {summary(pane)}")
    print(f"   pandas alone, one to_csv           {summary(plain)}")
    print(f"   ratio tui-lab / to_csv: {statistics.median(pane) / statistics.median(plain):.2f}×")
    print(f"   cancel → export stopped            {summary(stops, 'ms', 1000)}   target ≤ 1 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"data_{args.rows}.csv"
    if not path.exists():
        start = time.perf_counter()
        make_csv(path, args.rows)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MiB, {args.rows:,} rows × 12 columns)")
    bench_startup(path, args.runs)
    bench_jump(path, args.runs)
    bench_pipeline(path, args.runs)
    bench_export(path, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
