"""A single-node data-parallel run without torchrun: the launcher starts and watches its ranks itself.

torchrun's rendezvous store is a ``TCPStore``, which (torch 2.13) listens on every interface with
no authentication: during a run anyone on the network could read and set its keys. One node
needs no network at all, so :func:`launch_local` starts the N ranks directly (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE`` as torchrun would set them) with a ``FileStore`` in the run's
private temporary folder (mode 0700) and gloo/NCCL on the loopback interface; nothing of the
run listens beyond 127.0.0.1.

The ranks run in the launcher's process group (a stop signalled to the group reaches them all)
and each dies with the launcher (:func:`tui_lab.core.lifetime.die_with_parent` at its first
line). The launcher forwards rank 0's stdout line by line, forwards SIGINT/SIGTERM to every
rank once, and stops the others when one fails, as torchrun does; ``STOP_GRACE`` seconds later
whatever is left is killed. The outcome is :class:`~tui_lab.core.train.distributed.LaunchOutcome`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tui_lab.core.lifetime import child_environment, process_alive
from tui_lab.core.train.distributed import (
    RANK_ARGS_ENV,
    RANK_DIR_ENV,
    STATUS_FILE,
    STOP_GRACE,
    STORE_ENV,
    LaunchOutcome,
    LaunchSpec,
    forwarding_signals,
    own_error,
    rank_command,
    rank_errors,
    signal_name,
)

#: Prefix of a run's temporary folder; the launcher's pid follows, so a folder left by a launcher
#: that was killed outright can be recognised and removed by the next launch.
FOLDER_PREFIX = "tui-lab-ranks-"
_FOLDER_RE = re.compile(rf"^{FOLDER_PREFIX}(\d+)-")
#: How long the other ranks may take to exit once rank 0 has, before they are killed.
REAP_WAIT = 2.0
#: How often the launcher looks at its ranks while rank 0 prints nothing.
POLL_SECONDS = 0.05


def loopback_interface() -> str:
    """The loopback interface's name, for ``GLOO_SOCKET_IFNAME`` and ``NCCL_SOCKET_IFNAME``."""
    return "lo0" if sys.platform == "darwin" else "lo"


def rank_environment(spec: LaunchSpec, folder: Path, worker_args: Sequence[str]) -> dict[str, str]:
    """The environment every rank shares (each adds its ``RANK`` and ``LOCAL_RANK``)."""
    env = child_environment()
    for name in ("MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"):
        env.pop(name, None)
    cores = os.cpu_count() or 1
    env.setdefault("OMP_NUM_THREADS", str(max(1, cores // spec.nproc_per_node)))
    world = str(spec.nproc_per_node)
    return {
        **env,
        RANK_DIR_ENV: str(folder),
        RANK_ARGS_ENV: json.dumps(list(worker_args)),
        STORE_ENV: str(folder / "store"),
        "WORLD_SIZE": world,
        "LOCAL_WORLD_SIZE": world,
        "GROUP_RANK": "0",
        "GLOO_SOCKET_IFNAME": loopback_interface(),
        "NCCL_SOCKET_IFNAME": loopback_interface(),
    }


def remove_stale_folders(parent: Path | None = None) -> list[Path]:
    """Remove run folders whose launcher no longer runs (it was killed outright); returns them."""
    parent = Path(tempfile.gettempdir()) if parent is None else parent
    removed = []
    with contextlib.suppress(OSError):
        for path in parent.iterdir():
            match = _FOLDER_RE.match(path.name)
            if match is None or process_alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid():
                    shutil.rmtree(path)
                    removed.append(path)
    return removed


class LocalRun:
    """The ranks of one run: started at once, watched until every one has exited."""

    def __init__(self, spec: LaunchSpec, folder: Path, worker_args: Sequence[str]) -> None:
        self.folder = folder
        self.stopped = False
        #: (rank, exit status) of every rank that failed, in the order they were seen.
        self.failures: list[tuple[int, int]] = []
        self._kill_at: float | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        env = rank_environment(spec, folder, worker_args)
        try:
            for rank in range(spec.nproc_per_node):
                with open(folder / f"rank{rank}.err", "ab") as errors:  # appended to by the rank itself too
                    self.processes.append(
                        subprocess.Popen(
                            rank_command(),
                            env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if rank == 0 else subprocess.DEVNULL,
                            stderr=errors,
                        )
                    )
        except OSError:
            self.kill()
            for process in self.processes:
                process.wait()
            raise

    def stop(self, _signum: int = signal.SIGTERM) -> None:
        """Ask every rank to stop at its next chunk (once); kill what is left ``STOP_GRACE`` seconds later."""
        if self.stopped:
            return
        self.stopped = True
        self._signal_live(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        self._kill_at = deadline if self._kill_at is None else min(self._kill_at, deadline)

    def follow(self, on_line: Callable[[str], None]) -> None:
        """Hand each line rank 0 prints to ``on_line`` until every rank has exited."""
        stdout = self.processes[0].stdout
        assert stdout is not None
        fd, pending, reading = stdout.fileno(), b"", True
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while reading or any(process.poll() is None for process in self.processes):
                for _key, _mask in selector.select(POLL_SECONDS) if reading else ():
                    chunk = os.read(fd, 1 << 16)
                    lines = (pending + chunk).split(b"\n")
                    pending = lines.pop()
                    if not chunk:  # the end: what is left is a last line without a newline
                        selector.unregister(fd)
                        reading = False
                        lines += [pending] if pending else []
                    for raw in lines:
                        on_line(raw.decode("utf-8", "replace"))
                if not reading:
                    time.sleep(POLL_SECONDS)
                self._watch()
        stdout.close()

    def _watch(self) -> None:
        """Note failed ranks and stop the others; kill what outlives its time."""
        now = time.monotonic()
        for rank, process in enumerate(self.processes):
            code = process.poll()
            if code is not None and code != 0 and all(rank != seen for seen, _ in self.failures):
                self.failures.append((rank, code))
                if self._kill_at is None:  # torchrun's rule: one rank fails, the others are stopped
                    self._signal_live(signal.SIGTERM)
                    self._kill_at = now + STOP_GRACE
        if self.processes[0].poll() is not None and self._kill_at is None:
            self._kill_at = now + REAP_WAIT  # rank 0 is done: the others have no reason to stay
        if self._kill_at is not None and now >= self._kill_at:
            self.kill()

    def kill(self) -> None:
        """SIGKILL every rank still running."""
        self._signal_live(signal.SIGKILL)

    def _signal_live(self, sig: int) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)

    def outcome(self) -> LaunchOutcome:
        """How the run ended: rank 0's status file, else a stop, else one line on what failed."""
        status_path = self.folder / STATUS_FILE
        if status_path.exists():
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                status = json.loads(status_path.read_text())
                return LaunchOutcome(int(status["exit"]), status.get("message"), None, self.stopped)
        if self.stopped:
            return LaunchOutcome(None, None, "stopped before rank 0 reported a result", True)
        return LaunchOutcome(None, None, local_failure(self.failures, rank_errors(self.folder)))


def local_failure(failures: Sequence[tuple[int, int]], errors: dict[int, str]) -> str:
    """One line for a failed run: a killed rank first, then a rank's own error, then a rank's last line."""
    killed = [(rank, -code) for rank, code in failures if code < 0]
    killed.sort(key=lambda item: item[1] == signal.SIGTERM)  # the launcher itself SIGTERMs the survivors
    for rank, number in killed[:1]:
        return f"rank {rank} was killed by {signal_name(number)}; the other ranks were stopped"
    own = own_error(errors)
    if own:
        return own
    for rank, code in failures:
        lines = [line.strip() for line in errors.get(rank, "").splitlines() if line.strip()]
        tail = lines[-1] if lines else f"exit status {code}"
        return f"rank {rank} failed ({tail})"
    return "the ranks ended without a result"


def launch_local(spec: LaunchSpec, worker_args: Sequence[str], on_line: Callable[[str], None]) -> LaunchOutcome:
    """Run ``spec.nproc_per_node`` ranks of ``worker_args`` on this machine; ``on_line`` gets rank 0's lines."""
    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{os.getpid()}-") as name:
        folder = Path(name)  # mode 0700: the store and the ranks' files are this user's alone
        try:
            run = LocalRun(spec, folder, worker_args)
        except OSError as error:
            return LaunchOutcome(None, None, f"cannot start the ranks: {error.strerror or error}")
        try:
            with forwarding_signals(run.stop):
                run.follow(on_line)
        finally:
            run.kill()  # a no-op unless the reader itself failed: leave no rank behind
        return run.outcome()
