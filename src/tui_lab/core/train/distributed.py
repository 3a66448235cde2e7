"""Launch a data-parallel run and report how it ended: one node by ourselves, several through torchrun.

``launch`` runs the ranks of this node, forwards rank 0's stdout line by line, and turns whatever
went wrong into one line: a rank that crashed or was killed, a rendezvous that timed out. Ranks
know they are ranks from ``RANK_DIR_ENV`` (a private temporary folder for their stderr and rank
0's exit status).

- **One node** (``--nnodes 1``): :func:`tui_lab.core.train.ranks.launch_local` starts the ranks
  itself, with a ``FileStore`` and gloo/NCCL on loopback, so nothing listens on the network.
- **Several nodes**: ``python -m torch.distributed.run`` (torchrun) with the static rendezvous
  at node 0's ``HOST:PORT``. Its ``TCPStore`` listens on every interface of node 0 and has no
  authentication: :data:`MULTI_NODE_WARNING` says so, and such runs belong on a private network.

No orphan is left: the launcher, torchrun and every rank call
:func:`~tui_lab.core.lifetime.die_with_parent` at their first line (SIGKILL when the parent
dies, on Linux). SIGINT/SIGTERM to the launcher is forwarded once (to torchrun, which passes it
on, or to the ranks); they stop together at the next chunk and rank 0 reports "stopped"; if they
have not exited ``STOP_GRACE`` seconds later, what is left is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui_lab.core.lifetime import PARENT_PID_ENV, child_environment

#: Set in each rank's environment: the folder for its stderr (rank{R}.err) and rank 0's status.json.
RANK_DIR_ENV = "TUI_LAB_RANK_DIR"
#: The ranks' ``tui-lab train`` arguments as a JSON list (torchrun's own parser would take ``--n`` for its options).
RANK_ARGS_ENV = "TUI_LAB_RANK_ARGS"
#: Set by the single-node launcher: the ``FileStore`` path (in the run's private folder) the ranks meet through.
STORE_ENV = "TUI_LAB_STORE"
STATUS_FILE = "status.json"
#: Seconds between forwarding a stop and killing what is left.
STOP_GRACE = 1.5
#: What every process of a run runs first: die with the parent, before anything heavy is imported.
_DIE_WITH_PARENT = "from tui_lab.core.lifetime import die_with_parent; die_with_parent()\n"
#: A rank's program (``python -u -c RANK_ENTRY``); its arguments come in RANK_ARGS_ENV.
RANK_ENTRY = _DIE_WITH_PARENT + "import sys\nfrom tui_lab.cli.train import rank_main\nsys.exit(rank_main())\n"
#: torchrun's program: its ranks in turn die with it.
TORCHRUN_ENTRY = (
    _DIE_WITH_PARENT + f"import os, runpy\nos.environ[{PARENT_PID_ENV!r}] = str(os.getpid())\n"
    "runpy.run_module('torch.distributed.run', run_name='__main__', alter_sys=True)\n"
)
MULTI_NODE_WARNING = (
    "the rendezvous store (torch's TCPStore at --rdzv-endpoint) listens on every interface of node 0 and has "
    "no authentication: anyone who can reach that port can read and change it while the run lasts. "
    "Run multi-node training on a private network only."
)


@dataclass(frozen=True)
class LaunchSpec:
    """torchrun's topology: processes per node, nodes, this node's rank, the rendezvous endpoint."""

    nproc_per_node: int = 1
    nnodes: int = 1
    node_rank: int = 0
    rdzv_endpoint: str = ""
    rdzv_timeout: int = 300

    @property
    def world_size(self) -> int:
        """Processes in the whole run."""
        return self.nproc_per_node * self.nnodes


@dataclass(frozen=True)
class LaunchOutcome:
    """How a launched run ended: rank 0's exit status and message, or one line saying what failed."""

    exit_status: int | None
    message: str | None
    error: str | None
    stopped: bool = False


def rank_command() -> list[str]:
    """How a rank is started: this interpreter, unbuffered, running :data:`RANK_ENTRY`."""
    return [sys.executable, "-u", "-c", RANK_ENTRY]


def torchrun_command(spec: LaunchSpec) -> list[str]:
    """The torchrun command line that starts this node's ranks of a multi-node run (arguments in RANK_ARGS_ENV)."""
    return [
        sys.executable,
        "-c",
        TORCHRUN_ENTRY,
        f"--nproc-per-node={spec.nproc_per_node}",
        f"--nnodes={spec.nnodes}",
        "--max-restarts=0",
        "--monitor-interval=0.1",
        f"--node-rank={spec.node_rank}",
        "--rdzv-backend=static",
        f"--rdzv-endpoint={spec.rdzv_endpoint}",
        f"--rdzv-conf=timeout={spec.rdzv_timeout}",
        "--no-python",
        *rank_command(),
    ]


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9; ``signal 64`` for a number without a name."""
    return signal.Signals(number).name if number in {s.value for s in signal.Signals} else f"signal {number}"


_FAILURE = re.compile(r"rank\s*:\s*(\d+)\s*\(local_rank:\s*\d+\)\s*\n\s*exitcode\s*:\s*(-?\d+)")


def summarize_failure(stderr: str, rank_errors: dict[int, str], spec: LaunchSpec, returncode: int) -> str:
    """One line for a failed launch: a killed rank first, then a rank's own error, a rendezvous timeout, else the tail."""
    root, _, others = stderr.partition("Root Cause")[::-1] if "Root Cause" in stderr else ("", "", stderr)
    failures = [(int(r), int(c)) for r, c in _FAILURE.findall(root) + _FAILURE.findall(others)]
    killed = [(rank, -code) for rank, code in failures if code < 0]
    killed.sort(key=lambda item: item[1] == signal.SIGTERM)  # torchrun itself SIGTERMs the survivors
    for rank, number in killed[:1]:
        return f"rank {rank} was killed by {signal_name(number)}; the other ranks were stopped"
    own = own_error(rank_errors)
    if own:
        return own
    if "RendezvousTimeoutError" in stderr or ("rendezvous" in stderr.lower() and "timed out" in stderr.lower()):
        where = spec.rdzv_endpoint or "localhost"
        return f"rendezvous at {where} timed out after {spec.rdzv_timeout} s: not all {spec.nnodes} nodes joined"
    if "RendezvousConnectionError" in stderr or "DistNetworkError" in stderr:
        return f"cannot reach the rendezvous at {spec.rdzv_endpoint or 'localhost'}"
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith(" ")]
    tail = lines[-1] if lines else f"exit status {returncode}"
    return f"torchrun failed ({tail})"


def own_error(rank_errors: dict[int, str]) -> str | None:
    """The first ``tui-lab train: …`` line a rank wrote (lowest rank first), without the prefix."""
    own = [line for _, text in sorted(rank_errors.items()) for line in text.splitlines() if "tui-lab train:" in line]
    return own[0].split("tui-lab train: ", 1)[1] if own else None


def rank_errors(folder: Path) -> dict[int, str]:
    """What each rank wrote to its stderr file, by rank."""
    found: dict[int, str] = {}
    for path in folder.glob("rank*.err"):
        with contextlib.suppress(OSError, ValueError):
            found[int(path.stem[4:])] = path.read_text(errors="replace")
    return found


@contextlib.contextmanager
def forwarding_signals(on_signal: Callable[[int], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call ``on_signal`` (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only delivered to the main thread; the caller stops us through ``should_stop``
        return
    previous = {sig: signal.signal(sig, lambda s, f: on_signal(s)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def launch(spec: LaunchSpec, worker_args: Sequence[str], on_line: Callable[[str], None]) -> LaunchOutcome:
    """Run this node's ranks of ``worker_args``; ``on_line`` gets each line rank 0 prints, as it prints it."""
    if spec.nnodes == 1:
        from tui_lab.core.train.ranks import launch_local

        return launch_local(spec, worker_args, on_line)
    return launch_torchrun(spec, worker_args, on_line)


def launch_torchrun(spec: LaunchSpec, worker_args: Sequence[str], on_line: Callable[[str], None]) -> LaunchOutcome:
    """Run torchrun for this node of a multi-node run (see :data:`MULTI_NODE_WARNING`)."""
    with tempfile.TemporaryDirectory(prefix="tui-lab-ranks-") as folder:
        env = {**child_environment(), RANK_DIR_ENV: folder, RANK_ARGS_ENV: json.dumps(list(worker_args))}
        cores = os.cpu_count() or 1
        env.setdefault("OMP_NUM_THREADS", str(max(1, cores // spec.nproc_per_node)))
        process = subprocess.Popen(
            torchrun_command(spec),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        stderr_parts: list[str] = []
        reader = threading.Thread(target=lambda: stderr_parts.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        stopped = threading.Event()
        killer: list[threading.Timer] = []

        def stop(signum: int) -> None:
            if stopped.is_set():
                return
            stopped.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            timer = threading.Timer(STOP_GRACE, lambda: _kill_group(process.pid))
            timer.daemon = True
            timer.start()
            killer.append(timer)

        with forwarding_signals(stop):
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line.rstrip("\n"))
            returncode = process.wait()
        for timer in killer:
            timer.cancel()
        _kill_group(process.pid)  # anything torchrun left behind in its group
        _reap_ranks(Path(folder))
        reader.join(timeout=5)
        status_path = Path(folder) / STATUS_FILE
        if status_path.exists():
            with contextlib.suppress(OSError, ValueError):
                status = json.loads(status_path.read_text())
                return LaunchOutcome(int(status["exit"]), status.get("message"), None, stopped.is_set())
        if stopped.is_set():
            return LaunchOutcome(None, None, "stopped before rank 0 reported a result", True)
        if returncode == 0 and spec.node_rank != 0:  # rank 0 lives on node 0: it reports the result there
            return LaunchOutcome(0, f"node {spec.node_rank}: its ranks finished; node 0 prints the result", None)
        error = summarize_failure("".join(stderr_parts), rank_errors(Path(folder)), spec, returncode)
        return LaunchOutcome(None, None, error)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not sys.platform.startswith("linux")


def _reap_ranks(folder: Path, wait: float = 2.0) -> None:
    """Make sure no rank outlives the launch: wait briefly for each, then SIGKILL it."""
    pids = []
    for path in folder.glob("rank*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pids.append(int(path.read_text()))
    deadline = time.monotonic() + wait
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def register_rank() -> None:
    """Rank side: leave this process's id for the launcher, which makes sure it is gone at the end."""
    folder = os.environ.get(RANK_DIR_ENV)
    if folder and "RANK" in os.environ:
        (Path(folder) / f"rank{int(os.environ['RANK'])}.pid").write_text(str(os.getpid()))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def write_status(exit_status: int, message: str | None) -> None:
    """Rank 0: leave the exit status and message for the launcher."""
    folder = os.environ.get(RANK_DIR_ENV)
    if folder:
        path = Path(folder) / STATUS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"exit": exit_status, "message": message}))
        temporary.replace(path)


def rank_args() -> list[str] | None:
    """Inside a rank, the ``tui-lab train`` arguments the launcher was given; None elsewhere."""
    if not is_rank() or RANK_ARGS_ENV not in os.environ:
        return None
    return [str(a) for a in json.loads(os.environ[RANK_ARGS_ENV])]


def is_rank() -> bool:
    """True inside a rank started by :func:`launch`."""
    return RANK_DIR_ENV in os.environ and "RANK" in os.environ


def rank_error_file() -> Path:
    """Where this rank's stderr goes."""
    return Path(os.environ[RANK_DIR_ENV]) / f"rank{os.environ['RANK']}.err"
