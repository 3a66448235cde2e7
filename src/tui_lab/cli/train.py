"""``tui-lab train``: the Train pane's engine, headless.

Prints one line per epoch in the course's format (``epoch 1, loss 0.000239``), then the
learned w, b and their errors; ``--json`` prints one JSON object instead. Exit status 0 on
success, 2 for bad arguments or data, 3 when the divergence guard stops the run.
``--help`` imports neither torch nor Textual.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui_lab.cli.train_output import finite_json, print_text, result_json, silence_stdout, write_output
from tui_lab.core.train.config import IMPLS, LOSSES, OPTIMIZERS, ConfigError, TrainConfig, parse_config

if TYPE_CHECKING:
    from tui_lab.core.train.outcome import Progress, ProgressCallback, TrainingOutcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DIVERGED = 0, 1, 2, 3

#: CLI option -> config field.
OPTION_FIELDS = {
    "impl": "impl",
    "n": "n",
    "true_w": "true_w",
    "true_b": "true_b",
    "noise": "noise",
    "data_seed": "data_seed",
    "lr": "lr",
    "batch_size": "batch_size",
    "epochs": "epochs",
    "optimizer": "optimizer",
    "momentum": "momentum",
    "loss": "loss",
    "delta": "huber_delta",
    "init_std": "init_std",
    "seed": "seed",
    "csv": "csv_path",
    "target": "target",
}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with status 2 and one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"tui-lab train: error: {message}\n(see tui-lab train --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``tui-lab train`` argument parser (every value is checked later, field by field)."""
    d = TrainConfig()
    parser = _Parser(
        prog="tui-lab train",
        description="Train linear regression (d2l 3.2-3.5) without the terminal UI.",
        epilog="exit status: 0 success, 2 bad arguments or data, 3 diverged",
    )
    add = parser.add_argument
    add("--impl", default=d.impl, help=f"{' | '.join(IMPLS)} (default: {d.impl})")
    add("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default: cpu)")
    add("--n", default=str(d.n), metavar="N", help=f"synthetic samples (default: {d.n})")
    add("--true-w", default="2,-3.4", metavar="W", help="true weights, comma separated (default: 2,-3.4)")
    add("--true-b", default=str(d.true_b), metavar="B", help=f"true bias (default: {d.true_b})")
    add("--noise", default=str(d.noise), metavar="SIGMA", help=f"noise std σ (default: {d.noise})")
    add("--data-seed", default=str(d.data_seed), metavar="S", help="seed of the synthetic data (default: 0)")
    add("--lr", default=str(d.lr), help=f"learning rate (default: {d.lr})")
    add("--batch-size", default=str(d.batch_size), metavar="B", help=f"minibatch size (default: {d.batch_size})")
    add("--epochs", default=str(d.epochs), metavar="E", help=f"epochs (default: {d.epochs})")
    add("--optimizer", default=d.optimizer, help=f"{' | '.join(OPTIMIZERS)} (default: {d.optimizer})")
    add("--momentum", default=str(d.momentum), metavar="MU", help=f"momentum μ (default: {d.momentum})")
    add("--loss", default=d.loss, help=f"{' | '.join(LOSSES)} (default: {d.loss})")
    add("--delta", default=str(d.huber_delta), metavar="D", help="Huber δ (default: 1)")
    add("--init-std", default=str(d.init_std), metavar="S", help=f"std of the initial weights (default: {d.init_std})")
    add("--seed", default=str(d.seed), metavar="S", help="seed of the initial weights and shuffling (default: 0)")
    add("--csv", default="", metavar="PATH", help="train on a CSV instead of synthetic data")
    add("--target", default="", metavar="COL", help="the CSV's target column")
    add("--json", action="store_true", help="print one JSON object instead of text")
    add_distributed_options(parser)
    return parser


def option_for(field: str) -> str:
    """The command-line option that sets config ``field`` (``true_b`` → ``--true-b``, ``csv_path`` → ``--csv``)."""
    options = {f: option for option, f in OPTION_FIELDS.items()}
    return "--" + options.get(field, field).replace("_", "-")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The config the arguments describe; raises ConfigError naming every bad option."""
    values = {field: getattr(args, option) for option, field in OPTION_FIELDS.items()}
    problems = usage_problems(args)
    if args.csv:
        values["data"] = "csv"
    else:
        values.pop("csv_path")
        values.pop("target")
    try:
        config = parse_config(values)
    except ConfigError as error:
        raise ConfigError({**{option_for(f): m for f, m in error.errors.items()}, **problems}) from None
    if problems:
        raise ConfigError(problems)
    return config


def usage_problems(args: argparse.Namespace) -> dict[str, str]:
    """Options that parse but make no sense together (each would otherwise be silently ignored)."""
    problems: dict[str, str] = {}
    if args.target and not args.csv:
        problems["--target"] = "needs --csv PATH (the target is a column of that CSV)"
    if str(args.impl).strip().lower() == "model":
        problems["--impl"] = "model trains a workspace nn.Module: use the Train pane (tui-lab --pane train)"
    return problems


_NEGATIVE = re.compile(r"^-\.?\d")


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """``--true-w -3.4,2`` as ``--true-w=-3.4,2``: argparse would take ``-3.4,2`` for an option."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and _NEGATIVE.match(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tui-lab train``; returns the exit status."""
    args = build_parser().parse_args(join_negative_values(sys.argv[1:] if argv is None else argv))
    try:
        config = config_from_args(args)
    except ConfigError as error:
        for option, message in error.errors.items():
            print(f"tui-lab train: error: {option}: {message}", file=sys.stderr)
        return EXIT_USAGE

    if wants_distributed(args):
        return main_distributed(args, config, list(sys.argv[1:] if argv is None else argv))

    from tui_lab.core.devices import DeviceError
    from tui_lab.core.train.data import DataError
    from tui_lab.core.train.runner import run

    try:
        result = run(config, args.device, on_progress=progress_printer(args.progress_jsonl))
    except DeviceError as error:
        print(f"tui-lab train: error: --device: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as error:
        print(f"tui-lab train: error: {option_for(error.field)}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.progress_jsonl:
        print_event(result_event(result, 1))
    else:
        write_output(result, args.json)
    return exit_status(result)


# -- data-parallel runs (torch.distributed, launched through torchrun) and the JSON-lines protocol --


def add_distributed_options(parser: argparse.ArgumentParser) -> None:
    """``--nproc-per-node N [--nnodes M --node-rank R --rdzv-endpoint HOST:PORT]`` and ``--progress-jsonl``."""
    group = parser.add_argument_group(
        "data parallel", "train with several processes through torch.distributed (gloo on cpu, NCCL on cuda)"
    )
    add = group.add_argument
    add(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="processes on this node; cuda: one GPU each (default: 1)",
    )
    add("--nnodes", type=int, default=1, metavar="M", help="nodes in the run (default: 1)")
    add("--node-rank", type=int, default=0, metavar="R", help="this node's rank, 0..M-1 (default: 0)")
    add("--rdzv-endpoint", default="", metavar="HOST:PORT", help="node 0's address for the rendezvous (several nodes)")
    add("--rdzv-timeout", type=int, default=300, metavar="S", help="seconds to wait for every node (default: 300)")
    add(
        "--progress-jsonl", action="store_true", help="print progress and the result as JSON lines (for the Train pane)"
    )


def wants_distributed(args: argparse.Namespace) -> bool:
    """True when the arguments ask for more than one process."""
    return bool(args.nproc_per_node != 1 or args.nnodes != 1)


def distributed_problems(args: argparse.Namespace) -> dict[str, str]:
    """What is wrong with the data-parallel options, per option."""
    from tui_lab.core.train.config import MAX_PROCESSES

    problems: dict[str, str] = {}
    if not 1 <= args.nproc_per_node <= MAX_PROCESSES:
        problems["--nproc-per-node"] = f"must be in 1..{MAX_PROCESSES}, got {args.nproc_per_node}"
    if args.nnodes < 1:
        problems["--nnodes"] = f"must be ≥ 1, got {args.nnodes}"
    elif not 0 <= args.node_rank < args.nnodes:
        problems["--node-rank"] = f"must be in 0..{args.nnodes - 1}, got {args.node_rank}"
    if args.nnodes > 1 and not re.fullmatch(r"\[?[\w.:-]+\]?:\d{1,5}", args.rdzv_endpoint):
        problems["--rdzv-endpoint"] = "several nodes need node 0's HOST:PORT, e.g. --rdzv-endpoint node0:29500"
    elif args.nnodes == 1 and args.rdzv_endpoint.strip():
        problems["--rdzv-endpoint"] = "only for --nnodes > 1 (one node needs no rendezvous on the network)"
    if args.rdzv_timeout < 1:
        problems["--rdzv-timeout"] = f"must be ≥ 1 second, got {args.rdzv_timeout}"
    device = str(args.device).strip().lower()
    if device not in ("cpu", "cuda"):
        problems["--device"] = "with several processes use cpu (gloo) or cuda (NCCL, cuda:LOCAL_RANK per process)"
    if args.json and args.progress_jsonl:
        problems["--json"] = "--progress-jsonl already ends with the result as JSON; give one of them"
    return problems


def _gpu_problems(args: argparse.Namespace) -> dict[str, str]:
    """With --device cuda: this node needs a GPU for each of its processes."""
    if str(args.device).strip().lower() != "cuda":
        return {}
    from tui_lab.core.devices import DeviceError, available_devices, resolve_device

    try:
        resolve_device("cuda")
    except DeviceError as error:
        return {"--device": str(error)}
    gpus = sum(1 for d in available_devices() if d.startswith("cuda"))
    if args.nproc_per_node > gpus:
        return {"--nproc-per-node": f"{args.nproc_per_node} processes need as many GPUs; this node has {gpus}"}
    return {}


def print_event(event: dict[str, object]) -> None:
    """One JSON line on stdout, flushed at once (a reader that went away ends output quietly)."""
    try:
        print(json.dumps(finite_json(event)), flush=True)
    except BrokenPipeError:
        silence_stdout()


def exit_status(result: TrainingOutcome) -> int:
    """0 finished, 3 diverged, 1 stopped or failed."""
    from tui_lab.core.train.outcome import RunStatus

    return {RunStatus.FINISHED: EXIT_OK, RunStatus.DIVERGED: EXIT_DIVERGED}.get(result.status, EXIT_FAILED)


def progress_event(progress: Progress) -> dict[str, object]:
    """A :class:`~tui_lab.core.train.outcome.Progress` as the
    ``{"event": "progress", …}`` line of ``--progress-jsonl``."""
    return {
        "event": "progress",
        "epoch": progress.epoch,
        "epochs": progress.epochs,
        "step": progress.step,
        "steps_total": progress.steps_total,
        "steps_per_epoch": progress.steps_per_epoch,
        "new_step_losses": [float(v) for v in progress.new_step_losses],
        "epoch_losses": list(progress.epoch_losses),
        "w": list(progress.w),
        "b": progress.b,
        "elapsed": progress.elapsed,
        "samples_per_s": progress.samples_per_s,
        "eta": progress.eta,
        "cuda_memory": progress.cuda_memory,
    }


def result_event(result: TrainingOutcome, world_size: int) -> dict[str, object]:
    """The run's result as the last line of ``--progress-jsonl`` (the ``--json`` object plus the topology)."""
    return {"event": "result", **distributed_json(result, world_size)}


def distributed_json(result: TrainingOutcome, world_size: int) -> dict[str, object]:
    """``result_json`` plus processes, global batch, notes and peak CUDA memory."""
    return {
        **result_json(result),
        "world_size": world_size,
        "global_batch": world_size * result.config.batch_size,
        "notes": list(result.notes),
        "peak_cuda_memory": result.peak_cuda_memory,
    }


def progress_printer(enabled: bool) -> ProgressCallback | None:
    """``on_progress`` for ``--progress-jsonl`` (None when off)."""
    return (lambda progress: print_event(progress_event(progress))) if enabled else None


def main_distributed(args: argparse.Namespace, config: TrainConfig, argv: list[str]) -> int:
    """Launch the ranks through torchrun (or, inside a rank, train as one of them)."""
    from tui_lab.core.train import distributed

    if distributed.is_rank():
        return _rank_main(args, config)
    problems = distributed_problems(args) or _gpu_problems(args)
    for option, message in problems.items():
        print(f"tui-lab train: error: {option}: {message}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    spec = distributed.LaunchSpec(
        args.nproc_per_node, args.nnodes, args.node_rank, args.rdzv_endpoint.strip(), args.rdzv_timeout
    )
    if spec.nnodes > 1:
        print(f"tui-lab train: warning: {distributed.MULTI_NODE_WARNING}", file=sys.stderr, flush=True)

    def forward(line: str) -> None:
        try:
            print(line, flush=True)
        except BrokenPipeError:
            silence_stdout()

    from tui_lab.core.train.launch import launch

    outcome = launch(spec, argv, forward)
    if outcome.error is not None:
        if args.progress_jsonl:
            print_event({"event": "error", "message": outcome.error})
        print(f"tui-lab train: error: {outcome.error}", file=sys.stderr)
        return EXIT_FAILED
    if outcome.message:
        print(outcome.message, file=sys.stderr)
    return EXIT_FAILED if outcome.exit_status is None else outcome.exit_status


def _rank_main(args: argparse.Namespace, config: TrainConfig) -> int:
    """One rank: join the group, train, and on rank 0 print the output and leave the exit status."""
    from tui_lab.core.train import distributed, parallel
    from tui_lab.core.train.data import DataError

    rank = int(os.environ["RANK"])
    distributed.register_rank()
    sys.stderr = open(distributed.rank_error_file(), "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    if rank != 0:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    try:
        group = parallel.join(args.device)
    except Exception as error:  # a rank that cannot join says so in one line; the launcher reports it
        print(f"tui-lab train: rank {rank} could not join the process group: {_first_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    try:
        pids = parallel.gather_pids()
        world = group.world
        if rank == 0 and args.progress_jsonl:
            print_event(
                {
                    "event": "start",
                    "world_size": world,
                    "global_batch": world * config.batch_size,
                    "backend": group.backend,
                    "pids": pids,
                    "config": config.to_dict(),
                }
            )
        elif rank == 0 and not args.json:
            batch = config.batch_size
            print(
                f"data parallel: {world} processes ({group.backend}), global batch {world * batch} = {world} × {batch}",
                flush=True,
            )
        result = parallel.run(config, group, progress_printer(rank == 0 and args.progress_jsonl))
    except DataError as error:
        if rank == 0:
            distributed.write_status(EXIT_USAGE, f"tui-lab train: error: {option_for(error.field)}: {error}")
        return EXIT_OK
    except Exception as error:  # a collective failed (a peer died) or training broke: one line, no traceback
        print(f"tui-lab train: rank {rank}: {_first_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        parallel.leave()
    if rank == 0:
        if args.progress_jsonl:
            print_event(result_event(result, world))
        elif args.json:
            print_event(distributed_json(result, world))
        else:
            print_text(result)
        status = exit_status(result)
        distributed.write_status(status, None if status == EXIT_OK else result.message)
    return EXIT_OK


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def rank_main() -> int:
    """The entry torchrun starts in every rank: ``main`` with the launcher's arguments."""
    from tui_lab.core.train.distributed import rank_args

    return main(rank_args())


if __name__ == "__main__":
    sys.exit(rank_main())
