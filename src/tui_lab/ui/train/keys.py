"""The Train pane's actions: F6–F10 start, stop, repeat, clear and export runs."""

from __future__ import annotations

from tui_lab.ui.actions import Effect, PaneAction

C = Effect.CHANGE

#: The Train pane's actions (the registry in ``tui_lab.ui.panes`` gathers them).
ACTIONS: tuple[PaneAction, ...] = (
    PaneAction(
        "start_run",
        "f6",
        "Start",
        "Start a run with the form's settings (queued if one is running)",
        "Train: start",
        C,
        show=True,
    ),
    PaneAction("stop_run", "f7", "Stop", "Stop the current run and drop queued ones", "Train: stop", C, show=True),
    PaneAction("run_again", "f8", "Again", "Repeat the last run's settings", "Train: run again", C, show=True),
    PaneAction(
        "clear_runs", "f9", "Clear runs", "Remove finished runs from the plot", "Train: clear runs", C, show=True
    ),
    PaneAction("export_runs", "f10", "Export", "Write the run history as CSV and JSON", "Train: export runs", C),
    PaneAction("reset_form", "f11", "Reset form", "Put the course's defaults back in the form", "Train: reset form", C),
    PaneAction("toggle_log", "ctrl+l", "Log scale", "Loss axis linear or log10", "Train: toggle log scale"),
    PaneAction(
        "toggle_form",
        "ctrl+f",
        "Form",
        "Fold the settings form into one line above the plot, or open it (a small terminal folds it when a run starts)",
        "Train: fold / open the form",
    ),
    PaneAction(
        "pick_data",
        "ctrl+o",
        "Pick X, y",
        "Train on workspace tensors chosen from a list",
        "Train: pick X, y",
        show=True,
    ),
    PaneAction(
        "lr_sweep", "ctrl+s", "LR sweep", "Run several learning rates (0.001 … 0.3), overlaid", "Learning-rate sweep"
    ),
)
