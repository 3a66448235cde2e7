"""The REPL pane's science: the engine, capture, completion, inspection, memory and broadcasting views."""
