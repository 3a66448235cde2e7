"""Quit is prompt whatever a worker thread is stuck in: the process never waits for it at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_worker_blocked_forever_does_not_keep_the_process_alive(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        import threading
        from textual import work
        from tui_lab.cli import run_app
        from tui_lab.core.workspace import Workspace
        from tui_lab.ui.app import TuiLabApp

        forever = threading.Event()

        class Stuck(TuiLabApp):
            def on_ready(self) -> None:
                self.block()
                self.set_timer(0.2, self.exit)  # quit while the worker is blocked (like a FIFO open)

            @work(thread=True, exit_on_error=False)
            def block(self) -> None:
                forever.wait()  # never set, never cancellable: the worst case

        raise SystemExit(run_app(Stuck(workspace=Workspace())) + 3)  # only reached if no thread was left
        """
    )
    # The timeout only guards against the bug this test is about (before the fix: a hang forever).
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=_headless_env()
    )
    # 0: run_app ended the process without joining the stuck thread (3 would mean it was joined).
    assert result.returncode == 0, result.stderr[-2000:]


def _headless_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["TERM"] = env.get("TERM") or "xterm-256color"
    env["TEXTUAL"] = ""  # no devtools
    return env
