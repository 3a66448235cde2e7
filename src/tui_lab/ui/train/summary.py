"""The Train pane's live numbers: progress bar with ETA, samples/s, w and b against the truth, summary.

The summary of an ended run adds what the engine noted about how it ran (``RunResult.notes``:
an eager fallback, the closed form solved on the CPU, a batched sweep) and its peak CUDA memory,
each on its own line and sanitised (notes can carry an exception's text). Steps are counted within the epoch everywhere (``epoch 2/3 · step 150/300``), as the runner's
"stopped in epoch 2 at step 150" and "diverged at epoch 2, step 150" do. The parameter table
always shows ``b`` first, then as many weights as the panel's height leaves room for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_lab.ui.theme import safe_line, safe_text, theme_style

if TYPE_CHECKING:
    from tui_lab.core.train.history import RunRecord


#: Table rows (b and weights) shown when the caller gives no height.
MAX_ROWS = 5
BAR_WIDTH = 12
#: At most this many lines (a small terminal), the headline and the line below it are one line.
TIGHT_LINES = 5


def format_rate(rate: float) -> str:
    """``1.23M samples/s``."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.3g}{unit} samples/s"
    return f"{rate:.0f} samples/s"


def format_seconds(seconds: float | None) -> str:
    """``0:03`` or ``1:02:03``; ``--:--`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_loss(value: float) -> str:
    """``0.000093`` as the course prints losses, or ``7.78916e+07`` when that would be unreadable."""
    return f"{value:.6f}" if abs(value) < 1e4 else f"{value:.6g}"


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A text bar ``█████░░░░░``."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = int(round(fraction * width))
    return "█" * filled + "░" * (width - filled)


def params_table(
    w: Sequence[float],
    b: float,
    true_w: Sequence[float] | None,
    true_b: float | None,
    closed: tuple[Sequence[float], float] | None = None,
    max_rows: int = MAX_ROWS,
) -> Text:
    """Learned b and w beside the true values and their errors (true − learned, "n/a" without a truth).

    At most ``max_rows`` lines below the header: ``b`` always, then weights, and when some do not
    fit the last line says "… N more weights". Plain aligned text rather than a rich Table: it is
    redrawn ten times a second.
    """
    names = [f"w[{i}]" for i in range(len(w))] + ["b"]
    learned = [*w, b]
    truth: list[float | None] = (
        [*true_w, true_b] if true_w is not None and len(true_w) == len(w) else [None] * len(learned)
    )
    if true_b is None:
        truth[-1] = None
    best = [*closed[0], closed[1]] if closed is not None else None
    room = max(1, max_rows)
    weights = list(range(len(w)))
    if len(weights) + 1 > room:
        weights = weights[: max(0, room - 2)]  # one line for b, one for "… N more weights"
    rows = [len(learned) - 1, *weights]
    header = ["", "learned", "true", "error"] + (["closed"] if best is not None else [])
    table = [header]
    for i in rows:
        t = truth[i]
        cells = [
            names[i],
            format_loss(learned[i]) if abs(learned[i]) >= 1e4 else f"{learned[i]:.5f}",
            "n/a" if t is None else f"{t:g}",
            "n/a" if t is None else f"{t - learned[i]:+.2e}",
        ]
        if best is not None:
            cells.append(format_loss(best[i]) if abs(best[i]) >= 1e4 else f"{best[i]:.5f}")
        table.append(cells)
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    text = Text(no_wrap=True, overflow="ellipsis")
    for r, row in enumerate(table):
        line = " ".join(cell.ljust(widths[0]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(row))
        text.append(line + "\n", style="bold" if r == 0 else "")
    if len(rows) < len(learned):
        text.append(f"… {len(learned) - len(rows)} more weights\n", style="dim")
    text.rstrip()
    return text


def table_room(height: int, lines_above: int) -> int:
    """Rows left for b and the weights in a panel ``height`` lines tall, below ``lines_above`` lines and a header."""
    return max(1, height - lines_above - 1)


def format_bytes(size: int) -> str:
    """``12.3 MiB`` or ``1.50 GiB``."""
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"


def run_notes(result: Any) -> list[Text]:
    """One dim line per thing a run's result notes about how it ran, then its peak CUDA memory, all sanitised."""
    lines = [safe_line(f"note: {note}", style="dim") for note in getattr(result, "notes", ()) or ()]
    peak = getattr(result, "peak_cuda_memory", None)
    if isinstance(peak, int) and not isinstance(peak, bool) and peak >= 0:
        lines.append(safe_line(f"peak CUDA memory {format_bytes(peak)} on {result.device}", style="dim"))
    return lines


class TrainStats(Widget):
    """Progress, speed and parameters of the current run; the summary once it ends.

    A fixed-height widget repainted with ``refresh()`` (not ``Static.update``, which asks
    for a new layout): ten updates a second must not reflow the whole screen.
    """

    #: The first line shown, as plain text (for tests and screen readers).
    headline = ""
    #: Everything shown, as plain text.
    plain = ""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._content: RenderableType = Text("")

    def render(self) -> RenderableType:
        return self._content

    def _show(self, *parts: RenderableType) -> None:
        first = parts[0]
        self.headline = first.plain if isinstance(first, Text) else str(first)
        self.plain = "\n".join(part.plain if isinstance(part, Text) else str(part) for part in parts)
        self._content = Group(*parts) if len(parts) > 1 else first
        self.refresh()

    def show_idle(self, message: str = "") -> None:
        """Before any run: how to start one."""
        text = Text.assemble(
            ("No run yet: ", "bold"),
            "fill in the form, press F6.\n",
            "Tab moves · ←/→ cycles · ctrl+f folds it\n",
            "F7 stop · F8 again · F9 clear · F10 export\n",
            "ctrl+l log · ctrl+o X, y · ctrl+s lr sweep\n",
            "F1 every key · ctrl+p every command",
        )
        parts: list[RenderableType] = [text]
        if message:
            parts.append(Text(message))
        self._show(*parts)

    @property
    def lines(self) -> int:
        """Content lines the panel shows (its height without border and padding)."""
        return self.content_region.height or 8

    @property
    def tight(self) -> bool:
        """True when the panel is so short (a small terminal) that the headline and its details share a line."""
        return self.lines <= TIGHT_LINES

    def show_progress(self, record: RunRecord, progress: Any, device: str, queued: int = 0, *, sweep: int = 0) -> None:
        """A run in flight: ``epoch 2/3 · step 150/100 ███░░ 50% · ETA 0:03 · 1.2M samples/s`` (step within the epoch).

        ``sweep`` is the number of runs training with it as one batched program (0: alone).
        """
        fraction = progress.step / progress.steps_total if progress.steps_total else 0.0
        in_epoch = progress.step - (progress.epoch - 1) * progress.steps_per_epoch
        in_epoch = min(max(in_epoch, 0), progress.steps_per_epoch)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"#{record.run_id} ", style="bold")
        line.append(f"epoch {progress.epoch}/{progress.epochs} · step {in_epoch}/{progress.steps_per_epoch} ")
        line.append(progress_bar(fraction), style="bold")
        line.append(f" {fraction:4.0%} · ETA {format_seconds(progress.eta)} · {format_rate(progress.samples_per_s)}")
        if progress.cuda_memory is not None:
            line.append(f" · {device} memory {progress.cuda_memory / 2**20:.1f} MiB")
        if queued:
            line.append(f" · {queued} queued", style="italic")
        last = record.epoch_losses[-1] if record.epoch_losses else None
        if self.tight and progress.w:  # the run's label is in the legend: its loss joins the progress line
            if last is not None:
                line.append(f" · epoch loss {format_loss(last)}")
            true_w = record.config.true_w if record.config.data == "synthetic" else None
            true_b = record.config.true_b if record.config.data == "synthetic" else None
            table = params_table(progress.w, progress.b, true_w, true_b, max_rows=table_room(self.lines, 1))
            self._show(line, table)
            return
        together = f" · 1 of {sweep} in one batched sweep" if sweep > 1 else ""
        status = safe_line(
            f"{record.label} on {device}{together}"
            + (f" · epoch loss {format_loss(last)}" if last is not None else ""),
            style="dim",
        )
        if not progress.w:  # a workspace model: no w, b to show
            name = record.config.model_name
            self._show(line, status, Text(f"training a copy of {name}; the original will be kept as {name}_init"))
            return
        true_w = record.config.true_w if record.config.data == "synthetic" else None
        true_b = record.config.true_b if record.config.data == "synthetic" else None
        room = table_room(self.lines, 2)
        self._show(line, status, params_table(progress.w, progress.b, true_w, true_b, max_rows=room))

    def show_preparing(self, record: RunRecord, device: str, runs: int = 1) -> None:
        """Between start and the first progress message (``runs`` > 1: a batched sweep starting with ``record``)."""
        if runs > 1:
            last = record.run_id + runs - 1
            self._show(
                safe_line(f"#{record.run_id}–#{last}: {runs} learning rates as one batched program on {device}…")
            )
            return
        if record.config.processes > 1:
            what = f"starting {record.config.processes} processes (torchrun, {device.split(':')[0]})…"
        else:
            what = f"preparing on {device}…"
        self._show(safe_line(f"{record.label}: {what}"))

    def show_result(self, record: RunRecord, queued: int = 0) -> None:
        """The summary of a finished, stopped or diverged run."""
        result = record.result
        head = safe_line(f"{record.label} · {record.message}", style=self._status_style(record.status))
        if result is None:
            self._show(head)
            return
        facts = Text(no_wrap=True, overflow="ellipsis")
        if self.tight:  # one line: the run's number, its final loss (never cut), then how it ended
            facts.append(f"#{record.run_id} ", style="bold")
        if result.final_loss is not None:
            facts.append(f"final loss {format_loss(result.final_loss)} · ")
        if self.tight:
            facts.append_text(safe_line(f"{record.message} · ", style=self._status_style(record.status)))
        facts.append(f"{result.seconds:.2f} s · {format_rate(result.samples_per_s)} · {result.device}")
        if result.closed_loss is not None:
            facts.append(f" · closed-form loss {format_loss(result.closed_loss)}")
        if queued:
            facts.append(f" · {queued} queued", style="italic")
        notes = run_notes(result)
        above = [facts] if self.tight else [head, facts]
        if not result.w:  # a workspace model, or a run that stopped or failed before its first step
            self._show(*above, *notes[: max(0, self.lines - len(above))])
            return
        closed = (
            (result.closed_w, result.closed_b) if result.closed_w is not None and result.closed_b is not None else None
        )
        least = 2 if len(result.w) > 0 else 1  # the table keeps its header, b and (when weights must go) "… N more"
        notes = notes[: max(0, self.lines - len(above) - 1 - least)]
        room = table_room(self.lines, len(above) + len(notes))
        table = params_table(result.w, result.b, result.true_w, result.true_b, closed, max_rows=room)
        self._show(*above, table, *notes)

    def show_sweep(self, records: Sequence[RunRecord], published: RunRecord | None, queued: int = 0) -> None:
        """A finished sweep: one line per run (rate, status, final loss, best marked), and whose w, b were published."""
        ended = [r for r in records if r.result is not None and r.result.final_loss is not None]
        best = min(ended, key=lambda r: r.result.final_loss, default=None)
        head = Text(
            f"Sweep #{records[0].run_id}–#{records[-1].run_id}: {len(records)} rates in one program", style="bold"
        )
        seconds = max((r.result.seconds for r in records if r.result is not None), default=0.0)
        head.append(f" · {seconds:.2f} s" + (f" · {queued} queued" if queued else ""))
        lines = [head]
        width = max(len(f"{r.config.lr:g}") for r in records)
        room = max(1, self.lines - 2)
        shown = list(records)
        if len(records) > room:  # the best run always keeps its line; the others in rate order as room allows
            chosen = [best] if best is not None else []
            chosen += [r for r in records if r is not best][: max(0, room - 1 - len(chosen))]
            shown = sorted(chosen, key=lambda r: r.run_id)
        for record in shown:
            loss = record.result.final_loss if record.result is not None else None
            text = f"#{record.run_id} lr={record.config.lr:<{width}g} "
            text += (
                f"final loss {format_loss(loss)}"
                if record.status == "finished" and loss is not None
                else record.message
            )
            mark = " ← best" if record is best else ""
            style = "bold" if record is best else self._status_style(record.status)
            lines.append(safe_line(text + mark, style=style if record.status != "finished" or mark else ""))
        if len(shown) < len(records):
            lines.append(Text(f"… {len(records) - len(shown)} more runs (their curves are in the plot)", style="dim"))
        if published is not None:
            lines.append(safe_line(f"w, b in the workspace are the last run's: #{published.run_id}", style="dim"))
        self._show(*lines)

    def _status_style(self, status: str) -> Style | str:
        """The headline's style for a run's status, from the theme (no literal colours)."""
        if status in ("diverged", "failed"):
            return theme_style(self.app, "error" if status == "failed" else "warning", bold=True)
        return "bold italic" if status == "stopped" else "bold"

    def show_message(self, message: str) -> None:
        """A message (errors that stop a run from starting); text from data is shown safely."""
        self._show(safe_text(message))
