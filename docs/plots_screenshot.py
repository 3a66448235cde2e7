"""Regenerate docs/plots.svg: a matplotlib figure in the REPL log at 120×40, drawn in half-blocks.

Run: .venv/bin/python docs/plots_screenshot.py  (needs the plots extra: matplotlib)
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.graphics import Graphics, ImageMode, set_current

CELLS = (
    "import matplotlib.pyplot as plt\n"
    "x = torch.linspace(-4, 4, 200)\n"
    "plt.figure(figsize=(6.4, 3.6))\n"
    "plt.plot(x, torch.tanh(x), label='tanh')\n"
    "plt.plot(x, torch.sigmoid(x), 'm--', label='sigmoid')\n"
    "plt.plot(x, torch.relu(x) / 4, 'g-.', label='relu / 4')\n"
    "plt.grid(); plt.legend(); plt.title('activations');",
)


async def main() -> None:
    os.environ.setdefault("TUI_LAB_HOME", tempfile.mkdtemp(prefix="tui-lab-shot-"))
    set_current(Graphics(ImageMode.BLOCKS, "the screenshot is text"))
    workspace = Workspace()
    workspace.load_preloads()
    app = TuiLabApp(pane="repl", workspace=workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        for cell in CELLS:
            screen.run_source(cell)  # type: ignore[attr-defined]
            await app.workers.wait_for_complete()
            await pilot.pause(0.5)
        target = Path(__file__).with_name("plots.svg")
        app.save_screenshot(filename=target.name, path=str(target.parent))
        print(f"wrote {target}")


if __name__ == "__main__":
    asyncio.run(main())
