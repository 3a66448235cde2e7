"""The real tui-lab in a pseudo-terminal, read through a terminal emulator (see harness.py)."""
