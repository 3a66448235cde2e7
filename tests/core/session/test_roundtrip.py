"""Every kind of value comes back equal; what cannot be saved is listed with its reason and inputs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import Provenance, restore_module, take_snapshot
from tui_lab.core.session.model import ReplState, bounded_entry


class Scaled(torch.nn.Linear):
    """A user's own module class: only its REPL inputs can build it again."""


def _workspace() -> dict[str, object]:
    gen = torch.Generator().manual_seed(0)
    frame = pd.DataFrame(
        {
            "price": [1.5, np.nan, 3.25],
            "street": ["Pave", None, "Grvl"],
            "rooms": pd.array([3, None, 4], dtype="Int64"),
            "kind": pd.Categorical(["a", "b", "a"]),
            "ok": [True, False, True],
        }
    ).iloc[[2, 0]]
    w = torch.randn(3, 2, generator=gen, requires_grad=True)
    return {
        "X": torch.randn(5, 2, generator=gen),
        "half": torch.randn(4, generator=gen).to(torch.bfloat16),
        "mask": torch.tensor([True, False]),
        "w": w,
        "p": torch.nn.Parameter(torch.ones(2)),
        "view": torch.arange(12.0).reshape(3, 4).t(),
        "alias": w,
        "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
        "npscalar": np.float32(2.5),
        "frame": frame,
        "series": frame["price"],
        "n": 3,
        "lr": 0.03,
        "name": "ridge\x1b[31m",
        "flags": [1, 2.5, "x", None, True],
        "table": {"a": [1, 2], "b": {"c": None}},
        "pair": (1, "two"),
        "z": 1 + 2j,
        "nothing": None,
        "net": torch.nn.Linear(2, 1),
        "mlp": torch.nn.Sequential(
            torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(4, 1)
        ),
        "custom": Scaled(2, 1),
        "square": lambda x: x * x,
        "handle": io.StringIO("text"),
        "gen": (i for i in range(3)),
        "objs": np.array([object()], dtype=object),
    }


def test_round_trip_of_every_kind(root: Path) -> None:
    values = _workspace()
    provenance = Provenance()
    provenance.record("square = lambda x: x * x", ["square"])
    provenance.record("net = nn.Linear(2, 1)", ["net"])
    provenance.record("custom = Scaled(2, 1)", ["custom"])
    entries = (bounded_entry("1 + 1", "2\n", True),)
    snapshot = take_snapshot(sorted(values.items()), 1 << 30, (ReplState(entries),), provenance, pane="train")
    report = store.save(snapshot, "t", root=root)
    loaded = store.load("t", root=root)
    assert loaded is not None
    got = loaded.values
    for name in ("X", "half", "mask", "w", "p", "view"):
        tensor = values[name]
        assert isinstance(tensor, torch.Tensor)
        assert torch.equal(got[name], tensor) and got[name].dtype == tensor.dtype, name
        assert got[name].requires_grad == tensor.requires_grad, name
    assert isinstance(got["p"], torch.nn.Parameter)
    assert got["alias"] is got["w"]
    arr, frame, net = values["arr"], values["frame"], values["net"]
    assert isinstance(arr, np.ndarray) and isinstance(frame, pd.DataFrame) and isinstance(net, torch.nn.Linear)
    assert np.array_equal(got["arr"], arr) and got["arr"].dtype == np.int16
    assert got["npscalar"] == np.float32(2.5) and isinstance(got["npscalar"], np.float32)
    assert got["frame"].equals(frame) and list(got["frame"].dtypes) == list(frame.dtypes)
    assert got["series"].equals(values["series"])
    for name in ("n", "lr", "name", "flags", "table", "pair", "z", "nothing"):
        assert got[name] == values[name] and type(got[name]) is type(values[name]), name
    # modules of standard layers come back from their saved architecture, without running any input
    assert type(got["net"]) is torch.nn.Linear and torch.equal(got["net"].weight, net.weight)
    mlp = values["mlp"]
    assert isinstance(mlp, torch.nn.Sequential) and isinstance(got["mlp"], torch.nn.Sequential)
    assert [type(m) for m in got["mlp"]] == [type(m) for m in mlp] and got["mlp"][2].p == 0.1
    assert all(
        torch.equal(a, b) for a, b in zip(got["mlp"].state_dict().values(), mlp.state_dict().values(), strict=True)
    )
    assert "net" not in loaded.modules and "net" not in loaded.state.inputs
    # a module of the user's own class comes back only through its REPL inputs, after a yes
    state_dict, inputs = loaded.modules["custom"]
    assert inputs == ("custom = Scaled(2, 1)",)
    rebuilt = Scaled(2, 1)
    assert restore_module(rebuilt, state_dict) is None
    assert torch.equal(rebuilt.weight, values["custom"].weight)  # type: ignore[attr-defined]
    not_saved = {n.name: n for n in loaded.state.not_saved}
    assert set(not_saved) == {"square", "handle", "gen", "objs"}
    assert not_saved["square"].inputs == ("square = lambda x: x * x",)
    assert "function" in not_saved["square"].reason and "file" in not_saved["handle"].reason
    assert loaded.state.repl == entries and loaded.state.pane == "train"
    assert report.nbytes > 0


def test_size_cap_skips_the_biggest_names_with_a_note(root: Path) -> None:
    values = {"big": torch.zeros(1000), "small": torch.zeros(10), "other": torch.ones(20)}
    snapshot = take_snapshot(sorted(values.items()), 200)
    store.save(snapshot, "capped", root=root)
    loaded = store.load("capped", root=root)
    assert loaded is not None and set(loaded.values) == {"small", "other"}
    (skipped,) = loaded.state.not_saved
    assert skipped.name == "big" and "size cap" in skipped.reason


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensor_comes_back_on_its_device(root: Path) -> None:
    tensor = torch.randn(64, device="cuda")
    store.save(take_snapshot([("g", tensor)], 1 << 30), "gpu", root=root)
    loaded = store.load("gpu", root=root)
    assert loaded is not None and loaded.values["g"].device == tensor.device
    assert torch.equal(loaded.values["g"], tensor)


def test_cuda_tensor_without_the_device_comes_back_on_the_cpu_with_a_note(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(take_snapshot([("g", torch.arange(4.0))], 1 << 30), "gone", root=root)
    manifest = root / "gone" / "session.json"
    manifest.write_text(manifest.read_text().replace('"device": "cpu"', '"device": "cuda:3"'))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = store.load("gone", root=root)
    assert loaded is not None and loaded.values["g"].device.type == "cpu"
    assert torch.equal(loaded.values["g"], torch.arange(4.0))
    assert any("cuda:3" in note and "CPU" in note for note in loaded.notes)


def test_a_net_the_train_pane_replaced_comes_back_trained_without_rerunning_its_input(root: Path) -> None:
    """#20.12: ``net = nn.Linear(2, 1)``, then a concise run replaced net with a Sequential: the resume's
    re-run built a Linear again and the saved weights did not fit it."""
    from tui_lab.core.session.keeper import SessionKeeper
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.runner import run

    provenance = Provenance()
    provenance.record("net = nn.Linear(2, 1)", ["net"])
    trained = run(TrainConfig(impl="concise", epochs=1, n=100)).artifacts["net"]
    assert isinstance(trained, torch.nn.Sequential)
    store.save(take_snapshot([("net", trained)], 1 << 30, provenance=provenance), "default", root=root)
    keeper = SessionKeeper(root=root)
    keeper.open(resume=True)
    loaded = keeper.read()
    assert loaded is not None
    applied = keeper.adopt(loaded)
    net = applied.values["net"]
    assert type(net) is torch.nn.Sequential and type(net[0]) is torch.nn.Linear
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), trained.state_dict().values(), strict=True))
    assert applied.rerun_sources == [] and not loaded.modules  # nothing to run, nothing to confirm
    keeper.close()


def test_weights_that_do_not_fit_the_saved_architecture_refuse_the_session(root: Path) -> None:
    import json

    store.save(take_snapshot([("net", torch.nn.Linear(2, 1))], 1 << 30), "s", root=root)
    manifest = root / "s" / "session.json"
    data = json.loads(manifest.read_text())
    data["names"][0]["meta"]["arch"]["in_features"] = 1 << 20  # a crafted size: never allocated
    manifest.write_text(json.dumps(data))
    with pytest.raises(store.SessionCorrupt, match="do not fit its saved architecture"):
        store.load("s", root=root)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_module_comes_back_on_its_device(root: Path) -> None:
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).cuda()
    store.save(take_snapshot([("net", net)], 1 << 30), "gpu", root=root)
    loaded = store.load("gpu", root=root)
    assert loaded is not None
    back = loaded.values["net"]
    assert next(back.parameters()).device == next(net.parameters()).device
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), net.state_dict().values(), strict=True))


def test_a_module_whose_device_is_gone_comes_back_on_the_cpu_with_a_note(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(take_snapshot([("net", torch.nn.Linear(2, 1))], 1 << 30), "gone", root=root)
    manifest = root / "gone" / "session.json"
    manifest.write_text(manifest.read_text().replace('"device": "cpu"', '"device": "cuda:3"'))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = store.load("gone", root=root)
    assert loaded is not None and next(loaded.values["net"].parameters()).device.type == "cpu"
    assert any("cuda:3" in note and "CPU" in note for note in loaded.notes)
