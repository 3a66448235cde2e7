"""A run in other processes: ``tui-lab train --nproc-per-node N … --progress-jsonl`` driven like ``runner.run``.

The Train pane's "processes" field above 1 lands here. :func:`run_processes` starts the command
in its own process group, reads rank 0's JSON lines (``start``, ``progress``…, then ``result`` or
``error``, the protocol of ``cli/train.py``) and turns them, through a
:class:`~tui_lab.core.train.report.RunReporter`, into the same ``Progress`` and
``TrainingOutcome`` an in-process run gives, so the pane draws it like any other run.

Stopping sends SIGTERM to the launcher's group (the launcher and its ranks, which stop
together), waits ``STOP_WAIT`` seconds, then SIGKILLs the group. The launcher dies with this
process and its ranks with the launcher (:func:`~tui_lab.core.lifetime.die_with_parent`), so a
``kill -9`` of the app leaves no process either. The launcher is started by the thread that then
waits for it (Linux sends the death signal when that *thread* ends). A crash is one line: the
launcher's ``error`` event, or the last line it wrote to stderr.
"""

from __future__ import annotations

import json
import math
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from tui_lab.core.lifetime import child_environment, group_alive
from tui_lab.core.train.chunks import never
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import Progress, ProgressCallback, RunStatus, TrainingOutcome
from tui_lab.core.train.report import JsonEvent, RunReporter, linear_fit, progress_from_event

#: Seconds between SIGTERM and SIGKILL of the launcher's group (every rank is gone within 2 s).
STOP_WAIT = 1.7
#: How often the reader wakes up to look at ``should_stop`` while no line arrives.
POLL_SECONDS = 0.1

#: config field -> ``tui-lab train`` option.
OPTIONS = {
    "impl": "--impl", "n": "--n", "true_w": "--true-w", "true_b": "--true-b", "noise": "--noise",
    "data_seed": "--data-seed", "lr": "--lr", "batch_size": "--batch-size", "epochs": "--epochs",
    "optimizer": "--optimizer", "momentum": "--momentum", "loss": "--loss", "huber_delta": "--delta",
    "init_std": "--init-std", "seed": "--seed",
}  # fmt: skip


def train_arguments(config: TrainConfig, device: str) -> list[str]:
    """``tui-lab train`` arguments for ``config`` on ``processes`` processes, with the JSON-lines protocol."""
    args = ["train"]
    for field, option in OPTIONS.items():
        value = getattr(config, field)
        text = ",".join(repr(float(v)) for v in value) if field == "true_w" else str(value)
        args.append(f"{option}={text}")
    if config.data == "csv":
        args += [f"--csv={config.csv_path}", f"--target={config.target}"]
    device_kind = "cuda" if device.startswith("cuda") else "cpu"
    return [*args, f"--device={device_kind}", f"--nproc-per-node={config.processes}", "--progress-jsonl"]


#: The launcher's program: first die with the app (whatever ends it), then run ``tui-lab train``.
LAUNCHER_ENTRY = (
    "from tui_lab.core.lifetime import die_with_parent; die_with_parent()\n"
    "import sys\nfrom tui_lab.cli import main\nsys.exit(main(sys.argv[1:]))\n"
)


def command(config: TrainConfig, device: str) -> list[str]:
    """The full command line: this interpreter running ``tui-lab train``."""
    return [sys.executable, "-c", LAUNCHER_ENTRY, *train_arguments(config, device)]


def _float(value: float | str | None) -> float:
    return math.nan if value is None else float(value)


def _status(value: object, otherwise: RunStatus) -> RunStatus:
    """The status a result event names, when it is one a run ends with."""
    try:
        status = RunStatus(value)
    except ValueError:
        return otherwise
    return status if status.ended else otherwise


class _Run:
    """The state of one launched run while its lines are read: a reporter fed by the progress events."""

    def __init__(self, config: TrainConfig, device: str) -> None:
        self.config, self.device = config, device
        self.reporter = RunReporter(config, device, clock=time.perf_counter)
        self.last: Progress | None = None
        self.world = config.processes
        self.result: JsonEvent | None = None
        self.error: str | None = None

    def take(self, line: str, on_progress: ProgressCallback | None) -> None:
        """Handle one line of rank 0's output (anything that is not a JSON event is ignored)."""
        try:
            event = json.loads(line)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        kind = event.get("event")
        if kind == "start":
            self.world = int(event.get("world_size") or self.world)
        elif kind == "progress":
            progress = progress_from_event(event)
            self.reporter.add_steps(progress.new_step_losses)
            self.reporter.epoch_losses.extend(progress.epoch_losses)
            self.last = progress
            if on_progress is not None:
                on_progress(progress)
        elif kind == "result":
            self.result = event
        elif kind == "error":
            self.error = str(event.get("message") or "the run failed")

    def outcome(self, status: RunStatus, message: str) -> TrainingOutcome:
        """The outcome from the result event when there is one, else from the last progress."""
        event, last, reporter = self.result or {}, self.last, self.reporter
        closed = event.get("closed_form") or {}
        where = event.get("diverged_at")
        reporter.steps_per_epoch = (
            last.steps_per_epoch if last else math.ceil(self.config.n / (self.config.batch_size * self.world))
        )
        if event.get("epoch_losses"):
            reporter.epoch_losses = [_float(v) for v in event["epoch_losses"]]
        reporter.initial_loss = _float(event.get("initial_loss"))
        reporter.samples = int(event.get("samples") or 0)
        reporter.notes = [
            f"{self.world} processes, global batch {self.world * self.config.batch_size}",
            *(str(n) for n in event.get("notes", ())),
        ]
        w = tuple(_float(v) for v in event.get("w") or (last.w if last else ()))
        fit = None
        if w:
            fit = linear_fit(
                (*w, _float(event.get("b", last.b if last else None))),
                true_w=None if event.get("true_w") is None else tuple(float(v) for v in event["true_w"]),
                true_b=None if event.get("true_b") is None else float(event["true_b"]),
                closed=(*closed["w"], closed["b"]) if closed.get("w") and closed.get("b") is not None else None,
                closed_loss=None if closed.get("loss") is None else float(closed["loss"]),
            )
        reporter.device = str(event.get("device") or self.device)
        peak = event.get("peak_cuda_memory")
        return reporter.outcome(
            _status(event.get("status"), status),
            str(event.get("message") or message),
            fit=fit,
            seconds=float(event.get("seconds") or reporter.elapsed),
            diverged_at=None if not where else (int(where["epoch"]), int(where["step"])),
            peak_cuda_memory=int(peak) if isinstance(peak, int) else None,
        )


def stop_group(process: subprocess.Popen[bytes], wait: float = STOP_WAIT) -> None:
    """SIGTERM the process's group, then SIGKILL what is left of it after ``wait`` seconds.

    Done when the launcher has exited *and* no process of its group still runs: a rank can
    outlive its launcher by a moment (or for good, when the launcher died first).
    """
    for sig, timeout in ((signal.SIGTERM, wait), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            continue
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not group_alive(process.pid):
            return


def run_processes(
    config: TrainConfig,
    device: str,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = never,
    *,
    argv: Sequence[str] | None = None,
) -> TrainingOutcome:
    """Run ``config`` as ``tui-lab train --nproc-per-node …`` (``argv`` replaces the command in tests)."""
    state = _Run(config, device)
    process = subprocess.Popen(
        list(argv) if argv is not None else command(config, device),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a stop reaches the launcher and its ranks, nothing else
        env=child_environment(),  # the launcher dies with this process (and, with it, every rank)
    )
    assert process.stdout is not None and process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    pending = {out_fd: b"", err_fd: b""}
    stopped = False
    errors: list[str] = []
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(out_fd, selectors.EVENT_READ)
            selector.register(err_fd, selectors.EVENT_READ)
            while pending:
                if not stopped and should_stop():
                    stopped = True
                    stop_group(process)
                for key, _mask in selector.select(POLL_SECONDS):
                    fd = int(key.fd)
                    chunk = os.read(fd, 1 << 16)
                    lines = (pending[fd] + chunk).split(b"\n")
                    if chunk:
                        pending[fd] = lines.pop()
                    else:  # end of the stream: what is left is a last line without a newline
                        selector.unregister(fd)
                        del pending[fd]
                    for raw in lines:
                        line = raw.decode("utf-8", "replace").strip()
                        if fd == out_fd:
                            state.take(line, on_progress)
                        elif line:
                            errors = [*errors[-19:], line]
    finally:
        if process.poll() is None:  # the reader itself failed: leave no process behind
            stop_group(process, wait=0.5)
        process.stdout.close()
        process.stderr.close()
    code = process.wait()
    if stopped and state.result is None:
        last = state.last
        where = f"in epoch {last.epoch} at step {last.step - (last.epoch - 1) * last.steps_per_epoch}" if last else ""
        message = f"stopped {where} (all {state.world} processes ended)".replace("  ", " ")
        return state.outcome(RunStatus.STOPPED, message)
    if state.result is not None:
        return state.outcome(RunStatus.FINISHED, "finished")
    reason = state.error or (errors[-1] if errors else f"the launcher exited with status {code}")
    return state.outcome(RunStatus.FAILED, reason.removeprefix("tui-lab train: error: "))
