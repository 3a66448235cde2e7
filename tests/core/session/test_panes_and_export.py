"""The pipeline and the runs come back; the exported notebook validates and reproduces X, y, w and b."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import msgspec
import nbformat
import pytest
import torch

from tests.train_fit import fit_of
from tui_lab.core.data.load import load_csv
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.steps import FillMissing, OneHot, SetTarget, Standardize
from tui_lab.core.data.tensors import TensorOptions, to_tensors
from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot
from tui_lab.core.session.contract import DataView, TrainView
from tui_lab.core.session.export import build_script, export_notebook
from tui_lab.core.session.model import ReplState, SessionFormatError, bounded_entry
from tui_lab.core.session.panes import rebuild_pipeline, step_from_json, tensor_options_from
from tui_lab.core.session.panestates import TensorOptionsState
from tui_lab.core.session.reading import SessionReader
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import RunRecord
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.train.runner import run

SAMPLE = Path(__file__).parents[3] / "sample_data" / "house_tiny.csv"
RUNS = (
    TrainConfig(impl="scratch", lr=0.03, batch_size=10, epochs=3, seed=1),
    TrainConfig(impl="concise", lr=0.05, batch_size=7, epochs=2, seed=2, n=300),
    TrainConfig(impl="scratch", data="workspace", optimizer="momentum", lr=0.01, batch_size=2, epochs=2, seed=3),
    TrainConfig(impl="concise", optimizer="adam", loss="huber", lr=0.01, batch_size=16, epochs=2, seed=4),
    TrainConfig(impl="closed", data="workspace"),
)


def _pipeline(csv: Path) -> Pipeline:
    loaded = load_csv(csv)
    pipeline = Pipeline(csv, loaded.frame, loaded.options)
    for step in (SetTarget(("Price",)), FillMissing("mean"), OneHot(("Alley",)), Standardize()):
        pipeline.apply(step)
    pipeline.undo()  # the undo position is part of the session
    return pipeline


def _runs(workspace: dict[str, object]) -> list[RunRecord]:
    records = []
    for number, config in enumerate(RUNS, start=1):
        result = run(config, lookup=lambda name, default: workspace.get(name, default))
        record = RunRecord(number, config, status=RunStatus.RUNNING)
        record.finish(result)
        records.append(record)
    return records


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    target = tmp_path / "house tiny.csv"
    shutil.copy(SAMPLE, target)
    return target


def _scaled_workspace(pipeline: Pipeline) -> dict[str, object]:
    tensors = to_tensors(pipeline.frame, pipeline.target, TensorOptions()).tensors
    return {"X": tensors["X"], "y": tensors["y"] / 100_000}


def test_pipeline_and_runs_round_trip(root: Path, csv: Path) -> None:
    pipeline = _pipeline(csv)
    workspace = _scaled_workspace(pipeline)
    records = _runs(workspace)
    panes = (DataView(pipeline, (2, 1)), TrainView(tuple(records), {"lr": "0.03"}))
    store.save(take_snapshot(sorted(workspace.items()), 1 << 30, panes), "p", root=root)
    loaded = store.load("p", root=root)
    assert loaded is not None and loaded.state.data is not None and loaded.state.train is not None
    assert loaded.state.describe() == "2 names, pipeline of 3 steps, 5 runs"
    data, train = loaded.panes
    assert isinstance(data, DataView) and isinstance(train, TrainView)
    back = data.pipeline
    assert back is not None and any("unchanged" in note for note in loaded.notes)
    assert back.frame.equals(pipeline.frame) and back.target == pipeline.target
    assert len(back.applied) == 3 and [a.step for a in back.undone] == [a.step for a in pipeline.undone]
    assert data.cursor == (2, 1) and train.form == {"lr": "0.03"}
    for record, again in zip(records, train.records, strict=True):
        assert fit_of(again.result).w == fit_of(record.result).w and fit_of(again.result).b == fit_of(record.result).b
        assert again.epoch_losses == record.epoch_losses and again.label == record.label
        assert again.step_curve(100)[1].tolist() == record.step_curve(100)[1].tolist()
    # the file changes after the save: the stored copy takes its place, and says so
    copy = SessionReader(loaded.path).read_frame(loaded.state.data.source_copy)
    csv.write_text(csv.read_text() + "3,Pave,150000\n")
    back, note = rebuild_pipeline(loaded.state.data, copy)
    assert "has changed" in note and back.frame.equals(pipeline.frame)
    csv.unlink()
    with pytest.raises(ValueError, match="is gone"):
        rebuild_pipeline(loaded.state.data, None)


def test_a_step_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(SessionFormatError, match="unknown pipeline step"):
        step_from_json({"type": "Pipeline", "fields": {}})
    with pytest.raises(SessionFormatError, match="no field"):
        step_from_json({"type": "SetTarget", "fields": {"columns": ["a"], "__class__": 1}})


RUN_CELLS = textwrap.dedent(
    """
    import json, sys
    import nbformat
    from safetensors.torch import save_file
    notebook = nbformat.read(sys.argv[1], as_version=4)
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), namespace)
    tensors = {k: v.contiguous() for k, v in namespace.items() if k in ("X", "y") or k.startswith("w_run")}
    save_file(tensors, sys.argv[2])
    print(json.dumps({k: v for k, v in namespace.items() if k.startswith("b_run")}))
    """
)


def test_the_exported_notebook_validates_and_reproduces_the_session(root: Path, csv: Path, tmp_path: Path) -> None:
    from tui_lab.core.data.codegen import pipeline_code

    pipeline = _pipeline(csv)
    tensors = to_tensors(pipeline.frame, pipeline.target, TensorOptions()).tensors
    workspace = _scaled_workspace(pipeline)
    records = _runs(workspace)
    entries = (
        bounded_entry("y = y / 100_000", "", True, ("y",)),
        bounded_entry("print(X.shape)", "torch.Size([4, 4])\n", True),
        bounded_entry("1 / 0", "ZeroDivisionError", False),
    )
    panes = (DataView(pipeline), TrainView(tuple(records), {}), ReplState(entries))
    report = store.save(take_snapshot(sorted(workspace.items()), 1 << 30, panes), "nb", root=root)
    path = export_notebook(tmp_path / "out" / "session.ipynb", report.state, pipeline_code(pipeline))
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert "1 / 0" not in sources and "print(X.shape)" in sources
    headings = [c.source.splitlines()[0] for c in notebook.cells if c.cell_type == "markdown"]
    assert "## Data preprocessing" in headings and "## Training" in headings
    out = tmp_path / "out.safetensors"
    done = subprocess.run(
        [sys.executable, "-c", RUN_CELLS, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    from safetensors.torch import load_file

    got = load_file(out)
    assert torch.equal(got["X"], tensors["X"]) and torch.equal(got["y"], workspace["y"])  # type: ignore[arg-type]
    biases = json.loads(done.stdout.strip().splitlines()[-1])
    for number, record in enumerate(records, start=1):
        learned = got[f"w_run{number}"]
        assert torch.allclose(learned, torch.tensor(fit_of(record.result).w), rtol=1e-5, atol=1e-6), record.label
        assert biases[f"b_run{number}"] == pytest.approx(fit_of(record.result).b, rel=1e-5, abs=1e-6), record.label
    script = build_script(report.state, pipeline_code(pipeline))
    compile(script, "<script>", "exec")
    assert script.count("# %%") >= len(sources)


def test_tensor_options_come_back_from_a_session_and_bad_ones_fall_back_with_a_reason() -> None:
    assert tensor_options_from(TensorOptionsState("features", "labels", "float64")) == (
        TensorOptions("features", "labels", "float64"),
        None,
    )
    # a session saved before the pane had options
    assert tensor_options_from(msgspec.convert({}, TensorOptionsState)) == (TensorOptions(), None)
    for hostile in (
        {"x_name": "__import__('os').system('x')", "y_name": "y", "dtype": "float32"},  # never becomes code
        {"x_name": "X", "y_name": "X", "dtype": "float32"},
        {"x_name": "X", "y_name": "y", "dtype": "complex1024"},
    ):
        options, problem = tensor_options_from(msgspec.convert(hostile, TensorOptionsState, strict=True))
        assert options == TensorOptions() and problem is not None and "using X, y and float32" in problem
    with pytest.raises(msgspec.ValidationError, match="Expected `str`"):  # the schema refuses the wrong type
        msgspec.convert({"x_name": ["X"]}, TensorOptionsState, strict=True)
