"""Memory of a long run's loss history: the issue's 5M-step run, before and after the bounded buffer.

    python bench/train_memory.py [--n 1000000] [--batch 10] [--epochs 50] [--before REV] [--skip-before]

Each measurement runs in a fresh interpreter: the run (manual gradient, CPU) trains with a progress
callback feeding a ``RunRecord`` as the Train pane does, and the child prints its resident memory
(VmRSS) after the data is made, after the run with the result and record alive, and after both are
dropped ("clear runs"), plus its peak (VmHWM). "before" runs the same script against the sources of
``--before`` (default: the commit before the buffer, extracted with ``git archive``), "after" against
this checkout. The default is the issue's run: N = 1M, batch 10, 50 epochs = 5M steps.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit whose runner kept per-step losses in a Python list.
BEFORE = "a20a360"

CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import load_dataset
from tui_lab.core.train.history import RunRecord
from tui_lab.core.train.runner import run

def rss(field="VmRSS"):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0

n, batch, epochs = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
config = TrainConfig(impl="manual", n=n, batch_size=batch, epochs=epochs, lr=0.03)
data = load_dataset(config)
gc.collect()
base = rss()
record = RunRecord(1, config, status="running")
def progress(p):
    record.add_steps(p.new_step_losses, p.steps_per_epoch, p.steps_total)
    record.epoch_losses.extend(p.epoch_losses)
began = time.perf_counter()
result = run(config, dataset=data, on_progress=progress)
seconds = time.perf_counter() - began
record.finish(result)
gc.collect()
after_run = rss()
kept = int(np.asarray(result.step_losses).nbytes)
steps = record.steps
del record, result, progress
gc.collect()
cleared = rss()
print(json.dumps({"steps": steps, "base": base, "after_run": after_run, "cleared": cleared,
                  "peak": rss("VmHWM"), "result_bytes": kept, "seconds": seconds}))
"""


def sources_at(rev: str, into: Path) -> Path:
    """The ``src`` tree of ``rev``, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def measure(src: Path, n: int, batch: int, epochs: int) -> dict[str, float]:
    """One child run's figures."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(n), str(batch), str(epochs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def mib(size: float) -> str:
    return f"{size / 2**20:8.1f} MiB"


def report(name: str, figures: dict[str, float]) -> None:
    grown = figures["after_run"] - figures["base"]
    print(
        f"{name:7} {int(figures['steps']):>10,} steps in {figures['seconds']:6.1f} s · "
        f"growth over the run {mib(grown)} ({grown / max(1, figures['steps']):5.1f} B/step) · "
        f"after clear {mib(figures['cleared'] - figures['base'])} · peak RSS {mib(figures['peak'])} · "
        f"result's step losses {mib(figures['result_bytes'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--before", default=BEFORE, help=f"git revision for the 'before' figures (default {BEFORE})")
    parser.add_argument("--skip-before", action="store_true", help="measure this checkout only")
    args = parser.parse_args()
    steps = -(-args.n // args.batch) * args.epochs
    print(f"manual gradient, CPU, N={args.n:,}, batch {args.batch}, {args.epochs} epochs = {steps:,} steps")
    if not args.skip_before:
        with tempfile.TemporaryDirectory() as tmp:
            report("before", measure(sources_at(args.before, Path(tmp)), args.n, args.batch, args.epochs))
    report("after", measure(ROOT / "src", args.n, args.batch, args.epochs))


if __name__ == "__main__":
    main()
