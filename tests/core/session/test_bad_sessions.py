"""Corrupted, truncated, foreign, newer and pickle-laden sessions give clear messages and are moved aside."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import PaneStates, take_snapshot


class _Payload:
    """Unpickling this creates ``path`` (what an attacker's code would do)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _save(root: Path, name: str = "s") -> Path:
    values = {
        "X": torch.arange(6.0).reshape(3, 2),
        "arr": np.arange(4),
        "frame": pd.DataFrame({"a": [1.0, 2.0]}),
        "net": torch.nn.Linear(2, 1),
    }
    store.save(take_snapshot(sorted(values.items()), 1 << 30, PaneStates()), name, root=root)
    return root / name


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_a_pickle_payload_in_any_file_is_never_unpickled(root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    count = len(_files(_save(root)))
    assert count >= 5
    for index in range(count):
        directory = _save(root)
        victim = _files(directory)[index]
        victim.write_bytes(payload)
        with pytest.raises(store.SessionCorrupt) as caught:
            store.load("s", root=root)
        assert not marker.exists(), victim.name
        assert str(caught.value), victim.name
        moved = store.move_aside("s", root=root)
        assert moved is not None and moved.exists()


def test_an_object_npy_holding_a_payload_is_refused(root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    directory = _save(root)
    (victim,) = directory.glob("arrays/*.npy")
    victim.unlink()
    np.save(victim, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(store.SessionCorrupt, match="pickle|Object arrays"):
        store.load("s", root=root)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "session.json").write_bytes(b"\x00\xff garbage"), "session.json cannot be read"),
        (lambda d: (d / "session.json").write_text('{"format": "something-else"}'), "not a tui-lab session"),
        (lambda d: (d / "session.json").unlink(), "session.json is missing"),
        (lambda d: (d / "tensors.safetensors").unlink(), "tensors.safetensors is missing"),
        (lambda d: _truncate(d / "tensors.safetensors"), "cannot be read"),
        (lambda d: _replace_by_folder(d / "tensors.safetensors"), "not a regular file"),
        (lambda d: _newer(d / "session.json"), "newer|upgrade tui-lab"),
        (lambda d: _escape(d / "session.json"), "outside the session|not a regular file"),
    ],
    ids=["garbage", "foreign", "no-manifest", "missing-file", "truncated", "folder", "newer", "path-escape"],
)
def test_damaged_sessions_give_a_clear_message_and_are_moved_aside(root: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    directory = _save(root)
    damage(directory)
    with pytest.raises(store.SessionCorrupt, match=message):
        store.load("s", root=root)
    moved = store.move_aside("s", root=root)
    assert moved is not None and moved.exists() and ".bad-" in moved.name
    assert store.load("s", root=root) is None
    assert store.list_sessions(root) == []


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _replace_by_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _newer(path: Path) -> None:
    data = json.loads(path.read_text())
    data["format_version"] = 99
    data["tui_lab"] = "9.0"
    path.write_text(json.dumps(data))


def _escape(path: Path) -> None:
    data = json.loads(path.read_text())
    data["names"][0]["file"] = "../../../etc/passwd"
    path.write_text(json.dumps(data))


def test_a_state_directory_that_cannot_be_written_turns_sessions_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TUI_LAB_HOME", str(blocker / "home"))
    with pytest.raises(store.SessionsOff, match="sessions are off"):
        store.sessions_root()


def test_names_that_could_escape_the_sessions_folder_are_refused() -> None:
    for bad in ("", "../x", "a/b", ".hidden", "x" * 65, "s.bad-1"):
        with pytest.raises(ValueError):
            store.check_name(bad)
    assert store.check_name("course-3.2_run") == "course-3.2_run"


def test_an_unclean_exit_is_noticed_and_a_clean_one_is_not(root: Path) -> None:
    assert not store.unclean_exit("s", root=root)
    (root / ".s.running").write_text(json.dumps({"pid": 2**22 + 12345, "since": 0}))
    assert store.unclean_exit("s", root=root)
    store.mark_running("s", root=root)
    assert not store.unclean_exit("s", root=root)  # this very process holds it
    store.mark_clean("s", root=root)
    assert not store.unclean_exit("s", root=root)
