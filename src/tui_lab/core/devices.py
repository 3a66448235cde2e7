"""Torch devices: parse a spec, list what exists, resolve one.

``parse_device_spec`` never imports torch, so argparse can use it for ``--help``. Tests pretend
a host with ``override_devices`` (the ``fake_gpu_host`` and ``cpu_only_host`` fixtures), so what a
test sees never depends on the machine it runs on. The status bar's text for a device is the UI's
(``tui_lab.ui.app.device_status_label``, which reads cards through :mod:`tui_lab.core.gpu`).
"""

from __future__ import annotations

import re

_SPEC = re.compile(r"^(cpu|mps|cuda)(?::(\d+))?$")
_override: list[str] | None = None


def override_devices(devices: list[str] | None) -> None:
    """Pretend this host has exactly ``devices`` (tests); None goes back to the real host."""
    global _override
    _override = None if devices is None else list(devices)


def devices_overridden() -> bool:
    """True while a pretend device list is in force."""
    return _override is not None


class DeviceError(ValueError):
    """A device that is malformed or does not exist on this machine."""


def parse_device_spec(spec: str) -> str:
    """Normalise ``cpu``, ``cuda``, ``cuda:N`` or ``mps``; raise DeviceError otherwise."""
    text = spec.strip().lower()
    match = _SPEC.match(text)
    if not match or (match.group(2) is not None and match.group(1) != "cuda"):
        raise DeviceError(f"unknown device {spec!r}: use cpu, cuda, cuda:N or mps")
    return text


def available_devices() -> list[str]:
    """Every device torch can use here: cpu, then cuda:0..N-1, then mps."""
    if _override is not None:
        return list(_override)
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(spec: str) -> str:
    """The concrete device for ``spec`` (``cuda`` becomes ``cuda:0``), or DeviceError saying why not."""
    wanted = parse_device_spec(spec)
    devices = available_devices()
    if wanted == "cuda":
        wanted = "cuda:0"
    if wanted in devices:
        return wanted
    if wanted.startswith("cuda"):
        gpus = [d for d in devices if d.startswith("cuda")]
        if not gpus:
            import torch

            why = "this torch build has no CUDA" if torch.version.cuda is None else "no NVIDIA GPU is visible"
            why = "no NVIDIA GPU is visible" if _override is not None else why
            raise DeviceError(f"{spec} is not available: {why}. Devices here: {', '.join(devices)}.")
        raise DeviceError(f"{spec} is not available: this machine has {len(gpus)} GPU(s), {', '.join(gpus)}.")
    raise DeviceError(f"{spec} is not available here. Devices here: {', '.join(devices)}.")
