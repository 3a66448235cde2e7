"""The REPL's own log widget (issue #22, part 3; issue #21, item 2): wrap, re-wrap, replace, bound, follow.

A small app holds one :class:`ReplLog` whose text area is 50 columns wide (the REPL's log at 80×24),
so each test reads what a learner would see at that size.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.selection import Selection

from tests.waiting import until
from tui_lab.core.text import has_controls
from tui_lab.ui.repl.blocks import Laid, LogBlock, text_block
from tui_lab.ui.repl.log import ReplLog

#: The text area is WIDTH columns; the vertical scrollbar takes one more.
WIDTH = 50
HEIGHT = 10
LONG_ERROR = (
    "AttributeError: tui-lab's built-in d2l has no 'load_data_fashion_mnist': the book defines it in "
    "section 3.5 The Image Classification Dataset"
)


class LogApp(App[None]):
    CSS = f"ReplLog {{ width: {WIDTH + 1}; height: {HEIGHT}; scrollbar-size-vertical: 1; }}"

    def __init__(self, max_lines: int = 10_000) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield ReplLog(id="log", max_lines=self.max_lines)

    @property
    def log_widget(self) -> ReplLog:
        return self.query_one(ReplLog)


def shown(log: ReplLog) -> list[str]:
    return [strip.text.rstrip() for strip in log.lines]


async def laid_out(pilot: Pilot[Any]) -> ReplLog:
    log = pilot.app.query_one(ReplLog)
    await until(pilot, lambda: log.scrollable_content_region.width == WIDTH, "the log has its width")
    return log


async def test_output_wraps_at_the_logs_width_and_nothing_is_cut() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write(Text("word " * 40))
        log.write(Text(LONG_ERROR))
        await pilot.pause()
        lines = shown(log)
        assert all(len(line) <= WIDTH for line in lines) and len(lines) >= 6
        assert lines[0].startswith("word word") and lines[1].startswith("word")
        assert log.text == ("word " * 40).rstrip() + "\n" + LONG_ERROR, "wrapped lines join again, whole"
        assert "section 3.5 The Image Classification Dataset" in " ".join(lines)


async def test_a_resize_rewraps_everything() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write(Text(LONG_ERROR))
        await pilot.pause()
        at_50 = shown(log)
        log.styles.width = 31
        await until(pilot, lambda: len(shown(log)) > len(at_50), "the text re-wrapped at 30 columns")
        assert all(len(line) <= 30 for line in shown(log))
        log.styles.width = 121
        await until(pilot, lambda: len(shown(log)) == 2, "the text re-wrapped at 120 columns")
        assert log.text == LONG_ERROR


async def test_pictures_keep_their_lines_and_scroll_sideways() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        row = "┌" + "─" * 78 + "┐"
        log.write(text_block(Text(row), wrap=False))
        await pilot.pause()
        assert shown(log) == [row] and log.virtual_size.width == 80
        assert log.max_scroll_x == 80 - WIDTH


async def test_a_keyed_block_is_replaced_where_it_stands_and_dropped() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write("before")
        log.write("one\ntwo", key="plot")
        log.write("after")
        log.show("plot", "uno\ndos\ntres")
        assert shown(log) == ["before", "uno", "dos", "tres", "after"]
        log.show("plot", "single")
        assert shown(log) == ["before", "single", "after"]
        assert log.drop("plot") and not log.drop("plot")
        assert shown(log) == ["before", "after"]
        log.show("plot", "back")  # gone: written at the end again
        assert shown(log) == ["before", "after", "back"]


async def test_old_output_is_dropped_whole_blocks_at_a_time_with_a_note() -> None:
    async with LogApp(max_lines=100).run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write("first", key="early")
        for index in range(1, 300):
            log.write(f"line {index}")
        lines = shown(log)
        assert log.line_count == 101 and log.dropped_lines == 200
        assert lines[0] == "… 200 older lines dropped (log keeps 100)"
        assert lines[1] == "line 200" and lines[-1] == "line 299"
        log.show("early", "replaced")  # its block went with the old output: it comes back at the end
        assert shown(log)[-1] == "replaced"
        log.clear()
        assert log.line_count == 0 and log.dropped_lines == 0


async def test_it_follows_the_end_until_you_scroll_up_and_again_once_you_are_back() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        for index in range(50):
            log.write(f"line {index}")
        await pilot.pause()
        assert log.following and log.scroll_y == log.max_scroll_y > 0
        log.focus()
        await pilot.press("home")
        await pilot.pause()
        assert not log.following and log.scroll_y == 0
        for index in range(50, 60):
            log.write(f"line {index}")
        await pilot.pause()
        assert log.scroll_y == 0 and not log.following, "reading older output is not interrupted"
        await pilot.press("end")
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y, "the view reached the end")
        assert log.following
        log.write("line 60")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y and shown(log)[-1] == "line 60"


async def test_a_resize_keeps_following_or_keeps_your_place() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        for index in range(40):
            log.write(f"{index} " + "word " * 12)
        await pilot.pause()
        log.styles.width = 31
        await until(pilot, lambda: log.scrollable_content_region.width == 30, "the log narrowed")
        await pilot.pause()
        assert log.following and log.scroll_y == log.max_scroll_y
        log.scroll_to(y=20, animate=False)
        await pilot.pause()
        top = shown(log)[int(log.scroll_y)]
        log.styles.width = 41
        await until(pilot, lambda: log.scrollable_content_region.width == 40, "the log widened")
        await pilot.pause()
        assert not log.following
        assert shown(log)[int(log.scroll_y)].split()[0] == top.split()[0], "the same block is at the top"


async def test_replacing_a_block_above_the_view_keeps_what_you_read_in_place() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write("a\nb", key="plot")
        for index in range(40):
            log.write(f"line {index}")
        await pilot.pause()  # the view is sized once the writes are done
        log.scroll_to(y=20, animate=False)
        await pilot.pause()
        reading = shown(log)[20]
        log.show("plot", "a\nb\nc\nd")
        await pilot.pause()
        assert shown(log)[int(log.scroll_y)] == reading and not log.following


async def test_selection_copies_wrapped_lines_joined() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write(Text(LONG_ERROR))
        log.write("second line")
        await pilot.pause()
        everything = log.get_selection(Selection(Offset(0, 0), None))
        assert everything == (LONG_ERROR + "\nsecond line", "\n")
        part = log.get_selection(Selection(Offset(0, 0), Offset(14, 0)))
        assert part is not None and part[0] == "AttributeError"


async def test_an_echoed_input_wraps_under_its_code_and_copies_back_whole() -> None:
    source = "losses = [float(loss(net(X), y).mean()) for X, y in data_iter(batch_size, features, labels)]"
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write(text_block(Text(f"In [12]: {source}"), hang=len("In [12]: ")))
        log.write(text_block(Text("  ...: " + "x" * 60), hang=len("  ...: ")))
        await pilot.pause()
        lines = shown(log)
        assert lines[0].startswith("In [12]: losses = ") and all(len(line) <= WIDTH for line in lines)
        code_rows = lines[1 : len(lines) - 2]
        assert code_rows and all(row.startswith(" " * 9) and row[9] != " " for row in code_rows), lines
        assert lines[-1].startswith(" " * 7 + "x") and lines[-2].startswith("  ...: x")
        assert log.text == f"In [12]: {source}\n  ...: " + "x" * 60, "the indent is the wrap's, not the code's"
        second = log.get_selection(Selection(Offset(0, 1), Offset(WIDTH, 1)))
        assert second is not None and not second[0].startswith(" "), second


def test_a_hanging_indent_gives_way_where_the_text_would_have_too_few_columns() -> None:
    console = Console()
    block = text_block(Text("In [1]: " + "y" * 40), hang=8)
    narrow = block.lines(19, console).strips  # 11 columns would be left for the text: it wraps as plain text does
    assert len(narrow) > 2 and all(strip.text.startswith("y") for strip in narrow[1:])
    assert block.lines(30, console).strips[1].text.startswith(" " * 8 + "y")


async def test_no_control_character_leaves_the_log() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        log.write(Text("a\x1b]52;c;eA==\x07b \x9b31m c\x00"))
        log.write(text_block(Text("\x1b[2J picture"), wrap=False))
        await pilot.pause()
        texts = [segment.text for y in range(log.line_count) for segment in log.render_line(y)]
        assert texts and not any(has_controls(text) for text in texts)
        assert "a␛]52;c;eA==" in log.text and "c␀" in log.text  # (Rich itself drops BEL)


async def test_writes_before_the_log_has_a_size_are_laid_out_once_it_has_one() -> None:
    log = ReplLog(id="early")
    log.write(Text("word " * 20))
    assert log.line_count == 0

    class Early(App[None]):
        CSS = LogApp.CSS

        def compose(self) -> ComposeResult:
            yield log

    async with Early().run_test(size=(80, 24)) as pilot:
        await laid_out(pilot)
        assert len(shown(log)) == 2 and log.text == ("word " * 20).rstrip()


async def test_a_texts_own_style_is_kept_under_its_spans() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = await laid_out(pilot)
        text = Text("dim then ", style="dim")
        text.append("bold", style="bold")
        log.write(text)
        await pilot.pause()
        segments = {segment.text: segment.style for segment in log.lines[0]}
        assert segments["dim then "] is not None and segments["dim then "].dim
        assert segments["bold"] is not None and segments["bold"].bold and segments["bold"].dim


def test_a_block_is_laid_out_once_for_every_width_it_fits_in() -> None:
    widths: list[int] = []

    def layout(width: int, console: Console) -> Laid:
        widths.append(width)
        return Laid([], [])

    block, console = LogBlock(layout, same_from=30), Console()
    for width in (40, 80, 35, 30):
        block.lines(width, console)
    assert widths == [40], "a resize between widths it fits in lays nothing out again"
    block.lines(20, console)
    block.lines(20, console)
    assert widths == [40, 20]
    text = text_block(Text("short\n" + "x" * 45))
    assert [len(text.lines(w, console).strips) for w in (50, 120, 45, 44)] == [2, 2, 2, 3]
