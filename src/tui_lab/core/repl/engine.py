"""The headless REPL engine: run code in the shared workspace the way IPython does.

``ReplEngine(workspace).run(source)`` executes one input and returns a :class:`InputResult`:
stdout and stderr chunks in the order they were written, the ``Out[n]`` value (its repr,
exactly as torch prints tensors, plus a one-line tensor summary), a traceback trimmed to
the user's own frames and the last library frame, with a hint for errors the book's readers
meet (:mod:`tui_lab.core.repl.errors`), the memory view and, for a failed element-wise op, a
broadcasting explanation. Output beyond a size limit is counted, not kept.
:meth:`ReplEngine.interrupt`, called from any thread, raises ``KeyboardInterrupt`` in the running code. The engine keeps
the source of its last successful inputs (:meth:`ReplEngine.replay_source`), so the Graph
pane can re-evaluate a REPL tensor from its leaves. Nothing here needs a terminal.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Literal

from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.core.repl.capture import (
    DisplayBlock,
    LateOutput,
    OutputCapture,
    begin_run,
    end_run,
    install_routing,
    set_late_sink,
)
from tui_lab.core.repl.d2l.hook import import_notes
from tui_lab.core.repl.d2l.magics import ends_with_semicolon, strip_leading_magics
from tui_lab.core.repl.display import TORCH_DEFAULT_WIDTH, pretty_repr, print_width
from tui_lab.core.repl.errors import ErrorInfo, error_info
from tui_lab.core.repl.figures import select_backend
from tui_lab.core.repl.memory import MemoryEvent, MemoryTracker
from tui_lab.core.workspace import Workspace

EXIT_MESSAGE = "exit()/quit()/sys.exit() do not close tui-lab from the REPL; press ctrl+q to quit the app."
#: What a bare ``exit`` or ``quit`` shows (Python's own says "Use exit() or Ctrl-D").
EXIT_HINT = "Use ctrl+q to quit tui-lab (exit() here only explains that)"
#: How many past ``Out[n]`` values stay reachable as ``_n`` / ``_oh[n]``.
OUTPUT_CACHE_SIZE = 100
#: How many successful inputs :meth:`ReplEngine.replay_source` keeps.
REPLAY_INPUTS = 200
INPUT_UNAVAILABLE = "input() is not available in this REPL (no prompt is attached); assign the value instead."


class ExitRequested(SystemExit):
    """Raised by the REPL's own exit() and quit()."""


class ReplExit:
    """The REPL's ``exit``/``quit``: calling raises :class:`ExitRequested`; the bare name says how to quit."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return EXIT_HINT

    def __call__(self, code: object = None) -> None:
        raise ExitRequested(code)


if TYPE_CHECKING:
    from tui_lab.core.repl.figures.image import FigureImage


@dataclass(frozen=True)
class OutputChunk:
    """Text written to one stream, or a display block (``stream == "display"``: a plot as text lines, or a figure)."""

    stream: Literal["stdout", "stderr", "display"]
    text: str
    #: For a display block, its id (a live picture with this id was replaced while the input ran).
    block_id: int | None = None
    #: For a matplotlib figure, its pixels (``text`` then says ``figure 3 (640×480)``, for text logs and exports).
    figure: FigureImage | None = None


@dataclass(frozen=True)
class InputResult:
    """Everything one input produced."""

    number: int
    source: str
    outputs: tuple[OutputChunk, ...] = ()
    value_repr: str | None = None
    value_summary: str | None = None
    #: Set when torch printed only a summary of a big tensor (its ``...``), saying how much is hidden.
    value_note: str | None = None
    error: ErrorInfo | None = None
    interrupted: bool = False
    exit_requested: bool = False
    truncated_chars: int = 0
    truncated_lines: int = 0
    duration: float = 0.0
    memory: tuple[MemoryEvent, ...] = ()
    changed: frozenset[str] = field(default_factory=frozenset)
    #: The per-run output limits the engine applied (characters, lines).
    limits: tuple[int, int] = (0, 0)
    #: One-line notes: IPython magics skipped, a real ``d2l`` package in use.
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the input ran without an exception."""
        return self.error is None

    def truncation_note(self) -> str | None:
        """``… output truncated: 9,990,000 more characters (1 line) not shown`` when output was cut."""
        if not self.truncated_chars:
            return None
        lines = self.truncated_lines
        line_text = f" ({lines:,} more line{'s' if lines != 1 else ''})" if lines else ""
        limit = (
            f"; a run keeps at most {self.limits[0]:,} characters and {self.limits[1]:,} lines"
            if self.limits[0]
            else ""
        )
        return f"… output truncated: {self.truncated_chars:,} more characters{line_text} not shown{limit}"


def elision_note(value: object) -> str | None:
    """How much of a tensor torch's repr left out (torch elides above its print threshold)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    options = torch._tensor_str.PRINT_OPTS
    count = value.numel()
    if count <= options.threshold:
        return None
    edge = options.edgeitems
    shown = 1
    for size in value.shape:
        shown *= min(size, 2 * edge)
    return (
        f"… torch printed {shown:,} of {count:,} elements ({count - shown:,} cut at the '...'); "
        f"torch.set_printoptions(threshold=...) changes the limit of {options.threshold:,}"
    )


def tensor_summary(value: object) -> str | None:
    """``shape (3, 4) · torch.float32 · cpu · requires_grad · grad_fn=<AddBackward0>`` for a tensor."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    parts = [f"shape {tuple(value.shape)}", str(value.dtype), str(value.device)]
    if value.requires_grad:
        parts.append("requires_grad")
    if value.grad_fn is not None:
        parts.append(f"grad_fn=<{type(value.grad_fn).__name__}>")
    return " · ".join(parts)


class ReplEngine:
    """Runs inputs in ``workspace.namespace``, numbering them ``In [n]`` and keeping ``_``/``Out``.

    ``input_provider(prompt) -> str`` answers ``input()`` (the UI prompts in a modal); without
    one ``input()`` raises a clear error. ``max_chars``/``max_lines`` bound what a run keeps.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        input_provider: Callable[[str], str] | None = None,
        max_chars: int = 50_000,
        max_lines: int = 2_000,
    ) -> None:
        self.workspace = workspace
        self.input_provider = input_provider
        self.max_chars = max_chars
        self.max_lines = max_lines
        self.execution_count = 1
        self._interrupter = ThreadInterrupter()
        self._succeeded: deque[str] = deque(maxlen=REPLAY_INPUTS)
        self._capture: OutputCapture | None = None
        #: Output of threads the user's code started, written after their input finished.
        self.late = LateOutput(max_chars)
        #: Told of each display block (a plot) as it is drawn, from the running thread, for live pictures.
        self.display_listener: Callable[[DisplayBlock], None] | None = None
        #: The size of the pictures drawn during a run (the log's): columns when ``run`` gets no width, most rows.
        self.display_width = 80
        self.display_rows = 20
        set_late_sink(self.late.append)
        select_backend()  # matplotlib, when the code imports it, draws into the log (figures/)
        ns = workspace.namespace
        ns.setdefault("_ih", [""])
        ns.setdefault("_oh", {})
        ns["__builtins__"] = self._make_builtins()

    # -- builtins the REPL replaces ---------------------------------------------------

    def _make_builtins(self) -> dict[str, object]:
        table = dict(vars(builtins))

        table["exit"], table["quit"] = ReplExit("exit"), ReplExit("quit")
        table["input"] = self._input
        table["help"] = self._help
        return table

    def _input(self, prompt: object = "") -> str:
        text = str(prompt)
        if self.input_provider is None:
            raise RuntimeError(INPUT_UNAVAILABLE)
        if self._capture is not None:
            self._capture.write("stdout", text)
        answer = self.input_provider(text)
        if self._capture is not None:
            self._capture.write("stdout", answer + "\n")
        return answer

    def _help(self, *args: object) -> None:
        import pydoc

        if not args:
            print(
                "help(obj) shows the documentation of obj, e.g. help(torch.arange). Interactive help() is not available."
            )
            return
        print(pydoc.render_doc(args[0], renderer=pydoc.plaintext))  # type: ignore[attr-defined]

    # -- running -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while an input executes."""
        return self._interrupter.running

    def interrupt(self) -> bool:
        """Raise KeyboardInterrupt in the running input (from any thread); False if none runs."""
        return self._interrupter.interrupt()

    def replay_source(self) -> str:
        """The last :data:`REPLAY_INPUTS` inputs that ran without an error, oldest first, one program.

        Failed and interrupted inputs are left out; the Graph pane re-runs only the statements
        its leaves and target depend on (see ``autograd_program.forward_program``).
        """
        return "".join(self._succeeded)

    def run(self, source: str, *, width: int | None = None) -> InputResult:
        """Execute ``source`` and return what it produced; never raises for user errors.

        ``width`` is the log's width in columns: tensors (``x`` and ``print(x)``) are laid out
        for it while the input runs (see :func:`~tui_lab.core.repl.display.print_width`).
        Top-level statements run one by one, so the memory view says what each one did.
        """
        number = self.execution_count
        self.execution_count += 1
        filename = f"<In [{number}]>"
        lines = [line if line.endswith("\n") else line + "\n" for line in source.splitlines(keepends=True)] or ["\n"]
        linecache.cache[filename] = (len(source), None, lines, filename)  # trailing newline: carets line up
        ns = self.workspace.namespace
        ns["_ih"].append(source)
        install_routing()
        capture = OutputCapture(self.max_chars, self.max_lines)
        capture.display_width, capture.display_rows = max(24, width or self.display_width), self.display_rows
        capture.on_display = self.display_listener
        runnable, notes = strip_leading_magics(source)
        ws = self.workspace
        before_ids = ws.snapshot()
        tracker = MemoryTracker(ws.user_items)
        value: object = None
        value_repr = summary = note = None
        error: ErrorInfo | None = None
        interrupted = exit_requested = False
        started = time.perf_counter()
        self._capture = capture
        with print_width(width):
            try:
                self._interrupter.begin()
                capture.start()
                begin_run(capture)
                try:
                    steps, last = _compile(runnable, filename)
                    for code, line, text in steps:
                        try:
                            exec(code, ns)
                        finally:
                            tracker.step(line, text)
                    if last is not None:
                        code, line, text = last
                        try:
                            value = eval(code, ns)
                        finally:
                            tracker.step(line, text)
                finally:
                    self._interrupter.end()
            except SystemExit as exc:
                exit_requested = True
                code_text = "" if exc.code in (None, 0) else f" (exit code {exc.code!r})"
                capture.write("stderr", f"{EXIT_MESSAGE}{code_text}\n")
            except BaseException as exc:  # noqa: BLE001 - a REPL reports every user error and survives
                interrupted = isinstance(exc, KeyboardInterrupt)
                error = error_info(exc)
            finally:
                self._interrupter.end()
            if ends_with_semicolon(runnable):
                value = None  # IPython: a trailing ';' hides Out[n] (the book's `d2l.plt.scatter(...);`)
            if value is not None and error is None and not exit_requested:
                value_repr, summary = self._display(value, number, capture, width)
                note = elision_note(value)
                if _shown_as_figure(value):
                    value_repr = summary = None  # a figure's value is its picture, as in a notebook
            end_run()
            capture.stop()
            self._capture = None
        if error is None and not exit_requested:
            self._succeeded.append(runnable if runnable.endswith("\n") else runnable + "\n")
        duration = time.perf_counter() - started
        capture.finish()  # figures drawn but not shown are drawn now, after the code's own time
        change = ws.notify_since(before_ids, "repl", also=tracker.written)
        changed = frozenset(n for n in change.changed if not n.startswith("_"))
        return InputResult(
            number=number,
            source=source,
            outputs=tuple(
                OutputChunk(stream, text, block, capture.figure(block))
                for (stream, text), block in zip(capture.chunks(), capture.block_ids(), strict=True)
            ),
            value_repr=value_repr,
            value_summary=summary,
            value_note=note,
            error=error,
            interrupted=interrupted,
            exit_requested=exit_requested,
            truncated_chars=capture.cut_chars,
            truncated_lines=capture.cut_lines,
            duration=duration,
            memory=tuple(tracker.events),
            changed=changed,
            limits=(self.max_chars, self.max_lines),
            notes=notes + import_notes() + tuple(capture.notes),
        )

    def _display(self, value: object, number: int, capture: OutputCapture, width: int | None) -> tuple[str, str | None]:
        """Bind ``_``/``__``/``___``/``_N``/``_oh[N]`` and return the value's repr, bounded."""
        ns = self.workspace.namespace
        ns["___"], ns["__"], ns["_"] = ns.get("__"), ns.get("_"), value
        ns[f"_{number}"] = value
        outputs = ns["_oh"]
        outputs[number] = value
        for old in sorted(outputs)[: max(0, len(outputs) - OUTPUT_CACHE_SIZE)]:
            del outputs[old]  # like IPython's cache_size: old results (big tensors too) can be freed
            ns.pop(f"_{old}", None)
        try:
            text = pretty_repr(value, width or TORCH_DEFAULT_WIDTH)
        except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break the REPL
            text = f"<repr failed: {type(exc).__name__}: {exc}>"
        text = capture.clip(text)
        return text, tensor_summary(value)


def _shown_as_figure(value: object) -> bool:
    """A matplotlib figure as an input's value is shown as its picture (matplotlib is loaded only if the code did)."""
    if "matplotlib.figure" not in sys.modules:
        return False
    from tui_lab.core.repl.figures.show import display_value

    return display_value(value)


Step = tuple[CodeType, int, str]


def _compile(source: str, filename: str) -> tuple[list[Step], Step | None]:
    """Each top-level statement compiled on its own (all of them before any runs), a trailing expression as ``eval``.

    Every step carries its line number and its first line of source, for the memory view.
    """
    tree = ast.parse(source, filename, mode="exec")

    def first_line(node: ast.stmt) -> str:
        segment = ast.get_source_segment(source, node) or ""
        return segment.split("\n", 1)[0].strip()

    body = list(tree.body)
    last = None
    if body and isinstance(body[-1], ast.Expr):
        final = body.pop()
        expression = ast.Expression(final.value)  # type: ignore[attr-defined]
        last = (compile(expression, filename, "eval"), final.lineno, first_line(final))
    steps = [
        (compile(ast.Module([node], type_ignores=[]), filename, "exec"), node.lineno, first_line(node)) for node in body
    ]
    return steps, last
