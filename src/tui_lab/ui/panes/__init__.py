"""One screen per pane: REPL, Data, Graph, Train."""
