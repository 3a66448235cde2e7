"""Config parsing: every bad field gets its own message; good text becomes typed values."""

from __future__ import annotations

import pytest

from tui_lab.core.train.config import ConfigError, TrainConfig, field_text, parse_config, parse_learning_rates


def test_defaults_are_the_course_s() -> None:
    config = TrainConfig()
    assert (config.true_w, config.true_b, config.noise, config.n) == ((2.0, -3.4), 4.2, 0.01, 1000)
    assert (config.lr, config.batch_size, config.epochs, config.impl) == (0.03, 10, 3, "concise")


def test_parses_text_fields() -> None:
    config = parse_config({"lr": "0.1", "batch_size": "256", "true_w": "1, 2; 3", "impl": "Manual", "n": "1e3"})
    assert config.lr == 0.1 and config.batch_size == 256 and config.impl == "manual"
    assert config.true_w == (1.0, 2.0, 3.0) and config.n == 1000


@pytest.mark.parametrize(
    ("field", "text", "needle"),
    [
        ("lr", "abc", "not a number"),
        ("lr", "0", "must be > 0"),
        ("lr", "-1", "must be > 0"),
        ("batch_size", "0", "≥ 1"),
        ("batch_size", "2.5", "not a whole number"),
        ("n", "0", "≥ 1"),
        ("epochs", "0", "≥ 1"),
        ("true_w", "", "at least one"),
        ("optimizer", "rmsprop", "not one of"),
        ("momentum", "1.5", "[0, 1)"),
        ("x_name", "2x", "not a workspace name"),
        ("lr", "nan", "finite"),
    ],
)
def test_each_bad_field_gets_a_message(field: str, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({field: text})
    assert needle in caught.value.errors[field]


def test_all_bad_fields_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"lr": "x", "batch_size": "0", "epochs": "1"})
    assert set(caught.value.errors) == {"lr", "batch_size"}


def test_csv_needs_path_and_target() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"data": "csv"})
    assert set(caught.value.errors) == {"csv_path", "target"}


def test_batch_larger_than_n_is_allowed() -> None:
    assert parse_config({"n": "5", "batch_size": "100"}).batch_size == 100


def test_field_text_round_trips() -> None:
    config = TrainConfig(true_w=(2.0, -3.4), lr=0.003)
    values = {name: field_text(config, name) for name in ("true_w", "lr", "batch_size", "impl")}
    assert parse_config(values) == config
    assert "lr=0.003" in config.label() and "B=10" in config.label()


def test_learning_rate_lists() -> None:
    assert parse_learning_rates("0.001, 0.01 0.1") == (0.001, 0.01, 0.1)
    for text, needle in (
        ("", "at least one"),
        ("0.1, -1", "> 0"),
        ("a", "not a number"),
        (",".join(["0.1"] * 9), "at most 8"),
    ):
        with pytest.raises(ValueError, match=needle):
            parse_learning_rates(text)
