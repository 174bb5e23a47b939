"""The ops checks against real things on loopback: an aiohttp server, TCP ports, a grpc.aio health server,
child processes, and the host checks (scripted readings for thresholds, psutil for a smoke test)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pydantic import ValidationError

from glm3.servers.common.errors import FailedPrecondition, NotFound
from glm3.servers.ops.checks import (
    GUARD_GRACE_S,
    CheckRunner,
    CpuReading,
    DiskReading,
    GrpcHealthCheck,
    HostChecksSection,
    HttpCheck,
    MemoryReading,
    ProcessCheck,
    SwapReading,
    TcpCheck,
    parse_service_checks,
)
from glm3.servers.ops.models import CheckResult, HealthStatus

H, U, D, C = HealthStatus.HEALTHY, HealthStatus.UNKNOWN, HealthStatus.DEGRADED, HealthStatus.CRITICAL
GIB = 1024**3
NO_HOST = HostChecksSection(enabled=False)


class FakeClock:
    def __init__(self, now: float = 10_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_one(runner: CheckRunner, name: str) -> CheckResult:
    (result,) = await runner.run([name])
    return result


@pytest.fixture
async def runners() -> AsyncIterator[list[CheckRunner]]:
    """Runners created by a test, closed after it."""
    made: list[CheckRunner] = []
    yield made
    for runner in made:
        await runner.close()


def make_runner(
    made: list[CheckRunner], *services: Any, host: HostChecksSection = NO_HOST, **kw: Any
) -> CheckRunner:
    runner = CheckRunner(host, list(services), **kw)
    made.append(runner)
    return runner


# --- HTTP -----------------------------------------------------------------------------------------------


@dataclass
class HttpTarget:
    base: str
    state: dict[str, int] = field(default_factory=lambda: {"status": 200})


@pytest.fixture
async def http_target() -> AsyncIterator[HttpTarget]:
    release = asyncio.Event()
    target = HttpTarget("")

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def down(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down for maintenance")

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def slowish(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(text="slow")

    async def switch(request: web.Request) -> web.Response:
        return web.Response(status=target.state["status"], text="switch")

    app = web.Application()
    app.add_routes(
        [
            web.get("/ok", ok),
            web.post("/ok", ok),
            web.get("/down", down),
            web.get("/hang", hang),
            web.get("/slowish", slowish),
            web.get("/switch", switch),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield target
    release.set()
    await runner.cleanup()


async def test_http_expected_status_is_healthy_with_latency(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    runner = make_runner(runners, HttpCheck(name="api", url=f"{http_target.base}/ok"))
    result = await run_one(runner, "api")
    assert result.status is H
    assert result.check == "http"
    assert result.message.startswith(f"GET {http_target.base}/ok answered 200 in ")
    assert result.details["http_status"] == 200
    assert result.details["latency_ms"] >= 0
    assert result.duration_ms > 0
    assert result.timestamp.tzinfo is not None
    assert "raw_status" not in result.details


async def test_http_unexpected_status_is_critical(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    url = f"{http_target.base}/down"
    runner = make_runner(runners, HttpCheck(name="api", url=url))
    result = await run_one(runner, "api")
    assert result.status is C
    assert result.message == f"GET {url} answered 503 (expected 200)"
    assert result.details["error"] == "http_status"
    assert result.details["http_status"] == 503
    assert result.details["body_excerpt"] == "down for maintenance"


async def test_http_expected_status_list_and_other_methods(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    runner = make_runner(
        runners,
        HttpCheck(name="maintenance-ok", url=f"{http_target.base}/down", expected_status=[200, 503]),
        HttpCheck(name="head", url=f"{http_target.base}/ok", method="head"),
        HttpCheck(name="post", url=f"{http_target.base}/ok", method="POST"),
        HttpCheck(name="wrong", url=f"{http_target.base}/ok", expected_status=[204, 201]),
    )
    results = {r.service: r for r in await runner.run()}
    assert results["maintenance-ok"].status is H
    assert results["head"].status is H and results["head"].message.startswith("HEAD ")
    assert results["post"].status is H
    assert results["wrong"].status is C
    assert results["wrong"].message.endswith("answered 200 (expected 201 or 204)")


async def test_http_target_that_does_not_answer_in_time_is_critical(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    # A hung endpoint is down for its callers: CRITICAL "timeout". UNKNOWN is for a check that itself hung.
    url = f"{http_target.base}/hang"
    runner = make_runner(runners, HttpCheck(name="api", url=url, timeout_s=0.3))
    result = await run_one(runner, "api")
    assert result.status is C
    assert result.message == f"GET {url} did not answer within 0.3 s"
    assert result.details["error"] == "timeout"
    assert 250 <= result.duration_ms < (0.3 + GUARD_GRACE_S) * 1000


async def test_http_connection_refused_is_critical(runners: list[CheckRunner]) -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    runner = make_runner(runners, HttpCheck(name="api", url=url))
    result = await run_one(runner, "api")
    assert result.status is C
    assert result.message == f"GET {url} failed: connection refused"
    assert result.details["error"] == "connection_refused"


async def test_http_slow_answer_is_degraded_above_the_latency_limit(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    url = f"{http_target.base}/slowish"  # answers after 0.2 s
    runner = make_runner(
        runners,
        HttpCheck(name="slow", url=url, degraded_latency_ms=50),
        HttpCheck(name="lenient", url=url, degraded_latency_ms=5000),
    )
    results = {r.service: r for r in await runner.run()}
    assert results["slow"].status is D
    assert "(degraded above 50 ms)" in results["slow"].message
    assert results["slow"].details["latency_ms"] >= 200
    assert results["lenient"].status is H


async def test_http_status_follows_the_endpoint_with_hold_time(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    clock = FakeClock()
    url = f"{http_target.base}/switch"
    runner = make_runner(runners, HttpCheck(name="api", url=url, hold_s=30), clock=clock)
    assert (await run_one(runner, "api")).status is H

    http_target.state["status"] = 500
    clock.now += 10
    held = await run_one(runner, "api")
    assert held.status is H  # one failure is not yet reported
    assert held.details["raw_status"] == "critical"
    assert held.message.endswith("; reported healthy until critical has held 30 s (0 s so far)")

    clock.now += 30
    failed = await run_one(runner, "api")
    assert failed.status is C
    assert "raw_status" not in failed.details
    assert runner.latest()["api"] is failed

    http_target.state["status"] = 200
    clock.now += 30
    assert (await run_one(runner, "api")).status is C
    clock.now += 30
    assert (await run_one(runner, "api")).status is H


# --- TCP ------------------------------------------------------------------------------------------------


async def test_tcp_open_port_is_healthy_and_closed_port_critical(runners: list[CheckRunner]) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    closed = free_port()
    try:
        runner = make_runner(
            runners,
            TcpCheck(name="open", host="127.0.0.1", port=port),
            TcpCheck(name="closed", host="127.0.0.1", port=closed),
        )
        results = {r.service: r for r in await runner.run()}
    finally:
        server.close()
        await server.wait_closed()
    assert results["open"].status is H and results["open"].check == "tcp"
    assert results["open"].message.startswith(f"127.0.0.1:{port} accepts connections (")
    assert results["closed"].status is C
    assert results["closed"].message == f"cannot connect to 127.0.0.1:{closed}: connection refused"
    assert results["closed"].details["error"] == "connection_refused"


# --- gRPC health ----------------------------------------------------------------------------------------

SERVICE = "glm3.test.v1.TestService"


async def start_grpc(port: int = 0, *, with_health: bool = True) -> tuple[grpc.aio.Server, int, Any]:
    server = grpc.aio.server()
    servicer = None
    if with_health:
        servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        await servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound, servicer


async def test_grpc_health_follows_serving_status(runners: list[CheckRunner]) -> None:
    server, port, servicer = await start_grpc()
    target = f"127.0.0.1:{port}"
    try:
        runner = make_runner(
            runners,
            GrpcHealthCheck(name="server", target=target),
            GrpcHealthCheck(name="svc", target=target, service_name=SERVICE),
            GrpcHealthCheck(name="nosuch", target=target, service_name="glm3.NoSuch"),
        )
        results = {r.service: r for r in await runner.run()}
        assert results["server"].status is H and results["server"].check == "grpc"
        assert results["server"].message.startswith(f"gRPC server {target} is SERVING (")
        assert results["svc"].status is H
        assert results["svc"].details["serving_status"] == "SERVING"
        assert results["nosuch"].status is C
        assert results["nosuch"].message == f"gRPC server {target} does not know service 'glm3.NoSuch'"

        await servicer.set(SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)
        down = await run_one(runner, "svc")
        assert down.status is C
        assert down.message == f"gRPC service {SERVICE!r} at {target} is NOT_SERVING"
        assert down.details["error"] == "not_serving"

        await servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
        unknown = await run_one(runner, "svc")
        assert unknown.status is C and unknown.message.endswith("is SERVICE_UNKNOWN")

        await servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
        assert (await run_one(runner, "svc")).status is H
    finally:
        await server.stop(None)


async def test_grpc_unreachable_server_then_back_on_the_same_port(runners: list[CheckRunner]) -> None:
    server, port, _ = await start_grpc()
    target = f"127.0.0.1:{port}"
    runner = make_runner(runners, GrpcHealthCheck(name="grpc", target=target, timeout_s=2))
    assert (await run_one(runner, "grpc")).status is H
    await server.stop(None)

    gone = await run_one(runner, "grpc")
    assert gone.status is C
    assert gone.message.startswith(f"cannot reach gRPC server {target}: ")
    assert gone.details["grpc_code"] == "UNAVAILABLE"

    server, _, _ = await start_grpc(port)
    try:
        # The failed channel was replaced, so the server is seen at once rather than after a backoff.
        assert (await run_one(runner, "grpc")).status is H
    finally:
        await server.stop(None)


async def test_grpc_server_without_health_service_is_critical(runners: list[CheckRunner]) -> None:
    server, port, _ = await start_grpc(with_health=False)
    try:
        runner = make_runner(runners, GrpcHealthCheck(name="grpc", target=f"127.0.0.1:{port}"))
        result = await run_one(runner, "grpc")
    finally:
        await server.stop(None)
    assert result.status is C
    assert result.message == f"gRPC server 127.0.0.1:{port} does not implement grpc.health.v1.Health"


async def test_grpc_closed_port_is_critical(runners: list[CheckRunner]) -> None:
    port = free_port()
    runner = make_runner(runners, GrpcHealthCheck(name="grpc", target=f"127.0.0.1:{port}", timeout_s=2))
    result = await run_one(runner, "grpc")
    assert result.status is C
    assert result.message == f"cannot reach gRPC server 127.0.0.1:{port}: connection refused"


# --- processes ------------------------------------------------------------------------------------------


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def spawn(children: list[subprocess.Popen[bytes]], pid_file: Path | None = None) -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    children.append(child)
    if pid_file is not None:
        pid_file.write_text(f"{child.pid}\n")
    return child


def stop(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.wait()  # reaped, so it is gone rather than a zombie


async def test_process_from_pid_file_running_killed_and_restarted(
    tmp_path: Path, children: list[subprocess.Popen[bytes]], runners: list[CheckRunner]
) -> None:
    clock = FakeClock()
    pid_file = tmp_path / "worker.pid"
    first = spawn(children, pid_file)
    runner = make_runner(runners, ProcessCheck(name="worker", pid_file=str(pid_file)), clock=clock)

    up = await run_one(runner, "worker")
    assert up.status is H and up.check == "process"
    assert up.message == f"process from pid file {pid_file} (pid {first.pid}) is running"
    assert up.details["running"] is True
    assert up.details["pid"] == first.pid
    assert up.details["restarts"] == 0 and up.details["restarts_last_hour"] == 0
    assert up.details["rss_bytes"] > 0
    assert up.details["cpu_percent"] >= 0

    stop(first)
    down = await run_one(runner, "worker")
    assert down.status is C
    assert down.message == f"process from pid file {pid_file} (pid {first.pid}) is not running"
    assert down.details["running"] is False and down.details["error"] == "not_running"

    clock.now += 60
    second = spawn(children, pid_file)
    back = await run_one(runner, "worker")
    assert back.status is H
    assert back.details["pid"] == second.pid
    assert back.details["restarts"] == 1 and back.details["restarts_last_hour"] == 1
    assert "restarted 1 times in the last hour" in back.message

    clock.now += 3601
    later = await run_one(runner, "worker")
    assert later.details["restarts"] == 1 and later.details["restarts_last_hour"] == 0


async def test_process_crash_loop_is_degraded(
    tmp_path: Path, children: list[subprocess.Popen[bytes]], runners: list[CheckRunner]
) -> None:
    pid_file = tmp_path / "worker.pid"
    check = ProcessCheck(name="worker", pid_file=str(pid_file), degraded_restarts_per_hour=2)
    runner = make_runner(runners, check)
    child = spawn(children, pid_file)
    assert (await run_one(runner, "worker")).status is H
    for _ in range(2):
        stop(child)
        child = spawn(children, pid_file)
        result = await run_one(runner, "worker")
    assert result.status is D
    assert result.message == (
        f"process from pid file {pid_file} (pid {child.pid}) restarted 2 times in the last hour"
        " (degraded at 2)"
    )
    assert result.details["restarts_last_hour"] == 2


async def test_process_pid_file_missing_or_garbage(tmp_path: Path, runners: list[CheckRunner]) -> None:
    missing, garbage = tmp_path / "missing.pid", tmp_path / "garbage.pid"
    garbage.write_text("not-a-pid")
    runner = make_runner(
        runners,
        ProcessCheck(name="missing", pid_file=str(missing)),
        ProcessCheck(name="garbage", pid_file=str(garbage)),
    )
    results = {r.service: r for r in await runner.run()}
    assert results["missing"].status is C
    assert results["missing"].message == f"pid file {missing} is missing (process not running?)"
    assert results["missing"].details["error"] == "pid_file_missing"
    assert results["garbage"].status is C
    assert results["garbage"].message == f"pid file {garbage} does not hold a pid ('not-a-pid')"


@pytest.mark.skipif(shutil.which("sleep") is None, reason="needs the sleep program")
async def test_process_by_name(children: list[subprocess.Popen[bytes]], runners: list[CheckRunner]) -> None:
    name = f"glm3-test-{uuid.uuid4().hex[:8]}"  # argv[0] of the child, unique to this test
    runner = make_runner(runners, ProcessCheck(name="sleeper", process_name=name))
    absent = await run_one(runner, "sleeper")
    assert absent.status is C and absent.message == f"process {name!r} is not running"

    child = subprocess.Popen([name, "60"], executable=shutil.which("sleep"))
    children.append(child)
    present = await run_one(runner, "sleeper")
    assert present.status is H
    assert present.details["pid"] == child.pid and present.details["matches"] == 1


# --- host checks ----------------------------------------------------------------------------------------


class ScriptedReader:
    """Host readings a test sets; can block (a hung mount) or raise (a broken reader)."""

    def __init__(self) -> None:
        self.disks: dict[str, float] = {"/": 50.0, "/data": 10.0}
        self.memory_percent = 40.0
        self.swap_total = 0
        self.swap_percent = 0.0
        self.load1 = 0.4
        self.cpu_count = 4
        self.block: threading.Event | None = None  # reading disk "/" waits for it
        self.fail: Exception | None = None  # reading any disk raises it

    def _maybe_misbehave(self, mount: str) -> None:
        if self.block is not None and mount == "/":
            self.block.wait(5)
        if self.fail is not None:
            raise self.fail

    def mounts(self) -> list[str]:
        return sorted(self.disks)

    def disk(self, mount: str) -> DiskReading:
        self._maybe_misbehave(mount)
        total = 100 * GIB
        used = int(total * self.disks[mount] / 100)
        return DiskReading(total, used, total - used, self.disks[mount])

    def memory(self) -> MemoryReading:
        total = 16 * GIB
        used = int(total * self.memory_percent / 100)
        return MemoryReading(total, total - used, used, self.memory_percent)

    def swap(self) -> SwapReading:
        used = int(self.swap_total * self.swap_percent / 100)
        return SwapReading(self.swap_total, used, self.swap_total - used, self.swap_percent)

    def cpu(self) -> CpuReading:
        return CpuReading(self.load1, self.cpu_count)


def host(**overrides: Any) -> HostChecksSection:
    return HostChecksSection(**{"hold_s": 0, **overrides})


async def test_host_check_names_come_from_the_reader_or_the_config(runners: list[CheckRunner]) -> None:
    reader = ScriptedReader()
    services = [TcpCheck(name="db", host="127.0.0.1", port=5432)]
    runner = make_runner(runners, *services, host=host(), reader=reader)
    assert runner.names() == ["host.disk:/", "host.disk:/data", "host.memory", "host.swap", "host.cpu", "db"]
    assert runner.kind("host.disk:/data") == "disk" and runner.kind("db") == "tcp"
    configured = make_runner(runners, host=host(mounts="/data"), reader=reader)
    assert configured.names()[0] == "host.disk:/data" and "host.disk:/" not in configured.names()
    assert make_runner(runners, *services, reader=reader).names() == ["db"]


async def test_disk_thresholds_with_recovery_margin(runners: list[CheckRunner]) -> None:
    reader = ScriptedReader()
    runner = make_runner(runners, host=host(), reader=reader)

    async def disk_at(percent: float) -> CheckResult:
        reader.disks["/"] = percent
        return await run_one(runner, "host.disk:/")

    healthy = await disk_at(42.0)
    assert healthy.status is H and healthy.check == "disk"
    assert healthy.message == "disk / is 42.0% full (58.0 GiB free)"
    assert healthy.details["total_bytes"] == 100 * GIB
    assert healthy.details["free_bytes"] + healthy.details["used_bytes"] == 100 * GIB

    warn = await disk_at(91.0)
    assert (warn.status, warn.message) == (D, "disk / is 91.0% full (warning at 90%)")

    crit = await disk_at(96.2)
    assert (crit.status, crit.message) == (C, "disk / is 96.2% full (critical at 95%)")
    assert crit.details["percent"] == 96.2 and crit.details["critical_percent"] == 95

    hovering = await disk_at(94.0)  # below 95 but not below 95 - 2
    assert hovering.status is C
    assert hovering.details["raw_status"] == "degraded"
    assert hovering.message == "disk / is 94.0% full (warning at 90%); reported critical until below 93%"

    assert (await disk_at(92.9)).status is D
    assert (await disk_at(89.0)).status is D
    assert (await disk_at(80.0)).status is H


async def test_host_status_changes_wait_for_the_hold_time(runners: list[CheckRunner]) -> None:
    clock, reader = FakeClock(), ScriptedReader()
    runner = make_runner(runners, host=host(hold_s=120), reader=reader, clock=clock)
    reader.memory_percent = 97.0
    first = await run_one(runner, "host.memory")
    assert first.status is C  # the first observation counts at once
    assert first.message == "memory is 97.0% used (critical at 95%; 491.5 MiB available)"

    reader.memory_percent = 50.0
    clock.now += 60
    held = await run_one(runner, "host.memory")
    assert held.status is C and held.details["raw_status"] == "healthy"
    assert held.message.endswith("; reported critical until healthy has held 120 s (0 s so far)")
    clock.now += 119
    assert (await run_one(runner, "host.memory")).status is C
    clock.now += 1
    assert (await run_one(runner, "host.memory")).status is H


async def test_swap_thresholds_and_no_swap(runners: list[CheckRunner]) -> None:
    reader = ScriptedReader()
    runner = make_runner(runners, host=host(), reader=reader)
    none = await run_one(runner, "host.swap")
    assert (none.status, none.message) == (H, "no swap configured")
    reader.swap_total, reader.swap_percent = 4 * GIB, 85.0
    used = await run_one(runner, "host.swap")
    assert (used.status, used.message) == (D, "swap is 85.0% used (warning at 80%)")


async def test_cpu_load_is_averaged_over_the_window(runners: list[CheckRunner]) -> None:
    clock, reader = FakeClock(), ScriptedReader()
    runner = make_runner(runners, host=host(cpu_window_s=60), reader=reader, clock=clock)

    reader.load1 = 8.0  # 2.0 per core on 4 cores
    spike = await run_one(runner, "host.cpu")
    assert (spike.status, spike.message) == (C, "load is 2.00 per core over 60 s (critical at 1.5)")
    assert spike.details["samples"] == 1

    reader.load1 = 0.0
    clock.now += 30
    mid = await run_one(runner, "host.cpu")  # mean of 2.0 and 0.0
    assert mid.status is D and mid.details["load_per_core"] == 1.0 and mid.details["samples"] == 2
    assert mid.details["load_per_core_now"] == 0.0

    clock.now += 40  # the spike left the window
    calm = await run_one(runner, "host.cpu")
    assert calm.status is H and calm.details["load_per_core"] == 0.0 and calm.details["samples"] == 2


async def test_hung_or_crashing_check_is_unknown_and_does_not_hold_up_the_others(
    http_target: HttpTarget, runners: list[CheckRunner]
) -> None:
    reader = ScriptedReader()
    runner = make_runner(
        runners, HttpCheck(name="api", url=f"{http_target.base}/ok"), host=host(timeout_s=0.2), reader=reader
    )
    reader.block = threading.Event()
    try:
        results = {r.service: r for r in await runner.run()}
        # The read is still stuck in its thread: the next run says so at once, with no new thread.
        again = await run_one(runner, "host.disk:/")
    finally:
        reader.block.set()
    hung = results["host.disk:/"]
    assert hung.status is U and hung.check == "disk"
    assert hung.message == "check timed out after 0.2 s"
    assert hung.details["error"] == "check_timeout"
    assert results["host.memory"].status is H
    assert results["api"].status is H
    assert again.status is U and again.details["error"] == "check_hung"
    assert again.message.startswith("check still hung in an earlier run (for 0.")
    assert again.duration_ms < 100

    assert results["host.disk:/data"].status is H
    reader.fail = OSError("stale file handle")
    crashed = await run_one(runner, "host.disk:/data")
    assert crashed.status is U
    assert crashed.message == "check failed: stale file handle"
    assert crashed.details["exception"] == "OSError"


async def test_real_host_checks_smoke(runners: list[CheckRunner]) -> None:
    runner = make_runner(runners, host=HostChecksSection())
    names = runner.names()
    assert {"host.memory", "host.swap", "host.cpu"} <= set(names)
    assert any(name.startswith("host.disk:/") for name in names)
    results = await runner.run()
    assert [r.service for r in results] == names
    for result in results:
        assert result.status in (H, D, C), result.message
        assert result.message
    by_name = {r.service: r for r in results}
    memory = by_name["host.memory"].details
    assert 0 <= memory["percent"] <= 100 and memory["total_bytes"] > 0
    disk = next(r for r in results if r.check == "disk").details
    assert 0 <= disk["percent"] <= 100 and disk["total_bytes"] > 0
    assert by_name["host.cpu"].details["cpu_count"] >= 1


# --- runner ---------------------------------------------------------------------------------------------


async def test_run_selects_checks_keeps_latest_and_rejects_unknown_names(runners: list[CheckRunner]) -> None:
    reader = ScriptedReader()
    runner = make_runner(runners, host=host(), reader=reader)
    assert runner.latest() == {}
    results = await runner.run(["host.cpu", "host.memory"])
    assert [r.service for r in results] == ["host.memory", "host.cpu"]  # names() order
    assert set(runner.latest()) == {"host.memory", "host.cpu"}
    with pytest.raises(NotFound, match="unknown check 'nope'"):
        await runner.run(["host.memory", "nope"])
    await runner.close()
    await runner.close()  # idempotent
    with pytest.raises(FailedPrecondition):
        await runner.run()


# --- settings -------------------------------------------------------------------------------------------


def test_host_settings_defaults_and_validation() -> None:
    defaults = HostChecksSection()
    assert (defaults.disk_warning, defaults.disk_critical) == (90, 95)
    assert (defaults.memory_warning, defaults.memory_critical) == (90, 95)
    with pytest.raises(ValidationError, match=r"disk_critical\n.*must be above disk_warning \(95\)"):
        HostChecksSection(disk_warning=95, disk_critical=90)
    with pytest.raises(ValidationError, match=r"cpu_critical\n.*must be above cpu_warning \(2\)"):
        HostChecksSection(cpu_warning=2, cpu_critical=1.5)
    with pytest.raises(ValidationError, match="must be above memory_warning"):
        HostChecksSection(memory_warning=95, memory_critical=95)
    with pytest.raises(ValidationError, match="absolute path"):
        HostChecksSection(mounts=["data"])
    assert HostChecksSection(mounts="/, /data,/").mounts == ["/", "/data"]
    for info in HostChecksSection.model_fields.values():
        assert info.description


def test_service_check_settings_validation() -> None:
    checks = parse_service_checks(
        [
            {"kind": "http", "name": "brain_api", "url": "http://localhost:8080/health", "timeout_s": 5},
            {"kind": "tcp", "name": "db", "host": "localhost", "port": 5432},
            {"kind": "grpc", "name": "scoring", "target": "localhost:50051"},
            {"kind": "process", "name": "worker", "process_name": "glm3-worker"},
        ]
    )
    assert [type(c) for c in checks] == [HttpCheck, TcpCheck, GrpcHealthCheck, ProcessCheck]
    bad = [
        ([{"kind": "http", "name": "a", "url": "ftp://x"}], "http:// or https://"),
        ([{"kind": "http", "name": "a", "url": "http://x", "expected_status": 700}], "not an HTTP status"),
        ([{"kind": "http", "name": "a", "url": "http://x", "expected_status": []}], "at least one"),
        ([{"kind": "grpc", "name": "a", "target": "localhost"}], "host:port"),
        ([{"kind": "process", "name": "a"}], "exactly one"),
        ([{"kind": "process", "name": "a", "process_name": "x", "pid_file": "/x"}], "exactly one"),
        ([{"kind": "tcp", "name": "host.db", "host": "x", "port": 1}], "reserved"),
        ([{"kind": "tcp", "name": "", "host": "x", "port": 1}], "at least 1 character"),
        ([{"kind": "tcp", "name": "x" * 129, "host": "x", "port": 1}], "at most 128"),
        ([{"kind": "smtp", "name": "a"}], "does not match any of the expected tags"),
        ([{"kind": "tcp", "name": "a", "host": "x", "port": 1}] * 2, "duplicate check name 'a'"),
    ]
    for data, message in bad:
        with pytest.raises(ValidationError, match=message):
            parse_service_checks(data)
    with pytest.raises(ValueError, match="duplicate"):
        CheckRunner(NO_HOST, [TcpCheck(name="a", host="x", port=1)] * 2)
    for model in (HttpCheck, TcpCheck, GrpcHealthCheck, ProcessCheck):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name}"
