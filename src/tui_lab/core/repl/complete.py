"""Tab completion for the REPL, bounded in time.

A dotted name at the cursor (``torch.ara``, ``x.resh``, ``pri``) is completed directly
from the live namespace with ``dir()`` — instant and exact. Inside a call's parentheses
(``torch.sum(x, di``) the callee's keyword arguments come first (``dim=``), read from its
signature or, for torch's C functions, from the signatures in its docstring. Anything else
(``x.reshape(3, 4).su``, ``import tor``) goes to jedi's Interpreter in a daemon thread;
if jedi does not answer within ``timeout`` seconds the result says so instead of hanging.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_DOTTED = re.compile(r"(?<![\w.)\]])((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)?$")
_MAX_ITEMS = 200
_CALLEE = re.compile(r"((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\s*$")
_ARGUMENT = re.compile(r"[(,]\s*([A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class Completion:
    """Candidates that replace the last ``replace`` characters before the cursor."""

    prefix: str
    items: tuple[str, ...]
    timed_out: bool = False

    @property
    def replace(self) -> int:
        """How many characters before the cursor the candidates replace."""
        return len(self.prefix)

    def common_prefix(self) -> str:
        """The longest start shared by every candidate (what one Tab can insert)."""
        if not self.items:
            return self.prefix
        first, last = min(self.items), max(self.items)
        size = 0
        while size < min(len(first), len(last)) and first[size] == last[size]:
            size += 1
        return first[:size]


def _resolve(chain: str, namespace: Mapping[str, object]) -> tuple[bool, object]:
    """Look up ``a.b.c`` by names and getattr only (no calls, no indexing)."""
    parts = chain.split(".")
    if parts[0] in namespace:
        value: object = namespace[parts[0]]
    elif hasattr(builtins, parts[0]):
        value = getattr(builtins, parts[0])
    else:
        return False, None
    for part in parts[1:]:
        try:
            value = getattr(value, part)
        except Exception:  # noqa: BLE001 - a failing property just means "no completion"
            return False, None
    return True, value


def complete_names(text: str, namespace: Mapping[str, object]) -> Completion | None:
    """Complete a dotted name at the end of ``text`` from live objects; None if it is not one."""
    match = _DOTTED.search(text)
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    head, prefix = match.group(1), match.group(2) or ""
    if head:
        found, obj = _resolve(head[:-1], namespace)
        if not found:
            return None
        try:
            names = set(dir(obj))
        except Exception:  # noqa: BLE001
            return None
    else:
        if re.search(r"\b(import|from)\s+[\w.]*$", text):
            return None  # module names: jedi knows the installed packages
        names = set(namespace) | set(dir(builtins)) | set(keyword.kwlist)
    hide_private = not prefix.startswith("_")
    items = sorted(
        (n for n in names if n.startswith(prefix) and not (hide_private and n.startswith("_"))),
        key=lambda n: (n.lower(), n),
    )
    return Completion(prefix, tuple(items[:_MAX_ITEMS]))


def open_call(before: str) -> str | None:
    """The callee of the innermost call still open at the end of ``before`` (``torch.sum(x, di`` → ``torch.sum``)."""
    depth = 0
    quote = ""
    opened: list[int] = []
    for index, char in enumerate(before):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            opened.append(index)
            depth += 1
        elif char in ")]}" and opened:
            opened.pop()
    if quote or not opened or before[opened[-1]] != "(":
        return None
    match = _CALLEE.search(before[: opened[-1]])
    return match.group(1) if match else None


def keyword_names(function: Callable[..., object]) -> list[str]:
    """The parameters of ``function`` that can be passed by keyword, from its signature or docstring."""
    names: list[str] = []
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names = [p.name for p in signature.parameters.values() if p.kind in kinds and p.name != "self"]
    if not names:  # torch's C functions: "sum(input, dim, keepdim=False, *, dtype=None) -> Tensor" lines
        title = getattr(function, "__name__", "")
        doc = getattr(function, "__doc__", None) or ""
        if title:
            for match in re.finditer(
                rf"^\s*(?:\.\. function:: )?(?:[\w.]+\.)?{re.escape(title)}\(([^()]*)\)", doc, re.MULTILINE
            ):
                for part in match.group(1).split(","):
                    name = part.split("=")[0].split(":")[0].strip()
                    if name.isidentifier() and name != "self" and name not in names:
                        names.append(name)
    return names


def complete_keywords(before: str, namespace: Mapping[str, object]) -> Completion | None:
    """Inside an open call, its keyword arguments (``dim=``) then the names that match; None elsewhere."""
    argument = _ARGUMENT.search(before)
    callee = open_call(before)
    if argument is None or callee is None:
        return None
    prefix = argument.group(1) or ""
    found, function = _resolve(callee, namespace)
    if not found or not callable(function):
        return None
    keywords = [f"{name}=" for name in keyword_names(function) if name.startswith(prefix)]
    if not keywords:
        return None
    names = complete_names(before, namespace) if prefix else None
    others = [item for item in (names.items if names else ()) if f"{item}=" not in keywords]
    return Completion(prefix, tuple((keywords + others)[:_MAX_ITEMS]))


def complete_jedi(source: str, line: int, column: int, namespace: Mapping[str, object], timeout: float) -> Completion:
    """Ask jedi (1-based ``line``, 0-based ``column``) in a daemon thread; give up after ``timeout``."""
    result: list[Completion] = []

    def ask() -> None:
        try:
            import jedi

            found = jedi.Interpreter(source, [dict(namespace)]).complete(line, column)
        except Exception:  # noqa: BLE001 - jedi can fail on odd input; no completion then
            result.append(Completion("", ()))
            return
        prefix = ""
        if found:
            prefix = found[0].name[: len(found[0].name) - len(found[0].complete or "")]
        items = [c.name for c in found if not c.name.startswith("__")][:_MAX_ITEMS]
        result.append(Completion(prefix, tuple(items)))

    thread = threading.Thread(target=ask, name="repl-complete", daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0] if result else Completion("", (), timed_out=True)


def complete(source: str, line: int, column: int, namespace: Mapping[str, object], timeout: float = 1.0) -> Completion:
    """Candidates at (1-based ``line``, 0-based ``column``) of ``source``, within ``timeout`` seconds."""
    lines = source.split("\n")
    before = lines[line - 1][:column] if 0 < line <= len(lines) else ""
    in_call = complete_keywords(before, namespace)
    if in_call is not None:
        return in_call
    quick = complete_names(before, namespace)
    if quick is not None and quick.items:
        return quick
    return complete_jedi(source, line, column, namespace, timeout)
