"""IPython's way of showing values, for when IPython is not installed.

The book's outputs are IPython's: ``type(A), type(B)`` reads ``(numpy.ndarray, torch.Tensor)``, a
function ``<function f(x)>``, a set is sorted, a dict keeps its insertion order, and a container
too long for the line puts one element per line, indented under its bracket. When IPython is
installed the REPL uses ``IPython.lib.pretty`` itself (:mod:`tui_lab.core.repl.display`); this
module follows the same rules without it, so both read alike.

A value becomes a small document of texts and groups (:class:`Group`), then is laid out for a
width: a group stays on one line when it fits, together with what must follow it on that line
(a comma, closing brackets), and otherwise breaks after every comma, its elements indented by
its opening bracket's width. A multi-line repr (a tensor) breaks the group it is in.
"""

from __future__ import annotations

import collections
import inspect
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: IPython shows at most this many elements of a container, then ``...``.
MAX_SEQ_LENGTH = 1000
_BUILTIN_MODULES = (None, "__builtin__", "builtins", "exceptions")


@dataclass
class Group:
    """Parts laid out together: texts, groups and break points (None), breaking all or none."""

    indent: int
    parts: list[Doc] = field(default_factory=list)


Doc = str | Group | None  # None: a place to break the line (a space when not broken)


def pretty(value: Any, width: int = 79) -> str:
    """``value`` as IPython's pretty printer shows it, for a line ``width`` columns wide."""
    out = _Layout(width)
    out.lay(_Documents().doc(value), 0, 0)
    return "".join(out.pieces)


class _Documents:
    """Turns values into documents, following IPython's printers (and its cycle guard)."""

    def __init__(self) -> None:
        self._stack: list[int] = []

    def doc(self, value: Any) -> Doc:
        cycle = id(value) in self._stack
        self._stack.append(id(value))
        try:
            return self._doc(value, cycle)
        finally:
            self._stack.pop()

    def _doc(self, value: Any, cycle: bool) -> Doc:
        if value is None or value is True or value is False or value is Ellipsis or value is NotImplemented:
            return repr(value)
        cls = getattr(value, "__class__", None) or type(value)
        for klass in cls.__mro__:
            printer = _PRINTERS.get(klass) or _BY_NAME.get((klass.__module__, klass.__qualname__))
            if printer is not None:
                return printer(self, value, cycle)
            if klass is not object and "__repr__" in vars(klass) and callable(getattr(klass, "__repr__", None)):
                return _repr(value)
        if getattr(cls, "__repr__", None) is not object.__repr__:
            return _repr(value)
        return Group(1, ["<", _type_name(cls), f" at 0x{id(value):x}", ">"])

    def sequence(self, opening: str, items: Iterable[Any], closing: str, *, one_tuple: bool = False) -> Group:
        group = Group(len(opening), [opening])
        for index, item in enumerate(items):
            if index:
                group.parts += [",", None]
            if index >= MAX_SEQ_LENGTH:
                group.parts.append("...")
                break
            group.parts.append(self.doc(item))
        if one_tuple:
            group.parts.append(",")
        group.parts.append(closing)
        return group

    def mapping(self, opening: str, items: Iterable[tuple[Any, Any]], closing: str) -> Group:
        group = Group(len(opening), [opening])
        for index, (key, item) in enumerate(items):
            if index:
                group.parts += [",", None]
            if index >= MAX_SEQ_LENGTH:
                group.parts.append("...")
                break
            group.parts += [self.doc(key), ": ", self.doc(item)]
        group.parts.append(closing)
        return group

    def call(self, name: str, *args: Any, **kwargs: Any) -> Group:
        """``name(arg, key=value)``, broken like a sequence (IPython's CallExpression)."""
        group = Group(len(name) + 1, [name + "("])
        items: list[Doc] = [self.doc(arg) for arg in args]
        items += [Group(len(key) + 1, [key + "=", self.doc(arg)]) for key, arg in kwargs.items()]
        for index, item in enumerate(items):
            if index:
                group.parts += [",", None]
            group.parts.append(item)
        group.parts.append(")")
        return group


def _repr(value: Any) -> str:
    return "\n".join(repr(value).splitlines())


def _type_name(cls: type) -> str:
    """``numpy.ndarray``, ``torch.Tensor``, ``int``: the module (unless builtins) and the qualified name."""
    name = getattr(cls, "__qualname__", None)
    if not isinstance(name, str):
        name = getattr(cls, "__name__", None)
        name = name if isinstance(name, str) else "<unknown type>"
    module = getattr(cls, "__module__", None)
    return name if module in _BUILTIN_MODULES else f"{module}.{name}"


def _type(_: _Documents, value: type, cycle: bool) -> Doc:
    """A class by its name, unless its metaclass has a repr of its own (an enum's, say)."""
    metaclass: Any = type(value)
    repr_from = next((m for m in metaclass.__mro__ if "__repr__" in vars(m)), None)
    return _type_name(value) if repr_from is type else _repr(value)


def _function(_: _Documents, value: Any, cycle: bool) -> Doc:
    name = getattr(value, "__qualname__", value.__name__)
    module = value.__module__
    if module and module not in _BUILTIN_MODULES:
        name = f"{module}.{name}"
    try:
        name += str(inspect.signature(value))
    except (ValueError, TypeError):
        pass
    return f"<function {name}>"


def _sorted(items: Iterable[Any]) -> list[Any]:
    items = list(items)
    for key in (None, str):
        try:
            return sorted(items, key=key)
        except Exception:  # noqa: BLE001 - unorderable elements: try the next order, as IPython does
            continue
    return items


def _set(opening: str, closing: str) -> Callable[[_Documents, Any, bool], Doc]:
    def printer(docs: _Documents, value: Any, cycle: bool) -> Doc:
        if cycle:
            return f"{opening}...{closing}"
        if not value:
            return f"{type(value).__name__}()"
        items = value if len(value) >= MAX_SEQ_LENGTH else _sorted(value)
        return docs.sequence(opening, items, closing)

    return printer


def _list(docs: _Documents, value: Any, cycle: bool) -> Doc:
    return "[...]" if cycle else docs.sequence("[", value, "]")


def _tuple(docs: _Documents, value: Any, cycle: bool) -> Doc:
    return "(...)" if cycle else docs.sequence("(", value, ")", one_tuple=len(value) == 1)


def _dict(docs: _Documents, value: Any, cycle: bool) -> Doc:
    return "{...}" if cycle else docs.mapping("{", ((key, value[key]) for key in value.keys()), "}")


def _exception(docs: _Documents, value: BaseException, cycle: bool) -> Doc:
    cls = value.__class__
    name = getattr(cls, "__qualname__", cls.__name__)
    if cls.__module__ not in ("exceptions", "builtins"):
        name = f"{cls.__module__}.{name}"
    return docs.call(name, *getattr(value, "args", ()))


def _namespace(docs: _Documents, value: types.SimpleNamespace, cycle: bool) -> Doc:
    return docs.call("namespace", "...") if cycle else docs.call("namespace", **vars(value))


def _constructor(build: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]) -> Callable[..., Doc]:
    """The collections types, shown as the call that makes them: ``defaultdict(list, {...})``."""

    def printer(docs: _Documents, value: Any, cycle: bool) -> Doc:
        if cycle:
            return f"{type(value).__name__}(...)"
        args, kwargs = build(value)
        return docs.call(type(value).__name__, *args, **kwargs)

    return printer


_PRINTERS: dict[type, Callable[[_Documents, Any, bool], Doc]] = {
    int: lambda _, v, c: repr(v),
    float: lambda _, v, c: repr(v),
    str: lambda _, v, c: _repr(v),
    tuple: _tuple,
    list: _list,
    dict: _dict,
    set: _set("{", "}"),
    frozenset: _set("frozenset({", "})"),
    type: _type,
    types.FunctionType: _function,
    types.BuiltinFunctionType: _function,
    types.MethodType: lambda _, v, c: _repr(v),
    types.SimpleNamespace: _namespace,
    BaseException: _exception,
    range: lambda _, v, c: repr(v),
    bytes: lambda _, v, c: _repr(v),
    slice: lambda _, v, c: repr(v),
}
_BY_NAME: dict[tuple[str, str], Callable[[_Documents, Any, bool], Doc]] = {
    ("collections", "defaultdict"): _constructor(lambda v: ((v.default_factory, dict(v)), {})),
    ("collections", "OrderedDict"): _constructor(lambda v: (((list(v.items()),) if v else ()), {})),
    ("collections", "deque"): _constructor(lambda v: ((list(v),), {} if v.maxlen is None else {"maxlen": v.maxlen})),
    ("collections", "Counter"): _constructor(lambda v: (((dict(v.most_common()),) if v else ()), {})),
    ("collections", "UserList"): _constructor(lambda v: ((v.data,), {})),
}
assert all(getattr(collections, name, None) is not None for _, name in _BY_NAME)


def _flat(doc: Doc) -> str | None:
    """The document on one line, or None when a part of it spans lines."""
    if doc is None:
        return " "
    if isinstance(doc, str):
        return None if "\n" in doc else doc
    pieces = []
    for part in doc.parts:
        flat = _flat(part)
        if flat is None:
            return None
        pieces.append(flat)
    return "".join(pieces)


def _to_break(parts: list[Doc], start: int) -> tuple[int, bool]:
    """Columns the parts from ``start`` take up to the next break point, and whether there is one."""
    total = 0
    for part in parts[start:]:
        if part is None:
            return total, True
        flat = _flat(part)
        if flat is None:  # a multi-line part: its first line, then the line breaks anyway
            return total + len(_first_line(part)), True
        total += len(flat)
    return total, False


def _first_line(doc: Doc) -> str:
    if doc is None or isinstance(doc, str):
        return (doc or "").split("\n", 1)[0]
    text = ""
    for part in doc.parts:
        if part is None:
            break
        text += _first_line(part)
        if _flat(part) is None:
            break
    return text


class _Layout:
    """Writes a document for a width: a group flat when it fits with what follows it, else broken."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.pieces: list[str] = []
        self.column = 0

    def write(self, text: str) -> None:
        self.pieces.append(text)
        self.column += len(text)

    def newline(self, indent: int) -> None:
        self.pieces.append("\n" + " " * indent)
        self.column = indent

    def lay(self, doc: Doc, indent: int, trail: int) -> None:
        """Write ``doc``; ``trail`` columns must follow it on this line (up to the enclosing break point)."""
        if doc is None:
            self.write(" ")
        elif isinstance(doc, str):
            first, *rest = doc.split("\n")
            self.write(first)
            for line in rest:  # a multi-line repr: its lines under the enclosing group's indent
                self.newline(indent)
                self.write(line)
        else:
            flat = _flat(doc)
            if flat is not None and self.column + len(flat) + trail <= self.width:
                self.write(flat)
                return
            inner = indent + doc.indent
            for index, part in enumerate(doc.parts):
                if part is None:
                    self.newline(inner)
                    continue
                after, broken = _to_break(doc.parts, index + 1)
                self.lay(part, inner, after if broken else after + trail)
