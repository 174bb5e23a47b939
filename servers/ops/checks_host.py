"""Host checks of this machine: disk per mount, memory, swap and cpu load, read through a `HostReader`.

The reader only returns numbers (the default one asks psutil); turning them into statuses and messages a
person understands happens here, so tests can drive every threshold with scripted readings.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import psutil

from glm3.servers.ops.checks_core import Observation, Threshold
from glm3.servers.ops.models import HealthStatus

if TYPE_CHECKING:
    from glm3.servers.ops.checks import HostChecksSection

__all__ = [
    "CpuReading",
    "CpuWindow",
    "DiskReading",
    "HostReader",
    "MemoryReading",
    "PsutilHostReader",
    "SwapReading",
    "check_cpu",
    "check_disk",
    "check_memory",
    "check_swap",
    "format_bytes",
]

# Filesystems that are not real local storage, or are read-only images that are always 100 % full.
_SKIPPED_FSTYPES = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
        "efivarfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs", "proc", "pstore", "ramfs",
        "securityfs", "squashfs", "sysfs", "tracefs", "udf", "cifs", "smb3", "nfs", "nfs4", "9p",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DiskReading:
    total_bytes: int
    used_bytes: int
    free_bytes: int
    percent: float  # used / (used + free): what users can fill, as `df` shows it


@dataclass(frozen=True, slots=True)
class MemoryReading:
    total_bytes: int
    available_bytes: int
    used_bytes: int
    percent: float  # (total - available) / total


@dataclass(frozen=True, slots=True)
class SwapReading:
    total_bytes: int
    used_bytes: int
    free_bytes: int
    percent: float


@dataclass(frozen=True, slots=True)
class CpuReading:
    load1: float  # 1-minute load average
    cpu_count: int

    @property
    def load_per_core(self) -> float:
        return self.load1 / max(1, self.cpu_count)


class HostReader(Protocol):
    """Where host numbers come from. Methods may block (a hung network mount): they run in a thread."""

    def mounts(self) -> list[str]: ...

    def disk(self, mount: str) -> DiskReading: ...

    def memory(self) -> MemoryReading: ...

    def swap(self) -> SwapReading: ...

    def cpu(self) -> CpuReading: ...


class PsutilHostReader:
    """Reads this machine through psutil."""

    def mounts(self) -> list[str]:
        """Every real local, writable filesystem, one mount point per device (the shortest)."""
        by_device: dict[str, str] = {}
        for part in psutil.disk_partitions(all=False):
            opts = set(part.opts.split(","))
            if part.fstype in _SKIPPED_FSTYPES or part.fstype.startswith("fuse.") or "ro" in opts:
                continue
            if not os.path.isdir(part.mountpoint):  # bind-mounted files such as /etc/hosts
                continue
            known = by_device.get(part.device)
            if known is None or len(part.mountpoint) < len(known):
                by_device[part.device] = part.mountpoint
        return sorted(by_device.values())

    def disk(self, mount: str) -> DiskReading:
        usage = psutil.disk_usage(mount)
        return DiskReading(usage.total, usage.used, usage.free, float(usage.percent))

    def memory(self) -> MemoryReading:
        mem = psutil.virtual_memory()
        return MemoryReading(mem.total, mem.available, mem.total - mem.available, float(mem.percent))

    def swap(self) -> SwapReading:
        swap = psutil.swap_memory()
        return SwapReading(swap.total, swap.used, swap.free, float(swap.percent))

    def cpu(self) -> CpuReading:
        return CpuReading(psutil.getloadavg()[0], psutil.cpu_count() or 1)


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _level_note(threshold: Threshold) -> str:
    """'critical at 95%' or 'warning at 90%' for the level the value reached, '' below both."""
    status = threshold.status()
    if status is HealthStatus.CRITICAL:
        return f"critical at {threshold.critical:g}{threshold.unit}"
    if status is HealthStatus.DEGRADED:
        return f"warning at {threshold.warning:g}{threshold.unit}"
    return ""


def check_disk(reader: HostReader, mount: str, cfg: HostChecksSection) -> Observation:
    reading = reader.disk(mount)
    threshold = Threshold(reading.percent, cfg.disk_warning, cfg.disk_critical, cfg.recovery_margin, "%")
    note = _level_note(threshold) or f"{format_bytes(reading.free_bytes)} free"
    return Observation(
        threshold.status(),
        f"disk {mount} is {reading.percent:.1f}% full ({note})",
        {
            "mount": mount,
            "percent": reading.percent,
            "used_bytes": reading.used_bytes,
            "free_bytes": reading.free_bytes,
            "total_bytes": reading.total_bytes,
            "warning_percent": cfg.disk_warning,
            "critical_percent": cfg.disk_critical,
        },
        threshold,
    )


def check_memory(reader: HostReader, cfg: HostChecksSection) -> Observation:
    reading = reader.memory()
    threshold = Threshold(reading.percent, cfg.memory_warning, cfg.memory_critical, cfg.recovery_margin, "%")
    available = f"{format_bytes(reading.available_bytes)} available"
    note = "; ".join(part for part in (_level_note(threshold), available) if part)
    return Observation(
        threshold.status(),
        f"memory is {reading.percent:.1f}% used ({note})",
        {
            "percent": reading.percent,
            "used_bytes": reading.used_bytes,
            "available_bytes": reading.available_bytes,
            "total_bytes": reading.total_bytes,
            "warning_percent": cfg.memory_warning,
            "critical_percent": cfg.memory_critical,
        },
        threshold,
    )


def check_swap(reader: HostReader, cfg: HostChecksSection) -> Observation:
    reading = reader.swap()
    details = {
        "percent": reading.percent,
        "used_bytes": reading.used_bytes,
        "free_bytes": reading.free_bytes,
        "total_bytes": reading.total_bytes,
        "warning_percent": cfg.swap_warning,
        "critical_percent": cfg.swap_critical,
    }
    if reading.total_bytes <= 0:
        return Observation(HealthStatus.HEALTHY, "no swap configured", details)
    threshold = Threshold(reading.percent, cfg.swap_warning, cfg.swap_critical, cfg.recovery_margin, "%")
    of_total = f"{format_bytes(reading.used_bytes)} of {format_bytes(reading.total_bytes)}"
    note = _level_note(threshold) or of_total
    message = f"swap is {reading.percent:.1f}% used ({note})"
    return Observation(threshold.status(), message, details, threshold)


class CpuWindow:
    """Load-per-core samples (one per run) of the last `window_s` seconds, averaged."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, now: float, load_per_core: float) -> tuple[float, int]:
        """Adds a sample; returns the average over the window and the number of samples in it."""
        self._samples.append((now, load_per_core))
        while self._samples and now - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        values = [value for _, value in self._samples]
        return sum(values) / len(values), len(values)


def check_cpu(reading: CpuReading, window: CpuWindow, now: float, cfg: HostChecksSection) -> Observation:
    """Adds `reading` to the window (call on the event loop: the window is not thread-safe)."""
    average, samples = window.add(now, reading.load_per_core)
    threshold = Threshold(average, cfg.cpu_warning, cfg.cpu_critical, cfg.cpu_recovery_margin)
    note = _level_note(threshold) or f"{reading.cpu_count} cores"
    return Observation(
        threshold.status(),
        f"load is {average:.2f} per core over {window.window_s:g} s ({note})",
        {
            "load_per_core": round(average, 4),
            "load_per_core_now": round(reading.load_per_core, 4),
            "load1": reading.load1,
            "cpu_count": reading.cpu_count,
            "samples": samples,
            "window_s": window.window_s,
            "warning": cfg.cpu_warning,
            "critical": cfg.cpu_critical,
        },
        threshold,
    )
