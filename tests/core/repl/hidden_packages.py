"""The start of a script run in a fresh interpreter: a REPL engine, as the app makes it, with the packages
named in ``sys.argv[1]`` (comma-separated) hidden as if they were not installed.

The tests of the four environments (with and without IPython and matplotlib) append what they run.
"""

from __future__ import annotations

import textwrap

ENGINE_WITH_HIDDEN_PACKAGES = textwrap.dedent(
    """
    import json, sys

    HIDDEN = {name for name in sys.argv[1].split(",") if name}

    class Blocker:
        '''Hides packages as if they were not installed.'''

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    from tui_lab.core.repl.d2l import hook
    from tui_lab.core.repl.engine import ReplEngine
    from tui_lab.core.workspace import Workspace

    workspace = Workspace()
    hook.install(workspace)  # as the app does: `from d2l import torch as d2l` finds tui-lab's
    workspace.load_preloads()
    engine = ReplEngine(workspace)
    """
)
