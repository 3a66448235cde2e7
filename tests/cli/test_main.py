"""The command line: version, help, bad flags and how arguments reach the app."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tui_lab import __version__
from tui_lab.cli import build_parser, main, terminal_problem


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tui-lab {__version__}"


def test_help_lists_keys_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for text in ("CSV_PATH", "--pane", "--device", "F1 All keys", "ctrl+q Quit", "tui-lab train"):
        assert text in out


def test_bogus_flag_prints_usage_and_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "tui_lab", "--bogus"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: tui-lab")
    assert "unrecognized arguments: --bogus" in result.stderr


@pytest.mark.parametrize("device", ["gpu", "cuda:x"])
def test_malformed_device_is_a_usage_error(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--device", device])
    assert exit_info.value.code == 2
    assert "use cpu, cuda, cuda:N or mps" in capsys.readouterr().err


def test_bad_pane_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--pane", "nowhere"])
    assert exit_info.value.code == 2


def test_parser_reads_csv_pane_and_device() -> None:
    args = build_parser().parse_args(["data.csv", "--pane", "train", "--device", "cuda:1"])
    assert (args.csv_path, args.pane, args.device) == ("data.csv", "train", "cuda:1")


@pytest.mark.parametrize("term", ["dumb", "", "unknown"])
def test_a_dumb_terminal_gets_a_clear_refusal_not_a_full_colour_tui(term: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TERM"}
    if term:
        env["TERM"] = term
    result = subprocess.run(
        [sys.executable, "-m", "tui_lab", "--pane", "repl"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "cannot draw a full-screen app" in result.stderr and "\x1b" not in result.stdout


def test_terminal_problem_accepts_real_terminals() -> None:
    assert terminal_problem({"TERM": "xterm-256color"}) is None
    assert terminal_problem({"TERM": "screen"}) is None


def test_an_app_drawn_by_another_driver_needs_no_term() -> None:
    # tui-lab serve runs each visitor's app with textual-serve's web driver, often from a service without TERM.
    assert terminal_problem({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}) is None
    assert terminal_problem({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "TERM": "dumb"}) is None
