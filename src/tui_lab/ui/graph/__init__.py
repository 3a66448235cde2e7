"""The Graph pane: its screen, graph view and info text."""
