"""The Data pane's science: CSV loading, preview, the step pipeline, profiling, tensors and generated code."""
