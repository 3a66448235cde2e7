"""Session figures: autosave of 1 GiB of tensors, the event loop's lag while it runs, resume time.

    python bench/session.py [--gib 1.0] [--repeats 3] [--device cpu|cuda]

The workspace holds ``--gib`` GiB of float32 tensors (eight equal ones) plus a few small names.
Each repeat plans the snapshot on an asyncio event loop (as the app does on its UI thread),
writes it in a thread (as the app's worker does: fsync and rename included), and samples the
loop every 5 ms meanwhile; then it loads the session back. State goes to a temporary directory
on the same disk as the home directory. Every figure is a median of ``--repeats``.

Targets (issue 13): autosave ≤ 2 s, event-loop lag p99 ≤ 5 ms and max ≤ 20 ms while saving,
resume ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tui_lab.core.session import store  # noqa: E402
from tui_lab.core.session.capture import PaneStates, take_snapshot  # noqa: E402

TICK = 0.005


def workspace(gib: float, device: str) -> dict[str, object]:
    """Eight float32 tensors adding up to ``gib`` GiB, and a few small names."""
    each = int(gib * 1024**3 / 4 / 8)
    gen = torch.Generator().manual_seed(0)
    values: dict[str, object] = {f"t{i}": torch.rand(each, generator=gen).to(device) for i in range(8)}
    values.update(lr=0.03, name="bench", arr=np.arange(1000.0), small=torch.ones(10))
    return values


async def save_with_probe(values: dict[str, object], root: Path) -> tuple[float, list[float]]:
    """Seconds for one autosave (plan on the loop, write in a thread), and the loop's lags in ms."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append((time.perf_counter() - before - TICK) * 1000)

    sampler = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    snapshot = take_snapshot(sorted(values.items()), 1 << 40, PaneStates())
    await asyncio.to_thread(store.save_at_low_priority, snapshot, "bench", root=root)  # as the app's worker does
    seconds = time.perf_counter() - started
    await asyncio.sleep(0.02)
    done.set()
    await sampler
    return seconds, lags


async def idle_lags(seconds: float = 1.0) -> list[float]:
    """The loop's lag with nothing else running: the machine's own noise floor."""
    lags: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append((time.perf_counter() - before - TICK) * 1000)
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    values = workspace(args.gib, args.device)
    idle = asyncio.run(idle_lags())
    base = Path(tempfile.mkdtemp(prefix="tui-lab-bench-", dir=Path.home()))
    os.environ["TUI_LAB_HOME"] = str(base)
    saves, resumes, p99s, maxes, p50s = [], [], [], [], []
    try:
        root = store.sessions_root()
        for _ in range(args.repeats):
            seconds, lags = asyncio.run(save_with_probe(values, root))
            saves.append(seconds)
            p50, p99 = np.percentile(lags, [50, 99])
            p50s.append(float(p50))
            p99s.append(float(p99))
            maxes.append(max(lags))
            started = time.perf_counter()
            loaded = store.load("bench", root=root)
            assert loaded is not None
            for value in loaded.values.values():  # touch every page: safetensors may map the file lazily
                if isinstance(value, torch.Tensor) and value.numel():
                    value.detach().reshape(-1).view(torch.uint8)[::4096].sum()
            resumes.append(time.perf_counter() - started)
            assert torch.equal(loaded.values["t0"], values["t0"])  # type: ignore[arg-type]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    size = sum(v.numel() * v.element_size() for v in values.values() if isinstance(v, torch.Tensor)) / 1024**3
    print(f"session bench: {size:.2f} GiB of tensors on {args.device}, median of {args.repeats}")
    print(f"  autosave: {statistics.median(saves):.2f} s (target <= 2 s; runs: {', '.join(f'{s:.2f}' for s in saves)})")
    print(
        f"  event-loop lag while saving: p50 {statistics.median(p50s):.2f} ms, p99 {statistics.median(p99s):.2f} ms, "
        f"max {statistics.median(maxes):.2f} ms (target p99 <= 5, max <= 20)"
    )
    floor = np.percentile(idle, [50, 99])
    print(f"  idle loop lag (noise floor): p50 {floor[0]:.2f} ms, p99 {floor[1]:.2f} ms, max {max(idle):.2f} ms")
    print(f"  load average: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(
        f"  resume: {statistics.median(resumes):.2f} s (target <= 2 s; runs: {', '.join(f'{s:.2f}' for s in resumes)})"
    )


if __name__ == "__main__":
    main()
