"""The REPL pane's keys, palette commands and start-up banner.

Every binding with a description has a palette command with the same action (the shell
lists both in the F1 help and the command palette).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tui_lab.ui.pane import PaneCommand

LOG_MAX_LINES = 5_000
BANNER = (
    "tui-lab REPL: torch, nn, F, np and pd are preloaded.",
    "Enter runs a complete input, ctrl+j adds a line, F9 always runs. ↑/↓ history, ctrl+r searches it, Tab completes.",
    "ctrl+c interrupts running code (a long C-level torch call finishes first, as in plain Python). F1: all keys.",
)


REPL_BINDINGS: list[BindingType] = [
    Binding("f9", "run_input", "Run"),
    Binding(
        "ctrl+c",
        "interrupt",
        "Interrupt running code (a long C-level torch call finishes first, as in Python); clear the input when idle",
        show=False,
        priority=True,
    ),
    Binding(
        "ctrl+j",
        "insert_newline",
        "New line in the input (Enter runs a complete input; ↑/↓ on the first/last line recall history; Tab completes)",
        show=False,
    ),
    Binding("ctrl+r", "search_history", "History search"),
    Binding("f6", "toggle_focus", "Variables ⇄ input", priority=True),
    Binding("ctrl+o", "insert_example", "Example…"),
    Binding("ctrl+t", "explain_broadcasting", "Explain broadcasting", show=False),
    Binding("ctrl+l", "clear_output", "Clear output", show=False),
    Binding("ctrl+g", "inspect_graph", "Inspect graph of the selected variable", show=False),
    Binding("f8", "use_as_training_data", "Use the selected variable as training data", show=False),
    Binding("delete", "delete_variable", "Delete the selected variable (in the variable list)", show=False),
]
REPL_COMMANDS = (
    PaneCommand("Run input", "Run the REPL input even if it looks incomplete (F9)", "run_input"),
    PaneCommand(
        "Insert newline", "Add a line to the REPL input without running it (ctrl+j, shift+enter)", "insert_newline"
    ),
    PaneCommand(
        "Interrupt / clear input",
        "Stop running REPL code with KeyboardInterrupt (C-level calls finish first), or clear the input (ctrl+c)",
        "interrupt",
    ),
    PaneCommand(
        "Search REPL history", "Find a past input by substring and put it in the input (ctrl+r)", "search_history"
    ),
    PaneCommand("Focus variables / input", "Move between the REPL input and the variable list (F6)", "toggle_focus"),
    PaneCommand("Insert example…", "Insert a runnable snippet from the course, by chapter (ctrl+o)", "insert_example"),
    PaneCommand(
        "Explain broadcasting",
        "Show how the shapes of two names or expressions broadcast (ctrl+t)",
        "explain_broadcasting",
    ),
    PaneCommand("Clear REPL output", "Empty the output log; names stay in the workspace (ctrl+l)", "clear_output"),
    PaneCommand("Inspect graph", "Open the selected REPL variable in the Graph pane (ctrl+g)", "inspect_graph"),
    PaneCommand(
        "Use as training data", "Send the selected REPL variable to the Train pane (F8)", "use_as_training_data"
    ),
    PaneCommand("Delete variable", "Delete the selected REPL variable from the workspace (Delete)", "delete_variable"),
)
