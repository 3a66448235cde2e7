"""The device chosen in tui-lab's status bar (F12), which the book's ``try_gpu`` follows.

A leaf: :mod:`.hook` points it at the app's workspace when it installs the finders, and
:mod:`.book` (which the hook loads) reads it, so neither imports the other for it.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_lab.core.workspace import Workspace

_workspace: weakref.ref[Workspace] | None = None


def follow(workspace: Workspace) -> None:
    """From now on, the selected device is ``workspace.device`` (the app's, set from the status bar)."""
    global _workspace
    _workspace = weakref.ref(workspace)


def selected_device() -> str | None:
    """The app's device (cpu, cuda:N, mps) when running inside tui-lab, else None."""
    workspace = _workspace() if _workspace is not None else None
    device = getattr(workspace, "device", None) if workspace is not None else None
    return device if isinstance(device, str) else None
