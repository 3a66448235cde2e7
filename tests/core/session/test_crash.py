"""A SIGKILL in the middle of an autosave leaves the previous session loadable, intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot

CHILD = textwrap.dedent(
    """
    import sys, time
    import torch
    from pathlib import Path
    from tui_lab.core.session import store
    from tui_lab.core.session.capture import take_snapshot

    root = Path(sys.argv[1])
    big = {f"t{i}": torch.full((16 * 1024 * 1024,), float(i)) for i in range(4)}  # 256 MiB of float32

    def midway(progress):
        if progress.done >= 32 * 1024 * 1024:
            print("midway", flush=True)
            time.sleep(120)  # the parent kills us here, half-way through the tensors file

    store.save(take_snapshot(sorted(big.items()), 1 << 40), "s", root=root, on_progress=midway)
    print("finished", flush=True)
    """
)


def test_sigkill_during_an_autosave_keeps_the_previous_session(root: Path) -> None:
    x = torch.arange(10.0)
    first = {"X": x, "note": "before the crash"}
    store.save(take_snapshot(sorted(first.items()), 1 << 30), "s", root=root)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "midway"
        assert any(p.name.startswith(".s.new-") for p in root.iterdir())  # the new session is half written
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    loaded = store.load("s", root=root)
    assert loaded is not None
    assert set(loaded.values) == {"X", "note"}
    assert torch.equal(loaded.values["X"], x) and loaded.values["note"] == "before the crash"
    store.save(take_snapshot([("Y", torch.ones(2))], 1 << 30), "s", root=root)
    assert not any(p.name.startswith(".s.new-") for p in root.iterdir())  # the dead writer's leftovers are gone


def test_a_swap_cut_between_its_two_renames_still_loads(root: Path) -> None:
    store.save(take_snapshot([("X", torch.arange(3))], 1 << 30), "s", root=root)
    os.replace(root / "s", root / ".s.old-99999999")
    loaded = store.load("s", root=root)
    assert loaded is not None and torch.equal(loaded.values["X"], torch.arange(3))
    assert (root / "s").is_dir()
