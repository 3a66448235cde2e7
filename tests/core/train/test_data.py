"""Data loaders: the course's synthetic data, workspace tensors and CSVs, with clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import DataError, csv_data, load_dataset, synthetic_data, workspace_data


def test_synthetic_data_follows_the_model() -> None:
    X, y = synthetic_data((2.0, -3.4), 4.2, 2000, noise=0.01, seed=1)
    assert X.shape == (2000, 2) and y.shape == (2000,)
    residual = y - (X @ torch.tensor([2.0, -3.4]) + 4.2)
    assert 0.005 < float(residual.std()) < 0.02
    X2, _ = synthetic_data((2.0, -3.4), 4.2, 2000, noise=0.01, seed=1)
    assert torch.equal(X, X2)


def test_workspace_data_accepts_column_targets_and_numpy() -> None:
    space = {"A": np.ones((4, 3)), "t": torch.arange(4.0).reshape(4, 1)}
    data = workspace_data("A", "t", lambda name, default: space.get(name, default))
    assert data.X.shape == (4, 3) and data.y.shape == (4,) and data.true_w is None


@pytest.mark.parametrize(
    ("space", "field", "needle"),
    [
        ({"y": torch.ones(3)}, "x_name", "no 'X' in the workspace"),
        ({"X": torch.ones(3, 2), "y": torch.ones(4)}, "y_name", "3 rows but y has 4"),
        ({"X": torch.ones(3, 2), "y": torch.ones(3, 2)}, "y_name", "1-D or N×1"),
        ({"X": torch.ones(3, 2, 2), "y": torch.ones(3)}, "x_name", "must be 2-D"),
        ({"X": torch.tensor([[1.0], [float("nan")]]), "y": torch.ones(2)}, "x_name", "NaN"),
        ({"X": "text", "y": torch.ones(2)}, "x_name", "not numeric"),
    ],
)
def test_workspace_data_refusals(space: dict[str, object], field: str, needle: str) -> None:
    with pytest.raises(DataError) as caught:
        workspace_data("X", "y", lambda name, default: space.get(name, default))
    assert caught.value.field == field and needle in str(caught.value)


def test_csv_preprocessing_like_the_course(tmp_path: Path) -> None:
    path = tmp_path / "house_tiny.csv"
    path.write_text("NumRooms,RoofType,Price\nNA,NA,127500\n2,NA,106000\n4,Slate,178100\nNA,NA,140000\n")
    data = csv_data(str(path), "Price")
    assert data.X.shape == (4, 3)
    assert data.X[0, 0].item() == pytest.approx(3.0)  # mean-filled
    assert data.y.tolist() == [127500.0, 106000.0, 178100.0, 140000.0]


def test_csv_target_must_be_numeric(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(DataError) as caught:
        csv_data(str(path), "b")
    assert caught.value.field == "target" and "not numeric" in str(caught.value)
    with pytest.raises(DataError, match="no column"):
        csv_data(str(path), "zzz")
    with pytest.raises(DataError, match="no such file"):
        csv_data(str(tmp_path / "missing.csv"), "a")


def test_load_dataset_synthetic_keeps_the_truth() -> None:
    data = load_dataset(TrainConfig(n=50, true_w=(1.0, 2.0, 3.0)))
    assert data.X.shape == (50, 3) and data.true_w == (1.0, 2.0, 3.0) and data.true_b == 4.2


def test_values_beyond_float32_are_named_as_data_overflow() -> None:
    space = {"X": torch.tensor([[1.0], [1e300]], dtype=torch.float64), "y": torch.ones(2)}
    with pytest.raises(DataError) as caught:
        workspace_data("X", "y", lambda name, default: space.get(name, default))
    assert caught.value.field == "x_name" and "data overflow" in str(caught.value) and "1e+300" in str(caught.value)
    assert "learning rate" not in str(caught.value)


def test_values_whose_squares_overflow_are_refused_with_a_scale_hint() -> None:
    space = {"X": torch.ones(2, 1), "y": torch.tensor([1.0, 3e20])}
    with pytest.raises(DataError) as caught:
        workspace_data("X", "y", lambda name, default: space.get(name, default))
    assert caught.value.field == "y_name" and "squared they exceed float32" in str(caught.value)


def test_synthetic_overflow_blames_the_setting_that_caused_it() -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(TrainConfig(n=10, true_b=1e39))  # built directly: the form's range check would refuse it
    assert caught.value.field == "true_b" and "data overflow" in str(caught.value)
    with pytest.raises(DataError) as caught:
        load_dataset(TrainConfig(n=10, noise=1e30))
    assert caught.value.field == "noise"


def test_csv_with_huge_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,p\n1,1e300\n2,3\n")
    with pytest.raises(DataError) as caught:
        csv_data(str(path), "p")
    assert caught.value.field == "target" and "data overflow" in str(caught.value)


def test_preflight_reports_every_data_problem_without_loading() -> None:
    from torch import nn

    from tui_lab.core.train.preflight import preflight

    look = {"X": torch.ones(3, 2), "y": torch.ones(4), "net": nn.Linear(3, 1)}.get
    errors = preflight(TrainConfig(data="workspace"), lambda n, d: look(n, d))
    assert errors == {"y_name": "X has 3 rows but y has 4 values"}
    errors = preflight(TrainConfig(data="workspace", x_name="A", y_name="B"), lambda n, d: look(n, d))
    assert set(errors) == {"x_name", "y_name"}
    errors = preflight(TrainConfig(impl="model"), lambda n, d: look(n, d))
    assert "X has 2 feature(s) per sample" in errors["model_name"]
    assert (
        "no such file" in preflight(TrainConfig(data="csv", csv_path="/nope.csv", target="a"), None)["csv_path"].lower()
    )
    assert preflight(TrainConfig(), None) == {}
