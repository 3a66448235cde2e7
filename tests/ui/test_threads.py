"""to_ui: a worker hands a callback to the UI thread without waiting, and never hangs on a stopped app."""

from __future__ import annotations

import threading

from textual.app import App

from tests.waiting import until
from tui_lab.ui.threads import to_ui


class Bare(App[None]):
    pass


async def test_a_callback_handed_over_runs_on_the_ui_thread() -> None:
    app = Bare()
    ran: list[int] = []
    async with app.run_test() as pilot:
        ui_thread = threading.get_ident()
        results: list[bool] = []
        worker = threading.Thread(target=lambda: results.append(to_ui(app, lambda: ran.append(threading.get_ident()))))
        worker.start()
        worker.join(timeout=30)
        assert results == [True]
        await until(pilot, lambda: ran, "the UI ran the call")
        assert ran == [ui_thread]


async def test_a_stopped_app_takes_nothing_and_the_worker_goes_on() -> None:
    app = Bare()
    async with app.run_test():
        pass
    ran: list[str] = []
    results: list[bool] = []
    worker = threading.Thread(target=lambda: results.append(to_ui(app, ran.append, "late")))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()  # call_from_thread would wait here for a loop that is gone
    assert results == [False] and ran == []
