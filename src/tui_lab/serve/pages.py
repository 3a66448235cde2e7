"""The HTML pages of ``tui-lab serve``: the app's page, the refusal page and the 403 page.

The app page loads textual-serve's xterm.js bundle from ``/static`` and nothing from other
hosts (students' browsers make no request to a font service). An inline script builds the
websocket URL from the address the browser actually used, so an SSH tunnel on any local port
works, and removes ``?token=`` from the address bar once the cookie is set.
"""

from __future__ import annotations

from html import escape

_STYLE = """
body { margin: 0; background: #0c181f; color: rgba(255, 255, 255, 0.95);
       font-family: Menlo, Monaco, 'DejaVu Sans Mono', 'Courier New', monospace; }
.notice { max-width: 40em; margin: 12vh auto; padding: 2em; background: #12232d; line-height: 1.5; }
.notice h1 { font-size: 1.3em; margin-top: 0; background: none; color: inherit; }
.notice code { font-family: inherit; font-size: inherit; color: #c8a2ff; white-space: nowrap; }
.notice a { color: #ac5af4; }
"""

_APP_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{static}css/xterm.css">
<script src="{static}js/textual.js"></script>
<style>
{style}
#terminal {{ position: absolute; inset: 0; opacity: 0; transition: opacity 0.2s ease-out; }}
body.-first-byte #terminal {{ opacity: 1; }}
.waiting, .closed {{ position: absolute; inset: 0; z-index: 10; }}
body.-first-byte .waiting {{ display: none; }}
.closed {{ display: none; }}
body.-closed .closed {{ display: block; background: rgba(12, 24, 31, 0.85); }}
</style>
</head>
<body>
<div class="waiting"><div class="notice"><h1>{title}</h1>Starting your own copy of the app…</div></div>
<div class="closed"><div class="notice"><h1>Session ended</h1>
Your app has stopped (you quit it, or the server was stopped).
<a href="/">Start a new session</a> (your REPL variables and runs start afresh).</div></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{websocket}" data-font-size="{font_size}"></div>
<script>
(function () {{
  var terminal = document.getElementById("terminal");
  if (!terminal.dataset.sessionWebsocketUrl) {{
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    terminal.dataset.sessionWebsocketUrl = scheme + "//" + window.location.host + "/ws";
  }}
  var url = new URL(window.location.href);
  if (url.searchParams.has("token")) {{
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }}
}})();
</script>
</body>
</html>
"""

_NOTICE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>{title}</title>
<style>{style}</style></head>
<body><div class="notice"><h1>{title}</h1>{body}</div></body>
</html>
"""


def app_page(*, title: str, static_url: str, websocket_url: str, font_size: int) -> str:
    """The page that runs the app; an empty ``websocket_url`` means "this page's own host"."""
    return _APP_PAGE.format(
        title=escape(title),
        static=escape(static_url),
        websocket=escape(websocket_url),
        font_size=font_size,
        style=_STYLE,
    )


def full_page(max_sessions: int) -> str:
    """The page shown when every place is taken."""
    taken = (
        "The one place on this tui-lab server is taken"
        if max_sessions == 1
        else (f"All {max_sessions} places on this tui-lab server are taken")
    )
    body = (
        f"<p>{taken}: each visitor runs their own copy of the app, "
        f"and the server allows {max_sessions} at once (<code>--max-sessions</code>).</p>"
        '<p>Try again in a minute, when someone has closed their tab: <a href="/">try again</a>.</p>'
    )
    return _NOTICE_PAGE.format(title="tui-lab is full", body=body, style=_STYLE)


def forbidden_page() -> str:
    """The page for a missing or wrong token (it says nothing about the app)."""
    body = (
        "<p>This address needs the link with its access token, "
        "<code>http://…/?token=…</code>, as printed where <code>tui-lab serve</code> was started.</p>"
    )
    return _NOTICE_PAGE.format(title="403: access token needed", body=body, style=_STYLE)
