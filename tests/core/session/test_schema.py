"""The strict schema of session.json: exact types, known fields, bounded sizes, one error type, version 1 read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tests.train_fit import outcome_of
from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot
from tui_lab.core.session.contract import DataView, TrainView
from tui_lab.core.session.model import ReplState, bounded_entry
from tui_lab.core.session.schema import (
    FORMAT_VERSION,
    SessionFormatError,
    SessionState,
    decode_manifest,
    encode_manifest,
)
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import RunRecord
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.train.runner import run

SAMPLE = Path(__file__).parents[3] / "sample_data" / "house_tiny.csv"


def _session(root: Path, name: str = "s") -> Path:
    """A session with a tensor, a JSON value, a pipeline, a finished run and a REPL log."""
    from tui_lab.core.data.load import load_csv
    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.steps import FillMissing, SetTarget

    csv = root.parent / "house.csv"
    csv.write_bytes(SAMPLE.read_bytes())
    loaded = load_csv(csv)
    pipeline = Pipeline(csv, loaded.frame, loaded.options)
    pipeline.apply(SetTarget(("Price",)))
    pipeline.apply(FillMissing("mean"))
    config = TrainConfig(impl="concise", epochs=1, n=50)
    record = RunRecord(1, config, status=RunStatus.RUNNING)
    record.finish(run(config))
    panes = (
        DataView(pipeline),
        TrainView((record,), {"lr": "0.03"}),
        ReplState((bounded_entry("n = 3", "", True, ("n",)),)),
    )
    store.save(take_snapshot([("n", 3), ("t", torch.arange(3.0))], 1 << 30, panes), name, root=root)
    return root / name


def _manifest(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "session.json").read_text())
    return data


def _write(directory: Path, data: dict[str, Any]) -> None:
    (directory / "session.json").write_text(json.dumps(data))


def _run_result(data: dict[str, Any]) -> dict[str, Any]:
    train = next(p for p in data["panes"] if p["pane"] == "train")
    result: dict[str, Any] = train["runs"][0]["result"]
    return result


def test_a_run_result_of_the_wrong_type_is_refused_and_named(root: Path) -> None:
    """#20.5: ``"w": ["abc"]`` used to raise ValueError while applying, and every resume crashed."""
    directory = _session(root)
    data = _manifest(directory)
    _run_result(data)["w"] = ["abc"]
    _write(directory, data)
    with pytest.raises(store.SessionCorrupt, match=r"Expected `float`, got `str`.*result\.w\[0\]"):
        store.load("s", root=root)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _run_result(d).update(samples=True), "Expected `int`, got `bool`"),
        (lambda d: _run_result(d).update(surprise=1), "unknown field `surprise`"),
        (lambda d: d.update(pane="files"), "Invalid enum value 'files'"),
        (lambda d: d["names"][0].update(name="not a name"), "not a valid Python name"),
        (lambda d: d["names"][0].update(kind="pickle"), "Invalid value 'pickle'"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "train")["form"].update(n="\x1b]52;c;UFdORUQ=\x07"), "regex"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "train")["form"].update(bogus="1"), "unknown training"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "data").update(position=9), "undo position 9"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "data").update(cursor=[-1, 0]), "Expected `int` >= 0"),
        (lambda d: d["panes"].append({"pane": "shell"}), "Invalid value 'shell'"),
        (lambda d: d["panes"].append(d["panes"][0]), "appears twice"),
        (lambda d: d.update(inputs={"x": "not a list"}), "Expected `array`"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "train")["runs"][0].update(status="won"), "Invalid enum"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "train")["runs"][0].update(status="running"), "cannot be running"),
        (lambda d: _run_result(d).update(step_bucket=2**62), "a loss bucket of 4611686018427387904 steps"),
        (lambda d: next(p for p in d["panes"] if p["pane"] == "train")["runs"][0].update(steps_per_epoch=2**62),
         "Expected `int` <= 10000000000"),
    ],
    ids=[
        "bool-for-int", "unknown-field", "unknown-pane", "bad-name", "unknown-kind", "escape-in-form", "unknown-setting",
        "position", "cursor", "unknown-pane-state", "pane-twice", "inputs", "unknown-status", "running-status",
        "bucket-beyond-the-run", "steps-per-epoch",
    ],
)  # fmt: skip
def test_every_ill_typed_or_unknown_field_refuses_the_whole_session(root: Path, change: Any, message: str) -> None:
    directory = _session(root)
    data = _manifest(directory)
    change(data)
    _write(directory, data)
    with pytest.raises(store.SessionCorrupt, match=message):
        store.load("s", root=root)
    moved = store.move_aside("s", root=root)
    assert moved is not None and ".bad-" in moved.name


def test_a_run_config_outside_the_forms_ranges_is_refused(root: Path) -> None:
    directory = _session(root)
    data = _manifest(directory)
    train = next(p for p in data["panes"] if p["pane"] == "train")
    for field, value, message in (
        ("lr", 0, "> 0"),
        ("impl", "evil", "impl is not one of"),
        ("x_name", "a b", "x_name"),
    ):
        changed = json.loads(json.dumps(data))
        next(p for p in changed["panes"] if p["pane"] == "train")["runs"][0]["config"][field] = value
        _write(directory, changed)
        with pytest.raises(store.SessionCorrupt, match=message):
            store.load("s", root=root)
    assert train["runs"][0]["config"]["lr"] == 0.03


def test_a_version_1_session_is_read_and_keeps_everything(root: Path) -> None:
    """A session written before the schema (format 1, as tui-lab 0.1.0 wrote it) still opens."""
    directory = _session(root)
    data = _manifest(directory)
    panes = {p.pop("pane"): p for p in data.pop("panes")}
    result = panes["train"]["runs"][0]["result"]
    for newer in ("notes", "peak_cuda_memory", "chunks", "graph_steps", "step_bucket"):
        del result[newer]  # fields added since version 1
    data.update(
        format_version=1, data=panes["data"], repl=panes["repl"]["log"],
        train={**panes["train"], "device": data.pop("device")},
    )  # fmt: skip
    data["data"]["tensor_options"] = {}
    _write(directory, data)
    loaded = store.load("s", root=root)
    assert loaded is not None and loaded.state.format_version == FORMAT_VERSION
    assert loaded.state.describe() == "2 names, pipeline of 2 steps, 1 run"
    assert [e.source for e in loaded.state.repl] == ["n = 3"] and loaded.values["n"] == 3
    train = next(p for p in loaded.panes if isinstance(p, TrainView))
    assert outcome_of(train.records[0]).step_bucket == 1 and train.form == {"lr": "0.03"}


def test_a_newer_version_is_refused_with_a_reason() -> None:
    raw = json.dumps({"format": "tui-lab-session", "format_version": FORMAT_VERSION + 1, "tui_lab": "9.9"}).encode()
    with pytest.raises(SessionFormatError, match="tui-lab 9.9.*upgrade"):
        decode_manifest(raw)


def test_deep_huge_and_truncated_manifests_are_refused_cleanly() -> None:
    good = encode_manifest(SessionState(saved_at="2026-01-01T10:00:00+00:00"))
    for raw, message in (
        (b"[" * 200_000 + b"]" * 200_000, "nests too deeply|not a tui-lab session"),
        (good[: len(good) // 2], "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b" " * (64 * 1024 * 1024 + 1), "implausibly large"),
    ):
        with pytest.raises(SessionFormatError, match=message):
            decode_manifest(raw)
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    value = {"kind": "json", "name": "v", "meta": {"json": {"as": "plain", "value": deep}}}
    data = {**json.loads(good), "names": [value]}
    with pytest.raises(SessionFormatError, match="nested deeper"):
        decode_manifest(json.dumps(data).encode())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


_GOOD = json.loads(
    encode_manifest(
        decode_manifest(
            json.dumps(
                {
                    "format": "tui-lab-session", "format_version": 2, "saved_at": "2026-01-01T10:00:00+00:00",
                    "names": [
                        {"kind": "json", "name": "n", "meta": {"json": {"as": "plain", "value": [1, "a"]}}},
                        {"kind": "tensor", "name": "t", "file": "tensors.safetensors", "meta": {"dtype": "float32"}},
                        {"kind": "alias", "name": "u", "meta": {"target": "t"}},
                    ],
                    "panes": [
                        {"pane": "repl", "log": [{"source": "n = 1", "changed": ["n"]}]},
                        {"pane": "data", "path": "/x.csv", "steps": [{"type": "SetTarget", "fields": {"columns": ["a"]}}], "position": 1},
                        {"pane": "train", "form": {"lr": "0.1"}, "runs": [{"run_id": 1, "config": {}, "status": "finished", "result": {"w": [1.0]}}]},
                    ],
                    "inputs": {"n": ["n = 1"]},
                }
            ).encode()
        )
    )
)  # fmt: skip


@given(st.data())
def test_decoding_any_change_to_a_manifest_gives_a_state_or_the_one_error(data: st.DataObject) -> None:
    manifest = json.loads(json.dumps(_GOOD))
    path = data.draw(st.sampled_from(_paths(manifest)[1:]))
    replacement = data.draw(json_values)
    target = manifest
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    try:
        state = decode_manifest(json.dumps(manifest).encode())
    except SessionFormatError as error:
        assert str(error)
        return
    assert isinstance(state, SessionState)
    decode_manifest(encode_manifest(state))  # what was accepted is written back and read again unchanged


@given(json_values)
def test_decoding_arbitrary_json_raises_only_the_format_error(value: Any) -> None:
    for document in (value, {"format": "tui-lab-session", "format_version": 2, "saved_at": value}):
        try:
            decode_manifest(json.dumps(document).encode())
        except SessionFormatError:
            pass


@given(json_values)
def test_a_version_1_manifest_of_any_shape_raises_only_the_format_error(value: Any) -> None:
    # {"format_version": 1, "train": {"runs": 5}} raised TypeError in the migration: every start crashed.
    head = {"format": "tui-lab-session", "format_version": 1, "saved_at": "2026-11-27T14:32:00+00:00"}
    for document in ({**head, "train": {"runs": value}}, {**head, "train": value}, {**head, "data": value},
                     {**head, "repl": value}):  # fmt: skip
        try:
            decode_manifest(json.dumps(document).encode())
        except SessionFormatError:
            pass


@pytest.mark.parametrize("runs", [5, None, True, "abc", {"a": 1}])
def test_a_version_1_train_record_whose_runs_are_not_a_list_is_refused(runs: Any) -> None:
    document = {"format": "tui-lab-session", "format_version": 1, "saved_at": "2026-11-27T14:32:00+00:00",
                "train": {"runs": runs}}  # fmt: skip
    with pytest.raises(SessionFormatError, match="runs"):
        decode_manifest(json.dumps(document).encode())
