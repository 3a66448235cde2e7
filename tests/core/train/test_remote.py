"""Runs in other processes: JSON lines become Progress and RunResult; stop ends the whole group; a crash is one line."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from tui_lab.core.train.config import TrainConfig
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
              "initial_loss": 30.0, "diverged_at": None, "notes": []}  # fmt: skip
    argv = fake_launcher(tmp_path, f"print(PROGRESS, flush=True)\nprint({json.dumps(result)!r}, flush=True)\n"
                                   "child.kill()\n")  # fmt: skip
    seen: list[object] = []
    outcome = run_processes(TrainConfig(processes=2), "cpu", seen.append, argv=argv)
    assert len(seen) == 1 and outcome.status == "finished" and outcome.w == (2.0, -3.4)
    assert outcome.step_losses.tolist() == [3.0, 2.0, 1.0] and outcome.steps_per_epoch == 5
    assert outcome.closed_loss == 0.0001 and outcome.notes[0] == "2 processes, global batch 20"


def test_stop_ends_every_process_of_the_group(tmp_path: Path) -> None:
    argv = fake_launcher(tmp_path, "while True:\n    print(PROGRESS, flush=True)\n    time.sleep(0.05)\n")
    seen: list[object] = []
    outcome = run_processes(TrainConfig(processes=2), "cpu", seen.append, lambda: bool(seen), argv=argv)
    launcher, rank = (int(p) for p in (tmp_path / "pids").read_text().split())
    assert outcome.status == "stopped" and outcome.message == "stopped in epoch 1 at step 3 (all 2 processes ended)"
    assert not alive(launcher) and not alive(rank)


def test_a_crash_is_one_clear_line(tmp_path: Path) -> None:
    argv = fake_launcher(
        tmp_path,
        "child.kill()\nprint('Traceback (most recent call last):', file=sys.stderr)\n"
        "print('tui-lab train: error: rank 1 was killed (SIGKILL); the others were stopped', file=sys.stderr)\n"
        "sys.exit(1)\n",
    )
    outcome = run_processes(TrainConfig(processes=2), "cpu", argv=argv)
    assert outcome.status == "failed" and outcome.message == "rank 1 was killed (SIGKILL); the others were stopped"
