"""Regenerate docs/screenshot.svg: the REPL pane after the course's first tensor steps.

Run: .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp

INPUTS = ("x = torch.arange(12)", "X = x.reshape(3, 4)", "X.sum(axis=1, keepdims=True)", "Y = X + 1")


async def main() -> None:
    os.environ.setdefault("TUI_LAB_HOME", tempfile.mkdtemp(prefix="tui-lab-shot-"))
    workspace = Workspace()
    workspace.load_preloads()
    app = TuiLabApp(pane="repl", workspace=workspace)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.pause()
        for line in INPUTS:
            await pilot.press(*line, "enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
        await pilot.press("ctrl+f", "down")  # the variable list (F6 saves a figure now)
        await pilot.pause(0.5)
        target = Path(__file__).with_name("screenshot.svg")
        app.save_screenshot(filename=target.name, path=str(target.parent))
        print(f"wrote {target}")


if __name__ == "__main__":
    asyncio.run(main())
