"""``tui-lab train``: course-format output, JSON, exit statuses, and a light ``--help``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tui_lab.cli import main as cli_main
from tui_lab.cli.train import main


def test_defaults_print_three_epochs_and_small_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["train"]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^epoch (\d), loss \d+\.\d{6}$", out, re.MULTILINE) == ["1", "2", "3"]
    errors = re.search(r"error in estimating w: \[(.*)\]\nerror in estimating b: (.*)", out)
    assert errors is not None
    values = [float(v) for v in errors.group(1).split(",")] + [float(errors.group(2))]
    assert max(abs(v) for v in values) < 0.01


def test_lr_100_diverges_with_status_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lr", "100"]) == 3
    captured = capsys.readouterr()
    assert re.search(r"diverged at epoch 1, step \d+; try a smaller learning rate", captured.err)


def test_bad_arguments_exit_2_with_one_message_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--batch-size", "0", "--lr", "abc"]) == 2
    err = capsys.readouterr().err
    assert "--batch-size: must be ≥ 1, got 0" in err and "--lr: 'abc' is not a number" in err
    assert main(["--impl", "magic"]) == 2
    assert "--impl" in capsys.readouterr().err
    assert main(["--device", "tpu"]) == 2
    assert "unknown device" in capsys.readouterr().err


def test_negative_values_need_no_equals_sign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--impl", "closed", "--true-w", "-3.4,2", "--true-b", "-1", "--json"]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert config["true_w"] == [-3.4, 2.0] and config["true_b"] == -1.0


def test_unknown_option_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--bogus"])
    assert caught.value.code == 2


def test_closed_form_on_a_million_samples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--impl", "closed", "--n", "1000000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("closed form") and "error in estimating b" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--impl", "manual", "--epochs", "2", "--true-w", "1,2,3", "--seed", "4"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["config"]["true_w"] == [1.0, 2.0, 3.0] and document["config"]["seed"] == 4
    assert len(document["epoch_losses"]) == 2 and len(document["w"]) == 3
    assert document["samples_per_s"] > 0 and document["status"] == "finished"


def test_csv_training_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "house_tiny.csv"
    path.write_text("NumRooms,RoofType,Price\nNA,NA,127500\n2,NA,106000\n4,Slate,178100\nNA,NA,140000\n")
    assert main(["--csv", str(path), "--target", "Price", "--impl", "closed"]) == 0
    assert "n/a" in capsys.readouterr().out
    assert main(["--csv", str(path), "--target", "RoofType"]) == 2
    assert "--target: target 'RoofType' is not numeric" in capsys.readouterr().err


def test_help_loads_neither_torch_nor_textual() -> None:
    code = (
        "import sys\nfrom tui_lab.cli import main\n"
        "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--batch-size" in out and out.strip().endswith("False False")


def test_many_weights_print_the_first_few_and_the_count_as_the_pane_does(capsys: pytest.CaptureFixture[str]) -> None:
    """#21.12: 330 weights were printed on one line; ``--json`` keeps them all."""
    true_w = ",".join(str(i % 7 - 3) for i in range(330))
    assert main(["--impl", "closed", "--n", "2000", "--true-w", true_w]) == 0
    out = capsys.readouterr().out
    learned = re.search(r"^w: \[(.*)\]   b: ", out, re.MULTILINE)
    errors = re.search(r"^error in estimating w: \[(.*)\]$", out, re.MULTILINE)
    assert learned is not None and errors is not None
    for line in (learned.group(1), errors.group(1)):
        *values, more = line.split(", ")
        assert len(values) == 6 and more == "… 324 more weights"
    assert max(len(line) for line in out.splitlines()) < 120
    assert main(["--impl", "closed", "--n", "2000", "--true-w", true_w, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["w"]) == len(document["w_error"]) == 330
    assert main(["--impl", "closed", "--true-w", "1,2,3,4,5,6,7"]) == 0  # one more weight prints, not "1 more"
    assert "… " not in capsys.readouterr().out
