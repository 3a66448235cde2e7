"""What a pane can do, declared once: key, action, footer label, description and palette name.

Every pane's ``keys.py`` lists its :class:`PaneAction` values; :mod:`tui_lab.ui.panes` gathers
them. The Textual bindings, the footer, the F1 help screen, the command palette and
``docs/keys.md`` are all generated from these declarations, so they cannot disagree.

Kept free of Textual imports: the command line reads the registry for ``--pane`` choices and
``tui-lab --help`` must not load Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Effect(Enum):
    """What pressing the key does to the learner's work; the key map is checked against it."""

    VIEW = "view"  #: shows, moves focus, opens a picker or dialog: nothing changes until confirmed
    NAVIGATE = "navigate"  #: takes the learner to another pane
    CHANGE = "change"  #: changes data, gradients, runs or files


@dataclass(frozen=True)
class PaneAction:
    """One action of a pane: ``action_<action>`` on its screen, a key and a palette entry."""

    action: str
    key: str | None
    label: str
    description: str
    palette: str
    effect: Effect = Effect.VIEW
    show: bool = False
    priority: bool = False

    @property
    def key_display(self) -> str:
        """The key as the help screen and docs print it (``F9``, ``ctrl+r``)."""
        if self.key is None:
            return "palette"
        key = self.key
        return key.upper() if key[:1] == "f" and key[1:].isdigit() else key

    def binding_id(self, pane: str) -> str:
        """A stable id so keys could later be remapped (``train.start_run``)."""
        return f"{pane}.{self.action}"


@dataclass(frozen=True)
class PaneSpec:
    """One pane: its CLI name, tab key and title, what it is for, its screen and its actions."""

    name: str
    key: str
    title: str
    description: str
    screen: str  #: "module:Class", imported on first use
    actions: tuple[PaneAction, ...]
