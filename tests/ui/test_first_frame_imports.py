"""What the REPL start pane's first frame imports: the session's modules wait until after it.

The session starts after the first frame anyway; registering the start pane with it before that frame
imported the session controller, its schema and msgspec (about 20 ms of a ~250 ms first frame).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.screen import ReplScreen

seen = []
build = ReplScreen._build_body

async def first_frame_shown(self):  # called once the first frame is on screen (call_after_refresh)
    seen.append(sorted(m for m in ("msgspec", "tui_lab.ui.session", "tui_lab.core.session.store") if m in sys.modules))
    await build(self)
    self.app.exit()

ReplScreen._build_body = first_frame_shown
TuiLabApp(pane="repl").run(headless=True, size=(80, 24))
print(seen)
"""


def test_the_repl_first_frame_imports_no_session_module(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT / "src"), "TUI_LAB_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[[]]", out.stdout[-500:]


QUIT_AT_FIRST_FRAME = """
from tui_lab.ui.app import TuiLabApp

class QuitAtOnce(TuiLabApp):
    def on_ready(self):
        super().on_ready()
        self.exit()  # as ctrl+q pressed the moment the first frame shows

QuitAtOnce(pane="repl").run(headless=True, size=(80, 24))
print("exited")
"""


def test_quitting_at_the_first_frame_ends_without_a_traceback(tmp_path: Path) -> None:
    """The real widgets were being mounted while the app exited: MountError, printed as a traceback."""
    env = {"PYTHONPATH": str(ROOT / "src"), "TUI_LAB_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", QUIT_AT_FIRST_FRAME], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("exited"), out.stderr[-2000:]
    assert "Traceback" not in out.stdout + out.stderr and "MountError" not in out.stdout + out.stderr, out.stdout[
        -3000:
    ]
