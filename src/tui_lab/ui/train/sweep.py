"""The learning-rate sweep dialog: which learning rates to run (as one batched program when only the rate differs)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from tui_lab.core.train.config import DEFAULT_SWEEP, TrainConfig, parse_learning_rates
from tui_lab.ui.modal import LabModal


def shared_settings(config: TrainConfig) -> str:
    """What every swept run shares: the form's settings without the learning rate (which the sweep sets)."""
    return " ".join(part for part in config.label_parts() if not part.startswith("lr="))


class SweepScreen(LabModal[tuple[float, ...]]):
    """Edit the list of learning rates (the course's six by default); Enter runs, Esc cancels."""

    DEFAULT_CSS = """
    SweepScreen > .modal-frame {
        width: 64;
    }
    """
    FRAME_ID = "sweep-box"

    def __init__(self, config: TrainConfig) -> None:
        super().__init__("Learning-rate sweep")
        self.summary = shared_settings(config)

    def compose_body(self) -> ComposeResult:
        yield Static(Text(f"Each rate runs with the form's other settings: {self.summary}", style="dim"))
        yield Input(", ".join(f"{lr:g}" for lr in DEFAULT_SWEEP), id="sweep-rates")
        yield Static("", id="sweep-error", classes="modal-error")
        yield Static(Text("Enter runs them, batched where possible · Esc cancels", style="dim"))

    @on(Input.Submitted, "#sweep-rates")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            rates = parse_learning_rates(event.value)
        except ValueError as error:
            self.query_one("#sweep-error", Static).update(Text(f"↑ {error}"))
            return
        self.dismiss(rates)

    @on(Input.Changed, "#sweep-rates")
    def _edited(self) -> None:
        """The message was about the old text."""
        self.query_one("#sweep-error", Static).update("")
