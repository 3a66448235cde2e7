"""The Graph pane's science: the grad_fn graph, its view, layout, walk, details, checks and explanations."""
