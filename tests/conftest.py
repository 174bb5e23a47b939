"""Fixtures shared by the test suite: real servers on 127.0.0.1, port 0, real LanceDB in a temp dir."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from glm3.servers.common.app import Glm3Server, ServerDeps, ServiceBinding, build_server
from glm3.servers.common.health import DependencyProbe
from glm3.servers.ops import main as ops_main
from glm3.servers.ops.settings import OpsSettings
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from glm3.servers.storage.database import Database


@dataclass
class RunningServer:
    server: Glm3Server
    port: int
    settings: Any
    database: Database | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def channel(self, **options: Any) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(self.target, options=list(options.items()))


def server_settings(model: type, storage: Path, **server: Any) -> Any:
    """Settings for a test server: loopback, port 0, storage under the test's temp dir, no metrics
    endpoint (its default port is fixed; tests that want it set metrics.port 0)."""
    return model.model_validate(
        {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 1.0, **server},
            "storage": {"uri": str(storage)},
            "metrics": {"enabled": False},
        }
    )


@contextlib.asynccontextmanager
async def running(settings: Any, deps: ServerDeps, database: Database | None = None) -> AsyncIterator[RunningServer]:
    server, port = build_server(settings, deps)
    await server.start()
    try:
        yield RunningServer(server, port, settings, database)
    finally:
        await server.stop(0.5)


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "lancedb"


@pytest.fixture
async def scoring_server(storage_dir: Path) -> AsyncIterator[RunningServer]:
    settings = server_settings(ScoringSettings, storage_dir)
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv:
        yield srv


def ops_settings(storage: Path, **sections: dict[str, Any]) -> OpsSettings:
    """Ops settings for tests: loopback port 0, storage in the temp dir, no service checks (the default one
    watches 127.0.0.1:50051, which tests never touch), no loop unless a test turns it on, and no metrics
    endpoint (its default port is fixed)."""
    base: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 1.0},
        "storage": {"uri": str(storage)},
        "metrics": {"enabled": False},
        "services": {"checks": []},
        "agent": {"loop": False},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return OpsSettings.model_validate(base)


@pytest.fixture
async def ops_server(storage_dir: Path) -> AsyncIterator[RunningServer]:
    settings = ops_settings(storage_dir)
    deps = await ops_main.make_deps(settings)
    async with running(settings, deps) as srv:
        yield srv


# A small service that exists only in tests, to drive the shared foundation through behaviours the real
# services do not have yet (slow calls, crashes). Messages are raw bytes, so no proto is needed.
PROBE_SERVICE = "glm3.test.ProbeService"


def probe_service(handlers: dict[str, Callable[..., Any]], streaming: Sequence[str] = ()) -> ServiceBinding:
    """A ServiceBinding for a bytes-in/bytes-out service; names in `streaming` are server-streaming."""
    methods = {
        name: (
            grpc.unary_stream_rpc_method_handler(fn)
            if name in streaming
            else grpc.unary_unary_rpc_method_handler(fn)
        )
        for name, fn in handlers.items()
    }
    generic = grpc.method_handlers_generic_handler(PROBE_SERVICE, methods)
    return ServiceBinding(
        PROBE_SERVICE, generic, lambda handler, server: server.add_generic_rpc_handlers((handler,))
    )


def probe_method(channel: grpc.aio.Channel, name: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary(f"/{PROBE_SERVICE}/{name}")


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Polls `predicate` until it is true; fails the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def storage_deps(storage: Path, *bindings: ServiceBinding) -> tuple[ServerDeps, Database]:
    database = await Database.open(str(storage))
    deps = ServerDeps(
        services=list(bindings),
        probes=[DependencyProbe("storage", database.probe)],
        closers=[database.close],
    )
    return deps, database
