"""Command-line entry point.

``tui-lab --help`` and ``--version`` import neither torch nor Textual: only argparse and
this package's light modules load before the arguments are checked.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from tui_lab import __version__
from tui_lab.core.devices import DeviceError, parse_device_spec
from tui_lab.ui.panes import GLOBAL_ACTIONS, PANE_NAMES

if TYPE_CHECKING:
    from textual.app import App

EPILOG = """\
keys:
  KEYS

headless training (no terminal UI):
  tui-lab train --help
"""


def _device(text: str) -> str:
    try:
        return parse_device_spec(text)
    except DeviceError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _session(text: str) -> str:
    from tui_lab.core.session.store import check_name  # light: no torch, no Textual

    try:
        return check_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The parser for the interactive app."""
    parser = argparse.ArgumentParser(
        prog="tui-lab",
        description="A terminal workbench for learning and exploring PyTorch.",
        epilog=EPILOG.replace("KEYS", "   ".join(f"{a.key_display} {a.label}" for a in GLOBAL_ACTIONS)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("csv_path", nargs="?", metavar="CSV_PATH", help="a CSV file to open in the Data pane")
    parser.add_argument("--pane", choices=PANE_NAMES, help="the pane to open first (default: repl, or data with a CSV)")
    parser.add_argument("--device", type=_device, metavar="DEVICE", help="cpu, cuda, cuda:N or mps (default: cpu)")
    parser.add_argument("--resume", action="store_true", help="restore the last session without asking")
    parser.add_argument(
        "--session",
        type=_session,
        default="default",
        metavar="NAME",
        help="open or create the named session (one tui-lab at a time holds a session: a second one gets NAME-2)",
    )
    parser.add_argument(
        "--images",
        choices=("auto", "kitty", "sixel", "blocks", "text"),
        metavar="MODE",
        help="how matplotlib figures are drawn in the REPL log: auto (default: detected; half-blocks in tmux and "
        "serve), kitty, sixel, blocks (Unicode half-blocks) or text (one line per figure)",
    )
    parser.add_argument("--version", action="version", version=f"tui-lab {__version__}")
    return parser


def terminal_problem(environ: Mapping[str, str]) -> str | None:
    """Why this terminal cannot show the full-screen app (``TERM=dumb`` or unset), or ``None``.

    An app drawn by another driver (``tui-lab serve`` runs each visitor's app with textual-serve's
    web driver, named in ``TEXTUAL_DRIVER``) draws no terminal, so TERM does not matter there.
    """
    if environ.get("TEXTUAL_DRIVER"):
        return None
    term = environ.get("TERM", "")
    if term in ("", "dumb", "unknown"):
        shown = f"TERM={term}" if term else "TERM is not set"
        return (
            f"{shown}: this terminal cannot draw a full-screen app. Run tui-lab in a terminal emulator, "
            "or set TERM (for example TERM=xterm-256color). `tui-lab train` works without one."
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the app (or ``tui-lab train``); returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["train"]:
        from tui_lab.cli.train import main as train_main

        return train_main(args_list[1:])
    if args_list[:1] == ["serve"]:
        from tui_lab.cli.serve import main as serve_main

        return serve_main(args_list[1:])
    args = build_parser().parse_args(args_list)
    pane = args.pane or ("data" if args.csv_path else "repl")
    problem = terminal_problem(os.environ)
    if problem:
        print(f"tui-lab: {problem}", file=sys.stderr)
        return 2
    from tui_lab.cli.typeahead import TypeAhead

    typeahead = TypeAhead.start()  # keys typed from now on arrive as typed (Enter stays Enter)
    try:
        from tui_lab.ui.repl.graphics import choose_at_start

        choose_at_start(args.images)  # asks the terminal now if it must: once the app runs, answers would be keys
        from tui_lab.ui.app import TuiLabApp

        app = TuiLabApp(
            csv_path=args.csv_path, pane=pane, device=args.device, cli_help=build_parser().format_help(),
            session=args.session, resume=args.resume,
        )  # fmt: skip
        from tui_lab.core.lifetime import server_pid, watch_parent
        from tui_lab.ui.threads import to_ui

        server = server_pid(os.environ)
        if server is not None:
            # A visitor's app under tui-lab serve: if the server is killed outright, end what the visitor
            # started (REPL subprocesses, a Train launcher), then quit.
            def quit_app() -> None:
                to_ui(app, app.exit)

            watch_parent(server, quit_app, end_children=True)
        return run_app(app, before_exit=typeahead.restore)
    finally:
        typeahead.restore()


def run_app(app: App[None], before_exit: Callable[[], None] = lambda: None) -> int:
    """Run ``app``; once it has exited, never let a stuck worker thread hold the process.

    Textual runs thread workers in asyncio's default executor, whose threads Python joins at exit:
    a worker blocked in C (a FIFO being opened, a long torch call, the torch import itself) would
    keep a quit waiting for seconds or forever. The app has already stopped its workers, saved
    the session and restored the terminal by now, so the process ends at once (``before_exit``
    first: the terminal as it was before the CLI started).
    """
    app.run()
    code = app.return_code or 0
    if any(thread.is_alive() for thread in threading.enumerate() if thread is not threading.main_thread()):
        before_exit()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
