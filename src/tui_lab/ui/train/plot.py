"""The Train pane's loss plot: every kept run overlaid, labelled, downsampled before drawing.

Drawing has two halves. On the UI thread, :meth:`LossPlot.spec` turns the runs into a small
:class:`PlotSpec` (each curve already smoothed and cut to about one point per column, in numpy).
plotext then builds the picture from that spec in a thread worker: it is pure Python and takes
tens of milliseconds at 120×40, which would otherwise stall the event loop on every redraw. The
worker also turns plotext's character matrix into the widget's lines (:class:`Strip`), so the UI
thread only hands finished lines to the compositor (converting them there cost ~5 ms a redraw).

The legend is drawn below the plot, not by plotext inside it: inside, it sits in the top-left
corner, which is exactly where loss curves start (and where they stay on a log axis).

Runs stay apart: each kept run holds one of eight styles (a colour and a marker) from the moment it
is first drawn until it leaves the plot, so no two shown runs share a colour, and the marker keeps
them apart where colour is gone (``NO_COLOR``, a monochrome terminal). The newest run is drawn in
braille (``━`` in the legend), the others with their marker. Labels name only what differs between
the shown runs. On a linear axis a diverged run does not set the scale: the axis fits the other
runs, the diverged curve is cut where it leaves the top, and its label says so.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.message import Message
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tui_lab.core.plotext_adapter import NO_COLOR, CellRows, Color, ansi_cell, ansi_text, cell_rows, set_size
from tui_lab.core.train.axis import Ticks, axis_ticks
from tui_lab.core.train.outcome import RunStatus
from tui_lab.ui.textual_adapter import plotext_theme

if TYPE_CHECKING:  # numpy: only once there are runs (the pane opens before torch, and numpy, have loaded)
    import numpy as np

    from tui_lab.core.train.history import RunRecord


#: Plotext colour names, one per kept run (the plot keeps at most eight runs).
RUN_COLOURS = ("cyan+", "orange+", "green+", "magenta+", "yellow+", "blue+", "red+", "white")
#: Markers, one per kept run, so runs differ without colour too (single-cell ASCII: safe in every terminal).
RUN_MARKERS = ("•", "+", "x", "*", "o", "#", "%", "@")
#: The newest run's curve is drawn in braille; its legend entry shows a line.
LINE_MARKER = "━"
#: Said of a diverged run whose curve leaves the top of a linear axis fitted to the other runs.
CUT_NOTE = "diverged, cut at the top"
#: A plot fewer rows tall than this gives its x axis title row to the curves.
TIGHT_HEIGHT = 20


@dataclass(frozen=True)
class Curve:
    """One run, ready to draw: its smoothed step curve and its epoch dots."""

    label: str
    colour: str
    x: list[float]
    y: list[float]
    epoch_x: list[float]
    epoch_y: list[float]
    braille: bool
    run_id: int = 0
    #: The character the curve is drawn with (when not in braille) and that leads its legend entry.
    marker: str = RUN_MARKERS[0]
    diverged: bool = False

    @property
    def legend_marker(self) -> str:
        """What leads the legend entry: the curve's own marker, or a line for the braille curve."""
        return LINE_MARKER if self.braille else self.marker


@dataclass(frozen=True)
class PlotSpec:
    """Everything plotext needs for one picture, detached from the live run records."""

    curves: tuple[Curve, ...]
    log_scale: bool
    x_max: float
    size: tuple[int, int]
    theme: str
    #: Settings every overlaid run shares (shown once in the title instead of in each label).
    common: str = ""
    #: Loss-axis ticks (data values) and their compact labels; empty lets plotext choose.
    y_ticks: tuple[float, ...] = ()
    y_labels: tuple[str, ...] = ()
    #: Legend lines below the plot: each a tuple of (label, plotext colour, marker) entries.
    legend: tuple[tuple[tuple[str, str, str], ...], ...] = ()
    #: The loss axis's range when it is not fitted to every curve (a diverged run left out), else None.
    y_range: tuple[float, float] | None = None

    @property
    def tight(self) -> bool:
        """True when the widget is short: the x axis's title row goes (the title says "vs epoch")."""
        return self.size[1] < TIGHT_HEIGHT

    @property
    def canvas_size(self) -> tuple[int, int]:
        """The size plotext draws at: the plot without the legend lines below it."""
        width, height = self.size
        return width, max(1, height - len(self.legend))


#: Cells between two legend entries.
LEGEND_GAP = 3


def legend_lines(
    entries: list[tuple[str, str, str]], width: int, max_lines: int
) -> tuple[tuple[tuple[str, str, str], ...], ...]:
    """Pack ``(label, colour, marker)`` entries into lines of ``width`` cells (``+ label`` each).

    At most ``max_lines`` lines: when more would be needed the oldest entries go, so the newest
    runs (given last) are always named.
    """
    lines: list[list[tuple[str, str, str]]] = []
    used = width + 1
    for entry in entries:
        cells = 2 + len(entry[0])
        if lines and used + LEGEND_GAP + cells <= width:
            lines[-1].append(entry)
            used += LEGEND_GAP + cells
        else:
            lines.append([entry])
            used = cells
    return tuple(tuple(line) for line in lines[-max_lines:])


def assign_styles(run_ids: list[int], held: dict[int, int], count: int = len(RUN_COLOURS)) -> dict[int, int]:
    """Style slots for ``run_ids``: a run keeps the slot it holds, a new run takes the first free one.

    So up to ``count`` shown runs never share a colour or a marker, and a run's colour does not
    change while it stays in the plot (ids are not consecutive after rejections or a restore).
    """
    slots = {run_id: slot for run_id, slot in held.items() if run_id in run_ids}
    for run_id in sorted(run_ids):
        if run_id not in slots:
            free = [slot for slot in range(count) if slot not in slots.values()]
            slots[run_id] = free[0] if free else run_id % count
    return slots


def cut_at(x: list[float], y: list[float], top: float) -> tuple[list[float], list[float]]:
    """The curve up to where it first rises above ``top``, ending on the axis's edge (so plotext never sees 1e14)."""
    for i, value in enumerate(y):
        if value > top:
            if i == 0:
                return [], []
            x0, y0, x1 = x[i - 1], y[i - 1], x[i]
            edge = x0 + (x1 - x0) * (top - y0) / (value - y0)
            return [*x[:i], edge], [*y[:i], top]
    return x, y


class LossPlot(PlotextPlot):
    """Smoothed per-step loss and per-epoch loss of the kept runs, against epochs."""

    @dataclass
    class Built(Message):
        """A picture finished building in the worker."""

        size: tuple[int, int]
        lines: list[Strip]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.records: list[RunRecord] = []
        self.log_scale = False
        self.current_id: int | None = None
        self._lock = threading.Lock()
        self._picture: tuple[tuple[int, int], list[Strip]] | None = None
        self._ansi_console = Console(color_system="truecolor", force_terminal=True, width=200, legacy_windows=False)
        self._styles: dict[tuple[Color, Color, Color] | str, Style] = {}
        self._building = False
        self._stale = False
        #: Each shown run's style slot (colour and marker), held while the run stays in the plot.
        self._slots: dict[int, int] = {}

    # -- what to draw (UI thread) -----------------------------------------------------------

    def show_runs(self, records: list[RunRecord], current_id: int | None = None) -> None:
        """Draw ``records`` (the current run's curve last, on top)."""
        self.records = list(records)
        self.current_id = current_id
        self._request()

    def set_log_scale(self, on: bool) -> None:
        """Switch the y axis between linear and log10."""
        self.log_scale = on
        self._request()

    def max_points(self, current: bool) -> int:
        """Points per curve: one per column for the current run, fewer for the others (plotext joins them)."""
        width = self.size.width or 80
        return max(16, width if current else width // 4)

    def spec(self) -> PlotSpec:
        """The picture to build now: each curve downsampled, whatever the history length."""
        ordered = sorted(self.records, key=lambda r: (r.run_id == self.current_id, r.run_id))
        newest = ordered[-1].run_id if ordered else None
        self._slots = assign_styles([r.run_id for r in ordered], self._slots)
        parts = {r.run_id: r.legend_parts() for r in ordered}
        shared = set.intersection(*(set(r.config.label_parts()) for r in ordered)) if len(ordered) > 1 else set()
        alike = set.intersection(*(set(p) for p in parts.values())) if len(ordered) > 1 else set()
        statuses = {r.status for r in ordered}
        all_ended = len(ordered) > 1 and len(statuses) == 1 and not statuses & {RunStatus.RUNNING, RunStatus.FINISHED}
        curves = []
        for record in ordered:
            x, y = record.step_curve(self.max_points(record.run_id == self.current_id))
            xs, ys = self._finite(x, y)
            ex: list[float] = []
            ey: list[float] = []
            if record.run_id == newest or not xs:  # epoch dots for the newest run keep the overlay cheap
                import numpy as np

                ex, ey = self._finite(*(np.asarray(v, dtype=np.float64) for v in record.epoch_curve()))
            going = record.status in (RunStatus.RUNNING, RunStatus.FINISHED)
            suffix = "" if all_ended or going else f" ({record.status})"
            slot = self._slots[record.run_id]
            own = [p for p in parts[record.run_id] if p not in alike]  # only what tells the runs apart
            label = f"#{record.run_id} {' '.join(own)}".rstrip() + suffix
            curve = Curve(label, RUN_COLOURS[slot], xs, ys, ex, ey, record.run_id == newest, record.run_id)
            curves.append(replace(curve, marker=RUN_MARKERS[slot], diverged=record.status == RunStatus.DIVERGED))
        curves, y_range = self._fit_axis(curves)
        x_max = max([max(1.0, float(r.config.epochs)) for r in self.records] or [1.0])
        theme = plotext_theme(self)
        common = " ".join(p for p in ordered[0].config.label_parts() if p in shared) if shared else ""
        if all_ended:  # said once in the title, so a stopped sweep's legend still names every run
            common = f"{common} · all {ordered[0].status}".lstrip(" ·")
        ticks = self._y_ticks(curves, y_range)
        size = (self.size.width, self.size.height)
        entries = [(c.label, c.colour, c.legend_marker) for c in sorted(curves, key=lambda c: c.run_id)]
        legend = legend_lines(entries, max(10, size[0] - 2), max(1, size[1] // 4)) if curves else ()
        return PlotSpec(
            tuple(curves), self.log_scale, x_max, size, theme, common, ticks.values, ticks.labels, legend, y_range
        )

    def _fit_axis(self, curves: list[Curve]) -> tuple[list[Curve], tuple[float, float] | None]:
        """On a linear axis, fit the loss axis to the runs that did not diverge; cut diverged curves at its top.

        A diverged run climbs to 1e14 before the guard stops it: fitted to it, every other curve is a
        flat line at zero. Returns the curves (diverged ones cut and relabelled) and the range (None:
        plotext fits every curve, as on a log axis or when no run diverged above the others).
        """
        kept = [v for c in curves if not c.diverged for v in (*c.y, *c.epoch_y)]
        if self.log_scale or not kept:
            return curves, None
        top = max(kept)
        if not any(v > top for c in curves if c.diverged for v in (*c.y, *c.epoch_y)):
            return curves, None
        fitted = []
        for curve in curves:
            if curve.diverged and any(v > top for v in (*curve.y, *curve.epoch_y)):
                x, y = cut_at(curve.x, curve.y, top)
                dots = [(ex, ey) for ex, ey in zip(curve.epoch_x, curve.epoch_y, strict=True) if ey <= top]
                label = curve.label.replace(" (diverged)", "") + f" ({CUT_NOTE})"
                kept_x, kept_y = [d[0] for d in dots], [d[1] for d in dots]
                curve = replace(curve, label=label, x=x, y=y, epoch_x=kept_x, epoch_y=kept_y)
            fitted.append(curve)
        bottom = min([*kept, *(v for c in fitted for v in (*c.y, *c.epoch_y))])
        return fitted, (bottom, top)

    def _y_ticks(self, curves: list[Curve], y_range: tuple[float, float] | None = None) -> Ticks:
        """Round loss ticks inside the drawn values' range, labelled ``1.97e10`` rather than ``19702956032.0``."""
        values = [v for c in curves for v in (*c.y, *c.epoch_y)]
        if not values:
            return Ticks((), ())
        lo, hi = y_range or (min(values), max(values))
        rows = max(1, (self.size.height or 24) - 7)  # title, frame, x labels, x title and the legend take ~7 rows
        return axis_ticks(lo, hi, max(2, min(6, rows // 3)), self.log_scale)

    def _finite(self, x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
        import numpy as np

        keep = np.isfinite(y) & ((y > 0) | (not self.log_scale))
        return x[keep].tolist(), y[keep].tolist()

    # -- building (any thread) ----------------------------------------------------------------

    def _compose_figure(self, spec: PlotSpec) -> None:
        """Set plotext's figure up for ``spec`` (call with the lock held)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        width, height = spec.canvas_size
        set_size(plt, width, height)
        plt.theme(spec.theme)
        title = f"loss of {spec.common}" if spec.common else "loss ─ per step (smoothed) ● per epoch"
        if spec.tight and spec.common:
            title += " vs epoch"
        plt.title(title + (" · log" if spec.log_scale else ""))
        if not spec.tight:
            plt.xlabel("epoch")
        plt.yscale("log" if spec.log_scale else "linear")
        drawn = 0
        for curve in spec.curves:
            if curve.x:
                # braille only for the newest run: plotext's braille pass costs a full canvas per curve
                marker = "braille" if curve.braille else curve.marker
                plt.plot(curve.x, curve.y, color=curve.colour, marker=marker)
                drawn += 1
            if curve.epoch_x:
                plt.scatter(curve.epoch_x, curve.epoch_y, color=curve.colour, marker="●")
                drawn += 1
        if not drawn:
            plt.plot([0.0, 1.0], [math.nan, math.nan])
            plt.yticks([])
            plt.title("loss: no runs yet (F6 starts one)")
        elif spec.y_ticks:
            plt.yticks(list(spec.y_ticks), list(spec.y_labels))
        if drawn and spec.y_range is not None:
            plt.ylim(*spec.y_range)
        plt.xlim(0, spec.x_max)

    def draw(self, spec: PlotSpec) -> Text:
        """The picture as plotext prints it (ANSI decoded): the reference that :meth:`lines` matches."""
        with self._lock:
            self._compose_figure(spec)
            return Text.from_ansi(ansi_text(self.plt))

    def lines(self, spec: PlotSpec) -> list[Strip]:
        """The picture as the widget's lines, each exactly the plot's width (any thread).

        Reads plotext's character and colour matrices directly instead of printing ANSI text
        and decoding it again, which was two thirds of a redraw's cost.
        """
        width, height = spec.size
        with self._lock:
            self._compose_figure(spec)
            background: Color = NO_COLOR
            cells = cell_rows(self.plt)  # plotext's build() without its last step (printing ANSI text)
            if cells is not None:
                background = cells.background  # the figure's own, for the legend lines
                rows = [self._cell_row(cells, row).crop_extend(0, width, None) for row in range(len(cells.characters))]
            else:  # another plotext version: take the slower, public way
                text = Text.from_ansi(ansi_text(self.plt))
                rows = [
                    Strip(line.render(self._ansi_console, end=""), line.cell_len).crop_extend(0, width, None)
                    for line in text.split("\n", allow_blank=True)
                ]
        canvas_height = spec.canvas_size[1]
        rows = rows[:canvas_height] + [Strip.blank(width)] * (canvas_height - len(rows))
        rows += [self._legend_strip(line, width, background) for line in spec.legend]
        return rows[:height] + [Strip.blank(width)] * (height - len(rows))

    def _legend_strip(self, entries: tuple[tuple[str, str, str], ...], width: int, background: Color) -> Strip:
        """One legend line: ``+ #1 lr=0.1   ━ #2 lr=0.3``, each run's marker and label in its colour."""
        plain = self._rich_style(NO_COLOR, NO_COLOR, background)
        segments = [Segment(" ", plain)]
        for index, (label, colour, marker) in enumerate(entries):
            if index:
                segments.append(Segment(" " * LEGEND_GAP, plain))
            segments.append(Segment(f"{marker} ", self._rich_style(colour, "bold", background)))
            segments.append(Segment(label, self._rich_style(colour, NO_COLOR, background)))
        return Strip(segments).crop_extend(0, width, plain)

    def _cell_row(self, cells: CellRows, row: int) -> Strip:
        """One row of plotext's cells as a Strip: one segment per run of equally coloured cells."""
        markers, fore, style, back = cells.characters[row], cells.fore[row], cells.style[row], cells.back[row]
        segments = []
        start, cols = 0, len(markers)
        for col in range(1, cols + 1):
            if col == cols or fore[col] != fore[start] or style[col] != style[start] or back[col] != back[start]:
                text = "".join(markers[start:col])
                segments.append(Segment(text, self._rich_style(fore[start], style[start], back[start])))
                start = col
        return Strip(segments)

    def _rich_style(self, fore: Color, style: Color, back: Color) -> Style:
        """The rich Style plotext's ANSI codes for these colours decode to (cached by colours)."""
        key: tuple[Color, Color, Color] | str = (fore, style, back)
        try:
            cached = self._styles.get(key)
        except TypeError:  # an RGB colour given as a list
            key = repr(key)
            cached = self._styles.get(key)
        if cached is None:
            decoded = Text.from_ansi(ansi_cell(fore, style, back))
            cached = decoded.get_style_at_offset(self._ansi_console, 0) if decoded.spans else Style.null()
            self._styles[key] = cached
        return cached

    def _request(self) -> None:
        if not self.is_mounted:
            return
        if self._building:
            self._stale = True  # one rebuild after the current one, with the newest data
            return
        self._building, self._stale = True, False
        self._build(self.spec())

    @work(thread=True, group="loss-plot", exit_on_error=False)
    def _build(self, spec: PlotSpec) -> None:
        self.post_message(self.Built(spec.size, self._safe_lines(spec)))

    def _safe_lines(self, spec: PlotSpec) -> list[Strip]:
        try:
            return self.lines(spec)
        except Exception as error:  # plotext on odd data must not take the pane down
            width, height = spec.size
            first = Strip(list(Text(f"plot failed: {error}").render(self._ansi_console, end="")))
            return [first.crop_extend(0, width, None)] + [Strip.blank(width)] * max(0, height - 1)

    def on_loss_plot_built(self, message: LossPlot.Built) -> None:
        self._picture = (message.size, message.lines)
        self._building = False
        self.refresh()
        if self._stale:
            self._request()

    def render_line(self, y: int) -> Strip:
        """One line of the picture (built in the worker; built here only on first paint or a resize)."""
        size = (self.size.width, self.size.height)
        if self._picture is None or self._picture[0] != size:
            self._picture = (size, self._safe_lines(self.spec()))
        lines = self._picture[1]
        return lines[y] if 0 <= y < len(lines) else Strip.blank(size[0])
