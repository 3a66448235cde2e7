"""``tui-lab serve``: the app in a browser, one process per visitor, private by default.

Binds to 127.0.0.1 unless ``--host`` says otherwise, requires a random token that is printed
once inside the URL, and gives every visitor their own app process and state directory.
``--help`` imports neither torch nor Textual (nor aiohttp): the server loads after the
arguments are checked.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_lab.core.devices import DeviceError, parse_device_spec
from tui_lab.ui.panes import PANE_NAMES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EPILOG = """\
Every visitor who has the printed link gets a Python REPL running as this user on this
machine. Keep the default --host 127.0.0.1 and let students connect through an SSH tunnel:

  ssh -L 8000:127.0.0.1:8000 user@gpu-server     then open the printed link locally

ctrl+c stops the server and every app it started.
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with status 2 and one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"tui-lab serve: error: {message}\n(see tui-lab serve --help)\n")


def _device(text: str) -> str:
    try:
        return parse_device_spec(text)
    except DeviceError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (0 picks a free one)")
    return port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _public_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text.split("/", 3)) > 3 and text.split("/", 3)[3]:
        raise argparse.ArgumentTypeError("give scheme and host only, e.g. https://lab.example.org")
    return text.rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    """The ``tui-lab serve`` argument parser."""
    parser = _Parser(
        prog="tui-lab serve",
        description="Serve tui-lab to web browsers: one app process per visitor, behind a secret link.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("csv_path", nargs="?", metavar="CSV_PATH", help="a CSV file every visitor's Data pane opens")
    add(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; anything else lets the network in, with a warning)",
    )
    add("--port", type=_port, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    add(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="the address visitors use, when a proxy sits in front (e.g. https://lab.example.org)",
    )
    add(
        "--max-sessions",
        type=_positive,
        default=8,
        metavar="N",
        help="visitors at once; the next one gets a page saying the server is full (default: 8)",
    )
    add(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="keep the access token in PATH (created, mode 600, when missing) so the link survives restarts",
    )
    add("--pane", choices=PANE_NAMES, help="the pane each visitor sees first (default: repl, or data with a CSV)")
    add("--device", type=_device, metavar="DEVICE", help="cpu, cuda, cuda:N or mps for every visitor (default: cpu)")
    return parser


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_argv(args: argparse.Namespace) -> tuple[str, ...]:
    """The command each visitor's app runs: this interpreter's ``tui_lab`` with the app options."""
    argv = [sys.executable, "-m", "tui_lab"]
    if args.pane:
        argv += ["--pane", args.pane]
    if args.device:
        argv += ["--device", args.device]
    if args.csv_path:
        argv.append(str(Path(args.csv_path).resolve()))
    return tuple(argv)


def network_warning(host: str, port: int) -> str:
    """The warning printed when the server listens beyond this machine."""
    import getpass

    bar = "!" * 78
    return (
        f"{bar}\n"
        f"WARNING: listening on {host}, not on this machine alone. Anyone who can reach port {port}\n"
        f"and has the link can run Python code as {getpass.getuser()!r} on this machine, and the link\n"
        "travels unencrypted over plain http. Prefer the default --host 127.0.0.1 with an SSH tunnel:\n"
        f"  ssh -L {port}:127.0.0.1:{port} user@this-server\n"
        f"{bar}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``tui-lab serve`` arguments and serve until ctrl+c; returns the exit status."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.csv_path and not Path(args.csv_path).is_file():
        print(f"tui-lab serve: error: no such CSV file: {args.csv_path}", file=sys.stderr)
        return EXIT_USAGE

    from tui_lab.core.state import state_dir
    from tui_lab.serve.access import TokenError, load_or_create_token_file, new_token, token_file_is_private

    if args.token_file is None:
        token = new_token()
    else:
        try:
            token, created = load_or_create_token_file(args.token_file)
        except TokenError as error:
            print(f"tui-lab serve: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        if created:
            print(f"tui-lab serve: wrote a new token to {args.token_file} (mode 600)", file=sys.stderr)
        elif not token_file_is_private(args.token_file):
            print(
                f"tui-lab serve: warning: {args.token_file} is readable by other users (chmod 600 it)", file=sys.stderr
            )
    state_root = state_dir() / "serve"
    state_root.mkdir(parents=True, exist_ok=True)

    from tui_lab.serve.server import ServeConfig, run

    config = ServeConfig(
        token=token,
        app_argv=app_argv(args),
        state_root=state_root,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        max_sessions=args.max_sessions,
    )

    def ready(url: str, port: int) -> None:
        if not is_loopback(args.host):  # after binding: the warning names the port really bound (--port 0)
            print(network_warning(args.host, port), file=sys.stderr, flush=True)
        sessions = "1 visitor" if args.max_sessions == 1 else f"{args.max_sessions} visitors"
        print(
            f"tui-lab serve: one app per visitor, up to {sessions} at once; ctrl+c stops everything.", file=sys.stderr
        )
        print("Open this link (it holds the access token; share it only with your students):", file=sys.stderr)
        print(f"    {url}", flush=True)

    try:
        return run(config, ready)
    except KeyboardInterrupt:
        return EXIT_FAILED
