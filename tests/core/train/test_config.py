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


def test_field_and_cross_field_errors_come_in_one_round() -> None:
    """A CSV without path and a bad lr are reported together, not one after the other."""
    with pytest.raises(ConfigError) as caught:
        parse_config({"data": "csv", "lr": "x", "loss": "cross_entropy"})
    assert set(caught.value.errors) == {"csv_path", "target", "lr", "loss"}


@pytest.mark.parametrize(
    ("field", "text", "needle"),
    [
        ("seed", "1e29", "at most"),
        ("data_seed", "1e29", "at most"),
        ("n", "1e12", "at most 10000000000"),
        ("n", "1e308", "at most"),
        ("n", "1e400", "too large"),
        ("true_b", "1e300", "within ±1e+12"),
        ("true_b", "1e308", "float32"),
        ("noise", "1e308", "within"),
        ("true_w", "2, 1e308", "within"),
        ("lr", "1e308", "at most 1e+06"),
        ("init_std", "1e308", "within"),
        ("huber_delta", "1e308", "at most"),
        ("epochs", "1e9", "at most"),
        ("processes", "0", "≥ 1"),
    ],
)
def test_numbers_are_range_checked_with_clear_messages(field: str, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({field: text})
    assert needle in caught.value.errors[field]
    assert "Traceback" not in caught.value.errors[field]


def test_an_empty_number_says_what_to_type() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"true_b": "", "n": " "})
    assert caught.value.errors["true_b"] == "empty: give a number, e.g. 4.2"
    assert caught.value.errors["n"].startswith("empty: give a whole number")


def test_an_empty_weight_between_commas_is_an_error_not_skipped() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"true_w": "2,,3"})
    assert "empty weight" in caught.value.errors["true_w"]
    assert parse_config({"true_w": "2, -3.4,"}).true_w == (2.0, -3.4)
    assert parse_config({"true_w": "2 -3.4"}).true_w == (2.0, -3.4)


def test_cross_entropy_needs_the_model_implementation() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"loss": "cross_entropy", "impl": "concise"})
    assert "impl model" in caught.value.errors["loss"]
    assert parse_config({"loss": "cross_entropy", "impl": "model", "model_name": "clf"}).model_name == "clf"


def test_several_processes_cannot_use_the_workspace() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"processes": "2", "data": "workspace"})
    assert "workspace" in caught.value.errors["processes"]
    assert parse_config({"processes": "2"}).processes == 2


def test_legend_parts_tell_apart_runs_that_differ_only_in_n_or_epochs() -> None:
    runs = [TrainConfig(), TrainConfig(n=2000), TrainConfig(epochs=5), TrainConfig(seed=1)]
    assert len({tuple(c.legend_parts()) for c in runs}) == len(runs)
    assert TrainConfig(impl="model", model_name="mlp").label().startswith("model mlp sgd")


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
