"""The Data pane: its screen, grid, forms and dialogs."""
