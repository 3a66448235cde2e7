"""The Textual user interface of tui-lab."""
