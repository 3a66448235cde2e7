"""The headless REPL engine: run code in the shared workspace the way IPython does.

``ReplEngine(workspace).run(source)`` executes one input and returns a :class:`RunResult`:
stdout and stderr chunks in the order they were written, the ``Out[n]`` value (its repr,
exactly as torch prints tensors, plus a one-line tensor summary), a traceback trimmed to
the user's own frames, the memory view and, for a failed element-wise op, a broadcasting
explanation. Output beyond a size limit is counted, not kept. :meth:`ReplEngine.interrupt`,
called from any thread, raises ``KeyboardInterrupt`` in the running code. The engine keeps
the source of its last successful inputs (:meth:`ReplEngine.replay_source`), so the Graph
pane can re-evaluate a REPL tensor from its leaves. Nothing here needs a terminal.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.core.repl.broadcast import BroadcastExplanation, explain_error
from tui_lab.core.repl.capture import OutputCapture, install_routing
from tui_lab.core.repl.memory import MemoryEvent, diff_memory, take_fingerprints
from tui_lab.core.workspace import Workspace

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
EXIT_MESSAGE = "exit()/quit()/sys.exit() do not close tui-lab from the REPL; press ctrl+q to quit the app."
#: How many past ``Out[n]`` values stay reachable as ``_n`` / ``_oh[n]``.
OUTPUT_CACHE_SIZE = 100
#: How many successful inputs :meth:`ReplEngine.replay_source` keeps.
REPLAY_INPUTS = 200
INPUT_UNAVAILABLE = "input() is not available in this REPL (no prompt is attached); assign the value instead."


class ExitRequested(SystemExit):
    """Raised by the REPL's own exit() and quit()."""


@dataclass(frozen=True)
class OutputChunk:
    """Text written to one stream."""

    stream: Literal["stdout", "stderr"]
    text: str


@dataclass(frozen=True)
class ErrorInfo:
    """A failed run: the exception type, its message and the user-only traceback text."""

    type_name: str
    message: str
    traceback: str
    broadcast: BroadcastExplanation | None = None


@dataclass(frozen=True)
class RunResult:
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
        ns = workspace.namespace
        ns.setdefault("_ih", [""])
        ns.setdefault("_oh", {})
        ns["__builtins__"] = self._make_builtins()

    # -- builtins the REPL replaces ---------------------------------------------------

    def _make_builtins(self) -> dict[str, Any]:
        table = dict(vars(builtins))

        def repl_exit(code: object = None) -> None:
            raise ExitRequested(code)

        table["exit"] = table["quit"] = repl_exit
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

    def run(self, source: str) -> RunResult:
        """Execute ``source`` and return what it produced; never raises for user errors."""
        number = self.execution_count
        self.execution_count += 1
        filename = f"<In [{number}]>"
        lines = source.splitlines(keepends=True) or ["\n"]
        linecache.cache[filename] = (len(source), None, lines, filename)
        ns = self.workspace.namespace
        ns["_ih"].append(source)
        install_routing()
        capture = OutputCapture(self.max_chars, self.max_lines)
        ws = self.workspace
        before_ids = ws.snapshot()
        before_prints = take_fingerprints(ws.user_items())
        value: Any = None
        has_value = False
        error: ErrorInfo | None = None
        interrupted = exit_requested = False
        started = time.perf_counter()
        self._capture = capture
        try:
            self._interrupter.begin()
            capture.start()
            try:
                body, last = _compile(source, filename)
                if body is not None:
                    exec(body, ns)
                if last is not None:
                    value = eval(last, ns)
                    has_value = value is not None
            finally:
                self._interrupter.end()
        except SystemExit as exc:
            exit_requested = True
            code = "" if exc.code in (None, 0) else f" (exit code {exc.code!r})"
            capture.write("stderr", f"{EXIT_MESSAGE}{code}\n")
        except BaseException as exc:  # noqa: BLE001 - a REPL reports every user error and survives
            interrupted = isinstance(exc, KeyboardInterrupt)
            error = _error_info(exc)
        finally:
            self._interrupter.end()
            capture.stop()
            self._capture = None
        if error is None and not exit_requested:
            self._succeeded.append(source if source.endswith("\n") else source + "\n")
        value_repr = summary = note = None
        if has_value:
            value_repr, summary = self._display(value, number, capture)
            note = elision_note(value)
        duration = time.perf_counter() - started
        after_prints = take_fingerprints(ws.user_items())
        in_place = {
            n for n, fp in after_prints.items() if n in before_prints and before_prints[n].version != fp.version
        }
        change = ws.notify_since(before_ids, "repl", also=in_place)
        changed = frozenset(n for n in change.changed if not n.startswith("_"))
        memory = diff_memory(before_prints, after_prints, changed)
        return RunResult(
            number=number,
            source=source,
            outputs=tuple(OutputChunk(stream, text) for stream, text in capture.chunks()),
            value_repr=value_repr,
            value_summary=summary,
            value_note=note,
            error=error,
            interrupted=interrupted,
            exit_requested=exit_requested,
            truncated_chars=capture.cut_chars,
            truncated_lines=capture.cut_lines,
            duration=duration,
            memory=tuple(memory),
            changed=changed,
            limits=(self.max_chars, self.max_lines),
        )

    def _display(self, value: Any, number: int, capture: OutputCapture) -> tuple[str, str | None]:
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
            text = repr(value)
        except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break the REPL
            text = f"<repr failed: {type(exc).__name__}: {exc}>"
        text = capture.clip(text)
        return text, tensor_summary(value)


def _compile(source: str, filename: str) -> tuple[Any, Any]:
    """Compile everything but a trailing expression as ``exec``, the expression as ``eval``."""
    tree = ast.parse(source, filename, mode="exec")
    last = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr):
        tree.body.pop()
        last = ast.Expression(final.value)
    body = compile(tree, filename, "exec") if tree.body else None
    return body, compile(last, filename, "eval") if last is not None else None


def _error_info(exc: BaseException) -> ErrorInfo:
    tb = _user_traceback(exc.__traceback__)
    report = traceback.TracebackException(type(exc), exc, tb)
    if isinstance(exc, SyntaxError) and not any(f.filename.startswith("<In [") for f in report.stack):
        report.stack = traceback.StackSummary.from_list([])  # the input itself does not parse: caret only
    else:
        kept = [f for f in report.stack if not f.filename.startswith(_PACKAGE_DIR)]
        report.stack = traceback.StackSummary.from_list(kept)
    text = "".join(report.format()).rstrip("\n")
    broadcast = None
    if isinstance(exc, RuntimeError | ValueError):
        try:
            broadcast = explain_error(exc, tb)
        except Exception:  # noqa: BLE001 - the explainer is a bonus, never a second error
            broadcast = None
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return ErrorInfo(type(exc).__name__, message, text, broadcast)


def _user_traceback(tb: TracebackType | None) -> TracebackType | None:
    """Drop leading tui-lab frames (the engine's exec call); keep the user's and libraries'."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return tb
