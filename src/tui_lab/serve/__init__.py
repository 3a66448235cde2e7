"""``tui-lab serve``: the app in a browser, one process per visitor, behind a token.

Built on Textualize's ``textual-serve`` (aiohttp, xterm.js). :mod:`.access` holds the token
and the cookie that carries it; :mod:`.visitor` one visitor's app process; :mod:`.server` the
web server; :mod:`.pages` the HTML. The command line lives in :mod:`tui_lab.cli.serve`.
"""
