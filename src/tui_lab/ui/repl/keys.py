"""The REPL pane's actions (keys, palette names, descriptions) and its start-up banner."""

from __future__ import annotations

from tui_lab.ui.actions import Effect, PaneAction

#: Lines the output log keeps; older output is dropped (a first line says how much).
LOG_MAX_LINES = 10_000
BANNER = (
    "tui-lab REPL: torch, nn, F, np and pd are preloaded.",
    "Enter runs a complete input, ctrl+j adds a line, F9 always runs. ↑/↓ history, ctrl+r searches it, Tab completes.",
    "ctrl+c interrupts running code (a long C-level torch call finishes first, as in plain Python). F1: all keys.",
)


#: The REPL pane's actions (the registry in ``tui_lab.ui.panes`` gathers them).
ACTIONS: tuple[PaneAction, ...] = (
    PaneAction(
        "run_input",
        "f9",
        "Run",
        "Run the input even if it looks incomplete (Enter runs a complete input)",
        "Run input",
        Effect.CHANGE,
        show=True,
    ),
    PaneAction(
        "interrupt",
        "ctrl+c",
        "Interrupt",
        "Interrupt running code with KeyboardInterrupt and drop the queued inputs (a long C-level torch call "
        "finishes first); when idle, copy the text selected in the log, or clear the input",
        "Interrupt / clear input",
        priority=True,
    ),
    PaneAction(
        "insert_newline",
        "ctrl+j",
        "New line",
        "New line in the input (Enter runs a complete input; ↑/↓ on the first/last line recall history; Tab completes)",
        "Insert newline",
    ),
    PaneAction(
        "search_history",
        "ctrl+r",
        "History",
        "Find a past input by substring and put it in the input",
        "Search history",
        show=True,
    ),
    PaneAction(
        "toggle_focus",
        "ctrl+f",
        "Variables ⇄ input",
        "Move between the input and the variable list (shift+tab reaches the output log, to scroll it)",
        "Focus variables / input",
        show=True,
        priority=True,
    ),
    PaneAction(
        "insert_example",
        "ctrl+o",
        "Example…",
        "Insert a runnable snippet from the course, by chapter",
        "Insert example…",
        show=True,
    ),
    PaneAction(
        "explain_broadcasting",
        "ctrl+t",
        "Broadcasting",
        "Show how the shapes of two names or expressions broadcast",
        "Explain broadcasting",
    ),
    PaneAction(
        "clear_output",
        "ctrl+l",
        "Clear output",
        "Empty the output log; names stay in the workspace",
        "Clear output",
    ),
    PaneAction(
        "inspect_graph",
        "ctrl+g",
        "Inspect graph",
        "Open the selected variable's autograd graph in the Graph pane",
        "Inspect graph",
        Effect.NAVIGATE,
    ),
    PaneAction(
        "use_as_training_data",
        "ctrl+n",
        "Train on it",
        "Send the selected variable to the Train pane as X (2-D) or y",
        "Use as training data",
        Effect.NAVIGATE,
    ),
    PaneAction(
        "delete_variable",
        "delete",
        "Delete variable",
        "Delete the selected variable from the workspace (in the variable list)",
        "Delete variable",
        Effect.CHANGE,
    ),
    PaneAction(
        "toggle_variables",
        "ctrl+s",
        "Hide variables",
        "Hide or show the variable pane: the output log takes the whole width (its output re-wraps; "
        "the next tensors are laid out for it)",
        "Hide / show variables",
    ),
    PaneAction(
        "show_full_traceback",
        "ctrl+e",
        "Full traceback",
        "Show the last error's full traceback, library frames included (they are folded by default; "
        "in the input, End moves to the end of the line)",
        "Show full traceback",
        priority=True,
    ),
    PaneAction(
        "save_figure",
        "f6",
        "Save figure",
        "Save the newest figure as PNG next to the session (in the state directory's figures/); "
        "alt+s saves another one, as PNG or SVG, where you say",
        "Save figure",
        Effect.CHANGE,
        priority=True,  # the input (a TextArea) binds F6 to "select line"
    ),
    PaneAction(
        "figures",
        "alt+s",
        "Figures…",
        "Pick a figure: show it again (a folded one gets its pixels back) or save it as PNG or SVG",
        "Figures: show or save…",
        priority=True,  # a terminal sends ESC s: the input would take it for a typed "s"
    ),
    PaneAction(
        "choose_images",
        "alt+i",
        "Images…",
        "How figures are drawn: auto, Kitty graphics, Sixel, half-blocks or one line of text (kept as a setting; "
        "tui-lab --images overrides it for one run)",
        "Images: Kitty, Sixel, half-blocks or text…",
        priority=True,  # as alt+s: ESC i would be a typed "i"
    ),
)
