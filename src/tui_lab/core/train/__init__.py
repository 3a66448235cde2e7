"""The Train pane's science: config, synthetic and workspace data, the engines, the runner and history."""
