"""The book as written: ``from d2l import torch as d2l`` in tui-lab's REPL, plots drawn as text.

:mod:`.hook` installs the import finder (after Python's own, so a real ``d2l`` always wins),
:mod:`.book` is the module learners get, :mod:`.pyplot`/:mod:`.plotting`/:mod:`.animator`
draw the book's figures with plotext into the REPL log, :mod:`.magics` lets cells that start
with ``%matplotlib inline`` paste as printed. Nothing here imports torch until a learner
imports ``d2l``.
"""
