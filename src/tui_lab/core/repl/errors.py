"""What the REPL says about a failed input: the traceback a learner reads, the full one, and a hint.

:func:`error_info` turns an exception into an :class:`ErrorInfo`. tui-lab's own frames are never
shown (the engine's ``exec``, the d2l stand-in). Of the rest, the traceback shown by default keeps
the learner's frames (their inputs, ``<In [n]>``, and their own files) and the last library frame,
where the error was raised; each run of library frames before it is folded into one line
(``… 10 library frames (pandas)``). :attr:`ErrorInfo.full_traceback` keeps every frame. A hint
from :mod:`tui_lab.core.repl.hints` says what to do about errors the book's readers meet.
"""

from __future__ import annotations

import copy
import site
import sysconfig
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from tui_lab.core.repl.broadcast import BroadcastExplanation, explain_error
from tui_lab.core.repl.hints import hint_for

#: tui-lab's core package: its frames (the engine's exec, the d2l stand-in) are never shown.
PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
#: The file name of the frames of REPL inputs (``<In [3]>``).
INPUT_PREFIX = "<In ["


@dataclass(frozen=True)
class ErrorInfo:
    """A failed run: the exception type, its message, the traceback shown and the full one, and a hint."""

    type_name: str
    message: str
    #: The learner's frames and the last library frame; earlier library frames folded into one line per run.
    traceback: str
    broadcast: BroadcastExplanation | None = None
    #: Every frame but tui-lab's own.
    full_traceback: str = ""
    #: How many library frames :attr:`traceback` folds away (0: it is the full traceback).
    hidden_frames: int = 0
    #: One line on what to do (``inputs.mean(numeric_only=True)``), for errors the book's readers meet.
    hint: str | None = None


def error_info(exc: BaseException) -> ErrorInfo:
    """The :class:`ErrorInfo` of an exception raised by a REPL input."""
    tb = _user_traceback(exc.__traceback__)
    report = traceback.TracebackException(type(exc), exc, tb)
    chain = list(_chain(report))
    for member in chain:
        if isinstance(member.exc_type, type) and issubclass(member.exc_type, SyntaxError) and not _has_input(member):
            member.stack = traceback.StackSummary.from_list([])  # the input itself does not parse: caret only
        else:
            member.stack = traceback.StackSummary.from_list([f for f in member.stack if not _ours(f.filename)])
    full = "".join(report.format()).rstrip("\n")
    users = [f for f in report.stack if not _library(f.filename)]
    line = (users[-1].line or "") if users else ""  # the learner's line that failed, for the hint
    hidden = 0
    for member in chain:
        folded = _FoldedStack.of(member.stack)
        hidden += folded.hidden
        member.stack = folded
    shown = "".join(report.format()).rstrip("\n")
    broadcast = None
    if isinstance(exc, RuntimeError | ValueError):
        try:
            broadcast = explain_error(exc, tb)
        except Exception:  # noqa: BLE001 - the explainer is a bonus, never a second error
            broadcast = None
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    hint = hint_for(exc, message, line)
    return ErrorInfo(type(exc).__name__, message, shown, broadcast, full, hidden, hint)


def _chain(report: traceback.TracebackException) -> Any:
    """The exception and those it was raised from or while handling (each once)."""
    seen: set[int] = set()
    pending = [report]
    while pending:
        member = pending.pop()
        if id(member) in seen:
            continue
        seen.add(id(member))
        yield member
        pending += [m for m in (member.__cause__, member.__context__) if m is not None]
        pending += list(getattr(member, "exceptions", None) or ())


def _has_input(report: traceback.TracebackException) -> bool:
    return any(f.filename.startswith(INPUT_PREFIX) for f in report.stack)


def _user_traceback(tb: TracebackType | None) -> TracebackType | None:
    """Drop leading tui-lab frames (the engine's exec call); keep the user's and libraries'."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
        tb = tb.tb_next
    return tb


def _ours(filename: str) -> bool:
    return filename.startswith(PACKAGE_DIR)


@cache
def _library_dirs() -> tuple[str, ...]:
    """Where installed packages and the standard library live, longest first."""
    found = {
        path for key, path in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    try:
        found.update(site.getsitepackages())
        found.add(site.getusersitepackages())
    except AttributeError:  # a virtualenv's old site module
        pass
    return tuple(sorted((str(Path(p)) + "/" for p in found if p), key=len, reverse=True))


def _library(filename: str) -> bool:
    """A frame of an installed package or the standard library (not an input, not the learner's own file)."""
    if filename.startswith(INPUT_PREFIX):
        return False
    if filename.startswith("<frozen "):
        return True
    return _ours(filename) or any(filename.startswith(d) for d in _library_dirs())


def _in_library(filename: str) -> str | None:
    """The path of a library file below its library folder (``pandas/core/frame.py``), or None."""
    for directory in _library_dirs():
        if filename.startswith(directory):
            rest = filename[len(directory) :]
            for packages in ("site-packages/", "dist-packages/"):
                rest = rest.removeprefix(packages)
            return rest
    return None


def _package(filename: str) -> str:
    """``pandas`` for ``…/site-packages/pandas/core/frame.py``; ``importlib`` for ``<frozen importlib._bootstrap>``."""
    if filename.startswith("<frozen "):
        return filename[len("<frozen ") :].rstrip(">").split(".")[0]
    rest = _in_library(filename)
    return rest.split("/", 1)[0].removesuffix(".py") if rest else Path(filename).stem


def _shortened(frame: traceback.FrameSummary) -> traceback.FrameSummary:
    """A library frame named from its package down (``…/pandas/core/frame.py``), its source line kept."""
    rest = _in_library(frame.filename)
    if rest is None:
        return frame
    frame.line  # noqa: B018 - read the source line now: the shortened name is no file linecache knows
    short = copy.copy(frame)
    short.filename = f"…/{rest}"
    return short


class _FoldedStack(traceback.StackSummary):
    """Frames with each run of library frames folded into one line; the very last frame is always kept."""

    #: Index of a run's first frame -> (frames folded, the packages they belong to).
    runs: dict[int, tuple[int, str]]

    @classmethod
    def of(cls, stack: traceback.StackSummary) -> _FoldedStack:
        originals = list(stack)
        library = [_library(frame.filename) for frame in originals]
        folded = cls(_shortened(f) if lib else f for f, lib in zip(originals, library, strict=True))
        folded.runs = {}
        index = 0
        while index < len(originals):
            if not library[index]:
                index += 1
                continue
            end = index
            while end < len(originals) and library[end]:
                end += 1
            count = end - index - (1 if end == len(originals) else 0)  # the frame that raised stays
            if count:
                packages = list(dict.fromkeys(_package(f.filename) for f in originals[index : index + count]))
                folded.runs[index] = (count, ", ".join(packages[:3]) + (", …" if len(packages) > 3 else ""))
            index = end
        return folded

    @property
    def hidden(self) -> int:
        """How many frames are folded away."""
        return sum(count for count, _ in self.runs.values())

    def format(self, **kwargs: Any) -> list[str]:
        frames = list(self)
        lines: list[str] = []
        index = 0
        while index < len(frames):
            if index in self.runs:
                count, packages = self.runs[index]
                lines.append(f"  … {count} library frame{'s' if count != 1 else ''} ({packages})\n")
                index += count
                continue
            end = index + 1
            while end < len(frames) and end not in self.runs:
                end += 1
            lines += traceback.StackSummary.from_list(frames[index:end]).format(**kwargs)
            index = end
        return lines
