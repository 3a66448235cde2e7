"""The Train pane: its screen, form, loss plot, summary and sweep dialog."""
