"""The ops checks: their settings, and the runner that runs them concurrently into stable `CheckResult`s.

Host checks (`host.disk:<mount>`, `host.memory`, `host.swap`, `host.cpu`) read this machine through a
`HostReader`; service checks (`http`, `tcp`, `grpc`, `process`) are configured as a list discriminated by
`kind`, e.g. in YAML:

    - {kind: http, name: brain_api, url: "http://localhost:8080/health", timeout_s: 5}
    - {kind: grpc, name: scoring, target: "localhost:50051"}
    - {kind: process, name: worker, pid_file: /run/glm3/worker.pid}

Statuses go through `Hysteresis`, so a value hovering at a threshold or a single failed probe does not flap
the reported status; the status the check measured this time is in `details["raw_status"]` when it differs.
A check that hangs past its guard time or crashes is UNKNOWN; `run` never hangs and never raises for it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Annotated, Any, Literal

import aiohttp
import grpc
from pydantic import AfterValidator, Field, TypeAdapter, ValidationInfo, field_validator, model_validator

from glm3.servers.common.errors import FailedPrecondition, NotFound
from glm3.servers.common.settings import HttpUrlStr, Section
from glm3.servers.ops.checks_core import Clock, Hysteresis, Observation, Pending, Threshold
from glm3.servers.ops.checks_host import (
    CpuReading,
    CpuWindow,
    DiskReading,
    HostReader,
    MemoryReading,
    PsutilHostReader,
    SwapReading,
    check_cpu,
    check_disk,
    check_memory,
    check_swap,
)
from glm3.servers.ops.checks_net import grpc_channel, probe_grpc, probe_http, probe_tcp
from glm3.servers.ops.checks_process import ProcessWatch
from glm3.servers.ops.models import CheckResult, HealthStatus, utcnow

__all__ = [
    "CheckRunner",
    "CpuReading",
    "DiskReading",
    "GrpcHealthCheck",
    "HostChecksSection",
    "HostReader",
    "HttpCheck",
    "Hysteresis",
    "MemoryReading",
    "Observation",
    "Pending",
    "ProcessCheck",
    "PsutilHostReader",
    "ServiceCheck",
    "ServiceCheckList",
    "SwapReading",
    "TcpCheck",
    "Threshold",
    "parse_service_checks",
]

log = logging.getLogger("glm3.ops.checks")

HOST_PREFIX = "host."
# Network probes bound themselves by `timeout_s`; the runner allows this much more before calling them hung.
GUARD_GRACE_S = 0.5


# --- settings ---------------------------------------------------------------------------------------------


def _percent(default: float, description: str) -> Any:
    return Field(default, gt=0, le=100, description=description)


class HostChecksSection(Section):
    """Checks of the machine the ops server runs on. Thresholds: a value >= the level reaches it."""

    enabled: bool = Field(True, description="run the host checks (disk, memory, swap, cpu) of this machine")
    disk_warning: float = _percent(90.0, "disk use (% of a filesystem) reported degraded")
    disk_critical: float = _percent(95.0, "disk use (% of a filesystem) reported critical")
    memory_warning: float = _percent(90.0, "memory use (% of RAM not available) reported degraded")
    memory_critical: float = _percent(95.0, "memory use (% of RAM not available) reported critical")
    swap_warning: float = _percent(80.0, "swap use (%) reported degraded; a machine without swap is healthy")
    swap_critical: float = _percent(95.0, "swap use (%) reported critical")
    cpu_warning: float = Field(
        0.9, gt=0, le=1000, description="load average per core (averaged over cpu_window_s) reported degraded"
    )
    cpu_critical: float = Field(
        1.5, gt=0, le=1000, description="load average per core (averaged over cpu_window_s) reported critical"
    )
    cpu_window_s: float = Field(
        60.0, gt=0, le=86400, description="seconds of cpu samples (one per run) averaged for the cpu check"
    )
    mounts: list[str] = Field(
        default_factory=list,
        description="mount points to watch (comma-separated in the environment); empty watches every real "
        "local writable filesystem (no squashfs, tmpfs, network or read-only mounts)",
    )
    hold_s: float = Field(
        120.0,
        ge=0,
        le=86400,
        description="seconds a new host status (worse or better) must hold before it is reported; 0 reports "
        "every change at once",
    )
    recovery_margin: float = Field(
        2.0,
        ge=0,
        lt=50,
        description="percentage points below a disk, memory or swap threshold a value must fall to recover, "
        "so a value hovering at a threshold does not flap",
    )
    cpu_recovery_margin: float = Field(
        0.1, ge=0, description="load per core below a cpu threshold the load must fall to recover"
    )
    timeout_s: float = Field(
        5.0, gt=0, le=300, description="a host check slower than this (e.g. a hung network mount) is unknown"
    )

    @field_validator("mounts", mode="before")
    @classmethod
    def _split_mounts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("mounts")
    @classmethod
    def _absolute_mounts(cls, value: list[str]) -> list[str]:
        for mount in value:
            if not mount.startswith("/"):
                raise ValueError(f"mount point {mount!r} must be an absolute path")
        return list(dict.fromkeys(value))

    # On the critical field (validated after its warning), so a config error names a key, not the section.
    @field_validator("disk_critical", "memory_critical", "swap_critical", "cpu_critical")
    @classmethod
    def _critical_above_warning(cls, value: float, info: ValidationInfo) -> float:
        kind = str(info.field_name).removesuffix("_critical")
        warning = info.data.get(f"{kind}_warning")
        if warning is not None and value <= warning:
            raise ValueError(f"must be above {kind}_warning ({warning:g})")
        return value


class _ServiceCheckBase(Section):
    name: str = Field(
        min_length=1,
        max_length=128,
        description="name of the check as reported (e.g. scoring); unique; 'host.' names are reserved",
    )
    timeout_s: float = Field(5.0, gt=0, le=300, description="seconds the probe may take before it fails")
    hold_s: float = Field(
        0.0,
        ge=0,
        le=86400,
        description="seconds a new status must hold before it is reported; 0 reports every change at once "
        "(escalation's service_down_threshold already waits before alerting)",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with whitespace")
        if not value.isprintable():
            raise ValueError("must not contain control characters")
        if value.startswith(HOST_PREFIX):
            raise ValueError(f"names starting with {HOST_PREFIX!r} are reserved for the host checks")
        return value


class HttpCheck(_ServiceCheckBase):
    """An HTTP(S) endpoint answers with an expected status (the seed's SERVICES entries)."""

    kind: Literal["http"] = Field("http", description="check kind")
    url: HttpUrlStr = Field(min_length=1, max_length=2048, description="http:// or https:// URL to request")
    method: Literal["GET", "HEAD", "POST"] = Field("GET", description="HTTP method (POST sends no body)")
    expected_status: int | list[int] = Field(
        200, description="status code (or list of codes) that means healthy; anything else is critical"
    )
    degraded_latency_ms: float | None = Field(
        None, gt=0, description="an expected answer slower than this (ms) is degraded; unset never"
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("expected_status")
    @classmethod
    def _status_codes(cls, value: int | list[int]) -> int | list[int]:
        codes = value if isinstance(value, list) else [value]
        if not codes:
            raise ValueError("must name at least one status code")
        for code in codes:
            if not 100 <= code <= 599:
                raise ValueError(f"{code} is not an HTTP status code (100-599)")
        return value

    @property
    def expected_statuses(self) -> tuple[int, ...]:
        codes = self.expected_status if isinstance(self.expected_status, list) else [self.expected_status]
        return tuple(sorted(set(codes)))


class TcpCheck(_ServiceCheckBase):
    """A TCP port accepts connections."""

    kind: Literal["tcp"] = Field("tcp", description="check kind")
    host: str = Field(min_length=1, max_length=253, description="host name or IP address to connect to")
    port: int = Field(ge=1, le=65535, description="TCP port to connect to")


class GrpcHealthCheck(_ServiceCheckBase):
    """A gRPC server answers `grpc.health.v1.Health/Check` with SERVING."""

    kind: Literal["grpc"] = Field("grpc", description="check kind")
    target: str = Field(min_length=3, max_length=512, description="host:port of the gRPC server")
    service_name: str = Field(
        "",
        max_length=512,
        description="service to ask about (e.g. glm3.scoring.v1.ScoringService); empty: the whole server",
    )
    tls: bool = Field(False, description="connect with TLS (system root certificates) instead of plaintext")

    @field_validator("target")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value.startswith("unix:"):
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be host:port, e.g. 127.0.0.1:50051")
        return value


class ProcessCheck(_ServiceCheckBase):
    """A process (found by name or by pid file) is running; restarts (pid changes) are counted."""

    kind: Literal["process"] = Field("process", description="check kind")
    process_name: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="process name, executable or argv[0] base name to look for (the oldest match is used)",
    )
    pid_file: str | None = Field(None, min_length=1, max_length=4096, description="file holding the pid")
    degraded_restarts_per_hour: int | None = Field(
        3, ge=1, description="restarts in the last hour at which a running process is degraded; unset never"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ProcessCheck:
        if (self.process_name is None) == (self.pid_file is None):
            raise ValueError("set exactly one of process_name and pid_file")
        return self


ServiceCheck = Annotated[HttpCheck | TcpCheck | GrpcHealthCheck | ProcessCheck, Field(discriminator="kind")]


def _unique_names(checks: list[Any]) -> list[Any]:
    seen: set[str] = set()
    for check in checks:
        if check.name in seen:
            raise ValueError(f"duplicate check name {check.name!r}")
        seen.add(check.name)
    return checks


# For a settings field: `services: ServiceCheckList = Field(default_factory=list, description=...)`.
ServiceCheckList = Annotated[list[ServiceCheck], AfterValidator(_unique_names)]
_SERVICE_CHECKS: TypeAdapter[list[ServiceCheck]] = TypeAdapter(ServiceCheckList)


def parse_service_checks(data: Any) -> list[ServiceCheck]:
    """Validates a list of service check mappings (pydantic.ValidationError names the bad entry)."""
    return _SERVICE_CHECKS.validate_python(data)


# --- runner -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    kind: str  # disk, memory, swap, cpu, http, tcp, grpc, process
    guard_s: float  # past this the check is hung: UNKNOWN
    hold_s: float
    probe: Callable[[], Awaitable[Observation]]


class CheckRunner:
    """Runs the configured checks concurrently, each under its own timeout, and keeps the latest results.

    Owns an aiohttp session and one gRPC channel per gRPC check (created on first use); `close` them.
    """

    def __init__(
        self,
        host: HostChecksSection,
        services: Sequence[ServiceCheck],
        *,
        reader: HostReader | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        _unique_names(list(services))
        self._host = host
        self._reader: HostReader = reader if reader is not None else PsutilHostReader()
        self._clock = clock
        self._hysteresis = Hysteresis(host.hold_s, clock=clock)
        self._cpu = CpuWindow(host.cpu_window_s)
        self._http: aiohttp.ClientSession | None = None
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._latest: dict[str, CheckResult] = {}
        self._closed = False
        self._specs: dict[str, _Spec] = {}
        if host.enabled:
            self._add_host_specs()
        for check in services:
            self._add_service_spec(check)

    # construction

    def _add_host_specs(self) -> None:
        cfg, reader, guard, hold = self._host, self._reader, self._host.timeout_s, self._host.hold_s
        for mount in cfg.mounts or reader.mounts():
            disk = _ThreadedProbe(guard, check_disk, reader, mount, cfg)
            self._add(_Spec(f"host.disk:{mount}", "disk", guard, hold, disk))
        memory = _ThreadedProbe(guard, check_memory, reader, cfg)
        self._add(_Spec("host.memory", "memory", guard, hold, memory))
        self._add(_Spec("host.swap", "swap", guard, hold, _ThreadedProbe(guard, check_swap, reader, cfg)))
        self._add(_Spec("host.cpu", "cpu", guard, hold, self._probe_cpu))

    def _add_service_spec(self, check: ServiceCheck) -> None:
        probe: Callable[[], Awaitable[Observation]]
        guard = check.timeout_s + GUARD_GRACE_S
        if isinstance(check, HttpCheck):
            probe = lambda: probe_http(self._session(), check)  # noqa: E731
        elif isinstance(check, TcpCheck):
            probe = lambda: probe_tcp(check)  # noqa: E731
        elif isinstance(check, GrpcHealthCheck):
            probe = lambda: self._probe_grpc(check)  # noqa: E731
        else:
            guard = check.timeout_s  # no network wait inside, so no grace either
            probe = _ThreadedProbe(guard, ProcessWatch(check, self._clock).observe)
        self._add(_Spec(check.name, check.kind, guard, check.hold_s, probe))

    def _add(self, spec: _Spec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"duplicate check name {spec.name!r}")
        self._specs[spec.name] = spec

    # public API

    def names(self) -> list[str]:
        """Every check name this runner produces: host checks first, then services in configured order."""
        return list(self._specs)

    def kind(self, name: str) -> str:
        """The kind of a check (disk, memory, swap, cpu, http, tcp, grpc, process); NotFound if unknown."""
        return self._select([name])[0].kind

    def latest(self) -> dict[str, CheckResult]:
        """The last result of each check that has run, by name."""
        return dict(self._latest)

    async def run(self, names: Collection[str] | None = None) -> list[CheckResult]:
        """Runs the named checks (all if None) concurrently; results in `names()` order.

        Raises NotFound for an unknown name, FailedPrecondition once closed; never for a failing check.
        """
        if self._closed:
            raise FailedPrecondition("the check runner is closed")
        specs = list(self._specs.values()) if names is None else self._select(names)
        return list(await asyncio.gather(*(self._run_one(spec) for spec in specs)))

    async def close(self) -> None:
        """Closes the HTTP session and the gRPC channels. Idempotent."""
        self._closed = True
        session, self._http = self._http, None
        if session is not None:
            await session.close()
        channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            await channel.close()

    async def __aenter__(self) -> CheckRunner:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # running

    def _select(self, names: Collection[str]) -> list[_Spec]:
        unknown = sorted(set(names) - self._specs.keys())
        if unknown:
            listed = ", ".join(repr(name) for name in unknown)
            raise NotFound(f"unknown check {listed}", metadata={"services": ",".join(unknown)})
        wanted = set(names)
        return [spec for name, spec in self._specs.items() if name in wanted]

    async def _run_one(self, spec: _Spec) -> CheckResult:
        started, t0 = utcnow(), time.perf_counter()
        observation = await self._observe(spec)
        duration_ms = round((time.perf_counter() - t0) * 1000, 2)
        result = self._stabilise(spec, observation)
        result.timestamp, result.duration_ms = started, duration_ms
        previous = self._latest.get(spec.name)
        self._latest[spec.name] = result
        if previous is None or previous.status is not result.status:
            _log_change(result, previous)
        return result

    async def _observe(self, spec: _Spec) -> Observation:
        """The probe's observation, or UNKNOWN if it hung past its guard time or raised."""
        guard = asyncio.timeout(spec.guard_s)
        try:
            async with guard:
                return await spec.probe()
        except TimeoutError:
            if not guard.expired():
                return _crashed(spec, TimeoutError("timed out"))
            details = {"error": "check_timeout", "timeout_s": spec.guard_s}
            return Observation(HealthStatus.UNKNOWN, f"check timed out after {spec.guard_s:.1f} s", details)
        except Exception as exc:  # noqa: BLE001 - a broken check must not break the others
            return _crashed(spec, exc)

    def _stabilise(self, spec: _Spec, obs: Observation) -> CheckResult:
        now = self._clock()
        if obs.threshold is not None:
            stable = self._hysteresis.observe_threshold(spec.name, obs.threshold, hold_s=spec.hold_s, now=now)
        else:
            stable = self._hysteresis.observe(spec.name, obs.status, hold_s=spec.hold_s, now=now)
        message, details = obs.message, dict(obs.details)
        if stable is not obs.status:
            details["raw_status"] = obs.status.value
            why = _why_held(stable, self._hysteresis.pending(spec.name, now=now), spec.hold_s, obs.threshold)
            message = f"{message}; {why}" if why else message
        return CheckResult(
            service=spec.name, status=stable, message=message, details=details, check=spec.kind
        )

    # probes that need the runner's state

    async def _probe_cpu(self) -> Observation:
        reading = await asyncio.to_thread(self._reader.cpu)
        return check_cpu(reading, self._cpu, self._clock(), self._host)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # force_close: every probe opens a new connection, so "accepts connections" is really tested.
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True, limit=0),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": "glm3-ops-checks/1"},
            )
        return self._http

    async def _probe_grpc(self, check: GrpcHealthCheck) -> Observation:
        channel = self._channels.get(check.name)
        if channel is None:
            channel = grpc_channel(check)
            self._channels[check.name] = channel
        observation, failed = await probe_grpc(channel, check)
        if failed and self._channels.get(check.name) is channel:
            # A fresh channel connects at once next time instead of waiting out the reconnect backoff.
            del self._channels[check.name]
            await channel.close()
        return observation


class _ThreadedProbe:
    """A probe that runs blocking `fn(*args)` (psutil, file reads) in a worker thread.

    A thread cannot be cancelled: a read stuck on a hung mount stays stuck. While an earlier call has been
    stuck for longer than `guard_s`, the probe reports UNKNOWN at once instead of tying up another worker
    thread each run; a call that is merely still running (two runs overlapping) is shared.
    """

    def __init__(self, guard_s: float, fn: Callable[..., Observation], *args: Any) -> None:
        self._guard_s = guard_s
        self._call = functools.partial(fn, *args)
        self._inflight: asyncio.Future[Observation] | None = None
        self._started = 0.0

    async def __call__(self) -> Observation:
        inflight = self._inflight
        if inflight is not None and not inflight.done():
            age = time.monotonic() - self._started
            if age >= self._guard_s:
                details = {"error": "check_hung", "hung_s": round(age, 1)}
                message = f"check still hung in an earlier run (for {age:.1f} s)"
                return Observation(HealthStatus.UNKNOWN, message, details)
        else:
            self._started = time.monotonic()
            inflight = self._inflight = asyncio.get_running_loop().run_in_executor(None, self._call)
            inflight.add_done_callback(_retrieve)
        # Shielded: the runner's timeout must not mark the future done while its thread still runs.
        return await asyncio.shield(inflight)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Marks an abandoned future's exception as seen (the runner already reported the timeout)."""
    if not future.cancelled():
        future.exception()


def _crashed(spec: _Spec, exc: BaseException) -> Observation:
    log.warning(
        "check %s failed", spec.name, exc_info=exc, extra={"check": spec.name, "kind": spec.kind}
    )
    text = str(exc) or type(exc).__name__
    details = {"error": "check_failed", "exception": type(exc).__name__}
    return Observation(HealthStatus.UNKNOWN, f"check failed: {text}", details)


def _why_held(
    stable: HealthStatus, pending: Pending | None, hold_s: float, threshold: Threshold | None
) -> str:
    """Why the reported status is not the measured one: a change waiting for its hold time, or a margin."""
    if pending is not None and pending.status is not stable:
        so_far = f"{pending.held_s:.0f} s so far"
        return f"reported {stable} until {pending.status} has held {hold_s:g} s ({so_far})"
    if threshold is not None:
        limit = threshold.recovery_limit(stable)
        if limit is not None:
            return f"reported {stable} until below {limit:g}{threshold.unit}"
    return ""


def _log_change(result: CheckResult, previous: CheckResult | None) -> None:
    before = previous.status if previous is not None else None
    worse = before is None or result.status.severity > before.severity
    level = logging.WARNING if worse and result.status is not HealthStatus.HEALTHY else logging.INFO
    log.log(
        level,
        "check %s is %s: %s",
        result.service,
        result.status.value,
        result.message,
        extra={
            "check": result.service,
            "kind": result.check,
            "status": result.status.value,
            "previous_status": before.value if before is not None else None,
        },
    )
