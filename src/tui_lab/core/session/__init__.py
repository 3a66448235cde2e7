"""Sessions: the workspace, the panes' states and the REPL log, kept across quits and crashes.

``model`` (what a session holds), ``values`` and ``frames`` (how each value is stored, never
with pickle), ``tensorfile`` (safetensors written in slices), ``snapshot`` (the files of one
session), ``store`` (atomic saves, checked loads, bad sessions moved aside), ``capture``
(snapshot from the workspace and panes), ``panes`` (pipeline and runs as records), ``policy``
(autosave and size cap) and ``export`` / ``train_code`` (notebook and ``# %%`` script).
"""
