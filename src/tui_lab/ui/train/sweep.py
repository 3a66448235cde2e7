"""The learning-rate sweep dialog: which learning rates to run (as one batched program when only the rate differs)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui_lab.core.train.config import DEFAULT_SWEEP, TrainConfig, parse_learning_rates


def shared_settings(config: TrainConfig) -> str:
    """What every swept run shares: the form's settings without the learning rate (which the sweep sets)."""
    return " ".join(part for part in config.label_parts() if not part.startswith("lr="))


class SweepScreen(ModalScreen[tuple[float, ...] | None]):
    """Edit the list of learning rates (the course's six by default); Enter runs, Esc cancels."""

    DEFAULT_CSS = """
    SweepScreen {
        align: center middle;
    }
    #sweep-box {
        width: 64;
        max-width: 95%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    #sweep-error {
        color: $error;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.summary = shared_settings(config)

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-box"):
            yield Static(Text("Learning-rate sweep", style="bold"))
            yield Static(Text(f"Each rate runs with the form's other settings: {self.summary}", style="dim"))
            yield Input(", ".join(f"{lr:g}" for lr in DEFAULT_SWEEP), id="sweep-rates")
            yield Static("", id="sweep-error")
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

    def action_cancel(self) -> None:
        self.dismiss(None)
