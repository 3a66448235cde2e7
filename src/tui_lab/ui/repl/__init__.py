"""The REPL pane: its screen, editor, log rendering, variable list and dialogs."""
