"""The REPL screen's figures: each picture in the log, saving one, showing a folded one again, the image mode.

:class:`ScreenFigures` belongs to the REPL screen. It makes a :class:`~tui_lab.ui.repl.images.FigureView`
for every figure written to the log (sized by the log, drawn in the current mode, kept in a
:class:`~tui_lab.ui.repl.images.FigureGallery` so only the newest hold pixels), and does the
figure actions: F6 saves the newest figure as PNG next to the session, alt+s picks one to show
again or save (PNG or SVG, to a path you give), alt+i changes how figures are drawn (a setting).
Files are written in a thread worker; problems are notifications, never tracebacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_lab.core.repl.figures.store import FigureGone, save_format, store
from tui_lab.core.state import state_dir, update_settings
from tui_lab.ui.repl.graphics import Graphics, ImageMode, cell_size, current, set_current
from tui_lab.ui.repl.images import FigureBlock, FigureGallery, FigureView, sent_bytes
from tui_lab.ui.theme import escape_markup
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:
    from tui_lab.core.repl.figures.image import FigureImage
    from tui_lab.ui.pane import PaneScreen
    from tui_lab.ui.repl.log import ReplLog


def default_path(number: int, fmt: str = "png", when: float | None = None) -> Path:
    """Where F6 saves figure ``number``: ``<state>/figures/figure-3-20260101-120000.png``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    return state_dir() / "figures" / f"figure-{number}-{stamp}.{fmt}"


class ScreenFigures:
    """Figures of one REPL screen: blocks for the log, and the save / show / images actions.

    ``log`` is the REPL's log; ``max_rows()`` its height for a figure (a taller one is scaled
    down). Each figure is written to the log under its block's key, so when it folds (newer figures
    hold the pixels) or the mode changes it is laid out again where it stands.
    """

    def __init__(self, screen: PaneScreen, log: ReplLog, max_rows: Callable[[], int]) -> None:
        self.screen = screen
        self._log = log
        self._max_rows = max_rows
        self.gallery = FigureGallery(self._changed)
        self._blocks: dict[int, FigureBlock] = {}  # id(view) -> its block in the log
        self._prepared: dict[int, FigureView] = {}  # id(image) -> a view laid out off the UI thread

    def _changed(self, view: FigureView) -> None:
        """``view`` folded or unfolded: the log draws it again (or it is gone from the log, and forgotten)."""
        block = self._blocks.get(id(view))
        if block is None or not self._log.relayout(block.key):
            self.gallery.remove(view)
            self._blocks.pop(id(view), None)

    def prepare(self, image: FigureImage, width: int, rows: int) -> FigureView:
        """A view of ``image`` laid out for a log ``width`` × ``rows`` (any thread: the run's worker)."""
        view = FigureView(image, max_rows=lambda: rows, png=_stored_png)
        view.lines(width)
        self._prepared[id(image)] = view
        return view

    def live(self, image: FigureImage, width: int, rows: int) -> tuple[FigureBlock, int]:
        """A live picture laid out in the code's thread: its block, and the bytes it sends when drawn."""
        view = FigureView(image, max_rows=lambda: rows, png=_stored_png)
        return FigureBlock(view), sent_bytes(view.lines(width))

    def block(self, image: FigureImage) -> FigureBlock:
        """The block of ``image`` for the log (laid out in the worker when it was prepared), counted in the gallery."""
        view = self._prepared.pop(id(image), None)
        if view is None:
            view = FigureView(image, max_rows=self._max_rows, png=_stored_png)
        else:
            view.max_rows = self._max_rows  # from now on it follows the log (a resize lays it out again)
        block = FigureBlock(view)
        self._blocks[id(view)] = block
        self.gallery.add(view)
        return block

    def write(self, image: FigureImage) -> None:
        """Write ``image`` at the end of the log (a figure shown again)."""
        from rich.text import Text

        block = self.block(image)
        self._log.write(block, key=block.key)
        self._log.write(Text(""))

    def relayout_all(self) -> None:
        """Lay every figure out again (the mode changed, the log's height changed)."""
        for view in self.gallery.views:
            self._changed(view)

    def cleared(self) -> None:
        """The log was emptied: no figure is in it any more."""
        self.gallery.clear()
        self._blocks.clear()

    # -- actions ------------------------------------------------------------------------

    def save_newest(self) -> None:
        """F6: the newest figure as PNG next to the session."""
        number = store().latest()
        if number is None:
            self.screen.notify("No figure yet: plot something first (plt.plot([1, 4, 9])).", title="Save figure")
            return
        self._save(number, default_path(number))

    def pick(self) -> None:
        """alt+s: a picker of the kept figures, newest first: show again, or save as…"""
        from tui_lab.ui.modals import PickerScreen

        kept = store()
        numbers = kept.numbers()
        if not numbers:
            self.screen.notify("No figure yet: plot something first (plt.plot([1, 4, 9])).", title="Figures")
            return
        choices: list[tuple[str, str]] = []
        for number in numbers:
            width, height = kept.size(number) or (0, 0)
            size = f"{width}×{height}"
            choices.append((f"show:{number}", f"show figure {number} ({size}) again"))
            choices.append((f"save:{number}", f"save figure {number} ({size}) as PNG or SVG…"))

        def picked(choice: str | None) -> None:
            if choice is None:
                return
            what, _, number_text = choice.partition(":")
            number = int(number_text)
            if what == "show":
                self.show_again(number)
            else:
                self.ask_where(number)

        self.screen.app.push_screen(PickerScreen("Figures", choices, filter_placeholder="figure…"), picked)

    def show_again(self, number: int) -> None:
        """Write figure ``number`` at the end of the log again, with its pixels (from the store's PNG)."""
        from tui_lab.core.repl.figures.image import from_png

        try:
            kept = store().get(number)
            image = from_png(number, kept.png)
        except (FigureGone, OSError, ValueError) as error:
            self.screen.notify(escape_markup(str(error)), title="Figures", severity="warning")
            return
        self.write(image)

    def ask_where(self, number: int) -> None:
        """Ask for a path (``.png`` or ``.svg``), then save figure ``number`` there."""
        from tui_lab.ui.session_modals import PromptScreen

        def given(text: str | None) -> None:
            if text:
                self._save(number, Path(text).expanduser())

        prompt = f"Save figure {number} as (name it .png or .svg)"
        self.screen.app.push_screen(PromptScreen(prompt, str(default_path(number))), given)

    def _save(self, number: int, path: Path) -> None:
        try:
            fmt = save_format(path)
        except ValueError as error:
            self.screen.notify(escape_markup(str(error)), title="Save figure", severity="warning")
            return
        self.screen.run_worker(
            lambda: self._save_in_thread(number, path, fmt), thread=True, group="repl-figure-save", exit_on_error=False
        )

    def _save_in_thread(self, number: int, path: Path, fmt: str) -> None:
        from tui_lab.core.repl.figures.show import DRAW_LOCK

        try:
            with DRAW_LOCK:
                written = store().save(number, path, fmt)
        except (FigureGone, ValueError, OSError) as error:
            to_ui(
                self.screen.app, self.screen.notify, escape_markup(str(error)), title="Save figure", severity="warning"
            )
        else:
            to_ui(
                self.screen.app,
                self.screen.notify,
                escape_markup(f"Saved figure {number} to {written}"),
                title="Save figure",
            )

    def choose_mode(self) -> None:
        """alt+i: how figures are drawn (kept as the Images setting)."""
        from tui_lab.ui.modals import PickerScreen

        now = current()
        choices = [(mode.value, ("● " if mode is now.mode else "  ") + mode.label) for mode in ImageMode]
        title = f"Images: now {now.describe()}"

        def picked(choice: str | None) -> None:
            if choice is not None:
                self.set_mode(ImageMode(choice))

        self.screen.app.push_screen(PickerScreen(title, choices, filter_placeholder="mode…"), picked)

    def set_mode(self, mode: ImageMode) -> None:
        """Draw figures in ``mode`` from now on (``auto`` decides again from the environment) and keep it as a setting."""
        import os

        from tui_lab.ui.repl.graphics import auto_choice, choose

        update_settings(images=mode.value)
        chosen = choose(mode.value, None, os.environ) if mode is not ImageMode.AUTO else auto_choice(os.environ)
        if chosen.mode in (ImageMode.KITTY, ImageMode.SIXEL):
            chosen = Graphics(chosen.mode, chosen.reason, cell_size(), tmux=bool(os.environ.get("TMUX")))
        set_current(chosen)
        self.relayout_all()
        self.screen.notify(escape_markup(f"Figures are drawn as {chosen.describe()}."), title="Images")


def _stored_png(number: int) -> bytes | None:
    try:
        return store().get(number).png
    except FigureGone:
        return None
