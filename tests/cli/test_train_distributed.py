"""``tui-lab train --nproc-per-node N``: torchrun launch, rank-0-only output, clear failures, no process left."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.train_fit import fit_of
from tui_lab.cli.train import main
from tui_lab.core.lifetime import descendants
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.distributed import (
    MULTI_NODE_WARNING,
    RANK_ENTRY,
    TORCHRUN_ENTRY,
    LaunchSpec,
    summarize_failure,
    torchrun_command,
)
from tui_lab.core.train.runner import run

TRAIN = [sys.executable, "-m", "tui_lab.cli.train"]


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _start(*args: str) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen(
        [*TRAIN, "--nproc-per-node", "2", "--progress-jsonl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    start = json.loads(process.stdout.readline())
    assert start["event"] == "start" and start["world_size"] == 2 and len(start["pids"]) == 2
    assert json.loads(process.stdout.readline())["event"] == "progress"  # training is under way
    return process, start


def test_two_processes_print_one_json_equal_to_one_process_with_twice_the_batch() -> None:
    args = ["--impl", "concise", "--n", "205", "--batch-size", "5", "--epochs", "2", "--seed", "3", "--json"]
    done = subprocess.run([*TRAIN, "--nproc-per-node", "2", *args], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1  # only rank 0 prints, once
    document = json.loads(lines[0])
    alone = run(TrainConfig(impl="concise", n=205, batch_size=10, epochs=2, seed=3))
    fit = fit_of(alone)
    assert document["w"] == pytest.approx(fit.w, abs=1e-5) and document["b"] == pytest.approx(fit.b, abs=1e-5)
    assert document["world_size"] == 2 and document["global_batch"] == 10
    assert "global batch 10 = 2 × 5" in document["notes"][0]


def test_a_killed_rank_is_one_clear_line_and_nothing_is_left() -> None:
    process, start = _start("--impl", "manual", "--n", "200000", "--epochs", "100")
    os.kill(start["pids"][1], signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err.strip() == "tui-lab train: error: rank 1 was killed by SIGKILL; the other ranks were stopped"
    assert json.loads(out.splitlines()[-1]) == {
        "event": "error",
        "message": "rank 1 was killed by SIGKILL; the other ranks were stopped",
    }
    assert not any(_running(pid) for pid in start["pids"])


def test_sigint_stops_every_rank_with_a_result() -> None:
    process, start = _start("--impl", "scratch", "--n", "200000", "--epochs", "100")
    os.killpg(process.pid, signal.SIGINT)  # what the Train pane's F7 sends to the process group it started
    out, err = process.communicate(timeout=120)
    result = json.loads(out.splitlines()[-1])
    assert result["event"] == "result" and result["status"] == "stopped" and process.returncode == 1
    assert err.startswith("stopped in epoch 1 at step")
    assert not any(_running(pid) for pid in start["pids"])


def test_a_rendezvous_that_times_out_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["--nproc-per-node", "1", "--nnodes", "2", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-timeout", "2"]
    done = subprocess.run([*TRAIN, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"tui-lab train: warning: {MULTI_NODE_WARNING}\n"
        f"tui-lab train: error: rendezvous at 127.0.0.1:{port} timed out after 2 s: not all 2 nodes joined\n"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_nodes_on_one_machine_train_through_torchrun_and_warn() -> None:
    """``--nnodes 2`` keeps torchrun (its store has no authentication: both nodes warn); node 1 ends quietly."""
    args = ["--nproc-per-node", "1", "--nnodes", "2", "--rdzv-endpoint", f"127.0.0.1:{_free_port()}",
            "--impl", "manual", "--n", "2000", "--epochs", "2", "--json"]  # fmt: skip
    node1 = subprocess.Popen(
        [*TRAIN, *args, "--node-rank", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    node0 = subprocess.run([*TRAIN, *args, "--node-rank", "0"], capture_output=True, text=True, timeout=240)
    out1, err1 = node1.communicate(timeout=240)
    assert node0.returncode == 0 and node1.returncode == 0, (node0.stderr, err1)
    document = json.loads(node0.stdout)
    assert document["world_size"] == 2 and document["status"] == "finished" and out1 == ""
    assert node0.stderr == f"tui-lab train: warning: {MULTI_NODE_WARNING}\n"
    assert (
        err1 == f"tui-lab train: warning: {MULTI_NODE_WARNING}\nnode 1: its ranks finished; node 0 prints the result\n"
    )


def _listeners() -> list[tuple[str, set[int]]]:
    """Every listening TCP socket: its local address and the pids holding it (``ss -ltnpH``)."""
    lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    found = []
    for line in lines:
        fields = line.split()
        found.append((fields[3], {int(pid) for pid in re.findall(r"pid=(\d+)", line)}))
    return found


def _loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].split("%", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "*": every interface


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to list listening sockets")
def test_a_one_node_run_listens_on_loopback_only() -> None:
    """#20.8: torchrun's TCPStore listened on *:PORT; one node now needs no network at all."""
    process, start = _start("--impl", "manual", "--n", "200000", "--epochs", "100")
    try:
        tree = {process.pid, *start["pids"], *(entry.pid for entry in descendants(process.pid))}
        ours = [address for address, pids in _listeners() if pids & tree]
        assert ours, "gloo's ranks listen (on loopback) while they train"
        assert all(_loopback(address) for address in ours), ours
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--nproc-per-node", "0"], "--nproc-per-node"),
        (["--nproc-per-node", "2", "--device", "mps"], "--device"),
        (["--nproc-per-node", "2", "--device", "cuda:1"], "--device"),
        (["--nnodes", "2"], "--rdzv-endpoint"),
        (["--nnodes", "2", "--node-rank", "2", "--rdzv-endpoint", "h:1"], "--node-rank"),
        (["--nproc-per-node", "2", "--json", "--progress-jsonl"], "--json"),
        (["--nproc-per-node", "2", "--rdzv-endpoint", "h:1"], "--rdzv-endpoint"),
    ],
)
def test_bad_topologies_are_refused_before_launching(
    args: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert f"tui-lab train: error: {option}: " in capsys.readouterr().err


def test_cuda_needs_a_gpu_per_process(cpu_only_host: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--nproc-per-node", "2", "--device", "cuda"]) == 2
    assert "tui-lab train: error: --device: cuda is not available: no NVIDIA GPU is visible" in capsys.readouterr().err


def test_more_processes_than_gpus_are_refused(fake_gpu_host: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--nproc-per-node", "3", "--device", "cuda"]) == 2
    assert "--nproc-per-node: 3 processes need as many GPUs; this node has 2" in capsys.readouterr().err


def test_progress_jsonl_in_one_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--impl", "manual", "--n", "2000", "--epochs", "2", "--progress-jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["event"] for e in events[:-1]} == {"progress"} and events[-1]["event"] == "result"
    assert sum(len(e["new_step_losses"]) for e in events[:-1]) == 400
    assert [loss for e in events[:-1] for loss in e["epoch_losses"]] == events[-1]["epoch_losses"]
    assert events[-1]["world_size"] == 1 and events[-1]["status"] == "finished"


def test_torchrun_command_line() -> None:
    multi = torchrun_command(LaunchSpec(8, 2, 1, "node0:29500", 60))
    assert multi[1:3] == ["-c", TORCHRUN_ENTRY] and "--nproc-per-node=8" in multi
    assert "--node-rank=1" in multi and "--rdzv-endpoint=node0:29500" in multi and "--rdzv-conf=timeout=60" in multi
    assert multi[multi.index("--no-python") + 1 :] == [sys.executable, "-u", "-c", RANK_ENTRY]
    for entry in (TORCHRUN_ENTRY, RANK_ENTRY):  # dying with the parent comes before any other import
        assert entry.startswith("from tui_lab.core.lifetime import die_with_parent; die_with_parent()\n")


TORCHRUN_FAILURE = """
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
Failures:
[1]:
  rank      : 0 (local_rank: 0)
  exitcode  : -15 (pid: 24064)  (SIGTERM)
-------------------------------------------------------
Root Cause (first observed failure):
[0]:
  rank      : 3 (local_rank: 1)
  exitcode  : -9 (pid: 24065)  (SIGKILL)
"""


def test_failure_summaries() -> None:
    spec = LaunchSpec(2)
    assert (
        summarize_failure(TORCHRUN_FAILURE, {}, spec, 1) == "rank 3 was killed by SIGKILL; the other ranks were stopped"
    )
    crashed = TORCHRUN_FAILURE.replace("-9 (pid", "1 (pid").replace("-15 (pid", "1 (pid")
    errors = {1: "tui-lab train: rank 1: CUDA out of memory\n", 0: "warning\ntui-lab train: rank 0: Connection reset\n"}
    assert summarize_failure(crashed, errors, spec, 1) == "rank 0: Connection reset"
    assert summarize_failure("boom\nValueError: bad thing\n", {}, spec, 1) == "torchrun failed (ValueError: bad thing)"
    timeout = "torch.distributed.elastic.rendezvous.api.RendezvousTimeoutError"
    assert "timed out after 300 s" in summarize_failure(timeout, {}, LaunchSpec(1, 2, 0, "h:1"), 1)
