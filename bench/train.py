"""Training figures: samples/s per implementation, the app's overhead, event-loop lag, plot redraw time.

    python bench/train.py [--device cpu|cuda] [--n 100000] [--repeats 3] [--baseline-steps 2000] [--threads T]

Every figure is a median of ``--repeats`` runs, and each ratio is measured side by side in the
same process. The course's baselines are its own loops: ``DataLoader(TensorDataset, shuffle=True)``
with ``nn.Linear`` (3.3) and the ``random.shuffle`` ``data_iter`` with autograd (3.2); at small
batches they are timed over their first ``--baseline-steps`` steps, since their rate is flat.

Sections (``--skip`` takes a comma list): throughput, app, plot, stop (the core's stop latency per engine, asked
0.05 s, 0.2 s and 1.5 s into a run and timed from that moment; also 0.05 s into a fresh interpreter's first
run), closed (the closed form at 10M rows against float64 lstsq), sweep (8 learning rates as one batched
program against 8 runs one after another, issue #15), dist (``tui-lab train
--nproc-per-node 2`` against one process, gloo on the CPU). ``--quick`` runs only the new sections. The GPU
figures of issue #10 come from ``bench/gpu.py``.

Targets (issue #6): concise ≥ 50× the DataLoader loop at batch 4096; manual gradient ≥ 10× the
autograd loop at batch 10; the app's worker ≥ 0.9× the bare loop; event-loop lag p99 ≤ 5 ms and
max ≤ 20 ms while training; a plot redraw ≤ 20 ms at 1k and 100k points. On an H100 with
``--device cuda``: manual ≥ 100M samples/s at batch 4096 and ≥ 1M at batch 10.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils import data as tdata  # noqa: E402

from tui_lab.core.train.config import TrainConfig  # noqa: E402
from tui_lab.core.train.data import Dataset, synthetic_data  # noqa: E402
from tui_lab.core.train.runner import run  # noqa: E402
from tui_lab.core.train.sweep import run_sweep  # noqa: E402

BATCHES = (10, 256, 4096)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def median_rate(measure: Callable[[], float], repeats: int) -> float:
    """Median of ``repeats`` samples/s figures (one warm-up run first)."""
    measure()
    return statistics.median(measure() for _ in range(repeats))


def course_dataloader_rate(X: torch.Tensor, y: torch.Tensor, batch: int, device: str, max_steps: int) -> float:
    """d2l 3.3: DataLoader(shuffle=True) over in-memory tensors, nn.Linear, MSELoss, SGD."""
    loader = tdata.DataLoader(tdata.TensorDataset(X, y), batch, shuffle=True)
    net = nn.Linear(X.shape[1], 1).to(device)
    loss, opt = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03)
    samples, start = 0, time.perf_counter()
    for step, (Xb, yb) in enumerate(loader):
        Xb, yb = Xb.to(device), yb.to(device)
        l = loss(net(Xb).view(-1), yb)  # noqa: E741
        opt.zero_grad()
        l.backward()
        opt.step()
        samples += len(Xb)
        if step + 1 >= max_steps:
            break
    sync(device)
    return samples / (time.perf_counter() - start)


def course_data_iter_rate(X: torch.Tensor, y: torch.Tensor, batch: int, device: str, max_steps: int) -> float:
    """d2l 3.2: data_iter with random.shuffle of a Python index list, linreg, squared_loss, sgd."""
    n = len(X)
    X, y = X.to(device), y.to(device).reshape(-1, 1)
    w = torch.normal(0, 0.01, size=(X.shape[1], 1), device=device, requires_grad=True)
    b = torch.zeros(1, device=device, requires_grad=True)
    samples, start = 0, time.perf_counter()
    indices = list(range(n))
    random.shuffle(indices)
    for step, i in enumerate(range(0, n, batch)):
        batch_indices = torch.tensor(indices[i : min(i + batch, n)], device=device)
        Xb, yb = X[batch_indices], y[batch_indices]
        l = (Xb @ w + b - yb) ** 2 / 2  # noqa: E741
        l.sum().backward()
        with torch.no_grad():
            for param in (w, b):
                param -= 0.03 * param.grad / batch  # type: ignore[operator]
                param.grad.zero_()  # type: ignore[union-attr]
        samples += len(Xb)
        if step + 1 >= max_steps:
            break
    sync(device)
    return samples / (time.perf_counter() - start)


def engine_rate(data: Dataset, impl: str, batch: int, device: str) -> float:
    # several epochs on a GPU, so one CUDA-graph capture per run is amortised as it is in real use
    config = TrainConfig(impl=impl, n=data.n, batch_size=batch, epochs=5 if device.startswith("cuda") else 1)
    return run(config, device, dataset=data).samples_per_s


def throughput(args: argparse.Namespace, data: Dataset) -> None:
    print(f"== samples/s, N = {data.n:,}, device {args.device}, median of {args.repeats} ==")
    print(f"{'batch':>6} {'scratch':>12} {'concise':>12} {'manual':>12} {'DataLoader':>12} {'data_iter':>12}")
    rates: dict[tuple[str, int], float] = {}
    for batch in BATCHES:
        for impl in ("scratch", "concise", "manual"):
            rates[impl, batch] = median_rate(lambda i=impl, b=batch: engine_rate(data, i, b, args.device), args.repeats)
        steps = args.baseline_steps if batch < 256 else 10**9
        rates["loader", batch] = median_rate(
            lambda b=batch, s=steps: course_dataloader_rate(data.X, data.y, b, args.device, s), args.repeats
        )
        rates["iter", batch] = median_rate(
            lambda b=batch, s=steps: course_data_iter_rate(data.X, data.y, b, args.device, s), args.repeats
        )
        cells = [rates[k, batch] for k in ("scratch", "concise", "manual", "loader", "iter")]
        print(f"{batch:>6} " + " ".join(f"{c:>12,.0f}" for c in cells))
    closed = median_rate(lambda: engine_rate(data, "closed", 10, args.device), args.repeats)
    print(f"closed form (lstsq on [X, 1]): {closed:,.0f} samples/s")
    print(f"concise / DataLoader at 4096: {rates['concise', 4096] / rates['loader', 4096]:.1f}x (target >= 50x)")
    print(f"manual / autograd scratch at 10: {rates['manual', 10] / rates['scratch', 10]:.1f}x (target >= 10x)")
    print(f"manual / course data_iter at 10: {rates['manual', 10] / rates['iter', 10]:.1f}x")
    print(f"manual at 4096: {rates['manual', 4096] / 1e6:,.1f}M samples/s; at 10: {rates['manual', 10] / 1e6:,.2f}M")


@contextlib.asynccontextmanager
async def started_run(config: TrainConfig, device: str) -> AsyncIterator[tuple[Any, Any]]:
    """A headless app on the Train pane with ``config`` already started; yields (pilot, screen)."""
    import tempfile

    from tui_lab.core.workspace import Workspace
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.train.screen import TrainScreen

    home = tempfile.TemporaryDirectory(prefix="tui-lab-bench-")
    os.environ["TUI_LAB_HOME"] = home.name  # no saved session to offer, no state of the user's touched
    workspace = Workspace()
    workspace.load_preloads()
    app = TuiLabApp(workspace=workspace, pane="train", device=device)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.torch_ready:
            await pilot.pause()
        for _ in range(100):
            if isinstance(app.screen, TrainScreen):
                break
            await pilot.pause()
        else:
            await pilot.press("f5")
        screen = app.screen
        assert isinstance(screen, TrainScreen), type(screen)
        screen.form.load(config)
        screen.action_start_run()
        yield pilot, screen


async def app_run(config: TrainConfig, device: str, probe: bool) -> tuple[float, list[float], float]:
    """Train ``config`` through the Train pane's worker in a headless app.

    Returns samples/s, event-loop lags in ms, and the UI thread's CPU time as a share of the run's wall time.
    With ``probe`` the event loop is sampled every 5 ms for lag; that probe wakes the UI thread 200 times a
    second and takes the GIL from the trainer each time, so speed is measured in a run without it.
    """
    lags: list[float] = []
    async with started_run(config, device) as (pilot, screen):
        start, cpu_start = time.perf_counter(), time.thread_time()
        tick = 0.005 if probe else 0.1
        while screen.running:
            before = time.perf_counter()
            await asyncio.sleep(tick)
            if probe and before - start > 1.0:
                lags.append((time.perf_counter() - before - tick) * 1000)
        ui_share = (time.thread_time() - cpu_start) / (time.perf_counter() - start)
        await pilot.pause()
        result = screen.records[-1].result
    return result.samples_per_s, lags, ui_share


async def app_stop_latency(config: TrainConfig, device: str, after: float = 1.5) -> float:
    """Seconds from F7's action to the pane showing the run as ended (run started ``after`` s earlier)."""
    async with started_run(config, device) as (pilot, screen):
        await asyncio.sleep(after)
        start = time.perf_counter()
        screen.action_stop_run()
        while screen.runs.current is not None:
            await asyncio.sleep(0.001)
        return time.perf_counter() - start


def app_overhead(args: argparse.Namespace, data: Dataset) -> None:
    print("== the Train pane's worker (headless app) against the bare loop ==")
    for impl, batch, epochs in (("concise", 10, 1), ("manual", 10, 20)):
        config = TrainConfig(impl=impl, n=data.n, batch_size=batch, epochs=epochs)
        bare, app, probed, lags, shares = [], [], [], [], []
        for _ in range(args.repeats):
            bare.append(run(config, args.device, dataset=data).samples_per_s)
            rate, _, share = asyncio.run(app_run(config, args.device, probe=False))
            app.append(rate)
            shares.append(share)
            rate, lag, _ = asyncio.run(app_run(config, args.device, probe=True))
            probed.append(rate)
            lags += lag
        b, a = statistics.median(bare), statistics.median(app)
        print(f"{impl} batch {batch}: bare {b:,.0f}, app worker {a:,.0f} samples/s, ratio {a / b:.2f} (target >= 0.9)")
        print(f"  UI thread CPU while training: {100 * statistics.median(shares):.1f}% of wall time")
        print(f"  with the 200 Hz lag probe also running: ratio {statistics.median(probed) / b:.2f}")
        if lags:
            p = np.percentile(lags, [50, 95, 99])
            print(
                f"  event-loop lag after 1 s ({len(lags)} samples): p50 {p[0]:.2f} ms, p95 {p[1]:.2f} ms, "
                f"p99 {p[2]:.2f} ms, max {max(lags):.2f} ms (target p99 <= 5, max <= 20)"
            )
    for impl in ("scratch", "concise", "manual"):
        config = TrainConfig(impl=impl, n=1_000_000, batch_size=10, epochs=3)
        waits = [asyncio.run(app_stop_latency(config, args.device)) for _ in range(args.repeats)]
        print(
            f"stop (F7) mid-epoch, {impl}, N = 1M: median {statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms (target <= 500)"
        )


async def redraw_times(points: int, runs: int, repeats: int) -> tuple[list[float], list[float]]:
    """(ms on the UI thread to cut the curves, ms for the whole picture: curves + plotext + lines)."""
    from textual.app import App, ComposeResult

    from tui_lab.core.train.history import RunRecord
    from tui_lab.ui.train.plot import LossPlot

    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LossPlot()

    ui_times: list[float] = []
    times: list[float] = []
    async with PlotApp().run_test(size=(120, 40)) as pilot:
        plot = pilot.app.query_one(LossPlot)
        rng = np.random.default_rng(0)
        records = []
        for run_id in range(1, runs + 1):
            record = RunRecord(run_id, TrainConfig(epochs=3), status="running")
            record.add_steps(np.exp(-np.linspace(0, 8, points)) + 1e-4 * rng.random(points), max(1, points // 3))
            record.epoch_losses = [0.1, 0.01, 0.001]
            records.append(record)
        plot.records, plot.current_id = records, records[-1].run_id
        for _ in range(repeats):
            records[-1].add_steps(np.array([1e-4]), max(1, points // 3))  # new data, as on every progress message
            start = time.perf_counter()
            spec = plot.spec()
            middle = time.perf_counter()
            plot.lines(spec)
            end = time.perf_counter()
            ui_times.append((middle - start) * 1000)
            times.append((end - start) * 1000)
    return ui_times, times


def plot_redraw(args: argparse.Namespace) -> None:
    print("== loss-plot redraw at 120x40: whole picture (curves + plotext + lines), and its UI-thread part ==")
    for points in (1_000, 100_000, 1_000_000):
        for runs in (1, 7):
            ui, times = asyncio.run(redraw_times(points, runs, max(5, args.repeats * 3)))
            p95 = float(np.percentile(times, 95))
            print(
                f"{points:>9,} points x {runs} run(s): median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
                f"(target <= 20); on the UI thread median {statistics.median(ui):.2f} ms (plotext runs in a worker)"
            )


def core_stop_latency(config: TrainConfig, device: str, after: float, data: Dataset | None = None) -> float:
    """Seconds from the moment ``should_stop`` turns true (``after`` s into ``run``) to ``run`` returning.

    Measured from that moment, not from the first poll that sees it: a run that polls late (after a
    slow first step, say) shows its whole wait.
    """
    began = time.perf_counter()
    run(config, device, should_stop=lambda: time.perf_counter() - began >= after, dataset=data)
    return time.perf_counter() - (began + after)


STOP_AFTER = (0.05, 0.2, 1.5)


def first_run_stop_latency(impl: str, device: str, after: float) -> float:
    """:func:`core_stop_latency` of the first run in a fresh interpreter (imports torch.optim pulls in on first use)."""
    import subprocess

    probe = [sys.executable, __file__, "--stop-probe", impl, "--stop-after", str(after), "--device", device]
    return float(subprocess.run(probe, check=True, capture_output=True, text=True).stdout.split()[-1])


def stop_latency(args: argparse.Namespace) -> None:
    after_text = " / ".join(f"{a} s" for a in STOP_AFTER)
    print(f"== stop latency in the core (stop asked {after_text} into run(), timed from then), N = 1M, batch 10 ==")
    X, y = synthetic_data((2.0, -3.4), 4.2, 1_000_000, 0.01, 0)
    data = Dataset(X, y, (2.0, -3.4), 4.2, "synthetic")
    for impl in ("scratch", "concise", "manual"):
        config = TrainConfig(impl=impl, n=data.n, batch_size=10, epochs=3)
        first = [first_run_stop_latency(impl, args.device, STOP_AFTER[0]) for _ in range(args.repeats)]
        cells = [f"first run of a process at {STOP_AFTER[0]} s: max {max(first) * 1000:.0f} ms"]
        for after in STOP_AFTER:
            waits = [core_stop_latency(config, args.device, after, data) for _ in range(args.repeats)]
            cells.append(
                f"at {after} s: median {statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms"
            )
        print(f"{impl:>8}: " + "; ".join(cells) + " (target <= 500)")


def stop_probe(impl: str, device: str, after: float) -> None:
    """One stop-latency figure, printed in seconds (the child of :func:`first_run_stop_latency`)."""
    X, y = synthetic_data((2.0, -3.4), 4.2, 1_000_000, 0.01, 0)
    data = Dataset(X, y, (2.0, -3.4), 4.2, "synthetic")
    print(core_stop_latency(TrainConfig(impl=impl, n=data.n, batch_size=10, epochs=3), device, after, data))


def closed_at_scale(args: argparse.Namespace, n: int = 10_000_000) -> None:
    from tui_lab.core.train.closed import augment, solve

    print(f"== closed form at N = {n:,} on {args.device} (chunked float64 normal equations) ==")
    X, y = synthetic_data((2.0, -3.4), 4.2, n, 0.01, 0)
    Xd, yd = X.to(args.device), y.to(args.device)
    sync(args.device)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        solution = solve(Xd, yd)
        sync(args.device)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    exact = torch.linalg.lstsq(augment(X.double()), y.double().unsqueeze(1), driver="gelsd").solution[:, 0]
    lstsq_s = time.perf_counter() - start
    relative = float(((solution.theta.double() - exact).abs() / exact.abs()).max())
    print(
        f"solve {statistics.median(times) * 1000:.0f} ms ({solution.method}{'; ' + '; '.join(solution.notes) if solution.notes else ''}); "
        f"float64 lstsq on the CPU {lstsq_s * 1000:.0f} ms; max relative difference {relative:.1e} (target <= 1e-6)"
    )


def sweep_rates(args: argparse.Namespace) -> None:
    rates = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.05, 0.005)
    print(f"== learning-rate sweep, 8 rates: one batched program vs 8 runs one after another ({args.device}) ==")
    for impl in ("manual", "scratch"):
        for batch, n in ((10, args.sweep_n), (4096, 1_000_000)):
            X, y = synthetic_data((2.0, -3.4), 4.2, n, 0.01, 0)
            data = Dataset(X, y, (2.0, -3.4), 4.2, "synthetic")
            configs = [TrainConfig(impl=impl, n=n, batch_size=batch, epochs=1, lr=lr) for lr in rates]
            batched, one, sequential = [], [], []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run_sweep(configs, args.device, dataset=data)
                batched.append(time.perf_counter() - start)
                times = []
                for config in configs:
                    start = time.perf_counter()
                    run(config, args.device, dataset=data)
                    times.append(time.perf_counter() - start)
                one.append(times[0])
                sequential.append(sum(times))
            b, o, s_ = statistics.median(batched), statistics.median(one), statistics.median(sequential)
            print(
                f"{impl:>8} batch {batch:>4} N = {n:,}: batched {b:.2f} s, 8 sequential {s_:.2f} s ({s_ / b:.1f}x faster), "
                f"one run {o:.2f} s, batched / one run {b / o:.2f} (target <= 2)"
            )


def cli_rate(args: list[str], threads: int = 0) -> tuple[float, float]:
    """(samples/s while training, wall seconds) of one ``tui-lab train --json`` run (``threads``: OMP_NUM_THREADS)."""
    import json
    import os
    import subprocess

    env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if threads else None
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tui_lab.cli.train", "--json", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(json.loads(done.stdout.splitlines()[-1])["samples_per_s"]), time.perf_counter() - start


def data_parallel(args: argparse.Namespace) -> None:
    print("== data parallel: tui-lab train --nproc-per-node 2 (gloo) vs one process, training samples/s ==")
    common = ["--impl", "manual", "--n", str(args.dist_n), "--epochs", "3", "--device", "cpu"]
    cores = os.cpu_count() or 1
    print(
        f"(each of the 2 processes gets OMP_NUM_THREADS={max(1, cores // 2)}; one process is shown with torch's default threads and with that many)"
    )
    for batch in (4096, 256):
        one = [cli_rate([*common, "--batch-size", str(batch)]) for _ in range(args.repeats)]
        same = [cli_rate([*common, "--batch-size", str(batch)], max(1, cores // 2)) for _ in range(args.repeats)]
        weak = [cli_rate([*common, "--batch-size", str(batch), "--nproc-per-node", "2"]) for _ in range(args.repeats)]
        half = [
            cli_rate([*common, "--batch-size", str(batch // 2), "--nproc-per-node", "2"]) for _ in range(args.repeats)
        ]
        r1, rs, r2, rh = (statistics.median(r for r, _ in runs) for runs in (one, same, weak, half))
        w1, w2 = statistics.median(w for _, w in one), statistics.median(w for _, w in weak)
        print(
            f"batch {batch}: 1 process {r1:,.0f} ({rs:,.0f} with the per-process threads); "
            f"2 processes x {batch} {r2:,.0f} (ratio {r2 / r1:.2f}, {r2 / rs:.2f}); "
            f"2 processes x {batch // 2} (same global batch) {rh:,.0f} (ratio {rh / r1:.2f}, {rh / rs:.2f}); "
            f"wall incl. start-up {w1:.1f} s vs {w2:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-steps", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma list of sections to skip: throughput,app,plot")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument(
        "--quick", action="store_true", help="only the issue #10/#15 sections: stop, closed, sweep, dist"
    )
    parser.add_argument("--sweep-n", type=int, default=20_000, help="N of the batch-10 sweep (default: 20000)")
    parser.add_argument("--dist-n", type=int, default=1_000_000, help="N of the data-parallel runs (default: 1M)")
    parser.add_argument("--stop-probe", metavar="IMPL", help=argparse.SUPPRESS)
    parser.add_argument("--stop-after", type=float, default=STOP_AFTER[0], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.stop_probe:
        stop_probe(args.stop_probe, args.device, args.stop_after)
        return
    skip = set(args.skip.split(","))
    if args.quick:
        skip |= {"throughput", "app", "plot"}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    if args.device.startswith("cuda"):
        print(torch.cuda.get_device_name(args.device))
    X, y = synthetic_data((2.0, -3.4), 4.2, args.n, 0.01, 0)
    data = Dataset(X, y, (2.0, -3.4), 4.2, "synthetic")
    started = time.perf_counter()
    if "throughput" not in skip:
        throughput(args, data)
    if "app" not in skip:
        app_overhead(args, data)
    if "plot" not in skip:
        plot_redraw(args)
    if "stop" not in skip:
        stop_latency(args)
    if "closed" not in skip:
        closed_at_scale(args)
    if "sweep" not in skip:
        sweep_rates(args)
    if "dist" not in skip and not args.device.startswith("cuda"):
        data_parallel(args)
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
