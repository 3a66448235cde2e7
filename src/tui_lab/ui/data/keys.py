"""The Data pane's actions: single-letter keys as in VisiData, each also a palette entry."""

from __future__ import annotations

from tui_lab.ui.actions import Effect, PaneAction

C = Effect.CHANGE

#: The Data pane's actions (the registry in ``tui_lab.ui.panes`` gathers them).
ACTIONS: tuple[PaneAction, ...] = (
    PaneAction(
        "open_csv",
        "o",
        "Open",
        "Open a CSV file (path completion, samples, recent files)",
        "Data: Open CSV…",
        show=True,
    ),
    PaneAction(
        "set_target",
        "t",
        "Target",
        "Split inputs / target: the target column(s) become y",
        "Data: Set target column(s)",
        show=True,
    ),
    PaneAction(
        "fill_missing",
        "m",
        "Fill NaN",
        "Fill NaN with the mean, median, mode or a constant",
        "Data: Fill missing values",
        show=True,
    ),
    PaneAction(
        "drop_missing",
        "n",
        "Drop NaN",
        "dropna by rows or columns, or the row with most NaN",
        "Data: Drop missing values",
    ),
    PaneAction(
        "one_hot", "h", "One-hot", "pd.get_dummies with an optional NaN column", "Data: One-hot encode", show=True
    ),
    PaneAction(
        "standardize", "z", "Standardize", "(x - mean) / std on numeric columns", "Data: Standardize numeric columns"
    ),
    PaneAction("drop_column", "x", "Drop column", "Drop the column under the cursor", "Data: Drop column", C),
    PaneAction(
        "cast_column", "c", "Cast dtype", "Change the dtype of the column under the cursor", "Data: Cast column dtype"
    ),
    PaneAction(
        "filter_rows",
        "slash",
        "Filter",
        "Keep rows matching a pandas expression (a pipeline step)",
        "Data: Filter rows",
    ),
    PaneAction(
        "sort_rows", "s", "Sort", "Sort by the column under the cursor (a pipeline step)", "Data: Sort by column", C
    ),
    PaneAction("undo", "u", "Undo", "Take back the last preprocessing step", "Data: Undo step", C, show=True),
    PaneAction("redo", "U", "Redo", "Re-apply the last undone step", "Data: Redo step", C),
    PaneAction("to_tensors", "T", "Tensors", "Publish X and y to the workspace", "Data: To tensors", C, show=True),
    PaneAction("show_code", "k", "Code", "The pipeline as runnable pandas + torch code", "Data: Show pipeline code"),
    PaneAction(
        "copy_code", "y", "Copy code", "Copy the pipeline code to the clipboard (OSC 52)", "Data: Copy pipeline code"
    ),
    PaneAction(
        "export_csv", "e", "Export CSV", "Write the processed table to a new CSV file", "Data: Export table as CSV"
    ),
    PaneAction(
        "export_code", "E", "Export .py", "Write the pipeline code to a .py file", "Data: Export pipeline as .py"
    ),
    PaneAction("first_row", "g", "First row", "Move the cursor to the first row", "Data: Jump to first row"),
    PaneAction("last_row", "G", "Last row", "Move the cursor to the last row", "Data: Jump to last row"),
    PaneAction(
        "cancel_load",
        "escape",
        "Cancel",
        "Stop loading the CSV being read (or a running export)",
        "Data: Cancel loading",
    ),
)
