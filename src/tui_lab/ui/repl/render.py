"""Turn REPL results into Rich renderables for the output log, in the app theme's colours.

Everything here is untrusted text (the user's output, reprs, tracebacks, names): control
characters are made visible by :func:`tui_lab.core.text.visible` before anything reaches the
log, so ``print("\\x1b]52;...")`` cannot write the clipboard. The one exception is colour: an
SGR sequence (``ESC [ 1;31 m``, parameters digits only) is turned into a Rich style by
:func:`output_text`; every other escape is shown, never sent.

Colours come from the theme through :func:`tui_lab.ui.theme.theme_style`, never literals.
:func:`render_blocks` turns a run's result into blocks (:class:`~tui_lab.ui.repl.blocks.LogBlock`) for
the log (:mod:`tui_lab.ui.repl.log`): text soft-wraps at the log's width, as in a terminal (tensors
are laid out by torch for that width, so their rows fit); pictures keep their lines; a matplotlib
figure is a block the screen's figures make (:mod:`tui_lab.ui.repl.images`). Live pictures (a
``d2l.Animator`` while its loop runs) are replaced in place by :class:`LivePictures`; live figures go
out at most :data:`LIVE_BYTES_PER_SECOND` on average.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import App

from tui_lab.core.text import visible
from tui_lab.ui.repl.blocks import LogBlock, renderable_block, text_block
from tui_lab.ui.repl.keys import ACTIONS
from tui_lab.ui.repl.log import ReplLog
from tui_lab.ui.theme import safe_text, theme_style

if TYPE_CHECKING:  # the engine is imported after the first frame, not with the screen
    from tui_lab.core.repl.broadcast import BroadcastExplanation
    from tui_lab.core.repl.capture import DisplayBlock
    from tui_lab.core.repl.engine import InputResult, ReplEngine
    from tui_lab.core.repl.errors import ErrorInfo
    from tui_lab.core.repl.figures.image import FigureImage
    from tui_lab.core.repl.memory import MemoryEvent
    from tui_lab.core.session.model import ReplEntry

MEMORY_MARKS = {
    "new storage": "⟲",
    "in place": "✎",
    "same storage": "≡",
    "deleted": "✗",
    "retyped": "↦",
    "shares memory": "⇄",
}
#: An SGR (colour/bold) sequence whose parameters are digits only: the one escape kept, as a style.
_SGR = re.compile(r"\x1b\[([0-9;]{0,40})m")
#: The key that shows the last error's full traceback, as the help screen prints it.
FULL_TRACEBACK_KEY = next(a.key_display for a in ACTIONS if a.action == "show_full_traceback")
#: A figure's block for the log (the screen's :class:`~tui_lab.ui.repl.figures.ScreenFigures` makes it).
FigureMaker = Callable[["FigureImage"], LogBlock]
#: Lays a live figure out for the log's (width, rows), in the code's thread: (its block, the bytes it sends).
LiveFigure = Callable[["FigureImage", int, int], tuple[LogBlock, int]]
#: Live figures go out at most this many bytes a second on average (a redraw waits its bytes' worth).
LIVE_BYTES_PER_SECOND = 48 * 1024


class ResultStyles:
    """Rich styles built from the app theme's variables."""

    def __init__(self, app: App[object] | Mapping[str, str]) -> None:
        if not isinstance(app, App):  # the theme's variables, as an older caller passes them
            app = cast("App[object]", _Variables(app))
        self.prompt_in = theme_style(app, "success", bold=True)
        self.prompt_out = theme_style(app, "error", bold=True)
        self.error = theme_style(app, "error")
        self.warning = theme_style(app, "warning") + Style(italic=True)
        self.muted = Style(dim=True)
        self.accent = theme_style(app, "accent")
        self.heading = theme_style(app, "accent", bold=True)


class _Variables:
    """Stands in for the app when only the theme's variables are at hand."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables

    def get_css_variables(self) -> Mapping[str, str]:
        return self.variables


def _carriage_returns(line: str) -> str:
    """What a terminal shows for a line rewritten with ``\\r`` (progress bars): the last version."""
    if "\r" not in line:
        return line
    stripped = line.rstrip("\r")
    return stripped.rsplit("\r", 1)[-1]


def output_text(text: str, style: Style | str = "") -> Text:
    """Untrusted output as Text: SGR colours kept as styles, every other control made visible."""
    text = "\n".join(_carriage_returns(line) for line in text.split("\n"))
    if "\x1b" not in text:
        return Text(visible(text, keep="\n\t"), style=style)
    pieces: list[str] = []
    position = 0
    for match in _SGR.finditer(text):
        pieces.append(visible(text[position : match.start()], keep="\n\t"))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(visible(text[position:], keep="\n\t"))
    result = Text.from_ansi("".join(pieces), style=style)
    result.end = "" if not text.endswith("\n") else "\n"
    return result


def picture(text: str) -> LogBlock:
    """A picture drawn as text (a plot): its lines are kept whole, a wider one scrolls sideways."""
    return text_block(output_text(text), wrap=False)


def restored_log(entries: Sequence[ReplEntry], styles: ResultStyles) -> Iterator[Text | LogBlock]:
    """A session's REPL log: each input, prompted and wrapped as it was echoed, and what it printed (control
    characters shown), then a rule."""
    for entry in entries:
        style = styles.prompt_in if entry.ok else styles.error
        for index, line in enumerate(entry.source.rstrip().split("\n")):
            head = "In [·]: " if index == 0 else "   ...: "
            yield text_block(safe_text(head + line, style), hang=len(head))
        if entry.output:
            yield safe_text(entry.output.rstrip("\n"))
    if entries:
        yield Text("── the log above was restored from the saved session ──", style="dim")


def echo_input(number: int, source: str, styles: ResultStyles) -> Iterator[LogBlock]:
    """``In [n]: code`` with the code highlighted (control characters in it shown, not sent); a line longer than the
    log wraps under its code, not under the prompt."""
    from rich.syntax import Syntax  # pygments is imported on the first input, not at start-up

    shown = visible(source, keep="\n\t")
    prompt = f"In [{number}]: "
    code = Syntax(shown, "python", theme="ansi_dark", background_color="default").highlight(shown)
    code.rstrip()
    lines = code.split("\n")
    for index, line in enumerate(lines):
        head = Text(prompt if index == 0 else " " * (len(prompt) - 5) + "...: ", style=styles.prompt_in)
        yield text_block(head + line, hang=len(prompt))


def write_blocks(log: ReplLog, blocks: Iterable[LogBlock]) -> None:
    """Write blocks at the end of the log (a figure under its key, so it can be laid out again where it stands)."""
    from tui_lab.ui.repl.images import FigureBlock

    for block in blocks:
        log.write(block, key=block.key if isinstance(block, FigureBlock) else None)


def render_blocks(
    result: InputResult, styles: ResultStyles, width: int | None = None, figure: FigureMaker | None = None
) -> Iterator[LogBlock]:
    """Everything one run produced, in order: notes, output (plots and figures too), truncation, error, Out[n],
    memory view."""
    for note_line in result.notes:  # one line each: an IPython magic skipped, a real d2l package in use
        yield text_block(Text(visible(note_line), style=styles.muted))
    for chunk in result.outputs:
        if chunk.figure is not None and figure is not None:
            yield figure(chunk.figure)
            continue
        text = chunk.text[:-1] if chunk.text.endswith("\n") else chunk.text
        if chunk.stream == "display":
            yield picture(text)
        else:
            yield text_block(output_text(text, styles.error if chunk.stream == "stderr" else ""))
    note = result.truncation_note()
    if note:
        yield text_block(Text(note, style=styles.warning))
    if result.error is not None:
        yield from render_error(result.error, styles)
    if result.value_repr is not None:
        yield text_block(render_value(result.number, result.value_repr, styles, width))
        if result.value_summary:
            yield text_block(Text(result.value_summary, style=styles.muted))
        if result.value_note:
            yield text_block(Text(result.value_note, style=styles.warning))
    if result.memory:
        yield renderable_block(render_memory(result.memory, styles))
    yield text_block(Text(""))


def render_error(error: ErrorInfo, styles: ResultStyles, *, full: bool = False) -> Iterator[LogBlock]:
    """The traceback (library frames folded unless ``full``), the broadcasting explainer, the hint."""
    yield text_block(output_text(error.full_traceback if full else error.traceback, styles.error))
    if error.broadcast is not None:
        yield text_block(Text("\n").join(render_broadcast(error.broadcast, styles)))
    if error.hint:
        yield text_block(Text("hint: ", style=styles.heading) + Text(visible(error.hint)))
    if error.hidden_frames and not full:
        yield text_block(Text(f"{FULL_TRACEBACK_KEY} shows the full traceback", style=styles.muted))


def render_full_traceback(result: InputResult, styles: ResultStyles) -> Iterator[LogBlock]:
    """The last error's traceback with every library frame, under a heading naming its input."""
    assert result.error is not None
    yield text_block(Text(f"full traceback of In [{result.number}]:", style=styles.heading))
    yield from render_error(result.error, styles, full=True)
    yield text_block(Text(""))


def render_value(number: int, body: str, styles: ResultStyles, width: int | None = None) -> Text:
    """``Out[n]: value``; a multi-line value, or one that would not fit after the prompt, starts on its own line."""
    prompt = f"Out[{number}]: "
    value = Text(prompt, style=styles.prompt_out)
    own_line = "\n" in body or (width is not None and len(prompt) + len(body) > width)
    value.append_text(output_text(("\n" + body) if own_line else body))  # as IPython does for multi-line reprs
    return value


def render_memory(events: tuple[MemoryEvent, ...], styles: ResultStyles) -> RenderableType:
    """The memory view: statement by statement, one line per tensor name; wrapped lines stay indented."""
    parts: list[RenderableType] = [Text("memory view:", style=styles.heading)]
    by_statement = len({(e.line, e.statement) for e in events}) > 1
    indent = 4 if by_statement else 2
    table: Table | None = None
    current: tuple[int | None, str] | None = None
    for event in events:
        key = (event.line, event.statement)
        if table is None or (by_statement and key != current):
            current = key
            if by_statement and event.line is not None:
                parts.append(Text(f"  line {event.line}: ", style=styles.muted) + Text(visible(event.statement)))
            table = Table.grid(padding=0)
            table.add_column(no_wrap=True, width=indent + 2)
            table.add_column(ratio=1, overflow="fold")
            parts.append(table)
        line = Text()
        line.append(visible(event.name), style="bold")
        line.append(f" {event.headline}", style=styles.heading)
        if event.detail:
            line.append(f" — {visible(event.detail)}", style=styles.muted)
        table.add_row(Text(" " * indent + MEMORY_MARKS.get(event.kind, "•")), line)
    return Group(*parts)


def render_broadcast(explanation: BroadcastExplanation, styles: ResultStyles) -> Iterator[Text]:
    """Operand shapes right-aligned, ✗ under clashing axes, ↕ under stretched ones."""
    yield Text("broadcasting explainer (shapes aligned from the right):", style=styles.heading)
    lines = explanation.as_text().split("\n")
    marks, verdict = lines[-2], lines[-1]
    for line in lines[:-2]:
        yield Text("  " + visible(line))
    mark_line = Text("  ")
    for char in marks:
        style = styles.error if char == "✗" else styles.accent if char == "↕" else Style()
        mark_line.append(char, style=style + Style(bold=True))
    yield mark_line
    yield Text("  " + verdict, style=styles.error if not explanation.ok else styles.muted)


def render_late_output(chunks: list[tuple[str, str]], dropped: int, styles: ResultStyles) -> Iterator[LogBlock]:
    """Output a thread of an earlier input wrote after that input finished, marked as late."""
    yield text_block(Text("late output (a thread started by an earlier input):", style=styles.warning))
    for stream, text in chunks:
        body = text[:-1] if text.endswith("\n") else text
        yield text_block(output_text(body, styles.error if stream == "stderr" else ""))
    if dropped:
        yield text_block(Text(f"… {dropped:,} more characters of late output not shown", style=styles.warning))
    yield text_block(Text(""))


class LivePictures:
    """Shows an engine's pictures (display blocks) in the log while an input runs, never blocking the code.

    The engine calls the listener from the thread that runs the code; the picture is handed to
    the event loop with ``call_soon_threadsafe`` (queued before the run's result, which comes the
    same way) and shown in the log under a key of its own, so a later picture with the same id
    replaces it where it stands. :meth:`start` sizes the pictures to the log, :meth:`finish` takes
    the live ones out before the result is written with the final ones.
    """

    def __init__(
        self,
        engine: ReplEngine,
        log: ReplLog,
        figure: LiveFigure | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import asyncio

        self._engine, self._log = engine, log
        self._loop = asyncio.get_running_loop()
        self._shown: set[tuple[str, int, int]] = set()
        self._run = 0
        self._figure, self._clock = figure, clock
        self._next_figure = 0.0  # when the next live figure may go out (the byte budget)
        self._waiting: dict[int, tuple[LogBlock, int]] = {}  # the latest picture of each live figure, not shown yet
        self._timer: asyncio.TimerHandle | None = None
        engine.display_listener = self._from_code_thread

    def start(self, number: int) -> None:
        """Input ``number`` starts: pictures take the log's width and at most its height."""
        region = self._log.scrollable_content_region
        if region.width:
            self._engine.display_width = region.width
            self._engine.display_rows = max(8, region.height - 1)
        self._run = number

    def _from_code_thread(self, block: DisplayBlock) -> None:
        if block.figure is not None and self._figure is not None:  # laid out here, off the UI thread
            picture = self._figure(block.figure, self._engine.display_width, self._engine.display_rows)
            self._loop.call_soon_threadsafe(self._show_figure, self._run, block.block_id, picture)
        else:
            self._loop.call_soon_threadsafe(self._show, self._run, block)

    def _show(self, run: int, block: DisplayBlock) -> None:
        if run == self._run:
            key = ("live", run, block.block_id)
            self._shown.add(key)
            self._log.show(key, picture("\n".join(block.lines)))

    def _show_figure(self, run: int, block_id: int, picture: tuple[LogBlock, int]) -> None:
        if run != self._run:
            return
        self._waiting[block_id] = picture  # only the latest picture of a figure matters
        if self._timer is None:
            delay = max(0.0, self._next_figure - self._clock())
            self._timer = self._loop.call_later(delay, self._show_figures, run)

    def _show_figures(self, run: int) -> None:
        """Show the waiting live figures; the next may go out once their bytes are paid for."""
        self._timer = None
        if run != self._run:
            return
        waiting, self._waiting = self._waiting, {}
        sent = 0
        for block_id, (block, size) in waiting.items():
            key = ("live", run, block_id)
            self._shown.add(key)
            self._log.show(key, block)
            sent += size
        self._next_figure = self._clock() + sent / LIVE_BYTES_PER_SECOND

    def finish(self) -> None:
        """The input ended: remove the live pictures (the result holds the final ones)."""
        self._run = 0
        self._waiting.clear()
        for key in self._shown:
            self._log.drop(key)
        self._shown.clear()

    def forget(self) -> None:
        """The log was cleared: nothing shown is live any more."""
        self._shown.clear()
