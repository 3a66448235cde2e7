"""Allow ``python -m tui_lab``."""

from tui_lab.cli import main

raise SystemExit(main())
