"""The option forms for each preprocessing step: build the dialog, and turn its values into a step.

Each builder returns a :class:`StepFormScreen` whose ``validate`` builds the step and asks it
for its code against the current frame, so a bad choice (mean on a text column, a filter with
a syntax error) is explained inside the dialog before anything runs; an error while the step
runs (a filter naming a missing column) is shown in the same place, the form still open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tui_lab.ui.data.dialogs import CheckField, ChoiceField, ColumnsField, Field, FormValues, StepFormScreen, TextField

if TYPE_CHECKING:
    import pandas as pd

    from tui_lab.core.data.steps import Step

StepBuilder = Callable[[FormValues], "Step"]
#: A form builder: (frame, target, the cursor's column) → the dialog and how its values become a step.
FormBuilder = Callable[["pd.DataFrame", Sequence[str], "str | None"], "tuple[StepFormScreen, StepBuilder]"]

DROP_MODES = (
    ("rows with any NaN", "rows-any"),
    ("rows where all values are NaN", "rows-all"),
    ("columns with any NaN", "cols-any"),
    ("columns where all values are NaN", "cols-all"),
    ("the row with the most NaN (course exercise)", "rows-most"),
    ("the column with the most NaN (course exercise)", "cols-most"),
)


def _validator(build: StepBuilder, frame: pd.DataFrame, target: Sequence[str]) -> Callable[[FormValues], str | None]:
    from tui_lab.core.data.steps import StepError

    def validate(values: FormValues) -> str | None:
        try:
            build(values).code(frame, target)
        except StepError as error:
            return str(error)
        except ValueError as error:
            return str(error)
        return None

    return validate


def _form(
    title: str, help_text: str, fields: Sequence[Field], build: StepBuilder, frame: pd.DataFrame, target: Sequence[str]
) -> tuple[StepFormScreen, StepBuilder]:
    return StepFormScreen(title, help_text, fields, _validator(build, frame, target)), build


def target_form(frame: pd.DataFrame, target: Sequence[str], cursor: str | None) -> tuple[StepFormScreen, StepBuilder]:
    """Choose the target column(s); the rest are the inputs.

    Nothing is pre-ticked (a target is a choice, not a guess from where the cursor happens to be);
    the current target stays ticked, and the list starts on the cursor's column, so ``t Space
    Enter`` on the Price column makes Price the target.
    """
    from tui_lab.core.data.steps import SetTarget

    columns = [str(c) for c in frame.columns]
    fields: list[Field] = [
        ColumnsField(
            "columns",
            "Target column(s) → y (Space ticks; none ticked = no target)",
            columns,
            frozenset(target),
            start=cursor,
        )
    ]
    check = _validator(lambda v: SetTarget(tuple(v["columns"])), frame, target)

    def validate(values: FormValues) -> str | None:
        if not values["columns"] and not target:
            return "Tick the target column(s) with Space, then Enter (Esc cancels)."
        return check(values)

    screen = StepFormScreen(
        "Split inputs / target", "The ticked columns become y, every other column becomes X.", fields, validate
    )
    return screen, lambda v: SetTarget(tuple(v["columns"]))


def fill_form(frame: pd.DataFrame, target: Sequence[str], cursor: str | None) -> tuple[StepFormScreen, StepBuilder]:
    """Fill NaN with the mean, median, mode or a constant."""
    from tui_lab.core.data.steps import FILL_METHODS, FillMissing

    columns = [str(c) for c in frame.columns]
    fields: list[Field] = [
        ChoiceField("method", "Fill with", [(m, m) for m in FILL_METHODS], "mean"),
        TextField("constant", "Constant (for 'constant')", "0"),
        ColumnsField("columns", "Columns (none ticked = every numeric input column)", columns),
    ]

    def build(values: FormValues) -> Step:
        return FillMissing(values["method"], tuple(values["columns"]) or None, values["constant"])

    return _form("Fill missing values", "Mean and median need numeric columns.", fields, build, frame, target)


def drop_missing_form(
    frame: pd.DataFrame, target: Sequence[str], cursor: str | None = None
) -> tuple[StepFormScreen, StepBuilder]:
    """``dropna`` options, and the course's 'drop the row with the most NaN'."""
    from tui_lab.core.data.steps import DropMissing, DropMostMissing

    columns = [str(c) for c in frame.columns]
    fields: list[Field] = [
        ChoiceField("mode", "Drop", [(label, value) for label, value in DROP_MODES], "rows-any"),
        TextField("thresh", "thresh: keep those with at least this many values (blank = off)", "", "e.g. 2"),
        ColumnsField("subset", "Only look at these columns (rows only; none = all)", columns),
    ]

    def build(values: FormValues) -> Step:
        axis_name, how = values["mode"].split("-")
        axis = 0 if axis_name == "rows" else 1
        if how == "most":
            return DropMostMissing(axis)
        thresh_text = values["thresh"].strip()
        if thresh_text and not thresh_text.isdigit():
            raise ValueError(f"thresh must be a whole number, not {thresh_text!r}.")
        thresh = int(thresh_text) if thresh_text else None
        return DropMissing(axis, how, thresh, tuple(values["subset"]) or None)

    return _form("Drop missing values", "dropna(axis, how, thresh, subset)", fields, build, frame, target)


def one_hot_form(frame: pd.DataFrame, target: Sequence[str], cursor: str | None) -> tuple[StepFormScreen, StepBuilder]:
    """One-hot encode columns with ``get_dummies``."""
    from tui_lab.core.data.steps import OneHot, is_numeric_column

    columns = [str(c) for c in frame.columns]
    text = [c for c in columns if c not in target and not is_numeric_column(frame[c])]
    selected = frozenset([cursor] if cursor in text else text)
    fields: list[Field] = [
        ColumnsField("columns", "Columns to encode", columns, selected),
        CheckField("dummy_na", "dummy_na: add a column for NaN (the course's Alley_nan)", True),
    ]
    return _form(
        "One-hot encode",
        "pd.get_dummies: one 0/1 column per category.",
        fields,
        lambda v: OneHot(tuple(v["columns"]), bool(v["dummy_na"])),
        frame,
        target,
    )


def standardize_form(
    frame: pd.DataFrame, target: Sequence[str], cursor: str | None = None
) -> tuple[StepFormScreen, StepBuilder]:
    """(x − mean) / std on numeric columns."""
    from tui_lab.core.data.steps import Standardize

    columns = [str(c) for c in frame.columns]
    fields = [ColumnsField("columns", "Columns (none ticked = every numeric input column)", columns)]
    return _form(
        "Standardize",
        "(x - mean) / std, as in the course's Kaggle chapter.",
        fields,
        lambda v: Standardize(tuple(v["columns"]) or None),
        frame,
        target,
    )


def filter_form(
    frame: pd.DataFrame, target: Sequence[str], cursor: str | None = None
) -> tuple[StepFormScreen, StepBuilder]:
    """Keep rows matching a pandas expression."""
    from tui_lab.core.data.steps import FilterRows

    fields = [TextField("expression", "Keep rows where", "", "Price > 130000   or   Alley.isna()")]
    return _form(
        "Filter rows (a pipeline step: u undoes it)",
        "A pandas query expression; backquote names with spaces: `Lot Area` > 5000.",
        fields,
        lambda v: FilterRows(v["expression"]),
        frame,
        target,
    )


def tensors_form(x_name: str, y_name: str, dtype: str, has_target: bool) -> StepFormScreen:
    """Names and dtype of the tensors to publish."""
    from tui_lab.core.data.tensors import TENSOR_DTYPES, TensorError, TensorOptions

    fields: list[Field] = [TextField("x_name", "Inputs tensor name", x_name)]
    if has_target:
        fields.append(TextField("y_name", "Target tensor name", y_name))
    fields.append(ChoiceField("dtype", "dtype", [(d, d) for d in TENSOR_DTYPES], dtype))

    def validate(values: FormValues) -> str | None:
        try:
            TensorOptions(values["x_name"], values.get("y_name", y_name), values["dtype"]).check()
        except TensorError as error:
            return str(error)
        return None

    help_text = "Publishes to the workspace: the REPL (F2) and Train (F5) see them at once."
    if not has_target:
        help_text += " No target is set (t), so only the inputs tensor is made."
    return StepFormScreen("To tensors", help_text, fields, validate)
