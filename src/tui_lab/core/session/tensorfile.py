"""Tensors to and from safetensors files, written in slices so a save can report progress and stop.

The format is safetensors' own (8-byte little-endian header length, a JSON header with each
tensor's dtype, shape and byte range, then the raw bytes), read back by the ``safetensors``
library itself, which never unpickles anything. Writing is done here rather than through
``safetensors.torch.save_file`` because that call builds the whole file in memory first and
cannot be interrupted: here each tensor's bytes go straight from its memory to the file in
8 MiB slices (the GIL is released during each write), between which ``should_stop`` is checked.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from tui_lab.core.session.model import SaveStopped

#: torch dtype -> safetensors dtype name (the ones safetensors can read back).
DTYPES: dict[torch.dtype, str] = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL", torch.complex64: "C64", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
    torch.uint16: "U16", torch.uint32: "U32", torch.uint64: "U64",
}  # fmt: skip
SLICE_BYTES = 8 * 1024 * 1024


def unsupported_reason(tensor: torch.Tensor) -> str | None:
    """Why ``tensor`` cannot go into a safetensors file, or None when it can."""
    if tensor.layout != torch.strided:
        return f"{tensor.layout} tensors are not saved (only dense ones)"
    if tensor.dtype not in DTYPES:
        return f"dtype {tensor.dtype} has no safetensors encoding"
    if tensor.device.type == "meta":
        return "a meta tensor holds no data"
    return None


def _host_bytes(tensor: torch.Tensor) -> memoryview:
    """The tensor's bytes in row-major order, on the CPU, without a copy when it already is."""
    flat = tensor.detach()
    if flat.device.type != "cpu":
        flat = flat.cpu()
    flat = flat.resolve_conj().resolve_neg().contiguous().reshape(-1)
    if flat.numel() == 0:
        return memoryview(b"")
    return memoryview(flat.view(torch.uint8).numpy()).cast("B")  # type: ignore[arg-type]


def write_tensors(
    path: Path,
    tensors: Mapping[str, torch.Tensor],
    *,
    on_bytes: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> int:
    """Write ``tensors`` to ``path`` as safetensors, fsync it, and return its size in bytes.

    ``on_bytes(n, name)`` is told about every slice written; ``should_stop`` is checked
    between slices and raises :class:`SaveStopped` (the partial file is the caller's to remove).
    """
    header: dict[str, object] = {}  # JSON: "__metadata__" and one entry per tensor
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    order = list(tensors.items())
    for name, tensor in order:
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, struct.pack("<Q", len(head)) + head)
        for name, tensor in order:
            data = _host_bytes(tensor)
            for start in range(0, len(data), SLICE_BYTES):
                if should_stop is not None and should_stop():
                    raise SaveStopped
                piece = data[start : start + SLICE_BYTES]
                written = 0
                while written < len(piece):
                    written += os.write(fd, piece[written:])
                if on_bytes is not None:
                    on_bytes(len(piece), name)
            del data
        os.fsync(fd)
    finally:
        os.close(fd)
    return 8 + len(head) + offset


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor in a safetensors file, on the CPU (the library checks the header and sizes)."""
    from safetensors.torch import load_file

    return load_file(str(path), device="cpu")
