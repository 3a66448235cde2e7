"""The one registry of panes and their actions.

The tab strip, the F1 help screen, the command palette, ``--pane`` choices, every pane's
Textual bindings and ``docs/keys.md`` are generated from :data:`PANES` and
:data:`GLOBAL_ACTIONS`. A pane's own actions live in its room (``ui/<pane>/keys.py``).

No Textual import here: the command line reads this module before deciding to start the app.
"""

from __future__ import annotations

from tui_lab.ui.actions import Effect, PaneAction, PaneSpec
from tui_lab.ui.data.keys import ACTIONS as DATA_ACTIONS
from tui_lab.ui.graph.keys import ACTIONS as GRAPH_ACTIONS
from tui_lab.ui.repl.keys import ACTIONS as REPL_ACTIONS
from tui_lab.ui.train.keys import ACTIONS as TRAIN_ACTIONS

#: The four panes, in tab order.
PANES: tuple[PaneSpec, ...] = (
    PaneSpec(
        "repl",
        "f2",
        "REPL",
        "A tensor REPL over the shared workspace, with a variable pane that knows tensors.",
        "tui_lab.ui.repl.screen:ReplScreen",
        REPL_ACTIONS,
    ),
    PaneSpec(
        "data",
        "f3",
        "Data",
        "A CSV preprocessing viewer that turns a table into the tensors X, y.",
        "tui_lab.ui.data.screen:DataScreen",
        DATA_ACTIONS,
    ),
    PaneSpec(
        "graph",
        "f4",
        "Graph",
        "An autograd inspector: the grad_fn graph, backward, gradients flowing.",
        "tui_lab.ui.graph.screen:GraphScreen",
        GRAPH_ACTIONS,
    ),
    PaneSpec(
        "train",
        "f5",
        "Train",
        "Linear regression (scratch, concise, manual, closed form) with a live loss curve.",
        "tui_lab.ui.train.screen:TrainScreen",
        TRAIN_ACTIONS,
    ),
)

PANE_NAMES: tuple[str, ...] = tuple(pane.name for pane in PANES)

#: Actions of the app itself, available in every pane.
GLOBAL_ACTIONS: tuple[PaneAction, ...] = (
    PaneAction("help", "f1", "All keys", "Help: every key, the panes and the command line", "Help"),
    *(
        PaneAction(f"go('{pane.name}')", pane.key, pane.title, f"Go to the {pane.title} pane", f"Go to {pane.title}")
        for pane in PANES
    ),
    PaneAction("select_device", "f12", "Device", "Select device: cpu, cuda:N or mps", "Select device"),
    PaneAction("command_palette", "ctrl+p", "Palette", "Command palette: every action by name", "Command palette"),
    PaneAction(
        "quit",
        "ctrl+q",
        "Quit",
        "Quit tui-lab (work in progress is stopped first)",
        "Quit",
        Effect.CHANGE,
        priority=True,
    ),
)


def pane_spec(name: str) -> PaneSpec:
    """The registry entry of pane ``name``."""
    for pane in PANES:
        if pane.name == name:
            return pane
    raise KeyError(name)


def palette_title(pane: PaneSpec, action: PaneAction) -> str:
    """The palette's name for a pane's action, led by the pane's title: ``REPL: Clear output``, ``Train: Start``.

    The same key means different things in different panes (ctrl+l clears the REPL's output and
    switches the Train pane's log scale), so every pane command says whose it is.
    """
    name = action.palette.removeprefix(f"{pane.title}: ")
    return f"{pane.title}: {name[:1].upper()}{name[1:]}"


def palette_help(pane: PaneSpec, action: PaneAction, current: str | None) -> str:
    """The palette's help line for ``action`` seen from pane ``current``: its key only where it works there.

    ``Loss axis linear or log10 (ctrl+l)`` in the Train pane; ``Empty the output log… (ctrl+l in
    the REPL pane)`` anywhere else, where ctrl+l does something else or nothing.
    """
    if action.key is None:
        return action.description
    key = action.key_display if pane.name == current else f"{action.key_display} in the {pane.title} pane"
    return f"{action.description} ({key})"


def panes_from(current: str | None) -> list[PaneSpec]:
    """The panes with ``current`` first (the palette lists the commands of the pane in use first)."""
    return sorted(PANES, key=lambda pane: pane.name != current)


def key_map_markdown() -> str:
    """The published key map (``docs/keys.md``), generated from the registry."""
    lines = [
        "# Keys",
        "",
        "Generated from the registry (`src/tui_lab/ui/panes.py`); `tests/ui/test_keys.py` checks that",
        "this file is current and that no key which changes data or gradients in one pane means",
        "something harmless in another. Every action is also in the command palette (ctrl+p).",
        "",
    ]
    sections = [("Everywhere", GLOBAL_ACTIONS, None)] + [(pane.title, pane.actions, pane) for pane in PANES]
    for title, actions, spec in sections:
        lines += [f"## {title}", "", "| key | palette | what it does | effect |", "|---|---|---|---|"]
        for action in actions:
            name = action.palette if spec is None else palette_title(spec, action)
            lines.append(f"| `{action.key_display}` | {name} | {action.description} | {action.effect.value} |")
        lines.append("")
    return "\n".join(lines)
