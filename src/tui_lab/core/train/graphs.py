"""One chunk of training steps captured in a CUDA graph and replayed: the way past kernel-launch overhead.

The runner hands :class:`ChunkGraph` every whole chunk of the settled length ``k``. The first time,
the chunk trains eagerly on a side stream (that warm-up is the chunk's real training) and is then
captured: forward, backward and the optimizer's update for k steps, whatever the engine. Every
later chunk is a copy of its rows into the graph's inputs and one ``replay()``.
"""

from __future__ import annotations

from typing import Any

import torch

from tui_lab.core.train.impls import Engine


class ChunkGraph:
    """The captured chunk (none until :meth:`run` first succeeds) and its static inputs."""

    def __init__(self, device: str, batch: int) -> None:
        self.device, self.batch = device, batch
        self.graph: Any = None
        self.static_X = self.static_y = torch.empty(0)
        #: The captured chunk's length in steps (0: nothing captured).
        self.steps = 0

    def run(
        self, engine: Engine, Xc: torch.Tensor, yc: torch.Tensor, k: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> str | None:
        """Train the chunk's rows ``Xc``, ``yc`` through the graph; returns a note when capture failed (it ran eagerly)."""

        def body(Xc: torch.Tensor, yc: torch.Tensor) -> None:
            engine.begin_chunk(hist)
            engine.run_steps(Xc, yc, k, self.batch, losses, hist)
            engine.end_chunk(hist, k)

        if self.graph is not None:
            self.static_X.copy_(Xc)
            self.static_y.copy_(yc)
            self.graph.replay()
            return None
        self.static_X, self.static_y = Xc.clone(), yc.clone()
        side = torch.cuda.Stream(device=self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            body(self.static_X, self.static_y)  # warm-up doubles as this chunk's real training
        torch.cuda.current_stream(self.device).wait_stream(side)
        try:
            graph = torch.cuda.CUDAGraph()
            # thread_local: the UI thread may query the card (memory, NVML) while this worker captures
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                body(self.static_X, self.static_y)
        except RuntimeError as error:
            return f"CUDA graph capture failed, ran eagerly: {str(error).strip().splitlines()[0]}"
        self.graph, self.steps = graph, k
        return None
