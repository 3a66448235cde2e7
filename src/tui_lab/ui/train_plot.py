"""The Train pane's loss plot: every kept run overlaid, labelled, downsampled before drawing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from textual_plotext import PlotextPlot

if TYPE_CHECKING:
    from tui_lab.core.train_history import RunRecord


#: Plotext colour names, one per run (cycled).
RUN_COLOURS = ("cyan+", "orange+", "green+", "magenta+", "yellow+", "blue+", "red+", "white")


class LossPlot(PlotextPlot):
    """Smoothed per-step loss and per-epoch loss of the kept runs, against epochs."""

    DEFAULT_CSS = """
    LossPlot {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.records: list[RunRecord] = []
        self.log_scale = False
        self.current_id: int | None = None

    def show_runs(self, records: list[RunRecord], current_id: int | None = None) -> None:
        """Draw ``records`` (the current run's curve last, on top) and repaint."""
        self.records = list(records)
        self.current_id = current_id
        self.replot()
        self.refresh()

    def set_log_scale(self, on: bool) -> None:
        """Switch the y axis between linear and log10."""
        self.log_scale = on
        self.replot()
        self.refresh()

    def max_points(self, current: bool) -> int:
        """Points per curve: one per column for the current run, fewer for the others (plotext joins them)."""
        width = self.size.width or 80
        return max(16, width if current else width // 4)

    def replot(self) -> None:
        """Rebuild the plot's data from the records (cheap: each curve is downsampled first)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("loss: per step ─ (smoothed), per epoch ●" + (", log" if self.log_scale else ""))
        plt.xlabel("epoch")
        plt.yscale("log" if self.log_scale else "linear")
        drawn = 0
        ordered = sorted(self.records, key=lambda r: (r.run_id == self.current_id, r.run_id))
        newest = ordered[-1].run_id if ordered else None
        for record in ordered:
            colour = RUN_COLOURS[record.run_id % len(RUN_COLOURS)]
            x, y = record.step_curve(self.max_points(record.run_id == self.current_id))
            xs, ys = self._finite(x, y)
            ex: list[float] = []
            ey: list[float] = []
            if record.run_id == newest or not xs:  # epoch dots for the newest run keep the overlay cheap to draw
                ex, ey = self._finite(*(np.asarray(v, dtype=np.float64) for v in record.epoch_curve()))
            label = record.label + ("" if record.status in ("running", "finished") else f" ({record.status})")
            if xs:
                # braille for the newest run only: plotext's braille pass costs a full canvas per curve
                plt.plot(xs, ys, color=colour, label=label, marker="braille" if record.run_id == newest else "dot")
                drawn += 1
            if ex:
                plt.scatter(ex, ey, color=colour, marker="●", label=None if xs else label)
                drawn += 1
        if not drawn:
            plt.plot([0.0, 1.0], [math.nan, math.nan])
            plt.yticks([])
            plt.title("loss: no runs yet (F6 starts one)")
        plt.xlim(0, max([max(1.0, float(r.config.epochs)) for r in self.records] or [1.0]))

    def _finite(self, x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
        keep = np.isfinite(y) & ((y > 0) | (not self.log_scale))
        return x[keep].tolist(), y[keep].tolist()
