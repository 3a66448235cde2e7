"""``tui-lab serve`` figures over localhost, in Debian's headless Chromium.

    python bench/serve.py [--opens 5] [--keys 40]

- page open → first app frame: from the browser's navigation start (the link with the token)
  to the first terminal write that puts text on the screen; a new app process each time.
  Goal (issue #14): median ≤ 1.5 s.
- key round trip: from xterm.js taking a key in the REPL's input (just before the websocket
  send) to the terminal write that shows it (typing letters, then deleting them).
  Goal: median ≤ 50 ms.
- stop: ctrl+c (SIGINT) to the server with two visitors connected, until the server and both
  apps are gone. Goal: ≤ 2 s.

Exits 0 with a note when Chromium or Playwright is absent.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.browser.harness import (  # noqa: E402
    alive,
    app_processes,
    browser_missing,
    chromium,
    served,
    wait_for_screen,
    wait_until,
)

LETTERS = "zqxjkvbwyfzqxjkvbwyf"


def first_frame_ms(page: object, url: str) -> tuple[float, float]:
    """Open ``url`` in ``page``: ms from navigation start to the first painted frame, and to the websocket's open."""
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_function(
        "() => window.__tuiLab && window.__tuiLab.firstPaint !== null",  # type: ignore[attr-defined]
        timeout=120_000,
        polling=20,
    )
    paint, opened = page.evaluate("() => [window.__tuiLab.firstPaint, window.__tuiLab.wsOpen]")  # type: ignore[attr-defined]
    return float(paint), float(opened)


def key_round_trips(page: object, count: int) -> list[float]:
    """Type letters into the REPL input, then delete them; ms per key until the screen shows it."""
    page.focus(".xterm-helper-textarea")  # type: ignore[attr-defined]
    typed = ""
    samples = []
    plan = [LETTERS[i % len(LETTERS)] for i in range(count // 2)]
    keys = plan + ["Backspace"] * len(plan)
    for key in keys:
        typed = typed[:-1] if key == "Backspace" else typed + key
        # the input's text, standing alone: neither the state before the key nor after the next
        pattern = rf"(^|\s){re.escape(typed)}(\s|$)" if typed else r"▊\s+▎"
        page.evaluate("p => window.__tuiLab.armKey(p)", pattern)  # type: ignore[attr-defined]
        page.keyboard.press(key)  # type: ignore[attr-defined]
        samples.append(float(page.evaluate("() => window.__tuiLab.keyResult")))  # type: ignore[attr-defined]
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=5, help="page opens (each starts an app) (default: 5)")
    parser.add_argument("--keys", type=int, default=40, help="keys typed (default: 40)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    reason = browser_missing()
    if reason:
        print(f"bench/serve.py skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory(prefix="tui-lab-bench-serve-") as tmp:
        home = Path(tmp)
        with served(["--max-sessions", "2"], home / "home") as server, chromium(home / "profile") as browser:
            frames, opens = [], []
            for attempt in range(args.opens):
                page = browser.new_page()
                frame, opened = first_frame_ms(page, server.url)
                frames.append(frame)
                opens.append(opened)
                if attempt == args.opens - 1:
                    wait_for_screen(page, r"In \[1\]", 120)
                    keys = key_round_trips(page, args.keys)
                page.close()  # the visitor leaves: their app stops
                wait_until(lambda: not app_processes(server.process.pid), 30, "the visitor's app to stop")
            print(
                f"page open → first app frame: median {statistics.median(frames):.0f} ms "
                f"(min {min(frames):.0f}, max {max(frames):.0f}, {len(frames)} opens; goal ≤ 1500 ms)"
            )
            app_start = [frame - opened for frame, opened in zip(frames, opens, strict=True)]
            print(
                f"  of which page and scripts → websocket open: median {statistics.median(opens):.0f} ms; "
                f"app process start → first frame: median {statistics.median(app_start):.0f} ms"
            )
            print(
                f"key → screen updated:       median {statistics.median(keys):.1f} ms "
                f"(p90 {sorted(keys)[int(0.9 * (len(keys) - 1))]:.1f}, max {max(keys):.1f}, {len(keys)} keys; "
                "goal ≤ 50 ms)"
            )

            for _ in range(2):
                first_frame_ms(browser.new_page(), server.url)  # two visitors, each with an app
            children = app_processes(server.process.pid)
            started = time.perf_counter()
            server.process.send_signal(signal.SIGINT)
            server.process.wait(timeout=30)
            wait_until(lambda: not any(alive(pid) for pid in children), 30, "the apps to exit")
            stopped = time.perf_counter() - started
            print(
                f"ctrl+c with {len(children)} visitors → server and apps gone: {stopped * 1000:.0f} ms (goal ≤ 2000 ms)"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
