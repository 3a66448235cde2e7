"""The shared workspace: preloads, user names, publishing and change notification."""

from __future__ import annotations

import threading

import torch

from tui_lab.core.workspace import Workspace, WorkspaceChange


def test_preloads_bind_modules_and_are_not_user_names(workspace: Workspace) -> None:
    assert workspace["torch"] is torch
    assert workspace["nn"] is torch.nn
    assert workspace["F"] is torch.nn.functional
    assert {"np", "pd"} <= set(workspace.namespace)
    assert workspace.ready
    assert workspace.user_names() == []


def test_load_preloads_notifies_listeners() -> None:
    ws = Workspace()
    seen: list[WorkspaceChange] = []
    ws.subscribe(seen.append)
    assert not ws.ready
    ws.load_preloads()
    assert seen and seen[-1].preloaded
    assert ws.wait_ready(0)


def test_rebinding_a_preloaded_name_makes_it_a_user_name(workspace: Workspace) -> None:
    workspace.publish("F", 3, "repl")
    assert workspace.user_names() == ["F"]


def test_publish_and_summary_count_names_and_tensors(workspace: Workspace) -> None:
    seen: list[WorkspaceChange] = []
    workspace.subscribe(seen.append)
    workspace.publish_many({"X": torch.ones(4, 3), "y": torch.zeros(4), "lr": 0.03}, "data")
    assert seen[-1] == WorkspaceChange("data", frozenset({"X", "y", "lr"}))
    assert workspace.summary().names == 3
    assert workspace.summary().tensors == 2
    assert set(workspace.tensors()) == {"X", "y"}
    assert workspace.name_for(workspace["y"]) == "y"


def test_publish_rejects_invalid_names(workspace: Workspace) -> None:
    try:
        workspace.publish("not a name", 1, "data")
    except ValueError as error:
        assert "valid Python name" in str(error)
    else:
        raise AssertionError("publish accepted an invalid name")


def test_private_names_and_modules_are_hidden(workspace: Workspace) -> None:
    exec("import math\n_hidden = 1\nvisible = 2", workspace.namespace)
    assert workspace.user_names() == ["visible"]


def test_notify_since_reports_added_rebound_and_deleted(workspace: Workspace) -> None:
    exec("a = 1\nb = torch.ones(2)", workspace.namespace)
    seen: list[WorkspaceChange] = []
    workspace.subscribe(seen.append)
    before = workspace.snapshot()
    exec("a = 2\ndel b\nc = 3\nd = a", workspace.namespace)
    change = workspace.notify_since(before, "repl")
    assert change.changed == {"a", "c", "d"}
    assert change.deleted == {"b"}
    assert seen == [change]


def test_notify_since_is_silent_when_nothing_changed(workspace: Workspace) -> None:
    seen: list[WorkspaceChange] = []
    workspace.subscribe(seen.append)
    workspace.notify_since(workspace.snapshot(), "repl")
    assert seen == []


def test_unsubscribe_and_delete(workspace: Workspace) -> None:
    seen: list[WorkspaceChange] = []
    unsubscribe = workspace.subscribe(seen.append)
    workspace.publish("x", 1, "repl")
    workspace.delete(["x", "never-there"], "repl")
    assert seen[-1].deleted == {"x"}
    unsubscribe()
    workspace.publish("z", 1, "repl")
    assert len(seen) == 2


def test_listeners_hear_changes_from_other_threads(workspace: Workspace) -> None:
    seen: list[str] = []
    workspace.subscribe(lambda change: seen.append(threading.current_thread().name))
    thread = threading.Thread(target=workspace.publish, args=("w", 1, "train"), name="trainer")
    thread.start()
    thread.join()
    assert seen == ["trainer"]
