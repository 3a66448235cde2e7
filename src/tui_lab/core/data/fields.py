"""Exact field types for the preprocessing steps: what a step's annotations say, its values must be.

Steps come from forms and from session files, so a step checks its own fields when it is made:
a ``bool`` field holds True or False (not ``"True"``, not 1), an ``int`` field an int (not a bool,
not 1.0), a ``str`` field a plain str, a ``tuple[str, ...]`` a tuple of plain strs. Only the
annotation forms the steps use are understood; any other is a programming error.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields

_PLAIN = (str, int, bool, float)


class StepError(Exception):
    """A step cannot be made, or cannot apply to this frame; the message says why and what to do instead."""


#: A field's annotation as ``typing.get_type_hints`` returns it (a class, a union, ``tuple[X, ...]``).
_HINTS: dict[type, dict[str, object]] = {}


def _hints(cls: type) -> dict[str, object]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def fits(value: object, hint: object) -> bool:
    """Whether ``value`` has exactly the type ``hint`` (str, int, bool, float, None, unions, tuple[X, ...])."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        item, rest = typing.get_args(hint)
        if rest is not Ellipsis:
            raise TypeError(f"unsupported field type {hint!r}")
        return type(value) is tuple and all(fits(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint in _PLAIN:
        return type(value) is hint
    raise TypeError(f"unsupported field type {hint!r}")


def describe(hint: object) -> str:
    """``hint`` in words: ``tuple[str, ...] | None`` is "a tuple of str, or None"."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return ", or ".join(describe(arg) for arg in typing.get_args(hint))
    if origin is tuple:
        return f"a tuple of {describe(typing.get_args(hint)[0]).split(' ', 1)[1]}"
    if hint is type(None):
        return "None"
    name = hint.__name__ if isinstance(hint, type) else str(hint)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def check_field_types(instance: object) -> None:
    """Raise :class:`StepError` naming the first field of a dataclass whose value has the wrong type."""
    cls = type(instance)
    hints = _hints(cls)
    for field in fields(instance):  # type: ignore[arg-type]
        value = getattr(instance, field.name)
        if not fits(value, hints[field.name]):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "…"
            raise StepError(
                f"{cls.__name__}.{field.name} must be {describe(hints[field.name])}, "
                f"not {type(value).__name__} {shown}."
            )
