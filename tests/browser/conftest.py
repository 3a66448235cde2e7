"""Browser tests: a marker so that ``-m "not browser"`` deselects them."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium (skipped when it is absent)")
