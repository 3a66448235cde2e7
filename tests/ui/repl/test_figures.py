"""Figures as terminal cells (issue #24): sizing, half-blocks, Kitty and Sixel sequences, folding, the mode.

Pure layout is tested on :mod:`tui_lab.ui.repl.images` directly; the mode's rules on
:mod:`tui_lab.ui.repl.graphics` (with a real pty answering the terminal queries); the pane's
keys and palette entries in the app.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rich.segment import Segment
from textual.color import Color
from textual.strip import Strip

from tui_lab.core.repl.figures.image import FigureImage
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl import graphics
from tui_lab.ui.repl.graphics import Graphics, ImageMode, choose, parse_answers, query_terminal
from tui_lab.ui.repl.images import (
    KITTY_PLACEHOLDER,
    FigureGallery,
    FigureView,
    fit,
    half_block_strips,
    kitty_strips,
    sixel_strips,
)

if TYPE_CHECKING:
    from tui_lab.ui.repl.screen import ReplScreen

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def picture(
    number: int, width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> FigureImage:
    """``top`` colour in the upper half, ``bottom`` in the lower."""
    half = height // 2
    rows = [bytes([*top, 255]) * width] * half + [bytes([*bottom, 255]) * width] * (height - half)
    return FigureImage(number, width, height, b"".join(rows))


def view(image: FigureImage, mode: ImageMode = ImageMode.BLOCKS, rows: int = 1_000) -> FigureView:
    return FigureView(image, max_rows=lambda: rows, graphics=lambda: Graphics(mode, "test", (10, 20)))


# -- size -------------------------------------------------------------------------------------------


def test_a_figure_is_as_wide_as_the_log_and_keeps_its_aspect() -> None:
    assert fit(640, 480, 80, 100, (1, 2)) == (80, 30), "half-blocks: a cell is 1 × 2 pixels"
    assert fit(640, 480, 80, 100, (10, 20)) == (80, 30)
    assert fit(350, 250, 120, 100, (1, 2)) == (120, 43)


def test_a_figure_taller_than_the_log_is_scaled_down_never_cut() -> None:
    columns, rows = fit(640, 480, 200, 30, (1, 2))
    assert rows == 30 and columns == 80, "the whole picture, narrower, aspect kept"
    lines = view(picture(1, 640, 480, RED, BLUE), rows=30).lines(200)
    assert len(lines) == 30 and all(line.cell_length == 80 for line in lines)


# -- half-blocks ------------------------------------------------------------------------------------


def colours(strip: Strip) -> set[tuple[str, Color | None, Color | None]]:
    found = set()
    for segment in strip:
        style = segment.style
        assert style is not None
        for char in segment.text:
            found.add(
                (
                    char,
                    style.color and Color.from_rich_color(style.color),
                    style.bgcolor and Color.from_rich_color(style.bgcolor),
                )
            )
    return found


def test_half_blocks_carry_two_pixels_a_cell() -> None:
    image = picture(1, 40, 4, RED, BLUE)  # two pixel rows each: one cell row red over blue
    strips = half_block_strips(image, 10, 1)
    assert colours(strips[0]) == {("▀", Color(255, 0, 0), Color(0, 0, 255))}
    solid = half_block_strips(picture(2, 40, 4, RED, RED), 10, 1)
    assert colours(solid[0]) == {(" ", None, Color(255, 0, 0))}, "one colour: a space on its background"


def test_half_blocks_keep_thin_lines_visible() -> None:
    width, height = 640, 480
    rows = [bytes([*WHITE, 255]) * width] * height
    rows[240] = bytes([0, 0, 255, 255]) * width  # a 1-pixel blue line across a white figure
    image = FigureImage(1, width, height, b"".join(rows))
    lines = half_block_strips(image, 64, 24)
    darkest = min(min(c.rgb) for strip in lines for _, fg, bg in colours(strip) for c in (fg, bg) if c is not None)
    assert darkest < 200, "the line is still there after a 10× reduction"


def test_half_blocks_hold_no_control_character() -> None:
    for strip in half_block_strips(picture(1, 64, 48, RED, BLUE), 32, 12):
        assert all(not segment.control and "\x1b" not in segment.text for segment in strip)


# -- Kitty and Sixel ----------------------------------------------------------------------------------


def test_kitty_cells_are_placeholders_and_the_upload_a_control_segment() -> None:
    strips = kitty_strips(0x123456, b"\x89PNG fake", 5, 3)
    assert len(strips) == 3 and all(strip.cell_length == 5 for strip in strips)
    upload, cells = list(strips[0])[0], list(strips[0])[1]
    assert upload.control and upload.text.startswith("\x1b_Ga=t,f=100") and "a=p,U=1,i=1193046,c=5,r=3" in upload.text
    assert cells.text.startswith(KITTY_PLACEHOLDER) and cells.text.count(KITTY_PLACEHOLDER) == 5
    assert cells.style is not None and cells.style.color is not None
    assert cells.style.color.get_truecolor() == (0x12, 0x34, 0x56), "the image id is the foreground colour"
    assert not any(segment.control for strip in strips[1:] for segment in strip), "sent once, with the first line"


def test_sixel_lines_are_blank_cells_carrying_one_band_each() -> None:
    strips = sixel_strips(picture(1, 100, 40, RED, BLUE), 5, 2, (10, 20))
    assert len(strips) == 2 and all(strip.cell_length == 5 for strip in strips)
    for strip in strips:
        [segment] = list(strip)
        assert segment.control and segment.text.startswith("\x1b7\x1bP") and segment.text.endswith("\x1b8\x1b[5C")


def test_the_apps_line_filters_pass_a_figures_graphics_but_never_data_text_escapes() -> None:
    """Textual's own filters (ANSIToTruecolor rebuilds every segment as text) then the control filter, as the app has them."""
    from rich.terminal_theme import MONOKAI
    from textual.filter import ANSIToTruecolor

    from tui_lab.ui.textual_adapter import with_control_filter

    filters = with_control_filter([ANSIToTruecolor(MONOKAI)])

    def through(segments: list[Segment]) -> list[Segment]:
        for line_filter in filters:
            segments = line_filter.apply(segments, Color(0, 0, 0))
        return segments

    [kitty] = kitty_strips(7, b"png", 2, 1)
    out = through(list(kitty))
    assert out[0].control and out[0].text.startswith("\x1b_G"), "the figure's sequence reaches the terminal"
    assert out[1].text.startswith(KITTY_PLACEHOLDER)
    [sixel] = sixel_strips(picture(1, 20, 20, RED, BLUE), 2, 1, (10, 20))
    assert through(list(sixel))[0].text.startswith("\x1b7\x1bP")
    data = [Segment("print('\x1b_Ga=t;AAAA\x1b\\')"), Segment("x")]
    assert all("\x1b" not in segment.text for segment in through(data)), "printed text never sends ESC"


# -- folding ----------------------------------------------------------------------------------------


def test_only_the_newest_figures_hold_pixels() -> None:
    changed: list[FigureView] = []
    gallery = FigureGallery(changed.append, limit=3)
    views = [gallery.add(view(picture(n, 64, 48, RED, BLUE))) for n in range(1, 6)]
    assert [v.folded for v in views] == [True, True, False, False, False]
    assert changed == views[:2], "the log is told to lay them out again"
    [line] = views[0].lines(80)
    assert line.text == "figure 1 (64×48, alt+s to show)"
    gallery.show_again(1, picture(1, 64, 48, RED, BLUE))
    assert not views[0].folded and views[2].folded, "shown again, it holds pixels; the oldest other folds"


def test_text_mode_is_one_line_per_figure() -> None:
    [line] = view(picture(3, 640, 480, RED, BLUE), ImageMode.TEXT).lines(80)
    assert line.text.startswith("figure 3 (640×480, ")


@pytest.mark.parametrize("mode", [ImageMode.TEXT, ImageMode.BLOCKS])
def test_a_figures_line_wraps_in_a_narrow_log_never_cut(mode: ImageMode) -> None:
    figure = view(picture(3, 640, 480, RED, BLUE), mode)
    if mode is ImageMode.BLOCKS:
        figure.fold()
    lines = figure.lines(30)
    assert len(lines) > 1 and all(line.cell_length <= 30 for line in lines)
    assert " ".join(line.text for line in lines).startswith("figure 3 (640×480, "), "the words are all there"


# -- the mode ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "xterm-kitty"}, ImageMode.BLOCKS),
        ({"TEXTUAL_DRIVER": "textual_serve.driver:WebDriver"}, ImageMode.BLOCKS),
        ({"TERM": "xterm-kitty"}, ImageMode.KITTY),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "ghostty"}, ImageMode.KITTY),
        ({"TERM": "foot"}, ImageMode.SIXEL),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, ImageMode.SIXEL),
    ],
)
def test_the_environment_decides_when_it_can(environ: dict[str, str], mode: ImageMode) -> None:
    asked: list[bool] = []

    def ask() -> tuple[bool, bool]:
        asked.append(True)
        return True, True

    assert choose(None, None, environ, ask=ask).mode is mode
    assert not asked, "no query when the environment says"


def test_the_command_line_beats_the_setting_which_beats_auto() -> None:
    tmux = {"TMUX": "1", "TERM": "xterm-256color"}
    assert choose("sixel", "kitty", tmux).mode is ImageMode.SIXEL
    assert choose(None, "kitty", tmux).mode is ImageMode.KITTY
    assert choose("auto", "auto", tmux).mode is ImageMode.BLOCKS
    assert choose(None, {"hand": "edited"}, tmux).mode is ImageMode.BLOCKS, "a damaged setting is ignored"


def test_otherwise_the_terminals_answer_decides() -> None:
    plain = {"TERM": "xterm-256color"}
    assert choose(None, None, plain, ask=lambda: (True, False)).mode is ImageMode.KITTY
    assert choose(None, None, plain, ask=lambda: (False, True)).mode is ImageMode.SIXEL
    assert choose(None, None, plain, ask=lambda: (True, True)).mode is ImageMode.SIXEL, "WezTerm, Konsole"
    assert choose(None, None, plain, ask=lambda: (False, False)).mode is ImageMode.BLOCKS
    assert choose(None, None, plain, ask=lambda: None).mode is ImageMode.BLOCKS


def test_the_answers_are_told_apart_from_keys_typed_meanwhile() -> None:
    kitty, sixel, complete, typed = parse_answers(b"ab\x1b_Gi=31;OK\x1b\\c\x1b[?62;4;22cd")
    assert (kitty, sixel, complete, typed) == (True, True, True, b"abcd")
    assert parse_answers(b"\x1b[?62;22c")[:3] == (False, False, True)
    assert parse_answers(b"\x1b[?62;2")[2] is False, "not complete yet"


def _answering_pty(answer: bytes) -> tuple[int, int, threading.Thread]:
    master, slave = os.openpty()

    def terminal() -> None:
        asked = b""
        while b"\x1b[c" not in asked:
            asked += os.read(master, 1024)
        os.write(master, answer)

    thread = threading.Thread(target=terminal, daemon=True)
    thread.start()
    return master, slave, thread


def test_the_query_reads_a_real_terminals_answer() -> None:
    master, slave, thread = _answering_pty(b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c")
    try:
        assert query_terminal(slave, slave, timeout=30) == (True, False)
    finally:
        thread.join(5)
        os.close(master)
        os.close(slave)


def test_a_terminal_that_does_not_answer_means_no_graphics() -> None:
    master, slave = os.openpty()
    try:
        assert query_terminal(slave, slave, timeout=0.01) is None
    finally:
        os.close(master)
        os.close(slave)


def test_the_cli_offers_the_modes() -> None:
    from tui_lab.cli import build_parser

    args = build_parser().parse_args(["--images", "blocks"])
    assert args.images == "blocks"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--images", "png"])


# -- the pane -----------------------------------------------------------------------------------------


@pytest.fixture
def blocks_mode() -> object:
    before = graphics.current()
    graphics.set_current(Graphics(ImageMode.BLOCKS, "test"))
    yield
    graphics.set_current(before)


async def test_f6_saves_the_newest_figure_next_to_the_session(
    make_app: Callable[..., TuiLabApp], blocks_mode: object, lab_home: Path
) -> None:
    pytest.importorskip("matplotlib")
    from tests.ui.repl.helpers import repl_screen, wait_for_run
    from tests.waiting import until

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.run_source("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])")
        await wait_for_run(pilot, 1)
        lines = [strip.text for strip in screen.log_view.lines]
        first = next(i for i, line in enumerate(lines) if line.startswith("In [1]"))
        assert any("▀" in line for line in lines[first:]), "the figure is drawn under its input"
        await pilot.press("f6")
        folder = lab_home / "state" / "figures"
        await until(pilot, lambda: folder.is_dir() and any(folder.glob("figure-*.png")), "the PNG was written")
        await pilot.press("alt+i")
        await pilot.pause()
        from tui_lab.ui.modals import PickerScreen

        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"text", "enter")
        await until(pilot, lambda: graphics.current().mode is ImageMode.TEXT, "the mode changed")
        from tui_lab.core.state import load_settings

        assert load_settings().images == "text", "kept as a setting"


def test_inside_tmux_kitty_uploads_go_through_tmux_passthrough() -> None:
    [strip] = kitty_strips(9, b"png", 2, 1, tmux=True)
    upload = list(strip)[0].text
    assert upload.startswith("\x1bPtmux;\x1b\x1b_G") and upload.endswith("\x1b\x1b\\\x1b\\")
    assert list(strip)[1].text.startswith(KITTY_PLACEHOLDER), "the cells stay text tmux draws"


async def test_older_figures_fold_to_a_line_and_the_mode_relays_them_out(
    make_app: Callable[..., TuiLabApp], blocks_mode: object
) -> None:
    pytest.importorskip("matplotlib")
    from tests.ui.repl.helpers import repl_screen, wait_for_run

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.figures.gallery.limit = 2
        screen.run_source(
            "import matplotlib.pyplot as plt\nfor i in range(3):\n    plt.figure(figsize=(2, 1))\n    plt.plot([0, i])"
        )
        await wait_for_run(pilot, 1)
        await pilot.pause()
        text = screen.log_view.text
        folded = re.findall(r"figure (\d+) \(200×100, alt\+s to show\)", text)
        assert len(folded) == 1, f"the oldest of three folds to one line:\n{text}"
        assert sum(1 for strip in screen.log_view.lines if "▀" in strip.text) >= 2 * 8, "the newest two keep pixels"
        screen.figures.set_mode(ImageMode.TEXT)
        await pilot.pause()
        assert not any("▀" in strip.text for strip in screen.log_view.lines), "every figure is one line now"
        assert len(re.findall(r"figure \d+ \(200×100, ", screen.log_view.text)) == 3
        screen.figures.set_mode(ImageMode.BLOCKS)
        await pilot.pause()
        number = int(folded[0])
        screen.figures.show_again(number)
        await pilot.pause()
        assert any("▀" in strip.text for strip in screen.log_view.lines[-10:]), "shown again at the end, with pixels"


async def test_a_figure_follows_the_logs_width(make_app: Callable[..., TuiLabApp], blocks_mode: object) -> None:
    pytest.importorskip("matplotlib")
    from tests.ui.repl.helpers import repl_screen, wait_for_run
    from tests.waiting import until

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.run_source("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);")
        await wait_for_run(pilot, 1)
        await pilot.pause()

        def widest() -> int:
            return max(len(strip.text.rstrip()) for strip in screen.log_view.lines if "▀" in strip.text)

        wide = widest()
        await pilot.resize_terminal(90, 40)
        await until(pilot, lambda: widest() < wide, "the figure drawn again, narrower")
        assert widest() < wide <= screen.log_view.size.width + 30, "drawn again, narrower, never cut"
        assert widest() <= screen.log_view.scrollable_content_region.width


def figure_rows(screen: ReplScreen) -> int:
    """How many lines of the log are half-block pixels."""
    return sum(1 for strip in screen.log_view.lines if "▀" in strip.text)


async def test_a_figure_follows_the_logs_height(make_app: Callable[..., TuiLabApp], blocks_mode: object) -> None:
    pytest.importorskip("matplotlib")
    from tests.ui.repl.helpers import repl_screen, wait_for_run
    from tests.waiting import until

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.run_source("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);")
        await wait_for_run(pilot, 1)
        await pilot.pause()
        tall = figure_rows(screen)
        assert tall > 20, screen.log_view.text
        await pilot.resize_terminal(120, 24)
        await until(pilot, lambda: 0 < figure_rows(screen) < tall, "the figure laid out again, lower")
        assert figure_rows(screen) <= screen.log_view.scrollable_content_region.height, "scaled down, never cut"


async def test_on_a_resize_folded_figures_stay_one_line_and_the_others_follow(
    make_app: Callable[..., TuiLabApp], blocks_mode: object
) -> None:
    pytest.importorskip("matplotlib")
    from tests.ui.repl.helpers import repl_screen, wait_for_run
    from tests.waiting import until

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.figures.gallery.limit = 1
        for number in (1, 2):  # one figure an input: neither is drawn live while its input runs
            screen.run_source(f"import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([0, {number}]);")
            await wait_for_run(pilot, number)
        await pilot.pause()
        folded = r"figure \d+ \(640×480, alt\+s to show\)"
        await until(
            pilot,
            lambda: len(re.findall(folded, screen.log_view.text)) == 1,
            "the older figure folded",
            state=lambda: (
                f"mode {graphics.current()}, gallery {[(v.number, v.folded) for v in screen.figures.gallery.views]}, "
                f"log lines with 'figure': {[line for line in screen.log_view.text.splitlines() if 'figure' in line]}"
            ),
        )
        one = figure_rows(screen)
        await pilot.resize_terminal(90, 24)
        await until(pilot, lambda: 0 < figure_rows(screen) < one, "the unfolded figure laid out again, smaller")
        text = screen.log_view.text
        assert len(re.findall(folded, text)) == 1, f"still folded:\n{text}"
        assert figure_rows(screen) <= screen.log_view.scrollable_content_region.height
        widest = max(len(strip.text.rstrip()) for strip in screen.log_view.lines if "▀" in strip.text)
        assert widest <= screen.log_view.scrollable_content_region.width, "never cut"
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: figure_rows(screen) == one, "back to its first size")
        assert len(re.findall(folded, screen.log_view.text)) == 1


async def test_alt_s_saves_a_figure_as_svg_where_you_say(
    make_app: Callable[..., TuiLabApp], blocks_mode: object, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    from textual.widgets import Input

    from tests.ui.repl.helpers import repl_screen, wait_for_run
    from tests.waiting import until
    from tui_lab.ui.modals import PickerScreen
    from tui_lab.ui.session_modals import PromptScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = repl_screen(pilot)
        screen.run_source("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);")
        await wait_for_run(pilot, 1)
        await pilot.press("alt+s")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "the Figures picker")
        await pilot.press(*"save figure", "enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the path prompt")
        target = tmp_path / "parabola.svg"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: target.is_file(), "the SVG was written")
        assert b"<svg" in target.read_bytes()


def test_keys_typed_ahead_are_never_read_by_the_query() -> None:
    import select
    import termios

    master, slave = os.openpty()
    try:
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO  # the terminal's echo would make the master readable too
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        os.write(master, b"x = 1\r")  # typed before tui-lab asked anything
        assert query_terminal(slave, slave, timeout=30) is None, "nothing asked: keys are waiting"
        assert not select.select([master], [], [], 0)[0], "no query was written"
        assert os.read(slave, 1024) == b"x = 1\n", "the keys are still there for the app"
    finally:
        os.close(master)
        os.close(slave)
