"""One writer per session: a second instance gets a session of its own; a killed holder's lock is gone with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot
from tui_lab.core.session.keeper import SessionKeeper
from tui_lab.core.session.lock import SessionLock, claim


def test_a_second_lock_on_the_same_session_is_refused_until_the_first_is_released(root: Path) -> None:
    first = claim(root, "default")
    second = claim(root, "default")
    third = claim(root, "default")
    assert (first.name, second.name, third.name) == ("default", "default-2", "default-3")
    assert SessionLock(root, "default").holder() == os.getpid()
    first.release()
    again = claim(root, "default")
    assert again.name == "default"
    for lock in (second, third, again):
        lock.release()


def test_a_second_keeper_never_writes_the_first_ones_session(root: Path) -> None:
    """#20.4: B used to move A's session to default-<time> and write its own work as default."""
    a, b = SessionKeeper(root=root), SessionKeeper(root=root)
    a.open()
    a.write(take_snapshot([("a_work", torch.ones(2))], 1 << 30))
    before = (root / "default" / "session.json").read_bytes()
    opened = b.open()
    assert b.name == "default-2" and opened.existing is None
    assert opened.elsewhere is not None and "'default' is open in another tui-lab" in opened.elsewhere
    assert f"pid {os.getpid()}" in opened.elsewhere and "'default-2'" in opened.elsewhere
    b.write(take_snapshot([("b_work", torch.zeros(2))], 1 << 30))
    b.close()
    assert (root / "default" / "session.json").read_bytes() == before
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["default", "default-2"]
    loaded_b = store.load("default-2", root=root)
    assert loaded_b is not None and set(loaded_b.values) == {"b_work"}
    a.close()


def test_switching_to_a_session_another_instance_holds_is_refused(root: Path) -> None:
    a, b = SessionKeeper(root=root), SessionKeeper("other", root=root)
    a.open()
    b.open()
    try:
        b.switch_to("default")
    except OSError as error:
        assert "open in another tui-lab" in str(error)
    else:
        raise AssertionError("switched onto a session another instance holds")
    assert b.name == "other"
    old = b.switch_to("ch3")
    assert b.name == "ch3" and old is not None
    old.release()
    a.close()
    b.close()


HOLDER = textwrap.dedent(
    """
    import sys, torch
    from tui_lab.core.session.capture import take_snapshot
    from tui_lab.core.session.keeper import SessionKeeper
    keeper = SessionKeeper()
    keeper.open()
    keeper.write(take_snapshot([("kept", torch.arange(3.0))], 1 << 30))
    print(keeper.name, flush=True)
    sys.stdin.read()  # held until killed
    """
)


def test_a_kill_9_of_the_holder_releases_the_lock_and_the_next_start_restores_normally(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "default"
        while_held = SessionKeeper(root=root)
        while_held.open()
        assert while_held.name == "default-2"
        while_held.close()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()
    after = SessionKeeper(root=root)
    opened = after.open()
    assert after.name == "default" and opened.unclean  # the dead holder never closed it
    loaded = after.read()
    assert loaded is not None and torch.equal(loaded.values["kept"], torch.arange(3.0))
    after.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("plant", ["fifo", "folder", "symlink"])
def test_a_lock_planted_as_a_fifo_a_folder_or_a_link_is_refused_by_name_and_leaks_nothing(
    root: Path, plant: str
) -> None:
    """A FIFO there raised a bare "Invalid argument" from ftruncate (and leaked the descriptor); a folder or
    a link gave "Is a directory" or "Too many levels of symbolic links": sessions went off without saying why."""
    path = root / ".default.lock"
    if plant == "fifo":
        os.mkfifo(path)
    elif plant == "folder":
        path.mkdir()
    else:
        (root / "elsewhere").write_text("")
        path.symlink_to(root / "elsewhere")
    before = _open_fds()
    with pytest.raises(OSError, match=r"\.default\.lock is .*\(remove it to use sessions\)"):
        claim(root, "default")
    assert _open_fds() == before
    if plant == "symlink":
        assert (root / "elsewhere").read_text() == ""  # nothing written through the link
