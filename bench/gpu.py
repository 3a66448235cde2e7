"""Every GPU figure of issue #10 (and #15's CUDA ones) in one run of a few minutes on one GPU.

    python bench/gpu.py [--device cuda] [--n 1000000] [--repeats 3] [--budget 8]

Prints: the cards as core.gpu sees them (NVML or torch), samples/s per engine at batch 10 and 4096
for N = 1M with the CUDA-graph length, notes and peak memory; the CUDA-graph path against eager;
the app's worker against the bare loop and ``tui-lab train`` against the app; stop latency per
engine in the core and with F7 in the app at 0.2 s and 1.5 s; the closed form at 10M rows; the
batched learning-rate sweep; and, with several GPUs, ``--nproc-per-node`` scaling at batch 4096.
Every run is cut at ``--budget`` seconds of training, so an engine that falls back to eager
cannot stall the bench. ``--device cpu --n 20000`` runs the same code quickly without a GPU.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402

import train as bench_train  # noqa: E402
from tui_lab.core import gpu  # noqa: E402
from tui_lab.core.train.config import TrainConfig  # noqa: E402
from tui_lab.core.train.data import Dataset, synthetic_data  # noqa: E402
from tui_lab.core.train.outcome import TrainingOutcome  # noqa: E402
from tui_lab.core.train.runner import run  # noqa: E402

IMPLS = ("scratch", "concise", "manual")


def header(args: argparse.Namespace) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit.strip() or '?'}")
    print(f"torch {torch.__version__} (CUDA {torch.version.cuda}), device {args.device}")
    cards = gpu.list_gpus()
    source = "NVML" if gpu.nvml() is not None else "torch (no NVML: pip install 'tui-lab[gpu]')"
    print(f"== GPUs as the status bar and picker see them, via {source} ==")
    for card in cards:
        print(f"cuda:{card.index} · {card.name} · {card.summary()}")
    if not cards:
        print("(none)")


def timed_run(config: TrainConfig, device: str, data: Dataset, budget: float, **kwargs: object) -> TrainingOutcome:
    """``run`` cut at ``budget`` seconds (its samples/s stays exact: samples over the seconds trained)."""
    began = time.perf_counter()
    return run(config, device, dataset=data, should_stop=lambda: time.perf_counter() - began > budget, **kwargs)  # type: ignore[arg-type]


def throughput(args: argparse.Namespace, data: Dataset) -> dict[tuple[str, int], float]:
    print(
        f"== samples/s, N = {data.n:,}, median of {args.repeats} (targets on an H100: scratch/concise >= 300k at 10, >= 50M at 4096; manual >= 2M and >= 150M) =="
    )
    rates: dict[tuple[str, int], float] = {}
    for batch, epochs in ((10, 1), (4096, 10)):
        for impl in IMPLS:
            config = TrainConfig(impl=impl, n=data.n, batch_size=batch, epochs=epochs)
            results = [timed_run(config, args.device, data, args.budget) for _ in range(args.repeats + 1)][1:]
            rate = statistics.median(r.samples_per_s for r in results)
            rates[impl, batch] = rate
            last = results[-1]
            memory = "" if last.peak_cuda_memory is None else f", peak {last.peak_cuda_memory / 2**20:.0f} MiB"
            notes = f"; {'; '.join(last.notes)}" if last.notes else ""
            print(
                f"{impl:>8} batch {batch:>4}: {rate:>14,.0f} samples/s (graph of {last.graph_steps} steps, {last.chunks} chunks{memory}){notes}"
            )
    return rates


def graph_vs_eager(args: argparse.Namespace, data: Dataset) -> None:
    if not args.device.startswith("cuda"):
        return
    print("== CUDA-graph path against eager (same config, 2 epochs of N = 100k, batch 10): max |Δθ| ==")
    small = Dataset(data.X[:100_000], data.y[:100_000], data.true_w, data.true_b, "synthetic")
    for impl in IMPLS:
        for optimizer in ("sgd", "momentum", "adam"):
            config = TrainConfig(impl=impl, n=small.n, epochs=2, optimizer=optimizer, lr=0.01)
            graphed = run(config, args.device, dataset=small)
            eager = run(config, args.device, dataset=small, use_cuda_graphs=False)
            delta = max(abs(a - b) for a, b in zip((*graphed.w, graphed.b), (*eager.w, eager.b), strict=True))
            print(
                f"{impl:>8} {optimizer:>8}: {delta:.1e} (graph {graphed.graph_steps} steps; {graphed.samples_per_s / max(eager.samples_per_s, 1):.1f}x eager)"
            )


def stops(args: argparse.Namespace, data: Dataset) -> None:
    print(
        "== stop latency, batch 10, N = 1M: core should_stop and F7 in the app, at 0.2 s and 1.5 s (target <= 500 ms) =="
    )
    for impl in IMPLS:
        config = TrainConfig(impl=impl, n=data.n, batch_size=10, epochs=3)
        cells = []
        for after in (0.2, 1.5):
            core = [bench_train.core_stop_latency(config, args.device, after, data) for _ in range(args.repeats)]
            app = [asyncio.run(bench_train.app_stop_latency(config, args.device, after)) for _ in range(args.repeats)]
            cells.append(f"{after} s: core max {max(core) * 1000:.0f} ms, app max {max(app) * 1000:.0f} ms")
        print(f"{impl:>8}: " + "; ".join(cells))


def app_and_cli(args: argparse.Namespace, data: Dataset) -> None:
    print("== the app's worker against the bare loop, and tui-lab train against the app (target >= 0.9) ==")
    for impl, batch, epochs in (("manual", 10, 1), ("concise", 10, 1), ("manual", 4096, 20)):
        config = TrainConfig(impl=impl, n=data.n, batch_size=batch, epochs=epochs)
        bare = statistics.median(run(config, args.device, dataset=data).samples_per_s for _ in range(args.repeats))
        app = statistics.median(
            asyncio.run(bench_train.app_run(config, args.device, False))[0] for _ in range(args.repeats)
        )
        cli_args = [
            "--impl",
            impl,
            "--n",
            str(data.n),
            "--batch-size",
            str(batch),
            "--epochs",
            str(epochs),
            "--device",
            args.device,
        ]
        cli = statistics.median(bench_train.cli_rate(cli_args)[0] for _ in range(args.repeats))
        print(
            f"{impl} batch {batch}: bare {bare:,.0f}, app {app:,.0f} ({app / bare:.2f}), CLI {cli:,.0f} (CLI / app {cli / app:.2f})"
        )


def multi_gpu(args: argparse.Namespace, data: Dataset) -> None:
    count = torch.cuda.device_count() if args.device.startswith("cuda") else 0
    if count < 2:
        print("== data parallel over GPUs: skipped (fewer than 2 GPUs) ==")
        return
    print(
        f"== data parallel, NCCL, batch 4096 per GPU, N = {data.n:,}: samples/s per added GPU (target >= 0.8x each) =="
    )
    common = ["--impl", "manual", "--n", str(data.n), "--batch-size", "4096", "--epochs", "20", "--device", "cuda"]
    one = bench_train.cli_rate(common)[0]
    for procs in sorted({2, count}):
        rate = bench_train.cli_rate([*common, "--nproc-per-node", str(procs)])[0]
        print(f"{procs} GPUs: {rate:,.0f} samples/s = {rate / one:.2f}x one GPU ({rate / one / procs:.2f} per GPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=8.0, help="seconds of training at most per throughput run")
    parser.add_argument("--sweep-n", type=int, default=100_000)
    parser.add_argument("--skip", default="", help="comma list: throughput,graphs,stop,app,closed,sweep,multi")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    started = time.perf_counter()
    header(args)
    X, y = synthetic_data((2.0, -3.4), 4.2, args.n, 0.01, 0)
    data = Dataset(X, y, (2.0, -3.4), 4.2, "synthetic")
    sections = [
        ("throughput", lambda: throughput(args, data)),
        ("graphs", lambda: graph_vs_eager(args, data)),
        ("stop", lambda: stops(args, data)),
        ("app", lambda: app_and_cli(args, data)),
        ("closed", lambda: bench_train.closed_at_scale(args, 10_000_000 if args.n >= 1_000_000 else 10 * args.n)),
        ("sweep", lambda: bench_train.sweep_rates(args)),
        ("multi", lambda: multi_gpu(args, data)),
    ]
    for name, section in sections:
        if name not in skip:
            began = time.perf_counter()
            section()
            print(f"({name}: {time.perf_counter() - began:.0f} s)", flush=True)
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
