"""The autosave policy and the size cap's configuration."""

from __future__ import annotations

import pytest

from tui_lab.core.session.policy import DEFAULT_CAP, AutosavePolicy, parse_size, session_cap
from tui_lab.core.state import update_settings


def test_sizes_parse_with_units() -> None:
    assert parse_size("2G") == 2 * 1024**3
    assert parse_size("512M") == 512 * 1024**2
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size(1000) == 1000
    for bad in ("lots", "-1G", "1X"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_the_cap_comes_from_the_environment_then_the_setting_then_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUI_LAB_SESSION_CAP", raising=False)
    assert session_cap().nbytes == DEFAULT_CAP
    update_settings(session_cap="1G")
    assert session_cap().nbytes == 1024**3 and "setting" in session_cap().source
    monkeypatch.setenv("TUI_LAB_SESSION_CAP", "64M")
    assert session_cap().nbytes == 64 * 1024**2
    monkeypatch.setenv("TUI_LAB_SESSION_CAP", "plenty")
    cap = session_cap()
    assert cap.nbytes == DEFAULT_CAP and "plenty" in cap.problem


def test_a_change_during_a_save_keeps_the_session_dirty() -> None:
    policy = AutosavePolicy(interval=60)
    assert not policy.due(0.0)
    policy.changed()
    assert policy.due(0.0)
    covered = policy.begin()
    policy.changed()  # while the worker writes
    policy.finished(covered, now=10.0)
    assert policy.dirty and not policy.due(30.0) and policy.due(70.0)
    policy.finished(policy.begin(), now=71.0)
    assert not policy.dirty and not policy.due(500.0)


@pytest.mark.parametrize(
    "huge",
    ["9" * 400 + "T", float("inf"), float("nan"), 10**30, "2048T"],
    ids=["400-digits", "inf", "nan", "10**30", "2048T"],
)
def test_a_cap_beyond_any_disk_falls_back_to_the_default_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, huge: object
) -> None:
    """``TUI_LAB_SESSION_CAP=9999…9T`` raised OverflowError (float infinity to int) at every start."""
    with pytest.raises(ValueError):
        parse_size(huge)  # type: ignore[arg-type]
    monkeypatch.setenv("TUI_LAB_SESSION_CAP", str(huge))
    cap = session_cap()
    assert cap.nbytes == DEFAULT_CAP and cap.problem
