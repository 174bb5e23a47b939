"""Process check: is a process (found by name or pid file) running, and how often has it restarted.

A restart is a change of the process's identity (pid and start time, so a reused pid is not missed)
between two runs of the check; the count since the agent started and the count in the last hour (what
escalation's `worker_crash_threshold` compares with) are in the details.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from glm3.servers.ops.checks_core import Clock, Observation
from glm3.servers.ops.models import HealthStatus

if TYPE_CHECKING:
    from glm3.servers.ops.checks import ProcessCheck

__all__ = ["ProcessWatch"]

RESTART_WINDOW_S = 3600.0


@dataclass(frozen=True, slots=True)
class _Found:
    process: psutil.Process
    matches: int  # processes that matched the name (1 for a pid file)


class _Missing(Exception):
    """The process is not there; the message says why, `error` is the short code for details."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error


def _argv0(info: dict[str, Any]) -> str:
    cmdline = info.get("cmdline") or []
    return os.path.basename(cmdline[0]) if cmdline else ""


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class ProcessWatch:
    """Watches one configured process across runs; `observe` blocks (psutil), so call it in a thread."""

    def __init__(self, check: ProcessCheck, clock: Clock) -> None:
        self.check = check
        self._clock = clock
        self._lock = threading.Lock()
        self._identity: tuple[int, float] | None = None
        self._process: psutil.Process | None = None  # kept so cpu_percent measures since the last run
        self._restarts = 0
        self._restart_times: deque[float] = deque()

    @property
    def subject(self) -> str:
        check = self.check
        if check.process_name:
            return f"process {check.process_name!r}"
        return f"process from pid file {check.pid_file}"

    def observe(self) -> Observation:
        with self._lock:
            now = self._clock()
            try:
                found = self._find()
            except _Missing as missing:
                self._process = None
                absent: dict[str, Any] = {"running": False, "error": missing.error}
                return self._observation(HealthStatus.CRITICAL, str(missing), absent, now)
            return self._running(found, now)

    def _find(self) -> _Found:
        if self.check.pid_file:
            return _Found(self._from_pid_file(self.check.pid_file), 1)
        name = self.check.process_name or ""
        matches = []
        for proc in psutil.process_iter(["name", "exe", "cmdline", "create_time", "status"]):
            info = proc.info
            if info.get("status") == psutil.STATUS_ZOMBIE:
                continue
            exe = os.path.basename(info.get("exe") or "")
            if name in (info.get("name"), exe, _argv0(info)):
                matches.append(proc)
        if not matches:
            raise _Missing(f"process {name!r} is not running", "not_running")
        oldest = min(matches, key=lambda proc: (proc.info.get("create_time") or 0.0, proc.pid))
        return _Found(oldest, len(matches))

    @staticmethod
    def _from_pid_file(path: str) -> psutil.Process:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")[:64].strip()
        except FileNotFoundError:
            raise _Missing(f"pid file {path} is missing (process not running?)", "pid_file_missing") from None
        except OSError as exc:
            message = f"cannot read pid file {path}: {exc.strerror or exc}"
            raise _Missing(message, "pid_file_unreadable") from None
        if not text.isdigit() or int(text) <= 0:
            raise _Missing(f"pid file {path} does not hold a pid ({text[:20]!r})", "pid_file_invalid")
        pid = int(text)
        try:
            process = psutil.Process(pid)
        except psutil.NoSuchProcess:
            message = f"process from pid file {path} (pid {pid}) is not running"
            raise _Missing(message, "not_running") from None
        if not _alive(process):
            raise _Missing(f"process from pid file {path} (pid {pid}) is not running (zombie)", "not_running")
        return process

    def _running(self, found: _Found, now: float) -> Observation:
        process = found.process
        try:
            identity = (process.pid, process.create_time())
        except psutil.NoSuchProcess:
            self._process = None
            gone: dict[str, Any] = {"running": False, "error": "not_running"}
            return self._observation(HealthStatus.CRITICAL, f"{self.subject} is not running", gone, now)
        if self._identity is not None and identity != self._identity:
            self._restarts += 1
            self._restart_times.append(now)
        if identity != self._identity or self._process is None:
            self._process = process
        self._identity = identity
        details: dict[str, Any] = {
            "running": True,
            "pid": identity[0],
            "uptime_s": round(max(0.0, time.time() - identity[1]), 1),
            "matches": found.matches,
            **_usage(self._process),
        }
        recent = self._recent(now)
        limit = self.check.degraded_restarts_per_hour
        label = f"{self.subject} (pid {identity[0]})"
        if limit is not None and recent >= limit:
            message = f"{label} restarted {recent} times in the last hour (degraded at {limit})"
            return self._observation(HealthStatus.DEGRADED, message, details, now)
        restarted = f", restarted {recent} times in the last hour" if recent else ""
        return self._observation(HealthStatus.HEALTHY, f"{label} is running{restarted}", details, now)

    def _recent(self, now: float) -> int:
        while self._restart_times and now - self._restart_times[0] > RESTART_WINDOW_S:
            self._restart_times.popleft()
        return len(self._restart_times)

    def _observation(
        self, status: HealthStatus, message: str, details: dict[str, Any], now: float
    ) -> Observation:
        check = self.check
        where = {"process_name": check.process_name} if check.process_name else {"pid_file": check.pid_file}
        details.setdefault("pid", None)
        return Observation(
            status,
            message,
            {**where, **details, "restarts": self._restarts, "restarts_last_hour": self._recent(now)},
        )


def _usage(process: psutil.Process) -> dict[str, Any]:
    """cpu_percent (since the previous run; 0.0 at first sight) and rss_bytes; None where access is denied."""
    usage: dict[str, Any] = {"cpu_percent": None, "rss_bytes": None}
    try:
        with process.oneshot():
            usage["cpu_percent"] = process.cpu_percent(interval=None)
            usage["rss_bytes"] = process.memory_info().rss
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        pass
    return usage
