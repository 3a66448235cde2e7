"""State directories, settings and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_lab.core import fileio
from tui_lab.core.fileio import atomic_write_text
from tui_lab.core.state import config_dir, load_settings, state_dir, update_settings


def test_dirs_live_under_the_redirected_home(lab_home: Path) -> None:
    assert state_dir() == lab_home / "state"
    assert config_dir() == lab_home / "config"
    assert state_dir().is_dir()


def test_settings_round_trip_and_merge() -> None:
    assert load_settings() == {}
    update_settings(device="cpu")
    update_settings(theme="nord")
    assert load_settings() == {"device": "cpu", "theme": "nord"}


def test_corrupt_settings_read_as_empty() -> None:
    (config_dir() / "settings.json").write_text("{not json", encoding="utf-8")
    assert load_settings() == {}


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "runs.csv"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new contents")
    assert target.read_text() == "new contents"
    assert [p.name for p in target.parent.iterdir()] == ["runs.csv"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.txt"
    atomic_write_text(target, "precious")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "half-written")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
