"""``tui-lab train`` with extreme numbers, contradictory options and a closed pipe: one clear line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_lab.cli.train import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--seed", "1e29"], "--seed: must be at most"),
        (["--n", "1e12"], "--n: must be at most"),
        (["--n", "1e308"], "--n: must be at most"),
        (["--impl", "closed", "--true-b", "1e300"], "--true-b: true b must be within ±1e+12"),
        (["--noise", "1e308"], "--noise: noise σ must be within"),
        (["--true-b", "1e308"], "--true-b: true b must be within"),
        (["--lr", "1e308"], "--lr: learning rate must be at most 1e+06"),
        (["--target", "Price"], "--target: needs --csv PATH"),
        (["--true-w", "2,,3"], "--true-w: an empty weight between commas"),
        (["--impl", "model"], "--impl: model trains a workspace nn.Module"),
        (["--true-b", ""], "--true-b: empty: give a number"),
    ],
)
def test_extreme_or_contradictory_arguments_exit_2_with_one_clear_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_memory_estimate_refuses_a_run_that_cannot_fit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_lab.core.train import limits

    monkeypatch.setattr(limits, "free_ram", lambda: 2**30)
    assert main(["--n", "1e9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tui-lab train: error: --n: N = 1,000,000,000 × 3 values needs about 22.4 GiB")


def test_a_closed_pipe_ends_quietly() -> None:
    """``tui-lab train | head -1``: the reader is gone before anything is written; no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    code = "import sys\nfrom tui_lab.cli import main\nsys.exit(main(['train', '--epochs', '1', '--n', '100']))"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 0


def test_a_fifo_given_as_csv_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "tui_lab", "train", "--csv", str(fifo), "--target", "y"],
        capture_output=True,
        text=True,
        timeout=120,  # guards the hang this test is about; a refusal takes a second or two
    )
    assert result.returncode == 2
    assert "not a regular file" in result.stderr + result.stdout
