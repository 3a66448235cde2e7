"""The keeper and the pane contract, without Textual: registration, held-back states, carried names, no lost field."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import Provenance, take_snapshot
from tui_lab.core.session.contract import DataView, PaneSession, TrainView
from tui_lab.core.session.keeper import RestoreInFlight, SessionKeeper
from tui_lab.core.session.model import ReplState, bounded_entry
from tui_lab.core.session.panes import NOT_SAVED_RESULT_FIELDS, config_state, run_record, run_state
from tui_lab.core.session.panestates import RunConfig, RunState
from tui_lab.core.session.schema import decode_manifest, encode_manifest
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import RunRecord
from tui_lab.core.train.outcome import LinearFit, RunStatus, TrainingOutcome


class FakePane:
    """A pane as the session sees it: the PaneSession protocol and nothing else."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.restored: list[Any] = []
        self.busy = False

    def save_state(self) -> Any:
        return self.state

    def restore_state(self, state: Any) -> None:
        self.restored.append(state)
        self.state = state

    def fingerprint(self) -> Hashable:
        return repr(self.state)

    def work_in_flight(self) -> bool:
        return self.busy


def test_a_fake_pane_satisfies_the_protocol() -> None:
    pane: PaneSession[ReplState] = FakePane(ReplState())
    assert pane.save_state() == ReplState()


def test_a_restored_state_waits_for_its_pane_and_an_unopened_pane_keeps_it_in_saves(root: Path) -> None:
    keeper = SessionKeeper(root=root)
    keeper.open()
    log = ReplState((bounded_entry("x = 1", "", True, ("x",)),))
    keeper.give("train", TrainView((), {"lr": "0.1"}))
    keeper.give("repl", log)
    states = keeper.pane_states()
    assert TrainView((), {"lr": "0.1"}) in states  # never opened, still saved
    pane = FakePane(TrainView())
    keeper.register("train", pane)
    assert pane.restored == [TrainView((), {"lr": "0.1"})]
    keeper.clear()
    assert pane.restored[-1] == TrainView()  # the state type's defaults are the empty pane
    keeper.close()


def test_work_in_flight_is_any_registered_pane_s(root: Path) -> None:
    keeper = SessionKeeper(root=root)
    keeper.open()
    repl, train = FakePane(ReplState()), FakePane(TrainView())
    keeper.register("repl", repl)
    keeper.register("train", train)
    assert not keeper.work_in_flight()
    repl.busy = True
    assert keeper.work_in_flight()
    keeper.unregister("repl", repl)
    assert not keeper.work_in_flight()
    keeper.close()


def test_a_pipeline_that_could_not_come_back_stays_in_the_session_until_the_pane_has_its_own(root: Path) -> None:
    from tui_lab.core.session.panestates import DataState

    keeper = SessionKeeper(root=root)
    keeper.open()
    recipe = DataState(path="/gone.csv", position=0)
    keeper.write(take_snapshot([], 1 << 30, (recipe,)))
    loaded = keeper.read()
    assert loaded is not None and loaded.panes == [recipe]  # the codec could not rebuild it: the record is kept
    keeper.adopt(loaded)
    pane = FakePane(DataView())
    keeper.register("data", pane)
    assert pane.restored == [] and recipe in keeper.pane_states()
    pane.state = DataView(cursor=(1, 1))  # a state of its own (here: any non-empty one)
    assert recipe not in keeper.pane_states()
    keeper.close()


def test_modules_whose_inputs_were_not_rerun_and_names_not_saved_survive_later_saves(root: Path) -> None:
    keeper = SessionKeeper(root=root)
    keeper.open()

    class Custom(torch.nn.Linear):
        pass

    provenance = Provenance()
    provenance.record("custom = Custom(2, 1)", ["custom"])
    provenance.record("sq = lambda v: v * v", ["sq"])
    items = [("custom", Custom(2, 1)), ("sq", lambda v: v * v)]
    keeper.write(take_snapshot(items, 1 << 30, provenance=provenance))
    loaded = keeper.read()
    assert loaded is not None
    applied = keeper.adopt(loaded)
    assert applied.rerun_names == ["custom", "sq"]
    keeper.write(keeper.snapshot([("other", 1)]))  # the person said "not now", then the session autosaved
    again = keeper.read()
    assert (
        again is not None
        and set(again.modules) == {"custom"}
        and again.modules["custom"][1] == ("custom = Custom(2, 1)",)
    )
    assert [n.name for n in again.state.not_saved] == ["sq"] and again.values == {"other": 1}
    keeper.close()


def test_no_save_runs_while_a_restore_is_in_flight(root: Path) -> None:
    """#20.3: a quit or an autosave during a restore used to replace the session with a half-built workspace."""
    keeper = SessionKeeper(root=root)
    keeper.open()
    keeper.write(take_snapshot([("kept", torch.ones(3))], 1 << 30))
    keeper.restoring = True
    with pytest.raises(RestoreInFlight):
        keeper.write(take_snapshot([("x_new", 1)], 1 << 30))
    loaded = store.load("default", root=root)
    assert loaded is not None and set(loaded.values) == {"kept"}
    keeper.close()


def _distinct(field: dataclasses.Field[Any]) -> Any:
    """A value for a TrainingOutcome or LinearFit field that differs from its default (so a dropped field shows)."""
    samples: dict[str, Any] = {
        "device": "cuda:1", "status": RunStatus.DIVERGED, "message": "blew up at epoch 2", "initial_loss": 3.5,
        "w": (1.5, -2.25), "b": 0.75, "true_w": (2.0, -3.4), "true_b": 4.2, "closed_w": (1.99, -3.39),
        "closed_b": 4.19, "closed_loss": 1e-4, "seconds": 1.25, "samples": 640, "steps_per_epoch": 32,
        "diverged_at": (2, 7), "notes": ("ran eagerly",), "peak_cuda_memory": 123456, "chunks": 9,
        "graph_steps": 4, "step_bucket": 2, "epoch_losses": (5.0, math.inf),
    }  # fmt: skip
    return samples[field.name]  # KeyError: a new field the session must keep (and this test must name)


def _round_trip(result: TrainingOutcome) -> TrainingOutcome:
    """``result`` through a finished record, the session's run state, the manifest's bytes and back."""
    record = RunRecord(4, result.config, status=RunStatus.RUNNING)
    record.finish(result)
    state, losses = run_state(record)
    back = decode_manifest(encode_manifest(msgspec_state(state))).train
    assert back is not None
    again = run_record(back.runs[0], losses).result
    assert again is not None
    return again


def test_every_field_of_a_training_outcome_and_its_fit_survives_a_save_and_a_resume() -> None:
    """#22: run_state/run_record dropped notes, peak_cuda_memory, chunks and step_bucket; a new field fails here."""
    config = TrainConfig(impl="concise", optimizer="adam", lr=0.01, epochs=2, seed=3)
    fit = LinearFit(**{field.name: _distinct(field) for field in dataclasses.fields(LinearFit)})
    values: dict[str, Any] = {"config": config, "step_losses": np.arange(128, dtype=np.float64), "fit": fit}
    for field in dataclasses.fields(TrainingOutcome):
        if field.name not in values and field.name not in NOT_SAVED_RESULT_FIELDS:
            values[field.name] = _distinct(field)
    result = TrainingOutcome(**values)
    again = _round_trip(result)
    for field in dataclasses.fields(TrainingOutcome):
        if field.name in NOT_SAVED_RESULT_FIELDS:
            continue
        got, want = getattr(again, field.name), getattr(result, field.name)
        if isinstance(want, np.ndarray):
            assert np.array_equal(got, want), field.name
        else:
            assert got == want, field.name
    assert again.fit is not None
    for field in dataclasses.fields(LinearFit):
        assert getattr(again.fit, field.name) == getattr(fit, field.name), field.name
    assert again.status is RunStatus.DIVERGED  # the enum comes back, not its text


def test_a_run_without_a_line_comes_back_without_one() -> None:
    """A workspace model's outcome has no fit; format 2 writes it as w = (), b = NaN, and it stays None."""
    config = TrainConfig(impl="model", epochs=1)
    result = TrainingOutcome(
        config, "cpu", RunStatus.FINISHED, "finished 1 epoch", np.ones(3), (0.5,), 1.0, 0.2, 30, 3,
        notes=("net trained (33 parameters)",),
    )  # fmt: skip
    again = _round_trip(result)
    assert again.fit is None and again.notes == result.notes and again.epoch_losses == (0.5,)


def msgspec_state(run: RunState) -> Any:
    from tui_lab.core.session.panestates import TrainState
    from tui_lab.core.session.schema import SessionState

    return SessionState(saved_at="2026-01-01T10:00:00+00:00", panes=(TrainState(runs=(run,)),))


def test_every_training_setting_is_in_the_schema_and_comes_back() -> None:
    assert set(RunConfig.__struct_fields__) == {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(
        impl="model", data="csv", n=50, true_w=(1.0,), true_b=-1.0, noise=0.5, data_seed=7, x_name="A", y_name="B",
        csv_path="/d.csv", target="t", lr=0.5, batch_size=3, epochs=9, optimizer="momentum", momentum=0.5,
        loss="huber", huber_delta=2.0, init_std=0.1, seed=11, model_name="mlp", processes=1,
    )  # fmt: skip
    record = RunRecord(1, config, status=RunStatus.FINISHED, message="ok")
    state, _ = run_state(record)
    assert state.config == config_state(config)
    assert msgspec.structs.asdict(state.config) == {**config.to_dict(), "true_w": (1.0,)}


def test_runs_saved_in_format_2_before_the_outcome_was_split_still_open() -> None:
    """Bytes written before #22 part 2: a line's run (w, b, truth, closed form) and a model's (w [], b NaN)."""
    from tui_lab.core.session.schema import FORMAT

    config = TrainConfig().to_dict()
    line = (
        '{"run_id": 1, "config": CONFIG, "status": "finished", "message": "finished 3 epochs", "steps_per_epoch": 100,'
        ' "epoch_losses": [0.5, 0.1, 0.01], "result": {"device": "cpu", "initial_loss": 10.0, "w": [2.0, -3.4],'
        ' "b": 4.2, "true_w": [2.0, -3.4], "true_b": 4.2, "closed_w": [1.99, -3.39], "closed_b": 4.19,'
        ' "closed_loss": 0.0001, "seconds": 0.5, "samples": 3000, "diverged_at": null, "notes": [],'
        ' "peak_cuda_memory": null, "chunks": 7, "graph_steps": 0, "step_bucket": 1}, "step_losses_file": ""}'
    ).replace("CONFIG", json.dumps(config))
    model = (
        '{"run_id": 2, "config": CONFIG, "status": "stopped", "message": "stopped in epoch 1 at step 5",'
        ' "steps_per_epoch": 100, "epoch_losses": [], "result": {"device": "cpu", "initial_loss": 1.5, "w": [],'
        ' "b": NaN, "true_w": null, "true_b": null, "closed_w": null, "closed_b": null, "closed_loss": null,'
        ' "seconds": 0.1, "samples": 50, "diverged_at": null, "notes": ["net trained (33 parameters)"],'
        ' "peak_cuda_memory": null, "chunks": 3, "graph_steps": 0, "step_bucket": 1}, "step_losses_file": ""}'
    ).replace("CONFIG", json.dumps({**config, "impl": "model"}))
    raw = (
        f'{{"format": "{FORMAT}", "format_version": 2, "tui_lab": "0.2.0", "saved_at": "2026-01-01T10:00:00+00:00",'
        f' "pane": "train", "device": "cpu", "names": [], "not_saved": [], "panes": [{{"pane": "train",'
        f' "form": {{}}, "runs": [{line}, {model}]}}], "inputs": {{}}, "notes": []}}'
    )
    train = decode_manifest(raw.encode()).train
    assert train is not None
    linear, workspace_model = (run_record(run, None).result for run in train.runs)
    assert linear is not None and linear.status is RunStatus.FINISHED and linear.chunks == 7
    assert linear.fit == LinearFit((2.0, -3.4), 4.2, (2.0, -3.4), 4.2, (1.99, -3.39), 4.19, 0.0001)
    assert workspace_model is not None and workspace_model.fit is None
    assert workspace_model.status is RunStatus.STOPPED and workspace_model.notes == ("net trained (33 parameters)",)
    assert workspace_model.initial_loss == 1.5 and workspace_model.samples == 50
