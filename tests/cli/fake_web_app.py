"""A stand-in for a visitor's app under Textual's web driver, for the serve tests (run as a script).

It speaks the driver's packets (``D``/``M`` + 4-byte length + payload) on stdin and stdout and
writes every packet it receives, and its start-up size, as JSON lines to the file named by
``argv[1]``. Keys it is sent ask for hostile behaviour: ``flood`` (frames without end),
``url`` (open_url requests), ``noise`` (escape sequences and megabytes on stderr).
``FAKE_NO_PRELUDE=1`` makes it fail to start the way a broken app does.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

log = open(sys.argv[1], "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
out = sys.stdout.buffer
lock = threading.Lock()


def note(event: dict) -> None:
    log.write(json.dumps(event) + "\n")


def packet(kind: bytes, payload: bytes) -> None:
    with lock:
        out.write(kind + len(payload).to_bytes(4, "big") + payload)
        out.flush()


def flood() -> None:
    while True:
        packet(b"D", b"z" * 4_000_000)
        time.sleep(0.005)


note({"type": "start", "width": int(os.environ["COLUMNS"]), "height": int(os.environ["ROWS"]), "pid": os.getpid()})
if os.environ.get("FAKE_NO_PRELUDE"):
    sys.stderr.write("\x1b]52;c;UFdORUQ=\x07\x1b[2J" * 100_000 + "\nModuleNotFoundError: \x1b]0;owned\x07 no app\n")
    sys.stderr.flush()
    sys.exit(1)
out.write(b"__GANGLION__\n")
packet(b"D", b"\x1b[2Jready")
source = sys.stdin.buffer
while kind := source.read(1):
    size = int.from_bytes(source.read(4), "big")
    payload = source.read(size)
    if kind == b"M":
        meta = json.loads(payload)
        note(meta)
        if meta["type"] == "quit":
            packet(b"M", b'{"type": "exit"}')
            break
        continue
    text = payload.decode()
    note({"type": "stdin", "text": text})
    if text == "flood":
        threading.Thread(target=flood, daemon=True).start()
    elif text == "url":
        for url in ("javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,x", "https://d2l.ai/"):
            packet(b"M", json.dumps({"type": "open_url", "url": url, "new_tab": False}).encode())
        packet(
            b"M",
            json.dumps(
                {
                    "type": "deliver_file_start",
                    "key": "k",
                    "path": "/etc/passwd",
                    "open_method": "browser",
                    "mime_type": "text/html",
                    "encoding": "utf-8",
                }
            ).encode(),
        )
        packet(b"D", b"urls sent")
