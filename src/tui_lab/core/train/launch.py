"""Launch a data-parallel run: this node's ranks by ourselves (one node) or through torchrun (several).

The entry point of ``tui-lab train --nproc-per-node N``; :mod:`.ranks` starts a single node's ranks
without any network listener, :mod:`.distributed` runs torchrun for several nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tui_lab.core.train.distributed import LaunchOutcome, LaunchSpec, launch_torchrun
from tui_lab.core.train.ranks import launch_local


def launch(spec: LaunchSpec, worker_args: Sequence[str], on_line: Callable[[str], None]) -> LaunchOutcome:
    """Run this node's ranks of ``worker_args``; ``on_line`` gets each line rank 0 prints, as it prints it."""
    if spec.nnodes == 1:
        return launch_local(spec, worker_args, on_line)
    return launch_torchrun(spec, worker_args, on_line)
