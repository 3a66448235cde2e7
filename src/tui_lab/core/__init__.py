"""Plain-Python core of tui-lab: workspace, devices, state. Never imports Textual."""
