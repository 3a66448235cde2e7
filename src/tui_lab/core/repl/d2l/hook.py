"""The import hooks: ``from d2l import torch as d2l`` finds tui-lab's module when no real d2l exists.

:class:`BookFinder` is appended to the *end* of ``sys.meta_path``, after Python's own
finders, so an installed ``d2l`` (or one on ``sys.path``) is always found first and this
finder is never asked.

``matplotlib_inline.backend_inline``, which the calculus section imports for
``set_matplotlib_formats('svg')``, is the other way round: :class:`InlineBackendFinder` sits at
the *front* and always gives tui-lab's stand-in. The real one is the inline backend of an IPython
kernel, which tui-lab's REPL is not: installing IPython brings it without matplotlib (its import
then fails), and with matplotlib its ``set_matplotlib_formats`` starts an IPython shell in the
app. So the book's cells run the same with or without IPython and matplotlib installed.

These finders are the only globals tui-lab installs; :func:`install` (called when the workspace
loads torch) adds them once and remembers the workspace, whose ``device`` the module's
``try_gpu`` honours.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

from tui_lab.core.repl.d2l import selection

if TYPE_CHECKING:
    from tui_lab.core.workspace import Workspace

#: Set on every module this finder makes, so a real d2l is told apart from ours.
MARKER = "__tui_lab_d2l__"
PACKAGES = ("d2l",)
MODULES = ("d2l.torch",)
#: Always tui-lab's while the hooks are installed (the real ones need an IPython kernel).
INLINE_BACKEND = ("matplotlib_inline", "matplotlib_inline.backend_inline")


class _BookLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        setattr(module, MARKER, True)
        if name == "d2l":
            module.__doc__ = "tui-lab's stand-in for the d2l package: `from d2l import torch as d2l`."
            module.__dict__["__getattr__"] = _package_getattr
        elif name == "d2l.torch":
            from tui_lab.core.repl.d2l import book

            module.__doc__ = book.__doc__
            module.__dict__.update(book.exported())  # with a __getattr__ saying where missing names come from
        elif name == "matplotlib_inline":
            module.__doc__ = "tui-lab's stand-in for matplotlib_inline (plots draw as text in the REPL log)."
        elif name == "matplotlib_inline.backend_inline":
            module.__doc__ = "tui-lab's stand-in: set_matplotlib_formats() has nothing to set."
            module.set_matplotlib_formats = _set_matplotlib_formats  # type: ignore[attr-defined]


def _set_matplotlib_formats(*_formats: str, **_kwargs: object) -> None:
    """Plots are text in tui-lab's log: no image format to choose."""


def _package_getattr(name: str) -> NoReturn:
    if name in ("mxnet", "tensorflow", "jax", "paddle"):
        raise ImportError(
            f"tui-lab's built-in d2l has only the PyTorch version of the book's code; "
            f"use `from d2l import torch as d2l` (d2l.{name} needs the real d2l package)."
        )
    raise AttributeError(f"module 'd2l' has no attribute {name!r}")


class InlineBackendFinder(importlib.abc.MetaPathFinder):
    """Finds ``matplotlib_inline`` and its ``backend_inline`` before any other finder: tui-lab's stand-ins."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in INLINE_BACKEND:
            return importlib.util.spec_from_loader(fullname, _BookLoader(), is_package="." not in fullname)
        return None


class BookFinder(importlib.abc.MetaPathFinder):
    """Finds ``d2l``/``d2l.torch`` only when no other finder did."""

    def __init__(self) -> None:
        self._announced = False

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in PACKAGES:
            return importlib.util.spec_from_loader(fullname, _BookLoader(), is_package=True)
        if fullname in MODULES:
            parent = sys.modules.get(fullname.rpartition(".")[0])
            if parent is None or not getattr(parent, MARKER, False):
                return None  # a real package without this module: not ours to complete
            return importlib.util.spec_from_loader(fullname, _BookLoader())
        return None

    def real_d2l_note(self) -> str | None:
        """Once, when a real ``d2l`` was imported: which one is in use."""
        module = sys.modules.get("d2l")
        if self._announced or module is None or getattr(module, MARKER, False):
            return None
        self._announced = True
        where = getattr(module, "__file__", None) or "an installed package"
        version = getattr(module, "__version__", "")
        return (
            f"d2l: using the real d2l {version} from {where}; tui-lab's built-in d2l steps aside when one is importable."
        ).replace("  ", " ")


def finder() -> BookFinder | None:
    """The installed finder, if any."""
    return next((f for f in sys.meta_path if isinstance(f, BookFinder)), None)


def install(workspace: Workspace) -> BookFinder:
    """Add the finders to ``sys.meta_path`` (once) and let the book follow ``workspace``'s device.

    The app calls it when it loads torch (and tests that import ``d2l`` do, through their workspace).
    """
    if not any(isinstance(f, InlineBackendFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, InlineBackendFinder())
    installed = finder()
    if installed is None:
        installed = BookFinder()
        sys.meta_path.append(installed)
    selection.follow(workspace)
    return installed


def import_notes() -> tuple[str, ...]:
    """Notes for the REPL after a run: that a real d2l is in use (once)."""
    installed = finder()
    note = installed.real_d2l_note() if installed is not None else None
    return (note,) if note else ()
