"""tui-lab: a terminal workbench for learning and exploring PyTorch."""

__version__ = "0.1.0"
