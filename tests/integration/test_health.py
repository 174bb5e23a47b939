"""grpc.health.v1 follows the real state of the storage and turns NOT_SERVING at graceful shutdown."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.servers.ops.servicer import SERVICE_NAME as OPS_SERVICE
from glm3.servers.scoring.servicer import SERVICE_NAME as SCORING_SERVICE
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import (
    RunningServer,
    probe_method,
    probe_service,
    running,
    server_settings,
    storage_deps,
    wait_until,
)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def check(channel: grpc.aio.Channel, service: str = "") -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=5
    )
    return reply.status


async def test_both_servers_serve_the_server_and_each_service(
    scoring_server: RunningServer, ops_server: RunningServer
) -> None:
    async with scoring_server.channel() as channel:
        assert await check(channel) == SERVING
        assert await check(channel, SCORING_SERVICE) == SERVING
    async with ops_server.channel() as channel:
        assert await check(channel) == SERVING
        assert await check(channel, OPS_SERVICE) == SERVING


async def test_unknown_service_is_not_found(scoring_server: RunningServer) -> None:
    async with scoring_server.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await check(channel, "no.such.Service")
    assert info.value.code() is grpc.StatusCode.NOT_FOUND


async def test_status_follows_the_storage(storage_dir: Path) -> None:
    settings = server_settings(ScoringSettings, storage_dir, dependency_probe_interval_s=0.05)
    deps, _ = await storage_deps(storage_dir)
    async with running(settings, deps) as srv, srv.channel() as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
        seen: list[int] = []

        async def collect() -> None:
            async for reply in watch:
                seen.append(reply.status)

        collector = asyncio.create_task(collect())
        await wait_until(lambda: seen == [SERVING])

        # The storage directory disappears (and a file takes its name): the server stops serving.
        shutil.rmtree(storage_dir)
        storage_dir.write_text("not a directory")
        await wait_until(lambda: seen[-1:] == [NOT_SERVING])
        assert await check(channel) == NOT_SERVING
        assert "storage" in srv.server.health.failures

        # It comes back: so does the server.
        storage_dir.unlink()
        storage_dir.mkdir()
        await wait_until(lambda: seen[-1:] == [SERVING])
        assert seen == [SERVING, NOT_SERVING, SERVING]
        collector.cancel()


async def test_graceful_shutdown(storage_dir: Path) -> None:
    """NOT_SERVING first, new RPCs refused, running ones finish within the grace, then storage closes."""
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        started.set()
        await release.wait()
        return b"finished"

    closed: list[str] = []
    deps, database = await storage_deps(storage_dir, probe_service({"Slow": slow}))

    async def close_database() -> None:
        closed.append("storage")
        await database.close()

    deps.closers = [close_database]
    settings = server_settings(ScoringSettings, storage_dir, shutdown_grace_s=5.0)
    async with running(settings, deps) as srv, srv.channel() as channel, srv.channel() as other:
        statuses: list[int] = []
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))

        async def collect() -> None:
            async for reply in watch:
                statuses.append(reply.status)

        collector = asyncio.create_task(collect())
        await wait_until(lambda: statuses == [SERVING])
        running_call = asyncio.ensure_future(probe_method(channel, "Slow")(b"", timeout=10))
        await started.wait()

        stopping = asyncio.create_task(srv.server.stop())
        await wait_until(lambda: statuses[-1:] == [NOT_SERVING])
        # A new RPC, on a connection opened after shutdown began, is refused.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await check(other)
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE
        assert closed == []  # storage stays open while an RPC runs

        release.set()
        assert await running_call == b"finished"
        await asyncio.wait_for(stopping, 5)
        assert closed == ["storage"]
        collector.cancel()


async def test_rpcs_still_running_after_the_grace_are_cancelled(storage_dir: Path) -> None:
    cancelled = asyncio.Event()

    async def forever(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return b""

    deps, _ = await storage_deps(storage_dir, probe_service({"Forever": forever}))
    settings = server_settings(ScoringSettings, storage_dir, shutdown_grace_s=0.3)
    async with running(settings, deps) as srv, srv.channel() as channel:
        call = asyncio.ensure_future(probe_method(channel, "Forever")(b"", timeout=30))
        await asyncio.sleep(0.2)
        await asyncio.wait_for(srv.server.stop(), 5)
        assert cancelled.is_set()
        with pytest.raises(grpc.aio.AioRpcError):
            await call
