"""Runs in other processes: JSON lines become Progress and TrainingOutcome; stop ends the whole group; a crash is one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.train_fit import fit_of
from tests.waiting import wait_until
from tui_lab.core.lifetime import descendants, process_alive
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.train.ranks import FOLDER_PREFIX, remove_stale_folders
from tui_lab.core.train.remote import run_processes, train_arguments

PROGRESS = {
    "event": "progress", "epoch": 1, "epochs": 2, "step": 3, "steps_total": 10, "steps_per_epoch": 5,
    "new_step_losses": [3.0, 2.0, 1.0], "epoch_losses": [], "w": [1.0, -1.0], "b": 0.5, "elapsed": 0.1,
    "samples_per_s": 300.0, "eta": 0.2, "cuda_memory": None,
}  # fmt: skip


def fake_launcher(tmp_path: Path, body: str) -> list[str]:
    """A stand-in for ``tui-lab train --nproc-per-node 2``: a script with a child process ("rank 1")."""
    script = tmp_path / "launcher.py"
    script.write_text(
        "import json, os, subprocess, sys, time\n"
        f"PROGRESS = {json.dumps(PROGRESS)!r}\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(tmp_path / 'pids')!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "print(json.dumps({'event': 'start', 'world_size': 2}), flush=True)\n" + textwrap.dedent(body)
    )
    return [sys.executable, str(script)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie has exited; only its parent has not reaped it
        return handle.read().split(")")[-1].split()[0] != "Z"


def test_arguments_carry_the_form_and_the_protocol() -> None:
    args = train_arguments(TrainConfig(processes=4, true_w=(2.0, -3.4), lr=0.1), "cuda:1")
    assert args[0] == "train" and "--true-w=2.0,-3.4" in args and "--lr=0.1" in args
    assert args[-3:] == ["--device=cuda", "--nproc-per-node=4", "--progress-jsonl"]


def test_progress_and_result_lines_become_the_run(tmp_path: Path) -> None:
    result = {"event": "result", "status": "finished", "message": "finished 2 epochs", "device": "cpu",
              "epoch_losses": [0.5, 0.1], "w": [2.0, -3.4], "b": 4.2, "true_w": [2.0, -3.4], "true_b": 4.2,
              "closed_form": {"w": [2.0, -3.4], "b": 4.2, "loss": 0.0001}, "seconds": 1.0, "samples": 100,
              "initial_loss": 30.0, "diverged_at": None, "notes": [], "peak_cuda_memory": 2048}  # fmt: skip
    argv = fake_launcher(tmp_path, f"print(PROGRESS, flush=True)\nprint({json.dumps(result)!r}, flush=True)\n"
                                   "child.kill()\n")  # fmt: skip
    seen: list[object] = []
    outcome = run_processes(TrainConfig(processes=2), "cpu", seen.append, argv=argv)
    assert len(seen) == 1 and outcome.status is RunStatus.FINISHED and fit_of(outcome).w == (2.0, -3.4)
    assert outcome.step_losses.tolist() == [3.0, 2.0, 1.0] and outcome.steps_per_epoch == 5
    assert fit_of(outcome).closed_loss == 0.0001 and outcome.notes[0] == "2 processes, global batch 20"
    assert outcome.status is RunStatus.FINISHED and outcome.peak_cuda_memory == 2048  # the event's, not dropped


def test_stop_ends_every_process_of_the_group(tmp_path: Path) -> None:
    argv = fake_launcher(tmp_path, "while True:\n    print(PROGRESS, flush=True)\n    time.sleep(0.05)\n")
    seen: list[object] = []
    outcome = run_processes(TrainConfig(processes=2), "cpu", seen.append, lambda: bool(seen), argv=argv)
    launcher, rank = (int(p) for p in (tmp_path / "pids").read_text().split())
    assert (
        outcome.status is RunStatus.STOPPED
        and outcome.message == "stopped in epoch 1 at step 3 (all 2 processes ended)"
    )
    assert not alive(launcher) and not alive(rank)


def test_a_crash_is_one_clear_line(tmp_path: Path) -> None:
    argv = fake_launcher(
        tmp_path,
        "child.kill()\nprint('Traceback (most recent call last):', file=sys.stderr)\n"
        "print('tui-lab train: error: rank 1 was killed (SIGKILL); the others were stopped', file=sys.stderr)\n"
        "sys.exit(1)\n",
    )
    outcome = run_processes(TrainConfig(processes=2), "cpu", argv=argv)
    assert (
        outcome.status is RunStatus.FAILED and outcome.message == "rank 1 was killed (SIGKILL); the others were stopped"
    )


# -- the launcher and its ranks die with the app, whatever kills it ----------------------------

#: The app, as far as a run is concerned: run_processes in a worker thread, a line per progress.
APP = """
import threading
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.train.remote import run_processes

config = TrainConfig(impl="manual", n=200_000, epochs=100, processes=2)
worker = threading.Thread(target=run_processes, args=(config, "cpu", lambda progress: print("progress", flush=True)))
worker.start()
worker.join()
"""


def live_tree(pid: int) -> list[int]:
    return [entry.pid for entry in descendants(pid) if entry.running]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux")
@pytest.mark.parametrize(
    ("sig", "moment"),
    [(signal.SIGKILL, "starting"), (signal.SIGHUP, "starting"), (signal.SIGKILL, "training")],
    ids=["kill -9 while the ranks import torch", "kill -HUP while they start", "kill -9 while they train"],
)
def test_the_launcher_and_its_ranks_end_within_3_s_of_the_app(sig: signal.Signals, moment: str) -> None:
    """#20.7: they kept running at 50-70% CPU each for over 70 s."""
    app = subprocess.Popen([sys.executable, "-c", APP], stdout=subprocess.PIPE, text=True)
    tree: list[int] = []
    try:
        assert app.stdout is not None
        wait_until(lambda: len(live_tree(app.pid)) >= 3, "the launcher and both ranks to start", timeout=120)
        if moment == "training":
            assert app.stdout.readline() == "progress\n"
        tree = live_tree(app.pid)
        app.send_signal(sig)
        app.wait(timeout=30)
        wait_until(lambda: not any(process_alive(pid) for pid in tree), "every process of the run to end", timeout=3.0)
    finally:
        app.kill()
        app.wait()
        if app.stdout is not None:
            app.stdout.close()
        for pid in filter(process_alive, tree):  # a failure leaves nothing behind
            os.kill(pid, signal.SIGKILL)


def test_a_killed_launchers_folder_is_removed_by_the_next_launch(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f"{FOLDER_PREFIX}{dead.pid}-abc"
    live = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-def"
    other = tmp_path / "tui-lab-ranks-x-1"
    for folder in (left, live, other):
        folder.mkdir()
        (folder / "store").write_text("")
    assert remove_stale_folders(tmp_path) == [left]
    assert not left.exists() and live.exists() and other.exists()
