"""Data-parallel training: two gloo ranks with batch B follow one process with batch 2B, for every engine."""

from __future__ import annotations

import faulthandler
import json
import os
from pathlib import Path

import pytest
import torch
from torch.multiprocessing.spawn import ProcessExitedException
from torch.multiprocessing.spawn import spawn as mp_spawn

from tests.train_fit import fit_of
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.distributed import STORE_ENV
from tui_lab.core.train.runner import run

#: (config at batch B per rank) — uneven N so the global short last batch is split unevenly too.
CASES = [
    TrainConfig(impl="concise", n=203, batch_size=5, epochs=2, seed=3),
    TrainConfig(impl="concise", n=203, batch_size=5, epochs=2, optimizer="adam", lr=0.05),
    TrainConfig(impl="scratch", n=203, batch_size=5, epochs=2, lr=0.06),
    TrainConfig(impl="scratch", n=203, batch_size=5, epochs=2, optimizer="momentum", lr=0.01),
    TrainConfig(impl="manual", n=203, batch_size=5, epochs=2, loss="huber", lr=0.05),
    TrainConfig(impl="manual", n=203, batch_size=5, epochs=2, optimizer="adam", lr=0.05, init_std=1.0),
    TrainConfig(impl="manual", n=101, batch_size=50, epochs=3, lr=0.1),  # one global batch of 100, then 1 row
    TrainConfig(impl="manual", n=200, batch_size=5, epochs=3, lr=100),  # diverges
    TrainConfig(impl="closed", n=5000, true_w=(1.5, -2.0, 0.25)),
]


def _rank(rank: int, world: int, out: str, device: str = "cpu") -> None:
    """One rank, meeting the others as the single-node launcher's ranks do: a FileStore, gloo on loopback."""
    faulthandler.enable(all_threads=True)  # a rank that aborts (SIGABRT, once in a full run) prints where it was
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), GLOO_SOCKET_IFNAME="lo")
    os.environ.update(NCCL_SOCKET_IFNAME="lo", **{STORE_ENV: str(Path(out, "store"))})
    torch.set_num_threads(1)
    from tui_lab.core.train import parallel

    group = parallel.join(device, timeout_s=60)
    try:
        results = []
        for config in CASES:
            result = parallel.run(config, group)
            results.append(
                {
                    "status": result.status,
                    "w": list(fit_of(result).w),
                    "b": fit_of(result).b,
                    "epoch_losses": list(result.epoch_losses),
                    "steps": len(result.step_losses),
                    "diverged_at": result.diverged_at,
                    "samples": result.samples,
                    "notes": list(result.notes),
                }
            )
        Path(out, f"rank{rank}.json").write_text(json.dumps(results))
    finally:
        parallel.leave()


@pytest.fixture(scope="module")
def two_rank_results(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict]]:
    out = tmp_path_factory.mktemp("ranks")
    try:
        mp_spawn(_rank, args=(2, str(out)), nprocs=2, join=True)
    except ProcessExitedException as error:  # say whether the ranks had finished (an abort at exit) or not
        written = sorted(path.name for path in out.glob("rank*.json"))
        raise AssertionError(f"{error}; results written before it: {written or 'none'}") from error
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c.impl}-{c.optimizer}-{c.loss}-lr{c.lr:g}" for c in CASES])
def test_two_ranks_equal_one_process_with_twice_the_batch(case: int, two_rank_results: list[list[dict]]) -> None:
    config = CASES[case]
    alone = run(config.with_changes(batch_size=2 * config.batch_size))
    rank0, rank1 = two_rank_results[0][case], two_rank_results[1][case]
    assert rank0 == rank1  # every rank ends with the same parameters and decisions
    assert rank0["status"] == alone.status and rank0["diverged_at"] == (list(alone.diverged_at or []) or None)
    tolerance = 1e-6 if config.impl == "closed" else 1e-5
    assert rank0["w"] == pytest.approx(fit_of(alone).w, abs=tolerance, rel=tolerance)
    assert rank0["b"] == pytest.approx(fit_of(alone).b, abs=tolerance, rel=tolerance)
    assert rank0["epoch_losses"] == pytest.approx(alone.epoch_losses, rel=1e-4, abs=1e-9)
    assert rank0["steps"] == len(alone.step_losses) and rank0["samples"] == alone.samples
    assert f"global batch {2 * config.batch_size} = 2 × {config.batch_size}" in rank0["notes"][0]


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs (NCCL)")
def test_two_gpus_with_nccl_equal_one_gpu_with_twice_the_batch(tmp_path: Path) -> None:
    mp_spawn(_rank, args=(2, str(tmp_path), "cuda"), nprocs=2, join=True)
    results = json.loads((tmp_path / "rank0.json").read_text())
    for config, got in zip(CASES, results, strict=True):
        alone = run(config.with_changes(batch_size=2 * config.batch_size), "cuda", use_cuda_graphs=False)
        assert got["status"] == alone.status
        assert got["w"] == pytest.approx(fit_of(alone).w, abs=1e-4, rel=1e-4), config
        assert "nccl on cuda" in got["notes"][0]
