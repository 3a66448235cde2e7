"""Where tui-lab keeps its state (history, settings, recent files).

Under platformdirs' user dirs, or under ``$TUI_LAB_HOME`` when set (tests set it, so
they never touch the real home directory).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tui_lab.core.fileio import atomic_write_text

HOME_ENV = "TUI_LAB_HOME"
APP_NAME = "tui-lab"


def _base(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / kind
    import platformdirs

    getter = {"state": platformdirs.user_state_path, "config": platformdirs.user_config_path}[kind]
    return Path(getter(APP_NAME))


def state_dir() -> Path:
    """Directory for history and other state; created on demand."""
    path = _base("state")
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Directory for settings; created on demand."""
    path = _base("config")
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_path() -> Path:
    """The settings file."""
    return config_dir() / "settings.json"


def load_settings() -> dict[str, Any]:
    """Saved settings, or an empty dict if there are none or the file is unreadable."""
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_settings(**values: Any) -> dict[str, Any]:
    """Merge ``values`` into the saved settings and write them atomically."""
    settings = load_settings()
    settings.update(values)
    atomic_write_text(settings_path(), json.dumps(settings, indent=2, sort_keys=True))
    return settings
